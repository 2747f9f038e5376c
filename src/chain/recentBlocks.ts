/**
 * The decoded receipt records and the encoded body of the last few blocks, by block hash:
 * wallets poll the receipts of the newest blocks, so most lookups are answered without a read.
 * Filled when a block is committed (the records and the body are at hand then) and when a
 * block's records are read whole. Keyed by hash, whose content never changes: a reorg needs
 * no invalidation (which block is canonical is the `t` and `n` indexes' business).
 *
 * Under wallet load the polls trail the head by many blocks (each wallet asks for one receipt at
 * a time): with 8 blocks kept, 98% of the receipts found in `npm run bench -- load` were read
 * from the database. So more blocks are kept — 32, within a budget of records (a few blocks of
 * 4,000 transactions must not hold hundreds of MB; the newest block is always kept).
 */
import type { ReceiptRecord } from './receiptRecord.js'

export interface RecentBlock {
  records?: ReceiptRecord[]
  body?: Uint8Array
}

/** blocks kept by default */
export const RECENT_BLOCKS = 32
/** receipt records kept by default over all those blocks (a transfer's record: ~600 B decoded) */
export const RECENT_RECORDS = 40_000

export class RecentBlocks {
  private readonly entries = new Map<string, RecentBlock>()
  /** records held by `entries` */
  private records = 0

  constructor(
    private readonly capacity = RECENT_BLOCKS,
    private readonly maxRecords = RECENT_RECORDS,
  ) {}

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
    const before = this.entries.get(k)
    const merged = { ...before, ...value }
    this.records += (merged.records?.length ?? 0) - (before?.records?.length ?? 0)
    this.entries.delete(k)
    this.entries.set(k, merged)
    while (this.entries.size > this.capacity || (this.records > this.maxRecords && this.entries.size > 1)) this.dropOldest()
  }

  private dropOldest(): void {
    const [k, e] = this.entries.entries().next().value as [string, RecentBlock]
    this.entries.delete(k)
    this.records -= e.records?.length ?? 0
  }
}
