/** rpcClient against a real node: calls, batches, typed errors, newHeads over WebSocket, polling without it. */
import t from 'tap'
import net from 'node:net'
import { createRpcClient, isMethodNotFound, RpcError, TransportError, wsUrlOf } from '../../../src/explorer/rpcClient.js'
import { startNode } from '../../helpers/inProcessNode.js'
import { waitFor } from '../../helpers/nodeProcess.js'

t.test('calls, batches, errors, heads', async (t) => {
  const n = await startNode(t)
  t.equal(wsUrlOf('http://127.0.0.1:8545'), 'ws://127.0.0.1:8545/')
  for (const ws of [true, false]) {
    const c = createRpcClient(n.url, { ws, pollMs: 100 })
    t.teardown(() => c.close())
    t.equal(await c.call('eth_chainId'), '0x834')
    const [a, b] = await c.batch([{ method: 'eth_chainId' }, { method: 'no_suchMethod' }])
    t.equal(a, '0x834')
    t.ok(b instanceof RpcError && isMethodNotFound(b), 'a missing method is a -32601 RpcError')
    const err = await c.call('no_suchMethod').then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(err instanceof RpcError && err.code === -32601, 'call() throws the RpcError')
    const heads: bigint[] = []
    c.onHead((h) => heads.push(h))
    await waitFor(() => c.state() === 'connected' && (!ws || c.mode() === 'ws'), 20_000, 'connected', 20)
    t.equal(c.mode(), ws ? 'ws' : 'poll', ws ? 'heads over the WebSocket' : 'polling')
    await n.produceBlock()
    await waitFor(async () => heads.includes(BigInt(Number(await c.call('eth_blockNumber')))), 20_000, 'a head event', 20)
    t.pass('a new head is reported')
  }
  const port = await new Promise<number>((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => res(p))
    })
  })
  const down = createRpcClient(`http://127.0.0.1:${port}`, { backoffMs: 20, maxBackoffMs: 40 })
  t.teardown(() => down.close())
  const err = await down.call('eth_chainId').then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(err instanceof TransportError, 'a closed port is a TransportError')
  t.match((err as Error).message, /cannot reach .*ECONNREFUSED/)
})
