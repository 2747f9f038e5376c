/** eth_getBlockTransactionCountByNumber(tag): the number of transactions of a canonical block as hex, or null. */
import { findBlock } from '../blocks.js'
import { hexQ } from '../format.js'
import { blockNumberOrTag, defineMethod, required } from '../params.js'

export const eth_getBlockTransactionCountByNumber = defineMethod('eth_getBlockTransactionCountByNumber', [required(blockNumberOrTag)], async ([ref], ctx) => {
  const node = ctx.node
  const found = await findBlock(node, ref)
  if (found === null) return null
  const block = await node.chain.store.getBlock(found.hash)
  return block === undefined ? null : hexQ(block.transactions.length)
})
