/** eth_getUncleCountByBlockHash(hash): "0x0" for a known block (this chain has no uncles), null for an unknown one, as geth. */
import { defineMethod, hash, required } from '../params.js'

export const eth_getUncleCountByBlockHash = defineMethod('eth_getUncleCountByBlockHash', [required(hash)], async ([blockHash], ctx) =>
  (await ctx.node.chain.store.getHeader(blockHash)) === undefined ? null : '0x0',
)
