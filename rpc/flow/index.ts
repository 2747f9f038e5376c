/** The flow_ namespace (DESIGN §7): receipts, sessions, side-chains, checkpoints, rewards, stats, payment channels. */
import type { RpcMethod } from '../types.js'
import { flow_getCheckpoint } from './getCheckpoint.js'
import { flow_getRewards } from './getRewards.js'
import { flow_getSession } from './getSession.js'
import { flow_getSideChain } from './getSideChain.js'
import { flow_getStats } from './getStats.js'
import { flow_submitReceipt } from './submitReceipt.js'
import { flow_getChannel } from './getChannel.js'
import { flow_getChannels } from './getChannels.js'

export const flowMethods: RpcMethod<any, any>[] = [
  flow_submitReceipt,
  flow_getSession,
  flow_getSideChain,
  flow_getCheckpoint,
  flow_getRewards,
  flow_getStats,
  flow_getChannel,
  flow_getChannels,
]
