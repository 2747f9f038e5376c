import t from 'tap'
import { PovfErrorCode } from '../../../../src/consensus/povf/errors.js'
import {
  LN_Q,
  MAX_FUNDERS_KEPT,
  addFundingEdge,
  isSelfDealing,
  liveFundingEdges,
  lnQ128,
  rewardCap,
  valueBytes,
} from '../../../../src/consensus/povf/valuing.js'
import { prng } from '../../../helpers/prng.js'

const NFC = 10n ** 18n

/**
 * Independent references: natural logarithms as decimal strings (80 significant digits from
 * Python's `decimal`: `D(2).ln()`, `D(3).ln()`, `D(10).ln()` at prec 80; the first 40 digits are
 * the textbook constants). ref = ⌊digits · 2^128 / 10^79⌋ is the floor of a value below the real
 * one by < 10^−79·2^128 < 10^−40, so ref ∈ {⌊ln·2^128⌋ − 1, ⌊ln·2^128⌋}.
 */
const LN2 = '0.69314718055994530941723212145817656807550013436025525412068000949339362196969472'
const LN3 = '1.0986122886681096913952452369225257046474905578227494517346943336374942932186090'
const LN10 = '2.3025850929940456840179914546843642076011014886287729760333279009675726096773525'

function q128(decimal: string, times = 1n): bigint {
  const [int, frac] = decimal.split('.') as [string, string]
  return ((BigInt(int + frac) * times) << LN_Q) / 10n ** BigInt(frac.length)
}

/** |a − b| ≤ tol */
function near(a: bigint, b: bigint, tol: bigint): boolean {
  const d = a - b
  return d >= -tol && d <= tol
}

t.test('lnQ128 against 80-digit constants', async (t) => {
  t.equal(lnQ128(1n, 1n), 0n)
  t.equal(lnQ128(12345n, 12345n), 0n)
  // the brief's claim: result ∈ {⌊ln·2^128⌋ − 1, ⌊ln·2^128⌋}; with ref itself possibly one low, |Δ| ≤ 1
  t.ok(near(lnQ128(2n, 1n), q128(LN2), 1n), 'ln 2')
  t.ok(near(lnQ128(3n, 1n), q128(LN3), 1n), 'ln 3')
  t.ok(near(lnQ128(10n, 1n), q128(LN10), 1n), 'ln 10')
  t.ok(near(lnQ128(30n, 10n), q128(LN3), 1n), 'ln(30/10) = ln 3')
  t.ok(near(lnQ128(10n ** 40n, 10n ** 39n), q128(LN10), 1n), 'ln(10^40/10^39)')
  // 2^128·ln2 floor, printed by Python: int(D(2).ln() * 2**128)
  t.ok(near(lnQ128(2n, 1n), 235865763225513294137944142764154484399n, 1n))
  // combinations: ln(3/2) = ln3 − ln2, ln(1000) = 3·ln10, ln(6) = ln2 + ln3, ln(2^300/3) = 300·ln2 − ln3
  t.ok(near(lnQ128(3n, 2n), q128(LN3) - q128(LN2), 2n), 'ln 1.5')
  t.ok(near(lnQ128(1000n, 1n), q128(LN10, 3n), 2n), 'ln 1000')
  t.ok(near(lnQ128(6n, 1n), q128(LN2) + q128(LN3), 2n), 'ln 6')
  t.ok(near(lnQ128(1n << 300n, 3n), q128(LN2, 300n) - q128(LN3), 2n), 'ln(2^300/3)')
  t.ok(near(lnQ128(1n << 5000n, 1n), q128(LN2, 5000n), 2n), 'ln 2^5000 (k·ln2 error still < 1 ulp)')
})

t.test('lnQ128 is floor-rounded: ⌊ln·2^128⌋ or one less, never above', async (t) => {
  // Exact floors, from Python `decimal` at prec 90: int(D(x).ln() * D(2)**128) (fractional parts
  // .2537, .7425, .5400, .9962, .6201, .3711 — none near an integer, so the floors are certain).
  const floors: [bigint, bigint, bigint][] = [
    [2n, 1n, 235865763225513294137944142764154484399n],
    [3n, 1n, 373838389916413667603494184660470824117n],
    [10n, 1n, 783529105480883066805338482703447369891n],
    [6n, 1n, 609704153141926961741438327424625308516n],
    [1000n, 1n, 2350587316442649200416015448110342109674n],
    [1n << 300n, 3n, 70385890577737574573779748644585874495658n], // 300·ln2 − ln3
  ]
  for (const [num, den, floor] of floors) {
    const r = lnQ128(num, den)
    t.ok(r === floor || r === floor - 1n, `ln(${num}/${den}): ${r} vs ${floor}`)
  }
})

t.test('lnQ128 is monotone and additive on seeded random inputs', async (t) => {
  const rand = prng(20240605)
  const big = (bits: number): bigint => {
    let x = 1n
    for (let i = 0; i < bits; i += 30) x = (x << 30n) | BigInt(Math.floor(rand() * 2 ** 30))
    return x
  }
  let monotone = true
  let additive = true
  for (let i = 0; i < 300; i++) {
    const den = big(1 + Math.floor(rand() * 90))
    const num = den + big(Math.floor(rand() * 120))
    const bump = big(Math.floor(rand() * 10)) // a small and a large step
    if (lnQ128(num + bump, den) < lnQ128(num, den)) monotone = false
    if (den + bump <= num && lnQ128(num, den + bump) > lnQ128(num, den)) monotone = false
    // ln(a·b) = ln a + ln b within the rounding of three floors
    const a = 1n + big(Math.floor(rand() * 60))
    const b = 1n + big(Math.floor(rand() * 60))
    if (!near(lnQ128(a * b, 1n), lnQ128(a, 1n) + lnQ128(b, 1n), 2n)) additive = false
  }
  t.ok(monotone, 'non-decreasing in num, non-increasing in den')
  t.ok(additive, 'ln(ab) = ln a + ln b ± 2 ulps')
  // right around powers of two, where k steps
  for (const k of [1n, 7n, 64n, 200n]) {
    const p = 1n << k
    const den = 1_000_003n
    const xs = [p * den - 2n, p * den - 1n, p * den, p * den + 1n]
    for (let i = 1; i < xs.length; i++) t.ok(lnQ128(xs[i]!, den) >= lnQ128(xs[i - 1]!, den), `around 2^${k}, step ${i}`)
  }
  // the same rational written two ways gives the same result
  t.equal(lnQ128(7n, 3n), lnQ128(7n * 10n ** 30n, 3n * 10n ** 30n))
})

t.test('lnQ128 refuses ratios below 1 and zero denominators', async (t) => {
  t.throws(() => lnQ128(1n, 2n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => lnQ128(1n, 0n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => lnQ128(-3n, -4n), { code: PovfErrorCode.POVF_BAD_ARG })
})

t.test('valueBytes: linear to L, logarithmic above (hand-computed cases)', async (t) => {
  t.equal(valueBytes(0n, 1000n), 0n)
  t.equal(valueBytes(999n, 1000n), 999n)
  t.equal(valueBytes(1000n, 1000n), 1000n)
  // b = 2L, L = 1000: 1000 + ⌊1000·ln 2⌋ = 1000 + ⌊693.147…⌋ = 1693
  t.equal(valueBytes(2000n, 1000n), 1693n)
  // b = 7390 ≈ 1000·e² (e² = 7.389056098930650…): 1000·ln(7.39) = 2000 + 1000·ln(7.39/7.389056…)
  //   = 2000.12773496… ⇒ 1000 + 2000 = 3000
  t.equal(valueBytes(7390n, 1000n), 3000n)
  // and just below: b = 7389 ⇒ 1000·ln 7.389 = 1999.9924… ⇒ 1000 + 1999 = 2999
  t.equal(valueBytes(7389n, 1000n), 2999n)
  // L = 1 GB, b = 2 GB: 10^9 + ⌊10^9 · 0.693147180559…⌋ = 10^9 + 693147180
  t.equal(valueBytes(2n * 10n ** 9n, 10n ** 9n), 1_693_147_180n)
  // L = 1 GB, b = 10 GB: 10^9 + ⌊10^9 · 2.302585092994…⌋ = 3302585092
  t.equal(valueBytes(10n ** 10n, 10n ** 9n), 3_302_585_092n)
  // L = 1 GB, b = 10^6 GB = 10^15: 10^9·(1 + 6·ln 10) = 10^9 + ⌊13815510557.964…⌋ = 14815510557
  t.equal(valueBytes(10n ** 15n, 10n ** 9n), 14_815_510_557n)
  // b = L + 1: 1000 + ⌊1000·ln(1.001)⌋ = 1000 + ⌊0.9995…⌋ = 1000 (the log part starts below 1 byte per byte)
  t.equal(valueBytes(1001n, 1000n), 1000n)
})

t.test('valueBytes is monotone and never above b', async (t) => {
  const L = 1_000_000n
  let prev = 0n
  let ok = true
  for (let b = 0n; b <= 50_000_000n; b += 99_991n) {
    const v = valueBytes(b, L)
    if (v < prev || v > b) ok = false
    prev = v
  }
  t.ok(ok)
  t.throws(() => valueBytes(10n, 0n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => valueBytes(-1n, 10n), { code: PovfErrorCode.POVF_BAD_ARG })
})

t.test('rewardCap = ⌊fuel × bps × 10^18 / (price × 10^4)⌋', async (t) => {
  // 1 NB burned, cap 2× (20000 bps), 1 NB per NFC ⇒ 2 NFC
  t.equal(rewardCap(NFC, 20_000n, NFC), 2n * NFC)
  // 1 NB burned, 2×, 0.4 NB per NFC ⇒ 1·2/0.4 = 5 NFC
  t.equal(rewardCap(NFC, 20_000n, 4n * 10n ** 17n), 5n * NFC)
  // 1 wei of NB, 1 bps, 3·10^14 NB wei per NFC ⇒ ⌊10^18 / (3·10^14 · 10^4)⌋ = ⌊1/3⌋ = 0
  t.equal(rewardCap(1n, 1n, 3n * 10n ** 14n), 0n)
  // 10 NB at 1.5×, 3 NB per NFC ⇒ 10·1.5/3 = 5 NFC
  t.equal(rewardCap(10n * NFC, 15_000n, 3n * NFC), 5n * NFC)
  // 1 NB at 1×, 3 NB per NFC ⇒ ⌊10^18/3⌋ wei
  t.equal(rewardCap(NFC, 10_000n, 3n * NFC), 333_333_333_333_333_333n)
  t.equal(rewardCap(0n, 20_000n, NFC), 0n)
  t.throws(() => rewardCap(1n, 1n, 0n), { code: PovfErrorCode.POVF_BAD_ARG })
})

t.test('isSelfDealing', async (t) => {
  const c = '0x' + '11'.repeat(20)
  const p = '0x' + '22'.repeat(20)
  const r = '0x' + '33'.repeat(20)
  const base = { consumer: c, provider: p, relays: [r], consumerVotesOnProvider: 0n, funderOfConsumer: null }
  t.equal(isSelfDealing(base), false, 'an honest pair')
  t.equal(isSelfDealing({ ...base, funderOfConsumer: r }), false, 'funded by someone else')
  t.equal(isSelfDealing({ ...base, provider: c }), true, 'consumer == provider')
  t.equal(isSelfDealing({ ...base, provider: c.toUpperCase().replace('0X', '0x') }), true, 'case-insensitive')
  t.equal(isSelfDealing({ ...base, relays: [r, c] }), true, 'consumer is a relay')
  t.equal(isSelfDealing({ ...base, consumerVotesOnProvider: 1n }), true, 'consumer votes on the provider')
  t.equal(isSelfDealing({ ...base, funderOfConsumer: p }), true, 'provider funded the consumer')
  t.equal(isSelfDealing({ ...base, relays: [] }), false, 'no relays')
  t.equal(isSelfDealing({ ...base, fundingSources: [r] }), false, 'funding sources without the provider')
  t.equal(isSelfDealing({ ...base, fundingSources: [r, p.toUpperCase().replace('0X', '0x')] }), true, 'the provider among the funding sources (2 hops)')
  t.equal(isSelfDealing({ ...base, fundingSources: [] }), false, 'no funding sources')
})

t.test('funding edges: window, merge, bounded by amount, deterministic', async (t) => {
  const a = (i: number) => '0x' + i.toString(16).padStart(40, '0')
  const W = 10n
  let e = addFundingEdge([], a(1), 5n, 3n, W)
  t.same(e, [{ from: a(1), amount: 5n, cycle: 3n }])
  e = addFundingEdge(e, a(1), 2n, 4n, W)
  t.same(e, [{ from: a(1), amount: 7n, cycle: 4n }], 'the same funder: amounts add, the cycle moves up')
  t.same(liveFundingEdges(e, 13n, W), [e[0]], 'cycle 4 + 10 > 13: inside the window')
  t.same(liveFundingEdges(e, 14n, W), [], 'cycle 4 + 10 = 14: outside')
  t.same(addFundingEdge(e, a(2), 1n, 14n, W), [{ from: a(2), amount: 1n, cycle: 14n }], 'stale edges are pruned on write')

  let full: ReturnType<typeof addFundingEdge> = []
  for (let i = 1; i <= MAX_FUNDERS_KEPT; i++) full = addFundingEdge(full, a(i), BigInt(100 + i), 0n, W)
  t.equal(full.length, MAX_FUNDERS_KEPT)
  t.same(addFundingEdge(full, a(99), 1n, 0n, W), full, 'full: dust does not push out a real funder')
  t.same(addFundingEdge(full, a(99), 101n, 0n, W), full, 'an equal amount does not either')
  const bigger = addFundingEdge(full, a(99), 500n, 0n, W)
  t.equal(bigger.length, MAX_FUNDERS_KEPT, 'still bounded')
  t.same(bigger[0], { from: a(99), amount: 500n, cycle: 0n }, 'a larger one replaces the smallest, in its place')
  t.same(bigger.slice(1), full.slice(1))
  t.throws(() => addFundingEdge([], a(1), 0n, 0n, W), { code: PovfErrorCode.POVF_BAD_ARG }, 'zero amounts are no edge')
})
