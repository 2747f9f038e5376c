/**
 * The decoded receipt records and the encoded body of the last few blocks, by block hash:
 * wallets poll the receipts of the newest blocks, so most lookups are answered without a read.
 * Filled when a block is committed (the records and the body are at hand then) and when a
 * block's records are read whole. Keyed by hash, whose content never changes: a reorg needs
 * no invalidation (which block is canonical is the `t` and `n` indexes' business).
 */
import type { ReceiptRecord } from './receiptRecord.js'

export interface RecentBlock {
  records?: ReceiptRecord[]
  body?: Uint8Array
}

export class RecentBlocks {
  private readonly entries = new Map<string, RecentBlock>()

  constructor(private readonly capacity = 8) {}

  get(hash: Uint8Array): RecentBlock | undefined {
    const k = Buffer.from(hash).toString('hex')
    const e = this.entries.get(k)
    if (e !== undefined) {
      // least recently used first: a hit moves to the back
      this.entries.delete(k)
      this.entries.set(k, e)
    }
    return e
  }

  set(hash: Uint8Array, value: RecentBlock): void {
    const k = Buffer.from(hash).toString('hex')
    const merged = { ...this.entries.get(k), ...value }
    this.entries.delete(k)
    this.entries.set(k, merged)
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string)
  }
}
