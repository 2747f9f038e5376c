/**
 * debug_traceCall(call, block?, options?): traces a call exactly as eth_call runs it on that
 * block (struct logger by default, or `callTracer`).
 */
import { requireBlock } from '../blocks.js'
import { toCallRequest } from '../format.js'
import { blockTag, callObject, defineMethod, optional, required } from '../params.js'
import { traceConfig } from './traceConfig.js'
import { makeTracer, traceCall } from '../../src/execution/trace.js'
import type { CallEnv } from '../../src/execution/call.js'
import type { Head } from '../../src/node/blockchain.js'
import type { NodeApi } from '../../src/node/interface.js'
import { Address } from '@ethereumjs/util'

/** The node's eth_call environment for a block (Node.callEnv; rebuilt the same way otherwise). */
function callEnvOf(node: NodeApi & { callEnv?: (h: Head['header'], hash: Uint8Array) => CallEnv }, head: Head): CallEnv {
  if (typeof node.callEnv === 'function') return node.callEnv(head.header, head.hash)
  const chain = node.chain
  return {
    common: chain.common,
    ctx: {
      number: head.header.number + 1n,
      timestamp: head.header.timestamp + BigInt(chain.genesis.params.blockIntervalMs),
      producer: new Address(head.header.producer),
      gasLimit: head.header.gasLimit,
      baseFeePerGas: head.header.baseFeePerGas,
      parentHash: head.hash,
    },
    freshState: () => chain.stateAt(head.header),
    blockchain: chain.vm.blockchain,
  }
}

export const debug_traceCall = defineMethod(
  'debug_traceCall',
  [required(callObject), optional(blockTag), optional(traceConfig({ call: true }))],
  async ([req, ref, cfg = {}], ctx) => {
    const node = ctx.node as NodeApi
    makeTracer(cfg)
    const head = await requireBlock(node, ref)
    return traceCall(callEnvOf(node, head), toCallRequest(req), cfg)
  },
)
