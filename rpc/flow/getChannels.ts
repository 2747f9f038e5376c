/**
 * flow_getChannels(address, start?): the payment channels `address` is a party of (as consumer or
 * provider) at the head, in opening order from position `start` (default 0), at most
 * MAX_CHANNELS_PER_CALL; `total` says how many there are, so a caller pages with `start`.
 */
import { readChannelsOf } from '../../src/consensus/povf/views.js'
import { address, defineMethod, optional, required, uint64 } from '../params.js'
import { channelJson } from './channelJson.js'
import { headState, hexQ } from './common.js'

/** the most channels one call returns (as PaymentChannels.channelsOf) */
export const MAX_CHANNELS_PER_CALL = 256n

export const flow_getChannels = defineMethod('flow_getChannels', [required(address), optional(uint64)], async ([addr, start], ctx) => {
  const { state } = await headState(ctx.node)
  const r = await readChannelsOf(state, addr, start ?? 0n, MAX_CHANNELS_PER_CALL)
  return { total: hexQ(r.total), channels: r.channels.map(channelJson) }
})
