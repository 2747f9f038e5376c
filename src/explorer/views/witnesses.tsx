/**
 * Witnesses: this round's production order with the current slot's owner marked, each with
 * trust, produced / missed, votes and bonus ratio; then the standby candidates in rank order.
 * Enter opens the witness's account.
 */
import { useExplorer } from '../context.js'
import { abbreviate, fit, formatBps, formatNfc, num, thousands } from '../format.js'
import { loadWitnesses, type WitnessRow } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { heading, partProblem, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

export function WitnessesView({ height, active }: { height: number; active: boolean }) {
  const x = useExplorer()
  const { data: d, error, loading } = useLoader(() => loadWitnesses(x.client), [x.head])
  let lines: Line[]
  if (d === undefined) lines = statusLines(loading, error, 'witnesses')
  else {
    const addrW = Math.max(14, Math.min(42, x.columns - 58))
    const row = (pos: string, r: WitnessRow | undefined, address: string) =>
      `${fit(pos, 4)}${fit(abbreviate(address, addrW), addrW)} ${fit(r?.trust == null ? '—' : String(r.trust), 7, 'right')} ${fit(r?.produced == null ? '—' : thousands(num(r.produced)!), 9, 'right')} ${fit(r?.missed == null ? '—' : thousands(num(r.missed)!), 7, 'right')} ${fit(r?.votes == null ? '—' : formatNfc(r.votes, 0), 16, 'right')} ${fit(r?.bonusRatioBps == null ? '—' : formatBps(r.bonusRatioBps), 6, 'right')}`
    const head = `${fit('#', 4)}${fit('witness', addrW)} ${fit('trust', 7, 'right')} ${fit('produced', 9, 'right')} ${fit('missed', 7, 'right')} ${fit('votes', 16, 'right')} ${fit('bonus', 6, 'right')}`
    const byAddress = new Map<string, WitnessRow>()
    if (d.candidates.ok) for (const c of d.candidates.value ?? []) byAddress.set(c.address.toLowerCase(), c)
    if (d.witnesses.ok) for (const w of d.witnesses.value.witnesses ?? []) if (w) byAddress.set(w.address.toLowerCase(), w)
    lines = []
    const s = d.schedule.ok ? d.schedule.value : undefined
    const owner = s?.owner?.toLowerCase()
    if (s) lines.push(heading(`Round ${num(s.round) ?? '?'}  slot ${num(s.slot) ?? '?'}  now producing: ${owner ? abbreviate(owner, addrW) : '—'}`))
    else lines.push({ text: partProblem(d.schedule, 'schedule')!, color: 'yellow' })
    lines.push({ text: '  ' + head, dim: true })
    const order = s?.order ?? (d.witnesses.ok ? (d.witnesses.value.witnesses ?? []).filter((w): w is WitnessRow => w !== null).map((w) => w.address) : [])
    order.forEach((a, i) => {
      const isOwner = a.toLowerCase() === owner
      lines.push({
        key: `w${i}`,
        text: row(isOwner ? `${i + 1}●` : String(i + 1), byAddress.get(a.toLowerCase()), a),
        mark: isOwner,
        color: isOwner ? 'green' : undefined,
        open: { kind: 'account', address: a },
      })
    })
    if (!d.witnesses.ok) lines.push({ text: partProblem(d.witnesses, 'witnesses')!, color: 'yellow' })
    const seated = new Set(order.map((a) => a.toLowerCase()))
    lines.push(heading('Standby candidates'))
    if (!d.candidates.ok) lines.push({ text: partProblem(d.candidates, 'candidates')!, color: 'yellow' })
    else {
      const standby = (d.candidates.value ?? []).filter((c) => !seated.has(c.address.toLowerCase()) && !c.removed)
      if (standby.length === 0) lines.push({ text: 'none', dim: true })
      standby.forEach((c, i) => lines.push({ key: `s${c.address}`, text: row(String(i + 1), c, c.address), open: { kind: 'account', address: c.address } }))
    }
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}
