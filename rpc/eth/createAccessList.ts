/**
 * eth_createAccessList(call, block): the EIP-2930 access list a transaction would use and its gas
 * with that list, as geth: `{ accessList, gasUsed }`, plus `error` ("execution reverted", "out
 * of gas", …) when the execution fails — a failing execution is a result, not an RPC error.
 * Refusals before execution (intrinsic gas, fee below the base fee) are -32000 errors.
 */
import { callTarget } from '../pendingBlock.js'
import { hexQ, toCallRequest } from '../format.js'
import { blockTag, callObject, defineMethod, optional, required } from '../params.js'
import { createAccessList } from '../../src/execution/accessList.js'

export const eth_createAccessList = defineMethod('eth_createAccessList', [required(callObject), optional(blockTag)], async ([req, ref], ctx) => {
  const node = ctx.node
  const out = await createAccessList(await node.callEnvOn(await callTarget(node, ref)), toCallRequest(req), req.nonce)
  const result: { accessList: typeof out.accessList; gasUsed: string; error?: string } = {
    accessList: out.accessList,
    gasUsed: hexQ(out.gasUsed),
  }
  if (out.error !== undefined) result.error = out.error
  return result
})
