/**
 * Storage (DESIGN §14, Flowcoin): the proof period at the head, the providers' offers (Enter
 * opens the provider), then the deals by id a page at a time (n / p) — status, size, periods
 * proved of the term, price, provider — Enter opens a deal. Opened from an account, the deals are
 * that account's as client or as provider.
 */
import { useRef } from 'react'
import { useExplorer } from '../context.js'
import { abbreviate, formatBytes, formatNb, formatNfc, thousands } from '../format.js'
import { dealProgress, loadStorage, type DealFilter } from '../dealQueries.js'
import { useLoader } from '../useLoader.js'
import { useHeadRefresh } from '../useHeadRefresh.js'
import { usePages } from '../usePages.js'
import { cells, field, heading, pageLine, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

export const DEAL_COLORS: Record<string, string> = { active: 'green', posted: 'yellow', slashed: 'red', cancelled: 'gray' }

export function StorageView({ filter = {}, height, active }: { filter?: DealFilter; height: number; active: boolean }) {
  const x = useExplorer()
  const failed = useRef(false)
  const head = useHeadRefresh(() => false, failed.current)
  const pages = usePages<string | null>(null)
  const { data: s, error, loading } = useLoader(() => loadStorage(x.client, pages.cursor, filter), [pages.cursor, head, filter.client, filter.provider])
  failed.current = error !== undefined
  let lines: Line[]
  if (s === undefined) lines = statusLines(loading, error, 'storage')
  else {
    const p = s.params
    const room = x.columns - 3
    lines = [
      heading('Storage'),
      field('Period', `#${thousands(p.period)}  (${thousands(p.periodSec)} s each, ${p.proofLeaves} chunks proved per deal and period)`),
      field('Collateral', `${formatNfc(p.collateral)} per deal, put up by the provider`),
    ]
    if (filter.client === undefined && filter.provider === undefined) {
      // provider (an address, cut to what is left) price 22, max file 10, endpoint (at least 21)
      const provW = Math.max(13, Math.min(42, room - (22 + 10 + 3) - 21))
      const endW = Math.max(10, room - provW - (22 + 10 + 3))
      lines.push(heading(`Offers (${s.offers.length}${s.moreOffers ? '+' : ''})`))
      if (s.offers.length === 0) lines.push({ text: 'none (nfc storage provide)', dim: true })
      else lines.push({ text: `  ${cells(['provider', provW], ['NB per MiB·period', 22, 'right'], ['max file', 10, 'right'], ['endpoint', endW])}`, dim: true })
      for (const o of s.offers) {
        lines.push({
          key: `o${o.provider}`,
          text: cells([abbreviate(o.provider, provW), provW], [formatNb(o.price), 22, 'right'], [formatBytes(o.maxBytes), 10, 'right'], [o.endpoint, endW]),
          open: { kind: 'account', address: o.provider },
        })
      }
    }
    const whose =
      filter.client !== undefined
        ? ` of client ${abbreviate(filter.client, 20)}`
        : filter.provider !== undefined
          ? ` of provider ${abbreviate(filter.provider, 20)}`
          : ''
    const partyW = Math.max(13, room - (6 + 10 + 9 + 8 + 16 + 5))
    lines.push(heading(`Deals${whose}  Enter: details`))
    if (s.deals.length === 0) lines.push({ text: pages.page === 1 ? 'none' : 'no more deals', dim: true })
    else
      lines.push({
        text: `  ${cells(['id', 6], ['status', 10], ['size', 9, 'right'], ['proved', 8, 'right'], ['price', 16, 'right'], [filter.provider ? 'client' : 'provider', partyW])}`,
        dim: true,
      })
    for (const d of s.deals) {
      const g = dealProgress(d, p.period)
      lines.push({
        key: `d${d.id}`,
        text: cells(
          [`#${d.id}`, 6],
          [d.status, 10],
          [formatBytes(d.size), 9, 'right'],
          [`${g.proved}/${d.periods}`, 8, 'right'],
          [formatNb(d.price), 16, 'right'],
          [abbreviate(filter.provider ? d.client : d.provider, partyW), partyW],
        ),
        color: DEAL_COLORS[d.status],
        open: { kind: 'deal', id: d.id.toString() },
      })
    }
    if (pages.page > 1 || s.next !== null) lines.push(pageLine(pages.page, s.next !== null, loading))
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  // a new page starts at its top
  return <Scroller key={pages.page} lines={lines} height={height} active={active} onOpen={x.open} onKey={(input) => pages.onKey(input, s?.next)} />
}
