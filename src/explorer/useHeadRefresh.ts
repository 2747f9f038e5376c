/**
 * When a view that is not about blocks should ask the node again: on a head that can have
 * changed what it shows. A head known (from the block cache) to be an empty block that `touches`
 * does not concern is skipped, unless the last refresh is IDLE_REFRESH_MS old or `failed` says it
 * did not get through; any other head (one with transactions, or not in the cache, as when heads
 * are polled) refreshes.
 */
import { useRef } from 'react'
import { useExplorer } from './context.js'
import type { Block } from './chainCache.js'

/** the longest a view that skips empty heads goes without asking again (ms) */
export const IDLE_REFRESH_MS = 10_000

/** The head number the view should load at: it changes only on the heads that call for a refresh. */
export function useHeadRefresh(touches: (b: Block) => boolean = () => false, failed = false): bigint | undefined {
  const x = useExplorer()
  const last = useRef<{ head?: bigint; at: number }>({ at: 0 })
  const head = x.head
  if (head !== last.current.head) {
    const b = head === undefined ? undefined : x.chain.peek(head)
    const quiet = !failed && b !== undefined && b.transactions.length === 0 && !touches(b)
    if (!quiet || last.current.head === undefined || Date.now() - last.current.at >= IDLE_REFRESH_MS) last.current = { head, at: Date.now() }
  }
  return last.current.head
}
