/**
 * `ChainDb`: the node's one classic-level database and every store kept in it, so that storage
 * policy (pruning, snapshot sync, export/import, repair) has one place to change. Each store owns
 * its key space (the prefix table is `src/chain/db/keys.ts`) and its on-disk layout; the pure
 * codecs it writes stay with their formats (`chain/block.ts`, `chain/receipt.ts`, …).
 *
 *   blocks     headers, bodies, receipts, canonical number index, tx lookup, address index,
 *              head and metadata (`chain/blockStore.ts`, prefixes h b r n t A H M)
 *   logs       the log index eth_getLogs scans (`chain/logIndex.ts`, prefixes l x)
 *   trieNodes  the state trie's node store (`state/trieNodeStore.ts`, prefix s)
 *   side       the flow side chain's records (`flow/sideStore.ts`, prefix F)
 */
import type { Common } from '@ethereumjs/common'
import { BlockStore } from '../chain/blockStore.js'
import { KeySpace } from '../chain/db/keys.js'
import { openDatabase, type Db } from '../chain/db/level.js'
import { indexedBlocks, indexedTxHashes, type IndexedBlock } from '../chain/logIndex.js'
import { SideStore } from '../flow/sideStore.js'
import { TrieNodeStore } from '../state/trieNodeStore.js'

/** read side of the log index (its writes go into each block's commit batch) */
export interface LogIndexReader {
  /** the indexed blocks of [from, to], in order (numbers without an entry are absent) */
  blocks(from: bigint, to: bigint): AsyncGenerator<IndexedBlock>
  /** the transaction hashes of an indexed block with logs; undefined when not indexed */
  txHashes(blockHash: Uint8Array): Promise<Uint8Array[] | undefined>
}

export class ChainDb {
  readonly logs: LogIndexReader
  readonly side: SideStore

  /** `level` is the raw handle, for the parts that still take one (Blockchain.open builds its stores from it) */
  constructor(readonly level: Db) {
    this.logs = {
      blocks: (from, to) => indexedBlocks(level, from, to),
      txHashes: (blockHash) => indexedTxHashes(level, blockHash),
    }
    this.side = new SideStore(level)
  }

  /** Opens (creating if needed) the database of a chaindata directory (errors: DatadirLocked / DatadirCorrupt). */
  static async open(dir: string, opts: { cacheBytes?: number } = {}): Promise<ChainDb> {
    return new ChainDb(await openDatabase(dir, opts))
  }

  /** a block store over this database (headers cached per instance) */
  blockStore(common: Common): BlockStore {
    return new BlockStore(this.level, common)
  }

  /** a state-trie node store over this database (its writes wait for the block's batch) */
  trieNodes(): TrieNodeStore {
    return new TrieNodeStore(this.level)
  }

  /** the prefix byte of each key space (on disk: never renumbered) */
  static readonly keySpaces = KeySpace

  /** true when the database holds no record at all */
  async isEmpty(): Promise<boolean> {
    for await (const _ of this.level.keys({ limit: 1 })) return false
    return true
  }

  async close(): Promise<void> {
    await this.level.close()
  }
}
