/**
 * dpos_getWitnesses([block]): the seats in force (null = vacant) with each witness's trust,
 * votes and production counters, the standby list in rank order, and an election result
 * waiting for its first round.
 */
import { readCandidates, readWitnesses } from '../../src/consensus/dpos/views.js'
import { blockTag, defineMethod, optional } from '../params.js'
import { hexQ, stateFor, trustJson } from './common.js'

export const dpos_getWitnesses = defineMethod('dpos_getWitnesses', [optional(blockTag)], async ([ref], ctx) => {
  const { block, state } = await stateFor(ctx.node, ref)
  const view = await readWitnesses(state)
  const byAddress = new Map((await readCandidates(state)).map((c) => [c.address, c]))
  return {
    blockNumber: hexQ(block.header.number),
    cycle: hexQ(view.cycle),
    witnesses: view.seats.map((a, seat) => {
      if (a === null) return null
      const c = byAddress.get(a)
      return {
        address: a,
        seat,
        trust: c === undefined ? null : trustJson(c.trust),
        votes: c === undefined ? null : hexQ(c.votes),
        produced: c === undefined ? null : hexQ(c.produced),
        missed: c === undefined ? null : hexQ(c.missed),
        lastConfirmed: c === undefined ? null : hexQ(c.lastConfirmed),
        bonusRatioBps: c === undefined ? null : Number(c.bonusRatioBps),
      }
    }),
    standby: view.standby,
    pending:
      view.pending === null ? null : { activationRound: hexQ(view.pending.activationRound), witnesses: view.pending.seats, standby: view.pending.standby },
  }
})
