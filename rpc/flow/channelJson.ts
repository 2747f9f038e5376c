/** The JSON shape of a payment channel (flow_getChannel, flow_getChannels; `FlowChannel` in openrpc.json). */
import type { ChannelView } from '../../src/consensus/povf/views.js'
import { hexQ } from './common.js'

const STATUS_NAMES = ['none', 'open', 'closing', 'closed'] as const

export function channelJson(c: ChannelView) {
  return {
    id: hexQ(c.id),
    consumer: c.consumer,
    provider: c.provider,
    deposit: hexQ(c.deposit),
    redeemed: hexQ(c.redeemed),
    available: hexQ(c.available),
    closeAt: hexQ(c.closeAt),
    status: STATUS_NAMES[c.status],
  }
}
