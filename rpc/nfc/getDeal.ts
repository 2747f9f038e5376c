/**
 * nfc_getDeal(id[, block]): a storage deal of the StorageDeals contract (0x…1008) — parties, file
 * root and size, term (first/last period), NB price, paid and refunded, NFC collateral and slash,
 * the last period proved, status (posted, active, completed, cancelled, slashed). null for an id
 * never given.
 */
import { readDeal } from '../../src/consensus/deals/views.js'
import { stateFor } from '../dpos/common.js'
import { blockTag, defineMethod, optional, quantity, required } from '../params.js'
import { dealJson } from './deals.js'

export const nfc_getDeal = defineMethod('nfc_getDeal', [required(quantity), optional(blockTag)], async ([id, ref], ctx) => {
  const { state } = await stateFor(ctx.node, ref)
  const d = await readDeal(state, id)
  return d === null ? null : dealJson(d)
})
