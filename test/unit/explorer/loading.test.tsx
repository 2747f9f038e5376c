/**
 * Loading states: with the node's answers held back (a gate in front of a real dev node, opened by
 * the test, not by a timer), the dashboard says it is loading and the status line shows
 * "loading…"; once the answers come, the data replaces both.
 */
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRpcClient } from '../../../src/explorer/rpcClient.js'
import { chainWithTransfer, renderApp, waitFrame } from './harness.js'

/** An HTTP JSON-RPC pass-through to `target` that answers eth_blockNumber at once and holds every other call until open(). */
async function gate(target: string): Promise<{ url: string; open(): void; close(): Promise<void> }> {
  let opened!: () => void
  const isOpen = new Promise<void>((resolve) => (opened = resolve))
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      if (!body.includes('"eth_blockNumber"')) await isOpen
      const answer = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.text())
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    open: opened,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

t.test('the dashboard and the status line say "loading" while answers are on their way', async (t) => {
  const { n } = await chainWithTransfer(t)
  const g = await gate(n.url)
  t.teardown(() => g.close())
  // poll only: the gate serves no WebSocket
  const client = createRpcClient(g.url, { ws: false, pollMs: 200 })
  t.teardown(() => client.close())
  const r = renderApp(t, { rpc: g.url, client })
  let f = await waitFrame(r, ['● connected', 'loading dashboard…', '⧗ loading…'])
  t.notMatch(f, /Chain id/, 'no data yet')
  g.open()
  f = await waitFrame(r, /Chain id\s+2100/)
  // a poll in flight may show the mark again for a moment (seen under load): wait for a frame without it
  f = await waitFrame(r, /^(?![\s\S]*⧗ loading…)[\s\S]*polling[ \t]*(\n|$)/)
  t.notMatch(f, /⧗ loading…/, 'the loading mark goes once the answers are in')
})
