/**
 * Flow (Proof of Valuable Flow): cycle, cumulative traffic, current EB and reward rate, top
 * providers; the side-chain and its last checkpoint; the supply and pools. Every part comes from
 * a flow_ / nfc_ method a node may not have: the view says so and shows the rest.
 */
import { useExplorer } from '../context.js'
import { abbreviate, fit, formatBytes, formatLocalTime, formatNfc, num, thousands } from '../format.js'
import { loadFlow } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { field, heading, partProblem, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

const n = (v: unknown) => (num(v) === undefined ? '—' : thousands(num(v)!))

export function FlowView({ height, active }: { height: number; active: boolean }) {
  const x = useExplorer()
  const { data: d, error, loading } = useLoader(() => loadFlow(x.client), [x.head])
  let lines: Line[]
  if (d === undefined) lines = statusLines(loading, error, 'flow')
  else if (!d.stats.ok && d.stats.missing && !d.sideChain.ok && d.sideChain.missing && !d.supply.ok && d.supply.missing) {
    lines = [
      { text: 'flow: not available on this node', color: 'yellow' },
      { text: '(it has no flow_ / nfc_ methods yet)', dim: true },
    ]
  } else {
    const aw = Math.max(14, Math.min(42, x.columns - 40))
    lines = [heading('Traffic')]
    if (!d.stats.ok) lines.push({ text: partProblem(d.stats, 'flow stats')!, dim: true })
    else {
      const s = d.stats.value ?? {}
      lines.push(
        field('Cycle', n(s.cycle)),
        field('Traffic total', formatBytes(s.cumulativeBytes)),
        field('Current EB', s.currentEB === undefined ? '—' : formatBytes(s.currentEB)),
        field('Reward rate', s.rewardPerGB === undefined ? '—' : `${formatNfc(s.rewardPerGB)} per GB`),
        field('Traffic pool', s.trafficPoolRemaining === undefined ? '—' : formatNfc(s.trafficPoolRemaining, 0)),
        field('Checkpoints', n(s.checkpoints)),
      )
      const top: { address: string; bytes?: string; rewards?: string }[] = Array.isArray(s.topProviders) ? s.topProviders : []
      lines.push(heading(`Top providers (${top.length})`))
      top.forEach((p, i) =>
        lines.push({
          key: `p${p.address}`,
          text: `${fit(String(i + 1), 4)}${fit(abbreviate(p.address, aw), aw)} ${fit(formatBytes(p.bytes), 12, 'right')} ${fit(formatNfc(p.rewards ?? '0x0', 2), 20, 'right')}`,
          open: { kind: 'account', address: p.address },
        }),
      )
    }
    lines.push(heading('Side-chain'))
    if (!d.sideChain.ok) lines.push({ text: partProblem(d.sideChain, 'side-chain')!, dim: true })
    else if (d.sideChain.value === null) lines.push({ text: 'none', dim: true })
    else {
      const sc = d.sideChain.value
      lines.push(
        field('Id', String(sc.sideChainId ?? '—')),
        field('Cycle', n(sc.cycle)),
        field('Height', `${n(sc.height)}  ${sc.headHash ? abbreviate(sc.headHash, aw) : ''}`),
        field('Receipts', `${n(sc.receipts)}  (${formatBytes(sc.pendingBytes)} pending)`),
        field('Committee', Array.isArray(sc.committee) ? `${sc.committee.length} member(s)` : '—'),
      )
      if (d.checkpoint.ok && d.checkpoint.value) {
        const c = d.checkpoint.value
        const ends = num(c.challengeEndsAt)
        lines.push(
          field(
            'Checkpoint',
            `cycle ${n(c.cycle)}  ${c.status ?? '?'}  ${formatBytes(c.totalBytes)}  ${Array.isArray(c.signers) ? c.signers.length : 0} signer(s)`,
            16,
            {
              color: c.status === 'voided' ? 'red' : c.status === 'applied' ? 'green' : 'yellow',
            },
          ),
        )
        if (ends !== undefined) lines.push(field('', `challenge ends ${formatLocalTime(ends)}`, 16, { dim: true }))
      } else if (!d.checkpoint.ok && !d.checkpoint.missing) lines.push({ text: partProblem(d.checkpoint, 'checkpoint')!, dim: true })
    }
    lines.push(heading('Supply'))
    if (!d.supply.ok) lines.push({ text: partProblem(d.supply, 'supply')!, dim: true })
    else {
      const s = d.supply.value ?? {}
      const pools = s.pools ?? {}
      lines.push(
        field('Total', formatNfc(s.total, 0)),
        field('Issued', formatNfc(s.issued, 0)),
        field('Circulating', formatNfc(s.circulating, 0)),
        field('Locked', formatNfc(s.locked, 0)),
        field('Burned', formatNfc(s.burned, 2)),
        field('Pools', `shared ${formatNfc(pools.shared, 0)}, blocks ${formatNfc(pools.blockMining, 0)}`),
        field('', `traffic ${formatNfc(pools.trafficMining, 0)}, team ${formatNfc(pools.teamVesting, 0)}`),
      )
    }
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}
