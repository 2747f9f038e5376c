/**
 * Runs a query when its inputs change and keeps the last good answer on screen while the next
 * one loads (so a live refresh never blanks the view: no flicker). Answers that arrive after
 * newer inputs are dropped.
 */
import { useEffect, useRef, useState } from 'react'

export interface Loaded<T> {
  data?: T
  /** the last failure, as one line (never a stack) */
  error?: string
  loading: boolean
}

export function useLoader<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: true })
  const seq = useRef(0)
  useEffect(() => {
    const mine = ++seq.current
    let live = true
    setState((s) => (s.loading ? s : { ...s, loading: true }))
    load().then(
      (data) => {
        if (live && mine === seq.current) setState({ data, loading: false })
      },
      (e: unknown) => {
        if (live && mine === seq.current) setState((s) => ({ data: s.data, error: oneLine(e), loading: false }))
      },
    )
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps)
  return state
}

export function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e)
  return m.split('\n')[0]!
}
