/**
 * flow_getSession(sessionId): a session as this node's side-chain knows it (last accepted seq
 * and total) next to what the main chain settled (head state), and the NB fuel escrow of its
 * (consumer, provider) pair at the head (null when this node does not know the pair). null when
 * neither knows the session.
 */
import { bytesToHex } from '@ethereumjs/util'
import { readEscrow, readSession } from '../../src/consensus/povf/views.js'
import { defineMethod, hash, required } from '../params.js'
import { flowOfNode, headState, hexQ } from './common.js'

export const flow_getSession = defineMethod('flow_getSession', [required(hash)], async ([sessionId], ctx) => {
  const node = ctx.node
  const local = await flowOfNode(node).session(sessionId)
  const { state } = await headState(node)
  const settled = await readSession(state, sessionId)
  if (local === undefined && settled.seq === 0n) return null
  const escrow = local === undefined ? null : await readEscrow(state, local.consumer, local.provider)
  return {
    sessionId: bytesToHex(sessionId),
    consumer: local?.consumer ?? null,
    provider: local?.provider ?? null,
    relays: local?.relays ?? [],
    lastSeq: hexQ(local?.lastSeq ?? settled.seq),
    lastTotal: hexQ(local === undefined ? settled.total : local.bytesUp + local.bytesDown),
    settledSeq: hexQ(settled.seq),
    settledTotal: hexQ(settled.total),
    receipts: hexQ(local?.receipts ?? 0n),
    escrow: escrow === null ? null : { amount: hexQ(escrow.amount), releaseAt: hexQ(escrow.releaseAt) },
  }
})
