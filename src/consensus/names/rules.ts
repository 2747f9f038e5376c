/**
 * The pure rules of names (DESIGN §14, SoFa DNS): which names are valid, what a term locks, how
 * long a name may be registered for, and when a record is live. The Names system contract
 * (src/execution/system/names.ts) applies them; the CLI checks a name with them before it sends a
 * transaction, and the RPC reads use `statusOf`. No state, no clock: times are passed in (ms).
 */
import type { GenesisParams } from '../../chain/genesisSchema.js'
import { DEFAULT_PARAMS } from '../../chain/genesisSchema.js'

/** The Names parameters of a chain, in the units the contract uses (wei, ms). */
export interface NamesConfig {
  /** NFC (wei) a name locks per YEAR_MS of term, pro rata */
  lockPerYearWei: bigint
  /** shortest term of a registration or a renewal, ms */
  minTermMs: bigint
  /** the furthest a name's expiry may lie ahead of the block time, ms */
  maxTermMs: bigint
}

export function namesConfigFromParams(p: GenesisParams): NamesConfig {
  return {
    lockPerYearWei: p.nameLockPerYear,
    minTermMs: BigInt(p.nameMinTermSec) * 1000n,
    maxTermMs: BigInt(p.nameMaxTermSec) * 1000n,
  }
}

/** The mainnet defaults (for harnesses that build a DposConfig by hand). */
export const DEFAULT_NAMES_CONFIG: NamesConfig = Object.freeze(namesConfigFromParams(DEFAULT_PARAMS))

/** The year of the lock price: 365 days, ms. */
export const YEAR_MS = 365n * 86_400_000n

/** Name length bounds, bytes (a name fits one 32-byte storage word). */
export const NAME_MIN_LENGTH = 3
export const NAME_MAX_LENGTH = 32

/** The longest endpoint a record keeps, bytes of UTF-8 (as a candidate's url). */
export const MAX_ENDPOINT_BYTES = 256

const NAME_CHARS = /^[a-z0-9-]*$/
const ENDPOINT_CHARS = /^[\x21-\x7e]*$/

/**
 * Why `name` is not a valid name, or undefined when it is: 3 to 32 characters of lowercase a-z,
 * 0-9 and '-', neither first nor last a '-'. One spelling per name (no case folding, no Unicode):
 * what a user types is what the chain keys.
 */
export function nameProblem(name: string): string | undefined {
  if (name.length < NAME_MIN_LENGTH || name.length > NAME_MAX_LENGTH) {
    return `invalid name: ${name.length} characters; a name has ${NAME_MIN_LENGTH} to ${NAME_MAX_LENGTH}`
  }
  if (!NAME_CHARS.test(name)) return 'invalid name: only lowercase a-z, 0-9 and - are allowed'
  if (name.startsWith('-') || name.endsWith('-')) return 'invalid name: it cannot start or end with -'
  return undefined
}

/** Why `endpoint` cannot be kept, or undefined: at most 256 printable ASCII characters, no spaces (may be empty). */
export function endpointProblem(endpoint: string): string | undefined {
  if (!ENDPOINT_CHARS.test(endpoint)) return 'invalid endpoint: printable ASCII without spaces only'
  if (endpoint.length > MAX_ENDPOINT_BYTES) return `invalid endpoint: ${endpoint.length} characters; at most ${MAX_ENDPOINT_BYTES}`
  return undefined
}

/** The NFC (wei) a term of `termMs` locks: lockPerYear · termMs / YEAR_MS, rounded up. */
export function lockFor(cfg: NamesConfig, termMs: bigint): bigint {
  if (termMs <= 0n) return 0n
  return (cfg.lockPerYearWei * termMs + YEAR_MS - 1n) / YEAR_MS
}

/**
 * Why a term of `termMs` added to an expiry of `fromMs` is refused at block time `nowMs`, or
 * undefined: the term is at least minTermMs, and the new expiry fromMs + termMs lies at most
 * maxTermMs ahead of now (a registration has fromMs = now; a renewal extends the current expiry).
 */
export function termProblem(cfg: NamesConfig, fromMs: bigint, termMs: bigint, nowMs: bigint): string | undefined {
  if (termMs < cfg.minTermMs) return `term too short: at least ${cfg.minTermMs} ms`
  if (fromMs + termMs - nowMs > cfg.maxTermMs) return `term too long: a name expires at most ${cfg.maxTermMs} ms ahead`
  return undefined
}

/** A name's state at a block time: never registered (or released), live, or past its expiry. */
export type NameStatus = 'free' | 'active' | 'expired'

/** The status of a record with `owner` (null: none) and `expiresAtMs` at `nowMs` (a name is live until its expiry ms, exclusive). */
export function statusOf(owner: string | null, expiresAtMs: bigint, nowMs: bigint): NameStatus {
  if (owner === null) return 'free'
  return nowMs < expiresAtMs ? 'active' : 'expired'
}
