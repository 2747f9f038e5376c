/**
 * Exact integer fixed-point helpers for consensus math (bigint only: no floating point,
 * no Math.*). Every function is a pure function of its integer inputs, so every node gets
 * the identical result.
 *
 * Central helper: 2^(−num/den) for a non-negative rational exponent, as
 *   2^(−x) = 2^(−⌊x⌋) × 2^(−frac),   frac = (num mod den)/den ∈ [0, 1),
 * with 2^(−frac) = exp(−frac·ln2) in Q256 (value × 2^256) by a Taylor series evaluated
 * at 320 bits (64 guard bits) and truncated (rounded DOWN) to 256 bits.
 *
 * Precision (proved in the comments of exp2NegFracQ256, checked in the tests against an
 * independent square-root-chain reference): |result − 2^256·2^(−frac)| < 2, i.e. the error
 * is below 2^−255. The result is exactly 2^256 at frac = 0, always ≥ 2^255, and strictly
 * decreasing in num for a fixed den ≤ 2^64 — so the composed 2^(−x) is monotone
 * non-increasing in x by construction (see mulExp2NegCeil).
 */

/** Fraction bits of the Q256 results. */
export const Q = 256n
/** 1.0 in Q256. */
export const ONE_Q = 1n << Q

/** Working precision of the series (64 guard bits above Q). */
const W = Q + 64n
const ONE_W = 1n << W

/** Largest denominator for which the monotonicity proof of exp2NegFracQ256 holds. */
export const MAX_DEN = 1n << 64n

/** ⌈a / b⌉ for a ≥ 0, b > 0. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError('ceilDiv: divisor must be positive')
  if (a < 0n) throw new RangeError('ceilDiv: dividend must be non-negative')
  return (a + b - 1n) / b
}

/** ⌊√n⌋ for n ≥ 0 (Newton's method on integers; exact). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt: negative input')
  if (n < 2n) return n
  // start above the root: 2^⌈bits/2⌉
  let x = 1n << BigInt(halfBitLengthCeil(n))
  for (;;) {
    const y = (x + n / x) >> 1n
    if (y >= x) return x
    x = y
  }
}

/** ⌈bitLength(n)/2⌉ without floating point. */
function halfBitLengthCeil(n: bigint): number {
  const bits = n.toString(2).length
  return (bits + 1) >> 1
}

/**
 * ln 2 in W = 320 fraction bits, from ln 2 = 2·atanh(1/3) = Σ_{k≥0} 2 / ((2k+1)·3^(2k+1)),
 * each term floored at W+16 bits (≤ 1 ulp error each, < 200 terms), then truncated to W:
 * 0 ≤ ln2 − LN2_W/2^W < 2^−W + 2^−(W+8), i.e. less than 2 ulps at W.
 */
const LN2_W: bigint = (() => {
  const P = W + 16n
  const two = 2n << P
  let sum = 0n
  let pow3 = 3n // 3^(2k+1)
  for (let k = 0n; ; k++) {
    const term = two / ((2n * k + 1n) * pow3)
    if (term === 0n) break
    sum += term
    pow3 *= 9n
  }
  return sum >> 16n
})()

/** ln 2 in Q256 (truncated; error < 2^−255). */
export const LN2_Q256: bigint = LN2_W >> (W - Q)

/**
 * 2^(−num/den) × 2^256, for 0 ≤ num < den ≤ 2^64, rounded down from a 320-bit evaluation.
 *
 * y = ⌊num·LN2_W/den⌋ approximates (num/den)·ln2 with error < 3 ulps (at 2^−320).
 * exp(−y) = Σ (−y)^k/k!, term_k = ⌊⌊term_{k−1}·y/2^W⌋/k⌋: each step adds < 2 ulps and
 * scales the inherited error by y/k < 0.7, so every term is within 2/(1−0.7) < 7 ulps of
 * y^k/k!; the series stops when a term is 0 (< 70 terms since y < 0.7), truncation < 1 ulp.
 * With |d exp(−y)/dy| ≤ 1 the error of y adds < 3 ulps: total < 3 + 7·70 + 1 < 2^9 ulps
 * at 320 bits, i.e. < 2^−311. The final shift by 64
 * bits adds < 1 ulp at 256 bits, so |result − 2^256·2^(−num/den)| < 1 + 2^−55 < 2.
 *
 * Consequences used by the callers:
 *  - num = 0 ⇒ y = 0 ⇒ exactly 2^256.
 *  - the true value drops by > 2^255·(ln2/den)·(1 − 1/den) ≥ 2^189 ulps between num and
 *    num+1 (den ≤ 2^64), far above 2 × the error ⇒ strictly decreasing in num.
 *  - at num = den−1 the true value exceeds 2^255·(1 + 2^−65) ⇒ result > 2^255.
 */
export function exp2NegFracQ256(num: bigint, den: bigint): bigint {
  if (den <= 0n || den > MAX_DEN) throw new RangeError('exp2NegFracQ256: den must be in [1, 2^64]')
  if (num < 0n || num >= den) throw new RangeError('exp2NegFracQ256: num must be in [0, den)')
  if (num === 0n) return ONE_Q
  const y = (num * LN2_W) / den
  let sum = ONE_W
  let term = ONE_W
  for (let k = 1n; ; k++) {
    term = (term * y) >> W
    term /= k
    if (term === 0n) break
    if (k & 1n) sum -= term
    else sum += term
  }
  return sum >> (W - Q)
}

/** 2^(−num/den) as mantissa × 2^(−256−shift): mantissa = exp2NegFracQ256(num mod den, den). */
export function exp2NegQ256(num: bigint, den: bigint): { mantissa: bigint; shift: bigint } {
  if (num < 0n) throw new RangeError('exp2NegQ256: exponent must be non-negative')
  return { mantissa: exp2NegFracQ256(num % den, den), shift: num / den }
}

/**
 * ⌈value × 2^(−num/den)⌉ (with the Q256 approximation of 2^(−frac)), value ≥ 0.
 * Monotone non-increasing in num for fixed value and den (by construction: within one
 * integer part the mantissa is strictly decreasing; across ⌊x⌋ → ⌊x⌋+1 the mantissa drops
 * from > 2^255 to exactly 2^256 with one more halving, i.e. to exactly half of 2^256).
 * Error vs the real value·2^(−x): < value·2^(−255−⌊x⌋) before the ceiling.
 */
export function mulExp2NegCeil(value: bigint, num: bigint, den: bigint): bigint {
  if (value < 0n) throw new RangeError('mulExp2NegCeil: value must be non-negative')
  const { mantissa, shift } = exp2NegQ256(num, den)
  return ceilDiv(value * mantissa, 1n << (Q + shift))
}

/**
 * Issuance of a halving curve: ⌊pool × (1 − 2^(−num/den))⌋ computed as
 * pool − ⌈pool × 2^(−num/den)⌉ (rounded DOWN: never issues more than the curve).
 * Monotone non-decreasing in num, 0 at num = 0, exactly pool/2^k at num = k·den when
 * pool is divisible by 2^k, never more than pool − 1 (the remainder is never 0 in finite time).
 * Max error vs the real curve: < 1 wei (it equals ⌊real⌋ unless the real value lies within
 * pool·2^−255 of an integer, where it may be one less).
 */
export function halvingIssuance(pool: bigint, num: bigint, den: bigint): bigint {
  if (pool < 0n) throw new RangeError('halvingIssuance: pool must be non-negative')
  if (pool === 0n) return 0n
  return pool - mulExp2NegCeil(pool, num, den)
}
