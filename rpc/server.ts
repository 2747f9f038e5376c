/**
 * The JSON-RPC transport: HTTP (fastify) and WebSocket (ws) on one port. Both hand raw text
 * to the dispatcher in `jsonrpc.ts`; this file owns limits, CORS, keepalive and shutdown.
 *
 * HTTP follows geth: `POST /` with a JSON content type (others → 415), JSON-RPC errors ride
 * on HTTP 200, a body over the limit → 413, notifications only → 200 with an empty body, a
 * Host header outside the allow-list (vhosts) → 403 "invalid host specified". `GET /metrics`
 * serves Prometheus text (RPC calls, errors and latency per method, WS connections, and the
 * node gauges read through `nodeStats` at scrape time). Options and defaults: `config.ts`.
 *
 * Admission control (`admission.ts`) sits in front of every call, HTTP and WS alike: past the
 * in-flight bound, or while the event loop lags, calls are answered -32005 at once. WS frames may
 * be text or binary (web3.py sends binary); each answer goes out in the type of the frame that
 * asked, and subscription notifications in the type of the connection's latest request.
 */
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { createAdmission, type ShedReason } from './admission.js'
import { corsAllowOrigin, hostAllowed, rpcDefaults, wsOriginAllowed, type RpcLimits, type RpcServerOptions } from './config.js'
import { JsonRpcCode } from './errors.js'
import { createDispatcher, type CallRecord } from './jsonrpc.js'
import { PROMETHEUS_CONTENT_TYPE, Registry, registerP2pConnectionMetrics, registerP2pTrafficMetrics, registerSlotMetrics } from './metrics.js'
import type { RpcConnection, RpcContext } from './types.js'

export type { RpcServerOptions } from './config.js'

export const defaultMaxBodyBytes = rpcDefaults.maxBodyBytes

export interface RpcServer {
  /** http://host:port */
  url: string
  /** ws://host:port */
  wsUrl: string
  port: number
  /** Closes every WS client and the HTTP server; resolves when all sockets are gone. */
  close(): Promise<void>
}

/** geth's accepted request content types */
const jsonContentTypes = new Set(['application/json', 'application/json-rpc', 'application/jsonrequest'])

const hint = 'NetFlowCoin JSON-RPC endpoint: POST JSON-RPC 2.0 requests here with Content-Type: application/json, ' + 'or open a WebSocket on this URL.\n'

const errorBody = (code: number, message: string) => JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } })

/** A client sending more than this past the body limit is cut off instead of drained. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024

/** A client that stops sending for this long gets its answer anyway (it may be waiting for it). */
const DRAIN_IDLE_MS = 300

function drainRequest(req: IncomingMessage, cap: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    let seen = 0
    let idle = setTimeout(() => done(), DRAIN_IDLE_MS)
    const done = () => {
      clearTimeout(idle)
      req.off('data', onData)
      resolve()
    }
    const onData = (chunk: Buffer) => {
      seen += chunk.length
      clearTimeout(idle)
      idle = setTimeout(() => done(), DRAIN_IDLE_MS)
      if (seen > cap) {
        req.destroy()
        done()
      }
    }
    req.on('data', onData)
    req.once('end', done)
    req.once('close', done)
    req.once('error', done)
    req.resume()
  })
}

/** The metrics every RPC server exports; `nodeStats` feeds the node gauges at scrape time. */
function createRpcMetrics() {
  const registry = new Registry({ defaultMetrics: true })
  return {
    registry,
    requests: registry.counter('nfc_rpc_requests_total', 'JSON-RPC requests by method (unregistered methods and invalid requests: "unknown")', ['method']),
    errors: registry.counter('nfc_rpc_errors_total', 'JSON-RPC error answers by method and error code', ['method', 'code']),
    duration: registry.histogram('nfc_rpc_request_duration_seconds', 'time spent running a JSON-RPC request, by method', ['method']),
    rejected: registry.counter(
      'nfc_rpc_http_rejected_total',
      'HTTP requests and WS upgrades refused before JSON-RPC (body too large, invalid host, origin, content type)',
      ['reason'],
    ),
    wsConnections: registry.gauge('nfc_ws_connections', 'open WebSocket connections'),
    shed: registry.counter(
      'nfc_rpc_shed_total',
      'JSON-RPC calls answered -32005 without running: too many in flight ("inflight") or the event loop lagging ("lag")',
      ['reason'],
    ),
    inflight: registry.gauge('nfc_rpc_inflight', 'JSON-RPC calls running or waiting (HTTP and WS; each call of a batch counts)'),
    loopLag: registry.gauge('nfc_rpc_event_loop_lag_seconds', 'how late the admission probe timer fired last (event-loop lag)'),
    wsDropped: registry.counter('nfc_ws_dropped_total', 'WebSocket connections cut by the server ("slow_reader": its unread output passed the bound)', [
      'reason',
    ]),
    head: registry.gauge('nfc_head_block', 'head block number'),
    finalized: registry.gauge('nfc_finalized_block', 'last final block number (DPoS: confirmed by ⌊2n/3⌋+1 witnesses)'),
    finalityLag: registry.gauge('nfc_finality_lag_blocks', 'head block number minus the last final block number'),
    witnessProduced: registry.gauge('nfc_witness_produced_blocks', 'blocks produced by each seated witness (on chain)', ['witness']),
    witnessMissed: registry.gauge('nfc_witness_missed_slots', 'slots missed by each seated witness (on chain)', ['witness']),
    witnessTrust: registry.gauge('nfc_witness_trust', 'trust value of each seated witness', ['witness']),
    pending: registry.gauge('nfc_txpool_pending', 'executable transactions in the pool'),
    queued: registry.gauge('nfc_txpool_queued', 'transactions in the pool waiting behind a nonce gap'),
    peers: registry.gauge('nfc_peers', 'connected peers'),
  }
}

/** fastify's schema compilers, for a server whose routes have no schemas (it never calls them) */
function noSchemaCompiler(): () => never {
  return () => {
    throw new Error('the JSON-RPC server declares no route schemas')
  }
}

export async function startRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const logger = opts.logger
  const maxBodyBytes = opts.maxBodyBytes ?? rpcDefaults.maxBodyBytes
  const origins = (opts.cors ?? rpcDefaults.cors).map((o) => o.trim().toLowerCase()).filter((o) => o !== '')
  const vhosts = new Set((opts.vhosts ?? ['*']).map((h) => h.trim().toLowerCase()).filter((h) => h !== ''))
  // the vhost rule's verdict per Host header: a node's clients send a handful of them, and the
  // rule's regular expressions cost ~2.5 µs a request (CPU profile of `npm run bench -- load`);
  // bounded, so random Host headers cannot grow it
  const hostVerdicts = new Map<string, boolean>()
  const allowedHost = (host: string | undefined): boolean => {
    if (host === undefined) return hostAllowed(vhosts, host)
    let verdict = hostVerdicts.get(host)
    if (verdict === undefined) {
      verdict = hostAllowed(vhosts, host)
      if (hostVerdicts.size >= 256) hostVerdicts.clear()
      hostVerdicts.set(host, verdict)
    }
    return verdict
  }
  const limits: RpcLimits = {
    maxSubscriptionsPerConnection: opts.maxSubscriptionsPerConnection ?? rpcDefaults.maxSubscriptionsPerConnection,
    maxFilters: opts.maxFilters ?? rpcDefaults.maxFilters,
    txSyncDefaultTimeoutMs: opts.txSyncDefaultTimeoutMs ?? rpcDefaults.txSyncDefaultTimeoutMs,
    txSyncMaxTimeoutMs: opts.txSyncMaxTimeoutMs ?? rpcDefaults.txSyncMaxTimeoutMs,
  }
  const httpContext: RpcContext = { ...opts.context, limits }

  const maxResponseBytes = opts.maxResponseBytes ?? rpcDefaults.maxResponseBytes
  // a WS client that does not read its messages is dropped rather than buffered without end
  const maxWsBufferedBytes = opts.wsMaxBufferedBytes ?? rpcDefaults.wsMaxBufferedBytes

  const metrics = createRpcMetrics()
  const admission = createAdmission({
    maxInflight: opts.maxInflight ?? rpcDefaults.maxInflight,
    maxLagMs: opts.maxLagMs ?? rpcDefaults.maxLagMs,
    onShed: (reason: ShedReason) => metrics.shed.inc({ reason }),
  })
  if (opts.nodeStats) registerSlotMetrics(metrics.registry, () => opts.nodeStats?.().producer)
  if (opts.buildInfo) {
    const b = opts.buildInfo
    metrics.registry
      .gauge('nfc_build_info', 'this build: version, git commit, sha256 of the WASM core, Node.js version (value 1)', [
        'version',
        'commit',
        'wasm_core',
        'node',
      ])
      .set({ version: b.version, commit: b.commit ?? 'unknown', wasm_core: b.wasmCore ?? 'none', node: b.node }, 1)
  }
  if (opts.nodeStats) registerP2pConnectionMetrics(metrics.registry, () => opts.nodeStats?.().p2pConnections)
  if (opts.nodeStats) registerP2pTrafficMetrics(metrics.registry, () => opts.nodeStats?.().p2pTraffic)
  const onCall = (r: CallRecord) => {
    const method = r.method ?? 'unknown'
    metrics.requests.inc({ method })
    metrics.duration.observe({ method }, r.seconds)
    if (r.errorCode !== null) metrics.errors.inc({ method, code: String(r.errorCode) })
  }

  const dispatcher = createDispatcher({
    methods: opts.methods,
    logger,
    maxBatch: opts.maxBatch ?? rpcDefaults.maxBatch,
    maxResponseBytes,
    onCall,
    admission,
  })

  function renderMetrics(): Promise<string> {
    metrics.wsConnections.set(undefined, clients.size)
    metrics.inflight.set(undefined, admission.inflight)
    metrics.loopLag.set(undefined, admission.lagMs / 1000)
    if (opts.nodeStats) {
      try {
        const s = opts.nodeStats()
        metrics.head.set(undefined, s.head)
        metrics.finalized.set(undefined, s.finalized)
        metrics.finalityLag.set(undefined, BigInt(s.head) - BigInt(s.finalized))
        for (const w of s.witnesses ?? []) {
          metrics.witnessProduced.set({ witness: w.address }, w.produced)
          metrics.witnessMissed.set({ witness: w.address }, w.missed)
          metrics.witnessTrust.set({ witness: w.address }, w.trust)
        }
        metrics.pending.set(undefined, s.pending)
        metrics.queued.set(undefined, s.queued)
        metrics.peers.set(undefined, s.peers)
      } catch (e) {
        logger.error('metrics: reading the node failed', { error: e instanceof Error ? e.message : String(e) })
      }
    }
    return metrics.registry.render()
  }

  const app = Fastify({
    logger: false,
    bodyLimit: maxBodyBytes,
    // close() must not wait for idle keep-alive or stalled clients
    forceCloseConnections: true,
    requestTimeout: 30_000,
    // no route has a schema, so fastify's default compilers (ajv, fast-json-stringify) would never
    // run; giving our own keeps them from being loaded at all (about 0.1 s of every node start)
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
  })

  // we parse the JSON ourselves so that garbage becomes a JSON-RPC parse error
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => {
    done(null, body)
  })

  // a callback hook, not an async one: no promise per request on the hot path
  app.addHook('onRequest', (req, reply, done) => {
    // geth's vhost check (a defence against DNS rebinding), before anything else
    if (!allowedHost(req.headers.host)) {
      metrics.rejected.inc({ reason: 'invalid_host' })
      reply.code(403).type('text/plain').send('invalid host specified\n')
      return
    }
    const allow = corsAllowOrigin(origins, req.headers.origin)
    if (allow !== undefined) {
      reply.header('access-control-allow-origin', allow)
      if (allow !== '*') reply.header('vary', 'Origin')
    }
    if (req.method === 'POST') {
      const header = req.headers['content-type'] ?? ''
      const type = jsonContentTypes.has(header) ? header : header.split(';')[0]!.trim().toLowerCase()
      if (!jsonContentTypes.has(type)) {
        metrics.rejected.inc({ reason: 'content_type' })
        reply.code(415).type('text/plain').send('invalid content type, only application/json is supported\n')
        return
      }
    }
    done()
  })

  app.setErrorHandler(async (err: { statusCode?: number; message?: string }, req, reply) => {
    const status = err.statusCode ?? 500
    if (status === 413) {
      metrics.rejected.inc({ reason: 'body_too_large' })
      // Answer only once the client has sent its body (read and discarded, up to a cap): a
      // client still writing when the socket closes sees a reset instead of this error.
      await drainRequest(req.raw, DRAIN_CAP_BYTES)
      return reply
        .code(413)
        .type('application/json')
        .send(errorBody(JsonRpcCode.InvalidRequest, `request body too large (limit ${maxBodyBytes} bytes)`))
    }
    if (status < 500) {
      return reply.code(status).type('application/json').send(errorBody(JsonRpcCode.InvalidRequest, 'bad request'))
    }
    logger.error('http error', { error: err.message })
    return reply.code(500).type('application/json').send(errorBody(JsonRpcCode.Internal, 'internal error'))
  })

  app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain').send('not found\n'))

  app.options('*', async (req, reply) => {
    reply
      .code(204)
      .header('access-control-allow-methods', 'POST, GET, OPTIONS')
      .header('access-control-allow-headers', req.headers['access-control-request-headers'] ?? 'content-type')
      .header('access-control-max-age', '600')
    return reply.send()
  })

  app.get('/', async (_req, reply) => reply.type('text/plain').send(hint))
  app.get('/health', async (_req, reply) => {
    if (opts.health === undefined) return reply.send({ ok: true })
    const report = opts.health()
    return reply.code(report.ok ? 200 : 503).send(report)
  })
  app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await renderMetrics()))

  app.post('/', async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as Buffer | undefined
    const out = await dispatcher.handleText(body ? body.toString('utf8') : '', httpContext)
    return reply
      .code(200)
      .type('application/json')
      .send(out ?? '')
  })

  // ---------------------------------------------------------------- WebSocket

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes })
  const clients = new Map<WebSocket, { alive: boolean }>()
  let nextConnectionId = 1
  let closing = false

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    if (closing) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    if (!allowedHost(req.headers.host)) {
      metrics.rejected.inc({ reason: 'invalid_host' })
      const text = 'invalid host specified\n'
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`)
      return
    }
    if (!wsOriginAllowed(origins, req.headers.origin)) {
      metrics.rejected.inc({ reason: 'origin' })
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws))
  })

  function onConnection(ws: WebSocket): void {
    const state = { alive: true }
    clients.set(ws, state)
    const closeCallbacks: Array<() => void> = []
    let closed = false
    // notifications go out in the frame type of the client's latest request (text until it sends one)
    let speaksBinary = false
    const send = (text: string, binary = speaksBinary) => {
      if (ws.readyState !== WebSocket.OPEN) return
      // an empty buffer always takes the message, so one answer up to maxResponseBytes still goes out
      if (ws.bufferedAmount > 0 && ws.bufferedAmount + text.length > maxWsBufferedBytes) {
        logger.warn('ws client not reading, dropped', { connection: connection.id, buffered: ws.bufferedAmount })
        metrics.wsDropped.inc({ reason: 'slow_reader' })
        ws.terminate()
        return
      }
      ws.send(binary ? Buffer.from(text, 'utf8') : text, { binary })
    }
    const connection: RpcConnection = {
      id: nextConnectionId++,
      send(message) {
        try {
          send(JSON.stringify(message))
        } catch (e) {
          logger.error('ws send failed', { connection: connection.id, error: e })
        }
      },
      onClose(cb) {
        if (closed) queueMicrotask(cb)
        else closeCallbacks.push(cb)
      },
    }
    const ctx: RpcContext = { ...opts.context, limits, connection }

    ws.on('pong', () => {
      state.alive = true
    })
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      // a binary frame carries the same UTF-8 JSON as a text frame; answer in the type asked in
      speaksBinary = isBinary
      const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw).toString('utf8')
      void dispatcher.handleText(text, ctx).then((out) => {
        if (out !== undefined) send(out, isBinary)
      })
    })
    // protocol errors (oversized frame, bad opcode): ws closes the socket itself
    ws.on('error', (e) => logger.debug('ws error', { connection: connection.id, error: e }))
    ws.on('close', () => {
      closed = true
      clients.delete(ws)
      for (const cb of closeCallbacks.splice(0)) {
        try {
          cb()
        } catch (e) {
          logger.error('ws onClose callback failed', { connection: connection.id, error: e })
        }
      }
    })
  }

  const pinger = setInterval(() => {
    for (const [ws, state] of clients) {
      if (!state.alive) {
        ws.terminate()
        continue
      }
      state.alive = false
      ws.ping()
    }
  }, opts.wsPingIntervalMs ?? rpcDefaults.wsPingIntervalMs)
  pinger.unref()

  // ---------------------------------------------------------------- start / stop

  await app.listen({ host: opts.host, port: opts.port })
  const port = (app.server.address() as AddressInfo).port
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  const url = `http://${host}:${port}`
  const wsUrl = `ws://${host}:${port}`
  logger.debug('rpc listening', { url, ws: wsUrl })

  let closed: Promise<void> | undefined
  async function close(): Promise<void> {
    closing = true
    clearInterval(pinger)
    admission.close()
    const gone = [...clients.keys()].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve()
          ws.once('close', () => resolve())
          ws.close(1001, 'server shutting down')
          // a client that does not answer the close frame is cut off
          setTimeout(() => ws.terminate(), 500).unref()
        }),
    )
    await Promise.all(gone)
    await new Promise<void>((resolve) => wss.close(() => resolve()))
    await app.close()
    logger.debug('rpc closed', { url })
  }

  return {
    url,
    wsUrl,
    port,
    close: () => (closed ??= close()),
  }
}
