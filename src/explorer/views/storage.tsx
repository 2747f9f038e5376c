/**
 * Storage (DESIGN §14, Flowcoin): the proof period at the head, the providers' offers (Enter
 * opens the provider), then the deals by id a page at a time (n / p) — status, size, periods
 * proved of the term, price, provider — Enter opens a deal. Opened from an account, the deals are
 * that account's as client or as provider.
 */
import { useExplorer } from '../context.js'
import { abbreviate, formatBytes, formatNb, formatNfc, thousands } from '../format.js'
import { dealProgress, loadStorage, type DealFilter } from '../dealQueries.js'
import { cells, field, heading } from './common.js'
import { PagedView } from './pagedView.js'
import type { Line } from './scroller.js'

export const DEAL_COLORS: Record<string, string> = { active: 'green', posted: 'yellow', slashed: 'red', cancelled: 'gray' }

export function StorageView({ filter = {}, height, active }: { filter?: DealFilter; height: number; active: boolean }) {
  const x = useExplorer()
  return (
    <PagedView
      what="storage"
      first={null as string | null}
      load={(cursor) => loadStorage(x.client, cursor, filter)}
      deps={[filter.client, filter.provider]}
      height={height}
      active={active}
      render={(s, page) => {
        const p = s.params
        const room = x.columns - 3
        const lines: Line[] = [
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
          else
            lines.push({
              text: `  ${cells(['provider', provW], ['NB per MiB·period', 22, 'right'], ['max file', 10, 'right'], ['endpoint', endW])}`,
              dim: true,
            })
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
        if (s.deals.length === 0) lines.push({ text: page === 1 ? 'none' : 'no more deals', dim: true })
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
        return { lines, next: s.next }
      }}
    />
  )
}
