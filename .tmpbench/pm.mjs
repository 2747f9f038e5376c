import { Worker } from 'node:worker_threads'
const w = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage({ id: m.id }))`, { eval: true })
let n = 0
const N = 5000
const one = (id, buf) => new Promise((res) => { const h = (m) => { if (m.id === id) { w.off('message', h); res() } }; w.on('message', h); w.postMessage({ kind: 'batch', id, buf, count: 20, start: 0, end: 10 }) })
for (const sab of [true, false, true, false]) {
  const t0 = performance.now(); const c0 = process.cpuUsage(); const e0 = performance.eventLoopUtilization()
  for (let i = 0; i < N; i++) { const buf = sab ? new SharedArrayBuffer(20 * 162) : null; await one(i, buf) }
  const e = performance.eventLoopUtilization(e0)
  console.log(sab ? 'SAB' : 'null', ((performance.now() - t0) * 1000 / N).toFixed(1), 'µs/roundtrip wall', (e.active * 1000 / N).toFixed(1), 'µs main active')
}
// just the postMessage call
for (const sab of [true, false]) {
  const t0 = performance.now()
  for (let i = 0; i < N; i++) w.postMessage({ kind: 'batch', id: -1, buf: sab ? new SharedArrayBuffer(3240) : null, count: 20, start: 0, end: 10 })
  console.log('postMessage only', sab ? 'SAB' : 'null', ((performance.now() - t0) * 1000 / N).toFixed(1), 'µs')
}
process.exit(0)
