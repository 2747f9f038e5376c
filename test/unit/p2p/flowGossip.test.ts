/**
 * Flow gossip over real sockets (127.0.0.1, port 0) with toy chains: FlowReceipt (0x15) and
 * FlowSignature (0x16) reach every node of a line once and are never echoed; the flow adapter
 * decides what travels on ('relay' / 'drop'), a throw penalises the sender; a node without a
 * flow service drops them; the FlowSignature codec and limits.
 */
import t, { type Test } from 'tap'
import { EventEmitter } from 'node:events'
import { silentLogger } from '../../../src/util/logger.js'
import { generateIdentity } from '../../../src/p2p/identity.js'
import { MAX_PAYLOAD, MessageType, type OpaqueMessage } from '../../../src/p2p/messages.js'
import type { Peer } from '../../../src/p2p/peer.js'
import { Network, type FlowAdapter, type PeerInfo } from '../../../src/p2p/network.js'
import { decodeFlowSignature, encodeFlowSignature } from '../../../src/p2p/chainMessages.js'
import { ToyChain } from './fixtures/toyChain.js'
import { waitFor } from '../../helpers/nodeProcess.js'

interface FlowNode {
  net: Network
  url: string
  id: string
  /** receipts: what the adapter got; from: the node id it was told each came from */
  got: { receipts: Uint8Array[]; from: string[]; signatures: unknown[] }
  received: EventEmitter
}

async function node(t: Test, verdict: 'relay' | 'drop' | 'throw' | null = 'relay'): Promise<FlowNode> {
  const identity = generateIdentity()
  const net = new Network({ identity, logger: silentLogger, host: '127.0.0.1', port: 0, targetPeers: 0, chain: new ToyChain() })
  t.teardown(() => net.stop())
  const got: FlowNode['got'] = { receipts: [], from: [], signatures: [] }
  const received = new EventEmitter()
  if (verdict !== null) {
    const answer = async (): Promise<'relay' | 'drop'> => {
      if (verdict === 'throw') throw new Error('forged')
      return verdict
    }
    const flow: FlowAdapter = {
      onReceipt: async (e, from) => (got.receipts.push(e), got.from.push(from), answer()),
      onSignature: async (s) => (got.signatures.push(s), answer()),
    }
    net.flow = flow
  }
  net.transport.on('message', (_p: Peer, m: OpaqueMessage) => received.emit('message', m))
  const { url } = await net.start()
  return { net, url, id: identity.nodeId, got, received }
}

function hasPeer(n: FlowNode, id: string): Promise<unknown> {
  if (n.net.peers.some((p) => p.id === id)) return Promise.resolve()
  return new Promise((resolve) => {
    const on = (p: PeerInfo) => {
      if (p.id !== id) return
      n.net.off('peer', on)
      resolve(undefined)
    }
    n.net.on('peer', on)
  })
}

async function link(x: FlowNode, y: FlowNode): Promise<void> {
  await Promise.all([x.net.transport.connect(y.url), hasPeer(y, x.id), hasPeer(x, y.id)])
}

/** the next message of `type` that `n` receives */
function next(n: FlowNode, type: number): Promise<OpaqueMessage> {
  return new Promise((resolve) => {
    const on = (m: OpaqueMessage) => {
      if (m.type !== type) return
      n.received.off('message', on)
      resolve(m)
    }
    n.received.on('message', on)
  })
}

/** bytes as hex: tap's t.same passes a Buffer against a Uint8Array of other content */
const h = (x: any) => ({ cycle: x.cycle, checkpointHash: Buffer.from(x.checkpointHash).toString('hex'), signature: Buffer.from(x.signature).toString('hex') })
const hx = (b: Uint8Array) => Buffer.from(b).toString('hex')
const sig = { cycle: 7n, checkpointHash: new Uint8Array(32).fill(3), signature: new Uint8Array(65).fill(4) }

t.test('FlowSignature codec and limits', async (t) => {
  const enc = encodeFlowSignature(sig)
  t.ok(enc.length <= MAX_PAYLOAD[MessageType.FlowSignature], `${enc.length} bytes within the limit`)
  t.same(h(decodeFlowSignature(enc)), h(sig))
  t.throws(() => decodeFlowSignature(encodeFlowSignature({ ...sig, signature: new Uint8Array(64) })), /signature must be 65 bytes/)
  t.throws(() => decodeFlowSignature(Uint8Array.of(1, 2, 3)), /FlowSignature/)
})

t.test('receipts and signatures cross a line A–B–C once; the adapter decides', async (t) => {
  const [a, b, c] = [await node(t), await node(t), await node(t)]
  await link(a, b)
  await link(b, c)
  const receipt = Uint8Array.of(0xc0, 1, 2, 3)
  const atC = next(c, MessageType.FlowReceipt)
  t.equal(a.net.broadcastFlowReceipt(receipt), 1, 'A sends to its one peer')
  t.equal(hx((await atC).payload), hx(receipt), 'C got it through B')
  t.same(b.got.receipts.map(hx), [hx(receipt)])
  t.same(c.got.receipts.map(hx), [hx(receipt)])
  t.same(b.got.from, [a.id], 'B is told the receipt came from A (the watcher counts it under that peer)')
  t.same(c.got.from, [b.id], 'C is told it came from B, the peer that relayed it')
  const sigAtA = next(a, MessageType.FlowSignature)
  c.net.broadcastFlowSignature(encodeFlowSignature(sig))
  await sigAtA
  t.same(a.got.signatures.map(h), [h(sig)], 'signature decoded for the adapter')
  t.same(a.got.receipts, [], 'never echoed back to the sender')
  t.equal(a.net.broadcastFlowReceipt(receipt), 0, 'a second broadcast sends nothing (peers know it)')
})

t.test("'drop' stops an item; a throw penalises the sender; no flow service drops quietly", async (t) => {
  const a = await node(t)
  const dropper = await node(t, 'drop')
  const c = await node(t)
  await link(a, dropper)
  await link(dropper, c)
  const got = next(dropper, MessageType.FlowReceipt)
  a.net.broadcastFlowReceipt(Uint8Array.of(9))
  await got
  // proving that nothing comes needs a barrier, not a sleep: once the adapter has answered (its
  // promise settles within the turn), a Tx from the dropper goes down the same ordered link behind
  // any relay; once C has it (and had a turn to hand a receipt to its adapter), a relay would show
  await new Promise((r) => setImmediate(r))
  const barrier = next(c, MessageType.Tx)
  dropper.net.broadcastTx(Uint8Array.of(1, 2, 3))
  await barrier
  await new Promise((r) => setImmediate(r))
  t.same(c.got.receipts, [], 'not relayed past a drop')

  const x = await node(t)
  const judge = await node(t, 'throw')
  await link(x, judge)
  const before = judge.net.peers.find((p) => p.id === x.id)!.score
  const arrived = next(judge, MessageType.FlowReceipt)
  x.net.broadcastFlowReceipt(Uint8Array.of(8))
  await arrived
  await waitFor(() => judge.net.peers.find((p) => p.id === x.id)!.score < before, 20_000, 'the penalty', 10).catch(() => undefined)
  t.ok(judge.net.peers.find((p) => p.id === x.id)!.score < before, 'the sender lost score')

  const y = await node(t)
  const bare = await node(t, null)
  await link(y, bare)
  const seen = next(bare, MessageType.FlowReceipt)
  y.net.broadcastFlowReceipt(Uint8Array.of(7))
  await seen
  t.equal(bare.net.peerCount, 1, 'still connected')
})
