/**
 * eth_getFilterChanges(id): what the filter collected since the previous poll (logs, block
 * hashes or pending transactions); each result is returned once. Polling keeps the filter alive.
 */
import { filtersOf } from '../filters/registry.js'
import { filterId } from '../filters/params.js'
import { defineMethod, required } from '../params.js'

export const eth_getFilterChanges = defineMethod('eth_getFilterChanges', [required(filterId)], ([id], ctx) => filtersOf(ctx).changes(id))
