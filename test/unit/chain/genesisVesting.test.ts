/**
 * The genesis `foundation` and `vesting` fields: parsing, the team-vesting pool check, their
 * place in the canonical form and in FlowConfig, and claims through FlowRewards.claimVested.
 */
import t, { type Test } from 'tap'
import { Interface } from 'ethers'
import { canonicalGenesisJson, parseGenesis } from '../../../src/chain/genesis.js'
import { NFC, POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../../src/execution/systemAddresses.js'
import { flowConfigOf } from '../../../src/consensus/povf/params.js'
import { vestedOf } from '../../../src/execution/system/vestingFunctions.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { NfcError } from '../../../src/util/errors.js'
import { outcome } from '../../helpers/systemVm.js'
import { at, devAt, FLOW_REWARDS_ADDR, tokenEnv } from '../../helpers/tokenEnv.js'

type Doc = Record<string, any>
const A0 = DEV_ACCOUNTS[0]!.address
const TEAM = DEV_ACCOUNTS[11]!.address
const FOUNDATION = DEV_ACCOUNTS[10]!.address
const RN_PLEDGE = 100_000n * NFC
const GRANT = 315_000_000n * NFC
const YEAR = 31_536_000

/** One witness, the team grant in the vesting pool, the rest with A0. */
const doc = (x: Doc = {}): Doc => ({
  name: 'nfc-test',
  chainId: 7,
  timestamp: 0,
  totalSupply: TOTAL_SUPPLY.toString(),
  witnesses: [{ address: A0, pledge: RN_PLEDGE.toString(), votes: '0', bonusRatioBps: 1000, url: '' }],
  foundation: FOUNDATION,
  vesting: [{ address: TEAM, amount: GRANT.toString(), cliffSec: YEAR, durationSec: 6 * YEAR, label: 'team' }],
  alloc: {
    [A0]: { balance: (TOTAL_SUPPLY - RN_PLEDGE - GRANT).toString() },
    [SYSTEM_CONTRACTS.nodeRegistry]: { balance: RN_PLEDGE.toString() },
    [POOLS.teamVesting]: { balance: GRANT.toString() },
  },
  ...x,
})

function problems(t: Test, d: Doc, ...needles: string[][]): void {
  let list: string[] = []
  try {
    parseGenesis(d)
    t.fail('parsed')
  } catch (e) {
    t.ok(e instanceof NfcError && e.code === 'GENESIS_INVALID')
    list = (e as NfcError).meta.problems as string[]
  }
  for (const n of needles)
    t.ok(
      list.some((p) => n.every((x) => p.includes(x))),
      `a problem mentions ${n.join(' + ')}; got:\n${list.join('\n')}`,
    )
}

t.test('foundation and vesting parse into the Genesis and FlowConfig', async (t) => {
  const g = parseGenesis(doc())
  t.equal(g.foundation, FOUNDATION.toLowerCase(), 'lowercase')
  t.same(g.vesting, [{ address: TEAM.toLowerCase(), amount: GRANT, cliffMs: BigInt(YEAR) * 1000n, durationMs: BigInt(6 * YEAR) * 1000n }])
  const f = flowConfigOf(g)
  t.equal(f.foundation, g.foundation)
  t.same(f.vesting, g.vesting)

  const none = parseGenesis(
    doc({
      foundation: undefined,
      vesting: undefined,
      alloc: { ...doc().alloc, [POOLS.teamVesting]: { balance: '0' }, [A0]: { balance: (TOTAL_SUPPLY - RN_PLEDGE).toString() } },
    }),
  )
  t.equal(none.foundation, null, 'optional: no foundation')
  t.same(none.vesting, [], 'optional: no grants')
  t.equal(parseGenesis(doc({ foundation: null })).foundation, null, 'null is no foundation')
  t.equal(parseGenesis(doc({ foundation: FOUNDATION.toLowerCase() })).foundation, FOUNDATION.toLowerCase(), 'lowercase accepted')

  // two grants to one address are allowed; their sum is what the pool holds
  const two = doc({
    vesting: [
      { address: TEAM, amount: (GRANT - NFC).toString(), cliffSec: 0, durationSec: 0 },
      { address: TEAM, amount: NFC.toString(), cliffSec: 1, durationSec: 2 },
    ],
  })
  t.equal(parseGenesis(two).vesting.length, 2)
})

t.test('the canonical form commits to the foundation, the grants and every parameter', async (t) => {
  const base = canonicalGenesisJson(parseGenesis(doc()))
  t.not(canonicalGenesisJson(parseGenesis(doc({ foundation: DEV_ACCOUNTS[9]!.address }))), base, 'foundation')
  t.not(canonicalGenesisJson(parseGenesis(doc({ vesting: [{ ...doc().vesting[0], cliffSec: YEAR + 1 }] }))), base, 'a grant')
  t.not(canonicalGenesisJson(parseGenesis(doc({ params: { nbBurnCap: '1' } }))), base, 'a PoVF parameter')
  t.not(canonicalGenesisJson(parseGenesis(doc({ params: { flowChallengeSec: 30 } }))), base, 'another')
  t.equal(canonicalGenesisJson(parseGenesis(doc({ vesting: [{ ...doc().vesting[0], label: 'renamed' }] }))), base, 'labels are not part of it')
  const c = JSON.parse(base)
  t.equal(c.foundation, FOUNDATION.toLowerCase())
  t.same(c.vesting, [{ address: TEAM.toLowerCase(), amount: GRANT.toString(), cliffMs: '31536000000', durationMs: '189216000000' }])
  t.equal(c.params.nfcPriceNb, (10n ** 17n).toString())
})

t.test('the vesting pool must hold exactly the grants', async (t) => {
  const alloc = (pool: bigint, rest = TOTAL_SUPPLY - RN_PLEDGE - pool): Doc => ({
    [A0]: { balance: rest.toString() },
    [SYSTEM_CONTRACTS.nodeRegistry]: { balance: RN_PLEDGE.toString() },
    [POOLS.teamVesting]: { balance: pool.toString() },
  })
  problems(t, doc({ alloc: alloc(GRANT - 1n) }), [
    `alloc.${POOLS.teamVesting}`,
    'team vesting pool',
    'holds 314,999,999.999999999999999999 NFC',
    `set its balance to "${GRANT}"`,
  ])
  problems(t, doc({ alloc: alloc(GRANT + 1n) }), [`alloc.${POOLS.teamVesting}`, 'vesting grants total 315,000,000 NFC'])
  const noPool = alloc(0n)
  delete noPool[POOLS.teamVesting]
  problems(t, doc({ alloc: noPool }), [`alloc.${POOLS.teamVesting}`, 'has no entry'])
  problems(t, doc({ vesting: [] }), [`alloc.${POOLS.teamVesting}`, 'grants total 0 NFC', 'or add vesting grants'])
})

t.test('grant and foundation errors name the field', async (t) => {
  const g = (x: Doc): Doc => doc({ vesting: [{ ...doc().vesting[0], ...x }] })
  problems(t, doc({ foundation: '0x1234' }), ['foundation', 'not an address'])
  problems(t, doc({ foundation: 7 }), ['foundation', 'expected an address string'])
  problems(t, g({ address: '0xZZ' }), ['vesting[0].address', 'not an address'])
  problems(t, g({ address: TEAM.replace('E', 'e') }), ['vesting[0].address', 'EIP-55'])
  problems(t, g({ amount: '-5' }), ['vesting[0].amount', 'not a valid amount'])
  problems(t, g({ amount: '0' }), ['vesting[0].amount', 'must be positive'])
  problems(t, g({ amount: 5 }), ['vesting[0].amount', 'JSON number'])
  problems(t, g({ cliffSec: -1 }), ['vesting[0].cliffSec', 'out of range'])
  problems(t, g({ durationSec: '10' }), ['vesting[0].durationSec', 'remove the quotes'])
  problems(t, g({ cliffsec: 1 }), ['unknown field vesting[0].cliffsec', 'did you mean vesting[0].cliffSec'])
  problems(t, g({ label: 3 }), ['vesting[0].label', 'expected a string'])
  const missing = doc({ vesting: [{ address: TEAM }] })
  problems(t, missing, ['vesting[0].amount', 'missing'], ['vesting[0].cliffSec', 'missing'], ['vesting[0].durationSec', 'missing'])
  problems(t, doc({ vesting: { address: TEAM } }), ['vesting', 'expected an array'])
  problems(t, doc({ vesting: ['x'] }), ['vesting[0]', 'expected a vesting grant'])
  problems(t, doc({ fundation: FOUNDATION }), ['unknown field fundation', 'did you mean foundation'])
})

t.test('vested(t): nothing before the cliff, then linear, then all', async (t) => {
  const g = { address: '0x01', amount: 600n, cliffMs: 100n, durationMs: 600n }
  t.equal(vestedOf(g, 1000n, 1099n), 0n)
  t.equal(vestedOf(g, 1000n, 1100n), 0n)
  t.equal(vestedOf(g, 1000n, 1101n), 1n)
  t.equal(vestedOf(g, 1000n, 1400n), 300n)
  t.equal(vestedOf(g, 1000n, 1700n), 600n)
  t.equal(vestedOf(g, 1000n, 9999n), 600n)
  t.equal(vestedOf({ ...g, durationMs: 0n }, 1000n, 1100n), 600n, 'no duration: all at the cliff')
})

t.test('claimVested / vestingOf through FlowRewards', async (t) => {
  const team = devAt(7)
  const DAY = 86_400_000n
  const grant = { address: team.toString(), amount: 3_650n * NFC, cliffMs: 10n * DAY, durationMs: 365n * DAY }
  const env = await tokenEnv({ vesting: [grant] })
  const pool = at(POOLS.teamVesting)
  await env.setBalance(pool, grant.amount)
  const V = new Interface([
    'function claimVested()',
    'function vestingOf(address) view returns (uint256 amount, uint256 claimed, uint256 claimable)',
    'event VestingClaimed(address indexed account, uint256 amount)',
  ])
  const vestingOf = async () => [
    ...V.decodeFunctionResult(
      'vestingOf',
      (await env.call(devAt(0), FLOW_REWARDS_ADDR, V.encodeFunctionData('vestingOf', [team.toString()]))).execResult.returnValue,
    ),
  ]
  env.timeMs = env.cfg.genesisTime + 5n * DAY
  t.same(await vestingOf(), [grant.amount, 0n, 0n], 'before the cliff')
  t.equal(outcome(await env.send(7, FLOW_REWARDS_ADDR, V.encodeFunctionData('claimVested'))), 'revert: nothing vested to claim')
  env.timeMs = env.cfg.genesisTime + 20n * DAY
  t.same(await vestingOf(), [grant.amount, 0n, 100n * NFC], '10 days past the cliff: 10/365')
  const before = await env.balance(team)
  const r = await env.send(7, FLOW_REWARDS_ADDR, V.encodeFunctionData('claimVested'))
  t.equal(outcome(r), 'ok')
  t.equal(await env.balance(team), before + 100n * NFC - r.totalGasSpent * 1_000_000_000n)
  t.equal(await env.balance(pool), grant.amount - 100n * NFC)
  t.same(await vestingOf(), [grant.amount, 100n * NFC, 0n])
  t.equal(outcome(await env.send(3, FLOW_REWARDS_ADDR, V.encodeFunctionData('claimVested'))), 'revert: nothing vested to claim', 'no grant, nothing to claim')
  env.timeMs = env.cfg.genesisTime + 1000n * DAY
  t.equal(outcome(await env.send(7, FLOW_REWARDS_ADDR, V.encodeFunctionData('claimVested'))), 'ok')
  t.same(await vestingOf(), [grant.amount, grant.amount, 0n], 'all of it, once')
  t.equal(await env.balance(pool), 0n)
})
