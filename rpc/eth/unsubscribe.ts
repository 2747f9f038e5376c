/**
 * eth_unsubscribe(id): ends a subscription of this WebSocket connection. An id the connection
 * does not hold (another connection's, an ended one, any id over HTTP) is geth's -32000
 * "subscription not found".
 */
import { filtersOf } from '../filters/registry.js'
import { filterId } from '../filters/params.js'
import { defineMethod, required } from '../params.js'

export const eth_unsubscribe = defineMethod('eth_unsubscribe', [required(filterId)], ([id], ctx) => filtersOf(ctx).unsubscribe(ctx.connection, id))
