/**
 * The StorageDeals contract (0x…1008) over a node's JSON-RPC, for the storage agents: deals,
 * challenges, offers and the storage parameters by the nfc_* reads (nfc_getDeal,
 * nfc_getDealChallenge, nfc_listDeals, nfc_listStorageOffers), an offer and a price by the
 * contract's views (eth_call), its writes as transactions signed with the agent's key and waited
 * for. The provider's `DealChain` and the client's reads and writes share it.
 */
import { Contract, JsonRpcProvider, NonceManager, Wallet, type InterfaceAbi, type TransactionResponse } from 'ethers'
import { walletProvider } from '../util/walletProvider.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import storageDealsAbi from '../execution/system/abi/IStorageDeals.json' with { type: 'json' }
import nbAbi from '../execution/system/abi/INB.json' with { type: 'json' }
import { hexOf } from '../util/bytes.js'
import { reasonOf, Rpc } from '../util/jsonRpc.js'
import { DEAL_STATUS, type ChainDeal, type DealChain, type StorageOffer } from './chain.js'

/** a deal as nfc_getDeal / nfc_listDeals answer it (quantities in hex) */
interface DealJson {
  id: string
  client: string
  provider: string
  root: string
  size: string
  periods: string
  price: string
  paid: string
  collateral: string
  firstPeriod: string
  provedPeriod: string
  status: string
}

/** a page of nfc_listStorageOffers, with the chain's storage parameters */
interface OffersPage {
  offers: { provider: string; endpoint: string; priceNbPerMiBPeriod: string; maxBytes: string }[]
  next: string | null
  period: string
  periodSec: string
  collateral: string
}

/** the chain's storage parameters and the head's period */
export interface StorageParams {
  period: bigint
  periodSec: number
  /** the least collateral an accept puts up (NFC wei) */
  collateral: bigint
}

function dealOfJson(d: DealJson): ChainDeal | null {
  const status = DEAL_STATUS[({ posted: 1, active: 2, completed: 3, cancelled: 4, slashed: 5 } as Record<string, number>)[d.status] ?? 0]
  if (status === undefined) return null
  const proved = BigInt(d.provedPeriod)
  return {
    id: BigInt(d.id).toString(),
    client: d.client.toLowerCase(),
    provider: d.provider.toLowerCase(),
    root: d.root.toLowerCase(),
    size: Number(BigInt(d.size)),
    periods: Number(BigInt(d.periods)),
    status,
    price: BigInt(d.price),
    paid: BigInt(d.paid),
    collateral: BigInt(d.collateral),
    startPeriod: status === 'posted' ? null : BigInt(d.firstPeriod),
    lastProvenPeriod: proved === 0n ? null : proved,
  }
}

const hexQ = (n: bigint | number): string => '0x' + BigInt(n).toString(16)
/** a page of the list methods */
const PAGE = 100

/** The contract's reads and a signer's writes at `url`. */
export class DealsRpc implements DealChain {
  readonly provider: JsonRpcProvider
  readonly address: string
  private readonly signer: NonceManager | null
  private readonly deals: Contract
  private readonly rpc: Rpc

  private constructor(
    readonly url: string,
    readonly chainId: bigint,
    key: Uint8Array | null,
  ) {
    this.provider = walletProvider(url, { chainId })
    const wallet = key === null ? null : new Wallet(hexOf(key), this.provider)
    this.signer = wallet === null ? null : new NonceManager(wallet)
    this.address = wallet === null ? '' : wallet.address.toLowerCase()
    this.deals = new Contract(SYSTEM_CONTRACTS.storageDeals, storageDealsAbi as InterfaceAbi, this.signer ?? this.provider)
    this.rpc = new Rpc(url)
  }

  /** connects (reads the chain id); `key` signs the writes (null: reads only) */
  static async connect(url: string, key: Uint8Array | null): Promise<DealsRpc> {
    const probe = walletProvider(url)
    try {
      const chainId = BigInt((await probe.send('eth_chainId', [])) as string)
      return new DealsRpc(url, chainId, key)
    } finally {
      probe.destroy()
    }
  }

  private view<T>(name: string, ...args: unknown[]): Promise<T> {
    return this.deals.getFunction(name).staticCall(...args) as Promise<T>
  }

  /** sends `name(args)` and waits for its block; throws the revert reason when it fails */
  private async send(what: string, name: string, args: unknown[], value = 0n): Promise<string> {
    if (this.signer === null) throw new Error(`${what}: no key to sign with`)
    let tx: TransactionResponse
    try {
      tx = (await this.deals.getFunction(name)(...args, { value })) as TransactionResponse
    } catch (e) {
      this.signer.reset()
      throw new Error(`${what}: refused: ${reasonOf(e)}`, { cause: e })
    }
    const r = await tx.wait()
    if (r === null || r.status !== 1) throw new Error(`${what}: transaction ${tx.hash} failed`)
    return tx.hash
  }

  async deal(id: string): Promise<ChainDeal | null> {
    const d = await this.rpc.call<DealJson | null>('nfc_getDeal', [hexQ(BigInt(id))])
    return d === null ? null : dealOfJson(d)
  }

  /** the head's period and the chain's storage parameters (nfc_listStorageOffers) */
  async params(): Promise<StorageParams> {
    const p = await this.rpc.call<OffersPage>('nfc_listStorageOffers', [{ limit: 1 }])
    return { period: BigInt(p.period), periodSec: Number(BigInt(p.periodSec)), collateral: BigInt(p.collateral) }
  }

  /** the period of the head block (a proof sent now lands in it or the next) */
  async period(): Promise<bigint> {
    return (await this.params()).period
  }

  async challenge(id: string, period: bigint): Promise<number[]> {
    const c = await this.rpc.call<{ indexes: string[] }>('nfc_getDealChallenge', [hexQ(BigInt(id)), hexQ(period)])
    return c.indexes.map((i) => Number(BigInt(i)))
  }

  /** the collateral (NFC wei) each accept puts up; the chain refuses less than its storageCollateral */
  collateralWei = 0n

  accept(id: string): Promise<string> {
    return this.send(`accept(${id})`, 'accept', [BigInt(id)], this.collateralWei)
  }

  prove(id: string, period: bigint, chunks: Uint8Array[], proofs: Uint8Array[][]): Promise<string> {
    return this.send(`prove(${id}, period ${period})`, 'prove', [BigInt(id), period, chunks.map(hexOf), proofs.map((p) => p.map(hexOf))])
  }

  /** `provider`'s offer, or null */
  async offerOf(provider: string): Promise<StorageOffer | null> {
    const [endpoint, price, maxBytes] = await this.view<[string, bigint, bigint]>('offerOf', provider)
    return maxBytes === 0n ? null : { provider: provider.toLowerCase(), endpoint, pricePerMiBPeriod: price, maxBytes: Number(maxBytes) }
  }

  /** publishes (or replaces) this signer's offer */
  setOffer(endpoint: string, price: bigint, maxBytes: number): Promise<string> {
    return this.send('setOffer', 'setOffer', [endpoint, price, BigInt(maxBytes)])
  }

  priceOf(provider: string, size: number, periods: number): Promise<bigint> {
    return this.view<bigint>('priceOf', provider, BigInt(size), BigInt(periods))
  }

  /** posts the deal; resolves with its id (from the DealPosted event) */
  async post(provider: string, root: string, size: number, periods: number): Promise<string> {
    if (this.signer === null) throw new Error('post: no key to sign with')
    let tx: TransactionResponse
    try {
      tx = (await this.deals.getFunction('post')(provider, root, BigInt(size), BigInt(periods))) as TransactionResponse
    } catch (e) {
      this.signer.reset()
      throw new Error(`posting the deal: refused: ${reasonOf(e)}`, { cause: e })
    }
    const r = await tx.wait()
    if (r === null || r.status !== 1) throw new Error(`posting the deal: transaction ${tx.hash} failed`)
    for (const log of r.logs) {
      const parsed = this.deals.interface.parseLog(log)
      if (parsed?.name === 'DealPosted') return (parsed.args[0] as bigint).toString()
    }
    throw new Error(`posting the deal: transaction ${tx.hash} has no DealPosted event`)
  }

  cancel(id: string): Promise<string> {
    return this.send(`cancel(${id})`, 'cancel', [BigInt(id)])
  }

  /** the deals on chain by ascending id (nfc_listDeals), only `filter`'s party's when given */
  async listDeals(filter: { provider?: string; client?: string }): Promise<ChainDeal[]> {
    const out: ChainDeal[] = []
    let cursor: string | null = null
    do {
      const page: { deals: DealJson[]; next: string | null } = await this.rpc.call('nfc_listDeals', [{ ...filter, limit: PAGE, cursor }])
      for (const d of page.deals) {
        const deal = dealOfJson(d)
        if (deal !== null) out.push(deal)
      }
      cursor = page.next
    } while (cursor !== null)
    return out
  }

  /** every offer (nfc_listStorageOffers), cheapest first (ties: in the order the chain lists them) */
  async offers(): Promise<StorageOffer[]> {
    const out: StorageOffer[] = []
    let cursor: string | null = null
    do {
      const page: OffersPage = await this.rpc.call('nfc_listStorageOffers', [{ limit: PAGE, cursor }])
      for (const o of page.offers) {
        out.push({
          provider: o.provider.toLowerCase(),
          endpoint: o.endpoint,
          pricePerMiBPeriod: BigInt(o.priceNbPerMiBPeriod),
          maxBytes: Number(BigInt(o.maxBytes)),
        })
      }
      cursor = page.next
    } while (cursor !== null)
    return out.sort((a, b) => (a.pricePerMiBPeriod < b.pricePerMiBPeriod ? -1 : a.pricePerMiBPeriod > b.pricePerMiBPeriod ? 1 : 0))
  }

  /** the NB balance of `address` (NB wei) */
  async nbBalance(address: string): Promise<bigint> {
    return (await new Contract(SYSTEM_CONTRACTS.nb, nbAbi as InterfaceAbi, this.provider).getFunction('balanceOf')(address)) as bigint
  }

  close(): void {
    this.provider.destroy()
  }
}
