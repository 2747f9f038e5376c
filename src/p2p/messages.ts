/**
 * P2P message types, their payload limits and codecs. Payloads are RLP (the chain already
 * speaks RLP, and RLP has one encoding per value, which the handshake transcript relies on).
 *
 * Types 0x01–0x0f are the session layer (handshake, liveness, peer exchange) and are decoded
 * here. Types 0x10+ carry chain data; their codecs belong to the DPoS/sync code, so this file
 * only fixes their numbers and limits and hands their payload through as bytes.
 */
import { RLP } from '@ethereumjs/rlp'
import { P2pError, P2pErrorCode, type FrameLimits } from './framing.js'

export const MessageType = {
  Hello: 0x01,
  HelloAck: 0x02,
  Disconnect: 0x03,
  Ping: 0x04,
  Pong: 0x05,
  /** placeholder: ask for known peer addresses (peer exchange) */
  GetPeers: 0x06,
  /** placeholder: answer to GetPeers */
  Peers: 0x07,
  /** placeholder: one signed transaction (its canonical raw bytes) */
  Tx: 0x10,
  /** placeholder: one full block (gossip of a new block) */
  Block: 0x11,
  /** placeholder: a witness confirmation of a block */
  Confirmation: 0x12,
  /** placeholder: range-sync request (from number, count) */
  GetBlocks: 0x13,
  /** placeholder: range-sync answer, consecutive blocks */
  Blocks: 0x14,
  /** a flow (traffic) receipt, gossiped like a transaction (payload: the receipt's wire bytes) */
  FlowReceipt: 0x15,
  /** a committee member's signature of a cycle's checkpoint: RLP [cycle, checkpointHash, signature] */
  FlowSignature: 0x16,
  /** a block's number and hash: "I have this block" (the block itself is fetched with GetBlockByHash) */
  BlockAnnounce: 0x17,
  /** ask an announcer for one block by hash: RLP [hash] */
  GetBlockByHash: 0x18,
  /** the answer to GetBlockByHash: RLP [hash, encodedBlock], the block empty when not held */
  BlockByHash: 0x19,
  /** witness confirmations in one batch, with how many more hops they may travel: RLP [hops, [confirmation, …]] */
  Confirmations: 0x1a,
  /** a witness's signature binding its address to the sender's node id: RLP [signature] */
  WitnessId: 0x1b,
  /** snapshot sync: ask for the account trie's leaves at a state root from an origin (snapMessages.ts) */
  GetAccountRange: 0x1c,
  /** the answer: accounts (hashed address, account RLP) and their range proof */
  AccountRange: 0x1d,
  /** snapshot sync: one account's storage leaves from an origin */
  GetStorageRange: 0x1e,
  /** the answer: slots (hashed slot, value RLP) and their range proof */
  StorageRange: 0x1f,
  /** snapshot sync: contract codes by hash */
  GetByteCodes: 0x20,
  /** the answer: the codes held, in the order asked */
  ByteCodes: 0x21,
  /** snapshot sync: the receipts of blocks by hash (the history below the pivot is never executed) */
  GetReceipts: 0x22,
  /** the answer: each block's receipts (the stored encoding), in the order asked, as many as held and fit */
  Receipts: 0x23,
  /** signed transactions in one batch (their canonical raw bytes), sent only to a peer whose Hello has HelloFeature.TxBatches */
  Txs: 0x24,
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

const KiB = 1024
const MiB = 1024 * KiB

/**
 * Largest payload per type. Session messages are tiny, so a peer that has not finished the
 * handshake can never make us hold more than a few hundred bytes. Chain messages are sized
 * from the chain: a tx like geth's 128 KiB pool limit; a block with room for a full 30 M gas
 * of calldata (≈1.9 MB) and its confirmations; a range answer of several blocks.
 */
export const MAX_PAYLOAD: Readonly<Record<MessageType, number>> = {
  [MessageType.Hello]: 512,
  [MessageType.HelloAck]: 128,
  [MessageType.Disconnect]: 320,
  [MessageType.Ping]: 16,
  [MessageType.Pong]: 16,
  [MessageType.GetPeers]: 16,
  [MessageType.Peers]: 64 * KiB,
  [MessageType.Tx]: 128 * KiB,
  [MessageType.Block]: 4 * MiB,
  [MessageType.Confirmation]: 1 * KiB,
  [MessageType.GetBlocks]: 64,
  [MessageType.Blocks]: 16 * MiB,
  [MessageType.FlowReceipt]: 4 * KiB,
  // cycle (≤ 9) + hash (33) + signature (66) + list header
  [MessageType.FlowSignature]: 128,
  // number (≤ 9) + hash (33) + list header
  [MessageType.BlockAnnounce]: 64,
  [MessageType.GetBlockByHash]: 64,
  // a block and its hash
  [MessageType.BlockByHash]: 4 * MiB + 64,
  // up to MAX_BATCH_CONFIRMATIONS confirmations of ≤ 128 bytes each
  [MessageType.Confirmations]: 32 * KiB,
  // signature (66) + list header
  [MessageType.WitnessId]: 96,
  // request id (≤ 9) + root (33) + origin (33) + max bytes (≤ 5) + list header
  [MessageType.GetAccountRange]: 128,
  // up to the answer budget (snapMessages.ts SNAP_MAX_ANSWER_BYTES) plus its proof and framing
  [MessageType.AccountRange]: 4 * MiB,
  // request id + root + account hash + origin + max bytes + list header
  [MessageType.GetStorageRange]: 160,
  [MessageType.StorageRange]: 4 * MiB,
  // request id + up to SNAP_MAX_CODE_HASHES hashes of 33 bytes + list headers
  [MessageType.GetByteCodes]: 64 * 33 + 32,
  // codes up to the answer budget, at least one whole code (EIP-170: 24 KiB; no limit here beyond the payload)
  [MessageType.ByteCodes]: 4 * MiB,
  // request id + up to SNAP_MAX_RECEIPT_BLOCKS block hashes of 33 bytes + list headers
  [MessageType.GetReceipts]: 128 * 33 + 32,
  // receipts up to the answer budget, at least one whole block's (its logs are bounded by the gas limit only)
  [MessageType.Receipts]: 16 * MiB,
  // up to MAX_BATCH_TXS transactions, cut by the sender at this size (one transaction may fill it alone)
  [MessageType.Txs]: 1 * MiB,
}

/** the largest payload of any type: the WebSocket layer's own maxPayload is this + header */
export const MAX_ANY_PAYLOAD = Math.max(...Object.values(MAX_PAYLOAD))

export const messageLimits: FrameLimits = (type) => MAX_PAYLOAD[type as MessageType]

export function messageTypeName(type: number): string {
  for (const [name, v] of Object.entries(MessageType)) if (v === type) return name
  return `0x${type.toString(16).padStart(2, '0')}`
}

export const PROTOCOL_VERSION = 1

export interface Hello {
  /** P2P protocol version; peers with another version are refused */
  version: number
  chainId: bigint
  genesisHash: Uint8Array
  head: { number: bigint; hash: Uint8Array }
  /** ed25519 public key, 32 bytes (the node id is its hex) */
  nodeId: Uint8Array
  /** 32 fresh random bytes per connection */
  nonce: Uint8Array
  /** the port this node accepts connections on, 0 if it does not listen */
  listenPort: number
  /** free text for logs, e.g. "nfc/v0.1.0" (≤ 64 bytes) */
  client: string
  /**
   * HelloFeature bits: what this node understands beyond the version's messages. A trailing field,
   * so a node that predates it ignores it and is read as 0 (then it gets nothing it cannot take).
   */
  features: number
}

/** bits of Hello.features */
export const HelloFeature = {
  /** takes MessageType.Txs (transactions in batches) */
  TxBatches: 1,
} as const

/** the features this build has */
export const LOCAL_FEATURES = HelloFeature.TxBatches

/** why a session ends; sent in Disconnect and reported in 'peerClosed' */
export const DisconnectReason = {
  Requested: 0,
  ProtocolError: 1,
  BadHandshake: 2,
  ChainMismatch: 3,
  GenesisMismatch: 4,
  VersionMismatch: 5,
  SelfConnection: 6,
  Duplicate: 7,
  Timeout: 8,
  TooManyPeers: 9,
  BadScore: 10,
  Shutdown: 11,
} as const
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason]

export function disconnectReasonName(code: number): string {
  for (const [name, v] of Object.entries(DisconnectReason)) if (v === code) return name
  return `Unknown(${code})`
}

export type SessionMessage =
  | { type: typeof MessageType.Hello; hello: Hello }
  | { type: typeof MessageType.HelloAck; signature: Uint8Array }
  | { type: typeof MessageType.Disconnect; reason: DisconnectReason | number; text: string }
  | { type: typeof MessageType.Ping; nonce: bigint }
  | { type: typeof MessageType.Pong; nonce: bigint }

export type ChainMessageType = Exclude<
  MessageType,
  typeof MessageType.Hello | typeof MessageType.HelloAck | typeof MessageType.Disconnect | typeof MessageType.Ping | typeof MessageType.Pong
>

/** a chain-data message (or GetPeers/Peers): the payload is for the DPoS/sync code to decode */
export interface OpaqueMessage<T extends ChainMessageType = ChainMessageType> {
  type: T
  payload: Uint8Array
}

export type Message = SessionMessage | OpaqueMessage

export function isSessionType(type: number): boolean {
  return type >= MessageType.Hello && type <= MessageType.Pong
}

// ---------------------------------------------------------------- codecs

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })

function bad(type: number, why: string): never {
  throw new P2pError(P2pErrorCode.BadMessage, `bad ${messageTypeName(type)} message: ${why}`, { type })
}

function uint(type: number, b: unknown, field: string, maxBytes: number): bigint {
  if (!(b instanceof Uint8Array)) bad(type, `${field} is not a byte string`)
  if (b.length > maxBytes) bad(type, `${field} too long`)
  if (b.length > 0 && b[0] === 0) bad(type, `${field} has leading zeros`)
  let v = 0n
  for (const x of b) v = (v << 8n) | BigInt(x)
  return v
}

function bytes(type: number, b: unknown, field: string, length?: number, maxLength?: number): Uint8Array {
  if (!(b instanceof Uint8Array)) bad(type, `${field} is not a byte string`)
  if (length !== undefined && b.length !== length) bad(type, `${field} must be ${length} bytes`)
  if (maxLength !== undefined && b.length > maxLength) bad(type, `${field} longer than ${maxLength} bytes`)
  return b
}

function text(type: number, b: unknown, field: string, maxLength: number): string {
  const raw = bytes(type, b, field, undefined, maxLength)
  try {
    return textDecoder.decode(raw)
  } catch {
    bad(type, `${field} is not UTF-8`)
  }
}

function list(type: number, payload: Uint8Array, minItems: number): unknown[] {
  let decoded: unknown
  try {
    decoded = RLP.decode(payload)
  } catch {
    bad(type, 'not RLP')
  }
  if (!Array.isArray(decoded)) bad(type, 'not an RLP list')
  // extra trailing items are ignored, so a later version may append fields
  if (decoded.length < minItems) bad(type, `expected at least ${minItems} items`)
  return decoded
}

/** the field decoders, for the chain-message codecs in chainMessages.ts */
export { bad as badMessage, uint as decodeUint, bytes as decodeBytes, text as decodeText, list as decodeList }

function truncateUtf8(s: string, maxBytes: number): Uint8Array {
  const b = textEncoder.encode(s)
  if (b.length <= maxBytes) return b
  // cut on a character boundary so the peer's fatal UTF-8 decoder accepts it
  let end = maxBytes
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--
  return b.subarray(0, end)
}

export function encodeHello(h: Hello): Uint8Array {
  return RLP.encode([
    h.version,
    h.chainId,
    h.genesisHash,
    [h.head.number, h.head.hash],
    h.nodeId,
    h.nonce,
    h.listenPort,
    truncateUtf8(h.client, 64),
    h.features,
  ])
}

export function decodeHello(payload: Uint8Array): Hello {
  const t = MessageType.Hello
  const f = list(t, payload, 8)
  const head = f[3]
  if (!Array.isArray(head) || head.length < 2) bad(t, 'head must be [number, hash]')
  const port = uint(t, f[6], 'listenPort', 2)
  return {
    version: Number(uint(t, f[0], 'version', 4)),
    chainId: uint(t, f[1], 'chainId', 32),
    genesisHash: bytes(t, f[2], 'genesisHash', 32),
    head: { number: uint(t, head[0], 'head.number', 8), hash: bytes(t, head[1], 'head.hash', 32) },
    nodeId: bytes(t, f[4], 'nodeId', 32),
    nonce: bytes(t, f[5], 'nonce', 32),
    listenPort: Number(port),
    client: text(t, f[7], 'client', 64),
    features: f.length > 8 ? Number(uint(t, f[8], 'features', 4)) : 0,
  }
}

/** encode a session message, or pass a chain message's payload through */
export function encodeMessage(m: Message): Uint8Array {
  switch (m.type) {
    case MessageType.Hello:
      return encodeHello(m.hello)
    case MessageType.HelloAck:
      return RLP.encode([m.signature])
    case MessageType.Disconnect:
      return RLP.encode([m.reason, truncateUtf8(m.text, 256)])
    case MessageType.Ping:
    case MessageType.Pong:
      return RLP.encode([m.nonce])
    default:
      return m.payload
  }
}

export function decodeMessage(type: number, payload: Uint8Array): Message {
  switch (type) {
    case MessageType.Hello:
      return { type, hello: decodeHello(payload) }
    case MessageType.HelloAck: {
      const f = list(type, payload, 1)
      return { type, signature: bytes(type, f[0], 'signature', 64) }
    }
    case MessageType.Disconnect: {
      const f = list(type, payload, 2)
      return { type, reason: Number(uint(type, f[0], 'reason', 2)), text: text(type, f[1], 'text', 256) }
    }
    case MessageType.Ping:
    case MessageType.Pong: {
      const f = list(type, payload, 1)
      return { type, nonce: uint(type, f[0], 'nonce', 8) }
    }
    default:
      if (messageLimits(type) === undefined) {
        throw new P2pError(P2pErrorCode.UnknownType, `unknown message type ${type}`, { type })
      }
      return { type: type as ChainMessageType, payload }
  }
}
