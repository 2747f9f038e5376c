/** dpos_getTrust(address[, block]): a candidate's trust value (a JSON number; null when not a candidate). */
import { readTrust } from '../../src/consensus/dpos/views.js'
import { address, blockTag, defineMethod, optional, required } from '../params.js'
import { stateFor, trustJson } from './common.js'

export const dpos_getTrust = defineMethod('dpos_getTrust', [required(address), optional(blockTag)], async ([addr, ref], ctx) => {
  const { state } = await stateFor(ctx.node, ref)
  const t = await readTrust(state, addr)
  return t === null ? null : trustJson(t)
})
