/**
 * eth_newFilter(criteria): installs a log filter and returns its id. eth_getFilterChanges then
 * returns the matching logs of blocks added since the last poll (numeric fromBlock/toBlock
 * bound which new blocks count, as in geth); eth_getFilterLogs runs the criteria as eth_getLogs.
 */
import { filtersOf } from '../filters/registry.js'
import { defineMethod, logFilter, required } from '../params.js'

export const eth_newFilter = defineMethod('eth_newFilter', [required(logFilter)], ([criteria], ctx) =>
  filtersOf(ctx).install('logs', { criteria, maxFilters: ctx.limits?.maxFilters }),
)
