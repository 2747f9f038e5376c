// Long on purpose (504 lines): the committee life cycle (open, grace, close, sign, gossip, submit, resubmit) is one state machine.
/**
 * The node's flow side-chain service (DESIGN §5.6–§5.7). Follows the main-chain head: the flow
 * cycle of the head's time is the current cycle; when this node's key is in that cycle's
 * committee it runs the cycle's side-chain (sideChain.ts). When the head is CLOSE_GRACE_BLOCKS
 * into the next cycle (receipts of the ended cycle still go in until then, so one gossiped at
 * the very end reaches every member first) the side-chain is closed, its checkpoint built and
 * signed, the signature gossiped; a member
 * holding every member's signature, or a quorum (≥ 2/3) once the head is past the signing
 * deadline (`signDeadlineMs` after the cycle ended: the absent are skipped, DESIGN §12 "Committee
 * liveness"), submits `FlowRewards.submitCheckpoint(bytes)` as an ordinary transaction from its
 * key (the member at committee index i waits i blocks, so usually one transaction goes out).
 * The committee is read again at every head: when the chain redrew it (too few signed by the
 * deadline), the new members' signatures count and the earlier ones' are kept (the chain
 * accepts a signer of any round of the cycle, and penalises who did not sign).
 *
 * Nothing of the closing work lives only in memory: a checkpoint this node signed is stored
 * with the signatures it gathered (sideStore), and a restarted node picks every one that is not
 * on chain back up from there.
 *
 * Receipts arriving at a node outside the committee (RPC or P2P) are checked as far as they can
 * be without session state (format, uint64 totals, chain, cycle, expiry, a pledged provider and
 * the pair's NB escrow at the head state, both signatures) and forwarded over P2P. Committee members agree on the checkpoint because it depends only on the latest receipt
 * of each session in the cycle and the main-chain settled totals, not on side-block timing.
 *
 * The main chain is reached only through `FlowChainView` (the node implements it on the head
 * state), so this module imports no consensus code.
 *
 * With a `watcher` (watcher.ts), every receipt that decodes here is shown to it, accepted or
 * refused, and it looks for provable fraud in the pending checkpoints after each head.
 */
import { bytesToHex } from '@ethereumjs/util'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import type { Logger } from '../util/logger.js'
import {
  buildCheckpoint,
  checkpointHash,
  decodeCheckpointCall,
  encodeCheckpointCall,
  recoverCheckpointSigners,
  signCheckpoint,
  type Checkpoint,
} from './checkpoint.js'
import { FlowError, FlowErrorCode } from './errors.js'
import { checkTotalBound, decodeReceipt, encodeReceipt, receiptFromJson, receiptHash, type SignedReceipt } from './receipt.js'
import { checkSampleFloor } from './sampling.js'
import { SideChain, sideChainIdOf, type SignatureVerifier } from './sideChain.js'
import type { SessionRecord, SideStore } from './sideStore.js'
import type { FlowWatcher } from './watcher.js'
import { SerialQueue } from '../util/serialQueue.js'

export interface FlowChainView {
  /** the canonical head (number, time in ms) */
  head(): { number: bigint; timestampMs: bigint }
  /** flow cycle of a main-chain time */
  cycleAt(tMs: bigint): bigint
  /** committee of a cycle at the head state, its current round (empty: not drawn) */
  committee(cycle: bigint): Promise<string[]>
  /**
   * the nodes a redraw of the cycle's committee can bring in: a node among them keeps the cycle's
   * receipts too, builds its checkpoint, and signs it if a redraw makes it a member (absent: none)
   */
  reserve?(cycle: bigint): Promise<string[]>
  /** a session's settled (seq, total) at the head state */
  settled(sessionId: Uint8Array): Promise<{ seq: bigint; total: bigint }>
  /** hash of the last checkpoint submitted on chain (zero: none) */
  lastCheckpointHash(): Promise<Uint8Array>
  /** whether the checkpoint of `cycle` is on chain */
  checkpointOnChain(cycle: bigint): Promise<boolean>
  /** start (ms) of a flow cycle */
  cycleStartMs(cycle: bigint): bigint
  /** at the head state: is the provider a pledged node, and the pair's NB fuel escrow plus its channel funds (wei) */
  parties(consumer: string, provider: string): Promise<{ providerPledged: boolean; escrow: bigint }>
}

/** P2P out (set once the network runs; no-ops without P2P). */
export interface FlowGossip {
  receipt(encoded: Uint8Array): void
  signature(s: { cycle: bigint; checkpointHash: Uint8Array; signature: Uint8Array }): void
}

export interface FlowServiceOptions {
  chainId: bigint
  /** the node's signing key (witness key); absent: forward-only */
  key?: Uint8Array
  store: SideStore
  view: FlowChainView
  verify: SignatureVerifier
  /** sends `FlowRewards.submitCheckpoint(calldata)` from the key's account; returns the tx hash */
  submitCheckpoint: (calldata: Uint8Array, gasLimit: bigint) => Promise<Uint8Array>
  logger: Logger
  now: () => number
  /** the rate bound of receipts (genesis `flowMaxRateBytesPerSec`) */
  maxBytesPerSec: bigint
  /** the most sessions one provider opens per cycle (sessionsPerProvider of genesis `flowProviderSessionShareBps`); default: no bound below a checkpoint's */
  maxSessionsPerProvider?: number
  maxPending?: number
  blockDelayMs?: number
  /**
   * how long after a cycle ended its committee waits for every member's signature before it
   * submits with a quorum (genesis `flowSignDeadlineSec`; default DEFAULT_SIGN_DEADLINE_MS)
   */
  signDeadlineMs?: bigint
  /** the fraud-proof watcher: sees every receipt that decodes, runs after each head */
  watcher?: Pick<FlowWatcher, 'see' | 'signedByParties' | 'onHead'>
}

export interface SubmitResult {
  receiptHash: Uint8Array
  sideChainId: Uint8Array
  /** the side block that holds it; null when the receipt was forwarded to the committee */
  height: bigint | null
}

export interface SideChainInfo {
  sideChainId: Uint8Array
  cycle: bigint
  committee: string[]
  height: bigint
  headHash: Uint8Array
  receipts: bigint
  pendingBytes: bigint
}

/** A closed cycle waiting for signatures and submission. */
interface Closing {
  cycle: bigint
  committee: string[]
  /** the closed side-chain (its entries are rebuilt if the chain moved under the checkpoint) */
  side: SideChain
  checkpoint: Checkpoint
  hash: Uint8Array
  signatures: Map<string, Uint8Array>
  /** head number at which this node may submit (quorum head + its committee index) */
  submitAt: bigint | null
  /** head number when this node sent its submission (null: not sent) */
  submittedAt: bigint | null
}

/** a member closes an ended cycle this many blocks into the next one (late receipts still count) */
const CLOSE_GRACE_BLOCKS = 3n

/** a submission not on chain this many blocks later (reverted, dropped) is sent again */
const RESUBMIT_BLOCKS = 20n

/** the signing deadline when the options give none: the genesis default of flowSignDeadlineSec */
export const DEFAULT_SIGN_DEADLINE_MS = 60_000n

/** a restarted node looks this many cycles back for a signed checkpoint not yet on chain */
const RESUME_CYCLES = 16n

/** signatures that arrived before this node closed the cycle; bounded */
const MAX_EARLY_SIGNATURES = 1024
/** peer receipts of the next cycle, held until this node's head enters it; bounded */
const MAX_AHEAD_RECEIPTS = 16_384

/** Quorum of a committee of n: at least 2/3 of it, ⌈2n/3⌉ (DESIGN §12; consensus/povf/engine.ts quorumOf) */
export function quorumOf(n: number): number {
  return Math.floor((2 * n + 2) / 3)
}

/** gas of submitCheckpoint: the FlowRewards gas table (with `absent` members penalised) + intrinsic + calldata, with headroom */
export function checkpointGas(calldata: Uint8Array, entries: number, signatures: number, absent = 0): bigint {
  const words = BigInt(Math.ceil(calldata.length / 32))
  const exec = 80_000n + 25_000n * BigInt(entries) + 5_000n * BigInt(signatures) + 20_000n * BigInt(absent) + 6n * words
  return ((21_000n + 16n * BigInt(calldata.length) + exec) * 3n) / 2n
}

export class FlowService {
  readonly address: string | null
  private current: { cycle: bigint; committee: string[]; side: SideChain | null } | null = null
  /**
   * The cycle that just ended, still taking receipts of its own cycle until its head is
   * CLOSE_GRACE_BLOCKS into the next one: a receipt gossiped at the very end of a cycle reaches
   * every member before any of them closes, so they all build the same checkpoint.
   */
  private grace: { cycle: bigint; committee: string[]; side: SideChain; closeAt: bigint } | null = null
  private readonly closing = new Map<bigint, Closing>()
  private readonly early = new Map<string, Map<string, Uint8Array>>()
  /** receipts of the next cycle from peers whose head entered it before ours did */
  private ahead: SignedReceipt[] = []
  private readonly queue = new SerialQueue()
  private stopped = false
  gossip: FlowGossip = { receipt: () => {}, signature: () => {} }

  constructor(private readonly o: FlowServiceOptions) {
    this.address = o.key === undefined ? null : bytesToHex(addressOf(publicKeyOf(o.key)))
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn)
  }

  /** Called by the node for each new canonical head (and once at start). */
  onHead(): Promise<void> {
    return this.serial(() => this.followHead())
  }

  private async followHead(): Promise<void> {
    if (this.stopped) return
    const head = this.o.view.head()
    const cycle = this.o.view.cycleAt(head.timestampMs)
    if (this.current === null) await this.resumeClose(cycle)
    if (this.current === null || cycle > this.current.cycle) {
      const prev = this.current
      const committee = await this.o.view.committee(cycle)
      const member = await this.runs(cycle, committee)
      const side = member ? await this.openSide(cycle) : null
      this.current = { cycle, committee, side }
      if (member) this.o.logger.info('running the flow side-chain', { cycle, committee: committee.length, reserve: !committee.includes(this.address!) })
      if (prev?.side) {
        // a cycle still in its grace (the head jumped a whole cycle) closes now
        if (this.grace !== null) await this.closeGrace()
        this.grace = { cycle: prev.cycle, committee: prev.committee, side: prev.side, closeAt: head.number + CLOSE_GRACE_BLOCKS }
      }
      this.replayAhead()
    } else if (cycle === this.current.cycle && this.current.committee.length === 0) {
      // the genesis block draws no committee: cycle 0's is drawn by block 1
      const committee = await this.o.view.committee(cycle)
      if (committee.length > 0) {
        const member = await this.runs(cycle, committee)
        this.current = { cycle, committee, side: member ? await this.openSide(cycle) : null }
        this.replayAhead()
      }
    }
    if (this.grace !== null && head.number >= this.grace.closeAt) await this.closeGrace()
    await this.maybeSubmit(head.number)
    if (this.o.watcher !== undefined) {
      try {
        await this.o.watcher.onHead()
      } catch (e) {
        this.o.logger.warn('the fraud-proof watcher failed', { error: e })
      }
    }
  }

  /** this node runs the cycle's side-chain: its key is in the committee or in its reserve */
  private async runs(cycle: bigint, committee: string[]): Promise<boolean> {
    if (this.address === null) return false
    if (committee.includes(this.address)) return true
    return committee.length > 0 && ((await this.o.view.reserve?.(cycle)) ?? []).includes(this.address)
  }

  /**
   * shows a receipt to the watcher with where it came from (`'rpc'`, `'peer:<node id>'`: a full
   * watcher evicts from the source holding the most); whatever it does, the receipt's own handling goes on
   */
  private seen(sr: SignedReceipt, source: string): void {
    try {
      this.o.watcher?.see(sr, source)
    } catch (e) {
      this.o.logger.debug('the fraud-proof watcher refused a receipt', { error: e })
    }
  }

  /** tells the watcher a receipt was taken here: its signatures were checked, it need not check them again */
  private taken(r: SubmitResult): void {
    try {
      this.o.watcher?.signedByParties(r.receiptHash)
    } catch (e) {
      this.o.logger.debug('the fraud-proof watcher refused a receipt', { error: e })
    }
  }

  private async closeGrace(): Promise<void> {
    const g = this.grace!
    this.grace = null
    await this.closeCycle(g.cycle, g.committee, g.side)
  }

  /** the held receipts of the cycle that just opened go in, in arrival order (not awaited) */
  private replayAhead(): void {
    const cur = this.current
    const held = this.ahead
    this.ahead = []
    if (cur?.side == null) return
    for (const sr of held) {
      if (sr.cycle !== cur.cycle) continue
      cur.side.submit(sr).catch((e) => this.o.logger.debug('held receipt not taken', { error: e }))
    }
  }

  private openSide(cycle: bigint): Promise<SideChain> {
    return SideChain.open({
      store: this.o.store,
      chainId: this.o.chainId,
      cycle,
      headNumber: () => this.o.view.head().number,
      verify: this.o.verify,
      settled: (id) => this.o.view.settled(id),
      now: this.o.now,
      admit: this.admit,
      rate: { maxBytesPerSec: this.o.maxBytesPerSec, sinceMs: Number(this.o.view.cycleStartMs(cycle > 2n ? cycle - 2n : 0n)) },
      onSkipped: (sr, why) =>
        this.o.logger.warn('a receipt left out of the flow checkpoint', { cycle, sessionId: sr.sessionId, seq: sr.seq, provider: sr.provider, why }),
      maxPending: this.o.maxPending,
      blockDelayMs: this.o.blockDelayMs,
      ...(this.o.maxSessionsPerProvider === undefined ? {} : { maxSessionsPerProvider: this.o.maxSessionsPerProvider }),
    })
  }

  /**
   * At start-up: a checkpoint this node signed before it stopped (the last RESUME_CYCLES cycles)
   * and that is not on chain yet goes back into the closing work with the signatures stored
   * with it; a cycle it ran but had not closed (no checkpoint record) is closed now.
   */
  private async resumeClose(cycle: bigint): Promise<void> {
    if (cycle === 0n || this.address === null) return
    for (let c = cycle > RESUME_CYCLES ? cycle - RESUME_CYCLES : 0n; c < cycle; c++) await this.resumeCycle(c, c === cycle - 1n)
  }

  private async resumeCycle(cycle: bigint, last: boolean): Promise<void> {
    if ((await this.o.store.head(cycle)) === undefined || (await this.o.view.checkpointOnChain(cycle))) return
    const committee = await this.o.view.committee(cycle)
    if (!committee.includes(this.address!)) return
    const record = await this.o.store.checkpoint(cycle)
    if (record === undefined) {
      if (last) await this.closeCycle(cycle, committee, await this.openSide(cycle))
      return
    }
    const side = await this.openSide(cycle)
    await side.close()
    const { checkpoint } = decodeCheckpointCall(record.encoded)
    this.closing.set(cycle, {
      cycle,
      committee,
      side,
      checkpoint,
      hash: record.checkpointHash,
      signatures: record.signatures,
      submitAt: null,
      submittedAt: null,
    })
    this.o.logger.info('resumed the flow checkpoint', { cycle, signatures: record.signatures.size })
  }

  /** seal, build the checkpoint (none for a cycle without traffic), sign, gossip */
  private async closeCycle(cycle: bigint, committee: string[], side: SideChain): Promise<void> {
    const entries = await side.close()
    if (entries.length === 0) return
    const checkpoint = buildCheckpoint({ cycle, prevCheckpoint: await this.o.view.lastCheckpointHash(), entries })
    const c: Closing = { cycle, committee, side, checkpoint, hash: new Uint8Array(32), signatures: new Map(), submitAt: null, submittedAt: null }
    this.closing.set(cycle, c)
    if (committee.includes(this.address!)) await this.sign(c, checkpoint)
    else await this.hold(c)
  }

  /** a reserve node keeps the checkpoint unsigned (and gathers the members' signatures) until a redraw makes it a member */
  private async hold(c: Closing): Promise<void> {
    c.hash = checkpointHash(c.checkpoint, this.o.chainId)
    c.signatures = new Map()
    c.submitAt = null
    for (const [signer, sig] of this.early.get(earlyKey(c.cycle, c.hash)) ?? []) c.signatures.set(signer, sig)
    this.early.delete(earlyKey(c.cycle, c.hash))
    await this.persist(c)
  }

  /** (re)signs `c` as `checkpoint`: signatures of another hash no longer count, those of the same one stay */
  private async sign(c: Closing, checkpoint: Checkpoint): Promise<void> {
    const hash = checkpointHash(checkpoint, this.o.chainId)
    const signature = signCheckpoint(checkpoint, this.o.chainId, this.o.key!)
    const kept = bytesToHex(hash) === bytesToHex(c.hash) ? c.signatures : new Map<string, Uint8Array>()
    c.checkpoint = checkpoint
    c.hash = hash
    c.signatures = new Map([...kept, [this.address!, signature]])
    c.submitAt = null
    for (const [signer, sig] of this.early.get(earlyKey(c.cycle, hash)) ?? []) c.signatures.set(signer, sig)
    this.early.delete(earlyKey(c.cycle, hash))
    await this.persist(c)
    this.o.logger.info('signed the flow checkpoint', { cycle: c.cycle, entries: checkpoint.entries.length, totalBytes: checkpoint.totalBytes, hash })
    this.gossip.signature({ cycle: c.cycle, checkpointHash: hash, signature })
  }

  private async persist(c: Closing): Promise<void> {
    await this.o.store.putCheckpoint(c.cycle, {
      encoded: encodeCheckpointCall(c.checkpoint, []),
      checkpointHash: c.hash,
      signatures: c.signatures,
      submittedTx: null,
    })
  }

  /**
   * Checkpoints go on chain in cycle order (each names the previous one). A closing built while
   * its predecessor was not yet on chain names a stale prevCheckpoint and stale settled totals:
   * once the predecessor is in, it is rebuilt and signed again (every member does the same from
   * the same chain state, so they agree again).
   */
  private async maybeSubmit(headNumber: bigint): Promise<void> {
    const ordered = [...this.closing.values()].sort((x, y) => (x.cycle < y.cycle ? -1 : 1))
    for (const c of ordered) {
      if (await this.o.view.checkpointOnChain(c.cycle)) {
        this.closing.delete(c.cycle)
        continue
      }
      // an earlier checkpoint of ours is still on its way: this one waits for it
      if (c !== ordered.find((x) => this.closing.has(x.cycle))) return
      const last = await this.o.view.lastCheckpointHash()
      if (bytesToHex(last) !== bytesToHex(c.checkpoint.prevCheckpoint)) {
        const entries = await c.side.entries()
        if (entries.length === 0) {
          this.closing.delete(c.cycle)
          continue
        }
        const rebuilt = buildCheckpoint({ cycle: c.cycle, prevCheckpoint: last, entries })
        if (c.committee.includes(this.address!)) await this.sign(c, rebuilt)
        else {
          c.checkpoint = rebuilt
          await this.hold(c)
        }
      }
      if (c.submittedAt !== null && headNumber < c.submittedAt + RESUBMIT_BLOCKS) return
      await this.followRedraw(c)
      // a redraw made this reserve node a member: it signs the checkpoint it built
      if (c.committee.includes(this.address!) && !c.signatures.has(this.address!)) await this.sign(c, c.checkpoint)
      if (!this.ready(c) || !c.committee.includes(this.address!)) return
      c.submitAt ??= headNumber + BigInt(Math.max(0, c.committee.indexOf(this.address!)))
      if (headNumber < c.submitAt) return
      const sigs = this.signaturesOf(c)
      const calldata = encodeCheckpointCall(c.checkpoint, sigs)
      try {
        const absent = c.committee.filter((a) => !c.signatures.has(a)).length
        const tx = await this.o.submitCheckpoint(calldata, checkpointGas(calldata, c.checkpoint.entries.length, sigs.length, absent))
        c.submittedAt = headNumber
        this.o.logger.info('submitted the flow checkpoint', { cycle: c.cycle, signatures: sigs.length, tx })
      } catch (e) {
        this.o.logger.warn('could not submit the flow checkpoint', { cycle: c.cycle, error: e })
      }
      return
    }
  }

  /** the head is past `c`'s signing deadline: members that have not signed are skipped */
  private pastDeadline(c: Closing): boolean {
    return this.o.view.head().timestampMs >= this.o.view.cycleStartMs(c.cycle + 1n) + (this.o.signDeadlineMs ?? DEFAULT_SIGN_DEADLINE_MS)
  }

  /** every member signed, or a quorum did and the deadline passed */
  private ready(c: Closing): boolean {
    const signed = c.committee.filter((a) => c.signatures.has(a)).length
    if (signed === c.committee.length) return true
    return signed >= quorumOf(c.committee.length) && this.pastDeadline(c)
  }

  /**
   * the committee as the chain has it now (a redraw replaces it): signatures already gathered
   * stay (the chain takes a signer of any round), the submission turn starts again
   */
  private async followRedraw(c: Closing): Promise<void> {
    const now = await this.o.view.committee(c.cycle)
    if (now.length === 0 || now.join() === c.committee.join()) return
    this.o.logger.info('the flow committee was redrawn', { cycle: c.cycle, committee: now.length })
    c.committee = now
    c.submitAt = null
  }

  /** the current committee's signatures in committee order, then earlier rounds' in address order: one calldata per set of signers */
  private signaturesOf(c: Closing): Uint8Array[] {
    const current = c.committee.filter((a) => c.signatures.has(a))
    const earlier = [...c.signatures.keys()].filter((a) => !c.committee.includes(a)).sort()
    return [...current, ...earlier].map((a) => c.signatures.get(a)!)
  }

  // ---------------------------------------------------------------- receipts

  /** flow_submitReceipt: parse, validate, and put into the side-chain or forward. */
  async submitReceipt(json: unknown): Promise<SubmitResult> {
    const sr = receiptFromJson(json)
    this.seen(sr, 'rpc')
    const r = await this.ingest(sr)
    this.taken(r)
    this.gossip.receipt(encodeReceipt(sr))
    return r
  }

  private async ingest(sr: SignedReceipt, fromPeer = false): Promise<SubmitResult> {
    const cur = this.current
    if (cur === null) throw new FlowError(FlowErrorCode.FLOW_WRONG_CYCLE, 'the flow service has not started yet')
    // bounded totals everywhere; a member's side-chain also admits only a pledged provider with
    // fuel in escrow (`admit`), before it checks any signature or stores anything
    checkTotalBound(sr)
    checkSampleFloor(sr)
    if (this.grace !== null && sr.cycle === this.grace.cycle) return this.grace.side.submit(sr)
    if (cur.side !== null && !(fromPeer && sr.cycle === cur.cycle + 1n)) return cur.side.submit(sr)
    // not in the committee: what can be checked without session state, then forward
    const head = this.o.view.head().number
    if (sr.chainId !== this.o.chainId) throw new FlowError(FlowErrorCode.FLOW_WRONG_CHAIN, `chainId ${sr.chainId}, this chain is ${this.o.chainId}`)
    // the next cycle too: heads of nodes enter a cycle a block apart, a member holds it until then
    if (sr.cycle !== cur.cycle && !(fromPeer && sr.cycle === cur.cycle + 1n)) {
      throw new FlowError(FlowErrorCode.FLOW_WRONG_CYCLE, `receipt of cycle ${sr.cycle}, the current flow cycle is ${cur.cycle}`)
    }
    if (sr.expiryHeight < head) throw new FlowError(FlowErrorCode.FLOW_EXPIRED, `receipt expired at height ${sr.expiryHeight}, the head is ${head}`)
    // the parties at the edge too (DESIGN §12): what the committee would refuse is not forwarded
    await this.admit(sr)
    const [bad] = await this.o.verify([sr])
    if (bad) throw bad
    if (cur.side !== null) {
      if (this.ahead.length >= MAX_AHEAD_RECEIPTS) this.ahead.shift()
      this.ahead.push(sr)
    }
    return { receiptHash: receiptHash(sr), sideChainId: sideChainIdOf(sr.cycle), height: null }
  }

  /** refuses a receipt whose provider is not a pledged node or whose pair has no NB escrow nor channel funds */
  private readonly admit = async (sr: SignedReceipt): Promise<void> => {
    const p = await this.o.view.parties(sr.consumer, sr.provider)
    if (!p.providerPledged) {
      throw new FlowError(FlowErrorCode.FLOW_NOT_PLEDGED, `provider ${sr.provider} is not a pledged node`, { provider: sr.provider })
    }
    if (p.escrow === 0n) {
      throw new FlowError(FlowErrorCode.FLOW_NO_ESCROW, `consumer ${sr.consumer} holds no NB escrow and no payment-channel funds for provider ${sr.provider}`, {
        consumer: sr.consumer,
        provider: sr.provider,
      })
    }
  }

  /**
   * a receipt from a peer (`peerId`: its node id, what the watcher counts the receipt under):
   * relayed when accepted here (member) or plausible (not a member)
   */
  async onPeerReceipt(encoded: Uint8Array, peerId?: string): Promise<'relay' | 'drop'> {
    const sr = decodeReceipt(encoded)
    this.seen(sr, peerId === undefined ? 'peer' : `peer:${peerId}`)
    try {
      this.taken(await this.ingest(sr, true))
      return 'relay'
    } catch (e) {
      // forged or malformed: the peer should have checked; anything else is a race (replay, late)
      if (e instanceof FlowError && (e.code === FlowErrorCode.FLOW_BAD_SIGNATURE || e.code === FlowErrorCode.FLOW_BAD_FORMAT)) throw e
      this.o.logger.debug('receipt from a peer not taken', { error: e })
      return 'drop'
    }
  }

  /** a committee member's checkpoint signature from a peer */
  async onPeerSignature(s: { cycle: bigint; checkpointHash: Uint8Array; signature: Uint8Array }): Promise<'relay' | 'drop'> {
    const [signer] = recoverCheckpointSigners(s.checkpointHash, [s.signature])
    const committee = this.closing.get(s.cycle)?.committee ?? (await this.o.view.committee(s.cycle))
    if (signer == null || !committee.includes(signer)) {
      throw new FlowError(FlowErrorCode.FLOW_NOT_COMMITTEE, `checkpoint signature of cycle ${s.cycle} by ${signer ?? 'nobody'}, not a committee member`)
    }
    await this.serial(async () => {
      const c = this.closing.get(s.cycle)
      if (c !== undefined && bytesToHex(c.hash) === bytesToHex(s.checkpointHash)) {
        if (c.signatures.has(signer)) return
        c.signatures.set(signer, s.signature)
        await this.persist(c)
        await this.maybeSubmit(this.o.view.head().number)
        return
      }
      const k = earlyKey(s.cycle, s.checkpointHash)
      if (!this.early.has(k)) {
        if (this.early.size >= MAX_EARLY_SIGNATURES) this.early.delete(this.early.keys().next().value as string)
        this.early.set(k, new Map())
      }
      this.early.get(k)!.set(signer, s.signature)
    })
    return 'relay'
  }

  // ---------------------------------------------------------------- views

  /** the current flow cycle (null before the first head was seen) */
  get cycle(): bigint | null {
    return this.current?.cycle ?? null
  }

  async sideChain(cycle?: bigint): Promise<SideChainInfo | null> {
    const cur = this.current
    const c = cycle ?? cur?.cycle
    if (c === undefined) return null
    if (cur !== null && c === cur.cycle) {
      return {
        sideChainId: sideChainIdOf(c),
        cycle: c,
        committee: cur.committee,
        height: cur.side?.height ?? 0n,
        headHash: cur.side?.headHash ?? new Uint8Array(32),
        receipts: cur.side?.receiptCount ?? 0n,
        pendingBytes: cur.side?.pendingBytes ?? 0n,
      }
    }
    const head = await this.o.store.head(c)
    const committee = await this.o.view.committee(c)
    if (head === undefined && committee.length === 0) return null
    const receipts = await this.o.store.receiptCount(c, head)
    return {
      sideChainId: sideChainIdOf(c),
      cycle: c,
      committee,
      height: head?.height ?? 0n,
      headHash: head?.hash ?? new Uint8Array(32),
      receipts,
      pendingBytes: 0n,
    }
  }

  /** the cycle whose sideChainId this is, searching back from the current cycle (null: none) */
  cycleOf(sideChainId: Uint8Array, maxBack = 1_000_000n): bigint | null {
    const want = bytesToHex(sideChainId)
    const now = this.current?.cycle ?? 0n
    for (let c = now; c >= 0n && now - c < maxBack; c--) if (bytesToHex(sideChainIdOf(c)) === want) return c
    return null
  }

  session(sessionId: Uint8Array): Promise<SessionRecord | undefined> {
    return this.o.store.session(sessionId)
  }

  /** seals what is pending, stops the side-chain (close, before the database goes) */
  async stop(): Promise<void> {
    await this.serial(async () => {
      this.stopped = true
      for (const side of [this.current?.side, this.grace?.side]) {
        if (!side) continue
        await side.flush().catch(() => undefined)
        side.stop()
      }
    })
  }
}

const earlyKey = (cycle: bigint, hash: Uint8Array): string => `${cycle}:${bytesToHex(hash)}`
