/**
 * flow_getChannel(id): the payment channel `id` at the head (PaymentChannels 0x…1005, DESIGN
 * §13): its parties, deposit, redeemed and available NB wei, closeAt (ms, 0x0 while open) and
 * status (open, closing, closed). null when there is no such channel.
 */
import { readChannel } from '../../src/consensus/povf/views.js'
import { defineMethod, quantity, required } from '../params.js'
import { channelJson } from './channelJson.js'
import { headState } from './common.js'

export const flow_getChannel = defineMethod('flow_getChannel', [required(quantity)], async ([id], ctx) => {
  const { state } = await headState(ctx.node)
  const c = await readChannel(state, id)
  return c === null ? null : channelJson(c)
})
