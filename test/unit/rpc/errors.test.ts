import t from 'tap'
import { InvalidParamsError, RpcErrorCode, rpcError, toJsonRpcError } from '../../../rpc/errors.js'
import { prunedStateError } from '../../../src/state/errors.js'
import { NfcError } from '../../../src/util/errors.js'
import { recordingLogger } from './fixtures/rpcServer.js'

t.test('the code table', async (t) => {
  const log = recordingLogger()
  const map = (e: unknown) => toJsonRpcError(e, log)
  t.same(map(new InvalidParamsError('invalid argument 0: x')), { code: -32602, message: 'invalid argument 0: x' })
  t.same(map(rpcError(RpcErrorCode.MethodNotFound, 'the method a_b does not exist/is not available')), {
    code: -32601,
    message: 'the method a_b does not exist/is not available',
  })
  t.same(map(rpcError(RpcErrorCode.InvalidRequest, 'invalid request')), { code: -32600, message: 'invalid request' })
  t.same(map(rpcError(RpcErrorCode.ParseError, 'parse error')), { code: -32700, message: 'parse error' })
  t.same(map(new NfcError('EXEC_REVERTED', 'execution reverted: nope', { data: '0xdead' })), {
    code: 3,
    message: 'execution reverted: nope',
    data: '0xdead',
  })
  t.same(map(new NfcError('EXEC_REVERTED', 'execution reverted', { data: '0x' })), { code: 3, message: 'execution reverted', data: '0x' })
  for (const code of ['TX_NONCE_TOO_LOW', 'TXPOOL_UNDERPRICED', 'EXEC_OUT_OF_GAS', 'CHAIN_HEADER_NOT_FOUND', 'STATE_MISSING']) {
    t.same(map(new NfcError(code, 'msg ' + code)), { code: -32000, message: 'msg ' + code }, code)
  }
  // a full pool: geth's words, with the code clients retry on
  t.same(map(new NfcError('TXPOOL_FULL', 'txpool is full', { limit: 'globalSlots', value: 5120 })), {
    code: -32005,
    message: 'txpool is full',
    data: { reason: 'retry later', limit: 'globalSlots', value: 5120 },
  })
  t.same(map(rpcError(RpcErrorCode.Limit, 'query returned more than 10000 results')), {
    code: -32005,
    message: 'query returned more than 10000 results',
  })
  t.same(map(rpcError(RpcErrorCode.Limit, '')), { code: -32005, message: 'limit exceeded' })
  t.same(map(new NfcError('P2P_WHATEVER', 'other')), { code: -32000, message: 'other' })
  t.same(map(prunedStateError(3n, 200n)), {
    code: -32000,
    message: 'historical state unavailable (pruned): block 3 is older than the oldest state kept (block 200); run with --archive',
  })
  t.same(map(new NfcError('toString', 'prototype names are not codes')), { code: -32000, message: 'prototype names are not codes' })
  t.type(rpcError(RpcErrorCode.InvalidParams, 'x'), InvalidParamsError)
  t.equal(log.errors.length, 0, 'domain errors are not logged as internal')
})

t.test('unexpected exceptions are -32603, logged once with the stack, not leaked', async (t) => {
  const log = recordingLogger()
  const e = new Error('secret detail')
  t.same(toJsonRpcError(e, log, { method: 'x_y' }), { code: -32603, message: 'internal error' })
  t.equal(log.errors.length, 1)
  t.equal(log.errors[0]!.fields!.method, 'x_y')
  t.match(String(log.errors[0]!.fields!.stack), /secret detail/)
  t.same(toJsonRpcError('a string', log), { code: -32603, message: 'internal error' })
  t.equal(log.errors.length, 2)
})
