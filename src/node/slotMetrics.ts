/**
 * The producer's own account of its slots (DESIGN §9 "production comes first"): how many slots
 * this witness owned, how many of them got no block of ours (and why), how late after the slot
 * start building began and how long it took. Plain numbers, fed by the producer at the edge
 * where the clock is read; /metrics reads a snapshot at each scrape.
 *
 * The on-chain `missed` counter of a witness (the engine's, which costs trust) only moves when a
 * later block lands; this one moves as soon as the producer knows, and says why.
 */

/** why an owned slot got no block of ours */
export type MissReason =
  /** the slot passed before the producer got to it: a build that ran past it, a timer that fired late */
  | 'skipped'
  /** building or committing the block threw */
  | 'failed'
  /** a block for the slot came in while ours was being prepared (a witness that saw another schedule, e.g. across a round change) */
  | 'preempted'
  /** the witness held the branch of its last vote against a better one and cast no vote (docs/decisions.md) */
  | 'held'

/** totals since start; quantiles and max over the most recent samples */
export interface DurationSnapshot {
  count: number
  sumMs: number
  /** the largest sample since start */
  maxMs: number
  /** over the last `recent` samples (0 when there are none) */
  p50Ms: number
  p99Ms: number
  recent: number
}

export interface SlotMetricsSnapshot {
  /** slots this witness owned since start (produced + missed) */
  ownSlots: number
  produced: number
  missed: number
  missedBy: Record<MissReason, number>
  /** ms from the slot start to the moment building began (the chain's lock taken) */
  startLateness: DurationSnapshot
  /** ms from building began to the block committed */
  build: DurationSnapshot
  /** transactions selected but left in the pool by the time budget or the gas limit, since start */
  leftByBudget: number
}

/** Samples of one duration: totals since start, and a ring of the last `keep` for quantiles. */
export class DurationStats {
  private count = 0
  private sum = 0
  private max = 0
  private readonly ring: number[] = []
  private next = 0

  constructor(private readonly keep = 1024) {}

  observe(ms: number): void {
    const v = ms < 0 ? 0 : ms
    this.count++
    this.sum += v
    if (v > this.max) this.max = v
    if (this.ring.length < this.keep) this.ring.push(v)
    else this.ring[this.next] = v
    this.next = (this.next + 1) % this.keep
  }

  snapshot(): DurationSnapshot {
    const sorted = [...this.ring].sort((a, b) => a - b)
    return { count: this.count, sumMs: this.sum, maxMs: this.max, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), recent: sorted.length }
  }
}

/** nearest-rank quantile of sorted values (0 for none) */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export class SlotMetrics {
  produced = 0
  leftByBudget = 0
  readonly missedBy: Record<MissReason, number> = { skipped: 0, failed: 0, preempted: 0, held: 0 }
  readonly startLateness = new DurationStats()
  readonly build = new DurationStats()

  miss(reason: MissReason, slots = 1): void {
    this.missedBy[reason] += slots
  }

  get missed(): number {
    return this.missedBy.skipped + this.missedBy.failed + this.missedBy.preempted + this.missedBy.held
  }

  snapshot(): SlotMetricsSnapshot {
    return {
      ownSlots: this.produced + this.missed,
      produced: this.produced,
      missed: this.missed,
      missedBy: { ...this.missedBy },
      startLateness: this.startLateness.snapshot(),
      build: this.build.snapshot(),
      leftByBudget: this.leftByBudget,
    }
  }
}
