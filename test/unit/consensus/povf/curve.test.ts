import t from 'tap'
import { EB, GB, TRAFFIC_POOL, currentEb, mintedAt, rewardPerGb, trafficIssuance, trafficReward } from '../../../../src/consensus/povf/curve.js'
import { PovfErrorCode } from '../../../../src/consensus/povf/errors.js'
import { prng } from '../../../helpers/prng.js'

const NFC = 10n ** 18n

/**
 * Independent reference values of I(n) = Pf × (1 − 2^(−1000n/51709)) in wei, derived ONCE with
 * Python's `decimal` module at 80 significant digits (a different method from the Q256 Taylor
 * series of fixedPoint.ts: decimal's correctly rounded power function):
 *
 *   from decimal import Decimal as D, getcontext; getcontext().prec = 80
 *   Pf = D(1344000000) * D(10)**18
 *   Pf * (1 - D(2) ** (-D(n*1000)/D(51709)))
 *
 *   n = 1    → 17895796548389559159290712.2176419062847368720196821308889666516463…
 *   n = 2    → 35553304752953707857852031.0007566829646551555242596080369151787550…
 *   n = 100  → 992247198964519259593216681.5768250912377054564090274561619623888486…
 *   n = 1000 → 1343997973333793426602278087.6461197914006231027047141882363392607187…
 *
 * None lies within 10^-4 wei of an integer, far more than halvingIssuance's < 2^-165 wei error
 * at this pool size, so I(n) must be exactly the floor.
 */
const REFERENCE: [bigint, bigint][] = [
  [1n, 17895796548389559159290712n],
  [2n, 35553304752953707857852031n],
  [100n, 992247198964519259593216681n],
  [1000n, 1343997973333793426602278087n],
]

t.test('constants', async (t) => {
  t.equal(TRAFFIC_POOL, 1_344_000_000n * NFC)
  t.equal(EB, 10n ** 18n)
  t.equal(GB, 10n ** 9n)
})

t.test('trafficIssuance: exact values against the decimal reference', async (t) => {
  t.equal(trafficIssuance(0n), 0n)
  for (const [n, want] of REFERENCE) t.equal(trafficIssuance(n), want, `I(${n})`)
  // n = 51709 EB is exactly 1000 half-lives: Pf − ⌈Pf · 2^−1000⌉ = Pf − 1.
  t.equal(trafficIssuance(51_709n), TRAFFIC_POOL - 1n)
})

t.test('trafficIssuance: strictly increasing, concave, always below Pf', async (t) => {
  let prev = trafficIssuance(0n)
  let prevStep = -1n
  let ok = true
  for (let n = 1n; n <= 400n; n++) {
    const cur = trafficIssuance(n)
    const step = cur - prev
    if (step <= 0n) ok = false
    // the per-EB release halves every 51.709 EB: each step is ≤ the one before (+1 wei of rounding)
    if (prevStep >= 0n && step > prevStep + 1n) ok = false
    prev = cur
    prevStep = step
  }
  t.ok(ok, 'strictly increasing with non-increasing steps over 0..400 EB')
  for (const n of [10_000n, 100_000n, 10n ** 9n]) t.ok(trafficIssuance(n) < TRAFFIC_POOL, `I(${n}) < Pf`)
  // half the pool at the half-life, bracketed by the whole EB on each side of 51.709
  t.ok(trafficIssuance(51n) < TRAFFIC_POOL / 2n && trafficIssuance(52n) > TRAFFIC_POOL / 2n)
})

t.test('mintedAt: equals I at every EB boundary, linear within one EB', async (t) => {
  for (const k of [0n, 1n, 2n, 51n, 100n]) t.equal(mintedAt(k * EB), trafficIssuance(k))
  const i1 = trafficIssuance(1n)
  // M(B) for B < 1 EB is ⌊B · I(1) / EB⌋
  t.equal(mintedAt(EB / 2n), i1 / 2n)
  t.equal(mintedAt(1n), i1 / EB) // one byte: ⌊I(1) / 10^18⌋ wei
  t.equal(mintedAt(EB - 1n), ((EB - 1n) * i1) / EB)
  const i2 = trafficIssuance(2n)
  t.equal(mintedAt(EB + 3n * 10n ** 17n), i1 + (3n * 10n ** 17n * (i2 - i1)) / EB)
})

t.test('trafficReward across an EB boundary is the sum of the two parts', async (t) => {
  const B = EB - 4n * 10n ** 17n // 0.6 EB
  const v = 10n ** 18n // one EB: 0.4 EB at the first rate, 0.6 EB at the second
  const i1 = trafficIssuance(1n)
  const i2 = trafficIssuance(2n)
  const firstPart = i1 - (B * i1) / EB // up to the boundary
  const secondPart = (6n * 10n ** 17n * (i2 - i1)) / EB // from the boundary
  t.equal(trafficReward(B, v), firstPart + secondPart)
  t.equal(trafficReward(B, v), trafficReward(B, EB - B) + trafficReward(EB, B + v - EB))
})

t.test('many small rewards sum to the one big reward (no drift)', async (t) => {
  const rand = prng(5)
  const start = 7n * 10n ** 17n
  let B = start
  let sum = 0n
  for (let i = 0; i < 2000; i++) {
    // steps of up to ~2·10^15 bytes, so the run crosses the 1 EB and 2 EB boundaries… and odd sizes
    const v = BigInt(Math.floor(rand() * 2 ** 31)) * 1_000_003n + BigInt(Math.floor(rand() * 1000))
    sum += trafficReward(B, v)
    B += v
  }
  t.ok(B > EB, 'the run crosses an EB boundary')
  t.equal(sum, trafficReward(start, B - start))
  t.equal(sum, mintedAt(B) - mintedAt(start))
  // one byte at a time over a tiny stretch, too
  let small = 0n
  for (let b = 0n; b < 500n; b++) small += trafficReward(EB - 250n + b, 1n)
  t.equal(small, trafficReward(EB - 250n, 500n))
  t.equal(trafficReward(123n, 0n), 0n)
})

t.test('rewardPerGb and currentEb', async (t) => {
  // ⌊I(1) · 10^9 / 10^18⌋ = ⌊17895796548389559159290712 / 10^9⌋ ≈ 0.0179 NFC per GB in the first EB
  t.equal(rewardPerGb(0n), 17895796548389559n)
  t.equal(rewardPerGb(EB - 1n), 17895796548389559n)
  t.equal(rewardPerGb(EB), ((trafficIssuance(2n) - trafficIssuance(1n)) * GB) / EB)
  t.ok(rewardPerGb(EB) < rewardPerGb(0n))
  t.equal(currentEb(0n), 0n)
  t.equal(currentEb(EB - 1n), 0n)
  t.equal(currentEb(EB), 1n)
  t.equal(currentEb(52n * EB + 9n), 52n)
})

t.test('negative inputs are refused with a typed error', async (t) => {
  t.throws(() => trafficIssuance(-1n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => mintedAt(-1n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => trafficReward(0n, -1n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => rewardPerGb(-5n), { code: PovfErrorCode.POVF_BAD_ARG })
})
