/**
 * debug_traceTransaction(hash, options?): replays the transaction's block on the parent's state
 * up to the transaction, then traces it (struct logger by default, or `callTracer`).
 */
import { Address, hexToBytes } from '@ethereumjs/util'
import { defineMethod, hash, optional, required } from '../params.js'
import { findMinedTx } from '../txLookup.js'
import { traceConfig } from './traceConfig.js'
import { NfcError } from '../../src/util/errors.js'
import { POOLS } from '../../src/execution/systemAddresses.js'
import { makeTracer, traceBlockTransaction, TraceErrorCode } from '../../src/execution/trace.js'

export const debug_traceTransaction = defineMethod(
  'debug_traceTransaction',
  [required(hash), optional(traceConfig({ call: false }))],
  async ([txHash, cfg = {}], ctx) => {
    const node = ctx.node
    makeTracer(cfg) // an unknown tracer fails before any lookup or replay
    const mined = await findMinedTx(node, txHash)
    if (mined === null) throw new NfcError(TraceErrorCode.TxNotFound, 'transaction not found')
    const { block, index } = mined
    const parent = await node.chain.store.getHeader(block.header.parentHash)
    if (parent === undefined) throw new NfcError(TraceErrorCode.TxNotFound, 'parent block of the transaction not found')
    const chain = node.chain
    return traceBlockTransaction(
      {
        common: chain.common,
        stateAt: (h) => chain.stateAt(h),
        blockchain: chain.vm.blockchain,
        sharedPool: new Address(hexToBytes(POOLS.shared)),
        dpos: chain.dpos,
        beginBlock: chain.beginHookFor(block),
      },
      parent,
      block,
      index,
      cfg,
    )
  },
)
