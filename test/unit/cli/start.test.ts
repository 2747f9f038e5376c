/**
 * The composition root (src/cli/start.ts): the node, then the RPC server on it; close() in
 * reverse; a port that cannot be bound closes the node again (its data directory is free).
 */
import net from 'node:net'
import t from 'tap'
import { startNode } from '../../../src/cli/start.js'
import { isNfcError } from '../../../src/util/errors.js'
import { silentLogger } from '../../../src/util/logger.js'
import { devGenesis, tempDir } from '../../helpers/inProcessNode.js'

const call = (url: string, method: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }) })

t.test('serves the node over RPC; close() stops the server and the node, once', async (t) => {
  const datadir = tempDir(t)
  const running = await startNode({ genesis: devGenesis(), datadir, rpc: { host: '127.0.0.1', port: 0 }, logger: silentLogger, recoverThreads: 0 })
  const res = await call(running.rpc!.url, 'eth_blockNumber')
  t.same(((await res.json()) as { result: string }).result, '0x0')
  await running.close()
  await running.close()
  await t.rejects(call(running.rpc!.url, 'eth_blockNumber'), 'the server is gone')
  // the node released its data directory: it opens again
  const again = await startNode({ genesis: devGenesis(), datadir, rpc: null, logger: silentLogger, recoverThreads: 0 })
  t.equal(again.rpc, null)
  await again.close()
})

t.test('an RPC port in use: NODE_RPC_LISTEN, and the node is closed again', async (t) => {
  const busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => busy.close())
  const port = (busy.address() as net.AddressInfo).port
  const datadir = tempDir(t)
  const err = await startNode({ genesis: devGenesis(), datadir, rpc: { host: '127.0.0.1', port }, logger: silentLogger, recoverThreads: 0 }).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(isNfcError(err) && err.code === 'NODE_RPC_LISTEN', 'NODE_RPC_LISTEN')
  t.match((err as Error).message, `cannot serve JSON-RPC on 127.0.0.1:${port}`)
  const again = await startNode({ genesis: devGenesis(), datadir, rpc: null, logger: silentLogger, recoverThreads: 0 })
  await again.close()
})
