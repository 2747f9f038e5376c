/**
 * The log index eth_getLogs is served from, written with each block in its commit batch:
 *
 *   l ‖ u64 number → block hash (32)            when the block has no logs (empty bloom)
 *                  → block hash ‖ logsBloom (288) otherwise
 *   x ‖ block hash → the block's transaction hashes, 32 bytes each, in order (blocks with logs)
 *
 * A range query is then one ordered LevelDB scan of small values (no header decoding, empty
 * blocks cost 40 bytes), and a matching block costs its receipts and one small read for the
 * transaction hashes instead of decoding its whole body. A later block at the same number (a
 * reorg) overwrites the entry, in the same batch as the number index. Blocks committed before
 * the index existed have no `l` entry: readers fall back to the header for those numbers.
 */
import { concatBytes } from '@ethereumjs/util'
import type { Block } from './block.js'
import { KeySpace } from './db/keys.js'
import type { BatchOp, Db } from './db/level.js'

const P_LOGS = KeySpace.logs
const P_TXHASHES = KeySpace.txHashes

function numberKey(n: bigint): Uint8Array {
  const k = new Uint8Array(9)
  k[0] = P_LOGS
  new DataView(k.buffer).setBigUint64(1, n)
  return k
}

function txHashesKey(blockHash: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(P_TXHASHES), blockHash)
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
  return true
}

/** The index writes of one block (added to its commit batch by BlockStore.commitBlock). */
export function logIndexOps(block: Block): BatchOp[] {
  const { header, hash, transactions } = block
  if (isZero(header.logsBloom)) return [{ type: 'put', key: numberKey(header.number), value: hash }]
  return [
    { type: 'put', key: numberKey(header.number), value: concatBytes(hash, header.logsBloom) },
    { type: 'put', key: txHashesKey(hash), value: concatBytes(...transactions.map((tx) => tx.hash())) },
  ]
}

/** Removes a block's log-index entries (a reorg takes it off the canonical chain). */
export function logIndexRemovalOps(block: Block): BatchOp[] {
  return [
    { type: 'del', key: numberKey(block.header.number) },
    { type: 'del', key: txHashesKey(block.hash) },
  ]
}

export interface IndexedBlock {
  number: bigint
  hash: Uint8Array
  /** undefined: the block has no logs */
  bloom: Uint8Array | undefined
}

/**
 * The indexed blocks of [from, to], in order. Numbers without an entry (blocks committed before
 * the index existed, or not in the chain) are simply absent.
 */
export async function* indexedBlocks(db: Db, from: bigint, to: bigint): AsyncGenerator<IndexedBlock> {
  if (to < from) return
  const it = db.iterator({ gte: numberKey(from), lte: numberKey(to) })
  try {
    for (;;) {
      const entries = await it.nextv(1024)
      if (entries.length === 0) break
      for (const [k, v] of entries) {
        const number = new DataView(k.buffer, k.byteOffset + 1, 8).getBigUint64(0)
        yield { number, hash: v.subarray(0, 32), bloom: v.length > 32 ? v.subarray(32, 288) : undefined }
      }
    }
  } finally {
    await it.close()
  }
}

/** The transaction hashes of an indexed block with logs; undefined when not indexed. */
export async function indexedTxHashes(db: Db, blockHash: Uint8Array): Promise<Uint8Array[] | undefined> {
  const v = await db.get(txHashesKey(blockHash))
  if (v === undefined) return undefined
  const out: Uint8Array[] = []
  for (let i = 0; i + 32 <= v.length; i += 32) out.push(v.subarray(i, i + 32))
  return out
}
