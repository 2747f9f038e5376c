/** eth_getTransactionByBlockHashAndIndex(hash, index): a mined transaction by position; null for an unknown block or an index out of range. */
import { defineMethod, hash, required, uint64 } from '../params.js'
import { txAtIndex } from './getTransactionByBlockNumberAndIndex.js'

export const eth_getTransactionByBlockHashAndIndex = defineMethod(
  'eth_getTransactionByBlockHashAndIndex',
  [required(hash), required(uint64)],
  async ([blockHash, index], ctx) => {
    const header = await ctx.node.chain.store.getHeader(blockHash)
    return header === undefined ? null : txAtIndex(ctx.node, { hash: blockHash, header }, index)
  },
)
