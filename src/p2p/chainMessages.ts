/**
 * Payload codecs of the network service's own messages (RLP, like the session messages):
 *
 *   GetBlocks = [from, count]            1 ≤ count ≤ MAX_GET_BLOCKS
 *   Blocks    = [encodedBlock, …]        consecutive canonical blocks starting at `from`
 *   GetPeers  = []
 *   Peers     = [url, …]                 ws:// or wss:// addresses peers listen on
 *
 * Block, Tx and Confirmation payloads are the chain's own bytes and are not decoded here.
 * As in messages.ts, extra trailing list items are ignored so a later version may append fields.
 */
import { RLP } from '@ethereumjs/rlp'
import { MAX_PAYLOAD, MessageType, badMessage, decodeBytes, decodeList, decodeText, decodeUint } from './messages.js'

/** the most blocks one GetBlocks may ask for; larger requests are a protocol violation */
export const MAX_GET_BLOCKS = 128
/** the most addresses in one Peers answer */
export const MAX_PEER_URLS = 64
/** the longest address accepted in Peers */
export const MAX_URL_BYTES = 256

export interface GetBlocks {
  from: bigint
  count: number
}

export function encodeGetBlocks(r: GetBlocks): Uint8Array {
  return RLP.encode([r.from, r.count])
}

export function decodeGetBlocks(payload: Uint8Array): GetBlocks {
  const t = MessageType.GetBlocks
  const f = decodeList(t, payload, 2)
  const from = decodeUint(t, f[0], 'from', 8)
  const count = Number(decodeUint(t, f[1], 'count', 2))
  if (count < 1 || count > MAX_GET_BLOCKS) badMessage(t, `count ${count} outside 1..${MAX_GET_BLOCKS}`)
  return { from, count }
}

export function encodeBlocks(blocks: Uint8Array[]): Uint8Array {
  return RLP.encode(blocks)
}

export function decodeBlocks(payload: Uint8Array): Uint8Array[] {
  const t = MessageType.Blocks
  const f = decodeList(t, payload, 0)
  if (f.length > MAX_GET_BLOCKS) badMessage(t, `${f.length} blocks, at most ${MAX_GET_BLOCKS}`)
  return f.map((b, i) => decodeBytes(t, b, `block ${i}`, undefined, MAX_PAYLOAD[MessageType.Block]))
}

/** an upper bound of the bytes `encodeBlocks` adds around one block (RLP string header) */
export const BLOCK_ITEM_OVERHEAD = 9
/** an upper bound of the Blocks list header */
export const BLOCKS_LIST_OVERHEAD = 9

export function encodeGetPeers(): Uint8Array {
  return RLP.encode([])
}

export function decodeGetPeers(payload: Uint8Array): void {
  decodeList(MessageType.GetPeers, payload, 0)
}

export function encodePeers(urls: string[]): Uint8Array {
  return RLP.encode(urls.slice(0, MAX_PEER_URLS).map((u) => new TextEncoder().encode(u)))
}

/** the addresses in a Peers answer, each normalised by `normalizePeerUrl`; invalid ones are a bad message */
export function decodePeers(payload: Uint8Array): string[] {
  const t = MessageType.Peers
  const f = decodeList(t, payload, 0)
  if (f.length > MAX_PEER_URLS) badMessage(t, `${f.length} addresses, at most ${MAX_PEER_URLS}`)
  return f.map((b, i) => {
    const url = normalizePeerUrl(decodeText(t, b, `url ${i}`, MAX_URL_BYTES))
    if (url === undefined) badMessage(t, `url ${i} is not a ws:// or wss:// address`)
    return url
  })
}

/** `ws[s]://host[:port]` (the port left out when it is the scheme's default) or undefined: no path, query or credentials */
export function normalizePeerUrl(s: string): string | undefined {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    return undefined
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return undefined
  if (!u.hostname || u.username || u.password || u.search || u.hash) return undefined
  if (u.pathname !== '/' && u.pathname !== '') return undefined
  return `${u.protocol}//${u.host}`
}

/** FlowSignature = [cycle, checkpointHash, signature]: one committee member's checkpoint signature */
export interface FlowSignature {
  cycle: bigint
  checkpointHash: Uint8Array
  /** 65 bytes r ‖ s ‖ v */
  signature: Uint8Array
}

export function encodeFlowSignature(s: FlowSignature): Uint8Array {
  return RLP.encode([s.cycle, s.checkpointHash, s.signature])
}

export function decodeFlowSignature(payload: Uint8Array): FlowSignature {
  const t = MessageType.FlowSignature
  const f = decodeList(t, payload, 3)
  return {
    cycle: decodeUint(t, f[0], 'cycle', 8),
    checkpointHash: decodeBytes(t, f[1], 'checkpointHash', 32),
    signature: decodeBytes(t, f[2], 'signature', 65),
  }
}
