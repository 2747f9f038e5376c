/**
 * What each view asks the node, as plain async functions over the RPC client. Optional
 * namespaces (flow_, nfc_, methods being built elsewhere) come back as `Part`s so a view can say
 * "not available on this node" for a -32601 and keep showing the rest.
 */
import { isMethodNotFound, RpcError, type RpcClient } from './rpcClient.js'
import { big, blockTimeMs, num } from './format.js'
import type { Interface } from 'ethers'
import { nbInterface, registryInterface, type Decoder } from './decode.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { hexQ, type Block, type ChainCache, type RpcCall } from './chainCache.js'

/** One optional piece of a view: its value, "this node does not have the method", or an error. */
export type Part<T> = { ok: true; value: T } | { ok: false; missing: true } | { ok: false; missing: false; error: string }

export async function part<T>(p: Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await p }
  } catch (e) {
    if (isMethodNotFound(e)) return { ok: false, missing: true }
    return { ok: false, missing: false, error: (e as Error).message }
  }
}

const partOf = <T>(v: unknown): Part<T> =>
  v instanceof RpcError ? (isMethodNotFound(v) ? { ok: false, missing: true } : { ok: false, missing: false, error: v.message }) : { ok: true, value: v as T }

export { hexQ, type Block }

// ------------------------------------------------------------------ dashboard

/** The node's slow-changing state: asked once (chain id) or every STATUS_REFRESH_MS, not on every head. */
export interface NodeStatus {
  chainId?: bigint
  peers: Part<number>
  syncing: Part<false | { startingBlock: string; currentBlock: string; highestBlock: string }>
  /** when peers and syncing were asked (ms since the epoch) */
  at: number
}

/** how often the dashboard asks for peers and sync state (ms) */
export const STATUS_REFRESH_MS = 10_000

export interface Dashboard {
  chainId?: bigint
  head?: Block
  finalized: Part<Block | null>
  peers: Part<number>
  syncing: NodeStatus['syncing']
  /** what to pass back to the next loadDashboard */
  status: NodeStatus
  /** over the last `window` blocks */
  window: number
  blockTimeMs?: number
  tps?: number
  gasPerBlock?: number
  gasLimit?: bigint
}

/**
 * The dashboard at `head`: the last `window` blocks from the cache (a new head fetches one block),
 * the finalized block, and the node status of `last` unless it is older than STATUS_REFRESH_MS.
 */
export async function loadDashboard(cache: ChainCache, head: bigint, window = 20, last?: NodeStatus, now = Date.now()): Promise<Dashboard> {
  const first = head - BigInt(window) + 1n > 0n ? head - BigInt(window) + 1n : 0n
  const numbers: bigint[] = []
  for (let n = first; n <= head; n++) numbers.push(n)
  const refresh = last === undefined || now - last.at >= STATUS_REFRESH_MS
  const extra: RpcCall[] = [{ method: 'eth_getBlockByNumber', params: ['finalized', false] }]
  if (refresh) extra.push({ method: 'net_peerCount' }, { method: 'eth_syncing' })
  if (last?.chainId === undefined) extra.push({ method: 'eth_chainId' })
  const { blocks: got, extra: answers } = await cache.blocks(numbers, extra)
  const [finalized, ...rest] = answers
  let status: NodeStatus
  if (refresh) {
    const [peers, syncing] = rest
    const peersPart = partOf<string>(peers)
    status = { chainId: last?.chainId, peers: peersPart.ok ? { ok: true, value: num(peersPart.value) ?? 0 } : peersPart, syncing: partOf(syncing), at: now }
  } else status = { ...last! }
  const chainId = last?.chainId === undefined ? rest[rest.length - 1] : undefined
  if (chainId !== undefined && !(chainId instanceof RpcError)) status.chainId = big(chainId)
  const d: Dashboard = {
    chainId: status.chainId,
    head: got[got.length - 1],
    finalized: partOf<Block | null>(finalized),
    peers: status.peers,
    syncing: status.syncing,
    status,
    window: got.length,
  }
  if (got.length >= 2) {
    const t0 = blockTimeMs(got[0]!) ?? 0
    const t1 = blockTimeMs(got[got.length - 1]!) ?? 0
    const span = t1 - t0
    // the first block's transactions happened before the span starts
    const txs = got.slice(1).reduce((s, b) => s + b.transactions.length, 0)
    d.blockTimeMs = span / (got.length - 1)
    d.tps = span > 0 ? (txs * 1000) / span : 0
  }
  if (got.length > 0) {
    d.gasPerBlock = got.reduce((s, b) => s + (num(b.gasUsed) ?? 0), 0) / got.length
    d.gasLimit = big(got[got.length - 1]!.gasLimit)
  }
  return d
}

// ------------------------------------------------------------------ blocks

/** `count` blocks from `top` downwards (newest first), without transaction bodies: the cached ones are not asked again. */
export async function loadBlocks(cache: ChainCache, top: bigint, count: number): Promise<Block[]> {
  const numbers: bigint[] = []
  for (let n = top; n >= 0n && numbers.length < count; n--) numbers.push(n)
  return (await cache.blocks(numbers)).blocks
}

/** A block by number or hash, with full transactions; null when the node has no such block. */
export async function loadBlock(client: RpcClient, ref: string): Promise<Block | null> {
  if (/^0x[0-9a-fA-F]{64}$/.test(ref)) return client.call('eth_getBlockByHash', [ref, true])
  return client.call('eth_getBlockByNumber', [ref, true])
}

// ------------------------------------------------------------------ transactions

export interface TxDetail {
  tx: Record<string, any>
  receipt: Record<string, any> | null
  block: Block | null
  /** why it failed, when it did (from a re-run with eth_call at the parent block, as geth) */
  revertReason?: string
}

export async function loadTx(client: RpcClient, hash: string, decoder: Decoder): Promise<TxDetail | null> {
  const [tx, receipt] = await client.batch([
    { method: 'eth_getTransactionByHash', params: [hash] },
    { method: 'eth_getTransactionReceipt', params: [hash] },
  ])
  if (tx instanceof RpcError) throw tx
  if (tx === null) return null
  const t = tx as Record<string, any>
  const r = receipt instanceof RpcError ? null : (receipt as Record<string, any> | null)
  const block = t.blockHash ? ((await client.call('eth_getBlockByHash', [t.blockHash, false])) as Block | null) : null
  const out: TxDetail = { tx: t, receipt: r, block }
  if (r !== null && big(r.status) === 0n) out.revertReason = await revertReason(client, t, decoder)
  return out
}

/** A transaction's receipt (its logs), null while it is pending or unknown. */
export async function loadReceipt(client: RpcClient, hash: string): Promise<Record<string, any> | null> {
  return client.call('eth_getTransactionReceipt', [hash])
}

/** Re-runs a failed transaction with eth_call on its parent block's state; the revert text. */
export async function revertReason(client: RpcClient, tx: Record<string, any>, decoder: Decoder): Promise<string | undefined> {
  const at = big(tx.blockNumber)
  const call: Record<string, unknown> = { from: tx.from, to: tx.to ?? undefined, data: tx.input, value: tx.value, gas: tx.gas }
  try {
    await client.call('eth_call', [call, at === undefined || at === 0n ? 'latest' : hexQ(at - 1n)])
    return 'reverted (the re-run succeeded: the failure depended on earlier transactions of its block)'
  } catch (e) {
    if (!(e instanceof RpcError)) return undefined
    const fromData = decoder.revert(e.data)
    if (fromData !== undefined) return fromData
    return e.message.replace(/^execution reverted:?\s*/, '') || e.message
  }
}

// ------------------------------------------------------------------ accounts

export interface HistoryEntry {
  hash: string
  blockNumber: string
  transactionIndex: string
  from: string
  to: string | null
  direction: 'in' | 'out' | 'self'
}

export interface Account {
  address: string
  balance?: bigint
  nonce?: number
  codeSize?: number
  votes: Part<{
    total?: string
    positions?: { candidate: string; votes: string; pendingReward?: string }[]
    unbonding?: { amount: string; releaseTime: string }[]
  }>
  pledge: Part<{ role: number; pledge: bigint; exitTime: bigint; withdrawn: bigint; withdrawable: bigint }>
  rewards: Part<{ locked?: string; unlocking?: string; withdrawable?: string; withdrawn?: string; coinTime?: string }>
  history: Part<{ transactions: HistoryEntry[]; next: string | null }>
  /** NB.balanceOf (NB wei) */
  nb: Part<bigint>
  /** the account's NB fuel escrows as a consumer */
  escrows: Part<Escrows>
}

export interface Escrow {
  provider: string
  /** NB wei */
  amount: bigint
  /** ms since the epoch from which it can be withdrawn; 0: no release requested */
  releaseAt: bigint
}

export interface Escrows {
  /** the non-empty escrows (amount > 0 or a release pending) among those NB.escrowsOf returned, by address */
  escrows: Escrow[]
  /** providers the account has an escrow with (NB.escrowCount: listed until withdrawn, empty ones too) */
  providers: number
  /** listed providers past the first 256 that escrowsOf returns, not shown */
  unchecked: number
}

export const HISTORY_PAGE = 10

export async function loadAccount(client: RpcClient, address: string, cursor: string | null, pageSize = HISTORY_PAGE): Promise<Account> {
  const [balance, nonce, code, votes, pledge, rewards, history, nbBalance, escrowList, escrowCount] = await client.batch([
    { method: 'eth_getBalance', params: [address, 'latest'] },
    { method: 'eth_getTransactionCount', params: [address, 'latest'] },
    { method: 'eth_getCode', params: [address, 'latest'] },
    { method: 'dpos_getVotes', params: [address] },
    { method: 'eth_call', params: [{ to: SYSTEM_CONTRACTS.nodeRegistry, data: registryInterface.encodeFunctionData('nodeOf', [address]) }, 'latest'] },
    { method: 'flow_getRewards', params: [address] },
    { method: 'nfc_getTransactionsByAddress', params: [address, { limit: pageSize, cursor }] },
    { method: 'eth_call', params: [{ to: SYSTEM_CONTRACTS.nb, data: nbInterface.encodeFunctionData('balanceOf', [address]) }, 'latest'] },
    // its escrows from NB's per-consumer list (the first 256), and how many that list holds
    { method: 'eth_call', params: [{ to: SYSTEM_CONTRACTS.nb, data: nbInterface.encodeFunctionData('escrowsOf', [address]) }, 'latest'] },
    { method: 'eth_call', params: [{ to: SYSTEM_CONTRACTS.nb, data: nbInterface.encodeFunctionData('escrowCount', [address]) }, 'latest'] },
  ])
  const codeHex = typeof code === 'string' ? code : '0x'
  return {
    address,
    balance: balance instanceof RpcError ? undefined : big(balance),
    nonce: nonce instanceof RpcError ? undefined : num(nonce),
    codeSize: code instanceof RpcError ? undefined : (codeHex.length - 2) / 2,
    votes: partOf(votes),
    pledge: decoded(partOf<string>(pledge), registryInterface, 'nodeOf', (r) => ({
      role: Number(r[0]),
      pledge: r[1] as bigint,
      exitTime: r[2] as bigint,
      withdrawn: r[3] as bigint,
      withdrawable: r[4] as bigint,
    })),
    rewards: partOf(rewards),
    history: partOf(history),
    nb: decoded(partOf<string>(nbBalance), nbInterface, 'balanceOf', (r) => r[0] as bigint),
    escrows: escrowsOf(partOf<string>(escrowList), partOf<string>(escrowCount)),
  }
}

/** An eth_call answer of `iface`'s `fn` decoded with `pick`, or the Part's problem (an undecodable answer is one too). */
function decoded<T>(p: Part<string>, iface: Interface, fn: string, pick: (r: readonly unknown[]) => T): Part<T> {
  if (!p.ok) return p
  try {
    return { ok: true, value: pick(iface.decodeFunctionResult(fn, p.value)) }
  } catch (e) {
    return { ok: false, missing: false, error: `undecodable ${fn} answer: ${(e as Error).message}` }
  }
}

/**
 * The non-empty escrows of an NB.escrowsOf answer, sorted by provider. escrowCount only tells how
 * many are listed past the 256 escrowsOf returns: without it, those are taken to be none.
 */
function escrowsOf(list: Part<string>, count: Part<string>): Part<Escrows> {
  const got = decoded(list, nbInterface, 'escrowsOf', (r) =>
    (r[0] as string[]).map((p, i): Escrow => ({ provider: p.toLowerCase(), amount: (r[1] as bigint[])[i]!, releaseAt: (r[2] as bigint[])[i]! })),
  )
  if (!got.ok) return got.missing ? got : { ok: false, missing: false, error: `escrowsOf: ${got.error}` }
  const listed = decoded(count, nbInterface, 'escrowCount', (r) => Number(r[0] as bigint))
  const providers = listed.ok && listed.value > got.value.length ? listed.value : got.value.length
  const escrows = got.value.filter((e) => e.amount > 0n || e.releaseAt > 0n).sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0))
  return { ok: true, value: { escrows, providers, unchecked: providers - got.value.length } }
}

// ------------------------------------------------------------------ witnesses

export interface WitnessRow {
  address: string
  seat?: number
  trust?: number | null
  votes?: string | null
  produced?: string | null
  missed?: string | null
  bonusRatioBps?: number | null
}

export interface Witnesses {
  witnesses: Part<{ cycle?: string; witnesses?: (WitnessRow | null)[]; standby?: string[] }>
  schedule: Part<{ slot?: string; round?: string; order?: string[]; owner?: string; slotTime?: string }>
  candidates: Part<(WitnessRow & { pledge?: string; removed?: boolean })[]>
}

export async function loadWitnesses(client: RpcClient): Promise<Witnesses> {
  const [witnesses, schedule, candidates] = await client.batch([
    { method: 'dpos_getWitnesses' },
    { method: 'dpos_getSchedule' },
    { method: 'dpos_getCandidates' },
  ])
  return { witnesses: partOf(witnesses), schedule: partOf(schedule), candidates: partOf(candidates) }
}

// ------------------------------------------------------------------ flow

export interface FlowInfo {
  stats: Part<Record<string, any>>
  sideChain: Part<Record<string, any>>
  checkpoint: Part<Record<string, any> | null>
  supply: Part<Record<string, any>>
}

export async function loadFlow(client: RpcClient): Promise<FlowInfo> {
  const [stats, sideChain, supply] = await client.batch([{ method: 'flow_getStats' }, { method: 'flow_getSideChain' }, { method: 'nfc_getSupply' }])
  const sc = partOf<Record<string, any>>(sideChain)
  let checkpoint: Part<Record<string, any> | null> = { ok: false, missing: true }
  if (sc.ok && sc.value !== null && sc.value.sideChainId !== undefined) {
    // the last completed cycle's checkpoint (the current cycle is still collecting receipts)
    const cycle = big(sc.value.cycle) ?? 0n
    // the node takes one argument, a cycle number or a sideChainId
    checkpoint = await part(client.call('flow_getCheckpoint', [hexQ(cycle > 0n ? cycle - 1n : 0n)]))
  }
  return { stats: partOf(stats), sideChain: sc, checkpoint, supply: partOf(supply) }
}

// ------------------------------------------------------------------ names

/** A name's record as nfc_resolveName gives it (hex quantities; expiresAt in ms). */
export interface NameRecord {
  name: string
  owner: string
  nodeId: string
  endpoint: string
  expiresAt: string
  lock: string
  status: string
}

/** The live record of `name`, or why there is none (unknown, expired: the node's words). */
export async function loadName(client: RpcClient, name: string): Promise<{ record: NameRecord } | { problem: string }> {
  try {
    return { record: (await client.call('nfc_resolveName', [name])) as NameRecord }
  } catch (e) {
    if (e instanceof RpcError && e.code === NAME_NOT_LIVE) return { problem: e.message }
    throw e
  }
}

/** the code of nfc_resolveName's "unknown name" / "name expired" answers (data.code tells which) */
const NAME_NOT_LIVE = -32000

/** a name of the Names contract: 3–32 of a-z, 0-9 and '-', not first or last (src/consensus/names/rules.ts) */
const NAME = /^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/

// ------------------------------------------------------------------ search

export type SearchTarget =
  | { kind: 'block'; ref: string }
  | { kind: 'tx'; hash: string }
  | { kind: 'account'; address: string }
  | { kind: 'name'; name: string }
  | { kind: 'none'; why: string }

/**
 * What the search text names: a block number, a block or tx hash (asks the node which), an
 * address, a name (a name of digits only is taken as a block number).
 */
export async function resolveSearch(client: RpcClient, text: string): Promise<SearchTarget> {
  const q = text.trim()
  if (/^\d+$/.test(q)) return { kind: 'block', ref: hexQ(BigInt(q)) }
  if (/^0x[0-9a-fA-F]{1,16}$/.test(q) && q.length < 42) return { kind: 'block', ref: hexQ(BigInt(q)) }
  if (/^(0x)?[0-9a-fA-F]{40}$/.test(q)) return { kind: 'account', address: (q.startsWith('0x') ? q : '0x' + q).toLowerCase() }
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(q)) {
    const hash = (q.startsWith('0x') ? q : '0x' + q).toLowerCase()
    const [tx, block] = await client.batch([
      { method: 'eth_getTransactionByHash', params: [hash] },
      { method: 'eth_getBlockByHash', params: [hash, false] },
    ])
    if (tx !== null && typeof tx === 'object' && !(tx instanceof RpcError)) return { kind: 'tx', hash }
    if (block !== null && typeof block === 'object' && !(block instanceof RpcError)) return { kind: 'block', ref: hash }
    return { kind: 'none', why: `no transaction or block ${hash}` }
  }
  if (NAME.test(q)) return { kind: 'name', name: q }
  return { kind: 'none', why: 'type a block number, a block or transaction hash (0x + 64 hex), an address (0x + 40 hex) or a name' }
}
