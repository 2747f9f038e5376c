/** eth_estimateGas(call, block): the gas limit the call needs, found by bisection as geth does. */
import { callTarget } from '../pendingBlock.js'
import { hexQ, toCallRequest } from '../format.js'
import { blockTag, callObject, defineMethod, optional, required } from '../params.js'

export const eth_estimateGas = defineMethod('eth_estimateGas', [required(callObject), optional(blockTag)], async ([req, ref], ctx) => {
  const node = ctx.node
  return hexQ(await node.estimateGas(toCallRequest(req), await callTarget(node, ref)))
})
