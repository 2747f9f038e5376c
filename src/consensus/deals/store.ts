/**
 * Storage-deal records (DESIGN §14): storage words of the StorageDeals account (0x…1008), so the
 * state root commits to every offer and deal. The StorageDeals system contract
 * (src/execution/system/storageDeals.ts) and the per-block settlement (engine.ts) write them; the
 * RPC reads (views.ts) read them.
 *
 * Layout (slotOf(tag, …) words of the StorageDeals account; `id` a 32-byte word, `a` 20 address bytes):
 *   sd.count                   the last deal id given (ids are 1, 2, …)
 *   sd.d.<field> ‖ id          a deal's fields (DealRecord below)
 *   sd.active                  the active deal ids (WordList), in acceptance order; an ending deal's
 *                              place is taken by the last one (the settlement order is the list order)
 *   sd.o.<field> ‖ a           a provider's offer (OfferRecord; maxBytes 0: no offer)
 *   sd.offers                  the providers with an offer (AddressList), in order of their first offer
 *   sd.period                  the period of the last block the settlement saw (0: none yet)
 *   sd.seed ‖ u64 period       the period's seed hash: the parent hash of its first block
 *
 * NB escrow is this account's NB balance in NB's records; collateral is this account's NFC balance.
 * This file only reads and writes; the rules are in rules.ts, engine.ts and storageDeals.ts.
 */
import { Address, bigIntToBytes, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { AddressList, fromAddr, slotOf, toAddr, u64b, WordList, Words, type Addr, type StateAccess } from '../dpos/store.js'

export const STORAGE_DEALS = new Address(hexToBytes(SYSTEM_CONTRACTS.storageDeals))

export interface DealRecord {
  id: bigint
  client: Addr
  provider: Addr
  /** 32 bytes */
  root: Uint8Array
  size: bigint
  periods: bigint
  /** NB escrowed at post */
  price: bigint
  /** NB paid to the provider so far */
  paid: bigint
  /** NB given back to the client (periods without blocks, the rest at the end) */
  refunded: bigint
  /** NFC wei held as collateral (0 before accept) */
  collateral: bigint
  /** NFC wei of the collateral paid to the client by a slash */
  slashed: bigint
  /** first period of the term (0 before accept) */
  firstPeriod: bigint
  /** last period proved (0: none) */
  provedPeriod: bigint
  status: number
  /** the period in which the deal ended or was cancelled (0: not over) */
  endedPeriod: bigint
}

export interface OfferRecord {
  provider: Addr
  endpoint: string
  pricePerMiBPeriod: bigint
  /** 0: no offer */
  maxBytes: bigint
}

const DEAL_FIELDS = [
  'client',
  'provider',
  'root',
  'size',
  'periods',
  'price',
  'paid',
  'refunded',
  'collateral',
  'slashed',
  'firstPeriod',
  'provedPeriod',
  'status',
  'endedPeriod',
] as const
type DealField = (typeof DEAL_FIELDS)[number]

const idKey = (id: bigint): Uint8Array => setLengthLeft(bigIntToBytes(id), 32)
const addrKey = (a: Addr): Uint8Array => hexToBytes(a as `0x${string}`)

export class DealsStore {
  readonly words: Words

  constructor(readonly sm: StateAccess) {
    this.words = new Words(sm, STORAGE_DEALS)
  }

  count(): Promise<bigint> {
    return this.words.get(slotOf('sd.count'))
  }

  /** a new id (count + 1), recorded as the count */
  async nextId(): Promise<bigint> {
    const id = (await this.count()) + 1n
    await this.words.set(slotOf('sd.count'), id)
    return id
  }

  active(): WordList {
    return new WordList(this.words, 'sd.active')
  }

  offers(): AddressList {
    return new AddressList(this.words, 'sd.offers')
  }

  /** the deal, or null for an id never given */
  async getDeal(id: bigint): Promise<DealRecord | null> {
    if (id < 1n || id > (await this.count())) return null
    const k = idKey(id)
    const w = (f: DealField) => this.words.get(slotOf(`sd.d.${f}`, k))
    return {
      id,
      client: toAddr(await w('client'))!,
      provider: toAddr(await w('provider'))!,
      root: await this.words.getBytes32(slotOf('sd.d.root', k)),
      size: await w('size'),
      periods: await w('periods'),
      price: await w('price'),
      paid: await w('paid'),
      refunded: await w('refunded'),
      collateral: await w('collateral'),
      slashed: await w('slashed'),
      firstPeriod: await w('firstPeriod'),
      provedPeriod: await w('provedPeriod'),
      status: Number(await w('status')),
      endedPeriod: await w('endedPeriod'),
    }
  }

  /** writes the given fields of a deal */
  async putDeal(id: bigint, fields: Partial<Omit<DealRecord, 'id'>>): Promise<void> {
    const k = idKey(id)
    for (const f of DEAL_FIELDS) {
      const v = fields[f]
      if (v === undefined) continue
      const slot = slotOf(`sd.d.${f}`, k)
      if (v instanceof Uint8Array) await this.words.setBytes32(slot, v)
      else if (typeof v === 'string') await this.words.set(slot, fromAddr(v as Addr))
      else await this.words.set(slot, BigInt(v))
    }
  }

  async getOffer(provider: Addr): Promise<OfferRecord> {
    const k = addrKey(provider)
    return {
      provider,
      endpoint: await this.words.getString('sd.o.ep', k),
      pricePerMiBPeriod: await this.words.get(slotOf('sd.o.price', k)),
      maxBytes: await this.words.get(slotOf('sd.o.max', k)),
    }
  }

  async putOffer(o: OfferRecord): Promise<void> {
    const k = addrKey(o.provider)
    await this.words.setString('sd.o.ep', k, o.endpoint)
    await this.words.set(slotOf('sd.o.price', k), o.pricePerMiBPeriod)
    await this.words.set(slotOf('sd.o.max', k), o.maxBytes)
    if (o.maxBytes > 0n) await this.offers().add(o.provider)
    else await this.offers().remove(o.provider)
  }

  lastPeriod(): Promise<bigint> {
    return this.words.get(slotOf('sd.period'))
  }

  setLastPeriod(p: bigint): Promise<void> {
    return this.words.set(slotOf('sd.period'), p)
  }

  /** the seed hash of `period` (32 zero bytes: the period has not started, or no deal was live) */
  seedOf(period: bigint): Promise<Uint8Array> {
    return this.words.getBytes32(slotOf('sd.seed', u64b(period)))
  }

  setSeed(period: bigint, hash: Uint8Array): Promise<void> {
    return this.words.setBytes32(slotOf('sd.seed', u64b(period)), hash)
  }
}
