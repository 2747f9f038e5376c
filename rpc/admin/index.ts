/**
 * The geth-style admin_ peer methods an operator uses to wire a network by hand:
 * admin_addPeer(url) (a static peer: dialled now and re-dialled with backoff), admin_removePeer,
 * admin_peers, admin_nodeInfo. They fail with a clear error on a node without P2P.
 */
import { defineMethod, required } from '../params.js'
import type { RpcMethod } from '../types.js'
import type { NodeApi } from '../../src/node/interface.js'
import { NfcError } from '../../src/util/errors.js'
import { normalizePeerUrl } from '../../src/p2p/chainMessages.js'
import { InvalidParamsError } from '../errors.js'

function network(node: NodeApi) {
  if (node.network === null) throw new NfcError('NODE_NO_P2P', 'P2P is off on this node (start it with --p2p HOST:PORT)')
  return node.network
}

const peerUrl = (v: unknown): string => {
  const url = typeof v === 'string' ? normalizePeerUrl(v) : undefined
  if (url === undefined) throw new InvalidParamsError('expected a ws:// or wss:// peer url')
  return url
}

export const admin_addPeer = defineMethod('admin_addPeer', [required(peerUrl)], ([url], ctx) => {
  network(ctx.node).transport.addStaticPeer(url)
  return true
})

export const admin_removePeer = defineMethod('admin_removePeer', [required(peerUrl)], ([url], ctx) => {
  network(ctx.node).transport.removeStaticPeer(url)
  return true
})

export const admin_peers = defineMethod('admin_peers', [], (_params, ctx) =>
  network(ctx.node).peers.map((p) => ({
    id: p.id,
    address: p.address,
    inbound: p.inbound,
    head: `0x${p.head.toString(16)}`,
    score: p.score,
    rttMs: p.rttMs ?? null,
    listenUrl: p.listenUrl ?? null,
  })),
)

export const admin_nodeInfo = defineMethod('admin_nodeInfo', [], (_params, ctx) => {
  const net = network(ctx.node)
  return { id: net.transport.nodeId, listenPort: net.transport.port }
})

export const adminMethods: RpcMethod<any, any>[] = [admin_addPeer, admin_removePeer, admin_peers, admin_nodeInfo]
