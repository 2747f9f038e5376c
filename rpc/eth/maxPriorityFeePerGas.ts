/** eth_maxPriorityFeePerGas: the suggested EIP-1559 tip. */
import { hexQ } from '../format.js'
import { suggestTip } from '../gasOracle.js'
import { defineMethod } from '../params.js'

export const eth_maxPriorityFeePerGas = defineMethod('eth_maxPriorityFeePerGas', [], async (_p, ctx) => hexQ(await suggestTip(ctx.node)))
