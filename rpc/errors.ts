/**
 * THE one place where error codes become JSON-RPC errors. Domains throw `NfcError`s with
 * their own stable codes; this table decides the wire code, message and data. Codes and
 * messages follow geth where wallets and libraries depend on them (revert = code 3 with the
 * revert bytes as data, pool and execution errors = -32000 with the plain message).
 */
import { NfcError, isNfcError } from '../src/util/errors.js'
import type { Logger } from '../src/util/logger.js'
import type { JsonRpcErrorObject } from './types.js'

/** Codes raised by the RPC layer itself. */
export const RpcErrorCode = {
  ParseError: 'RPC_PARSE_ERROR',
  InvalidRequest: 'RPC_INVALID_REQUEST',
  MethodNotFound: 'RPC_METHOD_NOT_FOUND',
  InvalidParams: 'RPC_INVALID_PARAMS',
  /** a query or resource limit (too many logs, too wide a block range, …) */
  Limit: 'RPC_LIMIT',
  ResponseTooLarge: 'RPC_RESPONSE_TOO_LARGE',
  /** admission control refused the call before it ran (too many in flight, or the event loop lags): retry later */
  Busy: 'RPC_BUSY',
  /** eth_sendRawTransactionSync: the transaction was not mined within the timeout (meta.hash: its hash) */
  SyncTimeout: 'RPC_SYNC_TIMEOUT',
  /** eth_sendRawTransactionSync: pooled, but behind a nonce gap, so it cannot be mined yet (meta.hash) */
  SyncNotReady: 'RPC_SYNC_NOT_READY',
} as const
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode]

/** Thrown by parameter validators; the message is what the caller sees. */
export class InvalidParamsError extends NfcError<'RPC_INVALID_PARAMS'> {
  constructor(message: string, meta: Record<string, unknown> = {}) {
    super(RpcErrorCode.InvalidParams, message, meta)
  }
}

export function rpcError(code: RpcErrorCode, message: string, meta: Record<string, unknown> = {}): NfcError {
  return code === RpcErrorCode.InvalidParams ? new InvalidParamsError(message, meta) : new NfcError(code, message, meta)
}

/** JSON-RPC 2.0 and geth wire codes. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  /** geth's catch-all for pool, execution and chain errors */
  Default: -32000,
  /** geth: response (batch) over the size limit */
  ResponseTooLarge: -32003,
  LimitExceeded: -32005,
  /** geth: execution reverted, data = revert bytes */
  Reverted: 3,
  /** EIP-7966: eth_sendRawTransactionSync timed out, data = the transaction hash */
  SyncTimeout: 4,
  /** EIP-7966: eth_sendRawTransactionSync's transaction is not ready to be mined (nonce gap), data = its hash */
  SyncNotReady: 5,
} as const

interface Rule {
  code: number
  /** message to send; the error's own message when absent */
  message?: (e: NfcError) => string
  data?: (e: NfcError) => unknown
}

const byCode = new Map<string, Rule>([
  [RpcErrorCode.ParseError, { code: JsonRpcCode.ParseError }],
  [RpcErrorCode.InvalidRequest, { code: JsonRpcCode.InvalidRequest }],
  [RpcErrorCode.MethodNotFound, { code: JsonRpcCode.MethodNotFound }],
  [RpcErrorCode.InvalidParams, { code: JsonRpcCode.InvalidParams }],
  [RpcErrorCode.Limit, { code: JsonRpcCode.LimitExceeded, message: (e) => e.message || 'limit exceeded' }],
  [RpcErrorCode.ResponseTooLarge, { code: JsonRpcCode.ResponseTooLarge, message: () => 'response too large' }],
  // geth/Infura's code and words for "too much, come back later"; clients retry on -32005
  [RpcErrorCode.Busy, { code: JsonRpcCode.LimitExceeded, message: () => 'limit exceeded', data: () => ({ reason: 'server busy, retry later' }) }],
  // a full pool is saturation, not a verdict on the transaction: geth's words with the code clients
  // retry on (viem backs off and sends it again; blocks drain the pool within a slot or two)
  ['TXPOOL_FULL', { code: JsonRpcCode.LimitExceeded, data: (e) => ({ reason: 'retry later', limit: e.meta.limit, value: e.meta.value }) }],
  [RpcErrorCode.SyncTimeout, { code: JsonRpcCode.SyncTimeout, data: (e) => e.meta.hash }],
  [RpcErrorCode.SyncNotReady, { code: JsonRpcCode.SyncNotReady, data: (e) => e.meta.hash }],
  // state older than a pruning node keeps (src/state/errors.ts): geth's code, our message names --archive
  ['STATE_PRUNED', { code: JsonRpcCode.Default }],
  [
    'EXEC_REVERTED',
    {
      code: JsonRpcCode.Reverted,
      message: (e) => e.message || 'execution reverted',
      data: (e) => e.meta.data,
    },
  ],
])

/** Whole domains whose errors are the caller's problem and go out as geth's -32000 with their message. */
const byPrefix: ReadonlyArray<readonly [string, Rule]> = [
  ['TX_', { code: JsonRpcCode.Default }],
  ['TXPOOL_', { code: JsonRpcCode.Default }],
  ['EXEC_', { code: JsonRpcCode.Default }],
  ['CHAIN_', { code: JsonRpcCode.Default }],
  ['STATE_', { code: JsonRpcCode.Default }],
  // flow_submitReceipt refusals (src/flow/errors.ts): the reason, and the code for programs
  ['FLOW_', { code: JsonRpcCode.Default, message: (e) => `receipt rejected: ${e.message}`, data: (e) => ({ code: e.code }) }],
  // nfc_resolveName (src/consensus/names/errors.ts): unknown or expired, told apart by data.code
  ['NAME_', { code: JsonRpcCode.Default, data: (e) => ({ code: e.code }) }],
  // nfc_getDealChallenge (src/consensus/deals/errors.ts): told apart by data.code
  ['STORAGE_', { code: JsonRpcCode.Default, data: (e) => ({ code: e.code }) }],
]

/** Any other NfcError. */
const fallback: Rule = { code: JsonRpcCode.Default }

/**
 * Maps anything a handler threw to a JSON-RPC error object. Unexpected exceptions (not an
 * NfcError) are logged once with their stack and answered as -32603 "internal error", without
 * leaking their message.
 */
export function toJsonRpcError(e: unknown, logger: Logger, where: { method?: string } = {}): JsonRpcErrorObject {
  if (!isNfcError(e)) {
    logger.error('internal error', {
      ...where,
      error: e instanceof Error ? e.message : String(e),
      stack: e instanceof Error ? e.stack : undefined,
    })
    return { code: JsonRpcCode.Internal, message: 'internal error' }
  }
  const rule = byCode.get(e.code) ?? byPrefix.find(([prefix]) => e.code.startsWith(prefix))?.[1] ?? fallback
  const out: JsonRpcErrorObject = { code: rule.code, message: rule.message ? rule.message(e) : e.message }
  const data = rule.data?.(e)
  if (data !== undefined) out.data = data
  return out
}
