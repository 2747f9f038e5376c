import t from 'tap'
import { getAddress } from 'ethers'
import { Role } from '../../../src/consensus/dpos/store.js'
import { DEFAULT_FLOW_CONFIG } from '../../../src/consensus/povf/params.js'
import { NODE_REGISTRY_GAS } from '../../../src/execution/system/index.js'
import { addrOf, CFG, DAY, eventsOf, hexOf, NFC, NODE_REGISTRY, outcome, registryIface as R, systemEnv } from '../../helpers/systemVm.js'

const nodeOf = async (env: Awaited<ReturnType<typeof systemEnv>>, i: number) => {
  const r = await env.call(addrOf(9), NODE_REGISTRY, R.encodeFunctionData('nodeOf', [hexOf(i)]))
  if (outcome(r) !== 'ok') throw new Error(outcome(r))
  const [role, pledge, exitTime, withdrawn, withdrawable] = R.decodeFunctionResult('nodeOf', r.execResult.returnValue)
  return { role: Number(role), pledge: pledge as bigint, exitTime: exitTime as bigint, withdrawn: withdrawn as bigint, withdrawable: withdrawable as bigint }
}

t.test('pledge: first pledge needs the RN minimum, later pledges top up', async (t) => {
  const env = await systemEnv()
  const total0 = await env.total()
  const burned0 = env.burned
  const pledge = (i: number, role: number, value: bigint) => env.send(i, NODE_REGISTRY, R.encodeFunctionData('pledge', [role]), { value })

  t.equal(outcome(await pledge(1, 1, CFG.rnPledge - 1n)), 'revert: pledge below the RN minimum')
  t.equal(outcome(await pledge(1, 2, DEFAULT_FLOW_CONFIG.cnPledge - 1n)), 'revert: pledge below the CN minimum')
  t.equal(outcome(await pledge(1, 3, DEFAULT_FLOW_CONFIG.enPledge - 1n)), 'revert: pledge below the EN minimum')
  t.equal(outcome(await pledge(1, 0, CFG.rnPledge)), 'revert: unknown role')
  t.equal(outcome(await pledge(1, 4, CFG.rnPledge)), 'revert: unknown role')
  t.equal(outcome(await pledge(1, 1, 0n)), 'revert: pledge amount must be positive')
  t.equal(await env.balance(NODE_REGISTRY), 0n, 'reverted pledges left the NFC with the sender')

  const r = await pledge(1, 1, CFG.rnPledge)
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(R, r), [{ name: 'Pledged', args: [expectChecksum(hexOf(1)), 1n, CFG.rnPledge] }])
  t.equal(r.receipt.logs[0]![0].length, 20)
  t.equal(await env.balance(NODE_REGISTRY), CFG.rnPledge)
  t.equal(outcome(await pledge(1, 1, 5n)), 'ok', 'a top-up may be any amount')
  const n = await nodeOf(env, 1)
  t.same(n, { role: Role.RN, pledge: CFG.rnPledge + 5n, exitTime: 0n, withdrawn: 0n, withdrawable: 0n })
  t.same(await env.store.nodes.all(), [hexOf(1)])

  const rp = await env.call(addrOf(0), NODE_REGISTRY, R.encodeFunctionData('rnPledge'))
  t.equal(R.decodeFunctionResult('rnPledge', rp.execResult.returnValue)[0], CFG.rnPledge)
  t.equal(rp.execResult.executionGasUsed, NODE_REGISTRY_GAS.rnPledge)
  t.equal(await env.total(), total0 - (env.burned - burned0), 'Σ balances: only the burned base fee left')
})

t.test('exit and linear withdrawal of the pledge', async (t) => {
  const env = await systemEnv()
  const send = (i: number, name: 'exit' | 'withdrawPledge', value = 0n) => env.send(i, NODE_REGISTRY, R.encodeFunctionData(name), { value })
  t.equal(outcome(await send(2, 'exit')), 'revert: not a pledged node')
  t.equal(outcome(await send(2, 'withdrawPledge')), 'revert: not a pledged node')
  const amount = 1_200n * NFC
  t.equal(outcome(await env.send(2, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: amount })), 'ok')
  t.equal(outcome(await send(2, 'withdrawPledge')), 'revert: exit first: the pledge unlocks after exit')
  t.equal(outcome(await send(2, 'exit', 1n)), 'revert: function is not payable')

  const exitAt = env.timeMs
  const ex = await send(2, 'exit')
  t.equal(outcome(ex), 'ok')
  t.same(eventsOf(R, ex), [{ name: 'Exited', args: [expectChecksum(hexOf(2)), amount] }])
  t.equal(outcome(await send(2, 'exit')), 'revert: node has already exited')
  t.equal(
    outcome(await env.send(2, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })),
    'revert: node has exited: withdraw the whole pledge before pledging again',
  )
  t.equal(outcome(await send(2, 'withdrawPledge')), 'revert: nothing to withdraw yet')

  // a quarter of the unlock period later, a quarter is withdrawable
  env.advance(45n * DAY)
  const n = await nodeOf(env, 2)
  t.equal(n.exitTime, exitAt)
  t.equal(n.withdrawable, amount / 4n)
  const before = await env.balance(addrOf(2))
  const w = await send(2, 'withdrawPledge')
  t.equal(outcome(w), 'ok')
  t.same(eventsOf(R, w), [{ name: 'PledgeWithdrawn', args: [expectChecksum(hexOf(2)), amount / 4n] }])
  t.equal(await env.balance(addrOf(2)), before + amount / 4n - w.totalGasSpent * 10n ** 9n)
  t.equal(outcome(await send(2, 'withdrawPledge')), 'revert: nothing to withdraw yet', 'same time: nothing more')

  env.advance(1_000n * DAY)
  t.equal((await nodeOf(env, 2)).withdrawable, amount - amount / 4n)
  t.equal(outcome(await send(2, 'withdrawPledge')), 'ok')
  t.same(await nodeOf(env, 2), { role: 0, pledge: 0n, exitTime: 0n, withdrawn: 0n, withdrawable: 0n }, 'record cleared')
  t.same(await env.store.nodes.all(), [])
  t.equal(await env.balance(NODE_REGISTRY), 0n)
  t.equal(outcome(await env.send(2, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })), 'ok', 'may pledge again')
})

t.test('a slash after exit lowers what can be withdrawn; a fully slashed pledge clears', async (t) => {
  const env = await systemEnv()
  t.equal(outcome(await env.send(3, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: 1_000n * NFC })), 'ok')
  t.equal(outcome(await env.send(3, NODE_REGISTRY, R.encodeFunctionData('exit'))), 'ok')
  // the engine slashes 900 NFC after the exit (as penalizeViolation does)
  await env.store.putNode(hexOf(3), { pledge: 100n * NFC })
  await env.store.transfer(NODE_REGISTRY, addrOf(9), 900n * NFC)
  env.advance(90n * DAY)
  t.equal((await nodeOf(env, 3)).withdrawable, 100n * NFC, 'half unlocked (500) capped by what is left (100)')
  t.equal(outcome(await env.send(3, NODE_REGISTRY, R.encodeFunctionData('withdrawPledge'))), 'ok')
  t.equal((await nodeOf(env, 3)).role, 0)

  t.equal(outcome(await env.send(4, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: 1_000n * NFC })), 'ok')
  t.equal(outcome(await env.send(4, NODE_REGISTRY, R.encodeFunctionData('exit'))), 'ok')
  await env.store.putNode(hexOf(4), { pledge: 0n })
  await env.store.transfer(NODE_REGISTRY, addrOf(9), 1_000n * NFC)
  t.equal(outcome(await env.send(4, NODE_REGISTRY, R.encodeFunctionData('withdrawPledge'))), 'ok', 'nothing left: the record clears')
  t.equal((await nodeOf(env, 4)).role, 0)
})

/** ethers returns checksummed addresses in parsed logs */
function expectChecksum(a: string): string {
  return getAddress(a)
}
