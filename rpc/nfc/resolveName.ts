/**
 * nfc_resolveName(name[, block]): the live record of a name in the Names contract (0x…1007):
 * owner, node id, endpoint, expiry (ms) and lock, at the block's time. An invalid name is an
 * invalid parameter (-32602, the syntax rule in the message); a name without a record or past
 * its expiry is -32000 with data.code NAME_UNKNOWN / NAME_EXPIRED.
 */
import { resolveName } from '../../src/consensus/names/views.js'
import { stateFor } from '../dpos/common.js'
import { blockTag, defineMethod, optional, required } from '../params.js'
import { nameJson, nameParam } from './names.js'

export const nfc_resolveName = defineMethod('nfc_resolveName', [required(nameParam), optional(blockTag)], async ([name, ref], ctx) => {
  const { block, state } = await stateFor(ctx.node, ref)
  return nameJson(await resolveName(state, name, block.header.timestamp))
})
