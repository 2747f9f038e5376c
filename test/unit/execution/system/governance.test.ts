/**
 * The Governance system contract (0x…1006) and its per-block execution on a real VM: proposals
 * and votes by real Staking positions, every refusal with its reason, the timelock and the cycle
 * boundary, parameter overrides read through governedConfig (NodeRegistry's minimum pledge and
 * the flow engine's committee follow them), grants from the shared pool.
 */
import t from 'tap'
import { Interface } from 'ethers'
import type { BlockInfo } from '../../../../src/consensus/dpos/engine.js'
import { GOVERNANCE, GovStore, ProposalStatus } from '../../../../src/consensus/gov/store.js'
import { govBeginBlock, passes } from '../../../../src/consensus/gov/engine.js'
import { governedConfig, paramRefusal } from '../../../../src/consensus/gov/params.js'
import { readParams } from '../../../../src/consensus/gov/views.js'
import { flowBeginBlock } from '../../../../src/consensus/povf/engine.js'
import { DEFAULT_FLOW_CONFIG } from '../../../../src/consensus/povf/params.js'
import { FlowStore } from '../../../../src/consensus/povf/store.js'
import {
  abiJson,
  addrOf,
  CFG,
  eventsOf,
  hexOf,
  NFC,
  NODE_REGISTRY,
  outcome,
  registryIface as R,
  SHARED_POOL,
  STAKING,
  stakingIface as S,
  systemEnv,
  type SystemEnv,
} from '../../../helpers/systemVm.js'
import { checkpointData, CONSUMER, cycleStart, devIndex, entryOf, FLOW_REWARDS, flowEnv, receipt } from './flowEnv.js'

const G = new Interface(abiJson('IGovernance') as never)
const gov = DEFAULT_FLOW_CONFIG.gov
const CN = 2
const EN = 3

/** dev account `c` a registered candidate; stakers 1 and 2 vote 600 and 400 NFC for it. */
async function stakedEnv(): Promise<SystemEnv> {
  const env = await systemEnv()
  const c = 9
  if (outcome(await env.send(c, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })) !== 'ok') throw new Error('pledge')
  if (outcome(await env.send(c, STAKING, S.encodeFunctionData('registerCandidate', [0, 'x']))) !== 'ok') throw new Error('register')
  for (const [i, nfc] of [
    [1, 600n],
    [2, 400n],
  ] as const) {
    const r = await env.send(i, STAKING, S.encodeFunctionData('vote', [hexOf(c), nfc * NFC]), { value: nfc * NFC })
    if (outcome(r) !== 'ok') throw new Error(`vote: ${outcome(r)}`)
  }
  return env
}

/** The next block at `env`'s time, its parent one block interval earlier. */
function infoAt(env: SystemEnv, parentTimestamp = env.timeMs - CFG.intervalMs): BlockInfo {
  return { number: env.number, timestamp: env.timeMs, producer: hexOf(0), parentHash: new Uint8Array(32), parentTimestamp, confirmations: [] }
}

/** Moves `env` to the first block of the flow cycle after `ms` from now. */
function toBoundaryAfter(env: SystemEnv, ms: bigint): BlockInfo {
  const cycleMs = DEFAULT_FLOW_CONFIG.cycleMs
  const target = env.timeMs + ms
  const next = ((target - CFG.genesisTime) / cycleMs + 1n) * cycleMs + CFG.genesisTime
  env.timeMs = next
  return infoAt(env)
}

const propose = (env: SystemEnv, from: number, name: string, value: bigint) => env.send(from, GOVERNANCE, G.encodeFunctionData('proposeParam', [name, value]))
const vote = (env: SystemEnv, from: number, id: bigint, yes: boolean) => env.send(from, GOVERNANCE, G.encodeFunctionData('vote', [id, yes]))

async function view(env: SystemEnv, fn: string, args: unknown[]): Promise<unknown[]> {
  const r = await env.call(addrOf(0), GOVERNANCE, G.encodeFunctionData(fn, args))
  if (outcome({ execResult: r.execResult } as never) !== 'ok') throw new Error(`${fn}: ${outcome({ execResult: r.execResult } as never)}`)
  return [...G.decodeFunctionResult(fn, r.execResult.returnValue)]
}

t.test('passing: quorum of the stake at the proposal, majority strictly above', async (t) => {
  const rules = { quorumBps: 2_000n, majorityBps: 5_000n }
  t.equal(passes({ yes: 0n, no: 0n, stake: 1000n }, rules), false, 'no votes never pass')
  t.equal(passes({ yes: 199n, no: 0n, stake: 1000n }, rules), false, 'below the quorum')
  t.equal(passes({ yes: 200n, no: 0n, stake: 1000n }, rules), true, 'at the quorum, all yes')
  t.equal(passes({ yes: 150n, no: 150n, stake: 1000n }, rules), false, 'a tie is not a majority')
  t.equal(passes({ yes: 151n, no: 150n, stake: 1000n }, rules), true, 'one wei above half')
})

t.test('bad proposals are refused with their reason', async (t) => {
  const env = await stakedEnv()
  t.equal(outcome(await propose(env, 3, 'fuelPricePerGb', 2n * 10n ** 16n)), 'revert: Governance: only stakers propose (no NFC staked in Staking)')
  t.match(
    outcome(await propose(env, 1, 'blockGasLimit', 1n)),
    /^revert: Governance: unknown parameter "blockGasLimit" \(governable: fuelPricePerGb, flowCapFactorBps/,
  )
  t.equal(
    outcome(await propose(env, 1, 'fuelPricePerGb', 10n ** 17n + 1n)),
    `revert: Governance: fuelPricePerGb must be between ${10n ** 15n} and ${10n ** 17n} (genesis ${10n ** 16n} ÷/× 10), got ${10n ** 17n + 1n}`,
  )
  t.match(outcome(await propose(env, 1, 'enPledge', 99n * NFC)), /must be between 100000000000000000000 and/, 'below genesis ÷ 10')
  t.equal(paramRefusal('nfcPriceNb', 0n, CFG), `nfcPriceNb must be between ${10n ** 16n} and ${10n ** 18n} (genesis ${10n ** 17n} ÷/× 10), got 0`)
  t.equal(
    outcome(await env.send(1, GOVERNANCE, G.encodeFunctionData('proposeGrant', [hexOf(5), 1n]))),
    'revert: Governance: grant of 0.000000000000000001 NFC exceeds the shared pool (0 NFC)',
  )
  t.equal(outcome(await env.send(1, GOVERNANCE, G.encodeFunctionData('proposeGrant', [hexOf(5), 0n]))), 'revert: Governance: grant of 0')
  t.equal(outcome(await env.send(1, GOVERNANCE, G.encodeFunctionData('vote', [0n, true]))), 'revert: Governance: no proposal 0')
  t.equal(outcome(await env.send(1, GOVERNANCE, G.encodeFunctionData('proposeParam', ['enPledge', 1n]), { value: 1n })), 'revert: function is not payable')
  t.same(await view(env, 'proposalCount', []), [0n], 'no refused call recorded a proposal')
})

t.test('a parameter change: votes, double and late votes refused, executed at the boundary after the timelock', async (t) => {
  const env = await stakedEnv()
  const newEnPledge = 2_000n * NFC
  const made = await propose(env, 1, 'enPledge', newEnPledge)
  t.equal(outcome(made), 'ok')
  const proposed = eventsOf(G, made)[0]!
  t.equal(proposed.name, 'Proposed')
  t.equal(proposed.args[0], 0n, 'id 0')
  const endsMs = env.timeMs + gov.votingMs
  t.equal(proposed.args[6], endsMs, 'open for govVotingSec')

  t.equal(outcome(await vote(env, 3, 0n, true)), 'revert: Governance: only stakers vote (no NFC staked in Staking)')
  const voted = await vote(env, 2, 0n, true)
  t.equal(outcome(voted), 'ok')
  t.same(eventsOf(G, voted)[0]!.args.slice(2), [true, 400n * NFC], 'weighted by the stake')
  t.equal(outcome(await vote(env, 2, 0n, false)), `revert: Governance: ${hexOf(2)} already voted on proposal 0`)
  t.equal(outcome(await vote(env, 1, 0n, false)), 'ok', 'the proposer votes like anyone')
  let p = await view(env, 'proposal', [0n])
  t.same(p.slice(7, 12), [400n * NFC, 600n * NFC, 1000n * NFC, false, 0n], 'yes, no, stake, not passing, open')
  t.equal(await view(env, 'hasVoted', [0n, hexOf(2)]).then((v) => v[0]), true)

  // a second proposal the majority backs
  t.equal(outcome(await propose(env, 1, 'enPledge', newEnPledge)), 'ok')
  t.equal(outcome(await vote(env, 1, 1n, true)), 'ok')
  t.same(await view(env, 'settledBlock', [1n]), [0n], 'not settled yet: 0')
  env.timeMs = endsMs
  t.equal(outcome(await vote(env, 2, 1n, false)), `revert: Governance: voting on proposal 1 ended at ${endsMs} ms`)

  // a cycle boundary after the vote but before the timelock executes nothing
  const early = toBoundaryAfter(env, 0n)
  t.ok(early.timestamp < endsMs + gov.timelockMs, 'before the timelock')
  t.same(await govBeginBlock(env.sm, early, CFG), [], 'nothing settled before the timelock')
  t.equal(await view(env, 'paramValue', ['enPledge']).then((v) => v[0]), DEFAULT_FLOW_CONFIG.enPledge, 'still the genesis value')

  // past the timelock, but not at a boundary: nothing either
  env.timeMs = endsMs + gov.timelockMs + 1_000n
  const mid = infoAt(env)
  t.same(await govBeginBlock(env.sm, mid, CFG), [], 'not the first block of a cycle')

  const due = toBoundaryAfter(env, 0n)
  t.same(
    await govBeginBlock(env.sm, due, CFG),
    [
      { id: 0n, status: ProposalStatus.Rejected },
      { id: 1n, status: ProposalStatus.Executed },
    ],
    'the rejected one and the approved one, in id order',
  )
  t.equal(await view(env, 'paramValue', ['enPledge']).then((v) => v[0]), newEnPledge, 'in force')
  t.equal((await governedConfig(env.sm, CFG)).flow!.enPledge, newEnPledge, 'governedConfig applies it')
  p = await view(env, 'proposal', [1n])
  t.equal(p[11], BigInt(ProposalStatus.Executed))
  t.same(await view(env, 'settledBlock', [1n]), [due.number], 'executed at block N: stored with the proposal')
  t.same(await view(env, 'settledBlock', [0n]), [due.number], 'rejected at block N')
  const params = await readParams(env.sm, CFG)
  const en = params.params.find((x) => x.name === 'enPledge')!
  t.same(en.history, [{ block: due.number, proposal: 1n, value: newEnPledge }], 'history: block and proposal')
  t.equal(en.genesis, DEFAULT_FLOW_CONFIG.enPledge)
  t.same(await govBeginBlock(env.sm, toBoundaryAfter(env, 0n), CFG), [], 'each proposal settles once')

  // the effect: NodeRegistry refuses a pledge at the old minimum
  t.equal(
    outcome(await env.send(4, NODE_REGISTRY, R.encodeFunctionData('pledge', [EN]), { value: DEFAULT_FLOW_CONFIG.enPledge })),
    'revert: pledge below the EN minimum',
  )
  t.equal(outcome(await env.send(4, NODE_REGISTRY, R.encodeFunctionData('pledge', [EN]), { value: newEnPledge })), 'ok')
})

t.test('a governed CN pledge changes who the flow engine draws into the committee', async (t) => {
  const env = await stakedEnv()
  t.equal(outcome(await env.send(5, NODE_REGISTRY, R.encodeFunctionData('pledge', [CN]), { value: DEFAULT_FLOW_CONFIG.cnPledge })), 'ok')
  const fs = new FlowStore(env.sm)
  await flowBeginBlock(env.sm, toBoundaryAfter(env, 0n), CFG)
  const before = await fs.committee(await fs.drawnCycle()).all()
  t.ok(before.includes(hexOf(5)), 'the CN at the genesis minimum is drawn')

  t.equal(outcome(await propose(env, 1, 'cnPledge', 2n * DEFAULT_FLOW_CONFIG.cnPledge)), 'ok')
  t.equal(outcome(await vote(env, 1, 0n, true)), 'ok')
  const due = toBoundaryAfter(env, gov.votingMs + gov.timelockMs)
  t.same(await govBeginBlock(env.sm, due, CFG), [{ id: 0n, status: ProposalStatus.Executed }])
  await flowBeginBlock(env.sm, due, CFG)
  const after = await fs.committee(await fs.drawnCycle()).all()
  t.notOk(after.includes(hexOf(5)), 'below the governed minimum: not drawn')
  t.ok(after.includes(hexOf(9)), 'the RN still is')
})

t.test('grants: paid from the shared pool, or failed when the pool no longer holds them', async (t) => {
  const env = await stakedEnv()
  const pool = 100n * NFC
  const acc = (await env.sm.getAccount(SHARED_POOL))!
  acc.balance = pool
  await env.sm.putAccount(SHARED_POOL, acc)
  const totalBefore = await env.total([GOVERNANCE])
  const burnedBefore = env.burned
  const grant = (amount: bigint) => env.send(1, GOVERNANCE, G.encodeFunctionData('proposeGrant', [hexOf(6), amount]))
  t.equal(outcome(await grant(pool + 1n)), 'revert: Governance: grant of 100.000000000000000001 NFC exceeds the shared pool (100 NFC)')
  t.equal(outcome(await grant(60n * NFC)), 'ok')
  t.equal(outcome(await grant(60n * NFC)), 'ok', 'each grant is checked against the pool alone')
  t.equal(outcome(await vote(env, 1, 0n, true)), 'ok')
  t.equal(outcome(await vote(env, 1, 1n, true)), 'ok')
  const before6 = await env.balance(addrOf(6))
  const settled = await govBeginBlock(env.sm, toBoundaryAfter(env, gov.votingMs + gov.timelockMs), CFG)
  t.same(settled, [
    { id: 0n, status: ProposalStatus.Executed },
    { id: 1n, status: ProposalStatus.Failed },
  ])
  t.equal(await env.balance(addrOf(6)), before6 + 60n * NFC, 'the first grant paid')
  t.equal(await env.balance(SHARED_POOL), 40n * NFC, 'the second left the pool alone')
  t.equal(await env.balance(GOVERNANCE), 0n, 'Governance holds no NFC')
  t.equal(await env.total([GOVERNANCE]), totalBefore - (env.burned - burnedBefore), 'no NFC created or lost (only gas burned)')
})

t.test('views: unknown ids and names', async (t) => {
  const env = await stakedEnv()
  const r = await env.call(addrOf(0), GOVERNANCE, G.encodeFunctionData('proposal', [7n]))
  t.equal(outcome({ execResult: r.execResult } as never), 'revert: Governance: no proposal 7')
  const v = await env.call(addrOf(0), GOVERNANCE, G.encodeFunctionData('paramValue', ['nope']))
  t.match(outcome({ execResult: r.execResult } as never), /no proposal/)
  t.match(outcome({ execResult: v.execResult } as never), /^revert: Governance: unknown parameter "nope"/)
  t.same(await view(env, 'proposalCount', []), [0n])
})

t.test('a governed fuel price is what the flow engine burns when it applies a checkpoint', async (t) => {
  const env = await flowEnv()
  await env.emptyBlock() // the committee of cycle 0
  env.at(cycleStart(1n) + 10_000n)
  const fuelPerGb = 3n * 10n ** 16n
  const gs = new GovStore(env.sm)
  await gs.ensureAccount()
  await gs.setOverride(0, { block: env.number, proposal: 0n, value: fuelPerGb }) // as an executed proposal leaves it
  await env.nb.mint(hexOf(CONSUMER), NFC)
  const committee = (await env.fs.committee(0n).all()).map(devIndex)
  t.equal(outcome(await env.tx(9, FLOW_REWARDS, checkpointData(0n, new Uint8Array(32), [entryOf(receipt())], committee.slice(0, 3)))), 'ok')
  env.at((await env.fs.getCheckpoint(0n)).challengeEndsMs)
  const pair = (await env.emptyBlock()).applied[0]!.pairs[0]!
  // receipt(): 4·10^9 bytes; genesis price 0.01 NB/GB would burn 0.04 NB
  t.equal(pair.fuelOwed, 4n * fuelPerGb, 'fuel at the governed 0.03 NB/GB')
  t.equal(await env.nb.balanceOf(hexOf(CONSUMER)), NFC - 4n * fuelPerGb, 'burned from the consumer')
})

t.test('one NFC counts once per proposal: a voter’s unbonded stake stays locked until the vote ends', async (t) => {
  const env = await stakedEnv()
  t.ok(CFG.unbondingDelayMs < gov.votingMs, 'the unbonding delay is shorter than the vote (the attack needs it)')
  t.equal(outcome(await propose(env, 1, 'enPledge', 2_000n * NFC)), 'ok')
  const endsMs = env.timeMs + gov.votingMs
  t.equal(outcome(await vote(env, 2, 0n, true)), 'ok', 'staker 2 votes its 400 NFC')
  t.equal(outcome(await env.send(2, STAKING, S.encodeFunctionData('unvote', [hexOf(9), 400n * NFC]))), 'ok', 'then unvotes them')
  env.timeMs += CFG.unbondingDelayMs
  t.ok(env.timeMs < endsMs, 'the unbonding is over, the vote is not')
  t.equal(
    outcome(await env.send(2, STAKING, S.encodeFunctionData('withdrawUnbonded', []))),
    `revert: nothing to withdraw yet (unbonded stake that voted on a proposal stays locked until its vote ends at ${endsMs} ms)`,
    'the NFC that voted cannot move to a second address to vote again',
  )
  const [locked, withdrawable] = await env
    .call(addrOf(0), STAKING, S.encodeFunctionData('unbonding', [hexOf(2)]))
    .then((r) => S.decodeFunctionResult('unbonding', r.execResult.returnValue))
  t.same([locked, withdrawable], [400n * NFC, 0n], 'the Staking view says so')
  t.equal(outcome(await env.send(1, STAKING, S.encodeFunctionData('unvote', [hexOf(9), 100n * NFC]))), 'ok', 'a staker that did not vote')
  env.timeMs += CFG.unbondingDelayMs
  t.ok(env.timeMs < endsMs, 'still within the vote')
  t.equal(outcome(await env.send(1, STAKING, S.encodeFunctionData('withdrawUnbonded', []))), 'ok', 'is not locked')
  env.timeMs = endsMs
  t.equal(outcome(await env.send(2, STAKING, S.encodeFunctionData('withdrawUnbonded', []))), 'ok', 'the vote over, the stake is free')
})

t.test('rnPledge is governable: bounds from genesis, NodeRegistry and Staking follow the executed value', async (t) => {
  const env = await stakedEnv()
  const newRn = 2n * CFG.rnPledge
  t.equal(paramRefusal('rnPledge', newRn, CFG), null, 'twice the genesis RN pledge is within the bounds')
  t.equal(
    paramRefusal('rnPledge', 10n * CFG.rnPledge + 1n, CFG),
    `rnPledge must be between ${CFG.rnPledge / 10n} and ${10n * CFG.rnPledge} (genesis ${CFG.rnPledge} ÷/× 10), got ${10n * CFG.rnPledge + 1n}`,
  )
  t.match(outcome(await propose(env, 1, 'rnPledge', CFG.rnPledge / 10n - 1n)), /^revert: Governance: rnPledge must be between/, 'below genesis ÷ 10')
  t.equal(outcome(await propose(env, 1, 'rnPledge', newRn)), 'ok')
  t.equal(outcome(await vote(env, 1, 0n, true)), 'ok')
  t.equal(await view(env, 'paramValue', ['rnPledge']).then((v) => v[0]), CFG.rnPledge, 'the genesis value until executed')
  t.same(await govBeginBlock(env.sm, toBoundaryAfter(env, gov.votingMs + gov.timelockMs), CFG), [{ id: 0n, status: ProposalStatus.Executed }])
  t.equal(await view(env, 'paramValue', ['rnPledge']).then((v) => v[0]), newRn, 'in force')
  t.equal((await governedConfig(env.sm, CFG)).rnPledge, newRn, 'governedConfig applies it')
  const rn = (await readParams(env.sm, CFG)).params.find((p) => p.name === 'rnPledge')!
  t.same([rn.value, rn.genesis, rn.min, rn.max], [newRn, CFG.rnPledge, CFG.rnPledge / 10n, 10n * CFG.rnPledge], 'nfc_getParams view')
  const minPledge = await env.call(addrOf(0), NODE_REGISTRY, R.encodeFunctionData('rnPledge', []))
  t.equal(R.decodeFunctionResult('rnPledge', minPledge.execResult.returnValue)[0], newRn, 'NodeRegistry.rnPledge()')
  t.equal(outcome(await env.send(4, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })), 'revert: pledge below the RN minimum')
  // an RN pledged at the old minimum before the change cannot become a candidate until it tops up
  t.equal(outcome(await env.send(5, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: newRn })), 'ok')
  t.equal(outcome(await env.send(5, STAKING, S.encodeFunctionData('registerCandidate', [0, 'y']))), 'ok', 'at the new minimum')
})
