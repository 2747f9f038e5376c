import t from 'tap'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Interface, getCreateAddress } from 'ethers'
import { call, estimateGas, revertError, type CallEnv, type CallRequest } from '../../../src/execution/call.js'
import { NfcError } from '../../../src/util/errors.js'
import { devAddress, probeContract } from '../../helpers/inProcessNode.js'
import { probeCallEnv } from '../../helpers/probeCallEnv.js'

const probe = probeContract()
const iface = new Interface(probe.abi as never)
const enc = (fn: string, args: unknown[] = []) => hexToBytes(iface.encodeFunctionData(fn, args) as `0x${string}`)
const CONTRACT = hexToBytes(getCreateAddress({ from: devAddress(1), nonce: 0 }) as `0x${string}`)
const ACCT2 = hexToBytes(devAddress(2) as `0x${string}`)

const setup = probeCallEnv

async function callError(p: Promise<unknown>): Promise<NfcError> {
  try {
    await p
  } catch (e) {
    return e as NfcError
  }
  throw new Error('expected a rejection')
}

async function succeeds(env: CallEnv, req: CallRequest, gas: bigint): Promise<boolean> {
  try {
    await call(env, { ...req, gas })
    return true
  } catch {
    return false
  }
}

t.test('eth_call returns data and leaves no trace', async (t) => {
  const { env, ws } = await setup(t)
  const pending = ws.store.pendingCount
  t.equal(bytesToHex(await call(env, { to: CONTRACT, data: enc('get') })), '0x' + '2a'.padStart(64, '0'))
  // a state-changing call is simulated and thrown away
  t.equal(bytesToHex(await call(env, { to: CONTRACT, data: enc('store', [9n]) })), '0x')
  t.equal(bytesToHex(await call(env, { to: CONTRACT, data: enc('get') })), '0x' + '2a'.padStart(64, '0'), 'state unchanged')
  t.equal(ws.store.pendingCount, pending, 'no trie node reached the live store')
  // an impersonated, empty sender may send value (no balance or nonce checks, as geth)
  const empty = hexToBytes('0x000000000000000000000000000000000000dead')
  t.equal(bytesToHex(await call(env, { from: empty, to: ACCT2, value: 10n ** 30n })), '0x')
  // a call without `to` runs init code and returns the runtime code
  const runtime = await call(env, { data: probe.bytecode })
  t.ok(runtime.length > 100)
  t.equal(bytesToHex(await (await env.freshState()).getCode(new Address(CONTRACT))), bytesToHex(runtime), 'creation returns the deployed code')
})

t.test('revert reasons', async (t) => {
  const { env } = await setup(t)
  const e = await callError(call(env, { to: CONTRACT, data: enc('fail', ['too late']) }))
  t.equal(e.code, 'EXEC_REVERTED')
  t.equal(e.message, 'execution reverted: too late')
  t.equal(e.meta.data, new Interface(['error Error(string)']).encodeErrorResult('Error', ['too late']))

  const bare = await callError(call(env, { to: CONTRACT, data: enc('failBare') }))
  t.equal(bare.code, 'EXEC_REVERTED')
  t.equal(bare.message, 'execution reverted')
  t.equal(bare.meta.data, '0x')

  // unicode reason, empty reason
  const u = await callError(call(env, { to: CONTRACT, data: enc('fail', ['naïve ✓']) }))
  t.equal(u.message, 'execution reverted: naïve ✓')
  const empty = await callError(call(env, { to: CONTRACT, data: enc('fail', ['']) }))
  t.equal(empty.message, 'execution reverted: ')

  // revertError on malformed Error(string) payloads: no reason, the data kept, never a throw
  const sel = [0x08, 0xc3, 0x79, 0xa0]
  const cases: Uint8Array[] = [
    Uint8Array.of(...sel),
    Uint8Array.of(...sel, ...new Uint8Array(31), 0x20),
    Uint8Array.of(...sel, ...new Uint8Array(31), 0xff, ...new Uint8Array(31), 0x01, 0x41), // offset past the end
    Uint8Array.of(...sel, ...new Uint8Array(31), 0x20, ...new Uint8Array(31), 0x40, 0x41), // length past the end
    Uint8Array.of(0xde, 0xad, 0xbe, 0xef, ...new Uint8Array(64)), // custom error
  ]
  for (const data of cases) {
    const err = revertError(data)
    t.equal(err.message, 'execution reverted', bytesToHex(data).slice(0, 20))
    t.equal(err.meta.data, bytesToHex(data))
  }
})

t.test('out of gas and refused calls are EXEC_CALL_FAILED', async (t) => {
  const { env } = await setup(t)
  const oog = await callError(call(env, { to: CONTRACT, data: enc('spin'), gas: 100_000n }))
  t.equal(oog.code, 'EXEC_CALL_FAILED')
  t.match(oog.message, /out of gas/)
  const low = await callError(call(env, { to: ACCT2, gas: 20_000n }))
  t.equal(low.code, 'EXEC_CALL_FAILED', 'gas below the intrinsic 21000')
  t.notMatch(low.message, / -> /, 'no ethereumjs debug tail in the message')
  const cheap = await callError(call(env, { to: ACCT2, gasPrice: 1n }))
  t.equal(cheap.code, 'EXEC_CALL_FAILED', 'a price below the base fee')
  const tip = await callError(call(env, { to: ACCT2, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }))
  t.equal(tip.code, 'EXEC_CALL_FAILED', 'a tip above the fee cap')
  t.equal(tip.message, 'maxFeePerGas (1) < maxPriorityFeePerGas (2)')
  const tipEst = await callError(estimateGas(env, { to: ACCT2, maxFeePerGas: 1_000_000_000n, maxPriorityFeePerGas: 1_000_000_001n }))
  t.equal(tipEst.code, 'EXEC_CALL_FAILED')
})

t.test('estimateGas: plain transfer, within 1.5% of the minimum, errors', async (t) => {
  const { env } = await setup(t)
  t.equal(await estimateGas(env, { from: hexToBytes(devAddress(3) as `0x${string}`), to: ACCT2, value: 1n }), 21_000n)
  t.equal(await estimateGas(env, { to: ACCT2 }), 21_000n, 'no from, no value')

  for (const [name, req] of [
    ['fill(6): six fresh storage slots', { to: CONTRACT, data: enc('fill', [6n]) }],
    ['store(7): storage and logs', { to: CONTRACT, data: enc('store', [7n]) }],
    ['contract creation', { data: probe.bytecode }],
  ] as [string, CallRequest][]) {
    const est = await estimateGas(env, req)
    t.ok(await succeeds(env, req, est), `${name}: the estimate ${est} succeeds`)
    t.notOk(await succeeds(env, req, (est * 98n) / 100n), `${name}: 98% of the estimate fails`)
    // the true minimum, by exact bisection
    let lo = 21_000n
    let hi = est
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n
      if (await succeeds(env, req, mid)) hi = mid
      else lo = mid
    }
    t.ok(est >= hi && est * 1000n <= hi * 1015n, `${name}: estimate ${est} within 1.5% above the minimum ${hi}`)
  }

  const rev = await callError(estimateGas(env, { to: CONTRACT, data: enc('fail', ['nope']) }))
  t.equal(rev.code, 'EXEC_REVERTED')
  t.equal(rev.message, 'execution reverted: nope')
  const spin = await callError(estimateGas(env, { to: CONTRACT, data: enc('spin'), gas: 200_000n }))
  t.equal(spin.code, 'EXEC_GAS_REQUIRED_EXCEEDS_ALLOWANCE')
  t.match(spin.message, /gas required exceeds allowance \(200000\)/)
  const capped = await callError(estimateGas(env, { to: CONTRACT, data: enc('fill', [6n]), gas: 50_000n }))
  t.equal(capped.code, 'EXEC_GAS_REQUIRED_EXCEEDS_ALLOWANCE', 'a cap below the need')
})
