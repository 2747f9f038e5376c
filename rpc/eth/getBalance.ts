/** eth_getBalance(address, block): the balance in wei at a block (default latest). */
import { Address, hexToBytes } from '@ethereumjs/util'
import { requireBlock } from '../blocks.js'
import { hexQ } from '../format.js'
import { address, blockTag, defineMethod, optional, required } from '../params.js'

export const eth_getBalance = defineMethod('eth_getBalance', [required(address), optional(blockTag)], async ([addr, ref], ctx) => {
  const node = ctx.node
  const state = await node.chain.stateAt((await requireBlock(node, ref)).header)
  const account = await state.getAccount(new Address(hexToBytes(addr as `0x${string}`)))
  return hexQ(account?.balance ?? 0n)
})
