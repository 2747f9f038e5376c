/**
 * flow_getRewards(address): the address's traffic rewards at the head (time = head block time):
 * locked (in their 30-day lock), unlocking (past it, not yet unlocked), withdrawable, withdrawn,
 * and its coin-time (NFC-wei · ms).
 */
import { readRewards } from '../../src/consensus/povf/views.js'
import { address, defineMethod, required } from '../params.js'
import { headState, hexQ } from './common.js'

export const flow_getRewards = defineMethod('flow_getRewards', [required(address)], async ([addr], ctx) => {
  const node = ctx.node
  const { head, state } = await headState(node)
  const r = await readRewards(state, addr, head.header.timestamp, node.chain.dpos)
  return { locked: hexQ(r.locked), unlocking: hexQ(r.unlocking), withdrawable: hexQ(r.withdrawable), withdrawn: hexQ(r.withdrawn), coinTime: hexQ(r.coinTime) }
})
