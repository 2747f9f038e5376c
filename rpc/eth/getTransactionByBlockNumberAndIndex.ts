/** eth_getTransactionByBlockNumberAndIndex(tag, index): a mined transaction by position; null for an unknown block or an index out of range. */
import type { Block } from '../../src/chain/block.js'
import { findBlock } from '../blocks.js'
import { formatTx } from '../format.js'
import { blockNumberOrTag, defineMethod, required, uint64 } from '../params.js'

/** The transaction at `index` of `block` in eth_getTransactionByHash's shape, or null. */
export function txAtIndex(block: Block, index: bigint): Record<string, unknown> | null {
  if (index >= BigInt(block.transactions.length)) return null
  const i = Number(index)
  return formatTx(block.transactions[i], {
    blockHash: block.hash,
    blockNumber: block.header.number,
    index: i,
    baseFee: block.header.baseFeePerGas,
  })
}

export const eth_getTransactionByBlockNumberAndIndex = defineMethod(
  'eth_getTransactionByBlockNumberAndIndex',
  [required(blockNumberOrTag), required(uint64)],
  async ([ref, index], ctx) => {
    const node = ctx.node
    const found = await findBlock(node, ref)
    if (found === null) return null
    const block = await node.chain.store.getBlock(found.hash)
    return block === undefined ? null : txAtIndex(block, index)
  },
)
