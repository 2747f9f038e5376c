/** eth_getBlockByNumber(tag, fullTransactions): a canonical block, or null; `pending`: the pool's next block (hash null). */
import { findBlock } from '../blocks.js'
import { formatBlock } from '../format.js'
import { formatPendingBlock, isPending } from '../pendingBlock.js'
import { blockNumberOrTag, bool, defineMethod, optional, required } from '../params.js'

export const eth_getBlockByNumber = defineMethod('eth_getBlockByNumber', [required(blockNumberOrTag), optional(bool)], async ([ref, full], ctx) => {
  const node = ctx.node
  if (isPending(ref)) return formatPendingBlock(await node.pendingBlock(), full ?? false)
  const found = await findBlock(node, ref)
  if (found === null) return null
  const block = await node.chain.store.getBlock(found.hash)
  return block === undefined ? null : formatBlock(block, full ?? false)
})
