import { defineMethod } from '../params.js'

/** `eth_chainId` → the chain id as a hex quantity (EIP-695). */
export const eth_chainId = defineMethod('eth_chainId', [], (_params, ctx) => '0x' + ctx.node.chainId.toString(16))
