/**
 * NodeRegistry roles (PoVF): CN and EN pledges with their own minimums, one role per node,
 * nodesByRole / minPledge, exits, and CN/EN staying out of DPoS candidacy.
 */
import t from 'tap'
import { getAddress } from 'ethers'
import { Role } from '../../../../src/consensus/dpos/store.js'
import { DEFAULT_FLOW_CONFIG } from '../../../../src/consensus/povf/params.js'
import { NODE_REGISTRY_GAS } from '../../../../src/execution/system/index.js'
import {
  addrOf,
  CFG,
  DAY,
  eventsOf,
  hexOf,
  NODE_REGISTRY,
  outcome,
  registryIface as R,
  STAKING,
  stakingIface as S,
  systemEnv,
  type SystemEnv,
} from '../../../helpers/systemVm.js'

const CN = DEFAULT_FLOW_CONFIG.cnPledge
const EN = DEFAULT_FLOW_CONFIG.enPledge
const pledge = (env: SystemEnv, i: number, role: number, value: bigint) => env.send(i, NODE_REGISTRY, R.encodeFunctionData('pledge', [role]), { value })

async function byRole(env: SystemEnv, role: number): Promise<string[]> {
  const r = await env.call(addrOf(9), NODE_REGISTRY, R.encodeFunctionData('nodesByRole', [role]))
  if (outcome(r) !== 'ok') throw new Error(outcome(r))
  return [...(R.decodeFunctionResult('nodesByRole', r.execResult.returnValue)[0] as string[])].map((a) => a.toLowerCase()).sort()
}

t.test('minPledge per role', async (t) => {
  const env = await systemEnv()
  for (const [role, want] of [
    [1, CFG.rnPledge],
    [2, CN],
    [3, EN],
  ] as const) {
    const r = await env.call(addrOf(0), NODE_REGISTRY, R.encodeFunctionData('minPledge', [role]))
    t.equal(R.decodeFunctionResult('minPledge', r.execResult.returnValue)[0], want, `role ${role}`)
    t.equal(r.execResult.executionGasUsed, NODE_REGISTRY_GAS.minPledge)
  }
  for (const role of [0, 4, 255]) {
    t.equal(outcome(await env.call(addrOf(0), NODE_REGISTRY, R.encodeFunctionData('minPledge', [role]))), 'revert: unknown role')
    t.equal(outcome(await env.call(addrOf(0), NODE_REGISTRY, R.encodeFunctionData('nodesByRole', [role]))), 'revert: unknown role')
  }
})

t.test('CN and EN pledge with their own minimum; one role per node', async (t) => {
  const env = await systemEnv()
  const total0 = (await env.total()) + env.burned
  t.equal(outcome(await pledge(env, 1, Role.CN, CN - 1n)), 'revert: pledge below the CN minimum')
  t.equal(outcome(await pledge(env, 2, Role.EN, EN - 1n)), 'revert: pledge below the EN minimum')
  const r = await pledge(env, 1, Role.CN, CN)
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(R, r), [{ name: 'Pledged', args: [getAddress(hexOf(1)), 2n, CN] }])
  t.equal(outcome(await pledge(env, 2, Role.EN, EN)), 'ok')
  t.equal(outcome(await pledge(env, 3, Role.RN, CFG.rnPledge)), 'ok')
  t.equal(outcome(await pledge(env, 1, Role.CN, 1n)), 'ok', 'a CN tops up')
  t.equal(outcome(await pledge(env, 1, Role.RN, CFG.rnPledge)), 'revert: already pledged in another role')
  t.equal(outcome(await pledge(env, 2, Role.CN, CN)), 'revert: already pledged in another role')
  t.same(await env.store.getNode(hexOf(1)), { role: Role.CN, pledge: CN + 1n, exitTime: 0n, pledgeAtExit: 0n, withdrawn: 0n })
  t.equal(await env.balance(NODE_REGISTRY), CN + 1n + EN + CFG.rnPledge, 'NodeRegistry holds every pledge')
  t.equal((await env.total()) + env.burned, total0, 'Σ balances unchanged but for the gas burned')

  t.same(await byRole(env, Role.RN), [hexOf(3)])
  t.same(await byRole(env, Role.CN), [hexOf(1)])
  t.same(await byRole(env, Role.EN), [hexOf(2)])
  const g = await env.call(addrOf(9), NODE_REGISTRY, R.encodeFunctionData('nodesByRole', [Role.CN]))
  t.equal(g.execResult.executionGasUsed, NODE_REGISTRY_GAS.nodesByRole + 3n * NODE_REGISTRY_GAS.perNode, 'charged per listed node')

  // DPoS candidacy stays RN-only
  t.equal(
    outcome(await env.send(1, STAKING, S.encodeFunctionData('registerCandidate', [0, '']))),
    'revert: only a pledged RN can register: pledge(1) on NodeRegistry first',
  )
  t.equal(await env.store.isActiveRN(hexOf(1), 0n), false, 'a CN is never an active RN')
  t.equal(await env.store.isActiveRN(hexOf(3), CFG.rnPledge), true)

  // exit: the node leaves nodesByRole at once; its pledge unlocks linearly as before
  t.equal(outcome(await env.send(1, NODE_REGISTRY, R.encodeFunctionData('exit'))), 'ok')
  t.same(await byRole(env, Role.CN), [], 'an exited CN is not listed')
  env.advance(90n * DAY)
  const w = await env.send(1, NODE_REGISTRY, R.encodeFunctionData('withdrawPledge'))
  t.equal(outcome(w), 'ok')
  t.same(eventsOf(R, w), [{ name: 'PledgeWithdrawn', args: [getAddress(hexOf(1)), (CN + 1n) / 2n] }], 'half after half the unlock period')
  env.advance(90n * DAY)
  t.equal(outcome(await env.send(1, NODE_REGISTRY, R.encodeFunctionData('withdrawPledge'))), 'ok')
  t.equal((await env.store.getNode(hexOf(1))).role, Role.None, 'record cleared')
  t.equal(outcome(await pledge(env, 1, Role.EN, EN)), 'ok', 'then it may pledge again in another role')
  t.same(await byRole(env, Role.EN), [hexOf(1), hexOf(2)].sort())
})
