/**
 * Where the transactions of the last few canonical blocks are, in memory: wallets poll
 * eth_getTransactionReceipt for what they just sent, and under load those polls were the
 * node's biggest database cost (a level `get` each, mostly for transactions not mined yet: 8%
 * of the main thread in a CPU profile of `npm run bench -- load`). With this index a recent
 * transaction is found without a read, and a transaction still in the pool that is not here
 * is known not to be mined (the pool drops what a block mined right after the block, and every
 * canonical block passes through here when it is committed).
 *
 * Kept right across reorgs by the block store's one write path: the blocks a reorg unindexes
 * leave, the ones it reindexes come in, after the batch is written.
 */
import { bytesEqual, hexNoPrefix } from '../util/bytes.js'
import type { Block } from './block.js'

export interface TxLocation {
  blockHash: Uint8Array
  index: number
}

export class RecentTxs {
  private readonly byHash = new Map<string, TxLocation>()
  /** the blocks indexed, oldest first, with their transaction keys */
  private readonly blocks: { hash: Uint8Array; keys: string[] }[] = []

  /** 64 blocks: wallets under load poll receipts many blocks behind the head (see recentBlocks.ts) */
  constructor(private readonly capacity = 64) {}

  add(block: Block): void {
    const keys = block.transactions.map((tx, index) => {
      const k = hexNoPrefix(tx.hash())
      this.byHash.set(k, { blockHash: block.hash, index })
      return k
    })
    this.blocks.push({ hash: block.hash, keys })
    while (this.blocks.length > this.capacity) this.drop(this.blocks.shift()!)
  }

  /** A block that left the canonical chain: its transactions are no longer where it said. */
  remove(block: Block): void {
    const at = this.blocks.findIndex((b) => bytesEqual(b.hash, block.hash))
    if (at >= 0) this.drop(this.blocks.splice(at, 1)[0]!)
  }

  get(txHash: Uint8Array): TxLocation | undefined {
    return this.byHash.get(hexNoPrefix(txHash))
  }

  private drop(b: { hash: Uint8Array; keys: string[] }): void {
    for (const k of b.keys) {
      // a later block may hold the same transaction again (after a reorg): leave its entry
      const at = this.byHash.get(k)
      if (at !== undefined && bytesEqual(at.blockHash, b.hash)) this.byHash.delete(k)
    }
  }
}
