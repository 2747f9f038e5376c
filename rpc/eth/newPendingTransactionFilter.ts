/**
 * eth_newPendingTransactionFilter(fullTx?): a filter whose changes are the transactions that
 * became executable in the pool since the last poll: hashes, or whole transaction objects when
 * `fullTx` is true (geth's optional argument).
 */
import { filtersOf } from '../filters/registry.js'
import { bool, defineMethod, optional } from '../params.js'

export const eth_newPendingTransactionFilter = defineMethod('eth_newPendingTransactionFilter', [optional(bool)], ([fullTx], ctx) =>
  filtersOf(ctx).install('pendingTransactions', { fullTx: fullTx ?? false, maxFilters: ctx.limits?.maxFilters }),
)
