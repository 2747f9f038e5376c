/**
 * flow_getStats(): traffic totals at the head — the current flow cycle, cumulative valued bytes,
 * the current EB and reward per GB of the curve, what is left in the traffic pool, checkpoints
 * submitted, and the top providers by reward.
 */
import { readFlowStats } from '../../src/consensus/povf/views.js'
import { flowCycleAt } from '../../src/consensus/povf/engine.js'
import { defineMethod } from '../params.js'
import { headState, hexQ } from './common.js'

export const flow_getStats = defineMethod('flow_getStats', [], async (_params, ctx) => {
  const node = ctx.node
  const { head, state } = await headState(node)
  const s = await readFlowStats(state)
  return {
    cycle: hexQ(flowCycleAt(head.header.timestamp, node.chain.dpos)),
    cumulativeBytes: hexQ(s.cumulativeBytes),
    currentEB: hexQ(s.currentEB),
    rewardPerGB: hexQ(s.rewardPerGB),
    trafficPoolRemaining: hexQ(s.trafficPoolRemaining),
    checkpoints: hexQ(s.checkpoints),
    topProviders: s.topProviders.map((p) => ({ address: p.address, bytes: hexQ(p.bytes), rewards: hexQ(p.rewards) })),
  }
})
