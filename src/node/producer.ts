/**
 * Block production on the slot clock (DESIGN §4): slot s = ⌊(t − genesisTime) / interval⌋, and
 * the block of slot s carries the slot's start time. This is the edge where the wall clock is
 * read; the chain itself only sees the timestamp, and the time budget as a `shouldStop` callback.
 *
 * At each slot the producer asks the chain who owns the slot on top of the current head (the
 * elected, shuffled schedule of src/consensus/dpos) and builds a block only when it is this
 * witness. A node that is still catching up with its peers does not produce (it would fork).
 *
 * Production comes first (DESIGN §9): the next slot is always taken from the clock after a
 * block, so a build that ran long never silently skips a slot — a slot that passed unhandled is
 * counted as missed when it was ours, and a slot already started is still produced while its
 * time budget lasts. Nothing after the commit (gossip, pool refresh) is awaited before the next
 * slot: the pool refresh is awaited only by the next build, which needs it.
 */
import { EventEmitter } from 'node:events'
import { bytesToHex } from '@ethereumjs/util'
import type { Block } from '../chain/block.js'
import type { Confirmation } from '../chain/confirmation.js'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import type { TxPool } from '../txpool/txPool.js'
import { systemClock, type Clock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Blockchain } from './blockchain.js'
import { SlotMetrics, type MissReason } from './slotMetrics.js'

export interface ProducerOptions {
  chain: Blockchain
  txpool: Pick<TxPool, 'selectForBlock' | 'remove'>
  privateKey: Uint8Array
  logger: Logger
  now: () => number
  /** the timers the slot clock runs on (default: Node's); `now` stays the time source */
  timers?: Pick<Clock, 'setTimeout' | 'clearTimeout'>
  /** false while the node is behind its peers */
  mayProduce?: () => boolean
  /** the confirmations received so far (the chain picks the usable ones) */
  confirmations?: () => Confirmation[]
  /** resolves once the pool reflects the head (the refresh the last block started) */
  poolReady?: () => Promise<void>
  /** after each committed block (the node gossips it); synchronous on purpose: it must not delay the next slot */
  afterBlock: (block: Block) => void
  /**
   * ms of a slot the block may take, its transactions and, once the producer has seen what a block's
   * commit costs, that commit (default: half an interval, DESIGN §9 "Block size")
   */
  budgetMs?: number
}

/** What became of one slot, as the producer saw it (tests and logs wait on these). */
export type SlotOutcome =
  | { slot: bigint; result: 'produced'; txs: number; left: number; latenessMs: number; buildMs: number }
  | { slot: bigint; result: 'missed'; reason: MissReason }
  | { slot: bigint; result: 'notOurs' }

/** a start later than this is logged as a warning (DESIGN §9 done-when: no slot started 100 ms late) */
const LATE_WARN_MS = 100
/** a late block still gets this share of the budget for its transactions, so it is not an empty one */
const MIN_BUDGET_SHARE = 5n
/** kept free before the next slot besides the last block's commit time (timer and hand-over jitter) */
const TAIL_MARGIN_MS = 50n
/** a block with fewer transactions says too little of the tail's cost per transaction */
const TAIL_LEARN_TXS = 32
/** passed slots looked at when the producer falls behind (ownership repeats every round) */
const MAX_PASSED_CHECKED = 64n

export function slotAt(timeMs: bigint, genesisTime: bigint, intervalMs: bigint): bigint {
  return timeMs < genesisTime ? -1n : (timeMs - genesisTime) / intervalMs
}

export class BlockProducer extends EventEmitter<{ slot: [SlotOutcome]; next: [bigint] }> {
  private timer: ReturnType<Clock['setTimeout']> | undefined
  private running = false
  private busy: Promise<void> = Promise.resolve()
  /** the last slot handled (produced, missed or not ours) */
  private lastSlot = -1n
  /**
   * ms the last block took after its transactions began to stop (state root, roots, commit): on a
   * slow or busy box it can outgrow the half interval left after the budget, and then every next
   * block starts late. The transactions of the next block stop early enough for it.
   */
  private tailMs = 0n
  /**
   * µs of that tail per transaction of the last block with at least TAIL_LEARN_TXS of them (0: none
   * yet): the roots and the commit grow with the accounts a block touches, so the next block's
   * transactions stop where its own tail is still inside the budget (`tailEndsPastBudget`)
   */
  private tailPerTxUs = 0n
  readonly address: string
  readonly metrics = new SlotMetrics()
  private readonly timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>

  constructor(private readonly opts: ProducerOptions) {
    super()
    this.address = bytesToHex(addressOf(publicKeyOf(opts.privateKey)))
    this.timers = opts.timers ?? systemClock
  }

  private get interval(): bigint {
    return this.opts.chain.dpos.intervalMs
  }

  private get budget(): bigint {
    return this.opts.budgetMs === undefined ? this.interval / 2n : BigInt(this.opts.budgetMs)
  }

  private slotStart(slot: bigint): bigint {
    return this.opts.chain.genesisTime + slot * this.interval
  }

  start(): void {
    this.running = true
    // the slot under way when the node starts is not ours to judge: begin at the next one
    this.lastSlot = slotAt(BigInt(this.opts.now()), this.opts.chain.genesisTime, this.interval)
    this.scheduleNext()
  }

  /**
   * The next slot from the clock: the one under way if it was not handled and its budget has
   * not run out (a long build or a late timer), otherwise the next one at its start.
   */
  private scheduleNext(): void {
    if (!this.running) return
    const t = BigInt(this.opts.now())
    const current = slotAt(t, this.opts.chain.genesisTime, this.interval)
    const runNow = current > this.lastSlot && t - this.slotStart(current) < this.budget
    const slot = runNow ? current : (current > this.lastSlot ? current : this.lastSlot) + 1n
    const delay = runNow ? 0 : Number(this.slotStart(slot) - t)
    this.timer = this.timers.setTimeout(() => {
      this.busy = this.onSlot(slot).finally(() => this.scheduleNext())
    }, delay)
    this.emit('next', slot)
  }

  private async onSlot(slot: bigint): Promise<void> {
    const passedFrom = this.lastSlot + 1n
    this.lastSlot = slot
    if (passedFrom < slot) await this.countPassed(passedFrom, slot - 1n)
    await this.produce(slot)
  }

  /**
   * Slots that passed without the producer getting to them: each one that was ours is a missed
   * slot. Looked up on the current head before the next block moves it (a slot a block already
   * holds was not missed by us).
   */
  private async countPassed(from: bigint, to: bigint): Promise<void> {
    const { chain } = this.opts
    let first = chain.slotOf(chain.head.header.timestamp) + 1n
    if (first < from) first = from
    if (to - first >= MAX_PASSED_CHECKED) first = to - MAX_PASSED_CHECKED + 1n
    for (let s = first; s <= to; s++) {
      try {
        if ((await chain.schedule(s)).owner === this.address) this.missed(s, 'skipped')
      } catch (e) {
        this.opts.logger.debug('could not tell the owner of a passed slot', { slot: s, error: e })
      }
    }
  }

  private missed(slot: bigint, reason: MissReason): void {
    this.metrics.miss(reason)
    this.opts.logger.warn('missed own slot', { slot, reason })
    this.emit('slot', { slot, result: 'missed', reason })
  }

  private async produce(slot: bigint): Promise<void> {
    const { chain, txpool, logger, now } = this.opts
    if (this.opts.mayProduce !== undefined && !this.opts.mayProduce()) return
    if (slot <= chain.slotOf(chain.head.header.timestamp)) return // a block for this slot is already in
    const slotStart = this.slotStart(slot)
    // a hold that is over moves the head to the branch it kept out, before the slot's owner is
    // read: the schedule is the head's
    let held: boolean
    try {
      held = await chain.settleHold(BigInt(now()))
    } catch (e) {
      logger.error('could not move to the branch a hold kept out', { slot, error: e })
      held = true
    }
    if (slot <= chain.slotOf(chain.head.header.timestamp)) return
    let owner: string | null
    try {
      owner = (await chain.schedule(slot)).owner
    } catch (e) {
      // a block for this slot came in while the schedule waited for the chain: the slot is
      // taken, by whoever owned it — a consensus race (its schedule is no longer readable on top
      // of the new head), not something an operator must act on
      if (slot <= chain.slotOf(chain.head.header.timestamp)) {
        logger.debug('a block for the slot came in while its schedule was read; not producing', { slot, head: chain.head.header.number })
        return
      }
      logger.error('could not read the schedule', { slot, error: e })
      return
    }
    if (owner !== this.address) {
      this.emit('slot', { slot, result: 'notOurs' })
      return
    }
    let startedAt = 0n
    let deadline: bigint | undefined
    let lastAsk: bigint | undefined
    let floor: bigint | undefined
    /** transactions begun so far (shouldStop is asked before each one) */
    let tried = 0
    try {
      // a witness holding the branch of its last vote against a better one casts no vote: a block
      // on its branch would be one (docs/decisions.md, "A witness holds the branch of its vote")
      if (held) {
        logger.info('not producing: holding the branch of its last vote against a better one', { slot, head: chain.head.header.number })
        return this.missed(slot, 'held')
      }
      await this.opts.poolReady?.()
      // a block for this slot may have been imported while we waited: building on it would fail
      if (slot <= chain.slotOf(chain.head.header.timestamp)) return this.preempted(slot)
      const txs = txpool.selectForBlock(chain.genesis.params.blockGasLimit)
      const built = await chain.produceBlock(this.opts.privateKey, slotStart, txs, this.opts.confirmations?.() ?? [], {
        onStart: () => void (startedAt = BigInt(now())),
        shouldStop: () => {
          const t = BigInt(now())
          lastAsk = t
          // set at the first ask, when the transactions begin: the consensus steps before them
          // (slow on a busy node) must not eat a late block's floor and leave it empty
          floor ??= t + this.budget / MIN_BUDGET_SHARE
          deadline ??= this.deadline(slotStart, floor)
          if (t >= deadline || (t >= floor && this.tailEndsPastBudget(slotStart, t, tried))) return true
          tried++
          return false
        },
      })
      const end = now()
      if (lastAsk !== undefined) {
        this.tailMs = BigInt(end) - lastAsk
        if (tried >= TAIL_LEARN_TXS) this.tailPerTxUs = (this.tailMs * 1000n) / BigInt(tried)
      }
      const latenessMs = Number(startedAt - slotStart)
      const buildMs = end - Number(startedAt)
      for (const { tx, error } of built.rejected) {
        // a transaction that cannot run now would be picked again every slot: drop it
        txpool.remove(tx.hash(), 'dropped')
        logger.debug('left a transaction out', { hash: tx.hash(), reason: error.message })
      }
      this.metrics.produced++
      this.metrics.leftByBudget += built.left.length
      this.metrics.startLateness.observe(latenessMs)
      this.metrics.build.observe(buildMs)
      this.opts.afterBlock(built.block)
      const { header } = built.block
      const fields = {
        number: header.number,
        slot,
        txs: built.block.transactions.length,
        left: built.left.length,
        confirmations: built.block.confirmations.length,
        gasUsed: header.gasUsed,
        latenessMs,
        buildMs,
        hash: built.block.hash,
      }
      if (latenessMs > LATE_WARN_MS) logger.warn('produced block, started late', fields)
      else logger.info('produced block', fields)
      this.emit('slot', { slot, result: 'produced', txs: fields.txs, left: fields.left, latenessMs, buildMs })
    } catch (e) {
      // the same race inside produceBlock (a block for the slot took the lock first): not a fault
      if (slot <= chain.slotOf(chain.head.header.timestamp)) return this.preempted(slot)
      logger.error('block production failed', { slot, error: e })
      this.missed(slot, 'failed')
    }
  }

  /**
   * When a block's transactions stop: at the budget, or earlier when the last block's commit
   * (tailMs) would otherwise run into the next slot; never before the floor, so a late block still
   * holds transactions. `floor`: a fifth of the budget after the first ask, when the transactions begin.
   */
  private deadline(slotStart: bigint, floor: bigint): bigint {
    const byBudget = slotStart + this.budget
    const byTail = slotStart + this.interval - this.tailMs - TAIL_MARGIN_MS
    const target = byTail < byBudget ? byTail : byBudget
    return target > floor ? target : floor
  }

  /**
   * Whether the tail of a block of `n` transactions (at the last big block's cost per transaction)
   * would end past the budget: the whole block, its roots and commit included, is done within it,
   * so the witnesses after this one have the rest of the interval to receive and import it before
   * they build on it (DESIGN §9 "Block size": what a node executes in about half an interval).
   * Under load on a devnet sharing two cores, a block whose transactions ran to the budget and
   * whose commit took as long again reached the next witness after its slot began: it built on the
   * block before, a fork (issue 14's devnet).
   */
  private tailEndsPastBudget(slotStart: bigint, t: bigint, n: number): boolean {
    return this.tailPerTxUs > 0n && t + (this.tailPerTxUs * BigInt(n)) / 1000n >= slotStart + this.budget
  }

  /**
   * Another witness's block for our slot came in first: two witnesses saw different schedules
   * for the slot (one had not imported the block that changed the round yet). A consensus race
   * that fork choice settles, not something an operator must act on: info, and counted.
   */
  private preempted(slot: bigint): void {
    const head = this.opts.chain.head.header
    this.opts.logger.info('a block for our slot came in first; not producing', { slot, head: head.number, producer: head.producer })
    this.metrics.miss('preempted')
    this.emit('slot', { slot, result: 'missed', reason: 'preempted' })
  }

  /** Stops scheduling and waits for a block being produced to finish. */
  async stop(): Promise<void> {
    this.running = false
    this.timers.clearTimeout(this.timer)
    await this.busy
  }
}
