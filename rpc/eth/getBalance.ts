/** eth_getBalance(address, block): the balance in wei at a block (default latest; `pending`: after the pool's next block). */
import { Address, hexToBytes } from '@ethereumjs/util'
import { requireBlock } from '../blocks.js'
import { hexQ } from '../format.js'
import { address, blockTag, defineMethod, optional, required } from '../params.js'
import { isPending, stateAtRef } from '../pendingBlock.js'
import { accountAt } from '../stateReads.js'

export const eth_getBalance = defineMethod('eth_getBalance', [required(address), optional(blockTag)], async ([addr, ref], ctx) => {
  const node = ctx.node
  const account = isPending(ref)
    ? await (await stateAtRef(node, ref)).getAccount(new Address(hexToBytes(addr as `0x${string}`)))
    : await accountAt(node.chain, (await requireBlock(node, ref)).header, addr)
  return hexQ(account?.balance ?? 0n)
})
