import t from 'tap'
import { getAddress } from 'ethers'
import { INITIAL_TRUST } from '../../../src/consensus/dpos/params.js'
import { MAX_UNBONDING_ENTRIES } from '../../../src/consensus/dpos/store.js'
import { accumulate } from '../../../src/consensus/dpos/voterIndex.js'
import { STAKING_GAS } from '../../../src/execution/system/index.js'
import {
  addrOf,
  BLOCK_MINING_POOL,
  CFG,
  DAY,
  eventsOf,
  hexOf,
  intrinsicGas,
  NFC,
  NODE_REGISTRY,
  outcome,
  registryIface as R,
  STAKING,
  stakingIface as S,
  systemEnv,
  type SystemEnv,
} from '../../helpers/systemVm.js'

const cs = (i: number) => getAddress(hexOf(i))
const ZERO = '0x0000000000000000000000000000000000000000'

async function view(env: SystemEnv, name: string, args: unknown[] = []): Promise<unknown[]> {
  const r = await env.call(addrOf(9), STAKING, S.encodeFunctionData(name, args))
  if (outcome(r) !== 'ok') throw new Error(`${name}: ${outcome(r)}`)
  return [...S.decodeFunctionResult(name, r.execResult.returnValue)]
}

async function candidateView(env: SystemEnv, i: number) {
  const [registered, votes, trust, bonus, pending, removed, url] = await view(env, 'candidate', [hexOf(i)])
  return { registered, votes, trust, bonus, pending, removed, url }
}

async function makeCandidate(env: SystemEnv, i: number, bps = 5_000, url = `https://node${i}.example`): Promise<void> {
  const p = await env.send(i, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })
  if (outcome(p) !== 'ok') throw new Error(outcome(p))
  const r = await env.send(i, STAKING, S.encodeFunctionData('registerCandidate', [bps, url]))
  if (outcome(r) !== 'ok') throw new Error(outcome(r))
}

/** What the engine does for a block of `candidate`: voters' share into its index, NFC into Staking. */
async function reward(env: SystemEnv, i: number, voterShare: bigint, witnessShare = 0n): Promise<void> {
  const c = await env.store.getCandidate(hexOf(i))
  const a = accumulate({ acc: c.acc, carry: c.carry }, voterShare, c.votes)
  await env.store.putCandidate(hexOf(i), { acc: a.index.acc, carry: a.index.carry, witnessBalance: c.witnessBalance + witnessShare + a.undistributed })
  await env.store.transfer(BLOCK_MINING_POOL, STAKING, voterShare + witnessShare)
}

t.test('registerCandidate and setBonusRatio', async (t) => {
  const env = await systemEnv()
  const reg = (i: number, bps: number, url: string) => env.send(i, STAKING, S.encodeFunctionData('registerCandidate', [bps, url]))
  t.equal(outcome(await reg(1, 100, 'x')), 'revert: only a pledged RN can register: pledge(1) on NodeRegistry first')
  t.equal(outcome(await env.send(1, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })), 'ok')
  t.equal(outcome(await reg(1, 10_001, 'x')), 'revert: bonus ratio above 10000 bps')
  t.equal(outcome(await reg(1, 100, 'é'.repeat(129))), 'revert: url longer than 256 bytes', '258 UTF-8 bytes')
  const url = 'u'.repeat(256)
  const r = await reg(1, 2_500, url)
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(S, r), [{ name: 'CandidateRegistered', args: [cs(1), 2_500n, url] }])
  t.same(await candidateView(env, 1), { registered: true, votes: 0n, trust: INITIAL_TRUST, bonus: 2_500n, pending: 2_500n, removed: false, url })
  t.same(await view(env, 'getCandidates'), [[cs(1)]])
  t.equal(outcome(await reg(1, 100, 'x')), 'revert: already registered')

  // pledge below the minimum (slashed) and exited nodes cannot register
  t.equal(outcome(await env.send(2, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })), 'ok')
  await env.store.putNode(hexOf(2), { pledge: CFG.rnPledge - 1n })
  t.equal(outcome(await reg(2, 100, 'x')), 'revert: pledge below the RN minimum')
  t.equal(outcome(await env.send(2, NODE_REGISTRY, R.encodeFunctionData('exit'))), 'ok')
  t.equal(outcome(await reg(2, 100, 'x')), 'revert: node has exited')

  const set = (i: number, bps: number) => env.send(i, STAKING, S.encodeFunctionData('setBonusRatio', [bps]))
  t.equal(outcome(await set(3, 10)), 'revert: not a candidate')
  t.equal(outcome(await set(1, 10_001)), 'revert: bonus ratio above 10000 bps')
  const s = await set(1, 10_000)
  t.equal(outcome(s), 'ok')
  t.same(eventsOf(S, s), [{ name: 'BonusRatioSet', args: [cs(1), 10_000n] }])
  const c = await candidateView(env, 1)
  t.equal(c.bonus, 2_500n, 'the ratio in force is unchanged until the election')
  t.equal(c.pending, 10_000n)
  t.equal(s.totalGasSpent, intrinsicGas(S.encodeFunctionData('setBonusRatio', [10_000])) + STAKING_GAS.setBonusRatio, 'intrinsic + the fixed cost')
})

t.test('vote, unvote, withdrawUnbonded: value accounting and events', async (t) => {
  const env = await systemEnv()
  await makeCandidate(env, 1)
  await makeCandidate(env, 2)
  const total0 = await env.total()
  const burned0 = env.burned
  const vote = (i: number, c: number, amount: bigint, value = amount) => env.send(i, STAKING, S.encodeFunctionData('vote', [hexOf(c), amount]), { value })
  const unvote = (i: number, c: number, amount: bigint) => env.send(i, STAKING, S.encodeFunctionData('unvote', [hexOf(c), amount]))

  t.equal(outcome(await vote(5, 1, 0n)), 'revert: vote amount must be positive')
  t.equal(outcome(await vote(5, 1, 10n * NFC, 9n * NFC)), 'revert: msg.value must equal amount')
  t.equal(outcome(await vote(5, 3, 10n * NFC)), 'revert: not a candidate')
  const staking0 = await env.balance(STAKING)

  const v = await vote(5, 1, 10n * NFC)
  t.equal(outcome(v), 'ok')
  t.same(eventsOf(S, v), [{ name: 'Voted', args: [cs(5), cs(1), 10n * NFC] }], 'the receipt carries the Voted log')
  t.equal(v.receipt.logs[0]![0].length, 20)
  t.equal(await env.balance(STAKING), staking0 + 10n * NFC, 'the NFC moved to the Staking account')
  t.equal(outcome(await vote(5, 2, 3n * NFC)), 'ok')
  t.equal(outcome(await vote(6, 1, 1n * NFC)), 'ok')
  t.same(await view(env, 'votesOf', [hexOf(5)]), [
    [cs(1), cs(2)],
    [10n * NFC, 3n * NFC],
  ])
  t.equal((await candidateView(env, 1)).votes, 11n * NFC)

  t.equal(outcome(await unvote(5, 1, 0n)), 'revert: unvote amount must be positive')
  t.equal(outcome(await unvote(5, 1, 10n * NFC + 1n)), 'revert: unvote exceeds your votes')
  t.equal(outcome(await unvote(5, 3, 1n)), 'revert: unvote exceeds your votes')
  const u = await unvote(5, 1, 4n * NFC)
  t.equal(outcome(u), 'ok')
  const release1 = env.timeMs + CFG.unbondingDelayMs
  t.same(eventsOf(S, u), [{ name: 'Unvoted', args: [cs(5), cs(1), 4n * NFC, release1] }])
  t.equal((await candidateView(env, 1)).votes, 7n * NFC)
  t.same(await view(env, 'unbonding', [hexOf(5)]), [4n * NFC, 0n])

  const w = (i: number) => env.send(i, STAKING, S.encodeFunctionData('withdrawUnbonded'))
  t.equal(outcome(await w(7)), 'revert: nothing unbonding')
  t.equal(outcome(await w(5)), 'revert: nothing to withdraw yet')
  env.advance(DAY)
  t.equal(outcome(await unvote(5, 2, 3n * NFC)), 'ok', 'a position unvoted to zero is closed')
  t.same(await view(env, 'votesOf', [hexOf(5)]), [[cs(1)], [6n * NFC]])
  env.advance(2n * DAY)
  t.same(await view(env, 'unbonding', [hexOf(5)]), [3n * NFC, 4n * NFC], 'first entry matured, second not')
  const before = await env.balance(addrOf(5))
  const wd = await w(5)
  t.equal(outcome(wd), 'ok')
  t.same(eventsOf(S, wd), [{ name: 'Withdrawn', args: [cs(5), 4n * NFC] }])
  t.equal(await env.balance(addrOf(5)), before + 4n * NFC - wd.totalGasSpent * 10n ** 9n)
  t.same(await view(env, 'unbonding', [hexOf(5)]), [3n * NFC, 0n], 'the unmatured entry is kept')
  env.advance(DAY)
  t.equal(outcome(await w(5)), 'ok')
  t.same(await view(env, 'unbonding', [hexOf(5)]), [0n, 0n])
  t.equal(outcome(await w(5)), 'revert: nothing unbonding')

  // an exited candidate takes no new votes; its voters can still leave
  t.equal(outcome(await env.send(1, NODE_REGISTRY, R.encodeFunctionData('exit'))), 'ok')
  t.equal(outcome(await vote(6, 1, 1n)), 'revert: candidate has exited')
  t.equal(outcome(await unvote(6, 1, 1n * NFC)), 'ok')
  t.equal(await env.total(), total0 - (env.burned - burned0), 'Σ balances constant (minus the burned base fee)')
})

t.test('at most MAX_UNBONDING_ENTRIES pending unbondings', async (t) => {
  const env = await systemEnv()
  await makeCandidate(env, 1)
  t.equal(outcome(await env.send(5, STAKING, S.encodeFunctionData('vote', [hexOf(1), 100n]), { value: 100n })), 'ok')
  for (let i = 0; i < MAX_UNBONDING_ENTRIES; i++) {
    if (outcome(await env.send(5, STAKING, S.encodeFunctionData('unvote', [hexOf(1), 1n]))) !== 'ok') t.fail(`unvote ${i}`)
  }
  t.equal(outcome(await env.send(5, STAKING, S.encodeFunctionData('unvote', [hexOf(1), 1n]))), 'revert: too many pending unbondings: withdrawUnbonded first')
  env.advance(CFG.unbondingDelayMs)
  const w = await env.send(5, STAKING, S.encodeFunctionData('withdrawUnbonded'))
  t.equal(outcome(w), 'ok')
  t.ok(w.totalGasSpent >= STAKING_GAS.withdrawUnbonded + BigInt(MAX_UNBONDING_ENTRIES) * STAKING_GAS.withdrawUnbondedPerEntry, 'per-entry gas')
  t.equal(outcome(await env.send(5, STAKING, S.encodeFunctionData('unvote', [hexOf(1), 1n]))), 'ok')
})

t.test('rewards: pendingRewards, claimRewards, settle on vote change', async (t) => {
  const env = await systemEnv()
  await makeCandidate(env, 1)
  await makeCandidate(env, 2)
  const total0 = await env.total()
  const burned0 = env.burned
  const claim = (i: number) => env.send(i, STAKING, S.encodeFunctionData('claimRewards'))
  t.equal(outcome(await claim(5)), 'revert: nothing to claim')
  t.equal(outcome(await env.send(5, STAKING, S.encodeFunctionData('vote', [hexOf(1), 30n * NFC]), { value: 30n * NFC })), 'ok')
  t.equal(outcome(await env.send(6, STAKING, S.encodeFunctionData('vote', [hexOf(1), 10n * NFC]), { value: 10n * NFC })), 'ok')
  t.equal(outcome(await env.send(5, STAKING, S.encodeFunctionData('vote', [hexOf(2), 1n * NFC]), { value: 1n * NFC })), 'ok')

  await reward(env, 1, 4n * NFC, 7n * NFC) // voters of 1: 3/4 to #5, 1/4 to #6
  await reward(env, 2, 5n * NFC)
  const [p5] = await view(env, 'pendingRewards', [hexOf(5)])
  t.equal(p5, 3n * NFC + 5n * NFC)
  t.same(await view(env, 'pendingRewards', [hexOf(1)]), [7n * NFC], 'the witness balance counts')

  const before = await env.balance(addrOf(5))
  const c = await claim(5)
  t.equal(outcome(c), 'ok')
  t.same(eventsOf(S, c), [{ name: 'RewardsClaimed', args: [cs(5), 8n * NFC] }])
  t.equal(await env.balance(addrOf(5)), before + 8n * NFC - c.totalGasSpent * 10n ** 9n)
  t.same(await view(env, 'pendingRewards', [hexOf(5)]), [0n])
  t.equal(outcome(await claim(5)), 'revert: nothing to claim', 'claimed once')

  // a vote change settles first: #6's pending reward is paid with the vote
  const before6 = await env.balance(addrOf(6))
  const v = await env.send(6, STAKING, S.encodeFunctionData('vote', [hexOf(1), 1n]), { value: 1n })
  t.same(eventsOf(S, v), [
    { name: 'Voted', args: [cs(6), cs(1), 1n] },
    { name: 'RewardsClaimed', args: [cs(6), 1n * NFC] },
  ])
  t.equal(await env.balance(addrOf(6)), before6 - 1n + 1n * NFC - v.totalGasSpent * 10n ** 9n)

  const w = await claim(1)
  t.same(eventsOf(S, w), [{ name: 'RewardsClaimed', args: [cs(1), 7n * NFC] }], 'the witness claims its balance')
  t.equal((await env.store.getCandidate(hexOf(1))).witnessBalance, 0n)
  t.equal(await env.total(), total0 - (env.burned - burned0), 'Σ balances constant')
})

t.test('views: witnesses (vacant = zero address) and standby', async (t) => {
  const env = await systemEnv()
  await env.store.setSeats([hexOf(1), null, hexOf(2)])
  await env.store.setStandby([hexOf(3)])
  t.same(await view(env, 'getWitnesses'), [[cs(1), ZERO, cs(2)]])
  t.same(await view(env, 'getStandby'), [[cs(3)]])
  t.same(await view(env, 'getCandidates'), [[]])
  t.same(await candidateView(env, 4), { registered: false, votes: 0n, trust: 0n, bonus: 0n, pending: 0n, removed: false, url: '' })
  // removed in the cycle in force
  await makeCandidate(env, 1)
  await env.store.putCandidate(hexOf(1), { removedInCycle: 1n, trust: -5n })
  const c = await candidateView(env, 1)
  t.equal(c.removed, true)
  t.equal(c.trust, -5n, 'trust is signed')
  await env.store.setCycle(1n)
  t.equal((await candidateView(env, 1)).removed, false, 'a removal of an earlier cycle no longer counts')
})
