/** eth_gasPrice: a legacy gas price that gets included promptly — base fee plus suggested tip. */
import { hexQ } from '../format.js'
import { suggestTip } from '../gasOracle.js'
import { defineMethod } from '../params.js'

export const eth_gasPrice = defineMethod('eth_gasPrice', [], async (_p, ctx) => {
  const node = ctx.node
  return hexQ(node.head.header.baseFeePerGas + (await suggestTip(node)))
})
