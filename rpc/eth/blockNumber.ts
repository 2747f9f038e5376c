/** eth_blockNumber: the number of the head block. */
import { hexQ } from '../format.js'
import { defineMethod } from '../params.js'

export const eth_blockNumber = defineMethod('eth_blockNumber', [], (_p, ctx) => hexQ(ctx.node.head.header.number))
