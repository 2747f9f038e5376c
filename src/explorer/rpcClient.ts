/**
 * The explorer's only window on the chain: JSON-RPC over HTTP for requests, and a WebSocket
 * `eth_subscribe("newHeads")` for live heads (polling `eth_blockNumber` when the socket cannot be
 * had). A watcher loop owns the connection state, so the screen says "reconnecting" instead of
 * failing when the node goes away, and backs off exponentially (capped) until it is back.
 */
import WebSocket from 'ws'

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting'

/** A JSON-RPC error answer from the node (as opposed to a transport failure). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

/** The node could not be reached (refused, reset, timed out, not JSON). */
export class TransportError extends Error {}

export const METHOD_NOT_FOUND = -32601
export const isMethodNotFound = (e: unknown): boolean => e instanceof RpcError && e.code === METHOD_NOT_FOUND

export interface RpcClientOptions {
  /** per-request timeout (ms) */
  timeoutMs?: number
  /** head polling interval when WebSocket is not available (ms) */
  pollMs?: number
  /** first back-off delay and the cap (ms) */
  backoffMs?: number
  maxBackoffMs?: number
  /** false: never try WebSocket (poll only) */
  ws?: boolean
}

export interface RpcClient {
  readonly url: string
  call<T = any>(method: string, params?: unknown[]): Promise<T>
  /** one HTTP request for many calls; each entry is the result or the RpcError of that call */
  batch(calls: { method: string; params?: unknown[] }[]): Promise<unknown[]>
  state(): ConnectionState
  /** live head: `cb` gets each new head number (bigint); returns an unsubscribe */
  onHead(cb: (head: bigint) => void): () => void
  /**
   * the block headers newHeads pushes (WebSocket only), each before its number goes to the onHead
   * listeners; returns an unsubscribe
   */
  onHeader(cb: (header: Record<string, unknown>) => void): () => void
  onState(cb: (s: ConnectionState) => void): () => void
  /** `cb` gets the number of HTTP requests in flight whenever it changes; returns an unsubscribe */
  onActivity(cb: (inFlight: number) => void): () => void
  /** how heads arrive now: 'ws' (subscription) or 'poll' */
  mode(): 'ws' | 'poll'
  close(): void
}

/** http://host:port → ws://host:port (the node serves both on one port). */
export function wsUrlOf(httpUrl: string): string {
  const u = new URL(httpUrl)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  return u.toString()
}

export function createRpcClient(url: string, opts: RpcClientOptions = {}): RpcClient {
  const timeoutMs = opts.timeoutMs ?? 5000
  const pollMs = opts.pollMs ?? 1000
  const backoffMs = opts.backoffMs ?? 250
  const maxBackoffMs = opts.maxBackoffMs ?? 4000
  const headListeners = new Set<(h: bigint) => void>()
  const headerListeners = new Set<(h: Record<string, unknown>) => void>()
  const stateListeners = new Set<(s: ConnectionState) => void>()
  const activityListeners = new Set<(n: number) => void>()
  let inFlight = 0
  const setInFlight = (n: number) => {
    inFlight = n
    for (const cb of activityListeners) cb(n)
  }
  let state: ConnectionState = 'connecting'
  let mode: 'ws' | 'poll' = 'poll'
  let closed = false
  let lastHead: bigint | undefined
  let id = 0
  let socket: WebSocket | undefined
  // wakes the watcher early (a failed request means the node is gone now, not at the next poll)
  let wake: (() => void) | undefined

  const setState = (s: ConnectionState) => {
    if (s === state) return
    state = s
    for (const cb of stateListeners) cb(s)
  }
  const emitHead = (h: bigint) => {
    if (lastHead === h) return
    lastHead = h
    for (const cb of headListeners) cb(h)
  }
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })

  async function post(payload: unknown): Promise<any> {
    setInFlight(inFlight + 1)
    try {
      return await send(payload)
    } finally {
      setInFlight(inFlight - 1)
    }
  }

  async function send(payload: unknown): Promise<any> {
    let res: Response
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (e) {
      if (state === 'connected') {
        setState('reconnecting')
        socket?.terminate()
        wake?.()
      }
      throw new TransportError(`cannot reach ${url}: ${transportReason(e)}`)
    }
    try {
      return await res.json()
    } catch {
      throw new TransportError(`${url} answered HTTP ${res.status} without JSON`)
    }
  }

  const unwrap = (body: { result?: unknown; error?: { code: number; message: string; data?: unknown } } | undefined) =>
    body === undefined
      ? new RpcError(-32603, 'no answer in the batch')
      : body.error !== undefined
        ? new RpcError(body.error.code, body.error.message, body.error.data)
        : body.result

  async function call<T>(method: string, params: unknown[] = []): Promise<T> {
    const r = unwrap(await post({ jsonrpc: '2.0', id: ++id, method, params }))
    if (r instanceof RpcError) throw r
    return r as T
  }

  async function batch(calls: { method: string; params?: unknown[] }[]): Promise<unknown[]> {
    if (calls.length === 0) return []
    const first = id + 1
    const body = await post(calls.map((c) => ({ jsonrpc: '2.0', id: ++id, method: c.method, params: c.params ?? [] })))
    if (!Array.isArray(body)) {
      // a whole-batch error (e.g. over the batch limit) applies to every call
      const e = unwrap(body)
      return calls.map(() => (e instanceof RpcError ? e : new RpcError(-32603, 'malformed batch answer')))
    }
    const byId = new Map<unknown, any>(body.map((b: { id?: unknown }) => [b.id, b]))
    return calls.map((_, i) => unwrap(byId.get(first + i)))
  }

  /** Opens the socket and subscribes; resolves when it closes, rejects if it never worked. */
  function followWs(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let subscribed = false
      const ws = new WebSocket(wsUrlOf(url), { handshakeTimeout: timeoutMs })
      socket = ws
      ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] })))
      ws.on('message', (raw) => {
        let msg: any
        try {
          msg = JSON.parse(raw.toString())
        } catch {
          return
        }
        if (msg.id === 1) {
          if (msg.error !== undefined) ws.close()
          else {
            subscribed = true
            mode = 'ws'
          }
        } else if (msg.method === 'eth_subscription' && typeof msg.params?.result?.number === 'string') {
          for (const cb of headerListeners) cb(msg.params.result as Record<string, unknown>)
          emitHead(BigInt(msg.params.result.number))
        }
      })
      ws.on('error', () => {}) // 'close' follows and decides
      ws.on('close', () => {
        socket = undefined
        mode = 'poll'
        if (subscribed) resolve()
        else reject(new Error('no subscription'))
      })
    })
  }

  async function watch(): Promise<void> {
    let delay = backoffMs
    let wsFailedAt = -Infinity
    while (!closed) {
      try {
        emitHead(BigInt(await call<string>('eth_blockNumber')))
      } catch (e) {
        if (closed) return
        if (!(e instanceof TransportError)) {
          // the node answers, just not this: it is up
          setState('connected')
          await sleep(pollMs)
          continue
        }
        setState('reconnecting')
        await sleep(delay)
        delay = Math.min(delay * 2, maxBackoffMs)
        continue
      }
      setState('connected')
      delay = backoffMs
      // retry the socket at most every 30 s after a failure; poll in between
      if (opts.ws !== false && Date.now() - wsFailedAt > 30_000) {
        try {
          await followWs()
          continue // the socket closed: check the node again at once
        } catch {
          wsFailedAt = Date.now()
          if (closed) return
        }
      }
      await sleep(pollMs)
    }
  }
  void watch()

  return {
    url,
    call,
    batch,
    state: () => state,
    mode: () => mode,
    onHead(cb) {
      headListeners.add(cb)
      if (lastHead !== undefined) cb(lastHead)
      return () => headListeners.delete(cb)
    },
    onHeader(cb) {
      headerListeners.add(cb)
      return () => headerListeners.delete(cb)
    },
    onActivity(cb) {
      activityListeners.add(cb)
      return () => activityListeners.delete(cb)
    },
    onState(cb) {
      stateListeners.add(cb)
      return () => stateListeners.delete(cb)
    },
    close() {
      closed = true
      socket?.terminate()
      wake?.()
    },
  }
}

function transportReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause
  if (cause?.code !== undefined) return cause.code
  if ((e as Error).name === 'TimeoutError') return 'timed out'
  return (e as Error).message ?? String(e)
}
