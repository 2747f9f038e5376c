import t from 'tap'
import { LN2_Q256, MAX_DEN, ONE_Q, ceilDiv, exp2NegFracQ256, exp2NegQ256, halvingIssuance, isqrt, mulExp2NegCeil } from '../../../src/consensus/fixedPoint.js'
import { prng } from '../../helpers/prng.js'

// ---- independent reference: 2^(−m/d) from a chain of integer square roots (no ln2, no exp) ----
const R = 400n
const K = 330
const SQRT_CHAIN: bigint[] = (() => {
  const c: bigint[] = [0n]
  let s = 2n << R // 2^(2^0) in Q400
  for (let i = 1; i <= K; i++) {
    s = isqrt(s << R) // 2^(2^−i)
    c.push((1n << (2n * R)) / s) // 2^(−2^−i)
  }
  return c
})()
/** 2^(−m/d) in Q400 for 0 ≤ m < d, error < 2^−320 relative. */
function refExp2NegFrac(m: bigint, d: bigint): bigint {
  const bits = (m << BigInt(K)) / d
  let v = 1n << R
  for (let i = 1; i <= K; i++) if ((bits >> BigInt(K - i)) & 1n) v = (v * SQRT_CHAIN[i]!) >> R
  return v
}

function randBig(rand: () => number, maxExclusive: bigint): bigint {
  let x = 0n
  for (let i = 0; i < 4; i++) x = (x << 32n) | BigInt(Math.floor(rand() * 4294967296))
  return x % maxExclusive
}

t.test('ln2 constant matches an independent value (bc -l, 256 fraction bits)', async (t) => {
  t.equal(LN2_Q256, 0xb17217f7d1cf79abc9e3b39803f2f6af40f343267298b62d8a0d175b8baafa2bn)
})

t.test('isqrt and ceilDiv', async (t) => {
  const rand = prng(7)
  for (let i = 0; i < 500; i++) {
    const n = randBig(rand, 1n << BigInt(1 + (i % 120)))
    const r = isqrt(n)
    if (!(r * r <= n && (r + 1n) * (r + 1n) > n)) t.fail(`isqrt(${n})`)
  }
  t.equal(isqrt(0n), 0n)
  t.equal(isqrt(1n), 1n)
  t.equal(isqrt(1n << 200n), 1n << 100n)
  t.equal(ceilDiv(10n, 5n), 2n)
  t.equal(ceilDiv(11n, 5n), 3n)
  t.equal(ceilDiv(0n, 5n), 0n)
  t.throws(() => isqrt(-1n))
  t.throws(() => ceilDiv(1n, 0n))
})

t.test('exp2NegFracQ256: exact at 0, within 2 ulps (2^-255) of the reference', async (t) => {
  t.equal(exp2NegFracQ256(0n, 7n), ONE_Q)
  const half = exp2NegFracQ256(1n, 2n)
  const sqrtHalf = isqrt((ONE_Q * ONE_Q) / 2n) // ⌊2^256/√2⌋
  t.ok(half - sqrtHalf <= 2n && sqrtHalf - half <= 2n, '2^(-1/2) within 2 ulps of ⌊2^256/√2⌋')
  const rand = prng(42)
  let maxErr = 0n
  const dens = [2n, 3n, 10n, 51709n, 43n * 31_536_000_000n, 1_356_048_000n, MAX_DEN - 1n, MAX_DEN]
  for (let i = 0; i < 400; i++) {
    const d = i < dens.length * 10 ? dens[i % dens.length]! : 1n + randBig(rand, MAX_DEN)
    const m = i % 5 === 0 ? d - 1n : randBig(rand, d)
    const ours = exp2NegFracQ256(m, d)
    const ref = refExp2NegFrac(m, d) >> (R - 256n)
    const err = ours > ref ? ours - ref : ref - ours
    if (err > maxErr) maxErr = err
    if (!(ours > ONE_Q / 2n && ours <= ONE_Q)) t.fail(`out of (1/2, 1] at ${m}/${d}`)
  }
  t.ok(maxErr <= 2n, `max error ${maxErr} ulps of 2^-256`)
})

t.test('exp2NegFracQ256 is strictly decreasing in num (dense windows)', async (t) => {
  const H = 43n * 31_536_000_000n
  for (const d of [3n, 1000n, 51709n, H, MAX_DEN]) {
    for (const start of [0n, d / 3n, d / 2n, d - 1500n]) {
      const s0 = start < 0n ? 0n : start
      let prev = exp2NegFracQ256(s0, d)
      let ok = true
      for (let m = s0 + 1n; m < d && m < s0 + 1500n; m++) {
        const v = exp2NegFracQ256(m, d)
        if (!(v < prev)) ok = false
        prev = v
      }
      t.ok(ok, `d=${d} from ${s0}`)
    }
  }
})

t.test('composed 2^(-x): integer points exact, monotone across integer boundaries', async (t) => {
  const pool = 336_000_000n * 10n ** 18n
  const d = 1000n
  t.equal(halvingIssuance(pool, 0n, d), 0n)
  t.equal(halvingIssuance(pool, d, d), pool / 2n)
  t.equal(halvingIssuance(pool, 2n * d, d), (pool * 3n) / 4n)
  t.equal(halvingIssuance(pool, 3n * d, d), (pool * 7n) / 8n)
  t.equal(halvingIssuance(pool, 10_000n * d, d), pool - 1n, 'never the whole pool')
  t.equal(halvingIssuance(0n, 5n, d), 0n)
  let prev = -1n
  let bad = -1n
  for (let num = 0n; num < 400n * d; num += 7n) {
    const v = halvingIssuance(pool, num, d)
    if (v < prev && bad < 0n) bad = num
    prev = v
  }
  t.equal(bad, -1n, 'monotone over 400 half-lives')
  for (let k = 1n; k < 300n; k++) {
    const a = mulExp2NegCeil(pool, k * d - 1n, d)
    const b = mulExp2NegCeil(pool, k * d, d)
    if (!(a >= b)) t.fail(`boundary ${k}`)
  }
  t.same(exp2NegQ256(2500n, 1000n), { mantissa: exp2NegFracQ256(500n, 1000n), shift: 2n })
  t.throws(() => exp2NegFracQ256(5n, 5n))
  t.throws(() => exp2NegFracQ256(0n, MAX_DEN + 1n))
  t.throws(() => exp2NegQ256(-1n, 5n))
  t.throws(() => halvingIssuance(-1n, 0n, 5n))
})

t.test('traffic curve of DESIGN §5.8 uses the same helper (exponent n/51.709 = 1000n/51709)', async (t) => {
  const Pf = 1_344_000_000n * 10n ** 18n
  t.equal(halvingIssuance(Pf, 51709n, 51709n), Pf / 2n)
  let prev = 0n
  let increasing = true
  for (let n = 1n; n <= 300n; n++) {
    const v = halvingIssuance(Pf, 1000n * n, 51709n)
    if (!(v > prev)) increasing = false
    prev = v
  }
  t.ok(increasing, 'strictly increasing per EB step')
})
