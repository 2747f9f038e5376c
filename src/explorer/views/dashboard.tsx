/** Dashboard: chain id, head and finalized head, block time, throughput and gas over the last blocks, peers, sync state. */
import { useExplorer } from '../context.js'
import { abbreviate, blockTimeMs, formatAge, num, thousands } from '../format.js'
import { useRef } from 'react'
import { loadDashboard, type NodeStatus } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { field, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

export const STATS_WINDOW = 20

export function DashboardView({ height, active }: { height: number; active: boolean }) {
  const x = useExplorer()
  // the node status of the last answer: peers and sync state are asked every STATUS_REFRESH_MS, not on every head
  const status = useRef<NodeStatus | undefined>(undefined)
  const {
    data: d,
    error,
    loading,
  } = useLoader(() => (x.head === undefined ? Promise.resolve(undefined) : loadDashboard(x.chain, x.head, STATS_WINDOW, status.current)), [x.head])
  status.current = d?.status
  let lines: Line[]
  if (d === undefined) lines = statusLines(loading || x.head === undefined, error, 'dashboard')
  else {
    const head = d.head
    const headNo = num(head?.number)
    const headTime = head ? blockTimeMs(head) : undefined
    const hashRoom = Math.max(14, x.columns - 45)
    lines = [
      field('Chain id', d.chainId === undefined ? '—' : d.chainId.toString()),
      field('Head', head ? `#${thousands(headNo!)}  ${abbreviate(head.hash, hashRoom)}  ${headTime ? formatAge(x.now - headTime) + ' ago' : ''}` : '—', 16, {
        open: head ? { kind: 'block', ref: head.number } : undefined,
        key: 'head',
      }),
      finalizedLine(d.finalized, headNo),
      field('Block time', d.blockTimeMs === undefined ? '—' : `${(d.blockTimeMs / 1000).toFixed(2)} s   (last ${d.window} blocks)`),
      field('Throughput', d.tps === undefined ? '—' : `${d.tps.toFixed(2)} tx/s`),
      field(
        'Gas used',
        d.gasPerBlock === undefined
          ? '—'
          : `${thousands(Math.round(d.gasPerBlock))} per block${d.gasLimit ? ` (${((d.gasPerBlock * 100) / Number(d.gasLimit)).toFixed(2)}% of ${thousands(d.gasLimit)})` : ''}`,
      ),
      field('Peers', d.peers.ok ? String(d.peers.value) : d.peers.missing ? 'not available on this node' : d.peers.error),
      field(
        'Sync',
        !d.syncing.ok
          ? d.syncing.missing
            ? 'not available on this node'
            : d.syncing.error
          : d.syncing.value === false
            ? 'in sync'
            : `syncing ${num(d.syncing.value.currentBlock)} / ${num(d.syncing.value.highestBlock)}`,
        16,
        { color: d.syncing.ok && d.syncing.value !== false ? 'yellow' : undefined },
      ),
      field('Heads', x.client.mode() === 'ws' ? 'live (WebSocket newHeads)' : 'polling', 16, { dim: true }),
    ]
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}

function finalizedLine(p: import('../queries.js').Part<import('../queries.js').Block | null>, headNo: number | undefined): Line {
  if (!p.ok) return field('Finalized', p.missing ? 'not available on this node' : p.error)
  if (p.value === null) return field('Finalized', 'none yet')
  const n = num(p.value.number)!
  const lag = headNo === undefined ? '' : `   (${headNo - n} behind head)`
  return field('Finalized', `#${thousands(n)}${lag}`, 16, { open: { kind: 'block', ref: p.value.number }, key: 'finalized' })
}
