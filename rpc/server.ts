/**
 * The JSON-RPC transport: HTTP (fastify) and WebSocket (ws) on one port. Both hand raw text
 * to the dispatcher in `jsonrpc.ts`; this file owns limits, CORS, keepalive and shutdown.
 *
 * HTTP follows geth: `POST /` with a JSON content type (others → 415), JSON-RPC errors ride
 * on HTTP 200, a body over the limit → 413, notifications only → 200 with an empty body.
 */
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import type { Logger } from '../src/util/logger.js'
import { JsonRpcCode } from './errors.js'
import { createDispatcher, defaultMaxBatch, defaultMaxResponseBytes, parseErrorBody } from './jsonrpc.js'
import type { RpcConnection, RpcContext, RpcMethod } from './types.js'

export const defaultMaxBodyBytes = 5 * 1024 * 1024

export interface RpcServerOptions {
  host: string
  /** 0 = ephemeral */
  port: number
  methods: Map<string, RpcMethod<any, any>>
  context: Omit<RpcContext, 'connection'>
  logger: Logger
  /** largest HTTP body or WS message (default 5 MiB, like geth) */
  maxBodyBytes?: number
  /** most requests in a batch (default 1000) */
  maxBatch?: number
  /** largest response or batch of responses (default 25 MiB) */
  maxResponseBytes?: number
  /** allowed browser origins for HTTP (CORS) and WS (Origin header); default ['*'] */
  cors?: string[]
  /** WS ping interval; a client that missed the previous pong is dropped (default 30 s) */
  wsPingIntervalMs?: number
}

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

const hint =
  'NetFlowCoin JSON-RPC endpoint: POST JSON-RPC 2.0 requests here with Content-Type: application/json, ' +
  'or open a WebSocket on this URL.\n'

const errorBody = (code: number, message: string) =>
  JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } })

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

export async function startRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const logger = opts.logger
  const maxBodyBytes = opts.maxBodyBytes ?? defaultMaxBodyBytes
  const origins = opts.cors ?? ['*']
  const anyOrigin = origins.includes('*')
  const originAllowed = (origin: string | undefined) => origin === undefined || anyOrigin || origins.includes(origin)

  const maxResponseBytes = opts.maxResponseBytes ?? defaultMaxResponseBytes
  // a WS client that does not read its messages is dropped rather than buffered without end
  const maxWsBufferedBytes = 4 * maxResponseBytes

  const dispatcher = createDispatcher({
    methods: opts.methods,
    logger,
    maxBatch: opts.maxBatch ?? defaultMaxBatch,
    maxResponseBytes,
  })

  const app = Fastify({
    logger: false,
    bodyLimit: maxBodyBytes,
    // close() must not wait for idle keep-alive or stalled clients
    forceCloseConnections: true,
    requestTimeout: 30_000,
  })

  // we parse the JSON ourselves so that garbage becomes a JSON-RPC parse error
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => {
    done(null, body)
  })

  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin
    if (origin !== undefined && originAllowed(origin)) {
      reply.header('access-control-allow-origin', anyOrigin ? '*' : origin)
      if (!anyOrigin) reply.header('vary', 'Origin')
    }
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      if (!jsonContentTypes.has(type)) {
        return reply
          .code(415)
          .type('text/plain')
          .send('invalid content type, only application/json is supported\n')
      }
    }
  })

  app.setErrorHandler(async (err: { statusCode?: number; message?: string }, req, reply) => {
    const status = err.statusCode ?? 500
    if (status === 413) {
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
  app.get('/health', async (_req, reply) => reply.send({ ok: true }))

  app.post('/', async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as Buffer | undefined
    const out = await dispatcher.handleText(body ? body.toString('utf8') : '', opts.context)
    return reply.code(200).type('application/json').send(out ?? '')
  })

  // ---------------------------------------------------------------- WebSocket

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes })
  const clients = new Map<WebSocket, { alive: boolean }>()
  let nextConnectionId = 1
  let closing = false

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    if (closing || !originAllowed(req.headers.origin)) {
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
    const send = (text: string) => {
      if (ws.readyState !== WebSocket.OPEN) return
      if (ws.bufferedAmount > maxWsBufferedBytes) {
        logger.warn('ws client not reading, dropped', { connection: connection.id, buffered: ws.bufferedAmount })
        ws.terminate()
        return
      }
      ws.send(text)
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
    const ctx: RpcContext = { ...opts.context, connection }

    ws.on('pong', () => {
      state.alive = true
    })
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (isBinary) return send(parseErrorBody)
      const text = Buffer.isBuffer(raw)
        ? raw.toString('utf8')
        : Array.isArray(raw)
          ? Buffer.concat(raw).toString('utf8')
          : Buffer.from(raw).toString('utf8')
      void dispatcher.handleText(text, ctx).then((out) => {
        if (out !== undefined) send(out)
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
  }, opts.wsPingIntervalMs ?? 30_000)
  pinger.unref()

  // ---------------------------------------------------------------- start / stop

  await app.listen({ host: opts.host, port: opts.port })
  const port = (app.server.address() as AddressInfo).port
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  const url = `http://${host}:${port}`
  const wsUrl = `ws://${host}:${port}`
  logger.info('rpc listening', { url, ws: wsUrl })

  let closed: Promise<void> | undefined
  async function close(): Promise<void> {
    closing = true
    clearInterval(pinger)
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
    logger.info('rpc closed', { url })
  }

  return {
    url,
    wsUrl,
    port,
    close: () => (closed ??= close()),
  }
}
