/**
 * eth_getFilterLogs(id): every log matching a log filter's criteria, exactly as eth_getLogs
 * with those criteria (same range rules and limits). Other filter kinds are "filter not found".
 */
import { filtersOf } from '../filters/registry.js'
import { filterId } from '../filters/params.js'
import { defineMethod, required } from '../params.js'
import { eth_getLogs } from './getLogs.js'

export const eth_getFilterLogs = defineMethod('eth_getFilterLogs', [required(filterId)], ([id], ctx) =>
  eth_getLogs.handler([filtersOf(ctx).logCriteria(id)], ctx),
)
