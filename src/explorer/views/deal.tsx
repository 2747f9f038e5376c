/**
 * One storage deal: parties (Enter opens them), the file (root, size), the term in periods, the
 * NB price and where it went (paid per proved period, refunded, still in escrow), periods proved
 * and missed, the provider's NFC collateral and slash, and — while it is active — the challenge
 * of the period at the head: the seed and the chunks the provider must prove.
 */
import { useExplorer } from '../context.js'
import { abbreviate, clip, formatBytes, formatNb, formatNfc, thousands, wrap } from '../format.js'
import { dealProgress, loadDeal } from '../dealQueries.js'
import { useLoader } from '../useLoader.js'
import { field, heading, partProblem, statusLines } from './common.js'
import { DEAL_COLORS } from './storage.js'
import { Scroller, type Line } from './scroller.js'

/** bytes per chunk of a deal's file tree (src/deals/fileTree.ts) */
const CHUNK = 4096n

export function DealView({ id, height, active }: { id: string; height: number; active: boolean }) {
  const x = useExplorer()
  // every head: a period's settlement and its new challenge come in blocks without transactions
  const { data: r, error, loading } = useLoader(() => loadDeal(x.client, BigInt(id)), [id, x.head])
  let lines: Line[]
  if (r === undefined || r === null) lines = r === null ? [{ text: `no deal #${id} on this chain`, color: 'yellow' }] : statusLines(loading, error, 'deal')
  else {
    const { deal: d, params } = r
    const g = dealProgress(d, params.period)
    const w = x.columns - 18
    const accepted = d.firstPeriod > 0n
    lines = [
      heading(`Deal #${d.id}`),
      field('Status', d.status, 16, { color: DEAL_COLORS[d.status], bold: true }),
      field('Client', abbreviate(d.client, w), 16, { open: { kind: 'account', address: d.client }, key: 'client' }),
      field('Provider', abbreviate(d.provider, w), 16, { open: { kind: 'account', address: d.provider }, key: 'provider' }),
      field('Endpoint', r.offer ? clip(r.offer.endpoint, w) : 'no offer now', 16, { dim: !r.offer }),
      field('Root', abbreviate(d.root, w)),
      field('Size', `${formatBytes(d.size)}  (${thousands(d.size)} bytes, ${thousands((d.size + CHUNK - 1n) / CHUNK)} chunks)`),
      field(
        'Term',
        accepted
          ? `${thousands(d.periods)} periods: #${thousands(d.firstPeriod)} … #${thousands(d.lastPeriod)}  (now #${thousands(params.period)})`
          : `${thousands(d.periods)} periods, from the period after the provider accepts`,
      ),
      field('Price', `${formatNb(d.price)}  (${formatNb(g.perPeriod)} per period)`),
      field('Paid', `${formatNb(d.paid)} to the provider`),
      field('Refunded', `${formatNb(d.refunded)} to the client${g.refundedPeriods > 0n ? `  (${g.refundedPeriods} period(s))` : ''}`),
      field('Escrow left', formatNb(g.escrowLeft)),
      field('Proved', `${thousands(g.proved)} of ${thousands(d.periods)} periods${d.provedPeriod > 0n ? `  (last #${thousands(d.provedPeriod)})` : ''}`),
      field('Missed', g.missed > 0n ? `${g.missed}: the provider was slashed and the deal ended` : '0', 16, { color: g.missed > 0n ? 'red' : undefined }),
      field('Collateral', accepted ? formatNfc(d.collateral) : 'none yet (put up on accept)'),
      field('Slashed', formatNfc(d.slashed), 16, { color: d.slashed > 0n ? 'red' : undefined }),
    ]
    if (d.endedPeriod > 0n) lines.push(field('Ended', `in period #${thousands(d.endedPeriod)}`))
    lines.push(heading('Challenge'))
    if (r.challenge === undefined) {
      const why =
        d.status === 'active'
          ? `the term starts in period #${thousands(d.firstPeriod)}`
          : d.status === 'posted'
            ? 'not accepted yet'
            : `none: the deal is ${d.status}`
      lines.push({ text: why, dim: true })
    } else if (!r.challenge.ok) lines.push({ text: partProblem(r.challenge, 'challenge')!, color: 'yellow' })
    else {
      const c = r.challenge.value
      const proved = d.provedPeriod === c.period
      lines.push(
        field('Period', `#${thousands(c.period)}  ${proved ? 'proved' : 'to prove before the period ends'}`, 16, { color: proved ? 'green' : 'yellow' }),
        field('Seed', abbreviate(c.periodHash, w)),
        ...chunkLines(c.indexes, c.leafCount, x.columns),
      )
    }
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}

/** "Chunks   3, 17, 40 … (k of n)", wrapped under itself. */
function chunkLines(indexes: bigint[], leafCount: bigint, columns: number): Line[] {
  const text = `${indexes.map(String).join(', ')}  (${indexes.length} of ${thousands(leafCount)})`
  return wrap(text, columns - 2, 'Chunks'.padEnd(16), ' '.repeat(16)).map((t) => ({ text: t }))
}
