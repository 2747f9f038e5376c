/** dpos_getCandidates([block]): every registered candidate, in election rank order (votes, trust, address). */
import { compareCandidates } from '../../src/consensus/dpos/election.js'
import { readCandidates } from '../../src/consensus/dpos/views.js'
import { blockTag, defineMethod, optional } from '../params.js'
import { hexQ, stateFor, trustJson } from './common.js'

export const dpos_getCandidates = defineMethod('dpos_getCandidates', [optional(blockTag)], async ([ref], ctx) => {
  const { state } = await stateFor(ctx.node, ref)
  const list = (await readCandidates(state)).filter((c) => c.registered)
  list.sort(compareCandidates) // the election's rank order
  return list.map((c) => ({
    address: c.address,
    votes: hexQ(c.votes),
    trust: trustJson(c.trust),
    bonusRatioBps: Number(c.bonusRatioBps),
    pendingBonusRatioBps: Number(c.pendingBonusRatioBps),
    removed: c.removed,
    url: c.url,
    pledge: hexQ(c.pledge),
    produced: hexQ(c.produced),
    missed: hexQ(c.missed),
    rewardsUnclaimed: hexQ(c.witnessBalance),
  }))
})
