import t from 'tap'
import { createDispatcher } from '../../../rpc/jsonrpc.js'
import { silentLogger } from '../../../src/util/logger.js'
import { limits, node, recordingLogger, revertData, testMethods } from './fixtures/rpcServer.js'

function setup(opts: { maxBatch?: number; maxResponseBytes?: number } = {}) {
  const logger = recordingLogger()
  const { methods } = testMethods()
  const d = createDispatcher({ methods, logger, ...opts })
  const ctx = { node, logger: silentLogger, limits }
  const send = async (body: unknown) => {
    const out = await d.handleText(typeof body === 'string' ? body : JSON.stringify(body), ctx)
    return out === undefined ? undefined : JSON.parse(out)
  }
  return { send, logger }
}
const req = (method: string, params?: unknown, id: unknown = 1) => ({ jsonrpc: '2.0', id, method, params })
const err = (id: unknown, code: number, message: string) => ({ jsonrpc: '2.0', id, error: { code, message } })

t.test('a call and its result', async (t) => {
  const { send } = setup()
  t.same(await send(req('eth_chainId')), { jsonrpc: '2.0', id: 1, result: '0x539' })
  t.same(await send({ jsonrpc: '2.0', id: 'abc', method: 'net_version' }), { jsonrpc: '2.0', id: 'abc', result: '1337' })
  t.same(await send(req('eth_chainId', null, null)), { jsonrpc: '2.0', id: null, result: '0x539' }, 'null id, null params')
  t.same(await send(req('test_undefined')), { jsonrpc: '2.0', id: 1, result: null }, 'undefined → null')
})

t.test('parse errors', async (t) => {
  const { send } = setup()
  const parseError = err(null, -32700, 'parse error')
  t.same(await send('{"jsonrpc":"2.0","id":1,"meth'), parseError, 'truncated')
  t.same(await send('\u0000\u00ff\ufffdgarbage'), parseError, 'garbage')
  t.same(await send(''), parseError, 'empty')
  t.same(await send('   '), parseError, 'whitespace')
})

t.test('invalid request shapes', async (t) => {
  const { send } = setup()
  t.same(await send({ jsonrpc: '1.0', id: 1, method: 'eth_chainId' }), err(1, -32600, 'invalid request: jsonrpc must be "2.0"'))
  t.same(await send({ id: 1, method: 'eth_chainId' }), err(1, -32600, 'invalid request: jsonrpc must be "2.0"'))
  t.same(await send({ jsonrpc: '2.0', id: 2 }), err(2, -32600, 'invalid request: method must be a non-empty string'))
  t.same(await send({ jsonrpc: '2.0', id: 2, method: 5 }), err(2, -32600, 'invalid request: method must be a non-empty string'))
  t.same(await send({ jsonrpc: '2.0', id: { a: 1 }, method: 'eth_chainId' }), err(null, -32600, 'invalid request: id must be a string, number or null'))
  t.same(await send({ jsonrpc: '2.0', id: [1], method: 'eth_chainId' }), err(null, -32600, 'invalid request: id must be a string, number or null'))
  t.same(await send(5), err(null, -32600, 'invalid request: not an object'))
  t.same(await send('"str"'), err(null, -32600, 'invalid request: not an object'))
  t.same(await send(req('eth_chainId', { a: 1 })), err(1, -32602, 'non-array args'), 'by-name params')
  t.same(await send(req('eth_chainId', 'x')), err(1, -32602, 'non-array args'))
  t.same(await send(req('eth_nope', { a: 1 })), err(1, -32601, 'the method eth_nope does not exist/is not available'), 'method looked up first, as geth')
  t.same(await send({ jsonrpc: '2.0', method: 5 }), err(null, -32600, 'invalid request: method must be a non-empty string'), 'bad notification still answered')
})

t.test('unknown methods, params errors and handler errors', async (t) => {
  const { send, logger } = setup()
  t.same(await send(req('eth_nope')), err(1, -32601, 'the method eth_nope does not exist/is not available'))
  t.same(await send(req('constructor')), err(1, -32601, 'the method constructor does not exist/is not available'))
  t.same(await send(req('test_echo', ['0x01'])), err(1, -32602, 'invalid argument 0: hex number with leading zero digits'))
  t.same(await send(req('test_echo', [])), err(1, -32602, 'missing value for required argument 0'))
  t.same(await send(req('test_echo', ['0x1', 'latest', 1])), err(1, -32602, 'too many arguments, want at most 2'))
  t.same(await send(req('test_echo', ['0x1', 'newest'])), err(1, -32602, 'invalid argument 1: hex string without 0x prefix'))
  t.same(
    await send(req('test_echo', ['0x1', { blockHash: '0x' + '00'.repeat(32), blockNumber: '0x1' }])),
    err(1, -32602, 'invalid argument 1: cannot specify both BlockHash and BlockNumber, choose one or the other'),
  )
  t.same(await send(req('test_echo', ['0xff', { blockNumber: 'safe' }])), { jsonrpc: '2.0', id: 1, result: { n: '0xff', block: 'safe' } })

  t.same(await send(req('test_throw')), err(1, -32603, 'internal error'))
  t.same(await send(req('test_throwAsync')), err(1, -32603, 'internal error'))
  t.equal(logger.errors.length, 2, 'each logged once')
  t.match(String(logger.errors[0]!.fields!.stack), /secret internal detail/)
  t.same(await send(req('test_bigint')), err(1, -32603, 'internal error'), 'unserialisable result')
  t.same(await send(req('test_revert')), { jsonrpc: '2.0', id: 1, error: { code: 3, message: 'execution reverted: nope', data: revertData } })
  t.same(await send(req('test_nonce')), err(1, -32000, 'nonce too low: address 0xab, tx: 1 state: 2'))
})

t.test('notifications', async (t) => {
  const { send } = setup()
  t.equal(await send({ jsonrpc: '2.0', method: 'eth_chainId' }), undefined)
  t.equal(await send({ jsonrpc: '2.0', method: 'eth_nope' }), undefined, 'unknown method notification: silent')
  t.equal(await send({ jsonrpc: '2.0', method: 'test_throw' }), undefined)
  t.equal(await send({ jsonrpc: '2.0', method: 'eth_chainId', params: { a: 1 } }), undefined, 'bad params notification: silent')
})

t.test('batches', async (t) => {
  const { send } = setup({ maxBatch: 5 })
  t.same(
    await send([
      req('eth_chainId', [], 1),
      { jsonrpc: '2.0', method: 'eth_chainId' },
      req('eth_nope', [], 'b'),
      7,
      req('test_echo', ['0x'], 3),
      req('net_version', [], 4),
    ]),
    [err(1, -32600, 'batch too large')],
    'over maxBatch: one error in an array, with the first call id (as geth)',
  )
  t.same(await send([{ jsonrpc: '2.0', method: 'x' }, ...Array(5).fill(5)]), [err(null, -32600, 'batch too large')], 'no call: id null')
  t.same(await send([]), err(null, -32600, 'invalid request: empty batch'), 'empty batch → single error object')
  t.same(
    await send([req('eth_chainId', [], 1), { jsonrpc: '2.0', method: 'eth_chainId' }, req('eth_nope', [], 'b'), 7, req('test_echo', ['0x'], 3)]),
    [
      { jsonrpc: '2.0', id: 1, result: '0x539' },
      err('b', -32601, 'the method eth_nope does not exist/is not available'),
      err(null, -32600, 'invalid request: not an object'),
      err(3, -32602, 'invalid argument 0: hex string "0x"'),
    ],
    'mixed: order kept, notification omitted',
  )
  t.equal(
    await send([
      { jsonrpc: '2.0', method: 'eth_chainId' },
      { jsonrpc: '2.0', method: 'net_version' },
    ]),
    undefined,
    'all notifications → nothing',
  )
  t.same(await send([[]]), [err(null, -32600, 'invalid request: not an object')], 'nested batch is not a request')
  t.same(await send([req('test_throw', [], 1), req('eth_chainId', [], 2)]), [err(1, -32603, 'internal error'), { jsonrpc: '2.0', id: 2, result: '0x539' }])
})

t.test('batch calls run in order, one after another', async (t) => {
  const order: string[] = []
  const { methods } = testMethods()
  const { defineMethod } = await import('../../../rpc/params.js')
  // t_a sleeps on purpose: a call still running after several turns of the loop, which t_b must not overtake
  methods.set(
    't_a',
    defineMethod('t_a', [], async () => {
      order.push('a start')
      await new Promise((r) => setTimeout(r, 5))
      order.push('a end')
    }),
  )
  methods.set(
    't_b',
    defineMethod('t_b', [], () => {
      order.push('b')
    }),
  )
  const d = createDispatcher({ methods, logger: silentLogger })
  await d.handleText(JSON.stringify([req('t_a', [], 1), req('t_b', [], 2)]), { node, logger: silentLogger, limits })
  t.same(order, ['a start', 'a end', 'b'])
})

t.test('response size limit', async (t) => {
  const { send } = setup({ maxResponseBytes: 1000 })
  t.same(await send(req('test_big', ['0x64'])), { jsonrpc: '2.0', id: 1, result: 'x'.repeat(100) })
  t.same(await send(req('test_big', ['0x7d0'])), err(1, -32003, 'response too large'))
  t.same(await send([req('test_big', ['0x190'], 1), req('test_big', ['0x190'], 2), req('test_big', ['0x190'], 3), req('eth_chainId', [], 4)]), [
    { jsonrpc: '2.0', id: 1, result: 'x'.repeat(400) },
    { jsonrpc: '2.0', id: 2, result: 'x'.repeat(400) },
    err(3, -32003, 'response too large'),
    err(4, -32003, 'response too large'),
  ])
})

t.test('deeply nested JSON does not overflow the stack', async (t) => {
  const { send } = setup()
  const depth = 1 << 19
  const nested = '['.repeat(depth) + ']'.repeat(depth)
  t.same(await send(nested), [err(null, -32600, 'invalid request: not an object')])
  t.same(
    await send(`{"jsonrpc":"2.0","id":1,"method":"test_echo","params":[${nested}]}`),
    err(1, -32602, 'invalid argument 0: cannot unmarshal non-string into quantity'),
  )
  const objs = '{"a":'.repeat(depth / 2) + '1' + '}'.repeat(depth / 2)
  t.same(
    await send(`{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["0x1",${objs}]}`),
    err(1, -32602, 'invalid argument 1: neither blockHash nor blockNumber specified'),
  )
  t.same(await send('['.repeat(depth)), err(null, -32700, 'parse error'))
})
