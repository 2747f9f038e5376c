/** eth_getBlockReceipts(block): every receipt of a block (tag, number or hash, EIP-1898), or null for an unknown block. */
import { findBlock } from '../blocks.js'
import { formatReceipt } from '../format.js'
import { blockTag, defineMethod, required } from '../params.js'

export const eth_getBlockReceipts = defineMethod('eth_getBlockReceipts', [required(blockTag)], async ([ref], ctx) => {
  const node = ctx.node
  const found = await findBlock(node, ref)
  if (found === null) return null
  const block = await node.chain.store.getBlock(found.hash)
  if (block === undefined) return null
  const receipts = (await node.chain.store.getReceipts(block.hash)) ?? []
  if (receipts.length !== block.transactions.length) return null
  return block.transactions.map((_, i) => formatReceipt(block, receipts, i))
})
