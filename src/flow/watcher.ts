/**
 * The node's fraud-proof watcher (DESIGN §5.7 "any RN/CN may submit a fraud proof"). Every
 * receipt this node handles — over RPC or P2P, accepted or refused — is remembered in a bounded
 * cache. At each new head the checkpoints still in their challenge window are read; for each
 * live entry whose receipt is in the cache, candidate proofs are built (BadSignature and
 * Inflated from that receipt; DuplicateSeq from it and any cached receipt of the same session
 * and seq) and `checkFraud` — the same pure check Evidence runs on chain — decides. The first
 * proven one is sent as `Evidence.submitFraudProof(bytes)`, an ordinary transaction from the
 * node's key, once per entry (again RESUBMIT_BLOCKS later while the entry is still live and
 * the window still open).
 *
 * Only a key whose account is an active RN or CN may submit (Evidence refuses anyone else), so
 * nothing is sent while `canSubmitEvidence()` is false.
 *
 * The main chain is reached only through `FlowWatchView` (the node implements it on the head
 * state), so this module imports no consensus or node code — as service.ts.
 */
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from '../util/logger.js'
import type { CheckpointEntry } from './checkpoint.js'
import { checkFraud, encodeFraudProof, FraudKind, type FraudProof } from './fraudProof.js'
import { receiptHash, type SignedReceipt } from './receipt.js'

/** an entry of a pending checkpoint as stored on chain */
export interface WatchedEntry extends CheckpointEntry {
  status: 'live' | 'voided'
}

/** a checkpoint on chain still pending (applied ones are not listed) */
export interface PendingCheckpoint {
  cycle: bigint
  /** proofs are accepted while the block time is below this (ms) */
  challengeEndsMs: bigint
  /** signers of the checkpoint: each is penalised by the first proof (gas) */
  signers: number
  /** in entry-index order */
  entries: WatchedEntry[]
}

export interface FlowWatchView {
  /** the canonical head (number, time in ms) */
  head(): { number: bigint; timestampMs: bigint }
  /** the pending checkpoints at the head state */
  pendingCheckpoints(): Promise<PendingCheckpoint[]>
  /** whether the key's account is an RN or CN with its role's pledge that has not exited */
  canSubmitEvidence(): Promise<boolean>
}

export interface FlowWatcherOptions {
  view: FlowWatchView
  /** sends `Evidence.submitFraudProof(calldata)` from the key's account; returns the tx hash */
  submitEvidence: (calldata: Uint8Array, gasLimit: bigint) => Promise<Uint8Array>
  logger: Logger
  /** receipts remembered (oldest forgotten first); default DEFAULT_MAX_RECEIPTS */
  maxReceipts?: number
  /**
   * time a proof needs to reach a block (the block interval): one is sent only while
   * head time + leadMs < challengeEndsMs, since a proof landing at or after the window end reverts
   */
  leadMs?: bigint
}

export const DEFAULT_MAX_RECEIPTS = 65_536

/** a proof not taking effect this many blocks later (dropped, reverted) is sent again */
export const RESUBMIT_BLOCKS = 20n

/** pending checkpoints read per head (the engine applies at most 4 per block, so few are pending) */
export const MAX_WATCHED_CHECKPOINTS = 64n

/**
 * Gas of submitFraudProof: the Evidence gas table (80,000 + 6 per 32-byte word of proof +
 * 30,000 per signer penalised) + intrinsic + calldata (the ABI-wrapped bytes: selector, offset,
 * length, padded proof, 16 gas a byte at most), with half again as headroom.
 */
export function fraudProofGas(proof: Uint8Array, signers: number): bigint {
  const words = BigInt(Math.ceil(proof.length / 32))
  const exec = 80_000n + 6n * words + 30_000n * BigInt(signers)
  const calldata = 4n + 64n + 32n * words
  return ((21_000n + 16n * calldata + exec) * 3n) / 2n
}

const seqKey = (sessionId: Uint8Array, seq: bigint): string => `${bytesToHex(sessionId)}:${seq}`
const entryKey = (cycle: bigint, index: number): string => `${cycle}/${index}`

export class FlowWatcher {
  /** receiptHash (hex) → receipt, in insertion order (the first key is the oldest) */
  private readonly receipts = new Map<string, SignedReceipt>()
  /** (sessionId, seq) → hashes of the cached receipts with them */
  private readonly bySeq = new Map<string, Set<string>>()
  /** cycle/entryIndex → head number when its proof was sent */
  private readonly sent = new Map<string, bigint>()
  private readonly max: number
  private tail: Promise<unknown> = Promise.resolve()

  constructor(private readonly o: FlowWatcherOptions) {
    this.max = o.maxReceipts ?? DEFAULT_MAX_RECEIPTS
    if (!Number.isSafeInteger(this.max) || this.max < 1) throw new RangeError(`maxReceipts must be a positive integer, got ${String(o.maxReceipts)}`)
  }

  /** receipts remembered */
  get size(): number {
    return this.receipts.size
  }

  /** whether the receipt with this hash is remembered */
  has(hash: Uint8Array): boolean {
    return this.receipts.has(bytesToHex(hash))
  }

  /** Remembers a receipt this node handled, accepted or not. Never throws. */
  see(sr: SignedReceipt): void {
    let hash: string
    let key: string
    try {
      hash = bytesToHex(receiptHash(sr))
      key = seqKey(sr.sessionId, sr.seq)
    } catch {
      return // not a receipt anything could be proven with
    }
    if (this.receipts.has(hash)) return
    while (this.receipts.size >= this.max) this.forgetOldest()
    this.receipts.set(hash, sr)
    let set = this.bySeq.get(key)
    if (set === undefined) this.bySeq.set(key, (set = new Set()))
    set.add(hash)
  }

  private forgetOldest(): void {
    const [hash, sr] = this.receipts.entries().next().value as [string, SignedReceipt]
    this.receipts.delete(hash)
    const key = seqKey(sr.sessionId, sr.seq)
    const set = this.bySeq.get(key)
    set?.delete(hash)
    if (set?.size === 0) this.bySeq.delete(key)
  }

  /** Called for each new canonical head: proves what it can against the pending checkpoints. */
  onHead(): Promise<void> {
    const run = this.tail.then(
      () => this.check(),
      () => this.check(),
    )
    this.tail = run.catch(() => undefined)
    return run
  }

  private async check(): Promise<void> {
    if (this.receipts.size === 0 && this.sent.size === 0) return
    const head = this.o.view.head()
    const pending = (await this.o.view.pendingCheckpoints()).slice().sort((x, y) => (x.cycle < y.cycle ? -1 : x.cycle > y.cycle ? 1 : 0))
    // a checkpoint no longer pending (applied) takes its send records with it
    const cycles = new Set(pending.map((c) => c.cycle.toString()))
    for (const k of this.sent.keys()) if (!cycles.has(k.slice(0, k.indexOf('/')))) this.sent.delete(k)
    if (this.receipts.size === 0) return

    const lead = this.o.leadMs ?? 0n
    let allowed: boolean | null = null
    for (const cp of pending) {
      if (head.timestampMs + lead >= cp.challengeEndsMs) continue // the window is closed (or closes before a block could carry a proof)
      for (let i = 0; i < cp.entries.length; i++) {
        const e = cp.entries[i]!
        if (e.status !== 'live') continue
        const k = entryKey(cp.cycle, i)
        const at = this.sent.get(k)
        if (at !== undefined && head.number < at + RESUBMIT_BLOCKS) continue
        const proof = this.prove(cp.cycle, i, e)
        if (proof === null) continue
        // read once per head, and only when there is something to send
        allowed ??= await this.o.view.canSubmitEvidence()
        if (!allowed) return
        const calldata = encodeFraudProof(proof)
        try {
          const tx = await this.o.submitEvidence(calldata, fraudProofGas(calldata, cp.signers))
          this.sent.set(k, head.number)
          this.o.logger.info('submitted a flow fraud proof', {
            cycle: cp.cycle,
            entryIndex: i,
            kind: kindName(proof.kind),
            receiptHash: e.receiptHash,
            again: at !== undefined,
            tx,
          })
        } catch (err) {
          this.o.logger.warn('could not submit a flow fraud proof', { cycle: cp.cycle, entryIndex: i, kind: kindName(proof.kind), error: err })
        }
      }
    }
  }

  /** the first proof the cache holds against entry `index` of `cycle` (checkFraud decides), or null */
  private prove(cycle: bigint, index: number, entry: WatchedEntry): FraudProof | null {
    const hash = bytesToHex(entry.receiptHash)
    const receipt = this.receipts.get(hash)
    if (receipt === undefined) return null
    const base = { cycle, entryIndex: index, receipt }
    const candidates: FraudProof[] = [
      { ...base, kind: FraudKind.BadSignature },
      { ...base, kind: FraudKind.Inflated },
    ]
    for (const other of this.bySeq.get(seqKey(entry.sessionId, entry.seq)) ?? []) {
      if (other !== hash) candidates.push({ ...base, kind: FraudKind.DuplicateSeq, second: this.receipts.get(other)! })
    }
    return candidates.find((p) => checkFraud(p, entry).proven) ?? null
  }
}

function kindName(kind: FraudKind): string {
  return Object.entries(FraudKind).find(([, v]) => v === kind)?.[0] ?? String(kind)
}
