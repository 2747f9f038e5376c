/**
 * eth_getTransactionByHash(hash): a mined transaction, else a pending one from the pool, else null.
 * A mined one is decoded alone (the `t` index, then its item of the block body; the other
 * transactions are skipped unparsed).
 */
import { atOrBelowHead } from '../blocks.js'
import { formatTx } from '../format.js'
import { defineMethod, hash, required } from '../params.js'

export const eth_getTransactionByHash = defineMethod('eth_getTransactionByHash', [required(hash)], async ([txHash], ctx) => {
  const node = ctx.node
  const store = node.chain.store
  const loc = await store.getTxLocation(txHash)
  if (loc !== undefined) {
    const header = await store.getHeader(loc.blockHash)
    const tx = header === undefined ? undefined : await store.getTransaction(loc.blockHash, loc.index)
    if (header !== undefined && tx !== undefined && atOrBelowHead(node, header.number)) {
      return formatTx(tx, { blockHash: loc.blockHash, blockNumber: header.number, index: loc.index, baseFee: header.baseFeePerGas })
    }
  }
  const pending = node.txpool.get(txHash)
  return pending === undefined ? null : formatTx(pending, null)
})
