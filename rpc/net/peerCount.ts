/** net_peerCount: the number of established P2P peers, as a quantity. */
import { hexQ } from '../format.js'
import { defineMethod } from '../params.js'

export const net_peerCount = defineMethod('net_peerCount', [], (_params, ctx) => hexQ(BigInt(ctx.node.peerCount)))
