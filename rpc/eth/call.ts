/** eth_call(call, block): runs a call on the state of a block; reverts are code 3 with data. */
import { bytesToHex } from '@ethereumjs/util'
import { callTarget } from '../pendingBlock.js'
import { toCallRequest } from '../format.js'
import { blockTag, callObject, defineMethod, optional, required } from '../params.js'

export const eth_call = defineMethod('eth_call', [required(callObject), optional(blockTag)], async ([req, ref], ctx) => {
  const node = ctx.node
  return bytesToHex(await node.call(toCallRequest(req), await callTarget(node, ref)))
})
