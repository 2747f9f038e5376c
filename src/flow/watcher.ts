// Long on purpose (598 lines): the bounded receipt cache and the fraud search over it share their eviction rules; the audits share its per-checkpoint bookkeeping.
/**
 * The node's fraud-proof watcher (DESIGN §5.7 "any RN/CN may submit a fraud proof"). Every
 * receipt this node handles — over RPC or P2P, accepted or refused — is remembered in a bounded
 * cache. For each live entry of a checkpoint still in its challenge window whose receipt is in
 * the cache, candidate proofs are built (BadSignature and Inflated from that receipt;
 * DuplicateSeq from it and any cached receipt of the same session and seq) and `checkFraud` —
 * the same pure check Evidence runs on chain — decides. The first proven one is sent as
 * `Evidence.submitFraudProof(bytes)`, an ordinary transaction from the node's key, once per
 * entry (again RESUBMIT_BLOCKS later while the entry is still live and the window still open).
 *
 * Cost: this runs on every head, and a committee member holds every receipt of a cycle, so
 * nothing is read or proven twice. An entry never changes on chain but for its status (live →
 * voided), so a checkpoint's entries are read once, when the watcher first sees it (by cycle and
 * hash: a reorg may put another checkpoint in the same cycle), and each is proven then; an entry
 * is proven again only when a receipt that could change its verdict arrives later (its own
 * receipt, or another of its session and seq), found through per-checkpoint indexes from the
 * receipts `see()` marked since the last head. The proofs found are kept; each is checked for a
 * still-live entry (one storage word) right before it is sent. A head with no new receipt and
 * nothing due costs one `pendingCheckpoints()` (headers only) and no signature recovery.
 *
 * Signatures: a receipt the flow service took is known to be signed by its parties
 * (`signedByParties`); the others to look at are checked, before proving, in one batch with
 * `verify` (the node passes its recover pool's, so the work is on the worker threads). A
 * receipt signed by its own consumer and provider settles BadSignature, Inflated and its side of
 * DuplicateSeq by comparing fields, so an honest entry costs its receipt's one batched check and
 * no recovery on this thread; `checkFraud` runs (and recovers) only for a candidate that the
 * fields say is proven, or for a receipt whose signatures are not its parties'.
 *
 * Only a key whose account is an active RN or CN may submit (Evidence refuses anyone else), so
 * nothing is sent while `canSubmitEvidence()` is false.
 *
 * Eviction: a receipt costs its sender nothing (a refused one is cached too: a forgery is what
 * BadSignature needs), so forgetting the oldest first would let anyone flush the evidence out with
 * junk. Each receipt is counted under the source it was first seen from (`'rpc'`, or
 * `'peer:<node id>'` of the peer that handed it over); a full cache forgets the oldest receipt of
 * the source holding the most (ties: the smallest source string). A source loses a receipt only
 * while it holds the most, so a flood from one source evicts only its own receipts once it leads;
 * with a single source this is the old oldest-first order. Limits: every RPC client is the one
 * `'rpc'` source (the RPC layer does not pass the client's address down), so an RPC flood evicts
 * other RPC-submitted receipts, not gossiped ones — committee members gossip the receipts they
 * take, so the ones that matter usually arrive from peers too. A source is the peer that relayed
 * the receipt here, not its author: junk with valid signatures is relayed by honest nodes and
 * arrives spread over every peer (only junk sent here directly, or forged junk, which honest
 * nodes do not relay, stays under its sender). And node ids are free: a flooder with k identities
 * squeezes every source towards max/(k + 1).
 *
 * Audits (DESIGN §12 "Audits run by themselves"), with the `audit` option: once a pending
 * checkpoint's sample seed block is known (`seedHash`), the watcher challenges the entries
 * `auditSelected(seedHash, auditor, index, auditBps)` draws — `Evidence.challengeSlice`, the
 * on-chain request for the sampled slice opening — while the challenge half of the window is
 * open, whether or not it holds their receipts. The provider answers with `FlowRewards.openSlice`;
 * a challenge still unanswered when the window ends voids the entry (the engine, at application),
 * and a wrong opening reverts, so it is one that never came. A challenge is sent once per entry
 * (again RESUBMIT_BLOCKS later while the entry is still live and unchallenged on chain: the send
 * was dropped or reverted), never to an entry already voided or challenged by someone else.
 *
 * The main chain is reached only through `FlowWatchView` (the node implements it on the head
 * state), so this module imports no consensus or node code — as service.ts.
 */
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from '../util/logger.js'
import type { CheckpointEntry } from './checkpoint.js'
import { checkFraud, encodeFraudProof, entryDiffers, FraudKind, type FraudProof } from './fraudProof.js'
import { bytesEqual, receiptHash, type SignedReceipt } from './receipt.js'
import { AUDIT_BPS_SCALE, auditSelected, EMPTY_SAMPLE_ROOT } from './sampling.js'
import { verifyOnThread, type SignatureVerifier } from './sideChain.js'
import { SerialQueue } from '../util/serialQueue.js'

/** an entry of a pending checkpoint as stored on chain */
export interface WatchedEntry extends CheckpointEntry {
  /** as read with the entries; the watcher asks `entryLive` before each send instead */
  status: 'live' | 'voided'
}

/** the header of a checkpoint on chain still pending (applied ones are not listed) */
export interface PendingCheckpoint {
  cycle: bigint
  /** the checkpoint's hash (hex); with the cycle, which checkpoint this is */
  checkpointHash: string
  /** proofs are accepted while the block time is below this (ms) */
  challengeEndsMs: bigint
  /** signers of the checkpoint: each is penalised by the first proof (gas) */
  signers: number
  /** the hash of the sample seed block (committedAt + k); absent or all zero until the engine recorded it */
  seedHash?: Uint8Array
  /** slice challenges are accepted while the block time is below this (ms): the first half of the window */
  challengeClosesMs?: bigint
}

export interface FlowWatchView {
  /** the canonical head (number, time in ms) */
  head(): { number: bigint; timestampMs: bigint }
  /** the pending checkpoints at the head state: headers only, no entry is read */
  pendingCheckpoints(): Promise<PendingCheckpoint[]>
  /** every entry of the checkpoint of `cycle` at the head state, in entry-index order */
  entries(cycle: bigint): Promise<WatchedEntry[]>
  /** whether entry `index` of `cycle` is still live at the head state (its status word only) */
  entryLive(cycle: bigint, index: number): Promise<boolean>
  /** whether entry `index` of `cycle` is live with no slice challenge on it at the head state */
  entryUnchallenged(cycle: bigint, index: number): Promise<boolean>
  /** whether the key's account is an RN or CN with its role's pledge that has not exited */
  canSubmitEvidence(): Promise<boolean>
}

export interface FlowWatcherOptions {
  view: FlowWatchView
  /** sends `Evidence.submitFraudProof(calldata)` from the key's account; returns the tx hash */
  submitEvidence: (calldata: Uint8Array, gasLimit: bigint) => Promise<Uint8Array>
  logger: Logger
  /** receipts remembered (the oldest of the source holding the most forgotten first); default DEFAULT_MAX_RECEIPTS */
  maxReceipts?: number
  /** checks receipts' two signatures in batches (the node passes its recover pool's); default: on this thread */
  verify?: SignatureVerifier
  /**
   * time a proof needs to reach a block (the block interval): one is sent only while
   * head time + leadMs < challengeEndsMs, since a proof landing at or after the window end reverts
   */
  leadMs?: bigint
  /** audits: challenge a seeded fraction of every pending checkpoint's entries (none without this) */
  audit?: AuditOptions
}

export interface AuditOptions {
  /** the node's key's address (lowercase 0x): part of the selection seed, so each auditor picks its own entries */
  auditor: string
  /** share of the entries challenged, basis points (genesis `flowAuditBps`) */
  auditBps: number
  /** sends `Evidence.challengeSlice(cycle, entryIndex)` from the key's account; returns the tx hash */
  challengeSlice: (cycle: bigint, entryIndex: number, gasLimit: bigint) => Promise<Uint8Array>
}

export const DEFAULT_MAX_RECEIPTS = 65_536

/** a proof not taking effect this many blocks later (dropped, reverted) is sent again */
export const RESUBMIT_BLOCKS = 20n

/** pending checkpoints watched (and held in memory) at once (the engine applies at most 4 per block, so few are pending) */
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

/**
 * Gas of challengeSlice: the Evidence gas table (30,000) + intrinsic + calldata (selector and two
 * words, 16 gas a byte at most), with half again as headroom.
 */
export const CHALLENGE_SLICE_GAS = ((21_000n + 16n * (4n + 64n) + 30_000n) * 3n) / 2n

const seqKey = (sessionId: Uint8Array, seq: bigint): string => `${bytesToHex(sessionId)}:${seq}`
const checkpointKey = (cp: PendingCheckpoint): string => `${cp.cycle}:${cp.checkpointHash.toLowerCase()}`

/** a pending checkpoint whose entries were read, with what the watcher found in them */
interface Watched {
  header: PendingCheckpoint
  entries: WatchedEntry[]
  /** receiptHash (hex) → indices of the entries with it */
  byReceipt: Map<string, number[]>
  /** (sessionId, seq) → indices of the entries with them */
  bySeq: Map<string, number[]>
  /** entry index → the proof found against it (kept until sent and voided, or the checkpoint goes) */
  provable: Map<number, FraudProof>
  /** entry index → head number when its proof was sent */
  sent: Map<number, bigint>
  /** entry index → head number when this node's slice challenge was sent */
  challenged: Map<number, bigint>
}

function push(index: Map<string, number[]>, key: string, i: number): void {
  const list = index.get(key)
  if (list === undefined) index.set(key, [i])
  else list.push(i)
}

/**
 * Receipt hashes by the source each was first seen from, each source's in insertion order, with
 * the sources in a binary heap by (count descending, source ascending): the source to evict from
 * is the heap's top. A heap, not a scan, because sources are not always few: a source stays while
 * it holds a receipt, and a peer can reconnect under fresh node ids.
 */
class SourceQueues {
  private readonly hashes = new Map<string, Set<string>>()
  private readonly heap: string[] = []
  /** source → its index in `heap` */
  private readonly at = new Map<string, number>()

  add(source: string, hash: string): void {
    let set = this.hashes.get(source)
    if (set === undefined) {
      this.hashes.set(source, (set = new Set()))
      this.at.set(source, this.heap.length)
      this.heap.push(source)
    }
    set.add(hash)
    this.up(this.at.get(source)!)
  }

  /** removes and returns the oldest hash of the source holding the most (ties: the smallest source string) */
  takeOldestOfLargest(): string | undefined {
    const source = this.heap[0]
    if (source === undefined) return undefined
    const set = this.hashes.get(source)!
    const hash = set.values().next().value as string
    set.delete(hash)
    if (set.size === 0) {
      this.hashes.delete(source)
      this.at.delete(source)
      const last = this.heap.pop()!
      if (this.heap.length === 0) return hash
      this.heap[0] = last
      this.at.set(last, 0)
    }
    this.down(0)
    return hash
  }

  private count(source: string): number {
    return this.hashes.get(source)?.size ?? 0
  }

  /** whether source a is evicted from before source b */
  private before(a: string, b: string): boolean {
    const d = this.count(a) - this.count(b)
    return d !== 0 ? d > 0 : a < b
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(this.heap[i]!, this.heap[parent]!)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1
      let first = i
      if (l < this.heap.length && this.before(this.heap[l]!, this.heap[first]!)) first = l
      if (l + 1 < this.heap.length && this.before(this.heap[l + 1]!, this.heap[first]!)) first = l + 1
      if (first === i) return
      this.swap(i, first)
      i = first
    }
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!
    const b = this.heap[j]!
    this.heap[i] = b
    this.heap[j] = a
    this.at.set(b, i)
    this.at.set(a, j)
  }
}

export class FlowWatcher {
  /** receiptHash (hex) → receipt */
  private readonly receipts = new Map<string, SignedReceipt>()
  /** the cached receipts' hashes by the source each was first seen from, in eviction order */
  private readonly bySource = new SourceQueues()
  /** (sessionId, seq) → hashes of the cached receipts with them */
  private readonly bySeq = new Map<string, Set<string>>()
  /** receiptHash (hex) of a cached receipt → whether both its signatures are its own consumer's and provider's */
  private readonly partiesSigned = new Map<string, boolean>()
  /** checkpointKey → the checkpoint's entries and proofs, for the pending checkpoints only */
  private readonly watched = new Map<string, Watched>()
  /** receipt hashes and seq keys of the receipts added since the last head (while something is watched) */
  private dirtyHashes = new Set<string>()
  private dirtySeqs = new Set<string>()
  /** more receipts arrived between two heads than the dirty sets hold: re-prove every unproven entry */
  private dirtyOverflow = false
  private proves = 0
  private fullChecks = 0
  private readonly verify: SignatureVerifier
  private readonly max: number
  private readonly queue = new SerialQueue()

  constructor(private readonly o: FlowWatcherOptions) {
    this.max = o.maxReceipts ?? DEFAULT_MAX_RECEIPTS
    this.verify = o.verify ?? verifyOnThread
    if (!Number.isSafeInteger(this.max) || this.max < 1) throw new RangeError(`maxReceipts must be a positive integer, got ${String(o.maxReceipts)}`)
    const a = o.audit
    if (a !== undefined) {
      if (!Number.isInteger(a.auditBps) || a.auditBps < 0 || a.auditBps > AUDIT_BPS_SCALE) {
        throw new RangeError(`auditBps must be an integer from 0 to ${AUDIT_BPS_SCALE}, got ${String(a.auditBps)}`)
      }
      if (!/^0x[0-9a-fA-F]{40}$/.test(a.auditor)) throw new RangeError(`auditor must be a 0x-prefixed 20-byte address, got ${a.auditor}`)
    }
  }

  /** receipts remembered */
  get size(): number {
    return this.receipts.size
  }

  /** For tests: how many times an entry was checked against the cache. */
  get provesRun(): number {
    return this.proves
  }

  /** For tests: how many candidate proofs went through `checkFraud` (each recovers signatures). */
  get checksRun(): number {
    return this.fullChecks
  }

  /** whether the receipt with this hash is remembered */
  has(hash: Uint8Array): boolean {
    return this.receipts.has(bytesToHex(hash))
  }

  /**
   * Remembers a receipt this node handled, accepted or not, from `source` (`'rpc'`,
   * `'peer:<node id>'`); a receipt already held stays counted under its first source. Never throws.
   */
  see(sr: SignedReceipt, source = 'local'): void {
    let hash: string
    let key: string
    try {
      hash = bytesToHex(receiptHash(sr))
      key = seqKey(sr.sessionId, sr.seq)
    } catch {
      return // not a receipt anything could be proven with
    }
    if (this.receipts.has(hash)) return
    while (this.receipts.size >= this.max) this.forgetOne()
    this.receipts.set(hash, sr)
    this.bySource.add(source, hash)
    let set = this.bySeq.get(key)
    if (set === undefined) this.bySeq.set(key, (set = new Set()))
    set.add(hash)
    // a checkpoint loaded later is proven against the whole cache: only loaded ones need telling
    if (this.watched.size === 0 || this.dirtyOverflow) return
    if (this.dirtyHashes.size >= this.max) {
      this.dirtyOverflow = true
      this.dirtyHashes = new Set()
      this.dirtySeqs = new Set()
      return
    }
    this.dirtyHashes.add(hash)
    this.dirtySeqs.add(key)
  }

  /**
   * Records that the cached receipt with this hash is signed by its own consumer and provider
   * (the flow service took it, so its signatures were checked): it is left out of the batches.
   */
  signedByParties(hash: Uint8Array): void {
    const h = bytesToHex(hash)
    if (this.receipts.has(h)) this.partiesSigned.set(h, true)
  }

  /** forgets the oldest receipt of the source holding the most (a dirty mark left for it proves nothing: it is no longer cached) */
  private forgetOne(): void {
    const hash = this.bySource.takeOldestOfLargest()!
    const sr = this.receipts.get(hash)!
    this.receipts.delete(hash)
    this.partiesSigned.delete(hash)
    const key = seqKey(sr.sessionId, sr.seq)
    const set = this.bySeq.get(key)
    set?.delete(hash)
    if (set?.size === 0) this.bySeq.delete(key)
  }

  /** Called for each new canonical head: proves what it can against the pending checkpoints. */
  onHead(): Promise<void> {
    return this.queue.run(() => this.check())
  }

  private async check(): Promise<void> {
    // nothing seen: nothing could be proven, nothing was sent (an auditor still audits)
    if (this.receipts.size === 0 && !this.auditing) return
    const head = this.o.view.head()
    const lead = this.o.leadMs ?? 0n
    const pending = (await this.o.view.pendingCheckpoints())
      .slice()
      .sort((x, y) => (x.cycle < y.cycle ? -1 : x.cycle > y.cycle ? 1 : 0))
      // a closed window (or one closing before a block could carry a proof) takes no proof
      .filter((cp) => head.timestampMs + lead < cp.challengeEndsMs)
      .slice(0, Number(MAX_WATCHED_CHECKPOINTS))

    // what arrived since the last head; later arrivals are marked for the next one
    const dirtyHashes = this.dirtyHashes
    const dirtySeqs = this.dirtySeqs
    const overflow = this.dirtyOverflow
    this.dirtyHashes = new Set()
    this.dirtySeqs = new Set()
    this.dirtyOverflow = false

    // a checkpoint no longer pending (applied, replaced, window closed) takes its entries, proofs and send records with it
    const keys = new Set(pending.map(checkpointKey))
    for (const k of this.watched.keys()) if (!keys.has(k)) this.watched.delete(k)

    // the entries to prove: in the loaded checkpoints, those a new receipt concerns (no await
    // before this: the dirty marks are spent into `todo` before anything can throw) …
    const todo: [Watched, number][] = []
    for (const w of this.watched.values()) {
      if (overflow) {
        for (let i = 0; i < w.entries.length; i++) todo.push([w, i])
        continue
      }
      for (const h of dirtyHashes) for (const i of w.byReceipt.get(h) ?? []) todo.push([w, i])
      for (const s of dirtySeqs) for (const i of w.bySeq.get(s) ?? []) todo.push([w, i])
    }
    // … and every entry of the ones seen for the first time, read once (a failed read is retried
    // at the next head; the spent marks above are proven all the same)
    const fresh: [string, Watched][] = []
    let readError: { error: unknown } | null = null
    try {
      for (const cp of pending) {
        const k = checkpointKey(cp)
        if (this.watched.has(k)) continue
        const entries = await this.o.view.entries(cp.cycle)
        const w: Watched = { header: cp, entries, byReceipt: new Map(), bySeq: new Map(), provable: new Map(), sent: new Map(), challenged: new Map() }
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i]!
          push(w.byReceipt, bytesToHex(e.receiptHash), i)
          push(w.bySeq, seqKey(e.sessionId, e.seq), i)
          todo.push([w, i])
        }
        fresh.push([k, w])
      }
    } catch (error) {
      readError = { error }
    }
    await this.checkSignatures(todo) // never throws
    for (const [w, i] of todo) this.reprove(w, i)
    for (const [k, w] of fresh) this.watched.set(k, w)
    if (readError !== null) throw readError.error

    let allowed: boolean | null = null
    for (const cp of pending) {
      const w = this.watched.get(checkpointKey(cp))!
      for (const i of [...w.provable.keys()].sort((x, y) => x - y)) {
        const at = w.sent.get(i)
        if (at !== undefined && head.number < at + RESUBMIT_BLOCKS) continue
        if (!(await this.o.view.entryLive(cp.cycle, i))) {
          // voided (by this proof or another's): nothing left to prove
          w.provable.delete(i)
          w.sent.delete(i)
          continue
        }
        // read once per head, and only when there is something to send
        allowed ??= await this.o.view.canSubmitEvidence()
        if (!allowed) return
        const proof = w.provable.get(i)!
        const calldata = encodeFraudProof(proof)
        try {
          const tx = await this.o.submitEvidence(calldata, fraudProofGas(calldata, cp.signers))
          w.sent.set(i, head.number)
          this.o.logger.info('submitted a flow fraud proof', {
            cycle: cp.cycle,
            entryIndex: i,
            kind: kindName(proof.kind),
            receiptHash: w.entries[i]!.receiptHash,
            again: at !== undefined,
            tx,
          })
        } catch (err) {
          this.o.logger.warn('could not submit a flow fraud proof', { cycle: cp.cycle, entryIndex: i, kind: kindName(proof.kind), error: err })
        }
      }
    }
    await this.audit(pending, head, allowed)
  }

  private get auditing(): boolean {
    return this.o.audit !== undefined && this.o.audit.auditBps > 0
  }

  /**
   * Sends the slice challenges due at this head: the entries of the pending checkpoints whose
   * seed is known and whose challenge half is open (a block away at least) that this auditor
   * draws, not yet challenged by it (or RESUBMIT_BLOCKS ago), live and unchallenged on chain.
   * `allowed` is the RN/CN right if this head already read it.
   */
  private async audit(pending: readonly PendingCheckpoint[], head: { number: bigint; timestampMs: bigint }, allowed: boolean | null): Promise<void> {
    const a = this.o.audit
    if (a === undefined || !this.auditing) return
    const lead = this.o.leadMs ?? 0n
    for (const cp of pending) {
      const seed = cp.seedHash
      if (seed === undefined || seed.every((b) => b === 0)) continue
      if (cp.challengeClosesMs === undefined || head.timestampMs + lead >= cp.challengeClosesMs) continue
      const w = this.watched.get(checkpointKey(cp))
      if (w === undefined) continue
      for (let i = 0; i < w.entries.length; i++) {
        if (w.provable.has(i)) continue // a fraud proof voids it anyway
        const e = w.entries[i]!
        // bytes with no slice: voided at application whoever challenges (the sampling floor)
        if (e.total > 0n && bytesEqual(e.sampleRoot, EMPTY_SAMPLE_ROOT)) continue
        const at = w.challenged.get(i)
        if (at !== undefined && head.number < at + RESUBMIT_BLOCKS) continue
        if (!auditSelected(seed, a.auditor, i, a.auditBps)) continue
        if (!(await this.o.view.entryUnchallenged(cp.cycle, i))) {
          w.challenged.set(i, head.number) // voided or challenged: looked at again only RESUBMIT_BLOCKS later
          continue
        }
        allowed ??= await this.o.view.canSubmitEvidence()
        if (!allowed) return
        try {
          const tx = await a.challengeSlice(cp.cycle, i, CHALLENGE_SLICE_GAS)
          w.challenged.set(i, head.number)
          this.o.logger.info('sent a slice challenge', { cycle: cp.cycle, entryIndex: i, provider: w.entries[i]!.provider, again: at !== undefined, tx })
        } catch (err) {
          this.o.logger.warn('could not send a slice challenge', { cycle: cp.cycle, entryIndex: i, error: err })
        }
      }
    }
  }

  /** proves entry `i` of `w` unless a proof is already held (a new receipt cannot undo one) */
  private reprove(w: Watched, i: number): void {
    if (w.provable.has(i)) return
    const proof = this.prove(w.header.cycle, i, w.entries[i]!)
    if (proof !== null) w.provable.set(i, proof)
  }

  /**
   * Learns, in one `verify` batch, whether the cached receipts the `todo` entries could be proven
   * with are signed by their own parties. If verification fails (the pool closed) nothing is
   * learnt and proving falls back to `checkFraud` for every candidate.
   */
  private async checkSignatures(todo: readonly [Watched, number][]): Promise<void> {
    const wanted = new Set<string>()
    const want = (hash: string) => {
      if (this.receipts.has(hash) && !this.partiesSigned.has(hash)) wanted.add(hash)
    }
    for (const [w, i] of todo) {
      if (w.provable.has(i)) continue
      const e = w.entries[i]!
      const hash = bytesToHex(e.receiptHash)
      if (!this.receipts.has(hash)) continue
      want(hash)
      for (const other of this.bySeq.get(seqKey(e.sessionId, e.seq)) ?? []) want(other)
    }
    if (wanted.size === 0) return
    const hashes = [...wanted]
    try {
      const verdicts = await this.verify(hashes.map((h) => this.receipts.get(h)!))
      // a receipt forgotten during the await is not recorded
      hashes.forEach((h, i) => {
        if (this.receipts.has(h)) this.partiesSigned.set(h, verdicts[i] === null)
      })
    } catch (e) {
      this.o.logger.warn('the fraud-proof watcher could not check signatures in a batch; checking one by one', { error: e })
    }
  }

  /**
   * The first proof the cache holds against entry `index` of `cycle`, or null. A receipt whose
   * signatures are known to be its own parties' yields at most the one candidate its fields say
   * is proven; `checkFraud` decides every candidate.
   */
  private prove(cycle: bigint, index: number, entry: WatchedEntry): FraudProof | null {
    const hash = bytesToHex(entry.receiptHash)
    const receipt = this.receipts.get(hash)
    if (receipt === undefined) return null
    this.proves++
    const base = { cycle, entryIndex: index, receipt }
    const candidates: FraudProof[] = []
    if (this.partiesSigned.get(hash) === true) {
      // recovered signers = the receipt's consumer and provider
      if (receipt.consumer !== entry.consumer || receipt.provider !== entry.provider) candidates.push({ ...base, kind: FraudKind.BadSignature })
      else if (entryDiffers(receipt, entry)) candidates.push({ ...base, kind: FraudKind.Inflated })
    } else {
      candidates.push({ ...base, kind: FraudKind.BadSignature }, { ...base, kind: FraudKind.Inflated })
    }
    for (const other of this.bySeq.get(seqKey(entry.sessionId, entry.seq)) ?? []) {
      if (other === hash) continue
      const second = this.receipts.get(other)!
      // a second receipt signed by its own consumer proves nothing unless that is the entry's consumer and the totals differ
      if (
        this.partiesSigned.get(other) === true &&
        (second.consumer !== entry.consumer || (second.bytesUp === receipt.bytesUp && second.bytesDown === receipt.bytesDown))
      )
        continue
      candidates.push({ ...base, kind: FraudKind.DuplicateSeq, second })
    }
    return (
      candidates.find((p) => {
        this.fullChecks++
        return checkFraud(p, entry).proven
      }) ?? null
    )
  }
}

function kindName(kind: FraudKind): string {
  return Object.entries(FraudKind).find(([, v]) => v === kind)?.[0] ?? String(kind)
}
