/** eth_getBlockTransactionCountByHash(hash): the number of transactions of a block as hex, or null for an unknown block. */
import { hexQ } from '../format.js'
import { defineMethod, hash, required } from '../params.js'

export const eth_getBlockTransactionCountByHash = defineMethod('eth_getBlockTransactionCountByHash', [required(hash)], async ([blockHash], ctx) => {
  const block = await ctx.node.chain.store.getBlock(blockHash)
  return block === undefined ? null : hexQ(block.transactions.length)
})
