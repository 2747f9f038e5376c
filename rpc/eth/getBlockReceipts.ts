/**
 * eth_getBlockReceipts(block): every receipt of a block (tag, number or hash, EIP-1898), or null for an unknown block.
 * O(answer): the block's receipt records in one range read; its transactions are not decoded.
 */
import { findBlock } from '../blocks.js'
import { formatReceiptRecords } from '../format.js'
import { blockTag, defineMethod, required } from '../params.js'

export const eth_getBlockReceipts = defineMethod('eth_getBlockReceipts', [required(blockTag)], async ([ref], ctx) => {
  const node = ctx.node
  const found = await findBlock(node, ref)
  if (found === null) return null
  const records = await node.chain.store.getReceiptRecords(found.hash)
  if (records === undefined) return null
  return formatReceiptRecords({ blockHash: found.hash, blockNumber: found.header.number }, records)
})
