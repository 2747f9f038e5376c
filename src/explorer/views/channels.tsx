/**
 * Payment channels (DESIGN §13, PaymentChannels 0x…1005): every channel newest first, or — opened
 * from an account — those it is a party of, in opening order; a page at a time (n / p). Each row:
 * id, status, consumer → provider, deposit, redeemed, and when a closing channel can be
 * withdrawn. Enter opens the channel.
 */
import { useRef } from 'react'
import { useExplorer } from '../context.js'
import { abbreviate, formatAge, formatNb, thousands } from '../format.js'
import { CHANNELS_PAGE, loadChannels, type Channel } from '../systemQueries.js'
import { useLoader } from '../useLoader.js'
import { useHeadRefresh } from '../useHeadRefresh.js'
import { usePages } from '../usePages.js'
import { cells, heading, pageLine, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

export const CHANNEL_COLORS: Record<string, string> = { open: 'green', closing: 'yellow', closed: 'gray' }

/** "open", "closing, in 3m 02s", "closing, withdrawable", "closed" */
export function channelState(c: Channel, nowMs: bigint): string {
  if (c.status !== 'closing') return c.status
  return c.closeAt > nowMs ? `closing, in ${formatAge(Number(c.closeAt - nowMs))}` : 'closing, withdrawable'
}

export function ChannelsView({ address, height, active }: { address?: string; height: number; active: boolean }) {
  const x = useExplorer()
  const failed = useRef(false)
  const head = useHeadRefresh(() => false, failed.current)
  const pages = usePages(0)
  const { data: c, error, loading } = useLoader(() => loadChannels(x.client, address, pages.cursor), [address, pages.cursor, head])
  failed.current = error !== undefined
  let lines: Line[]
  if (c === undefined) lines = statusLines(loading, error, 'payment channels')
  else {
    const partyW = Math.max(13, Math.min(42, Math.floor((x.columns - 3 - (6 + 20 + 12 + 12 + 5)) / 2)))
    const whose = address === undefined ? '' : ` of ${abbreviate(address, 20)}`
    lines = [heading(`Payment channels${whose} (${thousands(c.total)})${c.total > 0n ? '  Enter: details' : ''}`)]
    if (c.channels.length === 0) lines.push({ text: c.total === 0n ? 'none' : 'no more channels', dim: true })
    else
      lines.push({
        text: `  ${cells(['id', 6], ['status', 20], ['consumer', partyW], ['provider', partyW], ['deposit', 12, 'right'], ['redeemed', 12, 'right'])}`,
        dim: true,
      })
    for (const ch of c.channels) {
      lines.push({
        key: `c${ch.id}`,
        text: cells(
          [`#${ch.id}`, 6],
          [channelState(ch, c.nowMs), 20],
          [abbreviate(ch.consumer, partyW), partyW],
          [abbreviate(ch.provider, partyW), partyW],
          [formatNb(ch.deposit, 2), 12, 'right'],
          [formatNb(ch.redeemed, 2), 12, 'right'],
        ),
        color: CHANNEL_COLORS[ch.status],
        open: { kind: 'channel', id: ch.id.toString() },
      })
    }
    const hasNext = BigInt((pages.cursor + 1) * CHANNELS_PAGE) < c.total
    if (pages.page > 1 || hasNext) lines.push(pageLine(pages.page, hasNext, loading))
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  const hasNext = c !== undefined && BigInt((pages.cursor + 1) * CHANNELS_PAGE) < c.total
  // a new page starts at its top
  return (
    <Scroller
      key={pages.page}
      lines={lines}
      height={height}
      active={active}
      onOpen={x.open}
      onKey={(input) => pages.onKey(input, hasNext ? pages.cursor + 1 : null)}
    />
  )
}
