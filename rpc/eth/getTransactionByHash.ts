/** eth_getTransactionByHash(hash): a mined transaction, else a pending one from the pool, else null. */
import { formatTx } from '../format.js'
import { defineMethod, hash, required } from '../params.js'
import { findMinedTx } from '../txLookup.js'

export const eth_getTransactionByHash = defineMethod('eth_getTransactionByHash', [required(hash)], async ([txHash], ctx) => {
  const node = ctx.node
  const mined = await findMinedTx(node, txHash)
  if (mined !== null) {
    const { block, index } = mined
    return formatTx(block.transactions[index], {
      blockHash: block.hash,
      blockNumber: block.header.number,
      index,
      baseFee: block.header.baseFeePerGas,
    })
  }
  const pending = node.txpool.get(txHash)
  return pending === undefined ? null : formatTx(pending, null)
})
