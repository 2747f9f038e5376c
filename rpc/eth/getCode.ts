/** eth_getCode(address, block): the contract code at a block. */
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { stateAtRef } from '../pendingBlock.js'
import { address, blockTag, defineMethod, optional, required } from '../params.js'

export const eth_getCode = defineMethod('eth_getCode', [required(address), optional(blockTag)], async ([addr, ref], ctx) => {
  const state = await stateAtRef(ctx.node, ref)
  return bytesToHex(await state.getCode(new Address(hexToBytes(addr as `0x${string}`))))
})
