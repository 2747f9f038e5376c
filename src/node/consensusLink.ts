/**
 * The node's side of the P2P network: the ChainAdapter the network service calls (blocks,
 * transactions and confirmations from peers go through here into the chain and the pool) and
 * the confirmation pool — confirmations this node signed or received, kept until producers
 * include them.
 */
import { bytesToHex } from '@ethereumjs/util'
import { decodeBlock, decodeBlockHeader } from '../chain/block.js'
import { decodeConfirmation, encodeConfirmation, recoverConfirmer, signConfirmation, type Confirmation } from '../chain/confirmation.js'
import { BlockError, BlockErrorCode, ChainErrorCode } from '../chain/errors.js'
import { headerHash } from '../chain/header.js'
import { recoverTxSender, recoverTxSenders, type RecoverPool } from '../crypto/recoverPool.js'
import { decodeRawTransaction } from '../execution/txDecode.js'
import type { ChainAdapter, ImportResult } from '../p2p/network.js'
import type { TxPool } from '../txpool/txPool.js'
import { isNfcError, NfcError } from '../util/errors.js'
import { DposError } from '../consensus/dpos/errors.js'
import type { Blockchain } from './blockchain.js'
import { isBadSignature, isPeerFault } from './importBlock.js'
import { addressOf, recoverPublicKey, sign } from '../crypto/secp256k1.js'
import { core } from '../core/index.js'
import { uint64be } from '../util/bytes.js'
import type { SnapServer } from '../p2p/snapProtocol.js'

/** how far below the head confirmations are kept for inclusion */
const KEEP_DEPTH = 64n
/** how many upcoming slots' producers confirmations are routed to (the next one may miss its slot) */
const ROUTE_TO_NEXT_SLOTS = 2

const WITNESS_ID_TAG = new TextEncoder().encode('nfc-witness-id/v1')

/**
 * What a WitnessId signature signs: keccak256("nfc-witness-id/v1" ‖ u64 chainId ‖ nodeId). Binding
 * the sender's P2P node id means another node cannot replay it as its own.
 */
export function witnessIdDigest(chainId: bigint, nodeId: Uint8Array): Uint8Array {
  const buf = new Uint8Array(WITNESS_ID_TAG.length + 8 + nodeId.length)
  buf.set(WITNESS_ID_TAG, 0)
  buf.set(uint64be(chainId), WITNESS_ID_TAG.length)
  buf.set(nodeId, WITNESS_ID_TAG.length + 8)
  return core.keccak256(buf)
}

/** Confirmations by block, deduplicated per witness. */
export class ConfirmationPool {
  private readonly byBlock = new Map<string, { number: bigint; byWitness: Map<string, Confirmation> }>()

  /** false if this witness's confirmation of this block is already here */
  add(witness: string, c: Confirmation): boolean {
    const key = bytesToHex(c.blockHash)
    let entry = this.byBlock.get(key)
    if (entry === undefined) {
      entry = { number: c.number, byWitness: new Map() }
      this.byBlock.set(key, entry)
    }
    if (entry.byWitness.has(witness)) return false
    entry.byWitness.set(witness, c)
    return true
  }

  has(witness: string, blockHash: Uint8Array): boolean {
    return this.byBlock.get(bytesToHex(blockHash))?.byWitness.has(witness) === true
  }

  /** every kept confirmation (the chain filters what a block may include) */
  all(): Confirmation[] {
    const out: Confirmation[] = []
    for (const e of this.byBlock.values()) out.push(...e.byWitness.values())
    return out
  }

  prune(head: bigint): void {
    for (const [k, e] of this.byBlock) if (e.number + KEEP_DEPTH < head) this.byBlock.delete(k)
  }
}

export interface ConsensusLinkOptions {
  chain: Blockchain
  txpool: TxPool
  recoverPool: RecoverPool
  maxTxSize: number
  now: () => number
  /** this node's witness key (signs confirmations while seated), if any */
  witnessKey?: Uint8Array
  witnessAddress?: string
  /** this witness's last vote before this run (`<datadir>/SIGNED`: the height, and the block and
   *  time when recorded), and where a new one is recorded: `record` resolves once it is durable,
   *  and the vote leaves the node after */
  votes?: { highest: RecordedVote | undefined; record(vote: Required<RecordedVote>): Promise<void> | void }
}

/** A vote as SIGNED keeps it (src/storage/finalMarker.ts). */
export interface RecordedVote {
  number: bigint
  hash?: Uint8Array
  atMs?: bigint
}

export class ConsensusLink implements ChainAdapter {
  readonly confirmations = new ConfirmationPool()
  /** set by the node once the network exists: where new confirmations are gossiped */
  broadcastConfirmation: (encoded: Uint8Array) => void = () => {}
  /** the state snapshot sync is served from (set by the node: snapServe.ts) */
  snap: SnapServer | undefined
  /** the producers of the slots after the head's (worked out at each new head), for routing */
  private upcoming: readonly string[] = []
  private witnessIdCache: { nodeId: Uint8Array; signature: Uint8Array } | undefined

  /**
   * The highest block number this witness has signed a confirmation for. It never signs at or
   * below it again, so it never confirms two blocks at one height — on a switch to an equal or
   * longer branch it confirms only the new heights. Starts at the head or the recorded height
   * (`votes`), whichever is higher: a database that lost its newest blocks does not make it vote
   * at those heights again.
   */
  private highestSigned: bigint

  constructor(private readonly o: ConsensusLinkOptions) {
    const recorded = o.votes?.highest
    const head = o.chain.head.header.number
    this.highestSigned = recorded !== undefined && recorded.number > head ? recorded.number : head
    // the vote before a restart holds the witness to its branch as if it had not stopped
    if (recorded?.hash !== undefined && recorded.atMs !== undefined) o.chain.noteOwnVote(recorded.hash, recorded.number, recorded.atMs)
  }

  /**
   * Raises highestSigned and records the vote for block `number`/`hash`: resolves once the record
   * is durable, so nothing of the vote leaves the node before. highestSigned moves first, so a call
   * for the same height meanwhile sees it taken.
   */
  private async voteAt(number: bigint, hash: Uint8Array, atMs: bigint): Promise<void> {
    this.highestSigned = number
    await this.o.votes?.record({ number, hash, atMs })
  }

  status() {
    const { chain } = this.o
    return { chainId: chain.common.chainId(), genesisHash: chain.genesisHash, head: { number: chain.head.header.number, hash: chain.head.hash } }
  }

  /**
   * Blocks from..from+count−1 of the canonical chain (fewer when it ends first), encoded. The reads
   * are issued together, not one block after the other: one round trip through LevelDB's thread
   * pool per step instead of three per block (history downloads, snapshot and range sync, wait on it),
   * and each block is sent as stored (header and body bytes under one list header), not decoded and
   * encoded again.
   */
  async getBlocks(from: bigint, count: number): Promise<Uint8Array[]> {
    const { store } = this.o.chain
    const hashes = await Promise.all(Array.from({ length: count }, (_, i) => store.getHashByNumber(from + BigInt(i))))
    const known = hashes.findIndex((h) => h === undefined)
    const blocks = await Promise.all(hashes.slice(0, known < 0 ? count : known).map((h) => store.getEncodedBlock(h!)))
    const out: Uint8Array[] = []
    for (const block of blocks) {
      if (block === undefined) break
      out.push(block)
    }
    return out
  }

  hashAt(number: bigint): Promise<Uint8Array | undefined> {
    return this.o.chain.store.getHashByNumber(number)
  }

  blockId(encoded: Uint8Array): { number: bigint; hash: Uint8Array; parentHash: Uint8Array; producer: string } {
    const header = decodeBlockHeader(encoded)
    return { number: header.number, hash: headerHash(header), parentHash: header.parentHash, producer: bytesToHex(header.producer) }
  }

  async getBlockByHash(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.o.chain.store.getEncodedBlock(hash)
  }

  /** signs this node's P2P node id with the witness key, so peers route confirmations to it */
  witnessId(nodeId: Uint8Array): Uint8Array | undefined {
    const { witnessKey, chain } = this.o
    if (witnessKey === undefined) return undefined
    if (this.witnessIdCache?.nodeId === nodeId) return this.witnessIdCache.signature
    const { r, s, recovery } = sign(witnessIdDigest(chain.common.chainId(), nodeId), witnessKey)
    const signature = new Uint8Array(65)
    signature.set(r, 0)
    signature.set(s, 32)
    signature[64] = recovery
    this.witnessIdCache = { nodeId, signature }
    return signature
  }

  witnessOf(nodeId: Uint8Array, signature: Uint8Array): string | null {
    if (signature.length !== 65 || signature[64]! > 1) return null
    const pub = recoverPublicKey(witnessIdDigest(this.o.chain.common.chainId(), nodeId), signature.subarray(0, 32), signature.subarray(32, 64), signature[64]!)
    return pub === null ? null : bytesToHex(addressOf(pub))
  }

  nextProducers(): readonly string[] {
    return this.upcoming
  }

  async importBlock(encoded: Uint8Array): Promise<ImportResult> {
    const { chain, recoverPool, txpool } = this.o
    // what the pool holds came by gossip: its keccak is its hash (the pool decodes canonical bytes
    // only, so a transaction's hash is the keccak of exactly the bytes it came as), and equal
    // hashes mean equal bytes: the pool's object is the one decoding would give, sender included
    const block = decodeBlock(encoded, chain.common, (raw) => txpool.get(core.keccak256(raw)))
    // the others' senders on the worker pool, in one batch (cached ones are skipped)
    await recoverTxSenders(recoverPool, block.transactions)
    const outcome = await chain.importBlock(block, BigInt(this.o.now()))
    // a valid side block is passed on too: the other side of a partition needs it to converge
    return outcome === 'side' ? 'imported' : outcome
  }

  /** only a proven-invalid block or confirmation costs the sender; a local fault never does */
  deferFinality<T>(fn: () => Promise<T>): Promise<T> {
    return this.o.chain.deferFinality(fn)
  }

  isPeerFault(e: unknown): boolean {
    return isPeerFault(e)
  }

  isBadSignature(e: unknown): boolean {
    return isBadSignature(e)
  }

  async addTransaction(raw: Uint8Array): Promise<'added' | 'known'> {
    const { chain, txpool } = this.o
    const tx = decodeRawTransaction(raw, { common: chain.common, maxTxSize: this.o.maxTxSize })
    if (txpool.has(tx.hash())) return 'known'
    await recoverTxSender(this.o.recoverPool, tx)
    await txpool.add(tx)
    return 'added'
  }

  async addConfirmation(encoded: Uint8Array): Promise<'added' | 'known' | 'unknown-block'> {
    const { chain } = this.o
    const c = decodeConfirmation(encoded)
    const signer = recoverConfirmer(chain.common.chainId(), c)
    if (signer === null) throw new NfcError(ChainErrorCode.BadSignature, 'confirmation signature is invalid')
    const witness = bytesToHex(signer)
    if (this.confirmations.has(witness, c.blockHash)) return 'known'
    if (!(await chain.store.hasBlock(c.blockHash))) return 'unknown-block'
    const header = await chain.store.getHeader(c.blockHash)
    if (header!.number !== c.number) throw new BlockError(BlockErrorCode.ConfirmationWrongNumber, 'confirmation names the wrong block number')
    if (!chain.seats.includes(witness)) {
      // a witness of an earlier schedule (or a stranger): not counted, not gossiped
      return 'known'
    }
    this.confirmations.add(witness, c)
    await chain.noteConfirmation(witness, c.number, c.blockHash)
    return 'added'
  }

  /**
   * A new canonical block: a seated witness confirms blocks other witnesses produced (its own
   * count as confirmed by producing them), then gossips the confirmation.
   */
  async onCanonicalBlock(hash: Uint8Array, number: bigint, producer: string, timestamp: bigint): Promise<void> {
    const { chain, witnessKey, witnessAddress } = this.o
    this.confirmations.prune(chain.head.header.number)
    if (number === chain.head.header.number) await this.learnUpcoming(timestamp)
    if (witnessKey === undefined || witnessAddress === undefined) return
    // its own block is its vote at that height (DESIGN §4: own blocks count as confirmed)
    if (producer === witnessAddress) {
      if (number > this.highestSigned) await this.voteAt(number, hash, BigInt(this.o.now()))
      return
    }
    if (!chain.seats.includes(witnessAddress)) return
    // blocks a restarted witness catches up on are history: confirming them now would earn
    // trust for work it did not do in time (and flood the network); only recent slots count
    const horizon = BigInt(chain.dpos.W) * 2n * chain.dpos.intervalMs
    const nowMs = BigInt(this.o.now())
    if (timestamp + horizon < nowMs) return
    if (number <= this.highestSigned) return
    // holding the branch of its last vote against a better one: no new vote until it ends
    if (chain.holding(nowMs)) return
    // one time for the vote: SIGNED's record and the hold it starts here
    await this.voteAt(number, hash, nowMs)
    const c = signConfirmation(chain.common.chainId(), hash, number, witnessKey)
    if (!this.confirmations.add(witnessAddress, c)) return
    chain.noteOwnVote(hash, number, nowMs)
    await chain.noteConfirmation(witnessAddress, number, hash)
    this.broadcastConfirmation(encodeConfirmation(c))
  }

  /**
   * The owners of the next ROUTE_TO_NEXT_SLOTS slots after a head made at `timestamp` (vacant
   * seats left out). When the head moves on meanwhile, the schedule refuses the stale slots; the
   * new head's own call works them out, so the routes are left as they are.
   */
  private async learnUpcoming(timestamp: bigint): Promise<void> {
    const { chain } = this.o
    const slot = chain.slotOf(timestamp)
    const out: string[] = []
    try {
      for (let i = 1n; i <= BigInt(ROUTE_TO_NEXT_SLOTS); i++) {
        const owner = (await chain.schedule(slot + i)).owner
        if (owner !== null && !out.includes(owner)) out.push(owner)
      }
    } catch (e) {
      if (isNfcError(e) && e.code === DposError.BAD_SLOT) return
      throw e
    }
    this.upcoming = out
  }
}
