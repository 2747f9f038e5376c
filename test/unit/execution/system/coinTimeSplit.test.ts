/**
 * EXPLOIT E3 (issue 16, DESIGN §12 "coin-time bonus is path-independent"), through real
 * FlowRewards.withdraw transactions. Before the fix the bonus was ⌊shared × ct / (2·T)⌋ with the
 * pool and T read at each withdrawal: every part shrinks T by more than it shrinks the pool, so the
 * next part's share grows. A holder of 75% of the network coin-time withdrawing in 10 parts got
 * ~1.3× the bonus of one withdrawal (the audit's 34% with more parts). Now the bonus is read from
 * an accrual index: the parts together are paid at most what one withdrawal is.
 */
import t from 'tap'
import { Address, hexToBytes } from '@ethereumjs/util'
import { POOLS } from '../../../../src/chain/systemAddresses.js'
import { creditLock } from '../../../../src/consensus/povf/engine.js'
import { FlowStore } from '../../../../src/consensus/povf/store.js'
import { FLOW_REWARDS_ADDR, tokenEnv, type TokenEnv } from '../../../helpers/tokenEnv.js'
import { GENESIS_TIME, hexOf, NFC, outcome } from '../../../helpers/systemVm.js'
import { flowIface } from './flowEnv.js'

const SHARED = new Address(hexToBytes(POOLS.shared as `0x${string}`))
const CHEATER = 5
const OTHER = 6
const LOCKED_NFC = 1_000n * NFC
const SHARED_NFC = 10_000n * NFC

/** cheater: 3/4 of the coin-time (750 NFC), other: 250 NFC, both locked at the same time; unlocked at once after 3 s */
async function setup(): Promise<TokenEnv> {
  const env = await tokenEnv({ lockMs: 3_000n, unlockMs: 0n })
  const start = GENESIS_TIME + 100_000n
  const fs = new FlowStore(env.sm)
  // bonus budgets that never bind: the split itself is under test (the budget: bonusIndex.test.ts)
  await creditLock(fs, hexOf(CHEATER), (LOCKED_NFC * 3n) / 4n, start, SHARED_NFC)
  await creditLock(fs, hexOf(OTHER), LOCKED_NFC / 4n, start, SHARED_NFC)
  await env.setBalance(FLOW_REWARDS_ADDR, LOCKED_NFC)
  await env.setBalance(SHARED, SHARED_NFC)
  env.timeMs = start + 60_000n
  return env
}

/** the total bonus the cheater gets withdrawing all of its 750 NFC in `parts` equal transactions */
async function bonusInParts(parts: bigint): Promise<bigint> {
  const env = await setup()
  const before = await env.balance(SHARED)
  const amount = (LOCKED_NFC * 3n) / 4n
  for (let i = 0n; i < parts; i++) {
    const r = await env.send(CHEATER, FLOW_REWARDS_ADDR, flowIface.encodeFunctionData('withdraw', [amount / parts]))
    if (outcome(r) !== 'ok') throw new Error(`withdraw part ${i}: ${outcome(r)}`)
  }
  return before - (await env.balance(SHARED))
}

t.test('withdrawing in 10 parts pays no more coin-time bonus than one withdrawal', async (t) => {
  const one = await bonusInParts(1n)
  const ten = await bonusInParts(10n)
  t.ok(one > 0n, `one withdrawal earns a bonus (${one} wei)`)
  t.ok(ten <= one, `10 parts: ${ten} wei ≤ one withdrawal: ${one} wei (ratio ${Number((ten * 10_000n) / one) / 10_000})`)
  // one withdrawal of 3/4 of the coin-time: 3/4 of half the pool's growth
  const exact = ((SHARED_NFC / 2n) * 3n) / 4n
  t.ok(one <= exact && one >= exact - 1n, `one withdrawal: 3/4 of half the pool, ${exact} wei (at most 1 wei lost to rounding): ${one}`)
})
