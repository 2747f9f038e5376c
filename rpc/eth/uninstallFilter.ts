/** eth_uninstallFilter(id): removes a filter; false when there was none (or it had expired). */
import { filtersOf } from '../filters/registry.js'
import { filterId } from '../filters/params.js'
import { defineMethod, required } from '../params.js'

export const eth_uninstallFilter = defineMethod('eth_uninstallFilter', [required(filterId)], ([id], ctx) => filtersOf(ctx).uninstall(id))
