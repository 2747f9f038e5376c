/**
 * Configurable limits, CORS and the host allow-list, over real HTTP and WebSocket.
 */
import http from 'node:http'
import t from 'tap'
import { WebSocket } from 'ws'
import { rpcDefaults, tooManyFilters, tooManySubscriptions } from '../../../rpc/config.js'
import { defineMethod } from '../../../rpc/params.js'
import { startTestServer, testMethods, wsClient } from './fixtures/rpcServer.js'

const req = (method: string, params: unknown[] = [], id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params })

/** node:http, so that the Host header can be set (fetch forbids it). */
function raw(
  url: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(url + (opts.path ?? '/'), { method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }))
    })
    r.on('error', reject)
    r.end(opts.body)
  })
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  raw(url, { body, headers: { 'content-type': 'application/json', ...headers } })

/** Status of a WS upgrade: 101 when it opens, else the HTTP status of the refusal. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.terminate()
      resolve(101)
    })
    ws.on('unexpected-response', (_req, res) => {
      res.resume()
      resolve(res.statusCode!)
      ws.terminate()
    })
    ws.on('error', () => {})
  })
}

/** Test methods plus ones that read and enforce ctx.limits like the subscription/filter code will. */
function limitMethods() {
  const { methods, release } = testMethods()
  const subs = new Map<number, number>()
  let filters = 0
  for (const m of [
    defineMethod('test_limits', [], (_p, ctx) => ({ ...ctx.limits, ws: ctx.connection !== undefined })),
    defineMethod('test_subscribe', [], (_p, ctx) => {
      const c = ctx.connection
      if (!c) throw new Error('ws only')
      const n = subs.get(c.id) ?? 0
      if (n >= ctx.limits.maxSubscriptionsPerConnection) throw tooManySubscriptions(ctx.limits.maxSubscriptionsPerConnection)
      subs.set(c.id, n + 1)
      return '0x' + (n + 1).toString(16)
    }),
    defineMethod('test_newFilter', [], (_p, ctx) => {
      if (filters >= ctx.limits.maxFilters) throw tooManyFilters(ctx.limits.maxFilters)
      return '0x' + (++filters).toString(16)
    }),
  ]) {
    methods.set(m.name, m)
  }
  return { methods, release }
}

t.test('defaults are geth-like', async (t) => {
  t.same(rpcDefaults.maxBatch, 1000)
  t.same(rpcDefaults.maxBodyBytes, 5 * 1024 * 1024)
  t.same(rpcDefaults.maxResponseBytes, 25 * 1024 * 1024)
  t.same(rpcDefaults.maxSubscriptionsPerConnection, 128)
  t.same(rpcDefaults.maxFilters, 1000)
  t.same(rpcDefaults.cors, [])
  t.same(rpcDefaults.vhosts, ['localhost'])
  const { methods } = limitMethods()
  const s = await startTestServer(t, { methods })
  t.same((await s.call('test_limits')).result, {
    maxSubscriptionsPerConnection: 128,
    maxFilters: 1000,
    txSyncDefaultTimeoutMs: 2000,
    txSyncMaxTimeoutMs: 60_000,
    ws: false,
  })
})

t.test('batch limit: over it, one -32600 "batch too large" (HTTP and WS)', async (t) => {
  const s = await startTestServer(t, { maxBatch: 2 })
  const batch = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => JSON.parse(req('eth_chainId', [], i + 1))))
  t.equal((await s.post(batch(2))).json.length, 2, 'at the limit: served')
  t.same((await s.post(batch(3))).json, [{ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } }])
  const c = await wsClient(s.wsUrl)
  t.teardown(() => c.ws.terminate())
  c.ws.send(batch(3))
  t.same(await c.next(), [{ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } }])
})

t.test('body limit: HTTP 413 with a JSON-RPC error, WS close 1009', async (t) => {
  const s = await startTestServer(t, { maxBodyBytes: 2048 })
  const r = await s.post(req('test_echo', ['0x1', 'x'.repeat(3000)]))
  t.equal(r.status, 413)
  t.same(r.json, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request body too large (limit 2048 bytes)' } })
  t.equal((await s.post(req('test_echo', ['0x1', 'x'.repeat(1000)]))).status, 200, 'under the limit: served')
  const c = await wsClient(s.wsUrl)
  c.ws.send(req('test_echo', ['0x1', 'x'.repeat(3000)]))
  t.equal(await c.closed, 1009)
})

t.test('response limit: -32003 "response too large" for a single call and inside a batch', async (t) => {
  const s = await startTestServer(t, { maxResponseBytes: 1000 })
  t.same((await s.call('test_big', ['0x3e8'])).error, { code: -32003, message: 'response too large' })
  t.equal((await s.call('test_big', ['0x10'])).result, 'x'.repeat(16))
  const b = await s.post(
    JSON.stringify([JSON.parse(req('test_big', ['0x190'], 1)), JSON.parse(req('test_big', ['0x258'], 2)), JSON.parse(req('eth_chainId', [], 3))]),
  )
  t.equal(b.json[0].result.length, 400)
  t.same(
    b.json.slice(1).map((x: any) => x.error),
    [
      { code: -32003, message: 'response too large' },
      { code: -32003, message: 'response too large' },
    ],
  )
})

t.test('WS subscriptions per connection: ctx.limits carries the limit; past it -32005', async (t) => {
  const { methods } = limitMethods()
  const s = await startTestServer(t, { methods, maxSubscriptionsPerConnection: 2, maxFilters: 3 })
  const a = await wsClient(s.wsUrl)
  const b = await wsClient(s.wsUrl)
  t.teardown(() => {
    a.ws.terminate()
    b.ws.terminate()
  })
  a.ws.send(req('test_limits'))
  t.same((await a.next()).result, { maxSubscriptionsPerConnection: 2, maxFilters: 3, txSyncDefaultTimeoutMs: 2000, txSyncMaxTimeoutMs: 60_000, ws: true })
  for (const id of [1, 2]) {
    a.ws.send(req('test_subscribe', [], id))
    t.ok((await a.next()).result, `subscription ${id}`)
  }
  a.ws.send(req('test_subscribe', [], 3))
  t.same((await a.next()).error, { code: -32005, message: 'too many subscriptions on this connection (limit 2)' })
  b.ws.send(req('test_subscribe', [], 1))
  t.equal((await b.next()).result, '0x1', 'the limit is per connection')
})

t.test('filters per node: ctx.limits.maxFilters; past it -32005', async (t) => {
  const { methods } = limitMethods()
  const s = await startTestServer(t, { methods, maxFilters: 2 })
  t.equal((await s.call('test_newFilter')).result, '0x1')
  t.equal((await s.call('test_newFilter')).result, '0x2')
  t.same((await s.call('test_newFilter')).error, { code: -32005, message: 'too many filters installed (limit 2)' })
})

t.test('CORS, geth default (no origins): no CORS header; WS only from localhost pages or non-browsers', async (t) => {
  const s = await startTestServer(t, { cors: [] })
  const r = await post(s.url, req('eth_chainId'), { origin: 'http://app.example' })
  t.equal(r.status, 200, 'answered (browsers will not let the page read it)')
  t.equal(r.headers['access-control-allow-origin'], undefined)
  const pre = await raw(s.url, { method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' } })
  t.equal(pre.headers['access-control-allow-origin'], undefined, 'preflight grants nothing')
  t.equal(await upgradeStatus(s.wsUrl, {}), 101, 'no Origin: not a browser')
  t.equal(await upgradeStatus(s.wsUrl, { origin: 'http://localhost:3000' }), 101)
  t.equal(await upgradeStatus(s.wsUrl, { origin: 'http://127.0.0.1' }), 101)
  t.equal(await upgradeStatus(s.wsUrl, { origin: 'http://evil.example' }), 403)
  t.equal(await upgradeStatus(s.wsUrl, { origin: 'http://localhost.evil.example' }), 403)
})

t.test('CORS with a list: only listed origins (case-insensitive), echoed with Vary', async (t) => {
  const s = await startTestServer(t, { cors: ['http://a.example', 'HTTPS://B.example:8443'] })
  const a = await post(s.url, req('eth_chainId'), { origin: 'http://a.example' })
  t.equal(a.headers['access-control-allow-origin'], 'http://a.example')
  t.equal(a.headers.vary, 'Origin')
  const b = await post(s.url, req('eth_chainId'), { origin: 'https://b.example:8443' })
  t.equal(b.headers['access-control-allow-origin'], 'https://b.example:8443')
  const c = await post(s.url, req('eth_chainId'), { origin: 'http://c.example' })
  t.equal(c.headers['access-control-allow-origin'], undefined)
  t.equal(await upgradeStatus(s.wsUrl, { origin: 'http://a.example' }), 101)
  t.equal(await upgradeStatus(s.wsUrl, { origin: 'http://localhost:3000' }), 403, 'a list replaces the localhost default')
  const star = await startTestServer(t, { cors: ['*'] })
  t.equal((await post(star.url, req('eth_chainId'), { origin: 'http://any.example' })).headers['access-control-allow-origin'], '*')
})

t.test('vhosts, geth default ["localhost"]: localhost and IPs on any port; others 403', async (t) => {
  const s = await startTestServer(t, { vhosts: [...rpcDefaults.vhosts] })
  for (const host of ['localhost', 'localhost:8545', 'LOCALHOST:1', `127.0.0.1:${s.port}`, '127.0.0.1', '10.1.2.3:80', '[::1]:8545', '[::1]']) {
    const r = await post(s.url, req('eth_chainId'), { host })
    t.equal(r.status, 200, host)
    t.equal(JSON.parse(r.text).result, '0x539', host)
  }
  for (const host of ['evil.example', 'evil.example:8545', 'localhost.evil.example', 'mynode']) {
    const r = await post(s.url, req('eth_chainId'), { host })
    t.equal(r.status, 403, host)
    t.equal(r.text, 'invalid host specified\n', host)
  }
  t.equal((await raw(s.url, { method: 'GET', path: '/metrics', headers: { host: 'evil.example' } })).status, 403, '/metrics too')
  t.equal(await upgradeStatus(s.wsUrl, { host: 'evil.example' }), 403, 'WS upgrade too')
  t.equal(await upgradeStatus(s.wsUrl, { host: 'localhost:8545' }), 101)
  t.equal((await s.call('eth_chainId')).result, '0x539', 'still serving')
})

t.test('vhosts: a named list and "*"', async (t) => {
  const named = await startTestServer(t, { vhosts: ['My.Node', 'rpc.example'] })
  t.equal((await post(named.url, req('eth_chainId'), { host: 'my.node:8545' })).status, 200)
  t.equal((await post(named.url, req('eth_chainId'), { host: 'rpc.example' })).status, 200)
  t.equal((await post(named.url, req('eth_chainId'), { host: 'localhost' })).status, 403, 'localhost only when listed')
  t.equal((await post(named.url, req('eth_chainId'), { host: '127.0.0.1:9' })).status, 200, 'IPs always (as geth)')
  const any = await startTestServer(t, { vhosts: ['*'] })
  t.equal((await post(any.url, req('eth_chainId'), { host: 'whatever.example' })).status, 200)
})
