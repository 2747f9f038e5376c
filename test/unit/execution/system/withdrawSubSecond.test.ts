/**
 * REGRESSION (found by test/slow/supplyInvariant.test.ts's 100 ms chain; fixed by evmBlock recording
 * the exact ms block time for the system contracts, hooks.ts setBlockTimeMs). Before the fix:
 *
 * The flow engine (begin hook) stamps lock entries with the block time in ms, while every system
 * contract sees the block time in whole seconds (hooks.ts: blockTimeMs = EVM header seconds ·
 * 1000). On a chain whose blocks are not on whole seconds (blockIntervalMs < 1000 — the genesis
 * allows 100 — or a genesis time off the second), a lock credited at X.500 s is "in the future"
 * for a withdrawal at X.600 s, which FlowRewards.withdraw computes at t = X.000 s: the network
 * coin-time T(t) = t·Σc − Σcs gets a negative term, so
 *   - T(t) < ct: the bonus exceeds half the shared pool (locks.ts promises at most half), or
 *   - T(t) < 0: coinTimeBonus throws RangeError → INTERNAL_ERROR, the withdrawal fails and burns
 *     all its gas although the amount is withdrawable.
 * No NFC is created or lost (every move is a transfer; a failure reverts), so the supply
 * invariant holds; the coin-time accounting does not.
 */
import t from 'tap'
import { Address, hexToBytes } from '@ethereumjs/util'
import { POOLS } from '../../../../src/chain/systemAddresses.js'
import { creditLock } from '../../../../src/consensus/povf/engine.js'
import { FlowStore } from '../../../../src/consensus/povf/store.js'
import { FLOW_REWARDS_ADDR, tokenEnv } from '../../../helpers/tokenEnv.js'
import { GENESIS_TIME, hexOf, NFC, outcome } from '../../../helpers/systemVm.js'
import { flowIface } from './flowEnv.js'

const SHARED = new Address(hexToBytes(POOLS.shared as `0x${string}`))

async function setup(newLock: bigint) {
  // locks of 3 s, unlocked at once after them
  const env = await tokenEnv({ lockMs: 3_000n, unlockMs: 0n })
  const X = GENESIS_TIME + 100_000n // a whole second
  const fs = new FlowStore(env.sm)
  // dev 5: 1 NFC credited 3.2 s before X (withdrawable at X); dev 6: `newLock` credited by the
  // engine in the block at X.500 (its begin hook runs at the exact ms time)
  // budgets that never bind (the bonus is bounded by the pool here)
  await creditLock(fs, hexOf(5), NFC, X - 3_200n, 1_000n * NFC)
  await creditLock(fs, hexOf(6), newLock, X + 500n, 1_000n * NFC)
  await env.setBalance(FLOW_REWARDS_ADDR, NFC + newLock)
  await env.setBalance(SHARED, 1_000n * NFC)
  env.timeMs = X + 600n // the next 100 ms block, same second
  return env
}

t.test('a lock credited earlier in the same second (100 ms blocks): withdraw sees the exact ms time and succeeds', async (t) => {
  const env = await setup(10n * NFC)
  // exact ms: T = 1 NFC·3.8 s + 10 NFC·0.1 s > 0, ct = 1 NFC·3.8 s; the contract, at X: T = 3.2 − 5.0 < 0
  const r = await env.send(5, FLOW_REWARDS_ADDR, flowIface.encodeFunctionData('withdraw', [NFC]))
  t.equal(outcome(r), 'ok', 'withdrawing 1 withdrawable NFC succeeds')
})

t.test('the coin-time bonus stays at most half the shared pool within one second', async (t) => {
  const env = await setup(NFC)
  const before = await env.balance(SHARED)
  const r = await env.send(5, FLOW_REWARDS_ADDR, flowIface.encodeFunctionData('withdraw', [NFC]))
  t.equal(outcome(r), 'ok')
  const bonus = before - (await env.balance(SHARED))
  // at X: T = 1·3.2 − 1·0.5 = 2.7 NFC·s < ct = 3.2 → bonus = 1,000 · 3.2 / 5.4 ≈ 592.6 NFC
  t.ok(bonus <= before / 2n, `bonus ${bonus} wei is at most half the pool (${before / 2n})`)
})
