/** Shared fixtures for the RPC tests: a real server on port 0 with a few test methods. */
import type { Test } from 'tap'
import { WebSocket } from 'ws'
import { NfcError } from '../../../src/util/errors.js'
import { silentLogger, type Logger } from '../../../src/util/logger.js'
import { basicMethods, buildMethods } from '../../../rpc/methods.js'
import { defineMethod, optional, quantity, required, blockTag } from '../../../rpc/params.js'
import { startRpcServer, type RpcServer, type RpcServerOptions } from '../../../rpc/server.js'
import type { RpcConnection } from '../../../rpc/types.js'

export const node = { chainId: 1337n, clientVersion: 'nfc/v0.1.0/test' }

/** A logger that remembers error lines, to check "logged once". */
export function recordingLogger(): Logger & { errors: Array<{ msg: string; fields?: Record<string, unknown> }> } {
  const errors: Array<{ msg: string; fields?: Record<string, unknown> }> = []
  const logger = {
    errors,
    debug() {},
    info() {},
    warn() {},
    error(msg: string, fields?: Record<string, unknown>) {
      errors.push({ msg, fields })
    },
    child() {
      return logger
    },
  }
  return logger
}

export const revertData = '0x08c379a0' + '00'.repeat(31) + '20' + '00'.repeat(31) + '04' + '6e6f7065' + '00'.repeat(28)

/** Connections seen by test_connection, and which of them closed. */
export const seenConnections: RpcConnection[] = []
export const closedConnections = new Set<number>()

export function testMethods() {
  let release: (() => void) | undefined
  const gate = new Promise<void>((r) => (release = r))
  const methods = [
    ...basicMethods,
    defineMethod('test_echo', [required(quantity), optional(blockTag)], ([n, block]) => ({
      n: '0x' + n.toString(16),
      block: block === undefined ? null : 'tag' in block ? block.tag : 'number' in block ? String(block.number) : 'hash',
    })),
    defineMethod('test_undefined', [], () => undefined),
    defineMethod('test_throw', [], () => {
      throw new Error('secret internal detail')
    }),
    defineMethod('test_throwAsync', [], async () => {
      throw new TypeError('async secret')
    }),
    defineMethod('test_revert', [], () => {
      throw new NfcError('EXEC_REVERTED', 'execution reverted: nope', { data: revertData })
    }),
    defineMethod('test_nonce', [], () => {
      throw new NfcError('TX_NONCE_TOO_LOW', 'nonce too low: address 0xab, tx: 1 state: 2')
    }),
    defineMethod('test_bigint', [], () => 1n),
    defineMethod('test_big', [required(quantity)], ([n]) => 'x'.repeat(Number(n))),
    defineMethod('test_wait', [], () => gate),
    defineMethod('test_connection', [], (_p, ctx) => {
      const c = ctx.connection
      if (!c) return null
      seenConnections.push(c)
      c.onClose(() => closedConnections.add(c.id))
      return c.id
    }),
  ]
  return { methods: buildMethods(methods), release: () => release?.() }
}

export interface TestServer extends RpcServer {
  post(body: string | Uint8Array, headers?: Record<string, string>): Promise<{ status: number; text: string; json: any; headers: Headers }>
  call(method: string, params?: unknown[]): Promise<any>
  release(): void
}

export async function startTestServer(t: Test, opts: Partial<RpcServerOptions> = {}): Promise<TestServer> {
  const { methods, release } = testMethods()
  const logger = opts.logger ?? silentLogger
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    methods,
    context: { node, logger },
    logger,
    ...opts,
  })
  t.teardown(async () => {
    release()
    await server.close()
  })
  const post: TestServer['post'] = async (body, headers = { 'content-type': 'application/json' }) => {
    const res = await fetch(server.url, { method: 'POST', body, headers })
    const text = await res.text()
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: res.status, text, json, headers: res.headers }
  }
  const call = async (method: string, params: unknown[] = []) =>
    (await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))).json
  return { ...server, post, call, release }
}

/** A ws client whose messages can be awaited one by one. */
export async function wsClient(url: string, headers?: Record<string, string>) {
  const ws = new WebSocket(url, { headers })
  const queue: string[] = []
  const waiters: Array<(m: string) => void> = []
  ws.on('message', (data) => {
    const text = data.toString()
    const w = waiters.shift()
    if (w) w(text)
    else queue.push(text)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const next = (): Promise<any> =>
    new Promise((resolve) => {
      const m = queue.shift()
      if (m !== undefined) resolve(JSON.parse(m))
      else waiters.push((x) => resolve(JSON.parse(x)))
    })
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  return { ws, next, closed, queued: () => queue.length }
}
