/**
 * The StorageDeals contract (0x…1008) over a node's JSON-RPC, for the storage agents: its views by
 * eth_call (ethers), its writes as transactions signed with the agent's key and waited for. The
 * provider's `DealChain` and the client's reads and writes (offers, price, post, cancel) share it.
 */
import { Contract, JsonRpcProvider, NonceManager, Wallet, type InterfaceAbi, type TransactionResponse } from 'ethers'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import storageDealsAbi from '../execution/system/abi/IStorageDeals.json' with { type: 'json' }
import nbAbi from '../execution/system/abi/INB.json' with { type: 'json' }
import { hexOf } from '../util/bytes.js'
import { DEAL_STATUS, type ChainDeal, type DealChain, type StorageOffer } from './chain.js'

/** The revert reason in an ethers error, else its short message. */
export function reasonOf(e: unknown): string {
  const err = e as { reason?: string | null; shortMessage?: string; message?: string }
  if (typeof err.reason === 'string' && err.reason !== '') return err.reason
  return err.shortMessage ?? err.message ?? String(e)
}

/** The contract's views and a signer's writes at `url`. */
export class DealsRpc implements DealChain {
  readonly provider: JsonRpcProvider
  readonly address: string
  private readonly signer: NonceManager | null
  private readonly deals: Contract

  private constructor(
    readonly url: string,
    readonly chainId: bigint,
    key: Uint8Array | null,
  ) {
    this.provider = new JsonRpcProvider(url, Number(chainId), { staticNetwork: true, pollingInterval: 250 })
    const wallet = key === null ? null : new Wallet(hexOf(key), this.provider)
    this.signer = wallet === null ? null : new NonceManager(wallet)
    this.address = wallet === null ? '' : wallet.address.toLowerCase()
    this.deals = new Contract(SYSTEM_CONTRACTS.storageDeals, storageDealsAbi as InterfaceAbi, this.signer ?? this.provider)
  }

  /** connects (reads the chain id); `key` signs the writes (null: reads only) */
  static async connect(url: string, key: Uint8Array | null): Promise<DealsRpc> {
    const probe = new JsonRpcProvider(url, undefined, { staticNetwork: true })
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
    const [client, provider, root, size, periods, price, paid, collateral, firstPeriod, provedPeriod, status] = await this.view<
      [string, string, string, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint]
    >('deal', BigInt(id))
    const s = DEAL_STATUS[Number(status)]
    if (s === undefined) return null
    return {
      id,
      client: client.toLowerCase(),
      provider: provider.toLowerCase(),
      root: root.toLowerCase(),
      size: Number(size),
      periods: Number(periods),
      status: s,
      price,
      paid,
      collateral,
      startPeriod: s === 'posted' ? null : firstPeriod,
      lastProvenPeriod: provedPeriod === 0n ? null : provedPeriod,
    }
  }

  period(): Promise<bigint> {
    return this.view<bigint>('currentPeriod')
  }

  async challenge(id: string, period: bigint): Promise<number[]> {
    return (await this.view<bigint[]>('challenge', BigInt(id), period)).map(Number)
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

  /** how many deals were posted (ids 1..count) */
  async dealCount(): Promise<number> {
    return Number(await this.view<bigint>('dealCount'))
  }

  /**
   * Every provider with an offer now: the providers of the OfferSet events (eth_getLogs over the
   * whole chain), each read again with offerOf (a removed offer is left out), cheapest first.
   */
  async offers(): Promise<StorageOffer[]> {
    const topic = this.deals.interface.getEvent('OfferSet')!.topicHash
    const logs = await this.provider.getLogs({ address: SYSTEM_CONTRACTS.storageDeals, topics: [topic], fromBlock: 0, toBlock: 'latest' })
    const providers = [...new Set(logs.map((l) => ('0x' + l.topics[1]!.slice(26)).toLowerCase()))].sort()
    const out: StorageOffer[] = []
    for (const p of providers) {
      const o = await this.offerOf(p)
      if (o !== null) out.push(o)
    }
    return out.sort((a, b) => (a.pricePerMiBPeriod < b.pricePerMiBPeriod ? -1 : a.pricePerMiBPeriod > b.pricePerMiBPeriod ? 1 : 0))
  }

  /**
   * The chain's period length in seconds (genesis storageProofPeriodSec), from the period of the
   * head block: currentPeriod() read at block N is ⌊t / P⌋ for N's time t (whole seconds), and
   * with t far above P² there is one whole P for it. Null if the reading does not pin one down.
   */
  async periodSec(): Promise<number | null> {
    const head = await this.provider.getBlock('latest')
    if (head === null) return null
    const q = (await this.deals.getFunction('currentPeriod').staticCall({ blockTag: head.number })) as bigint
    const t = BigInt(head.timestamp)
    if (q === 0n) return null
    const p = t / q
    return p > 0n && t / p === q && t / (p + 1n) !== q && (p === 1n || t / (p - 1n) !== q) ? Number(p) : null
  }

  /** the NB balance of `address` (NB wei) */
  async nbBalance(address: string): Promise<bigint> {
    return (await new Contract(SYSTEM_CONTRACTS.nb, nbAbi as InterfaceAbi, this.provider).getFunction('balanceOf')(address)) as bigint
  }

  close(): void {
    this.provider.destroy()
  }
}
