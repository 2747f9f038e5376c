/**
 * Time as a dependency: the wall clock and timers a long-running part (the P2P layer) reads,
 * so a test can hand it a `ManualClock` and move time on by hand instead of sleeping.
 */

/** what a timer call returns: Node's `Timeout` fits, and so does a ManualClock timer */
export interface TimerHandle {
  /** let the process exit while this timer is pending (a no-op for a ManualClock) */
  unref(): unknown
}

export interface Clock {
  /** milliseconds since the epoch, like Date.now() */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(timer: TimerHandle | undefined): void
  setInterval(fn: () => void, ms: number): TimerHandle
  clearInterval(timer: TimerHandle | undefined): void
}

/** the real clock: Date.now and Node's timers */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
}

class ManualTimer implements TimerHandle {
  constructor(
    readonly id: number,
    public at: number,
    readonly fn: () => void,
    /** set for an interval: its period */
    readonly every: number | undefined,
  ) {}

  unref(): this {
    return this
  }
}

/**
 * A clock for tests: time stands still until `advance` moves it, and the timers that fall due
 * on the way run in order of due time (then of creation), each with `now()` at its due time.
 * Like Node, a delay below 1 ms (or NaN) counts as 1 ms.
 */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private readonly timers = new Map<number, ManualTimer>()

  /** starts at `start` (default: a fixed instant, 2026-01-01T00:00:00Z, so runs repeat exactly) */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, undefined)
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, delayOf(ms))
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer instanceof ManualTimer) this.timers.delete(timer.id)
  }

  clearInterval(timer: TimerHandle | undefined): void {
    this.clearTimeout(timer)
  }

  /** timers waiting to fire */
  get pending(): number {
    return this.timers.size
  }

  /** move time on by `ms`, running every timer that falls due on the way; returns how many ran */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`)
    const end = this.time + ms
    let ran = 0
    for (let t = this.due(end); t; t = this.due(end)) {
      this.time = t.at
      if (t.every === undefined) this.timers.delete(t.id)
      else t.at += t.every
      ran++
      t.fn()
    }
    this.time = end
    return ran
  }

  private add(fn: () => void, ms: number, every: number | undefined): ManualTimer {
    const t = new ManualTimer(++this.seq, this.time + delayOf(ms), fn, every)
    this.timers.set(t.id, t)
    return t
  }

  /** the first timer due at or before `end` */
  private due(end: number): ManualTimer | undefined {
    let first: ManualTimer | undefined
    for (const t of this.timers.values()) {
      if (t.at <= end && (!first || t.at < first.at || (t.at === first.at && t.id < first.id))) first = t
    }
    return first
  }
}

const delayOf = (ms: number) => (ms >= 1 ? ms : 1)
