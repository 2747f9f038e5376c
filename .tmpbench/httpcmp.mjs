import http from 'node:http'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import Fastify from 'fastify'
const BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })
const ANSWER = '{"jsonrpc":"2.0","id":1,"result":"0x1"}'
if (!isMainThread) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
  const url = new URL(workerData.url)
  let n = 0, stop = false
  const one = () => new Promise((res, rej) => { const r = http.request({ host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (s) => { s.on('data', () => {}); s.on('end', res) }); r.on('error', rej); r.end(BODY) })
  const loop = async () => { while (!stop) { await one(); n++ } }
  setTimeout(() => { stop = true }, workerData.ms)
  await Promise.all(Array.from({ length: 32 }, loop))
  parentPort.postMessage(n); agent.destroy()
} else {
  const kind = process.argv[2]
  let server
  if (kind === 'fastify') {
    const app = Fastify({ logger: false, forceCloseConnections: true })
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body))
    app.addHook('onRequest', (req, reply, done) => { if (req.headers.host === undefined) return reply.code(403).send('x'); done() })
    app.post('/', async (req, reply) => reply.code(200).type('application/json').send(ANSWER))
    await app.listen({ port: 0, host: '127.0.0.1' }); server = app.server
  } else {
    server = http.createServer((req, res) => {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => { Buffer.concat(chunks).toString('utf8'); res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) }); res.end(ANSWER) })
    })
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
  }
  const url = `http://127.0.0.1:${server.address().port}/`
  const run = async (ms) => { const c0 = process.cpuUsage(); const t0 = performance.now(); const n = await new Promise((res) => new Worker(new URL(import.meta.url), { workerData: { url, ms } }).on('message', res)); const c = process.cpuUsage(c0); return { n, s: (performance.now() - t0) / 1000 } }
  await run(1000)
  const elu0 = performance.eventLoopUtilization()
  const r = await run(4000)
  const elu = performance.eventLoopUtilization(elu0)
  console.log(kind, Math.round(r.n / r.s), 'req/s, main ELU', elu.utilization.toFixed(2), 'main busy µs/req', (elu.active * 1000 / r.n).toFixed(1))
  process.exit(0)
}
