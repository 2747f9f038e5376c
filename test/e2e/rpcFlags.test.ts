/**
 * `nfc node --rpc-*` flags take effect in a real node process (needs `npm run build`).
 */
import http from 'node:http'
import t from 'tap'
import { devNodeArgs, rpcRaw, runNodeExpectingFailure, startNode, tempDir } from '../helpers/nodeProcess.js'

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }))
    })
    r.on('error', reject)
    r.end(body)
  })
}

const call = (method: string, id = 1) => ({ jsonrpc: '2.0', id, method, params: [] })

t.test('limits, CORS and vhosts flags reach the server; /metrics serves the node gauges', async (t) => {
  const node = await startNode({
    datadir: tempDir(t),
    extraArgs: ['--rpc-batch-limit', '2', '--rpc-max-body', '1KiB', '--rpc-cors', 'http://wallet.example', '--rpc-vhosts', 'rpc.example'],
  })
  t.teardown(() => node.stop())

  const batch = await post(node.url, JSON.stringify([call('eth_chainId', 1), call('eth_chainId', 2), call('eth_chainId', 3)]))
  t.same(JSON.parse(batch.text), [{ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } }])
  t.equal(JSON.parse((await post(node.url, JSON.stringify([call('eth_chainId', 1), call('eth_chainId', 2)]))).text).length, 2)

  const big = await post(node.url, JSON.stringify({ ...call('eth_chainId'), params: ['x'.repeat(2000)] }))
  t.equal(big.status, 413)
  t.same(JSON.parse(big.text).error, { code: -32600, message: 'request body too large (limit 1024 bytes)' })

  const cors = await post(node.url, JSON.stringify(call('eth_chainId')), { origin: 'http://wallet.example' })
  t.equal(cors.headers['access-control-allow-origin'], 'http://wallet.example')
  t.equal((await post(node.url, JSON.stringify(call('eth_chainId')), { origin: 'http://other.example' })).headers['access-control-allow-origin'], undefined)

  t.equal((await post(node.url, JSON.stringify(call('eth_chainId')), { host: 'rpc.example:8545' })).status, 200)
  const refused = await post(node.url, JSON.stringify(call('eth_chainId')), { host: 'localhost:8545' })
  t.equal(refused.status, 403, '--rpc-vhosts replaces the localhost default')
  t.equal(refused.text, 'invalid host specified\n')

  t.equal((await rpcRaw(node.url, 'eth_blockNumber')).jsonrpc, '2.0')
  const metrics = await fetch(node.url + '/metrics')
  t.equal(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const text = await metrics.text()
  t.match(text, /^nfc_rpc_requests_total\{method="eth_blockNumber"\} 1$/m)
  t.match(text, /^nfc_head_block \d+$/m)
  t.match(text, /^nfc_finalized_block \d+$/m)
  t.match(text, /^nfc_txpool_pending 0$/m)
  t.match(text, /^nfc_txpool_queued 0$/m)
  t.match(text, /^nfc_peers 0$/m)
  t.match(text, /^nfc_ws_connections 0$/m)
})

t.test('defaults: no CORS header, localhost accepted, other hosts refused', async (t) => {
  const node = await startNode({ datadir: tempDir(t) })
  t.teardown(() => node.stop())
  const r = await post(node.url, JSON.stringify(call('eth_chainId')), { origin: 'http://app.example', host: 'localhost:8545' })
  t.equal(r.status, 200)
  t.equal(r.headers['access-control-allow-origin'], undefined)
  t.equal((await post(node.url, JSON.stringify(call('eth_chainId')), { host: 'evil.example' })).status, 403)
})

t.test('a bad flag value is a usage error', async (t) => {
  const { code, stderr } = await runNodeExpectingFailure(devNodeArgs(tempDir(t), ['--rpc-max-body', 'lots']))
  t.equal(code, 1)
  t.match(stderr, /--rpc-max-body wants a size in bytes/)
})
