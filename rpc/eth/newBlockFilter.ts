/** eth_newBlockFilter(): a filter whose changes are the hashes of blocks added since the last poll. */
import { filtersOf } from '../filters/registry.js'
import { defineMethod } from '../params.js'

export const eth_newBlockFilter = defineMethod('eth_newBlockFilter', [], (_params, ctx) =>
  filtersOf(ctx).install('blocks', { maxFilters: ctx.limits?.maxFilters }),
)
