/**
 * JSON-RPC 2.0 envelopes: parse a body (HTTP) or frame (WS), check each request's shape, run
 * the method, and serialise the answer. Transport-agnostic; `server.ts` feeds it text.
 *
 * Batches run their calls one after another, in order, as geth does, so a batch of dependent
 * calls (nonce n, then n+1) behaves like the same calls sent one by one.
 */
import type { Logger } from '../src/util/logger.js'
import type { Admission } from './admission.js'
import { InvalidParamsError, JsonRpcCode, RpcErrorCode, rpcError, toJsonRpcError } from './errors.js'
import type { JsonRpcErrorObject, JsonRpcId, JsonRpcResponse, RpcContext, RpcMethod } from './types.js'

export const defaultMaxBatch = 1000
export const defaultMaxResponseBytes = 25 * 1024 * 1024

export interface DispatcherOptions {
  methods: ReadonlyMap<string, RpcMethod<any, any>>
  logger: Logger
  /** most requests in one batch (default 1000, like geth) */
  maxBatch?: number
  /** most bytes in one response or batch of responses (default 25 MiB, like geth) */
  maxResponseBytes?: number
  /**
   * Called once per request (each call of a batch, notifications included) when its answer is
   * settled, for metrics. Must not throw (a throw is logged and ignored).
   */
  onCall?: (record: CallRecord) => void
  /**
   * The server's admission control: each call takes a slot before it runs (a batch asks for all
   * its calls at once); a call without one is answered -32005 "limit exceeded" without running.
   * Absent: no bound.
   */
  admission?: Admission
}

export interface CallRecord {
  /**
   * The method, when it is registered; null for anything else (unknown method, invalid
   * request, parse error, batch over the limit) so that metrics labels stay bounded.
   */
  method: string | null
  /** time spent running the call */
  seconds: number
  /** JSON-RPC error code of the answer; null for a result */
  errorCode: number | null
}

export interface Dispatcher {
  /**
   * Parses and answers one HTTP body or WS text frame. Resolves to the serialised response,
   * or undefined when nothing is to be sent (notifications only). Never rejects.
   */
  handleText(text: string, ctx: RpcContext): Promise<string | undefined>
}

/** A request that passed the envelope checks. */
interface Call {
  id: JsonRpcId
  /** no "id" member: run it, answer nothing */
  notification: boolean
  method: string
  /** 'non-array': by-name (object) or scalar params, refused when the call runs */
  params: unknown[] | 'non-array'
}

const errorResponse = (id: JsonRpcId, error: JsonRpcErrorObject): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id,
  error,
})

/** The answer to a body that is not JSON at all. */
export const parseErrorBody = JSON.stringify(errorResponse(null, { code: JsonRpcCode.ParseError, message: 'parse error' }))

const invalidRequest = (id: JsonRpcId, reason: string): JsonRpcResponse =>
  errorResponse(id, { code: JsonRpcCode.InvalidRequest, message: `invalid request: ${reason}` })

const isValidId = (id: unknown): id is JsonRpcId => id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))

/** Checks one request object; returns the call, or the error response it earns. */
function checkRequest(msg: unknown): Call | JsonRpcResponse {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return invalidRequest(null, 'not an object')
  }
  const m = msg as Record<string, unknown>
  const hasId = Object.hasOwn(m, 'id')
  if (hasId && !isValidId(m.id)) return invalidRequest(null, 'id must be a string, number or null')
  const id = hasId ? (m.id as JsonRpcId) : null
  if (m.jsonrpc !== '2.0') return invalidRequest(id, 'jsonrpc must be "2.0"')
  if (typeof m.method !== 'string' || m.method === '') return invalidRequest(id, 'method must be a non-empty string')
  const params = Object.hasOwn(m, 'params') ? m.params : undefined
  return {
    id,
    notification: !hasId,
    method: m.method,
    params: params === undefined || params === null ? [] : Array.isArray(params) ? params : 'non-array',
  }
}

const isCall = (x: Call | JsonRpcResponse): x is Call => !('jsonrpc' in x)

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const { methods, logger } = opts
  const maxBatch = opts.maxBatch ?? defaultMaxBatch
  const maxResponseBytes = opts.maxResponseBytes ?? defaultMaxResponseBytes
  const onCall = opts.onCall
  const admission = opts.admission

  function record(method: string | null, started: number, errorCode: number | null): void {
    if (!onCall) return
    try {
      onCall({ method, seconds: (performance.now() - started) / 1000, errorCode })
    } catch (e) {
      logger.error('rpc onCall hook threw', { error: e instanceof Error ? e.message : String(e) })
    }
  }
  const known = (c: Call) => (methods.has(c.method) ? c.method : null)
  const codeOf = (res: JsonRpcResponse) => ('error' in res ? res.error.code : null)

  async function run(call: Call, ctx: RpcContext): Promise<JsonRpcResponse> {
    const method = methods.get(call.method)
    try {
      if (!method) {
        throw rpcError(RpcErrorCode.MethodNotFound, `the method ${call.method} does not exist/is not available`)
      }
      // geth's wording for by-name (object) params
      if (call.params === 'non-array') throw new InvalidParamsError('non-array args')
      const params = method.params(call.params)
      const result = await method.handler(params, ctx)
      return { jsonrpc: '2.0', id: call.id, result: result === undefined ? null : result }
    } catch (e) {
      return errorResponse(call.id, toJsonRpcError(e, logger, { method: call.method }))
    }
  }

  /** Serialises one response; a result JSON cannot carry (bigint, cycle) becomes -32603. */
  function serialise(res: JsonRpcResponse, method?: string): string {
    return serialiseCoded(res, method).text
  }

  function serialiseCoded(res: JsonRpcResponse, method?: string): { text: string; code: number | null } {
    try {
      return { text: JSON.stringify(res), code: codeOf(res) }
    } catch (e) {
      const err = toJsonRpcError(e, logger, { method })
      return { text: JSON.stringify(errorResponse(res.id, err)), code: err.code }
    }
  }

  /** The answer to a call the admission control refused (not run): -32005 "limit exceeded". */
  const shedError = (id: JsonRpcId): JsonRpcResponse => errorResponse(id, toJsonRpcError(rpcError(RpcErrorCode.Busy, ''), logger))

  const tooLarge = (id: JsonRpcId) => JSON.stringify(errorResponse(id, toJsonRpcError(rpcError(RpcErrorCode.ResponseTooLarge, ''), logger)))

  async function single(msg: unknown, ctx: RpcContext): Promise<string | undefined> {
    const started = performance.now()
    const checked = checkRequest(msg)
    if (!isCall(checked)) {
      record(null, started, codeOf(checked))
      return serialise(checked)
    }
    let res: JsonRpcResponse
    if (admission === undefined) res = await run(checked, ctx)
    else if (admission.acquire(1) === 0) res = shedError(checked.id)
    else {
      try {
        res = await run(checked, ctx)
      } finally {
        admission.release(1)
      }
    }
    if (checked.notification) {
      record(known(checked), started, codeOf(res))
      return undefined
    }
    const { text, code } = serialiseCoded(res, checked.method)
    if (Buffer.byteLength(text) > maxResponseBytes) {
      record(known(checked), started, JsonRpcCode.ResponseTooLarge)
      return tooLarge(checked.id)
    }
    record(known(checked), started, code)
    return text
  }

  async function batch(msgs: unknown[], ctx: RpcContext): Promise<string | undefined> {
    if (msgs.length === 0) {
      record(null, performance.now(), JsonRpcCode.InvalidRequest)
      return JSON.stringify(invalidRequest(null, 'empty batch'))
    }
    if (msgs.length > maxBatch) {
      record(null, performance.now(), JsonRpcCode.InvalidRequest)
      // like geth: one error, carrying the id of the first call, inside a batch array
      const first = msgs.map(checkRequest).find((c): c is Call => isCall(c) && !c.notification)
      const err = errorResponse(first?.id ?? null, { code: JsonRpcCode.InvalidRequest, message: 'batch too large' })
      return `[${JSON.stringify(err)}]`
    }
    const checkedAll = msgs.map(checkRequest)
    // the batch's calls ask for their slots together: the first `granted` run, the rest are shed
    let granted = admission === undefined ? Infinity : admission.acquire(checkedAll.filter(isCall).length)
    const parts: string[] = []
    let bytes = 2
    let overflow = false
    try {
      for (const checked of checkedAll) {
        const started = performance.now()
        const method = isCall(checked) ? known(checked) : null
        let text: string | undefined
        let code: number | null
        if (!isCall(checked)) {
          text = serialise(checked)
          code = codeOf(checked)
        } else if (overflow) {
          // like geth: once the batch is too large, the remaining calls are answered, not run
          if (!checked.notification) text = tooLarge(checked.id)
          code = JsonRpcCode.ResponseTooLarge
        } else if (granted <= 0) {
          const res = shedError(checked.id)
          code = codeOf(res)
          if (!checked.notification) text = serialise(res)
        } else {
          let res: JsonRpcResponse
          try {
            res = await run(checked, ctx)
          } finally {
            granted--
            admission?.release(1)
          }
          code = codeOf(res)
          if (!checked.notification) ({ text, code } = serialiseCoded(res, checked.method))
        }
        if (text !== undefined) {
          const size = Buffer.byteLength(text) + 1
          if (!overflow && bytes + size > maxResponseBytes) {
            overflow = true
            text = tooLarge(isCall(checked) ? checked.id : null)
            code = JsonRpcCode.ResponseTooLarge
          }
          bytes += size
          parts.push(text)
        }
        record(method, started, code)
      }
    } finally {
      // slots granted to calls that never ran (the batch overflowed) go back
      if (admission !== undefined && Number.isFinite(granted) && granted > 0) admission.release(granted)
    }
    return parts.length === 0 ? undefined : `[${parts.join(',')}]`
  }

  return {
    async handleText(text, ctx) {
      let msg: unknown
      try {
        msg = JSON.parse(text)
      } catch {
        record(null, performance.now(), JsonRpcCode.ParseError)
        return parseErrorBody
      }
      try {
        return Array.isArray(msg) ? await batch(msg, ctx) : await single(msg, ctx)
      } catch (e) {
        // only a bug in this file gets here; answer rather than leave the client hanging
        return JSON.stringify(errorResponse(null, toJsonRpcError(e, logger)))
      }
    },
  }
}
