/**
 * The block store on classic-level. Every block is written with its receipts, indexes, the
 * state-trie nodes it created and the new head in ONE atomic batch, so a node killed at any
 * instant restarts at its last committed head.
 *
 * Key layout (one-byte prefixes, big-endian numbers so keys sort by height):
 *   h ‖ hash            → header RLP            b ‖ hash        → body RLP
 *   r ‖ hash            → receipts RLP          n ‖ u64 number  → canonical hash
 *   t ‖ txHash          → blockHash ‖ u32 index
 *   a ‖ address ‖ u64 number ‖ u32 index → txHash        (tx history per address)
 *   s ‖ trie node key   → trie node (src/state)  H → head hash   M ‖ name → metadata
 *   l ‖ u64 number, x ‖ hash → the log index (src/chain/logIndex.ts)
 */
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { concatBytes } from '@ethereumjs/util'
import { ClassicLevel } from 'classic-level'
import { NfcError } from '../util/errors.js'
import { decodeBody, encodeBody, type Block, type BlockBody } from './block.js'
import { ChainErrorCode } from './errors.js'
import { decodeHeader, encodeHeader, type BlockHeader } from './header.js'
import { decodeReceipts, encodeReceipts, type TxReceipt } from './receipt.js'
import { logIndexOps, logIndexRemovalOps } from './logIndex.js'

export type Db = ClassicLevel<Uint8Array, Uint8Array>
export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

const P = {
  header: 0x68, // h
  body: 0x62, // b
  receipts: 0x72, // r
  number: 0x6e, // n
  tx: 0x74, // t
  address: 0x61, // a
  head: 0x48, // H
  meta: 0x4d, // M
} as const

const utf8 = new TextEncoder()

export function key(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  return concatBytes(Uint8Array.of(prefix), ...parts)
}

export function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, n)
  return b
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

const headKey = new Uint8Array([P.head])
const metaKey = (name: string) => key(P.meta, utf8.encode(name))

export interface TxLocation {
  blockHash: Uint8Array
  index: number
}

/** Opens (creating if needed) the database of a data directory, with clear errors. */
export async function openDatabase(dir: string): Promise<Db> {
  const db: Db = new ClassicLevel(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  try {
    await db.open()
  } catch (e) {
    const cause = (e as { cause?: Error }).cause?.message ?? (e as Error).message
    if (/lock/i.test(cause)) {
      throw new NfcError(
        ChainErrorCode.DatadirLocked,
        `data directory ${dir} is in use by another process (${cause})`,
        { dir },
      )
    }
    throw new NfcError(
      ChainErrorCode.DatadirCorrupt,
      `data directory ${dir} cannot be opened: ${cause}. Nothing was changed; move it aside or ` +
        `start with another --datadir.`,
      { dir },
    )
  }
  return db
}

export class BlockStore {
  /** recent headers by hash hex: RPC and the EVM's BLOCKHASH read the tip constantly */
  private readonly headerCache = new Map<string, BlockHeader>()

  constructor(
    readonly db: Db,
    private readonly common: Common,
  ) {}

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    return this.db.get(metaKey(name))
  }

  async putMeta(name: string, value: Uint8Array): Promise<void> {
    await this.db.put(metaKey(name), value)
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
  async commit(c: {
    block: Block
    receipts: TxReceipt[]
    extra: BatchOp[]
    canonical: boolean
    unindex?: Block[]
    reindex?: Block[]
  }): Promise<void> {
    const { header, hash, transactions, confirmations } = c.block
    const ops: BatchOp[] = [...c.extra]
    ops.push({ type: 'put', key: key(P.header, hash), value: encodeHeader(header) })
    ops.push({ type: 'put', key: key(P.body, hash), value: encodeBody(transactions, confirmations) })
    ops.push({ type: 'put', key: key(P.receipts, hash), value: encodeReceipts(c.receipts) })
    if (c.canonical) {
      for (const old of c.unindex ?? []) ops.push(...unindexOps(old))
      for (const b of c.reindex ?? []) ops.push(...indexOps(b))
      ops.push(...indexOps(c.block))
      ops.push({ type: 'put', key: headKey, value: hash })
    }
    await this.db.batch(ops as never)
    this.cacheHeader(hash, header)
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

  async hasBlock(hash: Uint8Array): Promise<boolean> {
    return (await this.getHeader(hash)) !== undefined
  }

  async getReceipts(hash: Uint8Array): Promise<TxReceipt[] | undefined> {
    const raw = await this.db.get(key(P.receipts, hash))
    return raw === undefined ? undefined : decodeReceipts(raw)
  }

  async getTxLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const v = await this.db.get(key(P.tx, txHash))
    if (v === undefined) return undefined
    return { blockHash: v.slice(0, 32), index: new DataView(v.buffer, v.byteOffset + 32, 4).getUint32(0) }
  }

  /**
   * Transaction hashes that touch `address` (as sender or recipient), newest first, starting
   * below block `beforeNumber` (exclusive) when given.
   */
  async addressHistory(address: Uint8Array, limit: number, beforeNumber?: bigint): Promise<Uint8Array[]> {
    const lt = beforeNumber === undefined ? key(P.address, address, u64(2n ** 64n - 1n)) : key(P.address, address, u64(beforeNumber))
    const out: Uint8Array[] = []
    for await (const v of this.db.values({ gte: key(P.address, address), lt, reverse: true, limit })) out.push(v)
    return out
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

/** The canonical indexes of a block: number → hash, tx locations, address history, log index. */
function indexOps(block: Block): BatchOp[] {
  const { header, hash, transactions } = block
  const number = u64(header.number)
  const ops: BatchOp[] = [{ type: 'put', key: key(P.number, number), value: hash }]
  transactions.forEach((tx, i) => {
    const txHash = tx.hash()
    const index = u32(i)
    ops.push({ type: 'put', key: key(P.tx, txHash), value: concatBytes(hash, index) })
    const from = tx.getSenderAddress().bytes
    ops.push({ type: 'put', key: key(P.address, from, number, index), value: txHash })
    const to = tx.to?.bytes
    if (to !== undefined) ops.push({ type: 'put', key: key(P.address, to, number, index), value: txHash })
  })
  ops.push(...logIndexOps(block))
  return ops
}

/** The inverse of indexOps, for a block leaving the canonical chain (its records stay). */
function unindexOps(block: Block): BatchOp[] {
  const { header, transactions } = block
  const number = u64(header.number)
  const ops: BatchOp[] = [{ type: 'del', key: key(P.number, number) }]
  transactions.forEach((tx, i) => {
    const index = u32(i)
    ops.push({ type: 'del', key: key(P.tx, tx.hash()) })
    ops.push({ type: 'del', key: key(P.address, tx.getSenderAddress().bytes, number, index) })
    const to = tx.to?.bytes
    if (to !== undefined) ops.push({ type: 'del', key: key(P.address, to, number, index) })
  })
  ops.push(...logIndexRemovalOps(block))
  return ops
}
