/**
 * GET /metrics: Prometheus text format 0.0.4, parsed here by a small independent parser.
 */
import t from 'tap'
import { Registry } from '../../../rpc/metrics.js'
import { startTestServer, wsClient } from './fixtures/rpcServer.js'
import { waitFor } from '../../helpers/nodeProcess.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}
interface Parsed {
  types: Map<string, string>
  help: Map<string, string>
  samples: Sample[]
}

/** A strict parser of the text format: throws on any line it does not understand. */
function parseProm(text: string): Parsed {
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const samples: Sample[] = []
  if (!text.endsWith('\n')) throw new Error('text must end with a newline')
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (m) {
      help.set(m[1]!, m[2]!)
      continue
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (m) {
      if (types.has(m[1]!)) throw new Error(`TYPE twice: ${line}`)
      types.set(m[1]!, m[2]!)
      continue
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`bad line: ${JSON.stringify(line)}`)
    const labels: Record<string, string> = {}
    if (m[3] !== undefined && m[3] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y
      let pos = 0
      while (pos < m[3].length) {
        re.lastIndex = pos
        const l = re.exec(m[3])
        if (!l) throw new Error(`bad labels: ${line}`)
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_x, c) => (c === 'n' ? '\n' : c))
        pos = re.lastIndex
      }
    }
    const v = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4])
    if (Number.isNaN(v) && m[4] !== 'NaN') throw new Error(`bad value: ${line}`)
    const base = m[1]!.replace(/_(bucket|sum|count)$/, '')
    if (!types.has(m[1]!) && !(types.get(base) === 'histogram')) throw new Error(`sample before its TYPE: ${line}`)
    samples.push({ name: m[1]!, labels, value: v })
  }
  return { types, help, samples }
}

const pick = (p: Parsed, name: string, labels: Record<string, string> = {}) =>
  p.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length,
  )?.value

async function scrape(url: string): Promise<{ parsed: Parsed; contentType: string | null; text: string }> {
  const r = await fetch(url + '/metrics')
  const text = await r.text()
  return { parsed: parseProm(text), contentType: r.headers.get('content-type'), text }
}

t.test('registry renders the text format; label values are escaped', async (t) => {
  const r = new Registry()
  const c = r.counter('x_total', 'a help\nwith a newline and \\', ['l'])
  c.inc({ l: 'a"b\\c\nd' })
  c.inc({ l: 'a"b\\c\nd' }, 2)
  const g = r.gauge('y', 'gauge')
  g.set(undefined, 7n)
  const h = r.histogram('z_seconds', 'hist', ['m'], [0.1, 1])
  h.observe({ m: 'a' }, 0.05)
  h.observe({ m: 'a' }, 0.5)
  h.observe({ m: 'a' }, 5)
  const text = await r.render()
  const p = parseProm(text)
  t.equal(p.help.get('x_total'), 'a help\\nwith a newline and \\\\')
  t.equal(pick(p, 'x_total', { l: 'a"b\\c\nd' }), 3)
  t.equal(pick(p, 'y'), 7)
  t.equal(pick(p, 'z_seconds_bucket', { m: 'a', le: '0.1' }), 1)
  t.equal(pick(p, 'z_seconds_bucket', { m: 'a', le: '1' }), 2)
  t.equal(pick(p, 'z_seconds_bucket', { m: 'a', le: '+Inf' }), 3)
  t.equal(pick(p, 'z_seconds_count', { m: 'a' }), 3)
  t.equal(pick(p, 'z_seconds_sum', { m: 'a' }), 5.55)
  t.throws(() => r.counter('x_total', 'again'), /twice/)
  t.throws(() => c.inc({ l: 'a' }, -1), /only go up/)
  t.throws(() => c.inc({}), /missing label/)
})

t.test('GET /metrics: content type, counts and latency per method move after calls', async (t) => {
  let stats = { head: 5n, finalized: 5n, pending: 2, queued: 1, peers: 0 }
  const s = await startTestServer(t, { nodeStats: () => stats })
  const first = await scrape(s.url)
  t.equal(first.contentType, 'text/plain; version=0.0.4; charset=utf-8')
  t.equal(first.parsed.types.get('nfc_rpc_requests_total'), 'counter')
  t.equal(first.parsed.types.get('nfc_rpc_errors_total'), 'counter')
  t.equal(first.parsed.types.get('nfc_rpc_request_duration_seconds'), 'histogram')
  for (const g of ['nfc_head_block', 'nfc_finalized_block', 'nfc_txpool_pending', 'nfc_txpool_queued', 'nfc_peers', 'nfc_ws_connections']) {
    t.equal(first.parsed.types.get(g), 'gauge', g)
  }
  t.equal(pick(first.parsed, 'nfc_head_block'), 5)
  t.equal(pick(first.parsed, 'nfc_finalized_block'), 5)
  t.equal(pick(first.parsed, 'nfc_txpool_pending'), 2)
  t.equal(pick(first.parsed, 'nfc_txpool_queued'), 1)
  t.equal(pick(first.parsed, 'nfc_peers'), 0)
  t.equal(pick(first.parsed, 'nfc_ws_connections'), 0)
  t.equal(pick(first.parsed, 'nfc_rpc_requests_total', { method: 'eth_chainId' }), undefined)

  for (let i = 0; i < 3; i++) await s.call('eth_chainId')
  await s.call('test_revert')
  await s.call('test_echo', ['zz'])
  // a batch counts each call
  await s.post(
    JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { jsonrpc: '2.0', method: 'eth_chainId' },
    ]),
  )
  // a slow call shows in the latency histogram
  const slow = s.call('test_wait')
  // the 60 ms start once the server is running the call: under load the request can take a while to arrive.
  // This sleep stays: holding the call for a while is what the test measures, not a wait for an event
  await s.entered
  await new Promise((r) => setTimeout(r, 60))
  s.release()
  await slow
  stats = { head: 9n, finalized: 9n, pending: 0, queued: 4, peers: 0 }

  const { parsed: p } = await scrape(s.url)
  t.equal(pick(p, 'nfc_rpc_requests_total', { method: 'eth_chainId' }), 5)
  t.equal(pick(p, 'nfc_rpc_request_duration_seconds_count', { method: 'eth_chainId' }), 5)
  t.equal(pick(p, 'nfc_rpc_request_duration_seconds_bucket', { method: 'eth_chainId', le: '+Inf' }), 5)
  t.equal(pick(p, 'nfc_rpc_errors_total', { method: 'eth_chainId', code: '3' }), undefined, 'no errors for eth_chainId')
  t.equal(pick(p, 'nfc_rpc_errors_total', { method: 'test_revert', code: '3' }), 1)
  t.equal(pick(p, 'nfc_rpc_errors_total', { method: 'test_echo', code: '-32602' }), 1)
  t.ok(pick(p, 'nfc_rpc_request_duration_seconds_sum', { method: 'test_wait' })! >= 0.05, 'latency recorded')
  t.equal(pick(p, 'nfc_rpc_request_duration_seconds_bucket', { method: 'test_wait', le: '0.01' }), 0)
  t.equal(pick(p, 'nfc_rpc_request_duration_seconds_bucket', { method: 'test_wait', le: '+Inf' }), 1)
  // buckets are cumulative
  const buckets = p.samples.filter((x) => x.name === 'nfc_rpc_request_duration_seconds_bucket' && x.labels.method === 'eth_chainId')
  t.ok(
    buckets.every((b, i) => i === 0 || b.value >= buckets[i - 1]!.value),
    'cumulative buckets',
  )
  t.equal(pick(p, 'nfc_head_block'), 9, 'gauges read at scrape time')
  t.equal(pick(p, 'nfc_txpool_queued'), 4)
})

t.test('unknown methods and invalid requests share method="unknown"', async (t) => {
  const s = await startTestServer(t)
  for (let i = 0; i < 50; i++) await s.call(`random_${i}`)
  await s.post('{not json')
  await s.post(JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'eth_chainId' }))
  const { parsed: p } = await scrape(s.url)
  const methods = new Set(p.samples.filter((x) => x.name === 'nfc_rpc_requests_total').map((x) => x.labels.method))
  t.same([...methods], ['unknown'], 'one label value for all of them')
  t.equal(pick(p, 'nfc_rpc_requests_total', { method: 'unknown' }), 52)
  t.equal(pick(p, 'nfc_rpc_errors_total', { method: 'unknown', code: '-32601' }), 50)
  t.equal(pick(p, 'nfc_rpc_errors_total', { method: 'unknown', code: '-32700' }), 1)
  t.equal(pick(p, 'nfc_rpc_errors_total', { method: 'unknown', code: '-32600' }), 1)
  t.notOk(
    p.samples.some((x) => x.name === 'nfc_head_block'),
    'no node gauges without nodeStats',
  )
})

t.test('WS calls and connections are counted; limit rejections too', async (t) => {
  const s = await startTestServer(t, { maxResponseBytes: 100, maxBodyBytes: 1024 })
  const a = await wsClient(s.wsUrl)
  const b = await wsClient(s.wsUrl)
  t.teardown(() => b.ws.terminate())
  a.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }))
  await a.next()
  a.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'test_big', params: ['0xc8'] }))
  t.equal((await a.next()).error.code, -32003)
  let p = (await scrape(s.url)).parsed
  t.equal(pick(p, 'nfc_ws_connections'), 2)
  t.equal(pick(p, 'nfc_rpc_requests_total', { method: 'eth_chainId' }), 1)
  t.equal(pick(p, 'nfc_rpc_errors_total', { method: 'test_big', code: '-32003' }), 1)
  a.ws.close()
  await a.closed
  const r = await s.post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_echo', params: ['0x1', 'x'.repeat(2000)] }))
  t.equal(r.status, 413)
  // the server sees the close shortly after the client does
  await waitFor(
    async () => {
      p = (await scrape(s.url)).parsed
      return pick(p, 'nfc_ws_connections') === 1
    },
    20_000,
    'the server to count the close',
    10,
  ).catch(() => undefined)
  t.equal(pick(p, 'nfc_ws_connections'), 1)
  t.equal(pick(p, 'nfc_rpc_http_rejected_total', { reason: 'body_too_large' }), 1)
})

t.test('a throwing nodeStats does not break /metrics', async (t) => {
  const s = await startTestServer(t, {
    nodeStats: () => {
      throw new Error('boom')
    },
  })
  const r = await fetch(s.url + '/metrics')
  t.equal(r.status, 200)
  t.ok(parseProm(await r.text()).types.has('nfc_rpc_requests_total'))
})
