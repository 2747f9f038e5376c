/** eth_getUncleCountByBlockNumber(tag): "0x0" for an existing block (this chain has no uncles), null beyond the head, as geth. */
import { findBlock } from '../blocks.js'
import { blockNumberOrTag, defineMethod, required } from '../params.js'

export const eth_getUncleCountByBlockNumber = defineMethod('eth_getUncleCountByBlockNumber', [required(blockNumberOrTag)], async ([ref], ctx) =>
  (await findBlock(ctx.node, ref)) === null ? null : '0x0',
)
