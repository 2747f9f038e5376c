// Long on purpose (600 lines): one format — types, EIP-712 typed data, validation, bounds, RLP and JSON codecs, signing — so a field change is one file.
/**
 * The flow receipt (DESIGN §5.4): a running total of the bytes of one session, signed by both
 * consumer and provider as EIP-712 typed data, so any wallet's `signTypedData` produces the
 * signature the chain checks. Also the byte, hex and EIP-712 helpers the other flow formats share.
 *
 * Signatures are 65 bytes r ‖ s ‖ v with v = 27/28 and low s (EIP-2): a high-s or other-v
 * signature recovers to nobody, so a receipt has exactly one valid signature per signer and key.
 */
import { RLP } from '@ethereumjs/rlp'
import { concatBytes } from '@ethereumjs/util'
import { core } from '../core/index.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { addressOf, recoverPublicKey, sign } from '../crypto/secp256k1.js'
import { bytesEqual, hexOf, uint32be, uint64be } from '../util/bytes.js'
import { FlowError, FlowErrorCode, badFormat } from './errors.js'

/** A lowercase 0x-prefixed 20-byte hex address. */
export type Addr = string

export interface FlowReceipt {
  domainTag: Uint8Array
  chainId: bigint
  sessionId: Uint8Array
  consumer: Addr
  provider: Addr
  relays: Addr[]
  seq: bigint
  /** running totals of the session, in bytes */
  bytesUp: bigint
  bytesDown: bigint
  /** keccak256(merkleRoot(slice hashes) ‖ u32be(count)), see sampling.ts */
  sampleRoot: Uint8Array
  prevReceiptHash: Uint8Array
  cycle: bigint
  expiryHeight: bigint
}

export interface SignedReceipt extends FlowReceipt {
  consumerSignature: Uint8Array
  providerSignature: Uint8Array
}

export const MAX_RELAYS = 4

// ---------------------------------------------------------------------------------------------
// bytes, hex and integers

const ADDR_RE = /^0x[0-9a-f]{40}$/
const TWO_256 = 1n << 256n
const TWO_64 = 1n << 64n
export const ZERO_HASH = new Uint8Array(32)

export const keccak = (data: Uint8Array): Uint8Array => core.keccak256(data)

/** (the flow files' hex and byte equality are util/bytes') */
export { bytesEqual, hexOf }

/** bytes of an even-length 0x hex string (any case); throws FLOW_BAD_FORMAT naming `field` */
export function bytesOfHex(hex: unknown, field: string, len?: number): Uint8Array {
  if (typeof hex !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(hex)) {
    throw badFormat(field, 'expected an even-length 0x-prefixed hex string', { value: hex })
  }
  const out = Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
  if (len !== undefined && out.length !== len) throw badFormat(field, `expected ${len} bytes, got ${out.length}`)
  return out
}

export function bigOf(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(hexOf(b))
}

/** (the flow files' byte concatenation is @ethereumjs/util's) */
export { concatBytes }

/** 32-byte big-endian word; throws FLOW_BAD_FORMAT outside 0..2^256−1 */
export function u256(x: bigint, field = 'uint256'): Uint8Array {
  if (typeof x !== 'bigint' || x < 0n || x >= TWO_256) throw badFormat(field, 'not a uint256', { value: String(x) })
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'))
}

export function u64be(x: bigint, field = 'uint64'): Uint8Array {
  if (typeof x !== 'bigint' || x < 0n || x >= TWO_64) throw badFormat(field, 'not a uint64', { value: String(x) })
  return uint64be(x)
}

export function u32be(x: number, field = 'uint32'): Uint8Array {
  if (!Number.isInteger(x) || x < 0 || x > 0xffff_ffff) throw badFormat(field, 'not a uint32', { value: x })
  return uint32be(x)
}

export function isAddr(a: unknown): a is Addr {
  return typeof a === 'string' && ADDR_RE.test(a)
}

export function checkAddr(a: unknown, field: string): Addr {
  if (!isAddr(a)) throw badFormat(field, 'expected a lowercase 0x-prefixed 20-byte hex address', { value: a })
  return a
}

export function addrBytes(a: Addr): Uint8Array {
  return Uint8Array.from(Buffer.from(a.slice(2), 'hex'))
}

export function checkBytes(b: unknown, len: number, field: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    throw badFormat(field, `expected ${len} bytes`, { length: b instanceof Uint8Array ? b.length : typeof b })
  }
  return b
}

export function checkUint(x: unknown, bits: 64 | 256, field: string): bigint {
  if (typeof x !== 'bigint' || x < 0n || x >= 1n << BigInt(bits)) {
    throw badFormat(field, `not a uint${bits}`, { value: String(x) })
  }
  return x
}

/** ABI word of an address: 12 zero bytes ‖ the 20 address bytes */
export function addrWord(a: Addr): Uint8Array {
  const w = new Uint8Array(32)
  w.set(addrBytes(a), 12)
  return w
}

// RLP integers are minimal big-endian byte strings (0 = empty); decoding demands exactly that.
export function rlpUint(x: bigint): Uint8Array {
  if (x === 0n) return new Uint8Array(0)
  const h = x.toString(16)
  return Uint8Array.from(Buffer.from(h.length % 2 ? `0${h}` : h, 'hex'))
}

export function uintOfRlp(item: unknown, bits: 64 | 256, field: string): bigint {
  const b = rlpBytes(item, field)
  if (b.length > bits / 8) throw badFormat(field, `longer than uint${bits}`)
  if (b.length > 0 && b[0] === 0) throw badFormat(field, 'integer with a leading zero byte')
  return bigOf(b)
}

export function rlpBytes(item: unknown, field: string, len?: number): Uint8Array {
  if (!(item instanceof Uint8Array)) throw badFormat(field, 'expected a byte string, got a list')
  if (len !== undefined && item.length !== len) throw badFormat(field, `expected ${len} bytes, got ${item.length}`)
  return item
}

export function rlpList(item: unknown, field: string): unknown[] {
  if (!Array.isArray(item)) throw badFormat(field, 'expected a list')
  return item
}

/** RLP.decode of a whole buffer; any RLP error (incl. trailing bytes) → FLOW_BAD_FORMAT */
export function rlpDecode(bytes: Uint8Array, field: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw badFormat(field, 'expected bytes')
  try {
    return RLP.decode(bytes)
  } catch (e) {
    throw badFormat(field, `rlp: ${(e as Error).message}`)
  }
}

export function rlpEncode(x: unknown): Uint8Array {
  return RLP.encode(x as never)
}

/** JSON quantity: 0x-prefixed hex without leading zeros ("0x0" for zero), any case */
export function quantityOfJson(v: unknown, bits: 64 | 256, field: string): bigint {
  if (typeof v !== 'string' || !/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v)) {
    throw badFormat(field, 'expected a 0x hex quantity without leading zeros', { value: v })
  }
  return checkUint(BigInt(v), bits, field)
}

export const quantityHex = (x: bigint): string => `0x${x.toString(16)}`

export function addrOfJson(v: unknown, field: string): Addr {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) {
    throw badFormat(field, 'expected a 0x-prefixed 20-byte hex address', { value: v })
  }
  return v.toLowerCase()
}

/** a JSON object holding exactly `keys` (missing or unknown keys are format errors) */
export function jsonObject(json: unknown, keys: readonly string[], field: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badFormat(field, 'expected an object')
  const o = json as Record<string, unknown>
  for (const k of keys) if (!(k in o)) throw badFormat(`${field}.${k}`, 'missing')
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw badFormat(`${field}.${k}`, 'unknown field')
  return o
}

// ---------------------------------------------------------------------------------------------
// EIP-712 and signatures

export const RECEIPT_DOMAIN_TAG: Uint8Array = keccak(new TextEncoder().encode('NFC-POVF-RECEIPT-v1'))

const DOMAIN_NAME = 'NetFlowCoin PoVF'
const DOMAIN_VERSION = '1'
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const DOMAIN_TYPEHASH = keccak(utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'))

/** The EIP-712 domain, as ethers (`TypedDataDomain`) and viem take it. */
export function flowDomain(chainId: bigint): {
  name: string
  version: string
  chainId: bigint
  verifyingContract: string
} {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: SYSTEM_CONTRACTS.flowRewards }
}

const separators = new Map<bigint, Uint8Array>()

export function flowDomainSeparator(chainId: bigint): Uint8Array {
  let sep = separators.get(chainId)
  if (sep === undefined) {
    sep = keccak(
      concatBytes(DOMAIN_TYPEHASH, keccak(utf8(DOMAIN_NAME)), keccak(utf8(DOMAIN_VERSION)), u256(chainId, 'chainId'), addrWord(SYSTEM_CONTRACTS.flowRewards)),
    )
    separators.set(chainId, sep)
  }
  return sep
}

/** keccak256(0x19 0x01 ‖ domainSeparator ‖ structHash) */
export function eip712Digest(chainId: bigint, structHash: Uint8Array): Uint8Array {
  DIGEST_SCRATCH[0] = 0x19
  DIGEST_SCRATCH[1] = 0x01
  DIGEST_SCRATCH.set(flowDomainSeparator(chainId), 2)
  DIGEST_SCRATCH.set(structHash, 34)
  return keccak(DIGEST_SCRATCH)
}

/** The EIP-712 types (without EIP712Domain, as ethers wants them). */
export const FLOW_RECEIPT_TYPES = {
  FlowReceipt: [
    { name: 'domainTag', type: 'bytes32' },
    { name: 'chainId', type: 'uint256' },
    { name: 'sessionId', type: 'bytes32' },
    { name: 'consumer', type: 'address' },
    { name: 'provider', type: 'address' },
    { name: 'relays', type: 'address[]' },
    { name: 'seq', type: 'uint64' },
    { name: 'bytesUp', type: 'uint256' },
    { name: 'bytesDown', type: 'uint256' },
    { name: 'sampleRoot', type: 'bytes32' },
    { name: 'prevReceiptHash', type: 'bytes32' },
    { name: 'cycle', type: 'uint64' },
    { name: 'expiryHeight', type: 'uint64' },
  ],
}

/** "Name(type1 name1,…)" of a single-struct types object */
export function typeString(name: string, fields: readonly { name: string; type: string }[]): string {
  return `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`
}

const RECEIPT_TYPEHASH = keccak(utf8(typeString('FlowReceipt', FLOW_RECEIPT_TYPES.FlowReceipt)))

/** The typed-data message of a receipt, for `signTypedData(flowDomain(chainId), FLOW_RECEIPT_TYPES, …)`. */
export function receiptMessage(r: FlowReceipt): Record<string, unknown> {
  checkReceiptFields(r)
  return {
    domainTag: hexOf(r.domainTag),
    chainId: r.chainId,
    sessionId: hexOf(r.sessionId),
    consumer: r.consumer,
    provider: r.provider,
    relays: [...r.relays],
    seq: r.seq,
    bytesUp: r.bytesUp,
    bytesDown: r.bytesDown,
    sampleRoot: hexOf(r.sampleRoot),
    prevReceiptHash: hexOf(r.prevReceiptHash),
    cycle: r.cycle,
    expiryHeight: r.expiryHeight,
  }
}

/** keccak of the ABI words of an address[] (EIP-712 array encoding) */
export function addrArrayHash(list: readonly Addr[]): Uint8Array {
  return keccak(concatBytes(...list.map(addrWord)))
}

/** Throws FLOW_BAD_FORMAT (or FLOW_TOO_MANY_RELAYS) naming the first bad field. */
export function checkReceiptFields(r: FlowReceipt): void {
  if (typeof r !== 'object' || r === null) throw badFormat('receipt', 'expected an object')
  checkBytes(r.domainTag, 32, 'domainTag')
  checkUint(r.chainId, 256, 'chainId')
  checkBytes(r.sessionId, 32, 'sessionId')
  checkAddr(r.consumer, 'consumer')
  checkAddr(r.provider, 'provider')
  checkRelays(r.relays)
  checkUint(r.seq, 64, 'seq')
  checkUint(r.bytesUp, 256, 'bytesUp')
  checkUint(r.bytesDown, 256, 'bytesDown')
  // the total goes into uint256 checkpoint fields
  if (r.bytesUp + r.bytesDown >= TWO_256) throw badFormat('bytesDown', 'bytesUp + bytesDown overflows uint256')
  checkBytes(r.sampleRoot, 32, 'sampleRoot')
  checkBytes(r.prevReceiptHash, 32, 'prevReceiptHash')
  checkUint(r.cycle, 64, 'cycle')
  checkUint(r.expiryHeight, 64, 'expiryHeight')
}

/** ≤ MAX_RELAYS distinct addresses (a repeated relay would take two relay shares) */
export function checkRelays(relays: unknown, field = 'relays'): Addr[] {
  if (!Array.isArray(relays)) throw badFormat(field, 'expected an array of addresses')
  if (relays.length > MAX_RELAYS) {
    throw new FlowError(FlowErrorCode.FLOW_TOO_MANY_RELAYS, `${field}: ${relays.length} relays, at most ${MAX_RELAYS}`, {
      field,
      count: relays.length,
    })
  }
  relays.forEach((a, i) => checkAddr(a, `${field}[${i}]`))
  if (new Set(relays).size !== relays.length) throw badFormat(field, 'the same relay twice')
  return relays as Addr[]
}

function checkSignedFields(sr: SignedReceipt): void {
  checkReceiptFields(sr)
  checkBytes(sr.consumerSignature, 65, 'consumerSignature')
  checkBytes(sr.providerSignature, 65, 'providerSignature')
}

// receiptHash is on the side-chain's hot path (every receipt, and again for every signature
// check): the 14 words of the struct are written into one scratch buffer instead of being built
// as 14 arrays and concatenated (~2.5× faster); core.keccak256 copies its input synchronously.
const STRUCT_SCRATCH = new Uint8Array(14 * 32)
const STRUCT_VIEW = new DataView(STRUCT_SCRATCH.buffer)
const DIGEST_SCRATCH = new Uint8Array(2 + 32 + 32)
const EMPTY_ARRAY_HASH = keccak(new Uint8Array(0))
const M64 = (1n << 64n) - 1n

function putWord(at: number, b: Uint8Array): void {
  STRUCT_SCRATCH.set(b, at)
}
function putUint(at: number, x: bigint): void {
  STRUCT_VIEW.setBigUint64(at, x >> 192n)
  STRUCT_VIEW.setBigUint64(at + 8, (x >> 128n) & M64)
  STRUCT_VIEW.setBigUint64(at + 16, (x >> 64n) & M64)
  STRUCT_VIEW.setBigUint64(at + 24, x & M64)
}
function putAddr(at: number, a: Addr): void {
  STRUCT_SCRATCH.fill(0, at, at + 12)
  STRUCT_SCRATCH.set(Buffer.from(a.slice(2), 'hex'), at + 12)
}

export function receiptStructHash(r: FlowReceipt): Uint8Array {
  checkReceiptFields(r)
  putWord(0, RECEIPT_TYPEHASH)
  putWord(32, r.domainTag)
  putUint(64, r.chainId)
  putWord(96, r.sessionId)
  putAddr(128, r.consumer)
  putAddr(160, r.provider)
  putWord(192, r.relays.length === 0 ? EMPTY_ARRAY_HASH : addrArrayHash(r.relays))
  putUint(224, r.seq)
  putUint(256, r.bytesUp)
  putUint(288, r.bytesDown)
  putWord(320, r.sampleRoot)
  putWord(352, r.prevReceiptHash)
  putUint(384, r.cycle)
  putUint(416, r.expiryHeight)
  return keccak(STRUCT_SCRATCH)
}

/** The EIP-712 digest both parties sign; the receipt's identity. */
export function receiptHash(r: FlowReceipt): Uint8Array {
  return eip712Digest(r.chainId, receiptStructHash(r))
}

/** Running total of the session: bytesUp + bytesDown. */
export function receiptTotal(r: FlowReceipt): bigint {
  return r.bytesUp + r.bytesDown
}

/**
 * The bound on a session's running total (DESIGN §12): totals fit in uint64. The wire format keeps
 * its uint256 fields (receipts signed before stay decodable), the bound is a rule every edge and
 * the checkpoint builder apply: a checkpoint of MAX_CHECKPOINT_ENTRIES entries then sums below
 * 2^77, and a provider's totals stay far below 2^256 over any number of cycles.
 */
export const MAX_FLOW_TOTAL = 2n ** 64n - 1n

/** Throws FLOW_OUT_OF_BOUNDS when a running total (either direction or their sum) exceeds uint64. */
export function checkTotalBound(r: Pick<FlowReceipt, 'bytesUp' | 'bytesDown'>): void {
  const total = r.bytesUp + r.bytesDown
  if (total > MAX_FLOW_TOTAL) {
    throw new FlowError(FlowErrorCode.FLOW_OUT_OF_BOUNDS, `running total ${total} exceeds the uint64 bound ${MAX_FLOW_TOTAL}`, {
      field: 'bytesUp',
      total,
    })
  }
}

/**
 * The most a session can have carried in `elapsedMs` at `maxBytesPerSec` (DESIGN §12: a receipt's
 * increment is at most the maximum rate × the time it covers). Integer, rounded down, never below
 * one second's worth.
 */
export function carriableBytes(maxBytesPerSec: bigint, elapsedMs: bigint): bigint {
  const ms = elapsedMs < 1000n ? 1000n : elapsedMs
  return (maxBytesPerSec * ms) / 1000n
}

/** 65-byte r ‖ s ‖ v (v = 27/28) over a 32-byte digest */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { r, s, recovery } = sign(digest, privateKey)
  return concatBytes(r, s, Uint8Array.of(27 + recovery))
}

export function signReceipt(r: FlowReceipt, privateKey: Uint8Array): Uint8Array {
  return signDigest(receiptHash(r), privateKey)
}

const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/**
 * The recovery item of a 65-byte signature, or null when it can recover nobody by our rules
 * (wrong length, v not 27/28, s above n/2). r/s range and curve checks are the recovery's.
 */
export function sigParts(sig: Uint8Array): { r: Uint8Array; s: Uint8Array; recid: number } | null {
  if (!(sig instanceof Uint8Array) || sig.length !== 65) return null
  const v = sig[64]!
  if (v !== 27 && v !== 28) return null
  const s = sig.subarray(32, 64)
  if (bigOf(s) > HALF_N) return null
  return { r: sig.subarray(0, 32), s, recid: v - 27 }
}

export function addrOfPublicKey(pub: Uint8Array): Addr {
  return hexOf(addressOf(pub))
}

/** The signer of `digest`, or null for an invalid signature; never throws on a bad signature. */
export function recoverAddress(digest: Uint8Array, sig: Uint8Array): Addr | null {
  const p = sigParts(sig)
  if (p === null) return null
  const pub = recoverPublicKey(digest, p.r.slice(), p.s.slice(), p.recid)
  return pub === null ? null : addrOfPublicKey(pub)
}

export function recoverReceiptSigners(sr: SignedReceipt): { consumer: Addr | null; provider: Addr | null } {
  const h = receiptHash(sr)
  return { consumer: recoverAddress(h, sr.consumerSignature), provider: recoverAddress(h, sr.providerSignature) }
}

/** Throws FLOW_BAD_SIGNATURE (meta.side 'consumer' | 'provider') unless both sides signed. */
export function checkReceiptSignatures(sr: SignedReceipt): void {
  const got = recoverReceiptSigners(sr)
  for (const side of ['consumer', 'provider'] as const) {
    if (got[side] !== sr[side]) {
      throw new FlowError(
        FlowErrorCode.FLOW_BAD_SIGNATURE,
        `${side} signature ${got[side] === null ? 'is invalid' : `recovers to ${got[side]}, not ${sr[side]}`}`,
        { side, expected: sr[side], recovered: got[side] },
      )
    }
  }
}

// ---------------------------------------------------------------------------------------------
// RLP and JSON

/** RLP([domainTag, chainId, sessionId, consumer, provider, [relays], seq, bytesUp, bytesDown,
 *  sampleRoot, prevReceiptHash, cycle, expiryHeight, consumerSignature, providerSignature]) */
export function encodeReceipt(sr: SignedReceipt): Uint8Array {
  return rlpEncode(receiptRlpFields(sr))
}

export function receiptRlpFields(sr: SignedReceipt): unknown[] {
  checkSignedFields(sr)
  return [
    sr.domainTag,
    rlpUint(sr.chainId),
    sr.sessionId,
    addrBytes(sr.consumer),
    addrBytes(sr.provider),
    sr.relays.map(addrBytes),
    rlpUint(sr.seq),
    rlpUint(sr.bytesUp),
    rlpUint(sr.bytesDown),
    sr.sampleRoot,
    sr.prevReceiptHash,
    rlpUint(sr.cycle),
    rlpUint(sr.expiryHeight),
    sr.consumerSignature,
    sr.providerSignature,
  ]
}

export function decodeReceipt(bytes: Uint8Array): SignedReceipt {
  return receiptOfRlp(rlpDecode(bytes, 'receipt'), 'receipt')
}

export function receiptOfRlp(item: unknown, field: string): SignedReceipt {
  const l = rlpList(item, field)
  if (l.length !== 15) throw badFormat(field, `expected 15 fields, got ${l.length}`)
  const addr = (x: unknown, f: string): Addr => hexOf(rlpBytes(x, f, 20))
  const relayItems = rlpList(l[5], 'relays')
  const sr: SignedReceipt = {
    domainTag: rlpBytes(l[0], 'domainTag', 32),
    chainId: uintOfRlp(l[1], 256, 'chainId'),
    sessionId: rlpBytes(l[2], 'sessionId', 32),
    consumer: addr(l[3], 'consumer'),
    provider: addr(l[4], 'provider'),
    relays: relayItems.map((x, i) => addr(x, `relays[${i}]`)),
    seq: uintOfRlp(l[6], 64, 'seq'),
    bytesUp: uintOfRlp(l[7], 256, 'bytesUp'),
    bytesDown: uintOfRlp(l[8], 256, 'bytesDown'),
    sampleRoot: rlpBytes(l[9], 'sampleRoot', 32),
    prevReceiptHash: rlpBytes(l[10], 'prevReceiptHash', 32),
    cycle: uintOfRlp(l[11], 64, 'cycle'),
    expiryHeight: uintOfRlp(l[12], 64, 'expiryHeight'),
    consumerSignature: rlpBytes(l[13], 'consumerSignature', 65),
    providerSignature: rlpBytes(l[14], 'providerSignature', 65),
  }
  checkSignedFields(sr)
  return sr
}

export interface ReceiptJson {
  domainTag: string
  chainId: string
  sessionId: string
  consumer: string
  provider: string
  relays: string[]
  seq: string
  bytesUp: string
  bytesDown: string
  sampleRoot: string
  prevReceiptHash: string
  cycle: string
  expiryHeight: string
  consumerSignature: string
  providerSignature: string
}

const RECEIPT_JSON_KEYS = [
  'domainTag',
  'chainId',
  'sessionId',
  'consumer',
  'provider',
  'relays',
  'seq',
  'bytesUp',
  'bytesDown',
  'sampleRoot',
  'prevReceiptHash',
  'cycle',
  'expiryHeight',
  'consumerSignature',
  'providerSignature',
] as const

export function receiptToJson(sr: SignedReceipt): ReceiptJson {
  checkSignedFields(sr)
  return {
    domainTag: hexOf(sr.domainTag),
    chainId: quantityHex(sr.chainId),
    sessionId: hexOf(sr.sessionId),
    consumer: sr.consumer,
    provider: sr.provider,
    relays: [...sr.relays],
    seq: quantityHex(sr.seq),
    bytesUp: quantityHex(sr.bytesUp),
    bytesDown: quantityHex(sr.bytesDown),
    sampleRoot: hexOf(sr.sampleRoot),
    prevReceiptHash: hexOf(sr.prevReceiptHash),
    cycle: quantityHex(sr.cycle),
    expiryHeight: quantityHex(sr.expiryHeight),
    consumerSignature: hexOf(sr.consumerSignature),
    providerSignature: hexOf(sr.providerSignature),
  }
}

/** Strict: exactly the 15 fields, hex formats, sizes; addresses of any case are lowercased. */
export function receiptFromJson(json: unknown): SignedReceipt {
  const o = jsonObject(json, RECEIPT_JSON_KEYS, 'receipt')
  if (!Array.isArray(o.relays)) throw badFormat('relays', 'expected an array of addresses')
  const sr: SignedReceipt = {
    domainTag: bytesOfHex(o.domainTag, 'domainTag', 32),
    chainId: quantityOfJson(o.chainId, 256, 'chainId'),
    sessionId: bytesOfHex(o.sessionId, 'sessionId', 32),
    consumer: addrOfJson(o.consumer, 'consumer'),
    provider: addrOfJson(o.provider, 'provider'),
    relays: (o.relays as unknown[]).map((a, i) => addrOfJson(a, `relays[${i}]`)),
    seq: quantityOfJson(o.seq, 64, 'seq'),
    bytesUp: quantityOfJson(o.bytesUp, 256, 'bytesUp'),
    bytesDown: quantityOfJson(o.bytesDown, 256, 'bytesDown'),
    sampleRoot: bytesOfHex(o.sampleRoot, 'sampleRoot', 32),
    prevReceiptHash: bytesOfHex(o.prevReceiptHash, 'prevReceiptHash', 32),
    cycle: quantityOfJson(o.cycle, 64, 'cycle'),
    expiryHeight: quantityOfJson(o.expiryHeight, 64, 'expiryHeight'),
    consumerSignature: bytesOfHex(o.consumerSignature, 'consumerSignature', 65),
    providerSignature: bytesOfHex(o.providerSignature, 'providerSignature', 65),
  }
  checkSignedFields(sr)
  return sr
}
