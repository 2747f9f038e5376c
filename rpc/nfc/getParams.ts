/**
 * nfc_getParams([block]): every parameter governance may change (src/consensus/gov/params.ts) —
 * its value in force at the block, its genesis value, the bounds a proposal must respect and
 * the history of executed changes (block, proposal, value) — and the governance rules of the
 * chain (voting period, timelock, quorum, majority, range factor) with the proposal count.
 */
import { readParams } from '../../src/consensus/gov/views.js'
import { blockTag, defineMethod, optional } from '../params.js'
import { hexQ } from '../format.js'
import { stateFor } from '../dpos/common.js'

export const nfc_getParams = defineMethod('nfc_getParams', [optional(blockTag)], async ([ref], ctx) => {
  const node = ctx.node
  const { state } = await stateFor(node, ref)
  const v = await readParams(state, node.chain.dpos)
  return {
    params: v.params.map((p) => ({
      name: p.name,
      value: hexQ(p.value),
      genesis: hexQ(p.genesis),
      min: hexQ(p.min),
      max: hexQ(p.max),
      history: p.history.map((h) => ({ block: hexQ(h.block), proposal: hexQ(h.proposal), value: hexQ(h.value) })),
    })),
    rules: {
      votingSec: Number(v.rules.votingMs / 1000n),
      timelockSec: Number(v.rules.timelockMs / 1000n),
      quorumBps: Number(v.rules.quorumBps),
      majorityBps: Number(v.rules.majorityBps),
      rangeFactor: Number(v.rules.rangeFactor),
    },
    proposals: hexQ(v.proposals),
  }
})
