/**
 * Admission control (rpc/admission.ts) and the WS front of rpc/server.ts: calls past the in-flight
 * bound or during event-loop lag are answered -32005 without running, and counted in /metrics;
 * binary WS frames are answered in binary; a WS client that never reads is cut off.
 */
import t, { type Test } from 'tap'
import { WebSocket } from 'ws'
import { createAdmission, LAG_PROBES, LAG_PROBE_MS, type ShedReason } from '../../../rpc/admission.js'
import { basicMethods, buildMethods } from '../../../rpc/methods.js'
import { defineMethod, quantity, required } from '../../../rpc/params.js'
import { startRpcServer } from '../../../rpc/server.js'
import type { RpcConnection } from '../../../rpc/types.js'
import { silentLogger } from '../../../src/util/logger.js'
import { node, startTestServer } from './fixtures/rpcServer.js'

const call = (method: string, id: number, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })
const limitExceeded = { code: -32005, message: 'limit exceeded', data: { reason: 'server busy, retry later' } }

const metric = async (url: string, line: RegExp): Promise<number> => {
  const text = await (await fetch(url + '/metrics')).text()
  const m = line.exec(text)
  return m === null ? 0 : Number(m[1])
}

t.test('admission: grants up to the bound, sheds the rest, counts each refusal', async (t) => {
  const shed: ShedReason[] = []
  const a = createAdmission({ maxInflight: 3, maxLagMs: 0, onShed: (r) => shed.push(r) })
  t.equal(a.acquire(2), 2)
  t.equal(a.acquire(5), 1, 'a batch gets the room that is left')
  t.equal(a.acquire(1), 0)
  t.same(shed, ['inflight', 'inflight', 'inflight', 'inflight', 'inflight'])
  a.release(2)
  t.equal(a.inflight, 1)
  t.equal(a.acquire(2), 2)
  a.close()
})

t.test('admission: lag sheds only after LAG_PROBES late probes in a row', async (t) => {
  let clock = 0
  const shed: ShedReason[] = []
  const a = createAdmission({ maxInflight: 0, maxLagMs: 100, timer: false, now: () => clock, onShed: (r) => shed.push(r) })
  // one long task: a single late probe, then an on-time one
  clock += LAG_PROBE_MS + 500
  a.probe()
  t.equal(a.lagMs, 500)
  t.notOk(a.lagging, 'one late probe is not overload')
  clock += LAG_PROBE_MS
  a.probe()
  t.equal(a.lagMs, 0)
  for (let i = 0; i < LAG_PROBES; i++) {
    t.notOk(a.lagging)
    clock += LAG_PROBE_MS + 150
    a.probe()
  }
  t.ok(a.lagging, 'sustained lag')
  t.equal(a.acquire(4), 0)
  t.same(shed, ['lag', 'lag', 'lag', 'lag'])
  clock += LAG_PROBE_MS
  a.probe()
  t.notOk(a.lagging, 'an on-time probe ends it')
  t.equal(a.acquire(1), 1)
})

t.test('server: calls past --rpc-max-inflight get -32005 at once; a batch runs the calls that got a slot', async (t) => {
  const s = await startTestServer(t, { maxInflight: 3, maxLagMs: 0 })
  // a batch holds a slot for each of its calls until the call is done: two test_wait hold 2 slots
  const held = s.post(JSON.stringify([call('test_wait', 1), call('test_wait', 2)]))
  await s.entered
  const one = await s.post(JSON.stringify([call('eth_chainId', 3), call('eth_chainId', 4), call('net_version', 5)]))
  t.same(one.json, [
    { jsonrpc: '2.0', id: 3, result: '0x539' },
    { jsonrpc: '2.0', id: 4, error: limitExceeded },
    { jsonrpc: '2.0', id: 5, error: limitExceeded },
  ])
  s.release()
  t.same((await held).json, [
    { jsonrpc: '2.0', id: 1, result: null },
    { jsonrpc: '2.0', id: 2, result: null },
  ])
  t.equal((await s.call('eth_chainId')).result, '0x539', 'slots are given back')
  t.equal(await metric(s.url, /^nfc_rpc_shed_total\{reason="inflight"\} (\d+)$/m), 2)
  t.equal(await metric(s.url, /^nfc_rpc_inflight (\d+)$/m), 0)
  t.equal(await metric(s.url, /^nfc_rpc_errors_total\{method="eth_chainId",code="-32005"\} (\d+)$/m), 1)
})

t.test('server: a WS call past the bound gets -32005 too', async (t) => {
  const s = await startTestServer(t, { maxInflight: 1, maxLagMs: 0 })
  const ws = new WebSocket(s.wsUrl)
  t.teardown(() => ws.terminate())
  await new Promise((r) => ws.once('open', r))
  const answers: any[] = []
  const got = new Promise<void>((resolve) =>
    ws.on('message', (d) => {
      answers.push(JSON.parse(d.toString()))
      if (answers.length === 2) resolve()
    }),
  )
  ws.send(JSON.stringify(call('test_wait', 1)))
  await s.entered
  ws.send(JSON.stringify(call('eth_chainId', 2)))
  await new Promise<void>((resolve) => ws.once('message', () => resolve()))
  s.release()
  await got
  t.same(answers, [
    { jsonrpc: '2.0', id: 2, error: limitExceeded },
    { jsonrpc: '2.0', id: 1, result: null },
  ])
})

/** A server whose test_push sends a notification through ctx.connection, and whose test_big answers n bytes. */
async function pushServer(t: Test, opts: { wsMaxBufferedBytes?: number } = {}) {
  const closed: number[] = []
  let onClosed: ((id: number) => void) | undefined
  const connections = new Map<number, RpcConnection>()
  const methods = buildMethods([
    ...basicMethods,
    defineMethod('test_push', [], (_p, ctx) => {
      const c = ctx.connection!
      queueMicrotask(() => c.send({ jsonrpc: '2.0', method: 'test_note', params: { ok: true } }))
      return c.id
    }),
    defineMethod('test_watch', [], (_p, ctx) => {
      const c = ctx.connection!
      connections.set(c.id, c)
      c.onClose(() => {
        closed.push(c.id)
        onClosed?.(c.id)
      })
      return c.id
    }),
    defineMethod('test_big', [required(quantity)], ([n]) => 'x'.repeat(Number(n))),
  ])
  const server = await startRpcServer({ host: '127.0.0.1', port: 0, methods, context: { node, logger: silentLogger }, logger: silentLogger, ...opts })
  t.teardown(() => server.close())
  const closedOnce = (id: number) => new Promise<void>((resolve) => (closed.includes(id) ? resolve() : (onClosed = (x) => x === id && resolve())))
  return { server, closedOnce }
}

t.test('WS binary frames: answered in binary, text still in text; notifications follow the latest request', async (t) => {
  const { server } = await pushServer(t)
  const ws = new WebSocket(server.wsUrl)
  t.teardown(() => ws.terminate())
  await new Promise((r) => ws.once('open', r))
  const frames: Array<{ json: any; binary: boolean }> = []
  const waiters: Array<() => void> = []
  ws.on('message', (d, isBinary) => {
    frames.push({ json: JSON.parse(d.toString()), binary: isBinary })
    for (const w of waiters.splice(0)) w()
  })
  const nextFrames = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (frames.length >= n ? resolve() : waiters.push(check))
      check()
    })

  ws.send(Buffer.from(JSON.stringify(call('eth_chainId', 1)), 'utf8'), { binary: true })
  await nextFrames(1)
  t.same(frames[0], { json: { jsonrpc: '2.0', id: 1, result: '0x539' }, binary: true }, 'binary in, binary out')

  ws.send(JSON.stringify(call('net_version', 2)))
  await nextFrames(2)
  t.same(frames[1], { json: { jsonrpc: '2.0', id: 2, result: '1337' }, binary: false }, 'text in, text out')

  ws.send(Buffer.from(JSON.stringify([call('eth_chainId', 3), call('test_push', 4)])), { binary: true })
  await nextFrames(4)
  const batch = frames.find((f) => Array.isArray(f.json))!
  const note = frames.find((f) => f.json.method === 'test_note')!
  t.equal(batch.binary, true, 'a binary batch is answered in binary')
  t.same(
    batch.json.map((r: any) => r.id),
    [3, 4],
  )
  t.same(note, { json: { jsonrpc: '2.0', method: 'test_note', params: { ok: true } }, binary: true }, 'notification in the frame type of the latest request')
})

t.test('a WS client that never reads is cut off once its unread output passes the bound', async (t) => {
  const { server, closedOnce } = await pushServer(t, { wsMaxBufferedBytes: 256 * 1024 })
  const ws = new WebSocket(server.wsUrl)
  t.teardown(() => ws.terminate())
  await new Promise((r) => ws.once('open', r))
  const id = await new Promise<number>((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString()).result))
    ws.send(JSON.stringify(call('test_watch', 1)))
  })
  const gone = closedOnce(id)
  // the client stops reading: the kernel buffers fill, then the server's send buffer
  ;(ws as unknown as { _socket: { pause(): void } })._socket.pause()
  let sent = 0
  const flood = () => {
    // 64 MiB asked for in 256 KiB answers, far past any socket buffer
    for (let i = 0; i < 16 && sent < 256; i++, sent++) ws.send(JSON.stringify(call('test_big', 100 + sent, ['0x40000'])))
    if (sent < 256) setImmediate(flood)
  }
  flood()
  await gone
  t.pass('the server closed the connection')
  t.equal(await metric(server.url, /^nfc_ws_dropped_total\{reason="slow_reader"\} (\d+)$/m), 1)
  const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call('eth_chainId', 9)) })
  t.same(await res.json(), { jsonrpc: '2.0', id: 9, result: '0x539' }, 'the server still answers')
})
