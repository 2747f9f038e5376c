/**
 * eth_getTransactionReceipt(hash): the receipt of a mined transaction (with effectiveGasPrice), else null.
 * O(1) in the block's size: the `t` index, the transaction's receipt record (cached for the newest
 * blocks) and the header (cached); the block itself is not read (DESIGN §9). A transaction still
 * in the pool that no recent block holds is not mined: answered null without a read (most polls
 * of a wallet under load are for such transactions). A block being written above the head is
 * not answered yet (blocks.ts atOrBelowHead): a wallet that has its receipt reads its own nonce.
 */
import { atOrBelowHead } from '../blocks.js'
import { formatReceiptRecord } from '../format.js'
import { defineMethod, hash, required } from '../params.js'

export const eth_getTransactionReceipt = defineMethod('eth_getTransactionReceipt', [required(hash)], async ([txHash], ctx) => {
  const store = ctx.node.chain.store
  if (ctx.node.txpool.get(txHash) !== undefined && !store.minedRecently(txHash)) return null
  const mined = await store.getMinedReceipt(txHash)
  if (mined === undefined) return null
  const header = await store.getHeader(mined.blockHash)
  if (header === undefined || !atOrBelowHead(ctx.node, header.number)) return null
  return formatReceiptRecord({ blockHash: mined.blockHash, blockNumber: header.number }, mined.index, mined.record)
})
