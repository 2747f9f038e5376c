/**
 * The one fuel rule (src/flow/fuel.ts), which the checkpoint burns by (consensus/povf/engine.ts)
 * and the agents' vouchers cover (flowAgent/payment.ts): ⌈bytes × price / 10^9⌉ NB wei, rounded
 * up, exact on whole GB, zero at a zero price, a negative argument refused.
 */
import t from 'tap'
import { fuelOwed } from '../../../src/flow/fuel.js'

t.test('fuelOwed = ⌈bytes × price / 10^9⌉', async (t) => {
  t.equal(fuelOwed(0n, 5n), 0n)
  t.equal(fuelOwed(1n, 1n), 1n) // ⌈10^−9⌉
  t.equal(fuelOwed(10n ** 9n, 5n * 10n ** 15n), 5n * 10n ** 15n) // 1 GB at 0.005 NB/GB
  t.equal(fuelOwed(1_500_000_000n, 3n), 5n) // ⌈4.5⌉
  t.equal(fuelOwed(2_000_000_000n, 3n), 6n) // exact
  t.equal(fuelOwed(999_999_999n, 3n), 3n) // ⌈2.999999997⌉
  t.equal(fuelOwed(123n, 0n), 0n)
  t.equal(fuelOwed(10n ** 18n, 10n ** 16n), 10n ** 25n, 'no overflow: bigint all the way')
})

t.test('a negative count or price is a caller bug: RangeError naming the argument', async (t) => {
  t.throws(() => fuelOwed(-1n, 5n), { name: 'RangeError', message: /bytes must be a bigint ≥ 0, got -1/ })
  t.throws(() => fuelOwed(5n, -1n), { name: 'RangeError', message: /fuelPricePerGb must be a bigint ≥ 0, got -1/ })
  t.throws(() => fuelOwed(5 as unknown as bigint, 1n), { name: 'RangeError', message: /bytes must be a bigint/ })
})
