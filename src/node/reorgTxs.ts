/**
 * The transactions of blocks a reorg took off the chain, on their way back to the pool. The chain
 * reports removed blocks newest first (`removedBlock`); they are handed back oldest block first,
 * each block's transactions in their order, so every sender's nonces return in order. Newest
 * first, a sender's later nonces arrived before the earlier ones and went to the queue: a reorg of
 * a few full blocks overran the pool's 1,024 queued slots, and the transactions refused then were
 * lost (their senders' later nonces waited forever behind the gap).
 */
import type { TypedTransaction } from '@ethereumjs/tx'

export class ReorgTxs {
  /** removed blocks' transactions, in the order the chain reported the blocks (newest first) */
  private blocks: (readonly TypedTransaction[])[] = []

  /** a block the reorg removed (called in the chain's order: newest first) */
  removed(transactions: readonly TypedTransaction[]): void {
    if (transactions.length > 0) this.blocks.push(transactions)
  }

  get size(): number {
    return this.blocks.length
  }

  /** everything noted so far, oldest block first, and forgets it */
  take(): TypedTransaction[] {
    const out: TypedTransaction[] = []
    for (let i = this.blocks.length - 1; i >= 0; i--) out.push(...this.blocks[i]!)
    this.blocks = []
    return out
  }
}
