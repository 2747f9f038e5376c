/**
 * The agents' view of the main chain over its JSON-RPC (ethers for the contract calls): the
 * provider's pledge (NodeRegistry), its advertised endpoint, the consumer's NB escrow, receipt
 * submission (flow_submitReceipt) and the provider's answers to slice challenges (the shared
 * flow/sliceAnswers.ts Auditor, polled once a second).
 *
 * Endpoint adverts: NodeRegistry has no field for one, so a provider advertises by a transaction
 * to itself, value 0, whose data is the UTF-8 text `ENDPOINT_PREFIX` + URL; the newest such
 * transaction of a pledged node (nfc_getTransactionsByAddress, then the transaction's input) is
 * its endpoint (docs/decisions.md).
 */
import { Contract, JsonRpcProvider, NonceManager, toUtf8Bytes, toUtf8String, Wallet, type TransactionReceipt, type TransactionResponse } from 'ethers'
import { walletProvider } from '../util/walletProvider.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import registryAbi from '../execution/system/abi/INodeRegistry.json' with { type: 'json' }
import nbAbi from '../execution/system/abi/INB.json' with { type: 'json' }
import flowRewardsAbi from '../execution/system/abi/IFlowRewards.json' with { type: 'json' }
import channelsAbi from '../execution/system/abi/IPaymentChannels.json' with { type: 'json' }
import { receiptToJson, type SignedReceipt } from '../flow/receipt.js'
import type { SignedVoucher, VoucherChannel } from '../flow/voucher.js'
import { Auditor, type AuditedSession, type ProviderAudit } from '../flow/sliceAnswers.js'
import { bytesOfHexLoose, hexOf } from '../util/bytes.js'
import { Rpc, RpcFailure as RpcCallError } from '../util/jsonRpc.js'
import type { ChannelReader } from './payment.js'
import type { ProviderChain } from './provider.js'

/** the data of an endpoint advert: this prefix, then the URL */
export const ENDPOINT_PREFIX = 'nfc-flow-endpoint:v1 '
/** NodeRegistry roles (1 RN, 2 CN, 3 EN); a provider pledges as an edge node */
export const ROLES = { 1: 'RN', 2: 'CN', 3: 'EN' } as const
export const EN_ROLE = 3
/** the flow cycle and head are read at most this often */
const POSITION_TTL_MS = 1000
/** transactions of a node read when looking for its newest advert */
const ADVERT_HISTORY = 100

/** a JSON-RPC error answer (util/jsonRpc.ts) */
export { RpcCallError }

export interface NodeRecord {
  address: string
  role: number
  pledge: bigint
  exited: boolean
}

/** flow_getChannel's JSON (rpc/flow/channelJson.ts) */
interface ChannelJson {
  id: string
  consumer: string
  provider: string
  deposit: string
  redeemed: string
  status: string
}

const channelOfJson = (c: ChannelJson): VoucherChannel & { status: string } => ({
  id: BigInt(c.id),
  consumer: c.consumer.toLowerCase(),
  provider: c.provider.toLowerCase(),
  deposit: BigInt(c.deposit),
  redeemed: BigInt(c.redeemed),
  status: c.status,
})

/** One node's JSON-RPC, as the agents use it. */
export class ChainRpc implements ChannelReader {
  private readonly plain: Rpc
  readonly provider: JsonRpcProvider

  private constructor(
    readonly url: string,
    readonly chainId: bigint,
  ) {
    this.provider = walletProvider(url, { chainId })
    this.plain = new Rpc(url)
  }

  static async connect(url: string): Promise<ChainRpc> {
    const probe = new ChainRpc(url, 0n)
    const chainId = BigInt(await probe.call<string>('eth_chainId'))
    probe.provider.destroy()
    return new ChainRpc(url, chainId)
  }

  /** the result, or throws RpcCallError (util/jsonRpc.ts) */
  call<T>(method: string, params: unknown[] = []): Promise<T> {
    return this.plain.call<T>(method, params)
  }

  private registry(): Contract {
    return new Contract(SYSTEM_CONTRACTS.nodeRegistry, registryAbi, this.provider)
  }

  async nodeOf(address: string): Promise<NodeRecord> {
    const [role, pledge, exitTime] = (await this.registry().getFunction('nodeOf')(address)) as [bigint, bigint, bigint]
    return { address: address.toLowerCase(), role: Number(role), pledge, exited: exitTime !== 0n }
  }

  async minPledge(role: number): Promise<bigint> {
    return (await this.registry().getFunction('minPledge')(role)) as bigint
  }

  /** pledges `key`'s account as an edge node with the minimum pledge */
  async pledge(key: Uint8Array): Promise<bigint> {
    const amount = await this.minPledge(EN_ROLE)
    const wallet = new Wallet(hexOf(key), this.provider)
    await mined(
      (this.registry().connect(wallet) as Contract).getFunction('pledge')(EN_ROLE, { value: amount }) as Promise<TransactionResponse>,
      'NodeRegistry.pledge',
    )
    return amount
  }

  /** the NB `consumer` holds in escrow for `provider` (NB wei) */
  async escrowOf(consumer: string, provider: string): Promise<bigint> {
    const [amount] = (await new Contract(SYSTEM_CONTRACTS.nb, nbAbi, this.provider).getFunction('escrowOf')(consumer, provider)) as [bigint, bigint]
    return amount
  }

  /** the payment channel `id` (flow_getChannel), or null */
  async channel(id: bigint): Promise<(VoucherChannel & { status: string }) | null> {
    const c = await this.call<ChannelJson | null>('flow_getChannel', [`0x${id.toString(16)}`])
    return c === null ? null : channelOfJson(c)
  }

  /** the open channel from `consumer` to `provider` with the most NB left (the newest on a tie), or null */
  async openChannelOf(consumer: string, provider: string): Promise<(VoucherChannel & { status: string }) | null> {
    let best: (VoucherChannel & { status: string }) | null = null
    for (let from = 0; ;) {
      const page = await this.call<{ total: string; channels: ChannelJson[] }>('flow_getChannels', [consumer, `0x${from.toString(16)}`])
      for (const c of page.channels.map(channelOfJson)) {
        if (c.consumer !== consumer || c.provider !== provider || c.status !== 'open') continue
        if (best === null || c.deposit - c.redeemed >= best.deposit - best.redeemed) best = c
      }
      from += page.channels.length
      if (page.channels.length === 0 || BigInt(from) >= BigInt(page.total)) return best
    }
  }

  /** opens a channel from `key`'s account to `provider` with `amount` NB wei; returns its id */
  async openChannel(key: Uint8Array, provider: string, amount: bigint): Promise<bigint> {
    const wallet = new Wallet(hexOf(key), this.provider)
    const pc = new Contract(SYSTEM_CONTRACTS.paymentChannels, channelsAbi, wallet)
    const r = await mined(pc.getFunction('open')(provider, amount) as Promise<TransactionResponse>, 'PaymentChannels.open')
    for (const l of r.logs) {
      const ev = pc.interface.parseLog(l)
      if (ev?.name === 'ChannelOpened') return ev.args[0] as bigint
    }
    throw new Error(`PaymentChannels.open: no ChannelOpened event in ${r.hash}`)
  }

  /** the governed fuel price in force (nfc_getParams fuelPricePerGb), NB wei per 10^9 bytes */
  async fuelPricePerGb(): Promise<bigint> {
    const p = await this.call<{ params: { name: string; value: string }[] }>('nfc_getParams')
    const v = p.params.find((x) => x.name === 'fuelPricePerGb')
    if (v === undefined) throw new Error('nfc_getParams has no fuelPricePerGb')
    return BigInt(v.value)
  }

  /** the NB balance of `a`, NB wei */
  async nbBalanceOf(a: string): Promise<bigint> {
    return (await new Contract(SYSTEM_CONTRACTS.nb, nbAbi, this.provider).getFunction('balanceOf')(a)) as bigint
  }

  /** the newest endpoint `node` advertised, or null */
  async endpointOf(node: string): Promise<string | null> {
    const page = await this.call<{ transactions?: { hash: string; direction: string }[] }>('nfc_getTransactionsByAddress', [node, { limit: ADVERT_HISTORY }])
    for (const tx of page.transactions ?? []) {
      if (tx.direction !== 'self') continue
      const full = await this.call<{ input: string } | null>('eth_getTransactionByHash', [tx.hash])
      const url = full === null ? null : advertUrl(full.input)
      if (url !== null) return url
    }
    return null
  }

  /** advertises `url` for `key`'s account (a self-transaction), unless it is already the newest advert */
  async advertise(key: Uint8Array, url: string): Promise<boolean> {
    const wallet = new Wallet(hexOf(key), this.provider)
    if ((await this.endpointOf(wallet.address.toLowerCase())) === url) return false
    await mined(wallet.sendTransaction({ to: wallet.address, value: 0n, data: hexOf(toUtf8Bytes(ENDPOINT_PREFIX + url)) }), 'the endpoint advert')
    return true
  }

  /** every pledged node that has not exited, with its newest advert (null: none) */
  async providers(): Promise<(NodeRecord & { endpoint: string | null })[]> {
    const out: (NodeRecord & { endpoint: string | null })[] = []
    for (const role of [1, 2, 3]) {
      const nodes = (await this.registry().getFunction('nodesByRole')(role)) as string[]
      for (const a of nodes) out.push({ ...(await this.nodeOf(a)), endpoint: await this.endpointOf(a.toLowerCase()) })
    }
    return out
  }

  /** flow_getRewards: the NFC wei `address` earned so far (locked + unlocking + withdrawable + withdrawn) */
  async rewardsOf(address: string): Promise<bigint> {
    const r = await this.call<{ locked: string; unlocking: string; withdrawable: string; withdrawn: string }>('flow_getRewards', [address])
    return BigInt(r.locked) + BigInt(r.unlocking) + BigInt(r.withdrawable) + BigInt(r.withdrawn)
  }

  close(): void {
    this.provider.destroy()
  }
}

/** The URL of an advert's transaction input, or null when it is not one. */
export function advertUrl(input: string): string | null {
  if (!/^0x([0-9a-fA-F]{2})+$/.test(input)) return null
  let text: string
  try {
    text = toUtf8String(bytesOfHexLoose(input))
  } catch {
    return null
  }
  return text.startsWith(ENDPOINT_PREFIX) ? text.slice(ENDPOINT_PREFIX.length) : null
}

async function mined(sent: Promise<TransactionResponse>, what: string): Promise<TransactionReceipt> {
  const tx = await sent
  const r = await tx.wait()
  if (r === null || r.status !== 1) throw new Error(`${what}: transaction ${tx.hash} failed`)
  return r
}

/**
 * ProviderChain over JSON-RPC: receipts submitted with flow_submitReceipt, the sample seed the
 * finalized block's hash, and the sessions' slice challenges answered once a second.
 */
export class RpcProviderChain implements ProviderChain {
  readonly chainId: bigint
  readonly audit: ProviderAudit
  private readonly auditor: Auditor
  private cached: { at: number; cycle: bigint; head: bigint } | null = null
  private readonly timer: NodeJS.Timeout
  private readonly signer: NonceManager

  constructor(
    private readonly rpc: ChainRpc,
    key: Uint8Array,
    log: (line: string) => void,
  ) {
    this.chainId = rpc.chainId
    const signer = new NonceManager(new Wallet(hexOf(key), rpc.provider))
    this.signer = signer
    const address = new Wallet(hexOf(key)).address.toLowerCase()
    this.audit = { address, cheater: false, challenged: 0, answered: 0, voided: 0 }
    const flowRewards = new Contract(SYSTEM_CONTRACTS.flowRewards, flowRewardsAbi, rpc.provider)
    this.auditor = new Auditor((m, p) => rpc.call(m, p), [], [this.audit], [address], [signer], flowRewards, log)
    this.timer = setInterval(() => void this.tick(), POSITION_TTL_MS)
  }

  private async tick(): Promise<void> {
    try {
      const { cycle } = await this.position()
      await this.auditor.poll(cycle)
    } catch {
      // the node is busy or gone: the next tick retries (submissions report their own errors)
    }
  }

  async position(fresh = false): Promise<{ cycle: bigint; head: bigint }> {
    if (!fresh && this.cached !== null && Date.now() - this.cached.at < POSITION_TTL_MS) return this.cached
    const [side, head] = await Promise.all([this.rpc.call<{ cycle: string }>('flow_getSideChain'), this.rpc.call<string>('eth_blockNumber')])
    this.cached = { at: Date.now(), cycle: BigInt(side.cycle), head: BigInt(head) }
    return this.cached
  }

  async sampleSeed(): Promise<Uint8Array> {
    const b = await this.rpc.call<{ hash: string }>('eth_getBlockByNumber', ['finalized', false])
    return bytesOfHexLoose(b.hash)
  }

  async submit(r: SignedReceipt): Promise<string | null> {
    try {
      await this.rpc.call('flow_submitReceipt', [receiptToJson(r)])
      return null
    } catch (e) {
      if (!(e instanceof RpcCallError)) throw e
      if ((e.data as { code?: string } | undefined)?.code === 'FLOW_WRONG_CYCLE') this.cached = null
      return (e.data as { code?: string } | undefined)?.code ?? e.message
    }
  }

  /** PaymentChannels.redeem of `v` (the same signer as the slice answers: one nonce sequence); the NB wei it paid */
  async redeem(v: SignedVoucher): Promise<bigint> {
    const pc = new Contract(SYSTEM_CONTRACTS.paymentChannels, channelsAbi, this.signer)
    const r = await mined(pc.getFunction('redeem')(v.channelId, v.amount, hexOf(v.signature)) as Promise<TransactionResponse>, 'PaymentChannels.redeem')
    for (const l of r.logs) {
      const ev = pc.interface.parseLog(l)
      if (ev?.name === 'Redeemed') return ev.args[3] as bigint
    }
    return 0n
  }

  watch(session: AuditedSession): void {
    this.auditor.addSession(session)
  }

  /** stops polling; counts the challenges on this provider's entries from the chain */
  async stop(): Promise<ProviderAudit> {
    clearInterval(this.timer)
    await this.auditor.tally()
    return this.audit
  }
}
