/**
 * What the views of the chain's systems ask the node (DESIGN §13–14): payment channels
 * (flow_getChannel, flow_getChannels, PaymentChannels.channelCount over eth_call) and names
 * (nfc_listNames) here, governance in govQueries.ts, storage deals in dealQueries.ts; the helpers
 * they share. Times are the chain's: each load brings the head block's time, so a status
 * ("voting", "expired") follows the chain, not the wall clock.
 */
import { Interface, type InterfaceAbi } from 'ethers'
import channelsAbi from '../execution/system/abi/IPaymentChannels.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { RpcError, type RpcClient } from './rpcClient.js'
import { big, blockTimeMs } from './format.js'
import { hexQ, type NameRecord } from './queries.js'
import type { Block } from './chainCache.js'

const channelsIface = new Interface(channelsAbi as InterfaceAbi)

/** A JSON-RPC answer that must be there: the error itself is thrown. */
export function must<T>(v: unknown): T {
  if (v instanceof RpcError) throw v
  return v as T
}

export const headTime = (b: unknown): bigint => BigInt(b !== null && typeof b === 'object' && !(b instanceof RpcError) ? (blockTimeMs(b as Block) ?? 0) : 0)

/** Hex quantities of `o` named in `keys` as bigints (0 when absent). */
export function bigs<K extends string>(o: object, keys: readonly K[]): Record<K, bigint> {
  const out = {} as Record<K, bigint>
  for (const k of keys) out[k] = big((o as Record<string, unknown>)[k]) ?? 0n
  return out
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
