/**
 * What the views of the chain's systems ask the node (DESIGN §13–14): governance (nfc_getParams,
 * Governance.proposal over eth_call), storage deals and offers (nfc_listDeals, nfc_getDeal,
 * nfc_getDealChallenge, nfc_listStorageOffers), payment channels (flow_getChannel,
 * flow_getChannels, PaymentChannels.channelCount over eth_call) and names (nfc_listNames). Times
 * are the chain's: each load brings the head block's time, so a status ("voting", "expired")
 * follows the chain, not the wall clock.
 */
import { Interface, type InterfaceAbi } from 'ethers'
import governanceAbi from '../execution/system/abi/IGovernance.json' with { type: 'json' }
import channelsAbi from '../execution/system/abi/IPaymentChannels.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { RpcError, type RpcClient } from './rpcClient.js'
import { big, blockTimeMs } from './format.js'
import { hexQ, part, type Part, type NameRecord } from './queries.js'
import type { Block } from './chainCache.js'

const governance = new Interface(governanceAbi as InterfaceAbi)
const channelsIface = new Interface(channelsAbi as InterfaceAbi)

/** A JSON-RPC answer that must be there: the error itself is thrown. */
function must<T>(v: unknown): T {
  if (v instanceof RpcError) throw v
  return v as T
}

const headTime = (b: unknown): bigint => BigInt(b !== null && typeof b === 'object' && !(b instanceof RpcError) ? (blockTimeMs(b as Block) ?? 0) : 0)

/** Hex quantities of `o` named in `keys` as bigints (0 when absent). */
function bigs<K extends string>(o: object, keys: readonly K[]): Record<K, bigint> {
  const out = {} as Record<K, bigint>
  for (const k of keys) out[k] = big((o as Record<string, unknown>)[k]) ?? 0n
  return out
}

// ------------------------------------------------------------------ governance

export interface GovParam {
  name: string
  value: bigint
  genesis: bigint
  min: bigint
  max: bigint
  /** executed changes, oldest first */
  history: { block: bigint; proposal: bigint; value: bigint }[]
}

export interface GovRules {
  votingSec: number
  timelockSec: number
  quorumBps: number
  majorityBps: number
  rangeFactor: number
}

export const PROPOSAL_STATUS = ['open', 'executed', 'rejected', 'failed'] as const

/** A proposal as Governance.proposal(id) answers it. */
export interface Proposal {
  id: bigint
  proposer: string
  kind: 'param' | 'grant'
  param: string
  to: string
  value: bigint
  endsMs: bigint
  executableAtMs: bigint
  yes: bigint
  no: bigint
  /** all NFC staked when it was proposed */
  stake: bigint
  /** quorum and majority met by the votes so far */
  passing: boolean
  status: (typeof PROPOSAL_STATUS)[number]
}

export interface Governance {
  params: GovParam[]
  rules: GovRules
  /** proposals made so far (ids 0 … count − 1) */
  count: bigint
  /** the page asked for, newest first */
  proposals: Proposal[]
  /** the head block's time, ms */
  nowMs: bigint
}

/** proposals per page of the governance view */
export const PROPOSALS_PAGE = 20

interface ParamsJson {
  params: { name: string; value: string; genesis: string; min: string; max: string; history: { block: string; proposal: string; value: string }[] }[]
  rules: GovRules
  proposals: string
}

function proposalOf(id: bigint, data: string): Proposal {
  const r = governance.decodeFunctionResult('proposal', data)
  return {
    id,
    proposer: (r[0] as string).toLowerCase(),
    kind: Number(r[1]) === 1 ? 'param' : 'grant',
    param: r[2] as string,
    to: (r[3] as string).toLowerCase(),
    value: r[4] as bigint,
    endsMs: r[5] as bigint,
    executableAtMs: r[6] as bigint,
    yes: r[7] as bigint,
    no: r[8] as bigint,
    stake: r[9] as bigint,
    passing: r[10] as boolean,
    status: PROPOSAL_STATUS[Number(r[11])] ?? 'open',
  }
}

const proposalCall = (id: bigint) => ({
  method: 'eth_call',
  params: [{ to: SYSTEM_CONTRACTS.governance, data: governance.encodeFunctionData('proposal', [id]) }, 'latest'],
})

/** The parameters, the rules and page `page` (0 = newest) of the proposals, newest first. */
export async function loadGovernance(client: RpcClient, page: number, pageSize = PROPOSALS_PAGE): Promise<Governance> {
  const [params, head] = await client.batch([{ method: 'nfc_getParams' }, { method: 'eth_getBlockByNumber', params: ['latest', false] }])
  const p = must<ParamsJson>(params)
  const count = big(p.proposals) ?? 0n
  const ids: bigint[] = []
  for (let id = count - 1n - BigInt(page * pageSize); id >= 0n && ids.length < pageSize; id--) ids.push(id)
  const answers = ids.length === 0 ? [] : await client.batch(ids.map(proposalCall))
  return {
    params: p.params.map((q) => ({
      name: q.name,
      ...bigs(q, ['value', 'genesis', 'min', 'max'] as const),
      history: q.history.map((h) => bigs(h, ['block', 'proposal', 'value'] as const)),
    })),
    rules: p.rules,
    count,
    proposals: ids.map((id, i) => proposalOf(id, must<string>(answers[i]))),
    nowMs: headTime(head),
  }
}

/** One proposal with the parameters (its target's value in force, the block that executed it) and the rules; null when there is no such id. */
export async function loadProposal(client: RpcClient, id: bigint): Promise<(Omit<Governance, 'proposals'> & { proposal: Proposal }) | null> {
  const g = await loadGovernance(client, 0, 0)
  if (id >= g.count) return null
  const [answer] = await client.batch([proposalCall(id)])
  return { ...g, proposal: proposalOf(id, must<string>(answer)) }
}

/** The status a reader cares about, from the stored one and the chain's time (as `nfc gov list`). */
export function proposalStatus(p: Proposal, nowMs: bigint): 'voting' | 'approved' | 'defeated' | 'executed' | 'rejected' | 'failed' {
  if (p.status !== 'open') return p.status
  if (nowMs < p.endsMs) return 'voting'
  return p.passing ? 'approved' : 'defeated'
}

/** Quorum and majority of `p`'s votes under `rules` (src/consensus/gov/engine.ts `passes`). */
export function proposalTally(p: Proposal, rules: GovRules): { cast: bigint; quorum: boolean; majority: boolean } {
  const cast = p.yes + p.no
  return { cast, quorum: cast * 10_000n >= BigInt(rules.quorumBps) * p.stake, majority: p.yes * 10_000n > BigInt(rules.majorityBps) * cast }
}

/** The block that executed parameter proposal `id` (from the parameters' history), if it was. */
export function executedIn(params: GovParam[], id: bigint): bigint | undefined {
  for (const p of params) for (const h of p.history) if (h.proposal === id) return h.block
  return undefined
}

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

// ------------------------------------------------------------------ payment channels

export interface Channel {
  id: bigint
  consumer: string
  provider: string
  deposit: bigint
  redeemed: bigint
  available: bigint
  /** ms; 0 while open */
  closeAt: bigint
  status: string
}

const channelOf = (c: Record<string, unknown>): Channel => ({
  ...bigs(c, ['id', 'deposit', 'redeemed', 'available', 'closeAt'] as const),
  consumer: String(c.consumer).toLowerCase(),
  provider: String(c.provider).toLowerCase(),
  status: String(c.status),
})

/** channels per page of the channels view */
export const CHANNELS_PAGE = 20

export interface Channels {
  /** channels in all (of `address` when given) */
  total: bigint
  channels: Channel[]
  nowMs: bigint
}

/**
 * Page `page` of the payment channels: every channel newest first (PaymentChannels.channelCount,
 * then flow_getChannel per id), or those `address` is a party of, in opening order (flow_getChannels).
 */
export async function loadChannels(client: RpcClient, address: string | undefined, page: number, pageSize = CHANNELS_PAGE): Promise<Channels> {
  const start = page * pageSize
  if (address !== undefined) {
    const [got, head] = await client.batch([
      { method: 'flow_getChannels', params: [address, hexQ(BigInt(start))] },
      { method: 'eth_getBlockByNumber', params: ['latest', false] },
    ])
    const r = must<{ total: string; channels: Record<string, unknown>[] }>(got)
    return { total: big(r.total) ?? 0n, channels: r.channels.slice(0, pageSize).map(channelOf), nowMs: headTime(head) }
  }
  const [countData, head] = await client.batch([
    { method: 'eth_call', params: [{ to: SYSTEM_CONTRACTS.paymentChannels, data: channelsIface.encodeFunctionData('channelCount') }, 'latest'] },
    { method: 'eth_getBlockByNumber', params: ['latest', false] },
  ])
  const total = channelsIface.decodeFunctionResult('channelCount', must<string>(countData))[0] as bigint
  // ids run from 1
  const ids: bigint[] = []
  for (let id = total - BigInt(start); id >= 1n && ids.length < pageSize; id--) ids.push(id)
  const got = ids.length === 0 ? [] : await client.batch(ids.map((id) => ({ method: 'flow_getChannel', params: [hexQ(id)] })))
  const channels = got.map((c) => must<Record<string, unknown> | null>(c)).filter((c): c is Record<string, unknown> => c !== null)
  return { total, channels: channels.map(channelOf), nowMs: headTime(head) }
}

/** Channel `id` and the head's time; null when there is no such channel. */
export async function loadChannel(client: RpcClient, id: bigint): Promise<{ channel: Channel; nowMs: bigint } | null> {
  const [got, head] = await client.batch([
    { method: 'flow_getChannel', params: [hexQ(id)] },
    { method: 'eth_getBlockByNumber', params: ['latest', false] },
  ])
  const c = must<Record<string, unknown> | null>(got)
  return c === null ? null : { channel: channelOf(c), nowMs: headTime(head) }
}

// ------------------------------------------------------------------ names

/** names per page of the names view */
export const NAMES_PAGE = 20

/** A page of the name records (registration order) from `cursor` (null = the first), optionally of one owner. */
export async function loadNames(
  client: RpcClient,
  cursor: string | null,
  owner?: string,
  pageSize = NAMES_PAGE,
): Promise<{ names: NameRecord[]; next: string | null; nowMs: bigint }> {
  const [got, head] = await client.batch([
    { method: 'nfc_listNames', params: [{ owner, cursor, limit: pageSize }] },
    { method: 'eth_getBlockByNumber', params: ['latest', false] },
  ])
  const r = must<{ names: NameRecord[]; next: string | null }>(got)
  return { names: r.names, next: r.next, nowMs: headTime(head) }
}
