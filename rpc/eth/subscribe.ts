/**
 * eth_subscribe(kind, options?) over WebSocket: `newHeads` (header JSON without transactions;
 * options `{}` accepted and ignored), `logs` (an eth_getLogs-style {address, topics} filter;
 * logs of blocks removed by a reorg come again with `removed: true`) and
 * `newPendingTransactions` (hashes, or whole transactions when the option is `true`).
 * Notifications: {"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":id,"result":…}}.
 *
 * As in geth, the transport is checked before the arguments, so over HTTP any call is
 * "notifications not supported"; the arguments are therefore validated here, not in `params`.
 */
import { InvalidParamsError, rpcError, RpcErrorCode } from '../errors.js'
import { notificationsUnsupported } from '../filters/errors.js'
import { filtersOf, type SubscriptionKind } from '../filters/registry.js'
import { bool, logFilter, type LogFilter, type Validator } from '../params.js'
import type { RpcMethod } from '../types.js'

interface SubscribeRequest {
  kind: SubscriptionKind
  criteria?: LogFilter
  fullTx?: boolean
}

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v)

const headsOptions: Validator<undefined> = (v) => {
  if (!isObject(v)) throw new InvalidParamsError('cannot unmarshal non-object into newHeads options')
  return undefined
}

const kinds: Record<SubscriptionKind, (option: unknown) => SubscribeRequest> = {
  newHeads: (o) => (headsOptions(o), { kind: 'newHeads' }),
  logs: (o) => ({ kind: 'logs', criteria: logFilter(o) }),
  newPendingTransactions: (o) => ({ kind: 'newPendingTransactions', fullTx: bool(o) }),
}

function parseSubscribe(raw: unknown[]): SubscribeRequest {
  const [kind, option] = raw
  if (typeof kind !== 'string') throw new InvalidParamsError('expected subscription name as first argument')
  if (!Object.hasOwn(kinds, kind)) {
    throw rpcError(RpcErrorCode.MethodNotFound, `no "${kind}" subscription in eth namespace`)
  }
  if (raw.length > 2) throw new InvalidParamsError('too many arguments, want at most 2')
  if (option === undefined || option === null) return { kind: kind as SubscriptionKind }
  try {
    return kinds[kind as SubscriptionKind](option)
  } catch (e) {
    if (e instanceof InvalidParamsError) throw new InvalidParamsError(`invalid argument 1: ${e.message}`)
    throw e
  }
}

export const eth_subscribe: RpcMethod<unknown[], string> = {
  name: 'eth_subscribe',
  params: (raw) => raw,
  handler(raw, ctx) {
    if (ctx.connection === undefined) throw notificationsUnsupported()
    const { kind, ...opts } = parseSubscribe(raw)
    return filtersOf(ctx).subscribe(ctx.connection, kind, { ...opts, maxSubscriptions: ctx.limits?.maxSubscriptionsPerConnection })
  },
}
