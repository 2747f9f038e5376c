/**
 * Snapshot sync, the client (DESIGN §10; geth's snap/1 is the model). A node with an empty chain
 * whose peer is far ahead does not replay history: it
 *
 *   1. downloads the newest blocks up to the peer's head (the last PIVOT_WINDOW_BLOCKS) and checks
 *      each: number, link to the block before it, producer signature, transactions and
 *      confirmations roots;
 *   2. picks the pivot among them: the highest block built on by ⌊2W/3⌋+1 distinct producers (W:
 *      the genesis witnesses per round) — final by their confirmations (a producer's block
 *      confirms its ancestors) — without state, the client cannot know the schedule, so this is
 *      re-checked against the seats in the downloaded state (step 4);
 *   3. then, together (separate requests: the history's GetBlocks and GetReceipts, the state's
 *      snapshot ranges; a long history hides behind the state):
 *      - the history below those blocks from our own genesis (GetBlocks), checked the same way,
 *        linked up to the first of them, and stored, never executed, with its receipts
 *        (GetReceipts), each block's checked against its receiptsRoot (./snapReceipts.ts), so old
 *        transactions keep their receipts, logs and address index on the synced node;
 *      - the state at the pivot's root in ranges: accounts by hashed address with Merkle range
 *        proofs against the root, each account's storage with proofs against its storageRoot,
 *        codes by hash (keccak checked); each verified range is added to a trie built here, and a
 *        peer whose proof does not hold is banned (BanReason.InvalidProof) and the next one asked;
 *      the newest blocks up to the pivot are stored once both are in (their receipts checked too);
 *   4. checks the rebuilt root equals the pivot's state root and the pivot's producers are seated
 *      witnesses, then makes the pivot the head and final block; range sync follows from there.
 *
 * Progress (accounts, slots, codes, bytes, share of the key space, ETA) is logged every few seconds
 * and a summary at the end. The pruner sweeps nothing meanwhile: its passes start only after a
 * block import, and range sync (the only importer of peers' history) is held until the end.
 */
import { bytesToHex, KECCAK256_NULL, KECCAK256_RLP } from '@ethereumjs/util'
import { decodeBlock, type Block } from '../chain/block.js'
import { encodeReceipts, type TxReceipt } from '../chain/receipt.js'
import type { Db } from '../chain/db/level.js'
import { verifyBodyRoots } from '../chain/blocks/verifyBody.js'
import { quorum } from '../chain/finality.js'
import { checkSigner, equalBytes, producerSignature } from '../chain/header.js'
import { readWitnesses } from '../consensus/dpos/views.js'
import { core } from '../core/index.js'
import type { RecoverItem } from '../crypto/recoverPool.js'
import { addressOf, recoverPublicKey } from '../crypto/secp256k1.js'
import type { Network, PeerInfo } from '../p2p/network.js'
import { SNAP_MAX_ANSWER_BYTES, SNAP_MAX_CODE_HASHES, SNAP_MAX_RECEIPT_BLOCKS, type RangeAnswer } from '../p2p/snapMessages.js'
import { RangeTrieBuilder, nextKey } from '../state/snapRange.js'
import { TrieBuildStore } from '../state/trieNodeStore.js'
import { NfcError } from '../util/errors.js'
import { decodeRlpView } from '../util/rlpView.js'
import type { Logger } from '../util/logger.js'
import type { Blockchain, Head } from './blockchain.js'
import { NodeErrorCode } from './errors.js'
import { checkedReceipts, ReceiptsRefused } from './snapReceipts.js'

/** a peer at least this far ahead of an empty chain is snapshot-synced from; nearer ones are replayed */
export const SNAP_MIN_BLOCKS_AHEAD = 128n
/** how long a new node waits for a first peer before it gives snapshot sync up (block by block then) */
export const SNAP_PEER_WAIT_MS = 30_000
/** blocks per GetBlocks of the history download */
const HISTORY_BATCH_BLOCKS = 128
/** the newest blocks held back (not stored) until the pivot among them is chosen */
const PIVOT_WINDOW_BLOCKS = 512
/** how often progress is logged */
const PROGRESS_INTERVAL_MS = 3_000
/** the share of the hashed key space below a key is read from its first 6 bytes */
const KEY_SHARE_BYTES = 6
const ZERO_KEY = new Uint8Array(32)
/** index of the fields of an account's RLP [nonce, balance, storageRoot, codeHash] */
const STORAGE_ROOT = 2
const CODE_HASH = 3
/** contract code is stored in the trie's key space under `c ‖ codeHash` (ethereumjs prefixCodeHashes) */
const CODE_KEY_PREFIX = '63'
/** the receipts of a block without transactions: the empty list, as the block store encodes it */
const EMPTY_RECEIPTS = encodeReceipts([])

/** The network calls snapshot sync makes (Network implements them). */
export type SnapNetwork = Pick<
  Network,
  | 'peers'
  | 'on'
  | 'off'
  | 'requestBlocksOf'
  | 'requestReceipts'
  | 'requestAccountRange'
  | 'requestStorageRange'
  | 'requestByteCodes'
  | 'penalizeProof'
  | 'releaseSync'
>

export interface SnapSyncOptions {
  network: SnapNetwork
  chain: Blockchain
  db: Db
  logger: Logger
  /** `--sync snap` given (else the default for a new data directory): says why it fell back */
  explicit: boolean
  /** genesis witnesses per round: the pivot's quorum before the state is known */
  witnessesPerRound: number
  /** how long to wait for a first peer (default SNAP_PEER_WAIT_MS; tests shrink it) */
  peerWaitMs?: number
  /** the clock progress and the summary read */
  now?: () => number
  /** the snapshot became the head (the node refreshes its pool and flow view) */
  onAdopted?: () => void
  /**
   * recovers signers' public keys (the node's RecoverPool: worker threads), for the producer
   * signatures of downloaded blocks; absent: recovered on this thread
   */
  recoverMany?: (items: readonly RecoverItem[]) => Promise<(Uint8Array | null)[]>
}

/** What the sync has done so far (progress lines, the summary). */
export interface SnapProgress {
  /** receipts of the history's transactions downloaded and checked */
  receipts: number
  accounts: number
  slots: number
  codes: number
  /** bytes of receipts, leaves and codes downloaded */
  bytes: number
}

/**
 * History a snapshot sync stored but never made the chain's (it failed, or the node stopped in
 * the middle): removed, so the range sync executes those blocks instead of finding them known.
 * A no-op on a chain whose head is above genesis (history is only ever stored below the head).
 */
export async function forgetSnapshotHistory(chain: Blockchain, logger: Logger): Promise<void> {
  if (chain.head.header.number !== 0n || (await chain.store.getHashByNumber(1n)) === undefined) return
  let top = 1n
  for (let step = 1n << 20n; step > 0n; step >>= 1n) if ((await chain.store.getHashByNumber(top + step)) !== undefined) top += step
  const removed = await chain.store.forgetHistory(top)
  logger.info('removed the blocks of an unfinished snapshot sync', { blocks: removed })
}

/** this peer failed this piece of work (penalised already where it deserved it) */
class PeerFailed extends Error {}

export class SnapSync {
  private decided = false
  private stopped = false
  /** the history or the state download failed: the other stops at its next step */
  private halted = false
  private running: Promise<void> | undefined
  private waitTimer: NodeJS.Timeout | undefined
  private target = 0n
  private readonly failed = new Set<string>()
  private readonly progress: SnapProgress = { receipts: 0, accounts: 0, slots: 0, codes: 0, bytes: 0 }
  private readonly now: () => number
  private readonly onPeer = (p: PeerInfo) => this.consider(p)

  constructor(private readonly o: SnapSyncOptions) {
    this.now = o.now ?? Date.now
    this.nodes = new TrieBuildStore(o.db)
    this.accountTrie = new RangeTrieBuilder(this.nodes)
  }

  /** Watches for a first peer: far enough ahead, snapshot sync; otherwise (or none in time) block by block. */
  start(): void {
    this.o.network.on('peer', this.onPeer)
    for (const p of this.o.network.peers) this.consider(p)
    if (this.decided) return
    this.waitTimer = setTimeout(
      () => this.fallBack(`no peer within ${(this.o.peerWaitMs ?? SNAP_PEER_WAIT_MS) / 1000} s`),
      this.o.peerWaitMs ?? SNAP_PEER_WAIT_MS,
    )
    this.waitTimer.unref()
  }

  /** eth_syncing while the snapshot downloads; false otherwise */
  status(): { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint } | false {
    return this.running === undefined ? false : { startingBlock: 0n, currentBlock: this.o.chain.head.header.number, highestBlock: this.target }
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.decide()
    await this.running
  }

  private decide(): void {
    this.decided = true
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer)
    this.o.network.off('peer', this.onPeer)
  }

  private consider(p: PeerInfo): void {
    if (this.decided) return
    const local = this.o.chain.head.header.number
    if (local !== 0n) return this.fallBack(`the chain is not empty (head ${local})`)
    if (p.head - local < SNAP_MIN_BLOCKS_AHEAD) return this.fallBack(`peer ${p.id.slice(0, 16)} is only ${p.head - local} blocks ahead`)
    this.decide()
    this.running = this.run().finally(() => {
      this.running = undefined
      if (!this.stopped) this.o.network.releaseSync()
    })
  }

  private fallBack(why: string): void {
    this.decide()
    const log = this.o.explicit ? this.o.logger.warn.bind(this.o.logger) : this.o.logger.info.bind(this.o.logger)
    log(`snapshot sync not used (${why}): syncing block by block`)
    if (!this.stopped) this.o.network.releaseSync()
  }

  private async run(): Promise<void> {
    const { logger } = this.o
    const started = this.now()
    try {
      const top = await this.withPeers(0n, (peer) => this.downloadTop(peer))
      const pivot: Head = { hash: top.window[top.pivotIndex]!.hash, header: top.window[top.pivotIndex]!.header }
      logger.info('snapshot sync: pivot chosen, downloading its state and the history below', {
        pivot: pivot.header.number,
        stateRoot: pivot.header.stateRoot,
        window: top.window.length,
        ms: this.now() - started,
      })
      // the history below the window and the state at the pivot download together: the history's
      // requests (GetBlocks, GetReceipts) and the state's (snapshot ranges) are separate requests,
      // so the peer serves one while this node checks and builds the other, and the time of a
      // long history hides behind the state's; the pivot is trusted only once both are in
      const halting = <T>(p: Promise<T>): Promise<T> =>
        p.catch((e: unknown) => {
          this.halted = true
          throw e
        })
      const first = top.window[0]!
      const settled = await Promise.allSettled([
        halting(this.withPeers(first.header.number - 1n, (peer) => this.downloadHistoryBelow(peer, first))),
        halting(this.withPeers(pivot.header.number, (peer) => this.downloadState(peer, pivot))),
      ])
      for (const r of settled) if (r.status === 'rejected') throw r.reason
      await this.o.chain.store.commitHistory(top.window.slice(0, top.pivotIndex + 1), (b) => top.receipts.get(b))
      await this.checkPivotFinal(pivot)
      await this.o.chain.adoptSnapshot(pivot)
      this.o.onAdopted?.()
      const seconds = (this.now() - started) / 1000
      logger.info('snapshot sync finished', {
        pivot: pivot.header.number,
        stateRoot: pivot.header.stateRoot,
        ...this.progress,
        megabytes: (this.progress.bytes / 1e6).toFixed(1),
        seconds: seconds.toFixed(1),
      })
    } catch (e) {
      if (this.stopped) return
      // the history stored so far goes first (the history and the state download together: how far
      // the history got when the state failed varies), so "failed" is said once nothing of it is left
      try {
        await forgetSnapshotHistory(this.o.chain, logger)
      } finally {
        logger.warn('snapshot sync failed: syncing block by block from the head instead', { error: e instanceof Error ? e.message : String(e) })
      }
    }
  }

  /** runs `work` with the best peer at or above `minHead` not failed yet, the next one when it fails */
  private async withPeers<T>(minHead: bigint, work: (peer: PeerInfo) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.stopped) throw new Error('stopped')
      if (this.halted) throw new Error('the other half of the snapshot download failed')
      const peer = this.o.network.peers
        .filter((p) => !this.failed.has(p.id) && p.head >= minHead)
        .sort((a, b) => (a.head > b.head ? -1 : a.head < b.head ? 1 : 0))[0]
      if (peer === undefined) throw new NfcError(NodeErrorCode.SnapSyncFailed, 'no peer left that can serve the snapshot')
      try {
        return await work(peer)
      } catch (e) {
        if (!(e instanceof PeerFailed) && !(e instanceof Error && /peer|timed out|closed|not connected/.test(e.message))) throw e
        this.o.logger.warn('snapshot sync: peer failed, trying another', { peer: peer.id, why: e.message })
        this.failed.add(peer.id)
      }
    }
  }

  /** a peer's data that proves false: ban it, fail the work */
  private refuse(peer: PeerInfo, why: string): never {
    this.o.network.penalizeProof(peer.id, why)
    throw new PeerFailed(why)
  }

  // ---------------------------------------------------------------- 1, 2: history and pivot

  /**
   * The newest PIVOT_WINDOW_BLOCKS blocks of the peer's chain (to its head), checked as the history
   * is (each linked to the one before it, signed, its body roots; the first one's link to the blocks
   * below is checked when they are in), the pivot among them, and the receipts of the blocks up to
   * the pivot. Nothing is stored yet: a block above the pivot must never be (the range sync would
   * find it "known" and never execute it), and the rest wait for the history below to link up.
   */
  private async downloadTop(peer: PeerInfo): Promise<{ window: Block[]; pivotIndex: number; receipts: Map<Block, TxReceipt[]> }> {
    const { chain, logger } = this.o
    const target = peer.head
    this.target = target
    logger.info('snapshot sync started', { peer: peer.id, target })
    const from = target > BigInt(PIVOT_WINDOW_BLOCKS) ? target - BigInt(PIVOT_WINDOW_BLOCKS) + 1n : 1n
    const genesis: Head = { hash: chain.genesisHash, header: (await chain.headerByNumber(0n))!.header }
    // below block 1 is genesis, checked here; otherwise the link down is checked by downloadHistoryBelow
    const window = await this.downloadBlocks(peer, from, target, from === 1n ? genesis : undefined, async () => {})
    const pivotIndex = this.pivotIndex(window)
    const receipts = new Map<Block, TxReceipt[]>()
    await this.downloadReceipts(peer, window.slice(0, pivotIndex + 1), receipts)
    return { window, pivotIndex, receipts }
  }

  /**
   * Blocks 1..the one below `first` (the window's first block) from our genesis, checked, with
   * their receipts, stored as history batch by batch (all are below the pivot); the last one must
   * be `first`'s parent, or this peer's chain is not the one the pivot was chosen on.
   */
  private async downloadHistoryBelow(peer: PeerInfo, first: Block): Promise<void> {
    const { chain } = this.o
    const to = first.header.number - 1n
    if (to < 1n) return
    const genesis: Head = { hash: chain.genesisHash, header: (await chain.headerByNumber(0n))!.header }
    const blocks = await this.downloadBlocks(peer, 1n, to, genesis, async (batch) => {
      const receipts = new Map<Block, TxReceipt[]>()
      await this.downloadReceipts(peer, batch, receipts)
      await chain.store.commitHistory(batch, (b) => receipts.get(b))
    })
    const last = blocks[blocks.length - 1]!
    if (!equalBytes(first.header.parentHash, last.hash) || first.header.timestamp <= last.header.timestamp) {
      throw new PeerFailed(`its block ${to} is not the parent of block ${to + 1n} of the chain the pivot was chosen on`)
    }
  }

  /**
   * Blocks from..to of `peer`'s chain, each checked (checkedBlock) and linked to the one before it
   * (the first to `parent` when given), handed to `onBatch` as each answer is checked; returns the
   * last answer's blocks and, for the window, all of them (`from..to` spans at most PIVOT_WINDOW_BLOCKS
   * there). The next batch is asked for as soon as one arrives, so the peer reads it while this one
   * is checked (one GetBlocks in flight per peer, as the network allows).
   */
  private async downloadBlocks(
    peer: PeerInfo,
    from: bigint,
    to: bigint,
    parent: Head | undefined,
    onBatch: (batch: Block[]) => Promise<void>,
  ): Promise<Block[]> {
    const { logger } = this.o
    const keepAll = to - from + 1n <= BigInt(PIVOT_WINDOW_BLOCKS)
    const kept: Block[] = []
    let lastLog = this.now()
    const ask = (at: bigint) => {
      const count = Number(to - at + 1n < BigInt(HISTORY_BATCH_BLOCKS) ? to - at + 1n : BigInt(HISTORY_BATCH_BLOCKS))
      const answer = this.o.network.requestBlocksOf(peer.id, at, count)
      answer.catch(() => {}) // awaited below; a failure after an earlier one must not go unhandled
      return answer
    }
    let pending = ask(from)
    for (let at = from; at <= to;) {
      if (this.stopped || this.halted) throw new Error('the snapshot download stopped')
      const raw = await pending
      if (raw.length === 0) throw new PeerFailed(`no blocks from ${at}`)
      if (raw.length > Number(to - at + 1n)) this.refuse(peer, `${raw.length} blocks from ${at} where at most ${to - at + 1n} were asked`)
      if (at + BigInt(raw.length) <= to) pending = ask(at + BigInt(raw.length))
      const batch: Block[] = []
      for (const [i, encoded] of raw.entries()) {
        const block = this.checkedBlock(peer, encoded, at + BigInt(i), parent)
        batch.push(block)
        parent = { hash: block.hash, header: block.header }
      }
      await this.checkSigners(peer, batch)
      await onBatch(batch)
      if (keepAll) kept.push(...batch)
      else kept.splice(0, kept.length, ...batch)
      at += BigInt(raw.length)
      if (this.now() - lastLog >= PROGRESS_INTERVAL_MS) {
        lastLog = this.now()
        logger.info('snapshot sync: blocks', { at: at - 1n, target: this.target, receipts: this.progress.receipts })
      }
    }
    return kept
  }

  /**
   * The receipts of `blocks` (those with transactions: an empty block's are the empty list, its
   * root checked too), each block's checked against its header (./snapReceipts.ts) and put in
   * `into`; a peer whose receipts are not the block's is banned, one that does not have them fails.
   */
  private async downloadReceipts(peer: PeerInfo, blocks: Block[], into: Map<Block, TxReceipt[]>): Promise<void> {
    const take = (block: Block, encoded: Uint8Array) => {
      try {
        into.set(block, checkedReceipts(block, encoded))
      } catch (e) {
        if (!(e instanceof ReceiptsRefused)) throw e
        this.refuse(peer, e.message)
      }
      this.progress.receipts += block.transactions.length
      this.progress.bytes += encoded.length
    }
    const wanted: Block[] = []
    for (const b of blocks) {
      if (b.transactions.length === 0) take(b, EMPTY_RECEIPTS)
      else wanted.push(b)
    }
    while (wanted.length > 0) {
      const asked = wanted.slice(0, SNAP_MAX_RECEIPT_BLOCKS)
      const answer = await this.o.network.requestReceipts(
        peer.id,
        asked.map((b) => b.hash),
      )
      if (answer.length === 0) throw new PeerFailed(`no receipts of block ${asked[0]!.header.number}`)
      if (answer.length > asked.length) this.refuse(peer, `${answer.length} receipt lists for ${asked.length} blocks asked`)
      answer.forEach((encoded, i) => take(asked[i]!, encoded))
      wanted.splice(0, answer.length)
    }
  }

  /**
   * Checks that each block of `batch` is signed by its producer: the keys recovered together, off
   * this thread when the node gave `recoverMany` (a long history's signatures were most of its
   * check, on the thread that also rebuilds the state); bans the peer otherwise.
   */
  private async checkSigners(peer: PeerInfo, batch: readonly Block[]): Promise<void> {
    const signedBy = (b: Block, signer: Uint8Array | null) => {
      try {
        checkSigner(b.header, signer)
      } catch (e) {
        this.refuse(peer, (e as Error).message)
      }
    }
    const items: RecoverItem[] = []
    for (const b of batch) {
      const item = producerSignature(b.header, b.hash)
      if (item === null)
        signedBy(b, null) // no signature at all: refused
      else items.push(item)
    }
    const keys = this.o.recoverMany === undefined ? items.map((i) => recoverPublicKey(i.msgHash, i.r, i.s, i.recid)) : await this.o.recoverMany(items)
    batch.forEach((b, i) => {
      const key = keys[i]
      signedBy(b, key === null || key === undefined ? null : addressOf(key))
    })
  }

  /**
   * Decodes block `number` and checks it follows `parent` (when given: the window's first block is
   * linked to its parent once the blocks below are in), with its body roots; bans the peer
   * otherwise. Its signature is checked with its batch's (checkSigners).
   */
  private checkedBlock(peer: PeerInfo, encoded: Uint8Array, number: bigint, parent: Head | undefined): Block {
    let block: Block
    try {
      block = decodeBlock(encoded, this.o.chain.common)
    } catch (e) {
      return this.refuse(peer, `a block does not decode: ${(e as Error).message}`)
    }
    const h = block.header
    if (h.number !== number) this.refuse(peer, `block ${h.number} where ${number} was asked`)
    if (parent !== undefined) {
      if (!equalBytes(h.parentHash, parent.hash)) this.refuse(peer, `block ${h.number} is not the child of block ${parent.header.number}`)
      if (h.timestamp <= parent.header.timestamp) this.refuse(peer, `block ${h.number} is not later than its parent`)
    }
    try {
      verifyBodyRoots(block)
    } catch (e) {
      this.refuse(peer, `block ${h.number}: ${(e as Error).message}`)
    }
    return block
  }

  /** The index in `held` of the highest block that quorum(W) distinct producers built on (blocks above it), W from genesis. */
  private pivotIndex(held: Block[]): number {
    const need = quorum(this.o.witnessesPerRound)
    const producers = new Set<string>()
    for (let i = held.length - 1; i > 0; i--) {
      producers.add(bytesToHex(held[i]!.header.producer))
      if (producers.size >= need) {
        this.pivotProducers = producers
        return i - 1
      }
    }
    throw new NfcError(NodeErrorCode.SnapSyncFailed, `no block in the last ${held.length} is built on by ${need} distinct producers`)
  }

  /** the producers that built on the pivot (checked against the pivot's seats once its state is in) */
  private pivotProducers = new Set<string>()

  /** Step 4's finality check: the producers above the pivot are ⌊2n/3⌋+1 of the n seats in its state. */
  private async checkPivotFinal(pivot: Head): Promise<void> {
    const { seats } = await readWitnesses(await this.o.chain.state.at(pivot.header.stateRoot))
    const seated = seats.filter((s): s is string => s !== null)
    const confirming = seated.filter((w) => this.pivotProducers.has(w)).length
    if (confirming < quorum(seated.length)) {
      throw new NfcError(
        NodeErrorCode.SnapSyncFailed,
        `pivot block ${pivot.header.number} is not final: ${confirming} of its ${seated.length} seated witnesses built on it, ${quorum(seated.length)} needed`,
      )
    }
  }

  // ---------------------------------------------------------------- 3: state

  /** the rebuilt tries' nodes, written to the database after each range */
  private readonly nodes: TrieBuildStore
  private readonly accountTrie: RangeTrieBuilder
  private accountOrigin: Uint8Array | undefined = ZERO_KEY
  private readonly codesWanted = new Map<string, Uint8Array>()
  private readonly storageDone = new Set<string>()
  private lastProgress = 0
  private stateStarted = 0

  /** Downloads (the rest of) the state at the pivot from `peer`; resumes where another peer stopped. */
  private async downloadState(peer: PeerInfo, pivot: Head): Promise<void> {
    const root = pivot.header.stateRoot
    if (this.stateStarted === 0) this.stateStarted = this.now()
    const ask = (origin: Uint8Array) => this.o.network.requestAccountRange(peer.id, { root, origin, maxBytes: SNAP_MAX_ANSWER_BYTES })
    let asked = this.accountOrigin === undefined ? undefined : { origin: this.accountOrigin, answer: ask(this.accountOrigin) }
    while (asked !== undefined) {
      const origin = asked.origin
      const answer = await asked.answer
      // the next range is asked for before this one is checked and built: the peer reads it while
      // this node works (its origin is a guess until the check; a wrong guess is dropped unread)
      const guess = answer.available && answer.keys.length > 0 ? nextKey(answer.keys[answer.keys.length - 1]!) : undefined
      const ahead = guess === undefined ? undefined : { origin: guess, answer: ask(guess) }
      ahead?.answer.catch(() => {})
      const more = await this.verified(peer, root, origin, answer, 'account', this.accountTrie)
      for (let i = 0; i < answer.keys.length; i++) {
        const account = decodeRlpView(answer.values[i]!) as Uint8Array[]
        const storageRoot = account[STORAGE_ROOT]!
        const codeHash = account[CODE_HASH]!
        if (!equalBytes(storageRoot, KECCAK256_RLP) && !this.storageDone.has(bytesToHex(storageRoot))) {
          await this.downloadStorage(peer, root, answer.keys[i]!, storageRoot)
        }
        if (!equalBytes(codeHash, KECCAK256_NULL)) this.codesWanted.set(bytesToHex(codeHash), codeHash)
      }
      await this.flush()
      this.progress.accounts += answer.keys.length
      this.progress.bytes += answer.values.reduce((n, v) => n + v.length + 32, 0)
      if (this.codesWanted.size >= SNAP_MAX_CODE_HASHES) await this.downloadCodes(peer)
      // the check held: the guess is the next origin (undefined after the trie's last key)
      this.accountOrigin = more ? guess : undefined
      this.report(this.accountOrigin)
      asked = this.accountOrigin === undefined ? undefined : ahead
    }
    while (this.codesWanted.size > 0) await this.downloadCodes(peer)
    await this.nodes.settle()
    if (!equalBytes(this.accountTrie.root, root)) {
      throw new NfcError(NodeErrorCode.SnapSyncFailed, `the rebuilt state root ${bytesToHex(this.accountTrie.root)} is not the pivot's ${bytesToHex(root)}`)
    }
  }

  /**
   * An answer checked against `root` and added to `trie` (unavailable: the peer fails; a bad proof:
   * the peer is banned and nothing is added); returns whether more follows.
   */
  private async verified(peer: PeerInfo, root: Uint8Array, origin: Uint8Array, answer: RangeAnswer, what: string, trie: RangeTrieBuilder): Promise<boolean> {
    if (!answer.available) throw new PeerFailed(`peer no longer holds state root ${bytesToHex(root)}`)
    try {
      return await trie.addProven(root, origin, answer)
    } catch (e) {
      return this.refuse(peer, `${what} range from ${bytesToHex(origin)}: ${(e as Error).message}`)
    }
  }

  /** one account's whole storage, checked against its storageRoot (restarted whole on another peer) */
  private async downloadStorage(peer: PeerInfo, root: Uint8Array, account: Uint8Array, storageRoot: Uint8Array): Promise<void> {
    const trie = new RangeTrieBuilder(this.nodes)
    let origin: Uint8Array | undefined = ZERO_KEY
    while (origin !== undefined) {
      const answer = await this.o.network.requestStorageRange(peer.id, { root, account, origin, maxBytes: SNAP_MAX_ANSWER_BYTES })
      const more = await this.verified(peer, storageRoot, origin, answer, 'storage', trie)
      this.progress.slots += answer.keys.length
      this.progress.bytes += answer.values.reduce((n, v) => n + v.length + 32, 0)
      const last = answer.keys[answer.keys.length - 1]
      origin = more && last !== undefined ? nextKey(last) : undefined
      await this.flush()
    }
    if (!equalBytes(trie.root, storageRoot)) {
      throw new NfcError(NodeErrorCode.SnapSyncFailed, `the rebuilt storage root of ${bytesToHex(account)} is not its account's`)
    }
    this.storageDone.add(bytesToHex(storageRoot))
  }

  /** the next codes wanted, each checked against its hash */
  private async downloadCodes(peer: PeerInfo): Promise<void> {
    const hashes = [...this.codesWanted.values()].slice(0, SNAP_MAX_CODE_HASHES)
    const codes = await this.o.network.requestByteCodes(peer.id, hashes)
    if (codes.length === 0) throw new PeerFailed('no codes in the answer')
    codes.forEach((code, i) => {
      if (!equalBytes(core.keccak256(code), hashes[i]!)) this.refuse(peer, `code ${i} is not the code of hash ${bytesToHex(hashes[i]!)}`)
    })
    for (const [i, code] of codes.entries()) {
      const hex = bytesToHex(hashes[i]!)
      await this.nodes.put(CODE_KEY_PREFIX + hex.slice(2), code)
      this.codesWanted.delete(hex)
      this.progress.codes++
      this.progress.bytes += code.length
    }
    await this.flush()
  }

  private async flush(): Promise<void> {
    await this.nodes.flush()
  }

  /** a progress line every PROGRESS_INTERVAL_MS: counts, the share of the account key space done, ETA */
  private report(next: Uint8Array | undefined): void {
    const now = this.now()
    if (next !== undefined && now - this.lastProgress < PROGRESS_INTERVAL_MS) return
    this.lastProgress = now
    let share = 1
    if (next !== undefined) {
      let v = 0
      for (let i = 0; i < KEY_SHARE_BYTES; i++) v = v * 256 + next[i]!
      share = v / 256 ** KEY_SHARE_BYTES
    }
    const elapsed = (now - this.stateStarted) / 1000
    const eta = share > 0 ? Math.max(0, (elapsed * (1 - share)) / share) : undefined
    this.o.logger.info('snapshot sync: state', {
      ...this.progress,
      megabytes: (this.progress.bytes / 1e6).toFixed(1),
      done: `${(share * 100).toFixed(1)}%`,
      eta: eta === undefined ? 'unknown' : `${Math.round(eta)}s`,
    })
  }
}
