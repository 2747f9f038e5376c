/** Shared by the dpos_ methods: the state at the requested block, and number formatting. */
import { requireBlock } from '../blocks.js'
import { hexQ } from '../format.js'
import type { BlockRef } from '../params.js'
import type { NodeApi } from '../../src/node/interface.js'
import type { Head } from '../../src/node/interface.js'
import type { MerkleStateManager } from '@ethereumjs/statemanager'

export async function stateFor(node: NodeApi, ref: BlockRef | undefined): Promise<{ block: Head; state: MerkleStateManager }> {
  const block = await requireBlock(node, ref)
  return { block, state: await node.chain.stateAt(block.header) }
}

/** trust is signed (it has no floor in §4): a JSON number, exact below 2^53 */
export function trustJson(t: bigint): number {
  return Number(t)
}

export { hexQ }
