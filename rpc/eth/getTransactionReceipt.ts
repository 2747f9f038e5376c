/** eth_getTransactionReceipt(hash): the receipt of a mined transaction (with effectiveGasPrice), else null. */
import { formatReceipt } from '../format.js'
import { defineMethod, hash, required } from '../params.js'
import { findMinedTx } from '../txLookup.js'

export const eth_getTransactionReceipt = defineMethod('eth_getTransactionReceipt', [required(hash)], async ([txHash], ctx) => {
  const node = ctx.node
  const mined = await findMinedTx(node, txHash)
  if (mined === null) return null
  const receipts = (await node.chain.store.getReceipts(mined.block.hash)) ?? []
  return formatReceipt(mined.block, receipts, mined.index)
})
