/** What the storage views ask the node: nfc_listStorageOffers, nfc_listDeals, nfc_getDeal, nfc_getDealChallenge (DESIGN §14). */
import type { RpcClient } from './rpcClient.js'
import { big } from './format.js'
import { hexQ, part, type Part } from './queries.js'
import { bigs, must } from './systemQueries.js'

// ------------------------------------------------------------------ storage deals

export const DEAL_FIELDS = [
  'id',
  'size',
  'periods',
  'price',
  'paid',
  'refunded',
  'collateral',
  'slashed',
  'firstPeriod',
  'lastPeriod',
  'provedPeriod',
  'endedPeriod',
] as const

export type Deal = Record<(typeof DEAL_FIELDS)[number], bigint> & { client: string; provider: string; root: string; status: string }

export interface Offer {
  provider: string
  endpoint: string
  /** NB wei per MiB and period */
  price: bigint
  maxBytes: bigint
}

export interface StorageParams {
  /** the period at the head */
  period: bigint
  periodSec: bigint
  proofLeaves: bigint
  /** NFC wei a provider puts up per deal */
  collateral: bigint
}

const dealOf = (d: Record<string, unknown>): Deal => ({
  ...bigs(d, DEAL_FIELDS),
  client: String(d.client).toLowerCase(),
  provider: String(d.provider).toLowerCase(),
  root: String(d.root),
  status: String(d.status),
})

interface OffersJson {
  offers: { provider: string; endpoint: string; priceNbPerMiBPeriod: string; maxBytes: string }[]
  next: string | null
  period: string
  periodSec: string
  proofLeaves: string
  collateral: string
}

function offersOf(o: OffersJson): { offers: Offer[]; more: boolean; params: StorageParams } {
  return {
    offers: o.offers.map((x) => ({
      provider: x.provider.toLowerCase(),
      endpoint: x.endpoint,
      price: big(x.priceNbPerMiBPeriod) ?? 0n,
      maxBytes: big(x.maxBytes) ?? 0n,
    })),
    more: o.next !== null,
    params: bigs(o, ['period', 'periodSec', 'proofLeaves', 'collateral'] as const),
  }
}

/** offers the storage view shows (one page of nfc_listStorageOffers at most) */
export const OFFERS_SHOWN = 100
/** deals per page of the storage view */
export const DEALS_PAGE = 20

export interface DealFilter {
  client?: string
  provider?: string
}

export interface Storage {
  offers: Offer[]
  /** more offers than OFFERS_SHOWN */
  moreOffers: boolean
  params: StorageParams
  deals: Deal[]
  /** the cursor of the next page of deals, null on the last */
  next: string | null
}

/** The offers and a page of deals (ascending ids from `cursor`, null = the first), optionally of one client / provider. */
export async function loadStorage(client: RpcClient, cursor: string | null, filter: DealFilter = {}, pageSize = DEALS_PAGE): Promise<Storage> {
  const [offers, deals] = await client.batch([
    { method: 'nfc_listStorageOffers', params: [{ limit: OFFERS_SHOWN }] },
    { method: 'nfc_listDeals', params: [{ ...filter, cursor, limit: pageSize }] },
  ])
  const o = offersOf(must<OffersJson>(offers))
  const d = must<{ deals: Record<string, unknown>[]; next: string | null }>(deals)
  return { offers: o.offers, moreOffers: o.more, params: o.params, deals: d.deals.map(dealOf), next: d.next }
}

export interface Challenge {
  period: bigint
  periodHash: string
  leafCount: bigint
  indexes: bigint[]
}

export interface DealDetail {
  deal: Deal
  params: StorageParams
  /** the provider's offer, if it still has one */
  offer?: Offer
  /** the challenge of the period at the head (or the deal's last period), for an accepted deal */
  challenge?: Part<Challenge>
}

/** Deal `id` with the storage parameters and, while it is active, its current challenge; null when there is no such deal. */
export async function loadDeal(client: RpcClient, id: bigint): Promise<DealDetail | null> {
  const [deal, offers] = await client.batch([
    { method: 'nfc_getDeal', params: [hexQ(id)] },
    { method: 'nfc_listStorageOffers', params: [{ limit: OFFERS_SHOWN }] },
  ])
  const raw = must<Record<string, unknown> | null>(deal)
  if (raw === null) return null
  const d = dealOf(raw)
  const o = offersOf(must<OffersJson>(offers))
  const out: DealDetail = { deal: d, params: o.params, offer: o.offers.find((x) => x.provider === d.provider) }
  // before its term starts a deal has nothing to prove; after its last period, the last one is shown
  if (d.status === 'active' && d.firstPeriod > 0n && o.params.period >= d.firstPeriod) {
    const period = o.params.period < d.lastPeriod ? o.params.period : d.lastPeriod
    out.challenge = await part(
      client.call('nfc_getDealChallenge', [hexQ(id), hexQ(period)]).then((c: Record<string, any>) => ({
        period: big(c.period) ?? period,
        periodHash: String(c.periodHash),
        leafCount: big(c.leafCount) ?? 0n,
        indexes: (c.indexes as string[]).map((i) => big(i) ?? 0n),
      })),
    )
  }
  return out
}

/** What a deal's figures mean in periods (the settlement of src/consensus/deals/rules.ts). */
export interface DealProgress {
  /** NB one period pays */
  perPeriod: bigint
  /** periods proved: paid ones, plus the period at the head when it is proved (paid at the next) */
  proved: bigint
  /** 1 when a missed period ended the deal (a miss slashes and ends it) */
  missed: bigint
  /** periods refunded to the client (no block in them, or cut by the end) */
  refundedPeriods: bigint
  /** NB still escrowed: price − paid − refunded */
  escrowLeft: bigint
}

export function dealProgress(d: Deal, period: bigint): DealProgress {
  const perPeriod = d.periods > 0n ? d.price / d.periods : 0n
  const paidPeriods = perPeriod > 0n ? d.paid / perPeriod : 0n
  const unpaidProof = d.status === 'active' && d.provedPeriod !== 0n && d.provedPeriod >= period ? 1n : 0n
  return {
    perPeriod,
    proved: paidPeriods + unpaidProof,
    missed: d.status === 'slashed' ? 1n : 0n,
    refundedPeriods: perPeriod > 0n ? d.refunded / perPeriod : 0n,
    escrowLeft: d.price - d.paid - d.refunded,
  }
}
