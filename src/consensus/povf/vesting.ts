/**
 * Team vesting (DESIGN §6): nothing before genesisTime + cliffMs, then linear over durationMs:
 *   vested(t) = 0                                                   if t < genesis + cliff
 *             = ⌊amount × min(t − genesis − cliff, duration) / duration⌋   otherwise
 * (duration 0 ⇒ everything at the cliff). claimable = vested − claimed, paid from POOLS.teamVesting.
 */
import { requireNonNegative } from './errors.js'

export interface VestingSchedule {
  amount: bigint
  cliffMs: bigint
  durationMs: bigint
}

export function vestedAt(grant: VestingSchedule, genesisTimeMs: bigint, t: bigint): bigint {
  requireNonNegative('amount', grant.amount)
  requireNonNegative('cliffMs', grant.cliffMs)
  requireNonNegative('durationMs', grant.durationMs)
  const start = genesisTimeMs + grant.cliffMs
  if (t < start) return 0n
  if (grant.durationMs === 0n) return grant.amount
  const elapsed = t - start < grant.durationMs ? t - start : grant.durationMs
  return (grant.amount * elapsed) / grant.durationMs
}
