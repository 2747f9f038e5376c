/** dpos_getVotes(address[, block]): a voter's positions (votes and claimable reward per candidate) and its unbonding NFC. */
import { readVoter } from '../../src/consensus/dpos/views.js'
import { address, blockTag, defineMethod, optional, required } from '../params.js'
import { hexQ, stateFor } from './common.js'

export const dpos_getVotes = defineMethod('dpos_getVotes', [required(address), optional(blockTag)], async ([addr, ref], ctx) => {
  const { state } = await stateFor(ctx.node, ref)
  const v = await readVoter(state, addr)
  let total = 0n
  for (const p of v.positions) total += p.votes
  return {
    total: hexQ(total),
    positions: v.positions.map((p) => ({ candidate: p.candidate, votes: hexQ(p.votes), pendingReward: hexQ(p.pendingReward) })),
    unbonding: v.unbonding.map((u) => ({ amount: hexQ(u.amount), releaseTime: hexQ(u.releaseTime) })),
  }
})
