/**
 * The pure rules of storage deals (DESIGN §14, Flowcoin): the price of a deal, the global proof
 * periods, the challenge draw, offer checks and the settlement of a period. The StorageDeals system
 * contract (src/execution/system/storageDeals.ts) and the per-block engine (engine.ts) apply them;
 * the RPC reads use them too. No state, no clock: times and seeds are passed in.
 */
import { bigIntToBytes, setLengthLeft } from '@ethereumjs/util'
import type { GenesisParams } from '../../chain/genesisSchema.js'
import { DEFAULT_PARAMS } from '../../chain/genesisSchema.js'
import { core } from '../../core/index.js'
import { DEAL_MAX_FILE_BYTES, leafCount } from '../../deals/fileTree.js'
import { concatList, uint64be } from '../../util/bytes.js'
import { draw } from '../dpos/shuffle.js'

/** The storage parameters of a chain, in the units the contract uses (wei, ms). */
export interface DealsConfig {
  /** length of a proof period, ms (periods are global: period = ⌊block time / periodMs⌋) */
  periodMs: bigint
  /** leaves challenged per deal and period (fewer when the file has fewer leaves) */
  proofLeaves: number
  /** the least NFC (wei) a provider puts up as collateral when it accepts a deal */
  collateralWei: bigint
  /** share of the collateral a missed period costs, basis points (paid to the client) */
  slashBps: bigint
  /** the most deals active at once (the per-block settlement is bounded by it) */
  maxActiveDeals: number
}

export function dealsConfigFromParams(p: GenesisParams): DealsConfig {
  return {
    periodMs: BigInt(p.storageProofPeriodSec) * 1000n,
    proofLeaves: p.storageProofLeaves,
    collateralWei: p.storageCollateral,
    slashBps: BigInt(p.storageSlashBps),
    maxActiveDeals: p.storageMaxActiveDeals,
  }
}

/** The mainnet defaults (for harnesses that build a DposConfig by hand). */
export const DEFAULT_DEALS_CONFIG: DealsConfig = Object.freeze(dealsConfigFromParams(DEFAULT_PARAMS))

/** A MiB, the unit of the offer price. */
export const MIB_BYTES = 1_048_576n
/** The longest offer endpoint, bytes. */
export const MAX_OFFER_ENDPOINT_BYTES = 200
/** The longest term of a deal, periods (with 1-hour periods: about 11 years). */
export const MAX_DEAL_PERIODS = 100_000n

/** Deal status (IStorageDeals.sol). */
export const DealStatus = {
  None: 0,
  Posted: 1,
  Active: 2,
  Completed: 3,
  Cancelled: 4,
  Slashed: 5,
} as const
export type DealStatus = (typeof DealStatus)[keyof typeof DealStatus]

export const DEAL_STATUS_NAMES: Record<number, string> = {
  0: 'none',
  1: 'posted',
  2: 'active',
  3: 'completed',
  4: 'cancelled',
  5: 'slashed',
}

/** The period of a block time (ms). */
export function periodAt(timestampMs: bigint, cfg: DealsConfig): bigint {
  return timestampMs / cfg.periodMs
}

/** NB a deal escrows: ⌈size / MiB⌉ × price per MiB and period × periods. */
export function dealPrice(size: bigint, pricePerMiBPeriod: bigint, periods: bigint): bigint {
  return perPeriodPrice(size, pricePerMiBPeriod) * periods
}

/** NB one period of a deal pays the provider. */
export function perPeriodPrice(size: bigint, pricePerMiBPeriod: bigint): bigint {
  return ((size + MIB_BYTES - 1n) / MIB_BYTES) * pricePerMiBPeriod
}

const ENDPOINT = /^http:\/\/([a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/

/** Why `endpoint` is not an offer endpoint (http://host:port, ≤ 200 bytes), or undefined. */
export function offerEndpointProblem(endpoint: string): string | undefined {
  if (new TextEncoder().encode(endpoint).length > MAX_OFFER_ENDPOINT_BYTES) return `endpoint longer than ${MAX_OFFER_ENDPOINT_BYTES} bytes`
  const m = ENDPOINT.exec(endpoint)
  if (m === null) return `endpoint must be http://host:port, got "${endpoint}"`
  const port = Number(m[2])
  if (port < 1 || port > 65_535) return `endpoint port must be 1..65535, got ${m[2]}`
  return undefined
}

/** Why an offer's figures are refused, or undefined. */
export function offerProblem(pricePerMiBPeriod: bigint, maxBytes: bigint): string | undefined {
  if (pricePerMiBPeriod === 0n) return 'price per MiB and period must be above 0'
  if (maxBytes === 0n) return 'maxBytes must be above 0'
  if (maxBytes > BigInt(DEAL_MAX_FILE_BYTES)) return `maxBytes above ${DEAL_MAX_FILE_BYTES}`
  return undefined
}

/** Why a deal's size and term are refused under an offer's maxBytes, or undefined. */
export function dealProblem(size: bigint, periods: bigint, maxBytes: bigint): string | undefined {
  if (size === 0n) return 'size is 0: an empty file has no tree'
  if (size > maxBytes) return `size ${size} is above the offer's maxBytes ${maxBytes}`
  if (periods === 0n) return 'periods is 0'
  if (periods > MAX_DEAL_PERIODS) return `periods above ${MAX_DEAL_PERIODS}`
  return undefined
}

/** The seed of deal `id`'s challenge in period q: keccak256(periodHash ‖ u256 id ‖ u64 q). */
export function challengeSeed(periodHash: Uint8Array, id: bigint, period: bigint): Uint8Array {
  return core.keccak256(concatList([periodHash, setLengthLeft(bigIntToBytes(id), 32), uint64be(period)]))
}

/**
 * The leaf indexes of a challenge: min(k, leafCount) distinct indexes, drawn one after another with
 * `draw(seed, i, leafCount)` for i = 0, 1, … (a repeat is skipped), returned ascending.
 */
export function challengeIndexes(seed: Uint8Array, size: bigint, k: number): number[] {
  const n = leafCount(size)
  const want = Math.min(k, n)
  const got = new Set<number>()
  for (let i = 0; got.size < want; i++) got.add(Number(draw(seed, i, BigInt(n))))
  return [...got].sort((a, b) => a - b)
}

/** The term of an active deal: its first and last period. */
export interface DealTerm {
  firstPeriod: bigint
  periods: bigint
  /** the last period proved (0: none) */
  provedPeriod: bigint
  perPeriod: bigint
}

export const lastPeriodOf = (d: Pick<DealTerm, 'firstPeriod' | 'periods'>): bigint => d.firstPeriod + d.periods - 1n

/** What the move from period `prev` (which had blocks) to period `now` > prev does to an active deal. */
export interface Settlement {
  /** NB to the provider: period `prev` proved */
  pay: bigint
  /** NB back to the client: periods without any block (nobody could prove them) */
  refund: bigint
  /** period `prev` was in the term and not proved */
  missed: boolean
  /** the deal ends: missed, or its last period is over */
  ended: boolean
}

/**
 * Settles an active deal when the chain moves from period `prev` (the period of the previous block)
 * to `now`. Period prev in the term: proved → its price to the provider; not proved → missed (the
 * caller slashes and ends the deal). Periods prev+1 … now−1 in the term had no block: their price
 * goes back to the client. The deal ends when its last period is before `now`.
 */
export function settle(d: DealTerm, prev: bigint, now: bigint): Settlement {
  const last = lastPeriodOf(d)
  const inTerm = (p: bigint) => p >= d.firstPeriod && p <= last
  if (inTerm(prev) && d.provedPeriod !== prev) return { pay: 0n, refund: 0n, missed: true, ended: true }
  const pay = inTerm(prev) ? d.perPeriod : 0n
  const gapFrom = prev + 1n > d.firstPeriod ? prev + 1n : d.firstPeriod
  const gapTo = now - 1n < last ? now - 1n : last
  const refund = gapTo >= gapFrom ? (gapTo - gapFrom + 1n) * d.perPeriod : 0n
  return { pay, refund, missed: false, ended: last < now }
}

/** The slash of a missed period: collateral × slashBps / 10⁴ (rounded down). */
export function slashOf(collateral: bigint, cfg: DealsConfig): bigint {
  return (collateral * cfg.slashBps) / 10_000n
}
