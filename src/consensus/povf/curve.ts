/**
 * The traffic-mining curve (DESIGN §6): how much NFC the traffic pool has released after a
 * given number of valued bytes. Pure bigint math; every node computes the identical result.
 *
 *   I(n) = Pf × (1 − 0.5^(n / 51.709))          issuance after n whole EB (1 EB = 10^18 bytes)
 *   M(B) = I(k) + ⌊(B − k·EB) × (I(k+1) − I(k)) / EB⌋,   k = ⌊B / EB⌋
 *
 * The rate is constant inside one EB and steps at each EB boundary (M is continuous there:
 * at B = (k+1)·EB both pieces give I(k+1)). A reward is always a difference of M at two
 * cumulative totals, so the sum of the rewards of any split of a run of bytes equals the reward
 * of the whole run — rounding never accumulates.
 */
import { halvingIssuance } from '../fixedPoint.js'
import { requireNonNegative } from './errors.js'

/** 1 NFC in wei. */
const NFC = 10n ** 18n
/** Pf, the traffic-mining pool: 1,344,000,000 NFC in wei. */
export const TRAFFIC_POOL: bigint = 1_344_000_000n * NFC
/** 1 EB = 10^18 bytes (the curve's step). */
export const EB: bigint = 10n ** 18n
/** 1 GB = 10^9 bytes (the unit of fuel prices and of `rewardPerGb`). */
export const GB: bigint = 10n ** 9n

/** The curve's half-life in EB as the rational 51709/1000 (51.709 EB). */
const HALF_LIFE_NUM = 51_709n
const HALF_LIFE_DEN = 1_000n

/**
 * I(n) = ⌊Pf × (1 − 2^(−n/51.709))⌋ wei after n whole EB, computed as
 * `halvingIssuance(Pf, 1000·n, 51709)` (exact integer math, error < 1 wei, never above the
 * real curve, non-decreasing in n, I(0) = 0, always < Pf).
 */
export function trafficIssuance(nEb: bigint): bigint {
  requireNonNegative('nEb', nEb)
  return halvingIssuance(TRAFFIC_POOL, HALF_LIFE_DEN * nEb, HALF_LIFE_NUM)
}

/** k = ⌊B / EB⌋: the EB the next valued byte falls in (0-based). */
export function currentEb(cumulativeBytes: bigint): bigint {
  requireNonNegative('cumulativeBytes', cumulativeBytes)
  return cumulativeBytes / EB
}

/** M(B) = I(k) + ⌊(B − k·EB) × (I(k+1) − I(k)) / EB⌋ with k = ⌊B/EB⌋: NFC wei minted after B valued bytes. */
export function mintedAt(bytes: bigint): bigint {
  const k = currentEb(bytes)
  const base = trafficIssuance(k)
  const within = bytes - k * EB
  if (within === 0n) return base
  return base + (within * (trafficIssuance(k + 1n) - base)) / EB
}

/**
 * Reward of `valuedBytes` more valued bytes after `cumulativeBytes`: M(B + v) − M(B) wei.
 * Telescoping: Σ trafficReward(Bᵢ, vᵢ) over consecutive runs = M(B_end) − M(B_start).
 */
export function trafficReward(cumulativeBytes: bigint, valuedBytes: bigint): bigint {
  requireNonNegative('cumulativeBytes', cumulativeBytes)
  requireNonNegative('valuedBytes', valuedBytes)
  if (valuedBytes === 0n) return 0n
  return mintedAt(cumulativeBytes + valuedBytes) - mintedAt(cumulativeBytes)
}

/** The current rate, for display: ⌊(I(k+1) − I(k)) × GB / EB⌋ wei per GB, k = ⌊B/EB⌋. */
export function rewardPerGb(cumulativeBytes: bigint): bigint {
  const k = currentEb(cumulativeBytes)
  return ((trafficIssuance(k + 1n) - trafficIssuance(k)) * GB) / EB
}
