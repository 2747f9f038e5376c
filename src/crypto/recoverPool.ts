/**
 * Spreads secp256k1 public-key recoveries over worker threads, one per core by default, for
 * block import and the tx pool (DESIGN §8: ≥ 3,000 recoveries/s per core, on all cores).
 *
 * A batch travels as one SharedArrayBuffer (layout in recoverWorker.ts), cut into one
 * contiguous slice per worker; workers write results in place and answer with a job id.
 * A single item is recovered on the calling thread: a round trip to a worker costs that thread
 * ~80 µs of CPU, one native recovery ~70 µs, so from two items on the workers are cheaper for it
 * (measured on 2 cores; under wallet load the node's main thread is the busy one, docs/decisions.md
 * "Sender recovery leaves the main thread from two transactions on"). Idle workers are unref'd so the pool never
 * keeps a CLI alive; a worker is ref'd only while it holds work someone is awaiting.
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import { calculateSigRecovery } from '@ethereumjs/util'
import { Capability, type TypedTransaction } from '@ethereumjs/tx'
import { createLogger } from '../util/logger.js'
import { CryptoError } from './errors.js'
import { recoverPublicKey } from './secp256k1.js'
import { IN_ITEM, OUT_ITEM, type WorkerRequest, type WorkerResponse } from './recoverWorker.js'

export interface RecoverItem {
  msgHash: Uint8Array
  r: Uint8Array
  s: Uint8Array
  recid: number
}

/** Batches smaller than this are recovered synchronously on the calling thread. */
export const SYNC_BELOW = 2
/** Never give a worker fewer items than this (its round trip would dominate). */
const MIN_CHUNK = 8
/** Consecutive worker failures (no batch completed in between) before we stop respawning. */
const MAX_CONSECUTIVE_FAILURES = 8

// Under tsx / ts-node this module runs as recoverPool.ts and must start recoverWorker.ts (the
// loader reaches the worker through the inherited execArgv); compiled, both are .js. The path goes
// up to src/ and back into crypto/ because this code also runs from the bundled CLI in
// dist/src/bin/ (package.json's build:cli), one directory below src/ as crypto/ is.
const WORKER_EXT = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js'
const WORKER_URL = new URL(`../crypto/recoverWorker${WORKER_EXT}`, import.meta.url)

const log = createLogger({ module: 'crypto/recoverPool' })

interface Pending {
  resolve: () => void
  reject: (e: Error) => void
}

interface Slot {
  worker: Worker | null
  pending: Map<number, Pending>
}

interface Queued {
  item: RecoverItem
  resolve: (pub: Uint8Array | null) => void
  reject: (e: unknown) => void
}

function checkItem(item: RecoverItem): void {
  const { msgHash, r, s, recid } = item
  if (
    !(msgHash instanceof Uint8Array) ||
    msgHash.length !== 32 ||
    !(r instanceof Uint8Array) ||
    r.length !== 32 ||
    !(s instanceof Uint8Array) ||
    s.length !== 32 ||
    !Number.isInteger(recid)
  ) {
    throw new CryptoError('CRYPTO_BAD_INPUT', 'RecoverItem needs 32-byte msgHash, r, s and an integer recid')
  }
}

function recoverSync(item: RecoverItem): Uint8Array | null {
  return recoverPublicKey(item.msgHash, item.r, item.s, item.recid)
}

export class RecoverPool {
  readonly threads: number
  private readonly slots: Slot[] = []
  private nextId = 1
  private closed = false
  private failures = 0
  private queue: Queued[] = []
  private flushScheduled = false

  private constructor(threads: number) {
    this.threads = threads
    for (let i = 0; i < threads; i++) {
      const slot: Slot = { worker: null, pending: new Map() }
      this.slots.push(slot)
      this.spawn(slot)
    }
  }

  /**
   * Starts `threads` workers (default: os.availableParallelism()). `threads: 0` gives a pool
   * that recovers everything on the calling thread (same API, e.g. for tiny devnets).
   */
  static create(opts: { threads?: number } = {}): RecoverPool {
    const threads = opts.threads ?? os.availableParallelism()
    if (!Number.isInteger(threads) || threads < 0) {
      throw new CryptoError('CRYPTO_BAD_INPUT', 'threads must be a non-negative integer', { threads })
    }
    return new RecoverPool(threads)
  }

  /** Number of workers currently alive (less than `threads` only after repeated crashes). */
  get liveWorkers(): number {
    return this.slots.filter((s) => s.worker !== null).length
  }

  /** Recovers every item; results (64-byte keys, or null for invalid signatures) in input order. */
  async recoverMany(items: readonly RecoverItem[]): Promise<(Uint8Array | null)[]> {
    this.assertOpen()
    for (const item of items) checkItem(item)
    const n = items.length
    const live = this.slots.filter((s) => s.worker !== null)
    if (n < SYNC_BELOW || live.length === 0) return items.map(recoverSync)

    const buf = new SharedArrayBuffer(n * (IN_ITEM + OUT_ITEM))
    const bytes = new Uint8Array(buf)
    for (let i = 0; i < n; i++) {
      const { msgHash, r, s, recid } = items[i]!
      const p = i * IN_ITEM
      bytes.set(msgHash, p)
      bytes.set(r, p + 32)
      bytes.set(s, p + 64)
      // recid outside 0..3 can only yield null; 255 tells the worker so
      bytes[p + 96] = recid >= 0 && recid <= 3 ? recid : 255
    }

    // Even contiguous slices, to the least loaded workers (concurrent callers share the pool).
    const k = Math.min(live.length, Math.ceil(n / MIN_CHUNK))
    live.sort((a, b) => a.pending.size - b.pending.size)
    const jobs: Promise<void>[] = []
    for (let c = 0; c < k; c++) {
      const start = Math.floor((c * n) / k)
      const end = Math.floor(((c + 1) * n) / k)
      jobs.push(this.dispatch(live[c]!, buf, n, start, end))
    }
    await Promise.all(jobs)

    const out: (Uint8Array | null)[] = new Array(n)
    const outBase = n * IN_ITEM
    for (let i = 0; i < n; i++) {
      const o = outBase + i * OUT_ITEM
      // slice: results must not pin (or alias) the shared batch buffer
      out[i] = bytes[o] === 1 ? bytes.slice(o + 1, o + OUT_ITEM) : null
    }
    return out
  }

  /**
   * One recovery. Calls made in the same tick are gathered and sent as one batch on the next
   * setImmediate, so a tx pool can call this per transaction and still use every core.
   */
  recover(item: RecoverItem): Promise<Uint8Array | null> {
    try {
      this.assertOpen()
      checkItem(item)
    } catch (e) {
      return Promise.reject(e)
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Terminates the workers; pending work is rejected with CRYPTO_POOL_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const closedErr = () => new CryptoError('CRYPTO_POOL_CLOSED', 'recover pool closed')
    for (const q of this.queue.splice(0)) q.reject(closedErr())
    const terminations: Promise<number>[] = []
    for (const slot of this.slots) {
      for (const p of slot.pending.values()) p.reject(closedErr())
      slot.pending.clear()
      if (slot.worker !== null) {
        terminations.push(slot.worker.terminate())
        slot.worker = null
      }
    }
    await Promise.all(terminations)
  }

  /** Test hook: makes one live worker crash, to exercise replacement and rejection. */
  _crashOneWorkerForTest(): void {
    const slot = this.slots.find((s) => s.worker !== null)
    slot?.worker?.postMessage({ kind: 'crash' } satisfies WorkerRequest)
  }

  private assertOpen(): void {
    if (this.closed) throw new CryptoError('CRYPTO_POOL_CLOSED', 'recover pool is closed')
  }

  /**
   * Sends the tick's calls as one batch. Batches are recovered in parallel but answered in the
   * order they were made: a small batch (recovered at once on this thread) must not overtake a
   * big one still on the workers, or a sender's transactions reach the pool out of nonce order
   * and the later ones wait as queued — 100 sent at once by ethers filled the account's queue
   * and had one refused ("account limit exceeded", CI).
   */
  private flush(): void {
    this.flushScheduled = false
    const q = this.queue
    this.queue = []
    if (q.length === 0) return
    const recovered = this.recoverMany(q.map((e) => e.item))
    this.answered = this.answered.then(() =>
      recovered.then(
        (res) => q.forEach((e, i) => e.resolve(res[i]!)),
        (err) => q.forEach((e) => e.reject(err)),
      ),
    )
  }

  /** the answers of the last batch `flush` sent (settles, never rejects): the next batch's wait */
  private answered: Promise<void> = Promise.resolve()

  private dispatch(slot: Slot, buf: SharedArrayBuffer, count: number, start: number, end: number): Promise<void> {
    const worker = slot.worker!
    const id = this.nextId++
    return new Promise<void>((resolve, reject) => {
      // ref while someone awaits this worker's answer, so `await` at a CLI's top level works
      if (slot.pending.size === 0) worker.ref()
      slot.pending.set(id, { resolve, reject })
      worker.postMessage({ kind: 'batch', id, buf, count, start, end } satisfies WorkerRequest)
    })
  }

  private spawn(slot: Slot): void {
    const worker = new Worker(WORKER_URL, { workerData: { nfcRecoverWorker: true } })
    worker.unref()
    slot.worker = worker
    worker.on('message', (m: WorkerResponse) => {
      const p = slot.pending.get(m.id)
      if (p === undefined) return
      slot.pending.delete(m.id)
      this.failures = 0
      if (slot.pending.size === 0 && slot.worker === worker) worker.unref()
      p.resolve()
    })
    // A crash emits 'error' then 'exit'; a clean exit we did not ask for counts as a crash too.
    worker.on('error', (err) => this.onWorkerDied(slot, worker, err))
    worker.on('exit', (code) => this.onWorkerDied(slot, worker, new Error(`worker exited with code ${code}`)))
  }

  private onWorkerDied(slot: Slot, worker: Worker, cause: Error): void {
    if (slot.worker !== worker) return // already handled, or terminated by close()
    slot.worker = null
    worker.unref()
    void worker.terminate().catch(() => {})
    const lost = [...slot.pending.values()]
    slot.pending.clear()
    for (const p of lost) {
      p.reject(new CryptoError('CRYPTO_WORKER_FAILED', 'recovery worker failed', { cause: cause.message }))
    }
    if (this.closed) return
    this.failures++
    if (this.failures <= MAX_CONSECUTIVE_FAILURES) {
      log.warn('recovery worker died, replacing it', { error: cause.message })
      this.spawn(slot)
    } else if (this.liveWorkers === 0) {
      // e.g. the worker file cannot load at all: keep working, on the calling thread
      log.error('recovery workers keep failing; recovering on the calling thread', { error: cause.message })
    }
  }
}

/**
 * Recovers the senders of `txs` on the pool and stores each public key in `tx.cache`, so later
 * `tx.getSenderAddress()` / `getSenderPublicKey()` cost nothing. A tx with an invalid signature
 * (bad v, high s after Homestead, no such point…) gets no cache entry, so its
 * getSenderAddress() still throws exactly as @ethereumjs/tx would. Already cached txs are skipped.
 */
export async function recoverTxSenders(pool: RecoverPool, txs: readonly TypedTransaction[]): Promise<void> {
  const items: RecoverItem[] = []
  const targets: TypedTransaction[] = []
  for (const tx of txs) {
    const item = senderRecoverItem(tx)
    if (item !== null) {
      items.push(item)
      targets.push(tx)
    }
  }
  const pubs = await pool.recoverMany(items)
  for (let i = 0; i < targets.length; i++) {
    const pub = pubs[i]
    if (pub != null) targets[i]!.cache.senderPubKey = pub
  }
}

/**
 * One transaction's sender, through `pool.recover`: transactions arriving in the same tick (e.g.
 * concurrent eth_sendRawTransaction calls) go to the workers as one batch. Same caching rule as
 * recoverTxSenders.
 */
export async function recoverTxSender(pool: RecoverPool, tx: TypedTransaction): Promise<void> {
  const item = senderRecoverItem(tx)
  if (item === null) return
  const pub = await pool.recover(item)
  if (pub !== null) tx.cache.senderPubKey = pub
}

const SECP256K1_N_DIV_2 = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n
const MAX_U256 = (1n << 256n) - 1n

function u256Bytes(x: bigint): Uint8Array {
  return Buffer.from(x.toString(16).padStart(64, '0'), 'hex')
}

/**
 * The recovery @ethereumjs/tx's getSenderPublicKey would do, as a RecoverItem; null when that
 * call would throw (so the tx must not be cached). The cache read in getSenderPublicKey skips
 * its own checks, hence we repeat them here: signed, low s (from Homestead), v → recid 0/1.
 */
function senderRecoverItem(tx: TypedTransaction): RecoverItem | null {
  try {
    if (tx.cache.senderPubKey !== undefined || !tx.isSigned()) return null
    const { v, r, s } = tx
    if (v === undefined || r === undefined || s === undefined) return null
    if (tx.common.gteHardfork('homestead') && s > SECP256K1_N_DIV_2) return null
    if (r > MAX_U256 || s > MAX_U256) return null
    const chainId = tx.supports(Capability.EIP155ReplayProtection) ? tx.common.chainId() : undefined
    const recovery = calculateSigRecovery(v, chainId)
    if (recovery !== 0n && recovery !== 1n) return null
    return { msgHash: tx.getMessageToVerifySignature(), r: u256Bytes(r), s: u256Bytes(s), recid: Number(recovery) }
  } catch {
    return null
  }
}
