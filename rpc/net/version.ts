import { defineMethod } from '../params.js'

/** `net_version` → the network id as a decimal string; NetFlowCoin uses the chain id. */
export const net_version = defineMethod('net_version', [], (_params, ctx) => ctx.node.chainId.toString(10))
