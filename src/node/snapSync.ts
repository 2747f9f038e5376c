/**
 * Snapshot sync, the client (DESIGN §10; geth's snap/1 is the model). A node with an empty chain
 * whose peer is far ahead does not replay history: it
 *
 *   1. downloads the blocks up to the peer's head (GetBlocks) and checks each: number, link to its
 *      parent (from our own genesis), producer signature, transactions and confirmations roots —
 *      they are stored as history, never executed — and their receipts (GetReceipts), each block's
 *      checked against its receiptsRoot (./snapReceipts.ts), so old transactions keep their
 *      receipts, logs and address index on the synced node;
 *   2. picks the pivot: the highest block built on by ⌊2W/3⌋+1 distinct producers (W: the genesis
 *      witnesses per round) — final by their confirmations (a producer's block confirms its
 *      ancestors) — without state, the client cannot know the schedule, so this is re-checked
 *      against the seats in the downloaded state (step 4);
 *   3. downloads the state at the pivot's root in ranges: accounts by hashed address with Merkle
 *      range proofs against the root, each account's storage with proofs against its storageRoot,
 *      codes by hash (keccak checked); each verified range is added to a trie built here, and a
 *      peer whose proof does not hold is banned (BanReason.InvalidProof) and the next one asked;
 *   4. checks the rebuilt root equals the pivot's state root and the pivot's producers are seated
 *      witnesses, then makes the pivot the head and final block; range sync follows from there.
 *
 * Progress (accounts, slots, codes, bytes, share of the key space, ETA) is logged every few seconds
 * and a summary at the end. The pruner sweeps nothing meanwhile: its passes start only after a
 * block import, and range sync (the only importer of peers' history) is held until the end.
 */
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, KECCAK256_NULL, KECCAK256_RLP } from '@ethereumjs/util'
import { decodeBlock, type Block } from '../chain/block.js'
import { encodeReceipts, type TxReceipt } from '../chain/receipt.js'
import type { Db } from '../chain/db/level.js'
import { verifyBodyRoots } from '../chain/blocks/verifyBody.js'
import { quorum } from '../chain/finality.js'
import { equalBytes, verifyHeaderSignature } from '../chain/header.js'
import { readWitnesses } from '../consensus/dpos/views.js'
import { core } from '../core/index.js'
import type { Network, PeerInfo } from '../p2p/network.js'
import { SNAP_MAX_ANSWER_BYTES, SNAP_MAX_CODE_HASHES, SNAP_MAX_RECEIPT_BLOCKS, type RangeAnswer } from '../p2p/snapMessages.js'
import { RangeTrieBuilder, nextKey } from '../state/snapRange.js'
import { TrieNodeStore } from '../state/trieNodeStore.js'
import { NfcError } from '../util/errors.js'
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
  private running: Promise<void> | undefined
  private waitTimer: NodeJS.Timeout | undefined
  private target = 0n
  private readonly failed = new Set<string>()
  private readonly progress: SnapProgress = { receipts: 0, accounts: 0, slots: 0, codes: 0, bytes: 0 }
  private readonly now: () => number
  private readonly onPeer = (p: PeerInfo) => this.consider(p)

  constructor(private readonly o: SnapSyncOptions) {
    this.now = o.now ?? Date.now
    this.nodes = new TrieNodeStore(o.db)
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
      const pivot = await this.withPeers(0n, (peer) => this.downloadHistory(peer))
      await this.withPeers(pivot.header.number, (peer) => this.downloadState(peer, pivot))
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
      logger.warn('snapshot sync failed: syncing block by block from the head instead', { error: e instanceof Error ? e.message : String(e) })
      await forgetSnapshotHistory(this.o.chain, logger)
    }
  }

  /** runs `work` with the best peer at or above `minHead` not failed yet, the next one when it fails */
  private async withPeers<T>(minHead: bigint, work: (peer: PeerInfo) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.stopped) throw new Error('stopped')
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
   * Downloads the checked blocks 1..the peer's head and stores those up to the pivot (returned).
   * The last PIVOT_WINDOW_BLOCKS are held in memory until the pivot is known: a block above it
   * must not be stored, or the range sync would find it "known" and never execute it.
   */
  private async downloadHistory(peer: PeerInfo): Promise<Head> {
    const { chain, logger } = this.o
    const target = peer.head
    this.target = target
    logger.info('snapshot sync started', { peer: peer.id, target })
    let parent: Head = { hash: chain.genesisHash, header: (await chain.headerByNumber(0n))!.header }
    const held: Block[] = []
    /** the checked receipts of the held blocks, by block */
    const receipts = new Map<Block, TxReceipt[]>()
    const commit = (blocks: Block[]) => chain.store.commitHistory(blocks, (b) => receipts.get(b))
    let lastLog = this.now()
    const ask = (from: bigint) => {
      const count = Number(target - from + 1n < BigInt(HISTORY_BATCH_BLOCKS) ? target - from + 1n : BigInt(HISTORY_BATCH_BLOCKS))
      const answer = this.o.network.requestBlocksOf(peer.id, from, count)
      answer.catch(() => {}) // awaited below; a failure after an earlier one must not go unhandled
      return answer
    }
    // the next batch is asked for as soon as a batch arrives, so the peer reads it while this one is checked
    let pending = ask(1n)
    for (let from = 1n; from <= target;) {
      const raw = await pending
      if (raw.length === 0) throw new PeerFailed(`no blocks from ${from}`)
      if (from + BigInt(raw.length) <= target) pending = ask(from + BigInt(raw.length))
      const batch: Block[] = []
      for (const encoded of raw) {
        const block = this.checkedBlock(peer, encoded, parent)
        batch.push(block)
        parent = { hash: block.hash, header: block.header }
      }
      await this.downloadReceipts(peer, batch, receipts)
      held.push(...batch)
      if (held.length > PIVOT_WINDOW_BLOCKS) {
        const stored = held.splice(0, held.length - PIVOT_WINDOW_BLOCKS)
        await commit(stored)
        for (const b of stored) receipts.delete(b)
      }
      from += BigInt(raw.length)
      if (this.now() - lastLog >= PROGRESS_INTERVAL_MS) {
        lastLog = this.now()
        logger.info('snapshot sync: blocks', { at: from - 1n, target, receipts: this.progress.receipts })
      }
    }
    const index = this.pivotIndex(held)
    await commit(held.slice(0, index + 1))
    const pivot = held[index]!
    return { hash: pivot.hash, header: pivot.header }
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

  /** decodes a block and checks it follows `parent` and is signed by its producer; bans the peer otherwise */
  private checkedBlock(peer: PeerInfo, encoded: Uint8Array, parent: Head): Block {
    let block: Block
    try {
      block = decodeBlock(encoded, this.o.chain.common)
    } catch (e) {
      return this.refuse(peer, `a block does not decode: ${(e as Error).message}`)
    }
    const h = block.header
    if (h.number !== parent.header.number + 1n) this.refuse(peer, `block ${h.number} where ${parent.header.number + 1n} was asked`)
    if (!equalBytes(h.parentHash, parent.hash)) this.refuse(peer, `block ${h.number} is not the child of block ${parent.header.number}`)
    if (h.timestamp <= parent.header.timestamp) this.refuse(peer, `block ${h.number} is not later than its parent`)
    try {
      verifyHeaderSignature(h, block.hash)
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
  private readonly nodes: TrieNodeStore
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
    while (this.accountOrigin !== undefined) {
      const origin = this.accountOrigin
      const answer = await this.o.network.requestAccountRange(peer.id, { root, origin, maxBytes: SNAP_MAX_ANSWER_BYTES })
      const more = await this.verified(peer, root, origin, answer, 'account', this.accountTrie)
      for (let i = 0; i < answer.keys.length; i++) {
        const account = RLP.decode(answer.values[i]!) as Uint8Array[]
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
      const last = answer.keys[answer.keys.length - 1]
      this.accountOrigin = more && last !== undefined ? nextKey(last) : undefined
      this.report(this.accountOrigin)
    }
    while (this.codesWanted.size > 0) await this.downloadCodes(peer)
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
    await this.o.db.batch(this.nodes.drain() as never)
    this.nodes.committed()
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
