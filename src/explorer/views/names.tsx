/**
 * Names (SoFa DNS, Names 0x…1007): the records in registration order, live and expired, a page at
 * a time (n / p): name, owner, endpoint, expiry at the chain's time. Enter opens the name. Opened
 * from an account, only the names it owns.
 */
import { useRef } from 'react'
import { useExplorer } from '../context.js'
import { abbreviate, formatAge, formatLocalTime, num } from '../format.js'
import { loadNames } from '../systemQueries.js'
import { useLoader } from '../useLoader.js'
import { useHeadRefresh } from '../useHeadRefresh.js'
import { usePages } from '../usePages.js'
import { cells, heading, pageLine, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

export function NamesView({ owner, height, active }: { owner?: string; height: number; active: boolean }) {
  const x = useExplorer()
  const failed = useRef(false)
  const head = useHeadRefresh(() => false, failed.current)
  const pages = usePages<string | null>(null)
  const { data: d, error, loading } = useLoader(() => loadNames(x.client, pages.cursor, owner), [owner, pages.cursor, head])
  failed.current = error !== undefined
  let lines: Line[]
  if (d === undefined) lines = statusLines(loading, error, 'names')
  else {
    const now = Number(d.nowMs)
    const expW = 21
    const ownerW = owner === undefined ? Math.max(13, Math.min(42, Math.floor((x.columns - 3 - 20 - expW - 3) / 2))) : 0
    const endW = Math.max(10, x.columns - 3 - 20 - ownerW - expW - 3)
    lines = [heading(`Names${owner === undefined ? '' : ` of ${abbreviate(owner, 20)}`}  Enter: the record`)]
    if (d.names.length === 0) lines.push({ text: pages.page === 1 ? 'none' : 'no more names', dim: true })
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
    if (pages.page > 1 || d.next !== null) lines.push(pageLine(pages.page, d.next !== null, loading))
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  // a new page starts at its top
  return <Scroller key={pages.page} lines={lines} height={height} active={active} onOpen={x.open} onKey={(input) => pages.onKey(input, d?.next)} />
}
