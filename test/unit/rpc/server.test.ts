import net from 'node:net'
import http from 'node:http'
import t from 'tap'
import { revertData, startTestServer } from './fixtures/rpcServer.js'

const body = (method: string, params: unknown[] = [], id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params })

t.test('HTTP basics: POST /, GET /, /health, 404', async (t) => {
  const s = await startTestServer(t)
  t.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(s.wsUrl, s.url.replace('http', 'ws'))
  const r = await s.post(body('eth_chainId'))
  t.equal(r.status, 200)
  t.match(r.headers.get('content-type'), /^application\/json/)
  t.same(r.json, { jsonrpc: '2.0', id: 1, result: '0x539' })
  t.same(await s.call('net_version'), { jsonrpc: '2.0', id: 1, result: '1337' })
  t.same(await s.call('web3_clientVersion'), { jsonrpc: '2.0', id: 1, result: 'nfc/v0.1.0/test' })

  const hint = await fetch(s.url + '/')
  t.equal(hint.status, 200)
  t.match(await hint.text(), /JSON-RPC/)
  const health = await fetch(s.url + '/health')
  t.same(await health.json(), { ok: true })
  t.equal((await fetch(s.url + '/nope')).status, 404)
  t.equal((await fetch(s.url + '/nope', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status, 404)
})

t.test('/health: the report the node gives, 200 when ok, 503 with the reasons when not', async (t) => {
  let report = { ok: true, reasons: [] as string[], head: '12', headAgeMs: 300, peers: 3, syncing: false }
  const s = await startTestServer(t, { health: () => report })
  const ok = await fetch(s.url + '/health')
  t.equal(ok.status, 200)
  t.same(await ok.json(), report)
  report = { ok: false, reasons: ['no peers', 'syncing'], head: '12', headAgeMs: 300, peers: 0, syncing: true }
  const bad = await fetch(s.url + '/health')
  t.equal(bad.status, 503, 'read again at each request')
  t.same(await bad.json(), report)
})

t.test('content type: JSON types accepted, others 415 (as geth)', async (t) => {
  const s = await startTestServer(t)
  for (const ct of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json-rpc', 'application/jsonrequest']) {
    t.equal((await s.post(body('eth_chainId'), { 'content-type': ct })).json?.result, '0x539', ct)
  }
  const bad = await s.post(body('eth_chainId'), { 'content-type': 'text/plain' })
  t.equal(bad.status, 415)
  t.match(bad.text, /only application\/json is supported/)
  const none = await new Promise<number>((resolve, reject) => {
    const req = http.request(s.url, { method: 'POST' }, (res) => {
      res.resume()
      resolve(res.statusCode!)
    })
    req.on('error', reject)
    req.end(body('eth_chainId'))
  })
  t.equal(none, 415, 'missing content type')
})

t.test('parse errors over HTTP are 200 with -32700', async (t) => {
  const s = await startTestServer(t)
  const parseError = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }
  for (const [name, b] of [
    ['truncated', '{"jsonrpc":"2.0","id":1,"method":"eth_ch'],
    ['garbage bytes', new Uint8Array([0xff, 0xfe, 0x00, 0x81, 0x7b])],
    ['empty body', ''],
  ] as const) {
    const r = await s.post(b)
    t.equal(r.status, 200, name)
    t.same(r.json, parseError, name)
  }
})

t.test('dispatch over HTTP: errors, batches, notifications', async (t) => {
  const s = await startTestServer(t)
  t.same((await s.post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: { a: 1 } }))).json, {
    jsonrpc: '2.0',
    id: 1,
    error: { code: -32602, message: 'non-array args' },
  })
  t.same((await s.call('eth_foo')).error, { code: -32601, message: 'the method eth_foo does not exist/is not available' })
  t.same((await s.call('test_echo', ['0x' + '1'.repeat(65)])).error, { code: -32602, message: 'invalid argument 0: hex number > 256 bits' })
  t.same((await s.call('test_revert')).error, { code: 3, message: 'execution reverted: nope', data: revertData })

  const batch = await s.post(
    JSON.stringify([JSON.parse(body('eth_chainId', [], 1)), { jsonrpc: '2.0', method: 'net_version' }, JSON.parse(body('eth_nope', [], 2))]),
  )
  t.same(batch.json, [
    { jsonrpc: '2.0', id: 1, result: '0x539' },
    { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'the method eth_nope does not exist/is not available' } },
  ])
  const note = await s.post(JSON.stringify({ jsonrpc: '2.0', method: 'eth_chainId' }))
  t.equal(note.status, 200)
  t.equal(note.text, '', 'notification: empty body')
  const notes = await s.post(JSON.stringify([{ jsonrpc: '2.0', method: 'eth_chainId' }]))
  t.equal(notes.text, '', 'all-notification batch: empty body')
  t.same((await s.post('[]')).json, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: empty batch' } })
})

t.test('limits: batch size and body size', async (t) => {
  const s = await startTestServer(t, { maxBatch: 3, maxBodyBytes: 4096 })
  const big = JSON.stringify(Array.from({ length: 4 }, (_, i) => JSON.parse(body('eth_chainId', [], i + 1))))
  t.same((await s.post(big)).json, [{ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } }])

  const tooLarge = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request body too large (limit 4096 bytes)' } }
  const r = await s.post(body('test_echo', ['0x1', 'x'.repeat(5000)]))
  t.equal(r.status, 413)
  t.same(r.json, tooLarge)

  // chunked, no content-length: the limit still holds while streaming
  const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(s.url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', reject)
    for (let i = 0; i < 10; i++) req.write('x'.repeat(1000))
    req.end()
  })
  t.equal(chunked.status, 413)
  t.same(JSON.parse(chunked.text), tooLarge)
  t.same((await s.call('eth_chainId')).result, '0x539', 'still serving')
})

t.test('a 1 MiB deeply nested array does not crash the server', async (t) => {
  const s = await startTestServer(t)
  const depth = 512 * 1024
  const r = await s.post('['.repeat(depth) + ']'.repeat(depth))
  t.equal(r.status, 200)
  t.same(r.json, [{ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: not an object' } }])
  const r2 = await s.post(`{"jsonrpc":"2.0","id":7,"method":"test_echo","params":[${'['.repeat(depth)}${']'.repeat(depth)}]}`)
  t.same(r2.json.error, { code: -32602, message: 'invalid argument 0: cannot unmarshal non-string into quantity' })
  t.same((await s.call('eth_chainId')).result, '0x539')
})

t.test('a throwing handler is -32603 and the server keeps serving', async (t) => {
  const s = await startTestServer(t)
  t.same((await s.call('test_throw')).error, { code: -32603, message: 'internal error' })
  const r = await s.post(body('test_throwAsync'))
  t.notMatch(r.text, /secret/, 'no internals leak')
  t.same((await s.call('eth_chainId')).result, '0x539')
})

t.test('CORS: the default refuses cross-origin reads (no Access-Control-Allow-Origin)', async (t) => {
  const s = await startTestServer(t)
  const r = await fetch(s.url, { method: 'POST', body: body('eth_chainId'), headers: { 'content-type': 'application/json', origin: 'http://evil.example' } })
  t.equal(r.headers.get('access-control-allow-origin'), null)
  t.equal(((await r.json()) as { result: string }).result, '0x539', 'the call itself is still answered (a non-browser client is not refused)')
  const pre = await fetch(s.url, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  })
  t.equal(pre.headers.get('access-control-allow-origin'), null)
  await pre.text()
})

t.test('CORS', async (t) => {
  const open = await startTestServer(t, { cors: ['*'] })
  const r = await fetch(open.url, { method: 'POST', body: body('eth_chainId'), headers: { 'content-type': 'application/json', origin: 'http://app.example' } })
  t.equal(r.headers.get('access-control-allow-origin'), '*')
  await r.text()
  const pre = await fetch(open.url, {
    method: 'OPTIONS',
    headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-custom' },
  })
  t.equal(pre.status, 204)
  t.equal(pre.headers.get('access-control-allow-origin'), '*')
  t.match(pre.headers.get('access-control-allow-methods'), /POST/)
  t.equal(pre.headers.get('access-control-allow-headers'), 'content-type, x-custom')

  const strict = await startTestServer(t, { cors: ['http://good.example'] })
  const good = await fetch(strict.url, {
    method: 'POST',
    body: body('eth_chainId'),
    headers: { 'content-type': 'application/json', origin: 'http://good.example' },
  })
  t.equal(good.headers.get('access-control-allow-origin'), 'http://good.example')
  t.equal(good.headers.get('vary'), 'Origin')
  await good.text()
  const bad = await fetch(strict.url, {
    method: 'POST',
    body: body('eth_chainId'),
    headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
  })
  t.equal(bad.headers.get('access-control-allow-origin'), null)
  await bad.text()
})

t.test('slow and half-closed sockets do not block other clients; close() is prompt', async (t) => {
  const s = await startTestServer(t)
  const port = s.port
  const connect = () =>
    new Promise<net.Socket>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => resolve(sock))
      sock.on('error', () => {})
    })
  // headers, then half a body, then silence
  const slow = await connect()
  slow.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc":')
  // half a request line, then FIN
  const halfClosed = await connect()
  halfClosed.end('POST / HTTP/1.1\r\nHost: x\r\nContent-Len')
  // a request whose handler never finishes
  const stuck = s.post(body('test_wait'))

  const results = await Promise.all(Array.from({ length: 20 }, () => s.call('eth_chainId', [])))
  t.ok(
    results.every((r) => r.result === '0x539'),
    'other clients served',
  )

  const started = Date.now()
  await s.close()
  t.ok(Date.now() - started < 2000, 'close() waits neither for the stalled socket nor for the stuck handler')
  await t.rejects(stuck, 'the stuck request is cut off')
  await new Promise<void>((resolve) => (slow.destroyed ? resolve() : slow.once('close', () => resolve())))
  t.pass('stalled socket closed by server')
  halfClosed.destroy()
})
