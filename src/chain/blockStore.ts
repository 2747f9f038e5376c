/**
 * The block store on classic-level. Every block is written with its receipts, indexes, the
 * state-trie nodes it created and the new head in ONE atomic batch, so a node killed at any
 * instant restarts at its last committed head.
 *
 * Key layout (one-byte prefixes, big-endian numbers so keys sort by height):
 *   h ‖ hash            → header RLP            b ‖ hash        → body RLP
 *   r ‖ hash            → receipts RLP          n ‖ u64 number  → canonical hash
 *   t ‖ txHash          → blockHash ‖ u32 index
 *   R ‖ hash ‖ u32 index → receipt record of transaction `index` (./receiptRecord.ts): one read
 *                         and one small decode per receipt lookup; written for every stored
 *                         block (side blocks too), never unindexed. Blocks stored before these
 *                         records existed have none: readers fall back to `r` and the body.
 *   A ‖ address ‖ u64 number ‖ u32 index → txHash ‖ u8 flags   (tx history per address; flags:
 *                         bit0 the address sent it, bit1 it received it / was created by it)
 *   a ‖ …               retired: the first address history (no flags, no created contracts);
 *                         no longer written, deleted by the rebuild of the `A` index
 *   s ‖ trie node key   → trie node (src/state)  H → head hash   M ‖ name → metadata
 *   l ‖ u64 number, x ‖ hash → the log index (src/chain/logIndex.ts)
 * The prefix bytes of every store are in one table, ./db/keys.ts.
 */
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { concatBytes } from '@ethereumjs/util'
import { NfcError } from '../util/errors.js'
import { hexOf as bytesToHexOf, uint32be } from '../util/bytes.js'
import { decodeBody, decodeBodyTransaction, encodeBody, encodeBlockFromStored, type Block, type BlockBody } from './block.js'
import { ChainErrorCode } from './errors.js'
import { decodeHeader, encodeHeader, equalBytes, type BlockHeader } from './header.js'
import { decodeReceipts, encodeReceipts, type TxReceipt } from './receipt.js'
import { logIndexOps, logIndexRemovalOps } from './logIndex.js'
import { decodeReceiptRecord, encodeReceiptRecord, receiptRecordOf, receiptRecordsOf, senderOf, type ReceiptRecord } from './receiptRecord.js'
import { RecentBlocks } from './recentBlocks.js'
import { RecentTxs, type TxLocation } from './recentTxs.js'
import { KeySpace as P, key, u64 } from './db/keys.js'
import type { BatchOp, Db } from './db/level.js'

/** (the database handle, its opening and key helpers live in ./db/; re-exported for callers) */
export { openDatabase, type BatchOp, type Db } from './db/level.js'
export { key, u64 } from './db/keys.js'

const utf8 = new TextEncoder()
const u32 = uint32be

const headKey = new Uint8Array([P.head])
/** deletions per batch when history is forgotten */
const FORGET_BATCH_OPS = 10_000
const metaKey = (name: string) => key(P.meta, utf8.encode(name))

/** Flags of an address-index entry. */
export const AddressTxFlag = { from: 1, to: 2 } as const

/** One entry of the address index: a canonical transaction that `address` sent and/or received. */
export interface AddressTx {
  blockNumber: bigint
  txIndex: number
  hash: Uint8Array
  /** AddressTxFlag bits: `from` = the address sent it; `to` = it is the recipient or the created contract */
  flags: number
}

/**
 * Written with the genesis block (and after a rebuild): the `A` index covers every canonical
 * block. A data directory without it predates the index; `ensureAddressIndex` rebuilds it.
 */
const ADDRESS_INDEX_META = 'addressIndex'
const ADDRESS_INDEX_VERSION = 1n

export type { TxLocation } from './recentTxs.js'

/**
 * A block's own records appended to `ops`: header, body, and (when `receipts` is given) its
 * receipts and one receipt record per transaction. The encoded body and the records are returned
 * for the recent-block cache.
 */
function blockRecordOps(block: Block, receipts: TxReceipt[] | undefined, ops: BatchOp[]): { body: Uint8Array; records: ReceiptRecord[] } {
  const { header, hash, transactions, confirmations } = block
  const body = encodeBody(transactions, confirmations)
  ops.push({ type: 'put', key: key(P.header, hash), value: encodeHeader(header) }, { type: 'put', key: key(P.body, hash), value: body })
  if (receipts === undefined) return { body, records: [] }
  ops.push({ type: 'put', key: key(P.receipts, hash), value: encodeReceipts(receipts) })
  const records = receiptRecordsOf(block, receipts)
  records.forEach((rec, i) => ops.push({ type: 'put', key: key(P.receiptRecord, hash, u32(i)), value: encodeReceiptRecord(rec) }))
  return { body, records }
}

/** A canonical transaction's receipt record and where it is. */
export interface MinedReceipt extends TxLocation {
  record: ReceiptRecord
}

export class BlockStore {
  /** recent headers by hash hex: RPC and the EVM's BLOCKHASH read the tip constantly */
  private readonly headerCache = new Map<string, BlockHeader>()
  /** receipt records and bodies of the newest blocks (wallets poll them) */
  private readonly recent = new RecentBlocks()
  /** where the last canonical blocks' transactions are (receipt polls) */
  private readonly recentTxs = new RecentTxs()

  constructor(
    readonly db: Db,
    private readonly common: Common,
  ) {}

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    return this.db.get(metaKey(name))
  }

  /** `sync`: on disk before this resolves (LevelDB syncs its log, so every earlier write too) */
  async putMeta(name: string, value: Uint8Array, opts: { sync?: boolean } = {}): Promise<void> {
    await this.db.put(metaKey(name), value, { sync: opts.sync === true })
  }

  metaOp(name: string, value: Uint8Array): BatchOp {
    return { type: 'put', key: metaKey(name), value }
  }

  async getHeadHash(): Promise<Uint8Array | undefined> {
    return this.db.get(headKey)
  }

  /**
   * Writes a block, its receipts, all indexes, `extra` (state-trie nodes, metadata) and the new
   * head in one atomic batch.
   */
  async commitBlock(block: Block, receipts: TxReceipt[], extra: BatchOp[]): Promise<void> {
    await this.commit({ block, receipts, extra, canonical: true })
  }

  /**
   * The one write path for blocks, as ONE atomic batch: the block's own records (header, body,
   * receipts); when `canonical`, a reorg first (`unindex`: canonical blocks above the fork point,
   * their indexes deleted newest-first; `reindex`: the new branch's stored blocks below this one,
   * their indexes written oldest-first), then this block's indexes and the head pointer. A side
   * block (`canonical: false`) is stored, executed and kept for fork choice, but indexes nothing.
   */
  async commit(c: { block: Block; receipts: TxReceipt[]; extra: BatchOp[]; canonical: boolean; unindex?: Block[]; reindex?: Block[] }): Promise<void> {
    const { header, hash } = c.block
    const ops: BatchOp[] = [...c.extra]
    const { body, records } = blockRecordOps(c.block, c.receipts, ops)
    if (c.canonical) {
      // the address index needs the created contracts, which only the receipts know
      // stored blocks' senders come from their receipt records: a block read back from disk has no
      // recovered signatures, and recovering each of its transactions here (on this thread, inside
      // the commit) cost a reorg of full blocks seconds
      for (const old of c.unindex ?? []) ops.push(...unindexOps(old, await this.storedReceipts(old), await this.storedSenders(old)))
      for (const b of c.reindex ?? []) ops.push(...indexOps(b, await this.storedReceipts(b), await this.storedSenders(b)))
      ops.push(...indexOps(c.block, c.receipts))
      if (header.number === 0n) ops.push(this.metaOp(ADDRESS_INDEX_META, u64(ADDRESS_INDEX_VERSION)))
      ops.push({ type: 'put', key: headKey, value: hash })
    }
    await this.db.batch(ops as never)
    if (c.canonical) {
      for (const old of c.unindex ?? []) this.recentTxs.remove(old)
      for (const b of c.reindex ?? []) this.recentTxs.add(b)
      this.recentTxs.add(c.block)
    }
    this.cacheHeader(hash, header)
    this.recent.set(hash, { records, body })
  }

  /**
   * Snapshot sync's history: blocks below the pivot, verified by their links and signatures but
   * never executed. Header, body, the canonical number index and the transaction lookup, and —
   * when `receiptsOf` has a block's receipts (downloaded and checked against its receiptsRoot) —
   * its receipts, receipt records, address and log index entries, as an executed block has; a
   * block without them answers null to eth_getTransactionReceipt. One batch; the head does not move.
   */
  async commitHistory(blocks: readonly Block[], receiptsOf?: (block: Block) => TxReceipt[] | undefined): Promise<void> {
    const ops: BatchOp[] = []
    for (const block of blocks) {
      const { header, hash, transactions } = block
      const receipts = receiptsOf?.(block)
      blockRecordOps(block, receipts, ops)
      if (receipts === undefined) {
        ops.push({ type: 'put', key: key(P.number, u64(header.number)), value: hash })
        transactions.forEach((tx, i) => ops.push({ type: 'put', key: key(P.tx, tx.hash()), value: concatBytes(hash, u32(i)) }))
        continue
      }
      ops.push(...indexOps(block, receipts))
    }
    await this.db.batch(ops as never)
    for (const b of blocks) this.cacheHeader(b.hash, b.header)
  }

  /**
   * Removes what commitHistory stored for blocks 1..`to` of the canonical index (a snapshot sync
   * that failed or was interrupted before its head moved): the range sync must find these blocks
   * unknown and execute them. Returns how many blocks were removed.
   */
  async forgetHistory(to: bigint): Promise<number> {
    let removed = 0
    let ops: BatchOp[] = []
    for (let n = 1n; n <= to; n++) {
      const hash = await this.getHashByNumber(n)
      if (hash === undefined) continue
      const receipts = await this.getReceipts(hash)
      const block = receipts === undefined ? undefined : await this.getBlock(hash)
      if (block !== undefined && receipts !== undefined) {
        // stored with its downloaded receipts: their records and every index entry go too
        ops.push(...unindexOps(block, receipts), { type: 'del', key: key(P.receipts, hash) })
        receipts.forEach((_, i) => ops.push({ type: 'del', key: key(P.receiptRecord, hash, u32(i)) }))
      } else for (const tx of (await this.getTransactions(hash)) ?? []) ops.push({ type: 'del', key: key(P.tx, tx.hash()) })
      ops.push({ type: 'del', key: key(P.header, hash) }, { type: 'del', key: key(P.body, hash) }, { type: 'del', key: key(P.number, u64(n)) })
      this.headerCache.delete(Buffer.from(hash).toString('hex'))
      removed++
      if (ops.length >= FORGET_BATCH_OPS) {
        await this.db.batch(ops as never)
        ops = []
      }
    }
    await this.db.batch(ops as never)
    return removed
  }

  /** Snapshot sync's end: `hash` (stored by commitHistory, its state complete) becomes the head, with `extra` (metadata) in the same synced batch. */
  async adoptHead(hash: Uint8Array, extra: BatchOp[]): Promise<void> {
    await this.db.batch([...extra, { type: 'put', key: headKey, value: hash }] as never, { sync: true })
  }

  /** each transaction's sender, as the block's receipt records hold it */
  private async storedSenders(block: Block): Promise<Uint8Array[]> {
    const records = await this.getReceiptRecords(block.hash)
    if (records === undefined || records.length !== block.transactions.length) {
      throw new NfcError(ChainErrorCode.DatadirCorrupt, `block ${block.header.number} has no receipt records for its transactions`, {
        hash: block.hash,
      })
    }
    return records.map((r) => r.from)
  }

  private async storedReceipts(block: Block): Promise<TxReceipt[]> {
    const receipts = await this.getReceipts(block.hash)
    if (receipts === undefined || receipts.length !== block.transactions.length) {
      throw new NfcError(ChainErrorCode.DatadirCorrupt, `block ${block.header.number} has no receipts for its transactions`, {
        hash: block.hash,
      })
    }
    return receipts
  }

  private cacheHeader(hash: Uint8Array, header: BlockHeader): void {
    this.headerCache.set(Buffer.from(hash).toString('hex'), header)
    if (this.headerCache.size > 512) {
      const oldest = this.headerCache.keys().next().value as string
      this.headerCache.delete(oldest)
    }
  }

  async getHeader(hash: Uint8Array): Promise<BlockHeader | undefined> {
    const cached = this.headerCache.get(Buffer.from(hash).toString('hex'))
    if (cached !== undefined) return cached
    const raw = await this.db.get(key(P.header, hash))
    if (raw === undefined) return undefined
    const header = decodeHeader(raw)
    this.cacheHeader(hash, header)
    return header
  }

  async getHashByNumber(number: bigint): Promise<Uint8Array | undefined> {
    if (number < 0n) return undefined
    return this.db.get(key(P.number, u64(number)))
  }

  async getBody(hash: Uint8Array): Promise<BlockBody | undefined> {
    const raw = await this.db.get(key(P.body, hash))
    return raw === undefined ? undefined : decodeBody(raw, this.common)
  }

  async getTransactions(hash: Uint8Array): Promise<TypedTransaction[] | undefined> {
    return (await this.getBody(hash))?.transactions
  }

  async getBlock(hash: Uint8Array): Promise<Block | undefined> {
    const header = await this.getHeader(hash)
    if (header === undefined) return undefined
    const body = await this.getBody(hash)
    if (body === undefined) {
      throw new NfcError(ChainErrorCode.DatadirCorrupt, `block ${header.number} has a header but no body`)
    }
    return { header, transactions: body.transactions, confirmations: body.confirmations, hash }
  }

  /** Block `hash` in its wire form (encodeBlock's bytes) from the stored header and body, nothing decoded (serving GetBlocks). */
  async getEncodedBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const [header, body] = await this.db.getMany([key(P.header, hash), key(P.body, hash)])
    if (header === undefined) return undefined
    if (body === undefined) throw new NfcError(ChainErrorCode.DatadirCorrupt, `block ${bytesToHexOf(hash)} has a header but no body`)
    return encodeBlockFromStored(header, body)
  }

  async hasBlock(hash: Uint8Array): Promise<boolean> {
    return (await this.getHeader(hash)) !== undefined
  }

  /** a block's receipts as stored (encodeReceipts), undecoded: what snapshot sync serves */
  getEncodedReceipts(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(key(P.receipts, hash))
  }

  async getReceipts(hash: Uint8Array): Promise<TxReceipt[] | undefined> {
    const raw = await this.db.get(key(P.receipts, hash))
    return raw === undefined ? undefined : decodeReceipts(raw)
  }

  /**
   * Transaction `index` of block `hash`, decoded alone (the body is read, the other
   * transactions are skipped unparsed); undefined for an unknown block or an index past its end.
   */
  async getTransaction(hash: Uint8Array, index: number): Promise<TypedTransaction | undefined> {
    const body = this.recent.get(hash)?.body ?? (await this.db.get(key(P.body, hash)))
    return body === undefined ? undefined : decodeBodyTransaction(body, index, this.common)
  }

  /**
   * The receipt of canonical transaction `txHash`, or undefined: the `t` index, then the
   * transaction's own record (cached for the newest blocks) — O(1) in the block's size. A
   * block stored before records existed is read the old way (the body and every receipt).
   */
  async getMinedReceipt(txHash: Uint8Array): Promise<MinedReceipt | undefined> {
    const loc = await this.getTxLocation(txHash)
    if (loc === undefined) return undefined
    const cached = this.recent.get(loc.blockHash)?.records?.[loc.index]
    if (cached !== undefined) return { ...loc, record: cached }
    const raw = await this.db.get(key(P.receiptRecord, loc.blockHash, u32(loc.index)))
    if (raw !== undefined) return { ...loc, record: decodeReceiptRecord(raw) }
    const block = await this.getBlock(loc.blockHash)
    const receipts = await this.getReceipts(loc.blockHash)
    if (block === undefined || receipts === undefined || loc.index >= Math.min(block.transactions.length, receipts.length)) return undefined
    return { ...loc, record: receiptRecordOf(block, receipts, loc.index) }
  }

  /**
   * Every receipt record of block `hash`, in order (one range read), or undefined when the
   * block or its receipts are not stored. Blocks stored before records existed are read the
   * old way.
   */
  async getReceiptRecords(hash: Uint8Array): Promise<ReceiptRecord[] | undefined> {
    const cached = this.recent.get(hash)?.records
    if (cached !== undefined) return cached
    // one call for the whole range: a `for await` would cross into LevelDB once per record
    const range = { gte: key(P.receiptRecord, hash), lt: key(P.receiptRecord, hash, new Uint8Array(4).fill(0xff), Uint8Array.of(0)) }
    const records = (await this.db.values(range).all()).map(decodeReceiptRecord)
    // none: an empty block, or one stored before the records (the old path tells them apart)
    if (records.length === 0) {
      const block = await this.getBlock(hash)
      const receipts = await this.getReceipts(hash)
      if (block === undefined || receipts === undefined || receipts.length !== block.transactions.length) return undefined
      records.push(...receiptRecordsOf(block, receipts))
    }
    this.recent.set(hash, { records })
    return records
  }

  /**
   * Whether `txHash` is in one of the last canonical blocks this store committed, from memory.
   * With the pool it answers a receipt poll for a transaction not mined yet without a read: a
   * pooled transaction not found here is not mined.
   */
  minedRecently(txHash: Uint8Array): boolean {
    return this.recentTxs.get(txHash) !== undefined
  }

  async getTxLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const recent = this.recentTxs.get(txHash)
    if (recent !== undefined) return recent
    const v = await this.db.get(key(P.tx, txHash))
    if (v === undefined) return undefined
    return { blockHash: v.slice(0, 32), index: new DataView(v.buffer, v.byteOffset + 32, 4).getUint32(0) }
  }

  /**
   * Canonical transactions that `address` sent or received (or whose creation made it), newest
   * first: at most `limit`, all strictly before position (`beforeBlock`, `beforeIndex`) when
   * given — `beforeIndex` undefined means before the whole block `beforeBlock`. One reverse
   * range scan of the `A` index.
   */
  async transactionsOf(address: Uint8Array, opts: { beforeBlock?: bigint; beforeIndex?: number; limit: number }): Promise<AddressTx[]> {
    if (address.length !== 20) throw new RangeError('an address is 20 bytes')
    const gte = key(P.addressTx, address)
    const range =
      opts.beforeBlock === undefined
        ? { gte, lte: key(P.addressTx, address, new Uint8Array(12).fill(0xff)) }
        : opts.beforeIndex === undefined
          ? { gte, lt: key(P.addressTx, address, u64(opts.beforeBlock)) }
          : { gte, lt: key(P.addressTx, address, u64(opts.beforeBlock), u32(opts.beforeIndex)) }
    const out: AddressTx[] = []
    for await (const [k, v] of this.db.iterator({ ...range, reverse: true, limit: opts.limit })) {
      const view = new DataView(k.buffer, k.byteOffset + 21, 12)
      out.push({ blockNumber: view.getBigUint64(0), txIndex: view.getUint32(8), hash: v.slice(0, 32), flags: v[32] ?? 0 })
    }
    return out
  }

  /**
   * Transaction hashes that touch `address` (as sender, recipient or created contract), newest
   * first, starting below block `beforeNumber` (exclusive) when given.
   */
  async addressHistory(address: Uint8Array, limit: number, beforeNumber?: bigint): Promise<Uint8Array[]> {
    return (await this.transactionsOf(address, { beforeBlock: beforeNumber, limit })).map((x) => x.hash)
  }

  /**
   * Builds the address index of a data directory that predates it: one walk over the canonical
   * chain (the `n` index), in batches, then the `addressIndex` record is written and the
   * retired `a` entries are cleared. Puts are idempotent, so a walk cut short by a kill simply
   * runs again on the next start. Must run before blocks are committed: at open, once the
   * directory is accepted (Blockchain.open, after verifyTip). Returns the number of blocks
   * walked (0 when the index was already complete or there is no chain yet).
   */
  async ensureAddressIndex(log?: (msg: string, fields: Record<string, unknown>) => void): Promise<number> {
    if ((await this.getMeta(ADDRESS_INDEX_META)) !== undefined) return 0
    const headHash = await this.getHeadHash()
    const head = headHash === undefined ? undefined : await this.getHeader(headHash)
    // no chain yet: the genesis batch will record the index (writing here would make a new
    // database look non-empty to Blockchain.open)
    if (head === undefined) return 0
    const total = head.number + 1n
    log?.('building the address index (history per account) over the canonical chain', { blocks: total })
    let walked = 0
    let ops: BatchOp[] = []
    let lastLog = Date.now()
    for await (const [k, hash] of this.db.iterator({ gte: key(P.number), lt: key(P.number + 1) })) {
      const block = await this.getBlock(hash)
      if (block === undefined) {
        const number = new DataView(k.buffer, k.byteOffset + 1, 8).getBigUint64(0)
        throw new NfcError(ChainErrorCode.DatadirCorrupt, `canonical block ${number} is missing`, { hash })
      }
      ops.push(...addressIndexOps(block, await this.storedReceipts(block)))
      walked++
      if (ops.length >= 10_000) {
        await this.db.batch(ops as never)
        ops = []
        if (Date.now() - lastLog >= 10_000) {
          log?.('building the address index', { block: block.header.number, of: total })
          lastLog = Date.now()
        }
      }
    }
    ops.push(this.metaOp(ADDRESS_INDEX_META, u64(ADDRESS_INDEX_VERSION)))
    await this.db.batch(ops as never)
    await this.db.clear({ gte: key(P.oldAddress), lt: key(P.oldAddress + 1) })
    log?.('address index built', { blocks: walked })
    return walked
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

/** The canonical indexes of a block: number → hash, tx locations, address history, log index. */
function indexOps(block: Block, receipts: TxReceipt[], senders?: readonly Uint8Array[]): BatchOp[] {
  const { header, hash, transactions } = block
  const number = u64(header.number)
  const ops: BatchOp[] = [{ type: 'put', key: key(P.number, number), value: hash }]
  transactions.forEach((tx, i) => {
    ops.push({ type: 'put', key: key(P.tx, tx.hash()), value: concatBytes(hash, u32(i)) })
  })
  ops.push(...addressIndexOps(block, receipts, senders))
  ops.push(...logIndexOps(block))
  return ops
}

/** The inverse of indexOps, for a block leaving the canonical chain (its records stay). */
function unindexOps(block: Block, receipts: TxReceipt[], senders?: readonly Uint8Array[]): BatchOp[] {
  const { header, transactions } = block
  const ops: BatchOp[] = [{ type: 'del', key: key(P.number, u64(header.number)) }]
  transactions.forEach((tx) => ops.push({ type: 'del', key: key(P.tx, tx.hash()) }))
  for (const op of addressIndexOps(block, receipts, senders)) ops.push({ type: 'del', key: op.key })
  ops.push(...logIndexRemovalOps(block))
  return ops
}

/**
 * The `A` entries of a block: the sender (flag `from`) and the recipient — for a creation the
 * contract its receipt names, none when it failed — (flag `to`); one entry with both flags when
 * an account sends to itself.
 */
function addressIndexOps(block: Block, receipts: TxReceipt[], senders?: readonly Uint8Array[]): BatchOp[] {
  const number = u64(block.header.number)
  const ops: BatchOp[] = []
  block.transactions.forEach((tx, i) => {
    const txHash = tx.hash()
    const index = u32(i)
    const from = senders?.[i] ?? senderOf(tx)
    const created = receipts[i]?.contractAddress
    const to = tx.to?.bytes ?? (created !== undefined && created.length === 20 ? created : undefined)
    const entry = (address: Uint8Array, flags: number): BatchOp => ({
      type: 'put',
      key: key(P.addressTx, address, number, index),
      value: concatBytes(txHash, Uint8Array.of(flags)),
    })
    if (to !== undefined && equalBytes(from, to)) {
      ops.push(entry(from, AddressTxFlag.from | AddressTxFlag.to))
      return
    }
    ops.push(entry(from, AddressTxFlag.from))
    if (to !== undefined) ops.push(entry(to, AddressTxFlag.to))
  })
  return ops
}
