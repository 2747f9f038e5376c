import t, { type Test } from 'tap'
import { JsonRpcProvider, WebSocketProvider } from 'ethers'
import { silentLogger } from '../../../src/util/logger.js'
import { basicMethods, buildMethods } from '../../../rpc/methods.js'
import { startRpcServer } from '../../../rpc/server.js'
import { node } from './fixtures/rpcServer.js'

async function start(t: Test) {
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    methods: buildMethods(basicMethods),
    context: { node, logger: silentLogger },
    logger: silentLogger,
  })
  t.teardown(() => server.close())
  return server
}

t.test('ethers JsonRpcProvider.getNetwork() with only the three basic methods', async (t) => {
  const server = await start(t)
  const provider = new JsonRpcProvider(server.url)
  t.teardown(() => provider.destroy())
  const network = await provider.getNetwork()
  t.equal(network.chainId, 1337n)
  t.equal(await provider.send('web3_clientVersion', []), 'nfc/v0.1.0/test')
  t.equal(await provider.send('net_version', []), '1337')
})

t.test('ethers WebSocketProvider.getNetwork()', async (t) => {
  const server = await start(t)
  const provider = new WebSocketProvider(server.wsUrl)
  const network = await provider.getNetwork()
  t.equal(network.chainId, 1337n)
  t.equal(await provider.send('web3_clientVersion', []), 'nfc/v0.1.0/test')
  await provider.destroy()
})
