/** eth_getTransactionCount(address, block): the nonce; `pending` counts the pool's executable txs. */
import { Address, hexToBytes } from '@ethereumjs/util'
import { requireBlock } from '../blocks.js'
import { hexQ } from '../format.js'
import { address, blockTag, defineMethod, optional, required } from '../params.js'
import { accountAt } from '../stateReads.js'

export const eth_getTransactionCount = defineMethod('eth_getTransactionCount', [required(address), optional(blockTag)], async ([addr, ref], ctx) => {
  const node = ctx.node
  const who = new Address(hexToBytes(addr as `0x${string}`))
  if (ref !== undefined && 'tag' in ref && ref.tag === 'pending') return hexQ(await node.txpool.pendingNonce(who))
  return hexQ((await accountAt(node.chain, (await requireBlock(node, ref)).header, addr))?.nonce ?? 0n)
})
