/** One name of the Names contract (0x…1007): owner (Enter opens the account), node id, endpoint, expiry and lock. */
import { useExplorer } from '../context.js'
import { abbreviate, clip, formatAge, formatLocalTime, formatNfc, num } from '../format.js'
import { loadName } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { field, heading, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

const ZERO32 = '0x' + '0'.repeat(64)

export function NameView({ name, height, active }: { name: string; height: number; active: boolean }) {
  const x = useExplorer()
  const { data: d, error, loading } = useLoader(() => loadName(x.client, name), [name, x.head])
  let lines: Line[]
  if (d === undefined) lines = statusLines(loading, error, 'name')
  else if ('problem' in d) lines = [heading(`Name ${name}`), { text: d.problem, color: 'yellow' }]
  else {
    const r = d.record
    const w = x.columns - 18
    const expires = num(r.expiresAt)
    lines = [
      heading(`Name ${r.name}`),
      field('Owner', abbreviate(r.owner, w), 16, { open: { kind: 'account', address: r.owner }, key: 'owner' }),
      field('Node id', r.nodeId === ZERO32 ? 'none' : abbreviate(r.nodeId, w)),
      field('Endpoint', r.endpoint === '' ? 'none' : clip(r.endpoint, w)),
      field('Expires', expires === undefined ? '—' : `${formatLocalTime(expires)}${expires > x.now ? ` (in ${formatAge(expires - x.now)})` : ''}`),
      field('Lock', formatNfc(r.lock)),
    ]
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}
