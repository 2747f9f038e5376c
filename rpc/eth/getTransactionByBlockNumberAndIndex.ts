/** eth_getTransactionByBlockNumberAndIndex(tag, index): a mined transaction by position; null for an unknown block or an index out of range. */
import type { Head } from '../../src/node/interface.js'
import type { NodeApi } from '../../src/node/interface.js'
import { findBlock } from '../blocks.js'
import { formatTx } from '../format.js'
import { blockNumberOrTag, defineMethod, required, uint64 } from '../params.js'

/**
 * The transaction at `index` of block `at` in eth_getTransactionByHash's shape, or null. Decoded
 * alone: the body's other transactions are skipped unparsed.
 */
export async function txAtIndex(node: NodeApi, at: Head, index: bigint): Promise<Record<string, unknown> | null> {
  if (index > 0xffff_ffffn) return null
  const i = Number(index)
  const tx = await node.chain.store.getTransaction(at.hash, i)
  if (tx === undefined) return null
  return formatTx(tx, { blockHash: at.hash, blockNumber: at.header.number, index: i, baseFee: at.header.baseFeePerGas })
}

export const eth_getTransactionByBlockNumberAndIndex = defineMethod(
  'eth_getTransactionByBlockNumberAndIndex',
  [required(blockNumberOrTag), required(uint64)],
  async ([ref, index], ctx) => {
    const found = await findBlock(ctx.node, ref)
    return found === null ? null : txAtIndex(ctx.node, found, index)
  },
)
