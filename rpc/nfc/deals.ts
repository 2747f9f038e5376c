/** Shared by the storage-deal reads (nfc_getDeal, nfc_listDeals, nfc_listStorageOffers): JSON forms and the list options. */
import { bytesToHex } from '@ethereumjs/util'
import { DEAL_STATUS_NAMES } from '../../src/consensus/deals/rules.js'
import type { OfferRecord } from '../../src/consensus/deals/store.js'
import type { DealView } from '../../src/consensus/deals/views.js'
import { InvalidParamsError } from '../errors.js'
import { hexQ } from '../format.js'
import { address, quantity, type Validator } from '../params.js'

export const DEFAULT_DEALS_LIMIT = 25
export const MAX_DEALS_LIMIT = 100

export function dealJson(d: DealView) {
  return {
    id: hexQ(d.id),
    client: d.client,
    provider: d.provider,
    root: bytesToHex(d.root),
    size: hexQ(d.size),
    periods: hexQ(d.periods),
    price: hexQ(d.price),
    paid: hexQ(d.paid),
    refunded: hexQ(d.refunded),
    collateral: hexQ(d.collateral),
    slashed: hexQ(d.slashed),
    firstPeriod: hexQ(d.firstPeriod),
    lastPeriod: hexQ(d.lastPeriod),
    provedPeriod: hexQ(d.provedPeriod),
    endedPeriod: hexQ(d.endedPeriod),
    status: DEAL_STATUS_NAMES[d.status] ?? 'none',
  }
}

export function offerJson(o: OfferRecord) {
  return { provider: o.provider, endpoint: o.endpoint, priceNbPerMiBPeriod: hexQ(o.pricePerMiBPeriod), maxBytes: hexQ(o.maxBytes) }
}

export interface PageOptions {
  provider?: string
  client?: string
  cursor?: bigint
  limit: number
}

/**
 * A list method's options object: `cursor` (the previous page's `next`), `limit` 1..100 and the
 * filter fields named in `filters`; unknown fields are ignored, as in the other methods.
 */
export function pageOptions(filters: readonly ('provider' | 'client')[]): Validator<PageOptions> {
  const shape = `{${[...filters, 'cursor', 'limit'].join(', ')}}`
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new InvalidParamsError(`cannot unmarshal ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v} into options object ${shape}`)
    }
    const o = v as Record<string, unknown>
    const field = <T>(k: string, validate: Validator<T>): T => {
      try {
        return validate(o[k])
      } catch (e) {
        throw new InvalidParamsError(`field "${k}": ${(e as Error).message}`)
      }
    }
    const out: PageOptions = { limit: DEFAULT_DEALS_LIMIT }
    for (const f of filters) if (o[f] !== undefined && o[f] !== null) out[f] = field(f, address)
    if (o.cursor !== undefined && o.cursor !== null) out.cursor = field('cursor', quantity)
    if (o.limit !== undefined && o.limit !== null) {
      const limit = o.limit
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_DEALS_LIMIT) {
        throw new InvalidParamsError(`field "limit": want an integer from 1 to ${MAX_DEALS_LIMIT}, got ${JSON.stringify(limit)}`)
      }
      out.limit = limit
    }
    return out
  }
}
