/**
 * debug_traceCall(call, block?, options?): traces a call exactly as eth_call runs it on that
 * block or on the pending block (struct logger by default, or `callTracer`).
 */
import { callTarget } from '../pendingBlock.js'
import { toCallRequest } from '../format.js'
import { blockTag, callObject, defineMethod, optional, required } from '../params.js'
import { traceConfig } from './traceConfig.js'
import { makeTracer, traceCall } from '../../src/execution/trace.js'

export const debug_traceCall = defineMethod(
  'debug_traceCall',
  [required(callObject), optional(blockTag), optional(traceConfig({ call: true }))],
  async ([req, ref, cfg = {}], ctx) => {
    const node = ctx.node
    makeTracer(cfg)
    return traceCall(await node.callEnvOn(await callTarget(node, ref)), toCallRequest(req), cfg)
  },
)
