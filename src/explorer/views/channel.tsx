/** One payment channel: consumer and provider (Enter opens them), deposit, redeemed and available NB, status and closing time. */
import { useExplorer } from '../context.js'
import { abbreviate, formatNb, formatWhen } from '../format.js'
import { loadChannel } from '../systemQueries.js'
import { useLoader } from '../useLoader.js'
import { useHeadRefresh } from '../useHeadRefresh.js'
import { field, heading, statusLines } from './common.js'
import { CHANNEL_COLORS, channelState } from './channels.js'
import { Scroller, type Line } from './scroller.js'

export function ChannelView({ id, height, active }: { id: string; height: number; active: boolean }) {
  const x = useExplorer()
  const head = useHeadRefresh()
  const { data: r, error, loading } = useLoader(() => loadChannel(x.client, BigInt(id)), [id, head])
  let lines: Line[]
  if (r === undefined || r === null)
    lines = r === null ? [{ text: `no payment channel #${id} on this chain`, color: 'yellow' }] : statusLines(loading, error, 'channel')
  else {
    const c = r.channel
    const w = x.columns - 18
    lines = [
      heading(`Payment channel #${c.id}`),
      field('Status', channelState(c, r.nowMs), 16, { color: CHANNEL_COLORS[c.status], bold: true }),
      field('Consumer', abbreviate(c.consumer, w), 16, { open: { kind: 'account', address: c.consumer }, key: 'consumer' }),
      field('Provider', abbreviate(c.provider, w), 16, { open: { kind: 'account', address: c.provider }, key: 'provider' }),
      field('Deposit', formatNb(c.deposit)),
      field('Redeemed', `${formatNb(c.redeemed)} by the provider`),
      field('Available', formatNb(c.available)),
      field(
        'Closing',
        c.closeAt === 0n ? 'not requested' : `${c.status === 'closed' ? 'closed' : 'withdrawable from'} ${formatWhen(Number(c.closeAt), Number(r.nowMs))}`,
      ),
    ]
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}
