import t from 'tap'
import { basicMethods, buildMethods } from '../../../rpc/methods.js'
import { defineMethod } from '../../../rpc/params.js'
import { limits, node } from './fixtures/rpcServer.js'
import { silentLogger } from '../../../src/util/logger.js'

t.test('buildMethods maps names and rejects duplicates', async (t) => {
  const m = buildMethods(basicMethods)
  t.same([...m.keys()].sort(), ['eth_chainId', 'net_version', 'web3_clientVersion'])
  t.throws(() => buildMethods([...basicMethods, defineMethod('eth_chainId', [], () => 1)]), /duplicate RPC method eth_chainId/)
})

t.test('the three NodeInfo methods', async (t) => {
  const m = buildMethods(basicMethods)
  const ctx = { node, logger: silentLogger, limits }
  const run = (name: string) => {
    const method = m.get(name)!
    return method.handler(method.params([]), ctx)
  }
  t.equal(await run('eth_chainId'), '0x539')
  t.equal(await run('net_version'), '1337')
  t.equal(await run('web3_clientVersion'), 'nfc/v0.1.0/test')
  t.throws(() => m.get('eth_chainId')!.params([1]), { message: 'too many arguments, want at most 0' })
})
