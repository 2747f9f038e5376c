/**
 * The node is down: the explorer says "reconnecting", then recovers by itself when a node starts
 * on that port, and says so again when it stops. A real node on a fixed (free) port.
 */
import t from 'tap'
import net from 'node:net'
import { startNode } from '../../../src/cli/start.js'
import { silentLogger } from '../../../src/util/logger.js'
import { devGenesis, tempDir } from '../../helpers/inProcessNode.js'
import { createRpcClient } from '../../../src/explorer/rpcClient.js'
import { renderApp, waitFrame } from './harness.js'

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((res) => s.close(res))
  return port
}

t.test('reconnecting, recovery, and reconnecting again', async (t) => {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const client = createRpcClient(url, { backoffMs: 50, maxBackoffMs: 400, pollMs: 200 })
  t.teardown(() => client.close())
  const r = renderApp(t, { rpc: url, client })
  let f = await waitFrame(r, 'reconnecting')
  t.notMatch(f, /\n\s+at |Error:/, 'no stack trace on screen')

  const datadir = tempDir(t)
  const start = () => startNode({ genesis: devGenesis(), datadir, rpc: { host: '127.0.0.1', port }, logger: silentLogger, recoverThreads: 0 })
  let node = await start()
  t.teardown(() => node.close())
  f = await waitFrame(r, ['● connected', 'Chain id', '2100'])
  t.pass('recovered on its own')

  await node.close()
  f = await waitFrame(r, 'reconnecting')
  t.match(f, /Chain id\s+2100/, 'the last data stays on screen while reconnecting')
  node = await start()
  await waitFrame(r, '● connected')
  t.pass('and recovers again')
})
