/**
 * Admission control of the RPC front (DESIGN §9 "production comes first"): a request that cannot
 * be served at once is answered at once with -32005 "limit exceeded" (geth/Infura style), rather
 * than queued behind block production, where every waiting request would delay the slot timer.
 *
 * Two gates, both checked before a call runs:
 * - requests in flight (HTTP and WS together; each call of a batch counts, since each is work the
 *   node has committed to) stay under `maxInflight`;
 * - while the event loop lags (a timer fires late by more than `maxLagMs` on several probes in a
 *   row: the main thread is saturated) every new call is refused. One long task (a big block being
 *   committed) is a single late probe and sheds nothing; sustained overload is what this is for.
 *
 * The lag probe is one unref'd timer every LAG_PROBE_MS: a clock read and a compare per tick, no
 * histogram (prom-client's 10 ms event-loop sampling once halved the node's RPC throughput).
 */

/** How often the event loop is probed. */
export const LAG_PROBE_MS = 50
/** Consecutive late probes that make the loop "lagging" (one long task is not overload). */
export const LAG_PROBES = 3

export type ShedReason = 'inflight' | 'lag'

export interface AdmissionOptions {
  /** most calls in flight at once (0: no bound) */
  maxInflight: number
  /** event-loop lag in ms past which new calls are refused (0: no lag shedding) */
  maxLagMs: number
  /** called once per refused call, for /metrics */
  onShed?: (reason: ShedReason) => void
  /** the clock (tests): ms */
  now?: () => number
  /** false: no probe timer, the caller calls `probe()` (tests); default true */
  timer?: boolean
  /** called after each probe with the lag it measured (ms) */
  onProbe?: (lagMs: number) => void
}

export interface Admission {
  /**
   * Asks for `n` slots (a batch asks for its calls at once); returns how many were granted, from
   * 0 to n. The caller runs that many calls, answers the others -32005, and releases each
   * granted slot when its call is settled.
   */
  acquire(n: number): number
  release(n?: number): void
  readonly inflight: number
  /** true while the event loop is judged saturated */
  readonly lagging: boolean
  /** the latest measured lag in ms */
  readonly lagMs: number
  /** one lag probe: what the timer runs every LAG_PROBE_MS */
  probe(): void
  /** stops the probe timer */
  close(): void
}

export function createAdmission(opts: AdmissionOptions): Admission {
  const now = opts.now ?? (() => performance.now())
  let inflight = 0
  let lagMs = 0
  let lateProbes = 0
  let expected = now() + LAG_PROBE_MS
  const probe = () => {
    const t = now()
    lagMs = Math.max(0, t - expected)
    expected = t + LAG_PROBE_MS
    lateProbes = lagMs > opts.maxLagMs ? lateProbes + 1 : 0
    opts.onProbe?.(lagMs)
  }
  let timer: NodeJS.Timeout | undefined
  if (opts.maxLagMs > 0 && opts.timer !== false) {
    timer = setInterval(probe, LAG_PROBE_MS)
    timer.unref()
  }
  const lagging = () => opts.maxLagMs > 0 && lateProbes >= LAG_PROBES

  return {
    acquire(n) {
      if (n <= 0) return 0
      if (lagging()) {
        for (let i = 0; i < n; i++) opts.onShed?.('lag')
        return 0
      }
      const room = opts.maxInflight > 0 ? Math.max(0, opts.maxInflight - inflight) : n
      const granted = Math.min(n, room)
      inflight += granted
      for (let i = granted; i < n; i++) opts.onShed?.('inflight')
      return granted
    },
    release(n = 1) {
      inflight = Math.max(0, inflight - n)
    },
    get inflight() {
      return inflight
    },
    get lagging() {
      return lagging()
    },
    get lagMs() {
      return lagMs
    },
    probe,
    close() {
      if (timer !== undefined) clearInterval(timer)
    },
  }
}
