/**
 * Read-only views of the storage deals at one state (nfc_getDeal, nfc_listDeals,
 * nfc_getDealChallenge, nfc_listStorageOffers): a deal with its term, a page of deals, a period's
 * challenge — the same draw the contract's `prove` checks — and a page of offers.
 */
import { leafCount } from '../../deals/fileTree.js'
import { NfcError } from '../../util/errors.js'
import type { Addr, StateAccess } from '../dpos/store.js'
import { StorageErrorCode } from './errors.js'
import { challengeIndexes, challengeSeed, DealStatus, lastPeriodOf, periodAt, type DealsConfig } from './rules.js'
import { DealsStore, type DealRecord, type OfferRecord } from './store.js'

/** A deal as the views show it: the stored fields and its last period (0 before accept). */
export interface DealView extends DealRecord {
  lastPeriod: bigint
}

function viewOf(d: DealRecord): DealView {
  return { ...d, lastPeriod: d.firstPeriod === 0n ? 0n : lastPeriodOf(d) }
}

/** The deal `id`, or null when no deal has this id. */
export async function readDeal(sm: StateAccess, id: bigint): Promise<DealView | null> {
  const d = await new DealsStore(sm).getDeal(id)
  return d === null ? null : viewOf(d)
}

export interface DealPage {
  deals: DealView[]
  /** the id the next page starts at, null after the last */
  next: bigint | null
}

/** the most deals one page reads (a filtered page may hold fewer than its limit: go on with `next`) */
export const MAX_DEALS_SCANNED = 1_000

/**
 * The deals with ids from `from` on, ascending, at most `limit`; with `provider` and/or `client`
 * only the matching ones, scanning at most `maxScan` ids, so one call's work is bounded.
 */
export async function listDeals(sm: StateAccess, opts: { from: bigint; limit: number; provider?: Addr; client?: Addr; maxScan?: number }): Promise<DealPage> {
  const store = new DealsStore(sm)
  const count = await store.count()
  const start = opts.from < 1n ? 1n : opts.from
  const end = start + BigInt(opts.maxScan ?? MAX_DEALS_SCANNED)
  const out: DealView[] = []
  let id = start
  for (; id <= count && id < end && out.length < opts.limit; id++) {
    const d = (await store.getDeal(id))!
    if (opts.provider !== undefined && d.provider !== opts.provider) continue
    if (opts.client !== undefined && d.client !== opts.client) continue
    out.push(viewOf(d))
  }
  return { deals: out, next: id <= count ? id : null }
}

export interface ChallengeView {
  id: bigint
  period: bigint
  /** the period's seed hash: the parent hash of its first block */
  periodHash: Uint8Array
  leafCount: number
  /** the leaf indexes to prove, ascending */
  indexes: number[]
}

/**
 * The leaves deal `id` must prove for `period`, at a state whose block time is `nowMs`. Throws
 * STORAGE_UNKNOWN_DEAL, STORAGE_NOT_ACCEPTED, STORAGE_PERIOD_NOT_STARTED or STORAGE_NO_SEED.
 */
export async function dealChallenge(sm: StateAccess, id: bigint, period: bigint, nowMs: bigint, cfg: DealsConfig): Promise<ChallengeView> {
  const store = new DealsStore(sm)
  const d = await store.getDeal(id)
  if (d === null) throw new NfcError(StorageErrorCode.UnknownDeal, `unknown deal ${id}`, { id })
  if (d.status === DealStatus.Posted || d.status === DealStatus.Cancelled) {
    throw new NfcError(StorageErrorCode.NotAccepted, `deal ${id} was never accepted: it has no challenges`, { id })
  }
  const current = periodAt(nowMs, cfg)
  if (period > current) {
    throw new NfcError(StorageErrorCode.PeriodNotStarted, `period ${period} has not started (the current period is ${current})`, { period, current })
  }
  const periodHash = await store.seedOf(period)
  if (periodHash.every((b) => b === 0))
    throw new NfcError(StorageErrorCode.NoSeed, `period ${period} has no seed (no deal was live when it started)`, { period })
  return { id, period, periodHash, leafCount: leafCount(d.size), indexes: challengeIndexes(challengeSeed(periodHash, id, period), d.size, cfg.proofLeaves) }
}

export interface OfferPage {
  offers: OfferRecord[]
  /** the list position the next page starts at, null after the last */
  next: bigint | null
}

/** The offers at list positions offset … offset + limit − 1 (order of the providers' first offer). */
export async function listOffers(sm: StateAccess, opts: { offset: bigint; limit: number }): Promise<OfferPage> {
  const store = new DealsStore(sm)
  const list = store.offers()
  const total = await list.length()
  const end = opts.offset + BigInt(opts.limit) < total ? opts.offset + BigInt(opts.limit) : total
  const offers: OfferRecord[] = []
  for (const a of await list.slice(opts.offset, end)) offers.push(await store.getOffer(a))
  return { offers, next: end < total ? end : null }
}
