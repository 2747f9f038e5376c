/**
 * Payment channels (DESIGN §13, PaymentChannels 0x…1005): every channel newest first, or — opened
 * from an account — those it is a party of, in opening order; a page at a time (n / p). Each row:
 * id, status, consumer → provider, deposit, redeemed, and when a closing channel can be
 * withdrawn. Enter opens the channel.
 */
import { useExplorer } from '../context.js'
import { abbreviate, formatAge, formatNb, thousands } from '../format.js'
import { CHANNELS_PAGE, loadChannels, type Channel } from '../systemQueries.js'
import { cells, heading } from './common.js'
import { PagedView } from './pagedView.js'
import type { Line } from './scroller.js'

export const CHANNEL_COLORS: Record<string, string> = { open: 'green', closing: 'yellow', closed: 'gray' }

/** "open", "closing, in 3m 02s", "closing, withdrawable", "closed" */
export function channelState(c: Channel, nowMs: bigint): string {
  if (c.status !== 'closing') return c.status
  return c.closeAt > nowMs ? `closing, in ${formatAge(Number(c.closeAt - nowMs))}` : 'closing, withdrawable'
}

export function ChannelsView({ address, height, active }: { address?: string; height: number; active: boolean }) {
  const x = useExplorer()
  return (
    <PagedView
      what="payment channels"
      first={0}
      load={(cursor) => loadChannels(x.client, address, cursor)}
      deps={[address]}
      height={height}
      active={active}
      render={(c, _page, cursor) => {
        const partyW = Math.max(13, Math.min(42, Math.floor((x.columns - 3 - (6 + 20 + 12 + 12 + 5)) / 2)))
        const whose = address === undefined ? '' : ` of ${abbreviate(address, 20)}`
        const lines: Line[] = [heading(`Payment channels${whose} (${thousands(c.total)})${c.total > 0n ? '  Enter: details' : ''}`)]
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
        return { lines, next: BigInt((cursor + 1) * CHANNELS_PAGE) < c.total ? cursor + 1 : null }
      }}
    />
  )
}
