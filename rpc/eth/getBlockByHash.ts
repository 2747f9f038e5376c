/** eth_getBlockByHash(hash, fullTransactions): a block, or null. */
import { formatBlock } from '../format.js'
import { bool, defineMethod, hash, optional, required } from '../params.js'

export const eth_getBlockByHash = defineMethod('eth_getBlockByHash', [required(hash), optional(bool)], async ([blockHash, full], ctx) => {
  const block = await ctx.node.chain.store.getBlock(blockHash)
  return block === undefined ? null : formatBlock(block, full ?? false)
})
