/**
 * Paging of a list one page at a time: the cursors of the pages seen so far (the first page's,
 * then each page's `next`), so `p` goes back exactly the way `n` came. A cursor is whatever the
 * RPC method pages with (a hex `next`, a start position, a page number).
 */
import { useState } from 'react'

export interface Pages<C> {
  /** the cursor of the page shown */
  cursor: C
  /** 1 for the first page */
  page: number
  /** to the page after this one, whose cursor is `next` (null: this is the last page: nothing happens) */
  older(next: C | null | undefined): void
  /** back one page (nothing on the first) */
  newer(): void
  /** `n` / `p` for a Scroller's onKey, given the next page's cursor */
  onKey(input: string, next: C | null | undefined): void
}

export function usePages<C>(first: C): Pages<C> {
  const [cursors, setCursors] = useState<C[]>([first])
  const older = (next: C | null | undefined) => {
    if (next !== null && next !== undefined) setCursors((c) => [...c, next])
  }
  const newer = () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))
  return {
    cursor: cursors[cursors.length - 1]!,
    page: cursors.length,
    older,
    newer,
    onKey(input, next) {
      if (input === 'n') older(next)
      else if (input === 'p') newer()
    },
  }
}
