import t from 'tap'
import { WebSocket } from 'ws'
import { closedConnections, startTestServer, wsClient } from './fixtures/rpcServer.js'
import { waitFor } from '../../helpers/nodeProcess.js'

const req = (method: string, params: unknown[] = [], id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params })
const parseError = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }

t.test('requests, batches and notifications over WS', async (t) => {
  const s = await startTestServer(t)
  const c = await wsClient(s.wsUrl)
  t.teardown(() => c.ws.terminate())
  c.ws.send(req('eth_chainId'))
  t.same(await c.next(), { jsonrpc: '2.0', id: 1, result: '0x539' })
  c.ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_chainId' }))
  c.ws.send(JSON.stringify([JSON.parse(req('net_version', [], 'a')), { jsonrpc: '2.0', method: 'x' }, JSON.parse(req('nope_x', [], 'b'))]))
  t.same(
    await c.next(),
    [
      { jsonrpc: '2.0', id: 'a', result: '1337' },
      { jsonrpc: '2.0', id: 'b', error: { code: -32601, message: 'the method nope_x does not exist/is not available' } },
    ],
    'notification got no answer; batch answered in order',
  )
  c.ws.send('[]')
  t.same(await c.next(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: empty batch' } })
})

t.test('garbage, binary frames and throwing handlers leave the socket usable', async (t) => {
  const s = await startTestServer(t)
  const c = await wsClient(s.wsUrl)
  t.teardown(() => c.ws.terminate())
  c.ws.send('{"jsonrpc":"2.0",garbage')
  t.same(await c.next(), parseError)
  c.ws.send(Buffer.from('{"jsonrpc":"2.0",garbage'), { binary: true })
  t.same(await c.next(), parseError, 'garbage in a binary frame')
  c.ws.send(req('test_throw', [], 2))
  t.same(await c.next(), { jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'internal error' } })
  c.ws.send(req('test_revert', [], 3))
  t.equal((await c.next()).error.code, 3)
  c.ws.send(req('eth_chainId', [], 4))
  t.same(await c.next(), { jsonrpc: '2.0', id: 4, result: '0x539' })
  t.equal(c.ws.readyState, WebSocket.OPEN)
})

t.test('a slow call does not hold up later calls on the same socket', async (t) => {
  const s = await startTestServer(t)
  const c = await wsClient(s.wsUrl)
  t.teardown(() => c.ws.terminate())
  c.ws.send(req('test_wait', [], 'slow'))
  c.ws.send(req('eth_chainId', [], 'fast'))
  t.same((await c.next()).id, 'fast')
  s.release()
  t.same(await c.next(), { jsonrpc: '2.0', id: 'slow', result: null })
})

t.test('any path, per-connection context and onClose', async (t) => {
  const s = await startTestServer(t)
  const a = await wsClient(s.wsUrl + '/some/path')
  const b = await wsClient(s.wsUrl)
  a.ws.send(req('test_connection'))
  b.ws.send(req('test_connection'))
  const idA = (await a.next()).result
  const idB = (await b.next()).result
  t.type(idA, 'number')
  t.not(idA, idB)
  const http = await s.call('test_connection')
  t.equal(http.result, null, 'HTTP calls have no connection')
  a.ws.close()
  await a.closed
  // the server sees the close shortly after the client does
  await waitFor(() => closedConnections.has(idA), 20_000, 'onClose', 10).catch(() => undefined)
  t.ok(closedConnections.has(idA), 'onClose ran')
  t.notOk(closedConnections.has(idB))
  b.ws.terminate()
})

t.test('an oversized message closes only that socket (1009)', async (t) => {
  const s = await startTestServer(t, { maxBodyBytes: 1024 })
  const big = await wsClient(s.wsUrl)
  const other = await wsClient(s.wsUrl)
  t.teardown(() => other.ws.terminate())
  big.ws.send(req('test_echo', ['0x1', 'x'.repeat(2000)]))
  t.equal(await big.closed, 1009)
  other.ws.send(req('eth_chainId'))
  t.equal((await other.next()).result, '0x539')
})

t.test('origins: a disallowed Origin is refused', async (t) => {
  const s = await startTestServer(t, { cors: ['http://good.example'] })
  const good = await wsClient(s.wsUrl, { origin: 'http://good.example' })
  good.ws.terminate()
  const noOrigin = await wsClient(s.wsUrl)
  noOrigin.ws.terminate()
  const bad = new WebSocket(s.wsUrl, { headers: { origin: 'http://evil.example' } })
  const status = await new Promise<number>((resolve) => {
    bad.on('unexpected-response', (_req, res) => resolve(res.statusCode!))
    bad.on('error', () => {})
  })
  t.equal(status, 403)
  bad.terminate()
})

t.test('keepalive: a client that never pongs is dropped, a live one is kept', async (t) => {
  const s = await startTestServer(t, { wsPingIntervalMs: 30 })
  const live = await wsClient(s.wsUrl)
  t.teardown(() => live.ws.terminate())
  const deaf = new WebSocket(s.wsUrl, { autoPong: false })
  await new Promise((r) => deaf.once('open', r))
  const code = await new Promise<number>((resolve) => deaf.once('close', resolve))
  t.equal(code, 1006, 'terminated without a close frame')
  live.ws.send(req('eth_chainId'))
  t.equal((await live.next()).result, '0x539')
})

t.test('close() closes every socket and resolves promptly', async (t) => {
  const s = await startTestServer(t)
  const clients = await Promise.all([wsClient(s.wsUrl), wsClient(s.wsUrl), wsClient(s.wsUrl)])
  const deaf = await wsClient(s.wsUrl)
  // a client that ignores the close handshake: pause its socket so the close frame is never read
  ;(deaf.ws as unknown as { _socket: import('node:net').Socket })._socket.pause()
  const started = Date.now()
  await s.close()
  t.ok(Date.now() - started < 2000, 'close() did not hang')
  t.same(await Promise.all(clients.map((c) => c.closed)), [1001, 1001, 1001])
  deaf.ws.terminate()
  const refused = new WebSocket(s.wsUrl)
  await new Promise<void>((resolve) => refused.once('error', () => resolve()))
  t.pass('no new connections after close')
})
