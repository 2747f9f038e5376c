/**
 * supplyOf / sumOfBalances on a real state: the breakdown adds up, and conversions crossing a
 * small burn cap keep Σ balances at 2,100,000,000 NFC.
 */
import t from 'tap'
import { Account } from '@ethereumjs/util'
import { POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../../../src/chain/systemAddresses.js'
import { GENESIS_MINING_POOLS, sumOfBalances, supplyOf } from '../../../../src/consensus/povf/supply.js'
import { ZeroHash } from 'ethers'
import { DEFAULT_NAMES_CONFIG, lockFor } from '../../../../src/consensus/names/rules.js'
import { CFG, DAY, NFC, namesIface, outcome, registryIface as R } from '../../../helpers/systemVm.js'
import { at, BURN, devAt, KNOWN, NB_ADDR, nbIface as N, tokenEnv } from '../../../helpers/tokenEnv.js'
import { devAddress } from '../../../helpers/inProcessNode.js'

t.test('the breakdown of a state', async (t) => {
  const env = await tokenEnv({ nbBurnCap: 50n * NFC, foundation: devAddress(8).toLowerCase() })
  const cfg = env.cfg.flow!
  // lay out pools like a genesis: Pb, Pf, team vesting, shared (from the block-mining pool env made)
  const put = async (a: string, wei: bigint) => env.setBalance(at(a), wei)
  await put(POOLS.trafficMining, 1_344_000_000n * NFC)
  await put(POOLS.teamVesting, 315_000_000n * NFC)
  await put(POOLS.shared, 7n * NFC)
  const rest = TOTAL_SUPPLY - 10n * 1_000_000n * NFC - 1_344_000_000n * NFC - 315_000_000n * NFC - 7n * NFC
  await put(SYSTEM_CONTRACTS.flowRewards, 3n * NFC)
  const pb = rest - 3n * NFC
  t.equal(await env.balance(at(POOLS.blockMining)), pb)

  const s0 = await supplyOf(env.sm, cfg)
  t.equal(s0.total, TOTAL_SUPPLY)
  t.equal(s0.burned, 0n)
  t.same(s0.pools, { shared: 7n * NFC, blockMining: pb, trafficMining: 1_344_000_000n * NFC, teamVesting: 315_000_000n * NFC })
  t.same(s0.locked, { staking: 0n, pledges: 0n, flowRewards: 3n * NFC, names: 0n, storageDeals: 0n, other: 0n })
  t.equal(s0.issued, GENESIS_MINING_POOLS - pb - 1_344_000_000n * NFC, 'what left Pb + Pf')
  t.equal(s0.circulating, 10n * 1_000_000n * NFC, 'the dev accounts hold the rest')
  t.equal(await sumOfBalances(env.sm, KNOWN), TOTAL_SUPPLY)
  t.equal(await sumOfBalances(env.sm, [...KNOWN, ...KNOWN, POOLS.shared]), TOTAL_SUPPLY, 'each address counted once')

  // a pledge and conversions crossing the cap
  t.equal(outcome(await env.send(1, at(SYSTEM_CONTRACTS.nodeRegistry), R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })), 'ok')
  for (let i = 0; i < 3; i++) t.equal(outcome(await env.send(2, NB_ADDR, N.encodeFunctionData('convert'), { value: 30n * NFC })), 'ok')
  t.equal(await env.balance(devAt(8)), 1_000_000n * NFC + 40n * NFC, 'the foundation got what passed the 50 NFC cap')
  // a name's lock is held by Names 0x…1007 and counts in locked.names
  const nameLock = lockFor(DEFAULT_NAMES_CONFIG, 30n * DAY)
  const register = namesIface.encodeFunctionData('register', ['relay', 30n * DAY, ZeroHash, ''])
  t.equal(outcome(await env.send(3, at(SYSTEM_CONTRACTS.names), register, { value: nameLock })), 'ok')
  const s1 = await supplyOf(env.sm, cfg, { extraLocked: [devAt(9)] })
  t.equal(s1.locked.names, nameLock, 'the name lock is in locked.names')
  t.equal(s1.total, TOTAL_SUPPLY)
  t.equal(s1.burned, await env.balance(BURN))
  t.ok(s1.burned >= 50n * NFC, 'the cap burned (plus the gas fees)')
  t.equal(s1.locked.pledges, CFG.rnPledge)
  t.equal(s1.locked.other, 1_000_000n * NFC, 'extraLocked counts in other')
  t.equal(s1.total - s1.burned - Object.values(s1.pools).reduce((a, b) => a + b) - Object.values(s1.locked).reduce((a, b) => a + b), s1.circulating)
  t.equal(await sumOfBalances(env.sm, KNOWN), TOTAL_SUPPLY, 'total stays 2,100,000,000 NFC')
  t.equal(await env.balance(NB_ADDR), 0n)

  // a stray balance at NB or Evidence shows in locked.other
  await env.sm.putAccount(at(SYSTEM_CONTRACTS.evidence), new Account(1n, 1n))
  t.equal((await supplyOf(env.sm, cfg)).locked.other, 1n)
})

t.test('issued follows the genesis mining pools given', async (t) => {
  const env = await tokenEnv()
  const s = await supplyOf(env.sm, env.cfg.flow!, { genesisMiningPools: await env.balance(at(POOLS.blockMining)) })
  t.equal(s.issued, 0n)
})
