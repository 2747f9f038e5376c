/**
 * useInput with a handler that always sees the latest render. Ink re-subscribes its listener
 * (and applies isActive) in a passive effect, which React may run only at the next render: a
 * key pressed right after data arrived would go to the handler of the loading screen, or to a
 * view that was just made inactive. Refs set during render avoid both.
 */
import { useCallback, useRef } from 'react'
import { useInput, type Key } from 'ink'

export function useKeys(handler: (input: string, key: Key) => void, active = true): void {
  const ref = useRef(handler)
  const activeRef = useRef(active)
  ref.current = handler
  activeRef.current = active
  const stable = useCallback((input: string, key: Key) => {
    if (!activeRef.current) return
    // several keys in one read (typed fast, tmux send-keys, a paste) arrive as one string:
    // hand them over one at a time so "jj" moves twice, and a line break in it as Enter (Ink
    // flags `return` only when the read is the line break alone: "123\r" must still submit)
    if (input.length > 1 && !key.ctrl && !key.meta) {
      for (const ch of input) {
        if (!activeRef.current) break
        if (ch === '\r' || ch === '\n') ref.current('', { ...key, return: true })
        else ref.current(ch, key)
      }
    } else ref.current(input, key)
  }, [])
  useInput(stable)
}
