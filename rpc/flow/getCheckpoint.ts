/**
 * flow_getCheckpoint(sideChainId | cycle): the checkpoint on the main chain (head state) with its
 * status (pending in the challenge window, applied, voided), signers and entries; null if none.
 * A sideChainId is matched against keccak256("NFC-SIDECHAIN" ‖ u64be(c)) of the cycles so far
 * (one keccak per cycle, at most a million back). seedHash (null until the engine recorded it) and
 * each entry's slice challenge state tell a provider which openings it owes (DESIGN §12 audits).
 */
import { bytesToHex } from '@ethereumjs/util'
import { readCheckpoint } from '../../src/consensus/povf/views.js'
import { defineMethod, hash, required, uint64, type Validator } from '../params.js'
import { flowOfNode, headState, hexQ } from './common.js'

/** an entry's challenge word (consensus/povf/store.ts Challenge: 0 none, 1 open, 2 answered) by name */
const CHALLENGE_NAMES = ['none', 'open', 'answered'] as const

/** a 32-byte sideChainId, or a cycle number */
const cycleOrId: Validator<{ id: Uint8Array } | { cycle: bigint }> = (v) => (typeof v === 'string' && v.length === 66 ? { id: hash(v) } : { cycle: uint64(v) })

export const flow_getCheckpoint = defineMethod('flow_getCheckpoint', [required(cycleOrId)], async ([ref], ctx) => {
  const node = ctx.node
  const { state } = await headState(node)
  const cycle = 'cycle' in ref ? ref.cycle : flowOfNode(node).cycleOf(ref.id)
  if (cycle === null) return null
  const cp = await readCheckpoint(state, cycle)
  if (cp === null) return null
  return {
    sideChainId: cp.sideChainId,
    cycle: hexQ(cp.cycle),
    checkpointHash: cp.checkpointHash,
    status: cp.status,
    totalBytes: hexQ(cp.totalBytes),
    totalsRoot: cp.totalsRoot,
    signers: cp.signers,
    committedAt: hexQ(cp.committedAt),
    challengeEndsAt: hexQ(cp.challengeEndsAt),
    seedHash: /^0x0*$/.test(cp.seedHash) ? null : cp.seedHash,
    entries: cp.entries.map((e) => ({
      sessionId: bytesToHex(e.sessionId),
      consumer: e.consumer,
      provider: e.provider,
      relays: e.relays,
      seq: hexQ(e.seq),
      prevTotal: hexQ(e.prevTotal),
      total: hexQ(e.total),
      sampleRoot: bytesToHex(e.sampleRoot),
      receiptHash: bytesToHex(e.receiptHash),
      status: e.status,
      challenge: CHALLENGE_NAMES[Number(e.challenge)] ?? 'none',
    })),
  }
})
