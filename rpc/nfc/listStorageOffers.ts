/**
 * nfc_listStorageOffers([{cursor, limit}[, block]]): the providers' storage offers (endpoint, NB
 * price per MiB and period, largest file), in the order of their first offer, one page at a time;
 * `cursor` is the previous page's `next` (a list position, hex), null on the last page. The
 * current period and the storage parameters come with it, so a client prices a deal in one call.
 */
import { dealsOf } from '../../src/consensus/dpos/engine.js'
import { periodAt } from '../../src/consensus/deals/rules.js'
import { listOffers } from '../../src/consensus/deals/views.js'
import { stateFor } from '../dpos/common.js'
import { hexQ } from '../format.js'
import { blockTag, defineMethod, optional } from '../params.js'
import { DEFAULT_DEALS_LIMIT, offerJson, pageOptions } from './deals.js'

export const nfc_listStorageOffers = defineMethod('nfc_listStorageOffers', [optional(pageOptions([])), optional(blockTag)], async ([opts, ref], ctx) => {
  const { block, state } = await stateFor(ctx.node, ref)
  const o = opts ?? { limit: DEFAULT_DEALS_LIMIT }
  const cfg = dealsOf(ctx.node.chain.dpos)
  const page = await listOffers(state, { offset: o.cursor ?? 0n, limit: o.limit })
  return {
    offers: page.offers.map(offerJson),
    next: page.next === null ? null : hexQ(page.next),
    period: hexQ(periodAt(block.header.timestamp, cfg)),
    periodSec: hexQ(cfg.periodMs / 1000n),
    proofLeaves: hexQ(BigInt(cfg.proofLeaves)),
    collateral: hexQ(cfg.collateralWei),
  }
})
