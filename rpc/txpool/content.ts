/**
 * txpool_content: geth's shape — `{ pending: { <checksummed sender>: { <decimal nonce>: tx } },
 * queued: {…} }`, senders in address order, nonces ascending; each tx as
 * eth_getTransactionByHash shows a pending one (blockHash, blockNumber, transactionIndex null).
 */
import type { TypedTransaction } from '@ethereumjs/tx'
import { toChecksumAddress } from '@ethereumjs/util'
import { formatTx } from '../format.js'
import { defineMethod } from '../params.js'

export type PoolView<T> = Record<string, Record<string, T>>

/** Applies `each` to every tx of a txpool.content() section, in geth's keyed shape. */
export function bySenderAndNonce<T>(section: Map<string, TypedTransaction[]>, each: (tx: TypedTransaction) => T): PoolView<T> {
  const out: PoolView<T> = {}
  for (const [sender, txs] of section) {
    const byNonce: Record<string, T> = {}
    for (const tx of txs) byNonce[tx.nonce.toString(10)] = each(tx)
    out[toChecksumAddress(sender)] = byNonce
  }
  return out
}

export const txpool_content = defineMethod('txpool_content', [], (_params, ctx) => {
  const { pending, queued } = ctx.node.txpool.content()
  const format = (tx: TypedTransaction) => formatTx(tx, null)
  return { pending: bySenderAndNonce(pending, format), queued: bySenderAndNonce(queued, format) }
})
