/**
 * Names (SoFa DNS, Names 0x…1007): the records in registration order, live and expired, a page at
 * a time (n / p): name, owner, endpoint, expiry at the chain's time. Enter opens the name. Opened
 * from an account, only the names it owns.
 */
import { useExplorer } from '../context.js'
import { abbreviate, formatAge, formatLocalTime, num } from '../format.js'
import { loadNames } from '../systemQueries.js'
import { cells, heading } from './common.js'
import { PagedView } from './pagedView.js'
import type { Line } from './scroller.js'

export function NamesView({ owner, height, active }: { owner?: string; height: number; active: boolean }) {
  const x = useExplorer()
  return (
    <PagedView
      what="names"
      first={null as string | null}
      load={(cursor) => loadNames(x.client, cursor, owner)}
      deps={[owner]}
      height={height}
      active={active}
      render={(d, page) => {
        const now = Number(d.nowMs)
        const expW = 21
        const ownerW = owner === undefined ? Math.max(13, Math.min(42, Math.floor((x.columns - 3 - 20 - expW - 3) / 2))) : 0
        const endW = Math.max(10, x.columns - 3 - 20 - ownerW - expW - 3)
        const lines: Line[] = [heading(`Names${owner === undefined ? '' : ` of ${abbreviate(owner, 20)}`}  Enter: the record`)]
        if (d.names.length === 0) lines.push({ text: page === 1 ? 'none' : 'no more names', dim: true })
        else
          lines.push({
            text: `  ${cells(['name', 20], ...(ownerW > 0 ? [['owner', ownerW] as [string, number]] : []), ['endpoint', endW], ['expires', expW])}`,
            dim: true,
          })
        for (const n of d.names) {
          const exp = num(n.expiresAt) ?? 0
          const expired = n.status !== 'active'
          lines.push({
            key: `n${n.name}`,
            text: cells(
              [n.name, 20],
              ...(ownerW > 0 ? [[abbreviate(n.owner, ownerW), ownerW] as [string, number]] : []),
              [n.endpoint === '' ? '—' : n.endpoint, endW],
              [`${formatLocalTime(exp).slice(0, 10)} ${expired ? 'expired' : `in ${formatAge(exp - now)}`}`, expW],
            ),
            dim: expired,
            open: { kind: 'name', name: n.name },
          })
        }
        return { lines, next: d.next }
      }}
    />
  )
}
