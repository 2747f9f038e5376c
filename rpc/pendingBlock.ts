/**
 * The `pending` tag in requests: the pool's next block (`node.pendingBlock()`, built on the head
 * in a throwaway state) for eth_getBlockByNumber, and its state for the state reads and calls.
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { NodeApi, Head, PendingBlock } from '../src/node/interface.js'
import { requireBlock } from './blocks.js'
import { formatBlock, formatTx } from './format.js'
import { sharedStateAt } from './stateReads.js'
import type { BlockRef } from './params.js'

export function isPending(ref: BlockRef | undefined): boolean {
  return ref !== undefined && 'tag' in ref && ref.tag === 'pending'
}

/**
 * The state a read names: the pending block's for `pending`, else the block's ("header not found"
 * when missing), shared with other readers (stateReads.ts): read from it, never write to it.
 */
export async function stateAtRef(node: NodeApi, ref: BlockRef | undefined): Promise<MerkleStateManager> {
  if (isPending(ref)) return (await node.pendingBlock()).state()
  return sharedStateAt(node.chain, (await requireBlock(node, ref)).header)
}

/** Where eth_call / eth_estimateGas run: on top of a block, or of the pending block. */
export async function callTarget(node: NodeApi, ref: BlockRef | undefined): Promise<Head | 'pending'> {
  return isPending(ref) ? 'pending' : requireBlock(node, ref)
}

/**
 * geth's pending block: the fields of a block, but unsigned and unsealed, so `hash` and `nonce`
 * are null (geth nulls `miner` too; ours names the witness this node would produce as, or zero).
 */
export function formatPendingBlock(p: PendingBlock, fullTx: boolean): Record<string, unknown> {
  const zero = new Uint8Array(32)
  const out = formatBlock(
    {
      header: { ...p.header, flowRoot: zero, confirmationsRoot: zero, signature: new Uint8Array(0) },
      transactions: p.transactions,
      confirmations: [],
      hash: zero,
    },
    false,
  )
  return {
    ...out,
    hash: null,
    nonce: null,
    signature: null,
    // pending transactions as eth_getTransactionByHash shows them: not in a block yet
    transactions: fullTx ? p.transactions.map((tx) => formatTx(tx, null)) : out.transactions,
  }
}
