/**
 * DPoS constants of DESIGN §4 (mainnet defaults; devnets override W, the interval and the
 * cycle length in genesis). Every value that enters consensus is an integer (`bigint`).
 */

/** Witnesses per round `W`. */
export const WITNESSES_PER_ROUND = 21

/** Block interval in milliseconds (mainnet and dev default). */
export const BLOCK_INTERVAL_MS = 1_000n

/** Counting cycle (election period) in blocks: 7 days at 1 s. Devnets use e.g. 100. */
export const CYCLE_BLOCKS = 604_800n

/** Trust of a new candidate, and of a removed witness when it is re-elected. */
export const INITIAL_TRUST = 28_800n
/** Trust change for a violation: missed slot, invalid block, double production. */
export const TRUST_VIOLATION = -100n
/** Trust change for each block the witness confirms (confirmation included in a block). */
export const TRUST_CONFIRMED = 1n
/** Trust change for each block the witness produces. */
export const TRUST_PRODUCED = 10n
/** A witness whose trust is strictly below this is removed for the rest of the cycle. */
export const REMOVAL_THRESHOLD = 10_000n
