/** `nfc node`'s admission flags: --rpc-max-inflight, --rpc-max-lag (0 turns each off), --rpc-ws-max-buffered. */
import t from 'tap'
import { parseRpcFlags } from '../../../src/cli/nodeCommand.js'

t.test('parsed into the server options', async (t) => {
  t.same(parseRpcFlags({ 'rpc-max-inflight': '64', 'rpc-max-lag': '100', 'rpc-ws-max-buffered': '4MiB' }), {
    maxInflight: 64,
    maxLagMs: 100,
    wsMaxBufferedBytes: 4 * 1024 * 1024,
  })
  t.same(parseRpcFlags({ 'rpc-max-inflight': '0', 'rpc-max-lag': '0' }), { maxInflight: 0, maxLagMs: 0 }, '0: off')
  t.same(parseRpcFlags({}), {}, 'absent: the defaults of rpc/config.ts')
})

t.test('bad values are usage errors', async (t) => {
  t.throws(() => parseRpcFlags({ 'rpc-max-inflight': '-1' }), { message: '--rpc-max-inflight wants a non-negative integer, got "-1"' })
  t.throws(() => parseRpcFlags({ 'rpc-max-lag': 'soon' }), { message: '--rpc-max-lag wants a non-negative integer, got "soon"' })
  t.throws(() => parseRpcFlags({ 'rpc-ws-max-buffered': '0' }), { message: /--rpc-ws-max-buffered wants a size in bytes/ })
})
