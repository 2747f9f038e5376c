// Long on purpose (494 lines): the validation order, the session rules and sealing share the pending state under one queue.
/**
 * The flow side-chain of one cycle (DESIGN §5.6): receipts come in, are validated, wait as
 * pending, and are sealed into event-driven side blocks — a block is made only when receipts
 * are pending (`maxPending` of them, or `blockDelayMs` after the first one arrived), never empty.
 * At the cycle's end the latest receipt of every session with traffic becomes a checkpoint entry.
 *
 * Validation, in order (the cheap and stateless first, then one batch signature check, then the
 * session rules in arrival order):
 *   format (decoder) → chainId/domainTag → total bound → sampling floor (a receipt claiming bytes
 *   commits to a slice: checkSampleFloor) → cycle == this side-chain's cycle → expiryHeight ≥ main
 *   head → relays ≤ 4 (decoder) → both signatures (batched, worker threads) → session: same
 *   parties, seq > last seq, totals not decreasing, prevReceiptHash == hash of the last accepted
 *   receipt (zero for the first). A second receipt with an accepted seq and other totals is
 *   rejected FLOW_DUPLICATE_SEQ and kept as evidence (it is a fraud proof against the consumer).
 *
 * Everything that changes state runs one step at a time (`serial`), so the session rules see the
 * receipts in the order they were accepted; the store writes a block and its sessions atomically.
 * No clock is read here: `now` is injected (block timestamps), timers only decide WHEN to seal.
 */
import { bytesToHex } from '@ethereumjs/util'
import type { RecoverPool } from '../crypto/recoverPool.js'
import { entryOfReceipt, MAX_CHECKPOINT_ENTRIES, sideChainIdOf, type CheckpointEntry } from './checkpoint.js'
import { FlowError, FlowErrorCode, badFormat } from './errors.js'
import {
  RECEIPT_DOMAIN_TAG,
  bytesEqual,
  checkReceiptSignatures,
  encodeReceipt,
  decodeReceipt,
  receiptHash,
  receiptTotal,
  carriableBytes,
  checkTotalBound,
  MAX_FLOW_TOTAL,
  type SignedReceipt,
} from './receipt.js'
import { checkSampleFloor } from './sampling.js'
import { verifyReceipts } from './verifyPool.js'
import { ZERO_HASH, type SessionRecord, type SideBlock, type SideStore } from './sideStore.js'
import { SerialQueue } from '../util/serialQueue.js'

export { sideChainIdOf }

/** One checkpoint entry. */
export type SideEntry = CheckpointEntry

/** A session's settled (seq, total) on the main chain (zeros when it never settled). */
export type SettledReader = (sessionId: Uint8Array) => Promise<{ seq: bigint; total: bigint }>

/** Checks both signatures of each receipt; per receipt null (good) or the FlowError. */
export type SignatureVerifier = (receipts: SignedReceipt[]) => Promise<(FlowError | null)[]>

export interface SideChainOptions {
  store: SideStore
  chainId: bigint
  cycle: bigint
  /** main-chain head number (expiry check) */
  headNumber: () => bigint
  verify: SignatureVerifier
  /** main-chain settled totals: the baseline of a session this side-chain has not seen yet */
  settled: SettledReader
  /** ms, the side blocks' timestamps and the rate bound's clock */
  now: () => number
  /**
   * The rate bound (DESIGN §12): what a session's receipt claims above the session's settled total
   * is at most `maxBytesPerSec` × the time since `sinceMs`, the earliest its unsettled traffic can
   * have started (the start of the cycle two before this one: the previous cycle's checkpoint may
   * still be in its challenge window, and the one before may have been submitted late).
   * Cumulative rather than per receipt: receipts are co-signed whenever the agents choose, so the
   * time between two of them says nothing; the traffic since the last settlement does.
   */
  rate: { maxBytesPerSec: bigint; sinceMs: number }
  /** seal a block when this many receipts are pending (default 256) */
  maxPending?: number
  /** or this long after the first pending receipt arrived (default 200 ms) */
  blockDelayMs?: number
  /** called after each sealed block is stored (gossip) */
  onBlock?: (block: SideBlock, hash: Uint8Array) => void
  /**
   * The edge's state check of a receipt's parties (pledged provider, NB escrow: DESIGN §12),
   * after the stateless checks and before the signatures: throws the FlowError that refuses it.
   */
  admit: (sr: SignedReceipt) => Promise<void>
  /** a stored receipt left out of the checkpoint, with why (the service logs it at WARN) */
  onSkipped?: (sr: SignedReceipt, why: string) => void
  /**
   * The most sessions one provider may open in the cycle (DESIGN §12, issue 16 crowd-out: one
   * provider cannot take every checkpoint entry and lock the others out); default
   * MAX_CHECKPOINT_ENTRIES, no bound below the checkpoint's (the service passes the genesis share).
   */
  maxSessionsPerProvider?: number
}

export interface Accepted {
  receiptHash: Uint8Array
  sideChainId: Uint8Array
  /** height of the side block that holds the receipt */
  height: bigint
}

interface Pending {
  sr: SignedReceipt
  hash: Uint8Array
  encoded: Uint8Array
  /** bytes this receipt adds to its session (set when accepted) */
  added: bigint
  resolve: (a: Accepted) => void
  reject: (e: unknown) => void
}

const hex = (b: Uint8Array) => bytesToHex(b)

/** The sessions one provider may open in a cycle: `shareBps` of MAX_CHECKPOINT_ENTRIES, at least 1. */
export function sessionsPerProvider(shareBps: number): number {
  if (!Number.isInteger(shareBps) || shareBps < 1 || shareBps > 10_000) throw new RangeError(`shareBps must be an integer 1 … 10000, got ${shareBps}`)
  return Math.max(1, Math.floor((MAX_CHECKPOINT_ENTRIES * shareBps) / 10_000))
}

export class SideChain {
  readonly sideChainId: Uint8Array
  readonly cycle: bigint
  private readonly maxPending: number
  private readonly blockDelayMs: number
  /** validated + signature-checked receipts waiting for their session checks (arrival order) */
  private incoming: Pending[] = []
  /** accepted, not yet sealed */
  private pending: Pending[] = []
  /** sessions changed by the pending receipts (the store has them as of the last block) */
  private overlay = new Map<string, SessionRecord>()
  /** seq records of the pending receipts, `${session}:${seq}` */
  private pendingSeqs = new Map<string, { bytesUp: bigint; bytesDown: bigint }>()
  /**
   * sessions with a receipt in this cycle (sealed) → their provider, each one checkpoint entry: at
   * MAX_CHECKPOINT_ENTRIES a new session is refused, so the checkpoint always builds
   */
  private cycleSessions = new Map<string, string>()
  /** sealed sessions of this cycle per provider (maxSessionsPerProvider) */
  private providerSessions = new Map<string, number>()
  private readonly maxSessionsPerProvider: number
  private timer: NodeJS.Timeout | undefined
  private readonly queue = new SerialQueue()
  private draining = false
  private closed = false
  private head: { height: bigint; hash: Uint8Array } = { height: 0n, hash: ZERO_HASH }
  /** receipts and counted bytes accepted in this side-chain (for flow_getSideChain) */
  private stats = { receipts: 0n }

  private constructor(private readonly o: SideChainOptions) {
    this.cycle = o.cycle
    this.sideChainId = sideChainIdOf(o.cycle)
    this.maxPending = o.maxPending ?? 256
    this.blockDelayMs = o.blockDelayMs ?? 200
    this.maxSessionsPerProvider = o.maxSessionsPerProvider ?? MAX_CHECKPOINT_ENTRIES
  }

  /** The side-chain of `cycle`, resumed from the store if this node ran it before. */
  static async open(o: SideChainOptions): Promise<SideChain> {
    const sc = new SideChain(o)
    const head = await o.store.head(o.cycle)
    if (head !== undefined) {
      sc.head = { height: head.height, hash: head.hash }
      sc.stats.receipts = await o.store.receiptCount(o.cycle, head)
    }
    for (const raw of await o.store.cycleLatest(o.cycle)) {
      const sr = decodeReceipt(raw)
      sc.addCycleSession(hex(sr.sessionId), sr.provider)
    }
    return sc
  }

  get height(): bigint {
    return this.head.height
  }

  get headHash(): Uint8Array {
    return this.head.hash
  }

  /** receipts in sealed blocks */
  get receiptCount(): bigint {
    return this.stats.receipts
  }

  get pendingCount(): number {
    return this.pending.length + this.incoming.length
  }

  /** bytes the accepted, not yet sealed receipts add to their sessions */
  get pendingBytes(): bigint {
    let n = 0n
    for (const p of this.pending) n += p.added
    return n
  }

  /**
   * Validates a receipt and resolves once it is in a sealed side block; rejects with the
   * FlowError that refused it.
   */
  submit(sr: SignedReceipt): Promise<Accepted> {
    return new Promise<Accepted>((resolve, reject) => {
      try {
        if (this.closed) throw new FlowError(FlowErrorCode.FLOW_WRONG_CYCLE, `the side-chain of cycle ${this.cycle} is closed`, { cycle: this.cycle })
        this.checkStateless(sr)
        this.incoming.push({ sr, hash: receiptHash(sr), encoded: encodeReceipt(sr), added: 0n, resolve, reject })
      } catch (e) {
        return reject(e)
      }
      // receipts that arrive in the same tick share one signature batch
      if (!this.draining) {
        this.draining = true
        setImmediate(() => {
          this.draining = false
          void this.serial(() => this.drain())
        })
      }
    })
  }

  private checkStateless(sr: SignedReceipt): void {
    if (!bytesEqual(sr.domainTag, RECEIPT_DOMAIN_TAG)) {
      throw new FlowError(FlowErrorCode.FLOW_WRONG_CHAIN, 'domainTag is not the PoVF receipt tag', { field: 'domainTag' })
    }
    if (sr.chainId !== this.o.chainId) {
      throw new FlowError(FlowErrorCode.FLOW_WRONG_CHAIN, `chainId ${sr.chainId}, this chain is ${this.o.chainId}`, { field: 'chainId' })
    }
    checkTotalBound(sr)
    // a receipt that claims bytes commits to a slice (the sampling floor): else no audit could be answered
    checkSampleFloor(sr)
    if (sr.cycle !== this.cycle) {
      throw new FlowError(FlowErrorCode.FLOW_WRONG_CYCLE, `receipt of cycle ${sr.cycle}, the current flow cycle is ${this.cycle}`, {
        cycle: sr.cycle,
        current: this.cycle,
      })
    }
    const head = this.o.headNumber()
    if (sr.expiryHeight < head) {
      throw new FlowError(FlowErrorCode.FLOW_EXPIRED, `receipt expired at height ${sr.expiryHeight}, the head is ${head}`, {
        expiryHeight: sr.expiryHeight,
        head,
      })
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn)
  }

  private async drain(): Promise<void> {
    const arrived = this.incoming
    this.incoming = []
    // the parties first: an unpledged provider or an unfunded pair costs no signature check
    const batch: Pending[] = []
    for (const p of arrived) {
      try {
        await this.o.admit(p.sr)
        batch.push(p)
      } catch (e) {
        p.reject(e)
      }
    }
    if (batch.length === 0) return
    let verdicts: (FlowError | null)[]
    try {
      verdicts = await this.o.verify(batch.map((p) => p.sr))
    } catch (e) {
      for (const p of batch) p.reject(e)
      return
    }
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!
      const bad = verdicts[i]
      if (bad) {
        p.reject(bad)
        continue
      }
      try {
        await this.acceptInOrder(p)
      } catch (e) {
        p.reject(e)
        continue
      }
      this.pending.push(p)
      if (this.pending.length >= this.maxPending) await this.seal()
      else if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined
          void this.serial(() => this.seal()).catch(() => undefined)
        }, this.blockDelayMs)
      }
    }
  }

  private async sessionOf(sessionId: Uint8Array): Promise<SessionRecord | undefined> {
    return this.overlay.get(hex(sessionId)) ?? (await this.o.store.session(sessionId))
  }

  private async seqRecord(sessionId: Uint8Array, seq: bigint): Promise<{ bytesUp: bigint; bytesDown: bigint } | undefined> {
    return this.pendingSeqs.get(`${hex(sessionId)}:${seq}`) ?? (await this.o.store.seq(sessionId, seq))
  }

  /** the session rules; on success the overlay holds the session's new state */
  private async acceptInOrder(p: Pending): Promise<void> {
    const { sr, hash } = p
    let s = await this.sessionOf(sr.sessionId)
    // the main chain's settled total: the baseline of a new session and of the rate bound
    const settled = await this.o.settled(sr.sessionId)
    if (s === undefined) {
      // a session this node has not seen: its baseline is what the main chain settled
      s = {
        sessionId: sr.sessionId,
        consumer: sr.consumer,
        provider: sr.provider,
        relays: [...sr.relays],
        lastSeq: settled.seq,
        bytesUp: 0n,
        bytesDown: 0n,
        // unknown when it settled through another node's side-chain: then any link is accepted
        lastReceiptHash: settled.seq === 0n ? ZERO_HASH : new Uint8Array(0),
        lastCycle: this.cycle,
        receipts: 0n,
      }
      if (receiptTotal(sr) < settled.total) {
        throw new FlowError(FlowErrorCode.FLOW_TOTAL_DECREASED, `total ${receiptTotal(sr)} is below the settled total ${settled.total}`, {
          total: receiptTotal(sr),
          settled: settled.total,
        })
      }
    }
    if (s.consumer !== sr.consumer || s.provider !== sr.provider || s.relays.join() !== sr.relays.join()) {
      throw badFormat('sessionId', 'the session belongs to other parties (consumer, provider or relays differ)')
    }
    if (sr.seq <= s.lastSeq) {
      const prior = await this.seqRecord(sr.sessionId, sr.seq)
      if (prior !== undefined && (prior.bytesUp !== sr.bytesUp || prior.bytesDown !== sr.bytesDown)) {
        // both signatures are good (checked above): the consumer signed two totals for one seq
        await this.o.store.putEvidence(hash, p.encoded)
        throw new FlowError(FlowErrorCode.FLOW_DUPLICATE_SEQ, `seq ${sr.seq} of this session was accepted with other totals; kept as evidence`, {
          seq: sr.seq,
          receiptHash: hash,
        })
      }
      throw new FlowError(FlowErrorCode.FLOW_REPLAY, `seq ${sr.seq} is not above the session's last seq ${s.lastSeq}`, {
        seq: sr.seq,
        lastSeq: s.lastSeq,
      })
    }
    if (sr.bytesUp < s.bytesUp || sr.bytesDown < s.bytesDown) {
      throw new FlowError(FlowErrorCode.FLOW_TOTAL_DECREASED, 'a running total is below the last accepted one', {
        bytesUp: sr.bytesUp,
        bytesDown: sr.bytesDown,
        lastUp: s.bytesUp,
        lastDown: s.bytesDown,
      })
    }
    if (s.lastReceiptHash.length === 32 && !bytesEqual(sr.prevReceiptHash, s.lastReceiptHash)) {
      throw badFormat('prevReceiptHash', `must be ${hex(s.lastReceiptHash)}, the hash of the session's last accepted receipt`)
    }
    this.checkRoomFor(sr.sessionId, sr.provider)
    p.added = receiptTotal(sr) - (s.bytesUp + s.bytesDown)
    const elapsedMs = Math.max(0, this.o.now() - this.o.rate.sinceMs)
    const carriable = carriableBytes(this.o.rate.maxBytesPerSec, BigInt(elapsedMs))
    const unsettled = receiptTotal(sr) - settled.total
    if (unsettled > carriable) {
      throw new FlowError(
        FlowErrorCode.FLOW_OUT_OF_BOUNDS,
        `the receipt claims ${unsettled} bytes above the settled total, more than the session can carry in ${elapsedMs} ms at ${this.o.rate.maxBytesPerSec} bytes/s (${carriable})`,
        { field: 'bytesUp', unsettled, carriable },
      )
    }
    this.overlay.set(hex(sr.sessionId), {
      ...s,
      lastSeq: sr.seq,
      bytesUp: sr.bytesUp,
      bytesDown: sr.bytesDown,
      lastReceiptHash: hash,
      lastCycle: this.cycle,
      receipts: s.receipts + 1n,
    })
    this.pendingSeqs.set(`${hex(sr.sessionId)}:${sr.seq}`, { bytesUp: sr.bytesUp, bytesDown: sr.bytesDown })
  }

  /**
   * A session new to this cycle needs a checkpoint entry of its own: past MAX_CHECKPOINT_ENTRIES,
   * or past maxSessionsPerProvider of its provider's, it is refused here (FLOW_OUT_OF_BOUNDS),
   * never found out when the checkpoint is built.
   */
  private checkRoomFor(sessionId: Uint8Array, provider: string): void {
    const id = hex(sessionId)
    if (this.cycleSessions.has(id) || this.overlay.has(id)) return
    let sessions = this.cycleSessions.size
    let providers = this.providerSessions.get(provider) ?? 0
    for (const [pendingId, pending] of this.overlay) {
      if (this.cycleSessions.has(pendingId)) continue
      sessions++
      if (pending.provider === provider) providers++
    }
    if (sessions >= MAX_CHECKPOINT_ENTRIES) {
      throw new FlowError(
        FlowErrorCode.FLOW_OUT_OF_BOUNDS,
        `the checkpoint of cycle ${this.cycle} is full: ${sessions} sessions, at most ${MAX_CHECKPOINT_ENTRIES}; open the session in the next cycle`,
        { field: 'sessionId', sessions, max: MAX_CHECKPOINT_ENTRIES },
      )
    }
    if (providers >= this.maxSessionsPerProvider) {
      throw new FlowError(
        FlowErrorCode.FLOW_OUT_OF_BOUNDS,
        `provider ${provider} already holds ${providers} sessions of cycle ${this.cycle}, at most ${this.maxSessionsPerProvider} per provider ` +
          `(genesis flowProviderSessionShareBps of the ${MAX_CHECKPOINT_ENTRIES} a checkpoint holds); open the session in the next cycle`,
        { field: 'provider', sessions: providers, max: this.maxSessionsPerProvider },
      )
    }
  }

  private addCycleSession(id: string, provider: string): void {
    if (this.cycleSessions.has(id)) return
    this.cycleSessions.set(id, provider)
    this.providerSessions.set(provider, (this.providerSessions.get(provider) ?? 0) + 1)
  }

  /** the pending receipts become the next block (stored with their sessions in one batch) */
  private async seal(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.pending.length === 0) return
    const batch = this.pending
    const block: SideBlock = {
      sideChainId: this.sideChainId,
      height: this.head.height + 1n,
      parentHash: this.head.hash,
      cycle: this.cycle,
      timestampMs: BigInt(this.o.now()),
      receipts: batch.map((p) => p.encoded),
    }
    let hash: Uint8Array
    try {
      hash = await this.o.store.commitBlock({
        block,
        sessions: [...this.overlay.values()],
        accepted: batch.map((p) => ({
          receiptHash: p.hash,
          sessionId: p.sr.sessionId,
          seq: p.sr.seq,
          bytesUp: p.sr.bytesUp,
          bytesDown: p.sr.bytesDown,
          encoded: p.encoded,
        })),
        receiptsTotal: this.stats.receipts + BigInt(batch.length),
      })
    } catch (e) {
      // not stored: the sessions go back to the stored state, the submitters learn why
      this.pending = []
      this.overlay.clear()
      this.pendingSeqs.clear()
      for (const p of batch) p.reject(e)
      return
    }
    for (const [id, session] of this.overlay) this.addCycleSession(id, session.provider)
    this.pending = []
    this.overlay.clear()
    this.pendingSeqs.clear()
    this.head = { height: block.height, hash }
    this.stats.receipts += BigInt(batch.length)
    for (const p of batch) p.resolve({ receiptHash: p.hash, sideChainId: this.sideChainId, height: block.height })
    this.o.onBlock?.(block, hash)
  }

  /** Seals what is pending now (cycle end, shutdown). */
  flush(): Promise<void> {
    return this.serial(async () => {
      await this.drain()
      await this.seal()
    })
  }

  /**
   * Ends the cycle: seals the pending receipts, refuses new ones, and returns the checkpoint
   * entries — the latest receipt of every session with traffic in the cycle (sorted by session
   * id, the store's key order), prevTotal = the session's settled total on the main chain.
   */
  async close(): Promise<SideEntry[]> {
    await this.flush()
    this.closed = true
    return this.entries()
  }

  async entries(): Promise<SideEntry[]> {
    const out: SideEntry[] = []
    for (const raw of await this.o.store.cycleLatest(this.cycle)) {
      const sr = decodeReceipt(raw)
      const settled = await this.o.settled(sr.sessionId)
      const total = receiptTotal(sr)
      // settled already past this receipt (another checkpoint carried it): nothing to add
      if (sr.seq <= settled.seq || total < settled.total) continue
      // a total past the uint64 bound (taken by a node before the bound existed) is left out: one
      // session's entry never costs the whole checkpoint
      if (total > MAX_FLOW_TOTAL) {
        this.o.onSkipped?.(sr, `running total ${total} exceeds the uint64 bound`)
        continue
      }
      // more sessions than a checkpoint holds (stored by a node before the limit was checked at the
      // edge): the first ones by session id go in, the same ones at every member
      if (out.length === MAX_CHECKPOINT_ENTRIES) {
        this.o.onSkipped?.(sr, `the checkpoint already holds ${MAX_CHECKPOINT_ENTRIES} entries`)
        continue
      }
      out.push(entryOfReceipt(sr, settled.total))
    }
    return out
  }

  /** Stops the seal timer (the pending receipts are sealed by `flush` first if wanted). */
  stop(): void {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}

/** The signature check on this thread (tests, and a node without the worker pool). */
export const verifyOnThread: SignatureVerifier = async (receipts) =>
  receipts.map((sr) => {
    try {
      checkReceiptSignatures(sr)
      return null
    } catch (e) {
      if (e instanceof FlowError) return e
      throw e
    }
  })

/** The batch check on the node's worker pool (recoveries of one batch go out together). */
export function poolVerifier(pool: RecoverPool | null): SignatureVerifier {
  return async (receipts) => (await verifyReceipts(pool, receipts)).map((r) => (r.ok ? null : new FlowError(r.code, r.reason)))
}
