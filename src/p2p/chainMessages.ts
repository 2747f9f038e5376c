/**
 * Payload codecs of the network service's own messages (RLP, like the session messages):
 *
 *   GetBlocks = [from, count]            1 ≤ count ≤ MAX_GET_BLOCKS
 *   Blocks    = [encodedBlock, …]        consecutive canonical blocks starting at `from`
 *   GetPeers  = []
 *   Peers     = [url, …]                 ws:// or wss:// addresses peers listen on
 *   BlockAnnounce  = [number, hash]      the sender has this block (imported it)
 *   GetBlockByHash = [hash]              one block, asked of a peer that announced it
 *   BlockByHash    = [hash, block]       the answer; `block` empty when the peer does not hold it
 *   Confirmations  = [hops, [conf, …]]   1..MAX_BATCH_CONFIRMATIONS encoded confirmations; hops:
 *                                        how many more times the receiver may forward them
 *   WitnessId      = [signature]         65 bytes: a witness key's signature of the sender's node id
 *   Txs            = [rawTx, …]          1..MAX_BATCH_TXS signed transactions (each within the Tx limit)
 *
 * Block, Tx and Confirmation payloads are the chain's own bytes and are not decoded here.
 * As in messages.ts, extra trailing list items are ignored so a later version may append fields.
 */
import { RLP } from '@ethereumjs/rlp'
import { MAX_PAYLOAD, MessageType, badMessage, decodeBytes, decodeList, decodeText, decodeUint } from './messages.js'
import { encodeRlp } from '../util/rlpView.js'

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
  return encodeRlp(blocks)
}

export function decodeBlocks(payload: Uint8Array): Uint8Array[] {
  const t = MessageType.Blocks
  const f = decodeList(t, payload, 0)
  if (f.length > MAX_GET_BLOCKS) badMessage(t, `${f.length} blocks, at most ${MAX_GET_BLOCKS}`)
  return f.map((b, i) => decodeBytes(t, b, `block ${i}`, undefined, MAX_PAYLOAD[MessageType.Block]))
}

/** the most transactions in one Txs message */
export const MAX_BATCH_TXS = 256
/** an upper bound of the bytes `encodeTxs` adds around one transaction (RLP string header) */
export const TX_ITEM_OVERHEAD = 5
/** an upper bound of the Txs list header */
export const TXS_LIST_OVERHEAD = 5

export function encodeTxs(raws: readonly Uint8Array[]): Uint8Array {
  return encodeRlp(raws as Uint8Array[])
}

export function decodeTxs(payload: Uint8Array): Uint8Array[] {
  const t = MessageType.Txs
  const f = decodeList(t, payload, 1)
  if (f.length > MAX_BATCH_TXS) badMessage(t, `${f.length} transactions, at most ${MAX_BATCH_TXS}`)
  return f.map((b, i) => decodeBytes(t, b, `transaction ${i}`, undefined, MAX_PAYLOAD[MessageType.Tx]))
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

// ---------------------------------------------------------------- block announce and fetch

/** a block hash is 32 bytes */
const HASH_BYTES = 32

export interface BlockAnnounce {
  number: bigint
  hash: Uint8Array
}

export function encodeBlockAnnounce(a: BlockAnnounce): Uint8Array {
  return RLP.encode([a.number, a.hash])
}

export function decodeBlockAnnounce(payload: Uint8Array): BlockAnnounce {
  const t = MessageType.BlockAnnounce
  const f = decodeList(t, payload, 2)
  return { number: decodeUint(t, f[0], 'number', 8), hash: decodeBytes(t, f[1], 'hash', HASH_BYTES) }
}

export function encodeGetBlockByHash(hash: Uint8Array): Uint8Array {
  return RLP.encode([hash])
}

export function decodeGetBlockByHash(payload: Uint8Array): Uint8Array {
  const t = MessageType.GetBlockByHash
  return decodeBytes(t, decodeList(t, payload, 1)[0], 'hash', HASH_BYTES)
}

export interface BlockByHash {
  hash: Uint8Array
  /** undefined: the peer does not hold the block */
  block: Uint8Array | undefined
}

export function encodeBlockByHash(a: BlockByHash): Uint8Array {
  return RLP.encode([a.hash, a.block ?? new Uint8Array(0)])
}

export function decodeBlockByHash(payload: Uint8Array): BlockByHash {
  const t = MessageType.BlockByHash
  const f = decodeList(t, payload, 2)
  const hash = decodeBytes(t, f[0], 'hash', HASH_BYTES)
  const block = decodeBytes(t, f[1], 'block', undefined, MAX_PAYLOAD[MessageType.Block])
  return { hash, block: block.length === 0 ? undefined : block }
}

// ---------------------------------------------------------------- confirmations and witness ids

/** the most confirmations in one Confirmations batch */
export const MAX_BATCH_CONFIRMATIONS = 128
/** the longest confirmation accepted in a batch (an encoded one is ~103 bytes) */
export const MAX_CONFIRMATION_BYTES = 128
/** the most hops a confirmation may still travel; more is a bad message */
export const MAX_CONFIRMATION_HOPS = 8

export interface ConfirmationBatch {
  hops: number
  /** encoded confirmations (the chain's bytes, not decoded here) */
  items: Uint8Array[]
}

export function encodeConfirmations(b: ConfirmationBatch): Uint8Array {
  return RLP.encode([b.hops, b.items])
}

export function decodeConfirmations(payload: Uint8Array): ConfirmationBatch {
  const t = MessageType.Confirmations
  const f = decodeList(t, payload, 2)
  const hops = Number(decodeUint(t, f[0], 'hops', 1))
  if (hops > MAX_CONFIRMATION_HOPS) badMessage(t, `hops ${hops} above ${MAX_CONFIRMATION_HOPS}`)
  const items = f[1]
  if (!Array.isArray(items)) badMessage(t, 'confirmations is not a list')
  if (items.length === 0 || items.length > MAX_BATCH_CONFIRMATIONS) badMessage(t, `${items.length} confirmations, want 1..${MAX_BATCH_CONFIRMATIONS}`)
  return { hops, items: items.map((c, i) => decodeBytes(t, c, `confirmation ${i}`, undefined, MAX_CONFIRMATION_BYTES)) }
}

/** a secp256k1 signature r ‖ s ‖ v */
const SIGNATURE_BYTES = 65

export function encodeWitnessId(signature: Uint8Array): Uint8Array {
  return RLP.encode([signature])
}

export function decodeWitnessId(payload: Uint8Array): Uint8Array {
  const t = MessageType.WitnessId
  return decodeBytes(t, decodeList(t, payload, 1)[0], 'signature', SIGNATURE_BYTES)
}
