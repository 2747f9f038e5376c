/** The filter and subscription methods, for rpc/index.ts to add to the eth_ namespace. */
import type { RpcMethod } from '../types.js'
import { eth_getFilterChanges } from '../eth/getFilterChanges.js'
import { eth_getFilterLogs } from '../eth/getFilterLogs.js'
import { eth_newBlockFilter } from '../eth/newBlockFilter.js'
import { eth_newFilter } from '../eth/newFilter.js'
import { eth_newPendingTransactionFilter } from '../eth/newPendingTransactionFilter.js'
import { eth_subscribe } from '../eth/subscribe.js'
import { eth_uninstallFilter } from '../eth/uninstallFilter.js'
import { eth_unsubscribe } from '../eth/unsubscribe.js'

export { closeFilterRegistry, installFilterRegistry, REMOVED_BLOCK_EVENT } from './registry.js'
export type { FilterRegistryOptions } from './registry.js'

export const filterMethods: RpcMethod<any, any>[] = [
  eth_newFilter,
  eth_newBlockFilter,
  eth_newPendingTransactionFilter,
  eth_getFilterChanges,
  eth_getFilterLogs,
  eth_uninstallFilter,
  eth_subscribe,
  eth_unsubscribe,
]
