/**
 * A system's list a page at a time (n / p), refreshed on the heads that can change it: what the
 * Gov, Storage, Channels and Names tabs share. The view gives how a page loads and how a loaded
 * page reads; this adds the loading and failure lines, the page line, the last refresh's failure,
 * and starts each new page at its top.
 */
import { useRef } from 'react'
import { useExplorer } from '../context.js'
import { useHeadRefresh } from '../useHeadRefresh.js'
import { useLoader } from '../useLoader.js'
import { usePages } from '../usePages.js'
import { pageLine, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

/** A loaded page as lines, and the cursor of the page after it (null: the last page). */
export interface PageLines<C> {
  lines: Line[]
  next: C | null
}

export interface PagedViewProps<C, D> {
  /** what is listed, for the loading and failure lines ("names") */
  what: string
  /** the first page's cursor */
  first: C
  load: (cursor: C) => Promise<D>
  /** what else the page depends on (a filter): a change reloads it; keep the length fixed */
  deps: unknown[]
  render: (data: D, page: number, cursor: C) => PageLines<C>
  height: number
  active: boolean
}

export function PagedView<C, D>({ what, first, load, deps, render, height, active }: PagedViewProps<C, D>) {
  const x = useExplorer()
  const failed = useRef(false)
  const head = useHeadRefresh(() => false, failed.current)
  const pages = usePages<C>(first)
  const { data, error, loading } = useLoader(() => load(pages.cursor), [...deps, pages.cursor, head])
  failed.current = error !== undefined
  let lines: Line[]
  let next: C | null = null
  if (data === undefined) lines = statusLines(loading, error, what)
  else {
    const shown = render(data, pages.page, pages.cursor)
    next = shown.next
    lines = [...shown.lines]
    if (pages.page > 1 || next !== null) lines.push(pageLine(pages.page, next !== null, loading))
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller key={pages.page} lines={lines} height={height} active={active} onOpen={x.open} onKey={(input) => pages.onKey(input, next)} />
}
