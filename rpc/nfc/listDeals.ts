/**
 * nfc_listDeals([{provider, client, cursor, limit}[, block]]): storage deals by ascending id, one page
 * at a time; `provider` / `client` keep only that party's deals (a page reads at most
 * MAX_DEALS_SCANNED ids, so it may hold fewer than `limit`); `cursor` is the previous page's
 * `next` (a deal id, hex), null on the last page.
 */
import { listDeals } from '../../src/consensus/deals/views.js'
import { stateFor } from '../dpos/common.js'
import { hexQ } from '../format.js'
import { blockTag, defineMethod, optional } from '../params.js'
import { dealJson, DEFAULT_DEALS_LIMIT, pageOptions } from './deals.js'

export const nfc_listDeals = defineMethod('nfc_listDeals', [optional(pageOptions(['provider', 'client'])), optional(blockTag)], async ([opts, ref], ctx) => {
  const { state } = await stateFor(ctx.node, ref)
  const o = opts ?? { limit: DEFAULT_DEALS_LIMIT }
  const page = await listDeals(state, { from: o.cursor ?? 1n, limit: o.limit, provider: o.provider, client: o.client })
  return { deals: page.deals.map(dealJson), next: page.next === null ? null : hexQ(page.next) }
})
