/** Finds a mined transaction: its block (with receipts on demand) and index. */
import type { Block } from '../src/chain/block.js'
import type { NodeApi } from '../src/node/interface.js'
import { atOrBelowHead } from './blocks.js'

export async function findMinedTx(node: NodeApi, txHash: Uint8Array): Promise<{ block: Block; index: number } | null> {
  const loc = await node.chain.store.getTxLocation(txHash)
  if (loc === undefined) return null
  const block = await node.chain.store.getBlock(loc.blockHash)
  return block === undefined || !atOrBelowHead(node, block.header.number) ? null : { block, index: loc.index }
}
