/**
 * Side-chain formats (pure, no storage): a side block, its RLP and hash; a session record and its
 * RLP. `sideStore.ts` keeps them in the node database.
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex, concatBytes, hexToBytes } from '@ethereumjs/util'
import { core } from '../core/index.js'

/** RLP field helpers of the side-chain records (the store's own records use them too) */
export const big = (v: bigint): Uint8Array => bigIntToUnpaddedBytes(v)
export const num = (b: unknown): bigint => bytesToBigInt(b as Uint8Array)
export const addrHex = (b: unknown): string => bytesToHex(b as Uint8Array)
export const addrBytes = (a: string): Uint8Array => hexToBytes(a as `0x${string}`)

export const ZERO_HASH = new Uint8Array(32)

/** One side-chain block: made only when receipts are pending (event-driven, never empty). */
export interface SideBlock {
  sideChainId: Uint8Array
  height: bigint
  parentHash: Uint8Array
  cycle: bigint
  timestampMs: bigint
  /** encoded receipts, in acceptance order */
  receipts: Uint8Array[]
}

export function encodeSideBlock(b: SideBlock): Uint8Array {
  return RLP.encode([b.sideChainId, big(b.height), b.parentHash, big(b.cycle), big(b.timestampMs), b.receipts])
}

export function decodeSideBlock(raw: Uint8Array): SideBlock {
  const f = RLP.decode(raw) as unknown as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array[]]
  if (!Array.isArray(f) || f.length < 6 || !Array.isArray(f[5])) throw new Error('bad side block encoding')
  return { sideChainId: f[0], height: num(f[1]), parentHash: f[2], cycle: num(f[3]), timestampMs: num(f[4]), receipts: f[5] }
}

/** keccak256 of the header fields and the receipt bytes' hashes (what the next block's parentHash names) */
export function sideBlockHash(b: SideBlock): Uint8Array {
  const receiptsHash = core.keccak256(concatBytes(...b.receipts.map((r) => core.keccak256(r))))
  return core.keccak256(RLP.encode([b.sideChainId, big(b.height), b.parentHash, big(b.cycle), big(b.timestampMs), receiptsHash]))
}

/** What the side-chain knows of a session (its last accepted receipt). */
export interface SessionRecord {
  sessionId: Uint8Array
  consumer: string
  provider: string
  relays: string[]
  lastSeq: bigint
  bytesUp: bigint
  bytesDown: bigint
  lastReceiptHash: Uint8Array
  /** flow cycle of the last accepted receipt */
  lastCycle: bigint
  /** receipts accepted for this session */
  receipts: bigint
}

export function encodeSession(s: SessionRecord): Uint8Array {
  return RLP.encode([
    s.sessionId,
    addrBytes(s.consumer),
    addrBytes(s.provider),
    s.relays.map(addrBytes),
    big(s.lastSeq),
    big(s.bytesUp),
    big(s.bytesDown),
    s.lastReceiptHash,
    big(s.lastCycle),
    big(s.receipts),
  ])
}

export function decodeSession(raw: Uint8Array): SessionRecord {
  const f = RLP.decode(raw) as unknown as Uint8Array[]
  return {
    sessionId: f[0]!,
    consumer: addrHex(f[1]),
    provider: addrHex(f[2]),
    relays: (f[3] as unknown as Uint8Array[]).map(addrHex),
    lastSeq: num(f[4]),
    bytesUp: num(f[5]),
    bytesDown: num(f[6]),
    lastReceiptHash: f[7]!,
    lastCycle: num(f[8]),
    receipts: num(f[9]),
  }
}
