/**
 * DPoS block rewards (DESIGN §4 "Block reward"): the 43-year half-life issuance curve and
 * the split of one block's reward. Integer (bigint) arithmetic only; identical on every node.
 *
 * Curve: cumulativeIssuance(t) = ⌊Pb × (1 − 0.5^(t / halfLife))⌋ in wei, t in ms since
 * genesis, Pb = 336,000,000 NFC, halfLife = 43 × 31,536,000 s. Computed as
 * Pb − ⌈Pb × 2^(−t/halfLife)⌉ with the Q256 fixed point of ../fixedPoint.ts: rounded DOWN
 * (the chain never issues more than the real curve), error < 1 wei (equal to the exact floor
 * unless the real value lies within ~2^−165 wei of an integer), monotone non-decreasing in t
 * by construction, 0 at t = 0, exactly Pb/2 at one half-life, Pb·3/4 at two, never above Pb.
 *
 * Block reward of slot s: cumulativeIssuance((s+1)·interval) − cumulativeIssuance(s·interval).
 * The reward belongs to the slot: a missed slot's reward is never minted, and the sum of
 * the rewards of all slots in [a, b) telescopes to the curve difference exactly.
 *
 * Split of a block reward R (all integer, remainders documented):
 *   sharedPool  = ⌊R / 10⌋                       (10%, rounded down)
 *   supervisory = R − sharedPool                  (90% + the remainder of the 10% division)
 *   voters      = ⌊supervisory × bonusRatioBps / 10,000⌋   (ratio frozen per cycle)
 *   witness     = supervisory − voters            (the remainder goes to the witness)
 * sharedPool + voters + witness = R exactly.
 */
import { NfcError } from '../../util/errors.js'
import { DposError } from './errors.js'
import { halvingIssuance } from '../fixedPoint.js'

/** 1 NFC in wei. */
export const NFC = 10n ** 18n
/** A year for the curve: 31,536,000 s, in ms. */
export const YEAR_MS = 31_536_000_000n
/** Block-mining pool Pb = 336,000,000 NFC in wei. */
export const BLOCK_POOL_WEI = 336_000_000n * NFC
/** Half-life of the block-reward curve: 43 years in ms. */
export const BLOCK_HALF_LIFE_MS = 43n * YEAR_MS
/** Basis points denominator. */
export const BPS = 10_000n
/** Share of a block reward that goes to the shared pool (10%). */
export const SHARED_POOL_BPS = 1_000n

export interface BlockRewardParams {
  /** Total pool the curve converges to, in wei (Pb). */
  readonly poolWei: bigint
  /** Half-life in ms (43 years on mainnet). Must be in [1, 2^64]. */
  readonly halfLifeMs: bigint
}

export const DEFAULT_BLOCK_REWARD_PARAMS: BlockRewardParams = Object.freeze({
  poolWei: BLOCK_POOL_WEI,
  halfLifeMs: BLOCK_HALF_LIFE_MS,
})

function checkParams(p: BlockRewardParams): void {
  if (typeof p.poolWei !== 'bigint' || p.poolWei < 0n)
    throw new NfcError(DposError.BAD_REWARD_INPUT, 'poolWei must be a non-negative bigint', { poolWei: p.poolWei })
  if (typeof p.halfLifeMs !== 'bigint' || p.halfLifeMs <= 0n || p.halfLifeMs > 1n << 64n)
    throw new NfcError(DposError.BAD_REWARD_INPUT, 'halfLifeMs must be a bigint in [1, 2^64]', {
      halfLifeMs: p.halfLifeMs,
    })
}

/**
 * Wei issued by the block-reward curve from genesis to `tMs` ms after genesis:
 * ⌊Pb × (1 − 0.5^(tMs/halfLifeMs))⌋ (rounded down, error < 1 wei, monotone, ≤ Pb − 1).
 */
export function cumulativeIssuance(tMs: bigint, params: BlockRewardParams = DEFAULT_BLOCK_REWARD_PARAMS): bigint {
  checkParams(params)
  if (typeof tMs !== 'bigint' || tMs < 0n) throw new NfcError(DposError.BAD_REWARD_INPUT, 'time must be a non-negative bigint (ms since genesis)', { tMs })
  return halvingIssuance(params.poolWei, tMs, params.halfLifeMs)
}

/**
 * Reward of the block in slot `slot` (slot = ⌊(t − genesisTime)/interval⌋):
 * cumulativeIssuance((slot+1)·interval) − cumulativeIssuance(slot·interval). Always ≥ 0.
 */
export function blockReward(slot: bigint, intervalMs: bigint, params: BlockRewardParams = DEFAULT_BLOCK_REWARD_PARAMS): bigint {
  if (typeof slot !== 'bigint' || slot < 0n) throw new NfcError(DposError.BAD_REWARD_INPUT, 'slot must be a non-negative bigint', { slot })
  if (typeof intervalMs !== 'bigint' || intervalMs <= 0n) throw new NfcError(DposError.BAD_REWARD_INPUT, 'intervalMs must be a positive bigint', { intervalMs })
  const start = slot * intervalMs
  return cumulativeIssuance(start + intervalMs, params) - cumulativeIssuance(start, params)
}

/** Sum of the rewards of slots [fromSlot, toSlot) — equals the sum of blockReward over them. */
export function slotRangeIssuance(fromSlot: bigint, toSlot: bigint, intervalMs: bigint, params: BlockRewardParams = DEFAULT_BLOCK_REWARD_PARAMS): bigint {
  if (fromSlot < 0n || toSlot < fromSlot || intervalMs <= 0n) throw new NfcError(DposError.BAD_REWARD_INPUT, 'bad slot range', { fromSlot, toSlot, intervalMs })
  return cumulativeIssuance(toSlot * intervalMs, params) - cumulativeIssuance(fromSlot * intervalMs, params)
}

export interface RewardSplit {
  /** To the shared pool: ⌊R/10⌋. */
  readonly sharedPool: bigint
  /** To the producer's supervisory balance: R − sharedPool (= voters + witness). */
  readonly supervisory: bigint
  /** Of the supervisory part, paid to the witness's voters (via the reward-per-vote index). */
  readonly voters: bigint
  /** Of the supervisory part, kept by the witness (gets the division remainder). */
  readonly witness: bigint
}

/** Normalises a bonus ratio (basis points, 0..10,000) given as bigint or integer number. */
export function toBonusRatioBps(bonusRatioBps: bigint | number): bigint {
  let bps: bigint
  if (typeof bonusRatioBps === 'bigint') bps = bonusRatioBps
  else if (typeof bonusRatioBps === 'number' && Number.isSafeInteger(bonusRatioBps)) bps = BigInt(bonusRatioBps)
  else throw new NfcError(DposError.BAD_BONUS_RATIO, 'bonus ratio must be an integer (bps)', { bonusRatioBps })
  if (bps < 0n || bps > BPS) throw new NfcError(DposError.BAD_BONUS_RATIO, 'bonus ratio must be in [0, 10000] bps', { bonusRatioBps })
  return bps
}

/**
 * Splits a block reward: 10% (floor) to the shared pool, the rest to the producer's
 * supervisory balance, of which ⌊supervisory × bonusRatioBps / 10,000⌋ goes to voters and
 * the remainder to the witness. `bonusRatioBps` is the ratio frozen for the current cycle.
 */
export function splitBlockReward(reward: bigint, bonusRatioBps: bigint | number): RewardSplit {
  if (typeof reward !== 'bigint' || reward < 0n) throw new NfcError(DposError.BAD_REWARD_INPUT, 'reward must be a non-negative bigint', { reward })
  const bps = toBonusRatioBps(bonusRatioBps)
  const sharedPool = (reward * SHARED_POOL_BPS) / BPS
  const supervisory = reward - sharedPool
  const voters = (supervisory * bps) / BPS
  return { sharedPool, supervisory, voters, witness: supervisory - voters }
}
