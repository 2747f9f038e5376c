/**
 * Valuing one (consumer, provider) pair's bytes of a cycle (DESIGN §5): linear up to the
 * threshold L, logarithmic above it, zero for self-dealing; plus the reward cap the fuel they
 * burn buys (the fuel itself: flow/fuel.ts fuelOwed, shared with the traffic agents). Pure bigint math.
 */
import { badArg, requireNonNegative, requirePositive } from './errors.js'

/** Fraction bits of lnQ128's result. */
export const LN_Q = 128n
/** Working fraction bits of the series (64 guard bits above LN_Q). */
const W = 192n
const GUARD = W - LN_Q

/**
 * ⌊2^W · atanh(U/2^W)⌋ approximately, for 0 ≤ U ≤ ⌊2^W/3⌋, as the floored series
 *   S = Σ_{j≥0} ⌊P_j / (2j+1)⌋,   P_0 = U,  V = ⌊U²/2^W⌋,  P_j = ⌊P_{j−1}·V/2^W⌋,
 * stopped at the first P_j = 0 (every later P is 0 too).
 *
 * Error (u the real argument, U = ⌊u·2^W⌋, u < 1/3, all in ulps of 2^−W, all one-sided):
 *  - 0 ≤ u²2^W − V < 2u + 1 < 5/3  (since (u2^W)² − U² = δ(u2^W + U) < 2u·2^W, δ < 1).
 *  - eⱼ = u^(2j+1)2^W − P_j ≥ 0 and eⱼ < u^(2j−1)·5/3 + e_{j−1}/9 + 1 < 14/9 + e_{j−1}/9,
 *    e_0 < 1 ⇒ eⱼ < 7/4 for every j.
 *  - each term: 0 ≤ u^(2j+1)2^W/(2j+1) − ⌊P_j/(2j+1)⌋ < 7/4 + 1 < 3.
 *  - P_j ≤ 2^W·3^−(2j+1) is 0 once 3^(2j+1) > 2^192, so at most 61 terms are non-zero; the
 *    dropped tail (true terms after the first P_J = 0, each < 7/4 and shrinking by 1/9) < 2.
 *  ⇒ 0 ≤ atanh(u)·2^W − S < 3·61 + 2 < 186.
 * Monotone: V, every P_j and every term are non-decreasing in U, so S is too.
 */
function atanhSeries(U: bigint): bigint {
  const V = (U * U) >> W
  let P = U
  let sum = 0n
  for (let d = 1n; P !== 0n; d += 2n) {
    sum += P / d
    P = (P * V) >> W
  }
  return sum
}

/**
 * ln 2 in Q192 as 2·atanh(1/3), from the same series as every mantissa (so the step from
 * m → 2⁻ to the next power of two can never go down — see lnQ128's monotonicity argument).
 * 0 ≤ ln2·2^192 − LN2_W < 372.
 */
const LN2_W: bigint = 2n * atanhSeries((1n << W) / 3n)

/**
 * ln(num/den) × 2^128 for num ≥ den > 0, integer-only:
 *   x = num/den = 2^k · m,  k = ⌊log₂ x⌋,  m ∈ [1, 2),
 *   ln x = k·ln2 + 2·atanh(u),  u = (m − 1)/(m + 1) = (num − D)/(num + D) ∈ [0, 1/3),  D = den·2^k,
 *   result = ⌊(k·LN2_W + 2·atanhSeries(⌊u·2^192⌋)) / 2^64⌋.
 *
 * Error bound (from the bounds of atanhSeries and LN2_W, both one-sided underestimates):
 *   0 ≤ ln(x)·2^192 − (k·LN2_W + 2S) < 372·(k + 1)  ulps of 2^−192, hence
 *   0 ≤ ln(x)·2^128 − result < 1 + 372(k+1)/2^64.
 * For every representable input (k < 2^62) the absolute error is < 2^−128 + 2^−121.5 < 2^−120;
 * for k < 2^50 (x < 2^(2^50)) the result is ⌊ln(x)·2^128⌋ or one less (floor-rounded, never
 * above the real value).
 *
 * Monotone non-decreasing in x (and a function of the rational x only, not of how it is written):
 * for a fixed k the result grows with u, which grows with x; across a power of two, at x → 2^(k+1)
 * from below u < 1/3 so ⌊u·2^192⌋ ≤ ⌊2^192/3⌋ and 2S ≤ LN2_W, i.e. k·LN2_W + 2S ≤ (k+1)·LN2_W,
 * the value at x = 2^(k+1).
 */
export function lnQ128(num: bigint, den: bigint): bigint {
  requirePositive('den', den)
  if (typeof num !== 'bigint' || num < den) throw badArg('num', 'must be a bigint ≥ den', { num, den })
  let k = BigInt(num.toString(2).length - den.toString(2).length)
  let D = den << k
  if (num < D) {
    k -= 1n
    D >>= 1n
  }
  const U = ((num - D) << W) / (num + D)
  return (k * LN2_W + 2n * atanhSeries(U)) >> GUARD
}

/**
 * Valued bytes of a pair's cycle: value(b) = b if b ≤ L, else L + ⌊L × ln(b/L)⌋, with
 * ln(b/L) from lnQ128 (so the result is ⌊L + L·ln(b/L)⌋ or, when that lies within L·2^−127 above
 * an integer, one less). Monotone non-decreasing in b; concave above L.
 */
export function valueBytes(bytes: bigint, L: bigint): bigint {
  requireNonNegative('bytes', bytes)
  requirePositive('L', L)
  if (bytes <= L) return bytes
  return L + ((L * lnQ128(bytes, L)) >> LN_Q)
}

/**
 * The most NFC (wei) a pair may earn for the fuel it burned:
 *   ⌊fuelBurned × capFactorBps × 10^18 / (nfcPriceNb × 10000)⌋
 * (fuel in NB wei, nfcPriceNb = NB wei per NFC, capFactorBps = the multiple of the fuel's NFC
 * value, in basis points). nfcPriceNb must be > 0.
 */
export function rewardCap(fuelBurned: bigint, capFactorBps: bigint, nfcPriceNb: bigint): bigint {
  requireNonNegative('fuelBurned', fuelBurned)
  requireNonNegative('capFactorBps', capFactorBps)
  requirePositive('nfcPriceNb', nfcPriceNb)
  return (fuelBurned * capFactorBps * 10n ** 18n) / (nfcPriceNb * 10_000n)
}

export interface PairParties {
  consumer: string
  provider: string
  relays: readonly string[]
  /** the consumer's Staking votes on the provider (wei) */
  consumerVotesOnProvider: bigint
  /** NB's funder(consumer): the first address that sent the consumer NB, or null */
  funderOfConsumer: string | null
  /**
   * Who sent the consumer NB within the window (hop 1) and who sent those NB (hop 2): the funding
   * graph of NbStore.fundingSourcesOf. Absent: no funding graph checked.
   */
  fundingSources?: readonly string[]
}

/**
 * A pair earns nothing (value 0) when the consumer is the provider, is one of the relays, has
 * votes on the provider, was first funded with NB by the provider, or (DESIGN §12, the funding
 * graph) the provider is among the consumer's funding sources within 2 hops: it sent the consumer
 * NB, or sent NB to an address that did. The provider is its own stake owner (a node's pledge is
 * held for its own address). Addresses are compared case-insensitively (they are lowercase 0x
 * hex by convention).
 */
export function isSelfDealing(p: PairParties): boolean {
  const consumer = p.consumer.toLowerCase()
  const provider = p.provider.toLowerCase()
  if (consumer === provider) return true
  if (p.relays.some((r) => r.toLowerCase() === consumer)) return true
  if (p.consumerVotesOnProvider > 0n) return true
  if (p.fundingSources?.some((s) => s.toLowerCase() === provider)) return true
  return p.funderOfConsumer !== null && p.funderOfConsumer.toLowerCase() === provider
}

/** At most this many funders are kept per address: the largest amounts within the window. */
export const MAX_FUNDERS_KEPT = 8

/** One edge of the NB funding graph: `from` sent the address `amount` NB wei, last in `cycle`. */
export interface FundingEdge {
  from: string
  amount: bigint
  cycle: bigint
}

/** The edges still inside the window at `cycle`: those funded during the last windowCycles cycles. */
export function liveFundingEdges(edges: readonly FundingEdge[], cycle: bigint, windowCycles: bigint): FundingEdge[] {
  return edges.filter((e) => e.cycle + windowCycles > cycle)
}

/**
 * An address's funders after `from` sent it `amount` in `cycle`, bounded and deterministic:
 * edges outside the window are pruned; an existing funder adds the amount and moves its cycle
 * up; a new one is appended while fewer than MAX_FUNDERS_KEPT are kept, else it replaces the
 * smallest amount (the oldest of equal ones, then the first in order) if it sent more. Dust from
 * many addresses therefore cannot push out a real funder. The order is insertion order.
 */
export function addFundingEdge(edges: readonly FundingEdge[], from: string, amount: bigint, cycle: bigint, windowCycles: bigint): FundingEdge[] {
  requirePositive('amount', amount)
  const out = liveFundingEdges(edges, cycle, windowCycles).map((e) => ({ ...e }))
  const same = out.find((e) => e.from === from)
  if (same) {
    same.amount += amount
    same.cycle = cycle
    return out
  }
  if (out.length < MAX_FUNDERS_KEPT) return [...out, { from, amount, cycle }]
  let min = 0
  for (let i = 1; i < out.length; i++) {
    const e = out[i]!
    const m = out[min]!
    if (e.amount < m.amount || (e.amount === m.amount && e.cycle < m.cycle)) min = i
  }
  if (amount > out[min]!.amount) out[min] = { from, amount, cycle }
  return out
}
