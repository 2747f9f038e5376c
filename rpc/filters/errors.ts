/**
 * Errors of filters and subscriptions. Not-found errors carry geth's exact wording and, having
 * no rule of their own in rpc/errors.ts, go out as geth's -32000. Limits use the RPC layer's
 * own Limit code (-32005).
 */
import { NfcError } from '../../src/util/errors.js'
import { rpcError, RpcErrorCode } from '../errors.js'

export const FilterErrorCode = {
  FilterNotFound: 'RPC_FILTER_NOT_FOUND',
  SubscriptionNotFound: 'RPC_SUBSCRIPTION_NOT_FOUND',
} as const

export const filterNotFound = (id: string) => new NfcError(FilterErrorCode.FilterNotFound, 'filter not found', { id })

export const subscriptionNotFound = (id: string) => new NfcError(FilterErrorCode.SubscriptionNotFound, 'subscription not found', { id })

/**
 * eth_subscribe over HTTP. Current geth answers -32601 "notifications not supported" (its old
 * code -32001 survives only as a legacy constant clients still recognise), and -32601 is what
 * ethers, viem and go-ethereum's client test for to fall back to polling.
 */
export const notificationsUnsupported = () => rpcError(RpcErrorCode.MethodNotFound, 'notifications not supported')
