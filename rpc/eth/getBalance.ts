/** eth_getBalance(address, block): the balance in wei at a block (default latest; `pending`: after the pool's next block). */
import { Address, hexToBytes } from '@ethereumjs/util'
import { stateAtRef } from '../pendingBlock.js'
import { hexQ } from '../format.js'
import { address, blockTag, defineMethod, optional, required } from '../params.js'

export const eth_getBalance = defineMethod('eth_getBalance', [required(address), optional(blockTag)], async ([addr, ref], ctx) => {
  const node = ctx.node
  const state = await stateAtRef(node, ref)
  const account = await state.getAccount(new Address(hexToBytes(addr as `0x${string}`)))
  return hexQ(account?.balance ?? 0n)
})
