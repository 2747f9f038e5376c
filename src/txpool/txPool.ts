// Long on purpose (456 lines): one pool's invariants (nonce order, replacement, limits) over shared indexes; victims are chosen in eviction.ts.
/**
 * A geth-like transaction pool: per-sender nonce-ordered lists, split into pending (contiguous
 * from the state nonce, executable now) and queued (behind a nonce gap). Validation messages
 * are geth's, because wallets match on them.
 *
 * Concurrency: `add` awaits the state view, and a new head can arrive meanwhile. Every head
 * bumps `epoch`; `add` re-reads the state when the epoch moved under it, and does all checks
 * that touch pool contents plus the insertion synchronously after its last await, so the pool
 * is never mutated against a stale view.
 *
 * Limits are geth's (eviction.ts): each sender is guaranteed `accountSlots` executable txs, and
 * may hold more while the pool has room (`globalSlots` executable, `globalQueue` queued in all);
 * only the queue has a per-sender ceiling (`accountQueue`). When a class is full, a tail is
 * evicted — senders above their guarantee first, lowest tip then newest — and a newcomer that
 * does not pay strictly more than that victim is refused with "txpool is full".
 */
import { TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { type Address, bytesToHex, toChecksumAddress } from '@ethereumjs/util'
import { TxErrorCode } from '../execution/errors.js'
import { recoverSender } from '../execution/txDecode.js'
import { NfcError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { TxPoolErrorCode } from './errors.js'
import type { PoolStateView, RemovalReason, TxPoolEvent, TxPoolEvents, TxPoolOptions, TxStatus } from './interface.js'
import { feeCaps } from './pricing.js'
import { SerialQueue } from '../util/serialQueue.js'
import { type Account, type Entry, minesBefore, noteInserted, noteRemoved } from './entry.js'
import { defaultPoolLimits, overQuotaTail, pendingVictim, queuedVictim, type PoolLimits } from './eviction.js'
import { Heap } from './heap.js'

export type { PoolStateView, TxPoolOptions, TxStatus, RemovalReason, TxPoolEvents } from './interface.js'

type Listener<E extends TxPoolEvent> = (ev: TxPoolEvents[E]) => void

const SUPPORTED_TYPES: ReadonlySet<number> = new Set([TransactionType.Legacy, TransactionType.AccessListEIP2930, TransactionType.FeeMarketEIP1559])

/** Smallest gas any tx can use; selection stops once less than this remains. */
const TX_GAS = 21_000n

export class TxPool {
  private readonly minGasPrice: bigint
  private readonly blockGasLimit: bigint
  readonly limits: Readonly<PoolLimits>
  private readonly priceBump: bigint
  private readonly log: Logger

  private state: PoolStateView
  private epoch = 0
  private readonly headQueue = new SerialQueue()
  private seq = 0
  private changes = 0

  private readonly byHash = new Map<string, Entry>()
  private readonly accounts = new Map<string, Account>()
  private pendingCount = 0
  private queuedCount = 0
  private readonly listeners: { [E in TxPoolEvent]: Set<Listener<E>> } = {
    added: new Set(),
    pending: new Set(),
    removed: new Set(),
  }

  constructor(opts: TxPoolOptions, state: PoolStateView) {
    // `common` is part of the options for symmetry with the decoder; txs carry their own copy
    this.minGasPrice = opts.minGasPrice
    this.blockGasLimit = opts.blockGasLimit
    this.limits = {
      accountSlots: opts.accountSlots ?? defaultPoolLimits.accountSlots,
      globalSlots: opts.globalSlots ?? defaultPoolLimits.globalSlots,
      accountQueue: opts.accountQueue ?? defaultPoolLimits.accountQueue,
      globalQueue: opts.globalQueue ?? defaultPoolLimits.globalQueue,
    }
    this.priceBump = BigInt(opts.priceBumpPercent ?? 10)
    this.log = opts.logger ?? silentLogger
    this.state = state
  }

  get size(): number {
    return this.byHash.size
  }

  /** Moves on every change of the pool's contents or head: a cache key for derived views (the pending block). */
  get version(): number {
    return this.changes
  }

  on<E extends TxPoolEvent>(event: E, fn: Listener<E>): () => void {
    const set = this.listeners[event] as Set<Listener<E>>
    set.add(fn)
    return () => {
      set.delete(fn)
    }
  }

  private emit<E extends TxPoolEvent>(event: E, ev: TxPoolEvents[E]): void {
    this.changes++
    for (const fn of this.listeners[event] as Set<Listener<E>>) {
      try {
        fn(ev)
      } catch (e) {
        // a subscriber's bug must not corrupt the pool mid-update
        this.log.error('txpool listener threw', { event, err: e })
      }
    }
  }

  /**
   * Validate and insert a signed tx. `sender` may be passed when already recovered.
   * @throws NfcError TXPOOL_* (or TX_INVALID_SIG / TX_INVALID_SENDER)
   */
  async add(tx: TypedTransaction, sender?: Address): Promise<{ hash: Uint8Array; status: TxStatus }> {
    if (!SUPPORTED_TYPES.has(tx.type)) {
      throw new NfcError(TxPoolErrorCode.TX_TYPE_NOT_SUPPORTED, 'transaction type not supported', { type: tx.type })
    }
    if (!tx.isSigned()) throw new NfcError(TxErrorCode.INVALID_SIG, 'invalid sender: invalid transaction v, r, s values')
    const hash = tx.hash()
    const key = bytesToHex(hash)
    if (this.byHash.has(key)) throw alreadyKnown(key)

    // stateless checks, in geth's order (ValidateTransaction)
    if (tx.gasLimit > this.blockGasLimit) {
      throw new NfcError(TxPoolErrorCode.GAS_LIMIT, 'exceeds block gas limit', {
        gas: tx.gasLimit,
        limit: this.blockGasLimit,
      })
    }
    const { feeCap, tipCap } = feeCaps(tx)
    if (tipCap > feeCap) {
      throw new NfcError(TxPoolErrorCode.TIP_ABOVE_FEE_CAP, 'max priority fee per gas higher than max fee per gas', {
        maxPriorityFeePerGas: tipCap,
        maxFeePerGas: feeCap,
      })
    }
    const from = sender ?? recoverSender(tx)
    const intrinsic = tx.getIntrinsicGas()
    if (tx.gasLimit < intrinsic) {
      throw new NfcError(TxPoolErrorCode.INTRINSIC_GAS, `intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${intrinsic}`, {
        gas: tx.gasLimit,
        intrinsic,
      })
    }
    if (feeCap < this.minGasPrice) {
      throw new NfcError(TxPoolErrorCode.UNDERPRICED, `transaction underpriced: gas price ${feeCap} below minimum ${this.minGasPrice}`, {
        gasPrice: feeCap,
        minimum: this.minGasPrice,
      })
    }

    // stateful checks against the head; re-read if a new head arrived while we waited
    let stateNonce: bigint
    let balance: bigint
    let refusal: string | undefined
    for (;;) {
      const epoch = this.epoch
      const state = this.state
      ;[stateNonce, balance, refusal] = await Promise.all([state.getNonce(from), state.getBalance(from), state.precheck?.(tx)])
      if (epoch === this.epoch) break
    }
    if (tx.nonce < stateNonce) {
      throw new NfcError(TxPoolErrorCode.NONCE_TOO_LOW, `nonce too low: address ${toChecksumAddress(from.toString())}, tx: ${tx.nonce} state: ${stateNonce}`, {
        nonce: tx.nonce,
        stateNonce,
      })
    }
    const cost = tx.gasLimit * feeCap + tx.value
    if (balance < cost) {
      throw new NfcError(
        TxPoolErrorCode.INSUFFICIENT_FUNDS,
        `insufficient funds for gas * price + value: balance ${balance}, tx cost ${cost}, overshot ${cost - balance}`,
        { balance, cost },
      )
    }

    if (refusal !== undefined) throw new NfcError(TxPoolErrorCode.PRECHECK_REFUSED, refusal, { to: tx.to?.toString() })

    // --- synchronous from here: pool-content checks and insertion are atomic ---
    if (this.byHash.has(key)) throw alreadyKnown(key)
    const senderKey = from.toString()
    let acct = this.accounts.get(senderKey)
    if (acct !== undefined && stateNonce > acct.stateNonce) {
      // our head moved past this account's cached nonce and onNewHead has not pruned it yet
      this.syncAccount(acct, stateNonce, balance)
      acct = this.accounts.get(senderKey)
    }
    const old = acct?.txs.get(tx.nonce)
    const tip = tipOf(feeCap, tipCap, tx.type, this.minGasPrice)
    const bumped = (n: bigint, o: bigint) => n * 100n >= o * (100n + this.priceBump)
    if (old !== undefined) {
      if (!bumped(feeCap, old.feeCap) || !bumped(tipCap, old.tipCap)) {
        throw new NfcError(TxPoolErrorCode.REPLACEMENT_UNDERPRICED, 'replacement transaction underpriced', {
          old: old.key,
          bumpPercent: this.priceBump,
        })
      }
    } else {
      if (tx.nonce === (acct === undefined ? stateNonce : this.nextNonce(acct))) {
        if (this.pendingCount >= this.limits.globalSlots) this.evictFor(pendingVictim(this.accounts, senderKey, this.limits.accountSlots), tip, 'globalSlots')
      } else {
        if (acct !== undefined && acct.queued >= this.limits.accountQueue) throw accountLimit(acct, this.limits.accountQueue)
        if (this.queuedCount >= this.limits.globalQueue) this.evictFor(queuedVictim(this.accounts, senderKey, tx.nonce), tip, 'globalQueue')
      }
      acct = this.accounts.get(senderKey) // the victim may have been this sender's only tx
    }

    if (acct === undefined) {
      acct = { address: from, key: senderKey, txs: new Map(), stateNonce, pending: 0, queued: 0, last: undefined }
      this.accounts.set(senderKey, acct)
    }
    const entry: Entry = {
      tx,
      hash,
      key,
      sender: from,
      senderKey,
      nonce: tx.nonce,
      feeCap,
      tipCap,
      tip,
      cost,
      seq: this.seq++,
      pending: false,
    }
    if (old !== undefined) this.deleteEntry(acct, old)
    acct.txs.set(entry.nonce, entry)
    noteInserted(acct, entry)
    this.byHash.set(key, entry)
    this.queuedCount++
    acct.queued++
    const promoted = this.reflag(acct)
    // filling a gap promotes the queued txs behind it, which may overrun the executable slots
    const truncated = this.truncatePending(entry)

    if (old !== undefined) this.emit('removed', { tx: old.tx, hash: old.hash, sender: old.sender, reason: 'replaced' })
    for (const e of truncated) this.emit('removed', { tx: e.tx, hash: e.hash, sender: e.sender, reason: 'evicted' })
    const status: TxStatus = entry.pending ? 'pending' : 'queued'
    this.emit('added', { tx, hash, sender: from, status })
    // promoted is in nonce order and includes the new entry when it is executable
    for (const p of promoted) if (this.byHash.get(p.key) === p) this.emit('pending', { tx: p.tx, hash: p.hash, sender: p.sender })
    return { hash, status }
  }

  /** Evict `victim` for a newcomer paying `tip`, or refuse with "txpool is full". */
  private evictFor(victim: Entry | undefined, tip: bigint, limit: keyof PoolLimits): void {
    if (victim === undefined || tip <= victim.tip) {
      throw new NfcError(TxPoolErrorCode.FULL, 'txpool is full', { limit, value: this.limits[limit] })
    }
    this.removeEntry(victim, 'evicted')
  }

  /**
   * While more txs are executable than `globalSlots` (after promotions), drop the cheapest tails
   * of senders above their guarantee; `keep` (a newcomer) is never dropped. Unlinks without
   * emitting: the caller reports the returned entries once the pool is consistent.
   */
  private truncatePending(keep?: Entry): Entry[] {
    const out: Entry[] = []
    while (this.pendingCount > this.limits.globalSlots) {
      const victim = overQuotaTail(this.accounts, this.limits.accountSlots, (_, tail) => tail === keep)
      if (victim === undefined) break
      const acct = this.accounts.get(victim.senderKey)!
      this.deleteEntry(acct, victim)
      this.reflag(acct)
      out.push(victim)
    }
    return out
  }

  /** First nonce after the sender's contiguous run from the state nonce. */
  private nextNonce(acct: Account): bigint {
    return acct.stateNonce + BigInt(acct.pending)
  }

  /**
   * Recompute pending/queued flags of one account after any change; keeps the global counters
   * in step and returns the entries that just became pending, in nonce order.
   */
  private reflag(acct: Account): Entry[] {
    const promoted: Entry[] = []
    let n = acct.stateNonce
    for (let e = acct.txs.get(n); e !== undefined; e = acct.txs.get(++n)) {
      if (!e.pending) {
        e.pending = true
        this.pendingCount++
        this.queuedCount--
        acct.pending++
        acct.queued--
        promoted.push(e)
      }
    }
    for (const e of acct.txs.values()) {
      if (e.pending && (e.nonce < acct.stateNonce || e.nonce >= n)) {
        e.pending = false
        this.pendingCount--
        this.queuedCount++
        acct.pending--
        acct.queued++
      }
    }
    return promoted
  }

  /** Unlink an entry without reflagging or emitting. */
  private deleteEntry(acct: Account, e: Entry): void {
    acct.txs.delete(e.nonce)
    noteRemoved(acct, e)
    this.byHash.delete(e.key)
    if (e.pending) {
      this.pendingCount--
      acct.pending--
    } else {
      this.queuedCount--
      acct.queued--
    }
  }

  private removeEntry(e: Entry, reason: RemovalReason): void {
    const acct = this.accounts.get(e.senderKey)
    if (acct === undefined || acct.txs.get(e.nonce) !== e) return
    this.deleteEntry(acct, e)
    if (acct.txs.size === 0) this.accounts.delete(acct.key)
    else this.reflag(acct) // later txs of this sender become queued if a gap opened
    this.emit('removed', { tx: e.tx, hash: e.hash, sender: e.sender, reason })
  }

  /**
   * Apply a sender's head state: drop txs below the state nonce and txs the balance no longer
   * covers (geth's demoteUnexecutables; later txs then wait as queued), promote what became
   * executable.
   */
  private syncAccount(acct: Account, stateNonce: bigint, balance: bigint): void {
    const dropped: Array<[Entry, RemovalReason]> = []
    for (const e of [...acct.txs.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : 1))) {
      if (e.nonce < stateNonce) dropped.push([e, 'stale'])
      else if (e.cost > balance) dropped.push([e, 'unaffordable'])
    }
    for (const [e] of dropped) this.deleteEntry(acct, e)
    acct.stateNonce = stateNonce
    let promoted: Entry[] = []
    if (acct.txs.size === 0) this.accounts.delete(acct.key)
    else promoted = this.reflag(acct)
    for (const [e, reason] of dropped) this.emit('removed', { tx: e.tx, hash: e.hash, sender: e.sender, reason })
    for (const p of promoted) this.emit('pending', { tx: p.tx, hash: p.hash, sender: p.sender })
  }

  /**
   * After a block is committed: re-read every pooled sender's nonce and balance from the new
   * head, drop included/stale and unaffordable txs, promote queued ones. Calls are serialized.
   */
  onNewHead(state: PoolStateView): Promise<void> {
    this.state = state
    this.epoch++
    return this.headQueue.run(() => this.refresh(state))
  }

  private async refresh(state: PoolStateView): Promise<void> {
    this.changes++
    const accts = [...this.accounts.values()]
    const reads = await Promise.all(accts.map((a) => Promise.all([state.getNonce(a.address), state.getBalance(a.address)])))
    // a newer head is queued behind us and will redo this against fresher state
    if (this.state !== state) return
    for (let i = 0; i < accts.length; i++) {
      const acct = accts[i]
      // an account recreated meanwhile was validated against this same head already
      if (this.accounts.get(acct.key) !== acct) continue
      this.syncAccount(acct, reads[i][0], reads[i][1])
    }
    for (const e of this.truncatePending()) this.emit('removed', { tx: e.tx, hash: e.hash, sender: e.sender, reason: 'evicted' })
  }

  /**
   * Transactions for the next block: each sender's pending run in nonce order; across senders
   * the highest effective tip first, ties by arrival. A sender is skipped for the rest of the
   * block once its next tx's gasLimit no longer fits (gasLimit, not gas used, is what we know).
   */
  selectForBlock(gasLimit: bigint): TypedTransaction[] {
    const runs: Entry[][] = []
    for (const acct of this.accounts.values()) {
      const run: Entry[] = []
      let n = acct.stateNonce
      for (let e = acct.txs.get(n); e !== undefined; e = acct.txs.get(++n)) run.push(e)
      if (run.length > 0) runs.push(run)
    }
    // heap of [run index, position]; better = higher tip, then earlier arrival
    const heap = new Heap<[Entry[], number]>(([ra, ia], [rb, ib]) => minesBefore(ra[ia], rb[ib]))
    for (const run of runs) heap.push([run, 0])
    const out: TypedTransaction[] = []
    let used = 0n
    while (heap.size > 0 && gasLimit - used >= TX_GAS) {
      const [run, i] = heap.pop()!
      const e = run[i]
      if (used + e.tx.gasLimit > gasLimit) continue // drop this sender for this block
      used += e.tx.gasLimit
      out.push(e.tx)
      if (i + 1 < run.length) heap.push([run, i + 1])
    }
    return out
  }

  get(hash: Uint8Array | string): TypedTransaction | undefined {
    return this.byHash.get(hashKey(hash))?.tx
  }

  has(hash: Uint8Array | string): boolean {
    return this.byHash.has(hashKey(hash))
  }

  /** Drop one tx (e.g. block production found it invalid). Later txs of its sender become queued. */
  remove(hash: Uint8Array | string, reason: RemovalReason = 'dropped'): boolean {
    const e = this.byHash.get(hashKey(hash))
    if (e === undefined) return false
    this.removeEntry(e, reason)
    return true
  }

  /** eth_getTransactionCount(addr, 'pending'): state nonce plus the contiguous pooled txs. */
  async pendingNonce(address: Address): Promise<bigint> {
    let n = await this.state.getNonce(address)
    const acct = this.accounts.get(address.toString())
    // the account's cached state nonce may trail a head whose refresh is still queued
    if (acct !== undefined) while (acct.txs.has(n)) n++
    return n
  }

  status(): { pending: number; queued: number } {
    return { pending: this.pendingCount, queued: this.queuedCount }
  }

  /** txpool_content: senders sorted by lowercase address, txs by nonce. */
  content(): { pending: Map<string, TypedTransaction[]>; queued: Map<string, TypedTransaction[]> } {
    const pending = new Map<string, TypedTransaction[]>()
    const queued = new Map<string, TypedTransaction[]>()
    const keys = [...this.accounts.keys()].sort()
    for (const k of keys) {
      const entries = [...this.accounts.get(k)!.txs.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : 1))
      const p = entries.filter((e) => e.pending).map((e) => e.tx)
      const q = entries.filter((e) => !e.pending).map((e) => e.tx)
      if (p.length > 0) pending.set(k, p)
      if (q.length > 0) queued.set(k, q)
    }
    return { pending, queued }
  }
}

function tipOf(feeCap: bigint, tipCap: bigint, type: number, minGasPrice: bigint): bigint {
  if (type !== TransactionType.FeeMarketEIP1559) return feeCap - minGasPrice
  const over = feeCap - minGasPrice
  return tipCap < over ? tipCap : over
}

function hashKey(hash: Uint8Array | string): string {
  return typeof hash === 'string' ? hash.toLowerCase() : bytesToHex(hash)
}

function alreadyKnown(key: string): NfcError {
  return new NfcError(TxPoolErrorCode.ALREADY_KNOWN, 'already known', { hash: key })
}

function accountLimit(acct: Account, limit: number): NfcError {
  return new NfcError(TxPoolErrorCode.ACCOUNT_LIMIT, 'account limit exceeded', { sender: acct.key, limit })
}
