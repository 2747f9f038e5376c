/**
 * Split of a pair's traffic reward (DESIGN §6): the provider (EN) 90%, the relays 6% shared
 * equally, the shared pool the rest — 4%, every rounding remainder, and the relays' 6% when the
 * traffic used no relay — so provider + relayCount·perRelay + shared == reward exactly.
 */
import { badArg, requireNonNegative } from './errors.js'

export const PROVIDER_BPS = 9_000n
export const RELAYS_BPS = 600n
const BPS = 10_000n

export interface TrafficSplit {
  /** ⌊r × 9000 / 10000⌋ */
  provider: bigint
  /** each relay: ⌊⌊r × 600 / 10000⌋ / relayCount⌋ (0 when there are no relays) */
  perRelay: bigint
  /** r − provider − relayCount × perRelay */
  shared: bigint
}

export function splitTrafficReward(reward: bigint, relayCount: number): TrafficSplit {
  requireNonNegative('reward', reward)
  if (!Number.isSafeInteger(relayCount) || relayCount < 0) throw badArg('relayCount', 'must be an integer ≥ 0', { relayCount })
  const provider = (reward * PROVIDER_BPS) / BPS
  const n = BigInt(relayCount)
  const perRelay = n === 0n ? 0n : (reward * RELAYS_BPS) / BPS / n
  return { provider, perRelay, shared: reward - provider - n * perRelay }
}
