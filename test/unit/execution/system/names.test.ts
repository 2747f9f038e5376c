/**
 * The Names system contract (src/execution/system/names.ts) on a real VM: register with a lock,
 * resolve, renew, transfer, setRecord, release, expiry and re-registration (the old lock back to
 * its old owner), and every refusal the brief names — invalid name, taken name, renew/transfer
 * by a non-owner, a lock too small, resolving an unknown or expired name. Σ balances hold.
 */
import t from 'tap'
import { getAddress, ZeroHash } from 'ethers'
import { lockFor, DEFAULT_NAMES_CONFIG } from '../../../../src/consensus/names/rules.js'
import { NAMES, NamesStore } from '../../../../src/consensus/names/store.js'
import { NAMES_GAS } from '../../../../src/execution/system/index.js'
import { addrOf, DAY, eventsOf, hexOf, NFC, namesIface as N, outcome, systemEnv, type SystemEnv } from '../../../helpers/systemVm.js'

const TERM = 30n * DAY
const LOCK = lockFor(DEFAULT_NAMES_CONFIG, TERM)
const NODE_ID = '0x' + '11'.repeat(32)

const register = (env: SystemEnv, from: number, name: string, value = LOCK, term = TERM, endpoint = 'ws://10.0.0.1:30303', nodeId = NODE_ID) =>
  env.send(from, NAMES, N.encodeFunctionData('register', [name, term, nodeId, endpoint]), { value })

async function resolve(env: SystemEnv, name: string): Promise<{ outcome: string; owner?: string; nodeId?: string; endpoint?: string; expiresAt?: bigint }> {
  const r = await env.call(addrOf(9), NAMES, N.encodeFunctionData('resolve', [name]))
  if (outcome(r) !== 'ok') return { outcome: outcome(r) }
  const [owner, nodeId, endpoint, expiresAt] = N.decodeFunctionResult('resolve', r.execResult.returnValue)
  return { outcome: 'ok', owner, nodeId, endpoint, expiresAt }
}

async function recordOf(env: SystemEnv, name: string) {
  const r = await env.call(addrOf(9), NAMES, N.encodeFunctionData('recordOf', [name]))
  const [owner, nodeId, endpoint, expiresAt, lock] = N.decodeFunctionResult('recordOf', r.execResult.returnValue)
  return { owner: owner as string, nodeId: nodeId as string, endpoint: endpoint as string, expiresAt: expiresAt as bigint, lock: lock as bigint }
}

t.test('register locks NFC for the term; resolve returns the record', async (t) => {
  const env = await systemEnv()
  const total0 = await env.total([NAMES])
  const bal1 = await env.balance(addrOf(1))
  const at = env.timeMs
  const r = await register(env, 1, 'relay-one')
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(N, r), [{ name: 'Registered', args: [getAddress(hexOf(1)), 'relay-one', at + TERM, LOCK] }])
  t.equal(await env.balance(NAMES), LOCK, 'the lock is held by the Names account')
  t.ok((await env.balance(addrOf(1))) <= bal1 - LOCK, 'and left the owner')
  t.same(await resolve(env, 'relay-one'), {
    outcome: 'ok',
    owner: getAddress(hexOf(1)),
    nodeId: NODE_ID,
    endpoint: 'ws://10.0.0.1:30303',
    expiresAt: at + TERM,
  })
  const acct = await env.sm.getAccount(NAMES)
  t.equal(acct?.nonce, 1n, 'the first write made Names a system account (nonce 1)')
  t.equal((await env.sm.getCode(NAMES)).length, 5, 'with the system code')
  t.same(await new NamesStore(env.sm).names(0n, 10n), ['relay-one'])
  const count = await env.call(addrOf(9), NAMES, N.encodeFunctionData('nameCount'))
  t.equal(N.decodeFunctionResult('nameCount', count.execResult.returnValue)[0], 1n)
  const lf = await env.call(addrOf(9), NAMES, N.encodeFunctionData('lockFor', [TERM]))
  t.equal(N.decodeFunctionResult('lockFor', lf.execResult.returnValue)[0], LOCK)
  t.equal(lf.execResult.executionGasUsed, NAMES_GAS.view)
  t.equal(await env.total([NAMES]), total0 - env.burned, 'Σ balances: only the burned base fee left')
})

t.test('bad input: invalid names, taken name, lock too small, bad terms, bad endpoint', async (t) => {
  const env = await systemEnv()
  t.equal(outcome(await register(env, 1, 'ab')), 'revert: invalid name: 2 characters; a name has 3 to 32')
  t.equal(outcome(await register(env, 1, 'Relay')), 'revert: invalid name: only lowercase a-z, 0-9 and - are allowed')
  t.equal(outcome(await register(env, 1, '-relay')), 'revert: invalid name: it cannot start or end with -')
  t.equal(outcome(await register(env, 1, 'x'.repeat(40))), 'revert: invalid name: 40 characters; a name has 3 to 32')
  t.equal(outcome(await register(env, 1, 'relay', LOCK - 1n)), `revert: lock too small: this term locks 8.219178082191780822 NFC`)
  t.equal(outcome(await register(env, 1, 'relay', LOCK, TERM - 1n)), `revert: term too short: at least ${TERM} ms`)
  t.equal(outcome(await register(env, 1, 'relay', 10_000n * NFC, 3651n * DAY)), `revert: term too long: a name expires at most ${3650n * DAY} ms ahead`)
  t.equal(outcome(await register(env, 1, 'relay', LOCK, TERM, 'ws://a b')), 'revert: invalid endpoint: printable ASCII without spaces only')
  t.equal(await env.balance(NAMES), 0n, 'nothing was locked by the refused calls')
  t.equal(outcome(await register(env, 1, 'relay')), 'ok')
  t.equal(outcome(await register(env, 2, 'relay')), 'revert: name is taken')
  t.equal(outcome(await register(env, 1, 'relay')), 'revert: name is already yours: renew it instead')
  t.same(await resolve(env, 'nobody'), { outcome: 'revert: unknown name' })
  t.same(await resolve(env, 'NO'), { outcome: 'revert: invalid name: 2 characters; a name has 3 to 32' })
})

t.test('renew, transfer, setRecord: the owner only, before expiry', async (t) => {
  const env = await systemEnv()
  t.equal(outcome(await register(env, 1, 'relay')), 'ok')
  const exp0 = (await recordOf(env, 'relay')).expiresAt
  const renew = (from: number, value = LOCK, term = TERM) => env.send(from, NAMES, N.encodeFunctionData('renew', ['relay', term]), { value })
  t.equal(outcome(await renew(2)), 'revert: not the owner of the name')
  t.equal(outcome(await renew(1, LOCK - 1n)), 'revert: lock too small: this term locks 8.219178082191780822 NFC')
  t.equal(outcome(await env.send(1, NAMES, N.encodeFunctionData('renew', ['other', TERM]), { value: LOCK })), 'revert: unknown name')
  const rn = await renew(1)
  t.equal(outcome(rn), 'ok')
  t.same(eventsOf(N, rn), [{ name: 'Renewed', args: [getAddress(hexOf(1)), 'relay', exp0 + TERM, 2n * LOCK] }])
  t.equal((await recordOf(env, 'relay')).lock, 2n * LOCK, 'the renewal lock joins the first')
  t.equal(await env.balance(NAMES), 2n * LOCK)

  const transfer = (from: number, to: string) => env.send(from, NAMES, N.encodeFunctionData('transfer', ['relay', to]))
  t.equal(outcome(await transfer(2, hexOf(2))), 'revert: not the owner of the name')
  t.equal(outcome(await transfer(1, '0x' + '00'.repeat(20))), 'revert: transfer to the zero address')
  t.equal(outcome(await env.send(1, NAMES, N.encodeFunctionData('transfer', ['relay', hexOf(2)]), { value: 1n })), 'revert: function is not payable')
  const tr = await transfer(1, hexOf(2))
  t.equal(outcome(tr), 'ok')
  t.same(eventsOf(N, tr), [{ name: 'NameTransferred', args: [getAddress(hexOf(1)), getAddress(hexOf(2)), 'relay'] }])
  t.equal((await resolve(env, 'relay')).owner, getAddress(hexOf(2)))
  t.equal(outcome(await renew(1)), 'revert: not the owner of the name', 'the old owner lost it')

  const setRecord = (from: number, endpoint: string) => env.send(from, NAMES, N.encodeFunctionData('setRecord', ['relay', ZeroHash, endpoint]))
  t.equal(outcome(await setRecord(1, 'ws://x')), 'revert: not the owner of the name')
  const long = 'ws://' + 'e'.repeat(251)
  const sr = await setRecord(2, long)
  t.equal(outcome(sr), 'ok')
  t.same(await resolve(env, 'relay'), { outcome: 'ok', owner: getAddress(hexOf(2)), nodeId: ZeroHash, endpoint: long, expiresAt: exp0 + TERM })
  t.equal(outcome(await setRecord(2, 'ws://short')), 'ok')
  t.equal((await recordOf(env, 'relay')).endpoint, 'ws://short', 'a shorter endpoint clears the longer one')
  t.equal(outcome(await setRecord(2, long + 'x')), 'revert: invalid endpoint: 257 characters; at most 256')
})

t.test('release returns the lock to the owner; the name is free again', async (t) => {
  const env = await systemEnv()
  t.equal(outcome(await register(env, 1, 'relay')), 'ok')
  t.equal(outcome(await register(env, 1, 'second', 2n * LOCK)), 'ok', 'a larger value is locked whole')
  t.equal(outcome(await env.send(2, NAMES, N.encodeFunctionData('release', ['relay']))), 'revert: not the owner of the name')
  t.equal(outcome(await env.send(2, NAMES, N.encodeFunctionData('release', ['nobody']))), 'revert: unknown name')
  const before = await env.balance(addrOf(1))
  const burned0 = env.burned
  const r = await env.send(1, NAMES, N.encodeFunctionData('release', ['relay']))
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(N, r), [{ name: 'LockReturned', args: [getAddress(hexOf(1)), 'relay', LOCK] }])
  t.equal(await env.balance(addrOf(1)), before + LOCK - (env.burned - burned0), 'the lock came back (less the fee)')
  t.equal(await env.balance(NAMES), 2n * LOCK, 'the other name still locks its value')
  t.same(await resolve(env, 'relay'), { outcome: 'revert: unknown name' })
  t.same(await new NamesStore(env.sm).names(0n, 10n), ['second'], 'the list lost the released name')
  t.equal(outcome(await register(env, 2, 'relay')), 'ok', 'anyone may register it again')
})

t.test('expiry: resolve refuses, the owner may release, a new registrant pays the old lock back', async (t) => {
  const env = await systemEnv()
  t.equal(outcome(await register(env, 1, 'relay')), 'ok')
  t.equal(outcome(await register(env, 1, 'other')), 'ok')
  env.advance(TERM)
  t.same(await resolve(env, 'relay'), { outcome: 'revert: name has expired' }, 'expired at its expiry ms')
  t.equal(outcome(await env.send(1, NAMES, N.encodeFunctionData('renew', ['relay', TERM]), { value: LOCK })), 'revert: name has expired: register it again')
  t.equal(outcome(await env.send(1, NAMES, N.encodeFunctionData('transfer', ['relay', hexOf(3)]))), 'revert: name has expired: register it again')

  // someone else registers it: the old owner gets its lock back in the same transaction
  const owner1 = await env.balance(addrOf(1))
  const r = await register(env, 2, 'relay')
  t.equal(outcome(r), 'ok')
  t.same(
    eventsOf(N, r).map((e) => e.name),
    ['LockReturned', 'Registered'],
  )
  t.equal(await env.balance(addrOf(1)), owner1 + LOCK, 'the old owner got its lock back')
  t.equal(await env.balance(NAMES), 2n * LOCK, "the new owner's lock and the other name's")
  t.equal((await resolve(env, 'relay')).owner, getAddress(hexOf(2)))

  // the owner of an expired name releases it himself
  const before = await env.balance(addrOf(1))
  const burned0 = env.burned
  t.equal(outcome(await env.send(1, NAMES, N.encodeFunctionData('release', ['other']))), 'ok')
  t.equal(await env.balance(addrOf(1)), before + LOCK - (env.burned - burned0))
  t.equal(await env.balance(NAMES), LOCK, 'Names holds exactly the live lock')
})
