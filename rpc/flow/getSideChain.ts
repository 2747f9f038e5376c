/**
 * flow_getSideChain([cycle]): the side-chain of a flow cycle (default: the current one) as this
 * node knows it — committee (from the main chain), height and head hash of its side blocks,
 * receipts in them, bytes of the receipts still pending. null for a cycle without committee or blocks.
 */
import { bytesToHex } from '@ethereumjs/util'
import { defineMethod, optional, uint64 } from '../params.js'
import { flowOfNode, hexQ } from './common.js'

export const flow_getSideChain = defineMethod('flow_getSideChain', [optional(uint64)], async ([cycle], ctx) => {
  const s = await flowOfNode(ctx.node).sideChain(cycle)
  if (s === null) return null
  return {
    sideChainId: bytesToHex(s.sideChainId),
    cycle: hexQ(s.cycle),
    committee: s.committee,
    height: hexQ(s.height),
    headHash: bytesToHex(s.headHash),
    receipts: hexQ(s.receipts),
    pendingBytes: hexQ(s.pendingBytes),
  }
})
