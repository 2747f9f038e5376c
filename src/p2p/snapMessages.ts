/**
 * Payload codecs of snapshot sync's request/answer pairs (DESIGN §10, geth's snap/1 as the model),
 * RLP like the other chain messages. Every request carries an id the answer repeats, so a peer may
 * have several in flight; an answer whose id was not asked is unexpected.
 *
 *   GetAccountRange = [id, stateRoot, origin, maxBytes]
 *   AccountRange    = [id, available, [[hashedAddress, accountRlp], …], [proofNode, …]]
 *   GetStorageRange = [id, stateRoot, hashedAddress, origin, maxBytes]
 *   StorageRange    = [id, available, [[hashedSlot, valueRlp], …], [proofNode, …]]
 *   GetByteCodes    = [id, [codeHash, …]]                 1..SNAP_MAX_CODE_HASHES hashes
 *   ByteCodes       = [id, [code, …]]                     the codes held, in the order asked
 *   GetReceipts     = [id, [blockHash, …]]                1..SNAP_MAX_RECEIPT_BLOCKS hashes
 *   Receipts        = [id, [receipts, …]]                 each block's receipts RLP, in the order asked
 *
 * `available` is 0 when the server no longer (or never) had the state root: a pruning node keeps
 * the state of its last 128 blocks and of its last final block only. The leaves and proof are
 * checked by `src/state/snapRange.ts verifyRange` on the asking side; here only their shape.
 */
import { RLP } from '@ethereumjs/rlp'
import { decodeRlpView, encodeRlp } from '../util/rlpView.js'
import { MAX_PAYLOAD, MessageType, badMessage, decodeBytes, decodeList, decodeUint } from './messages.js'

/** the most bytes of leaves (or codes) a server puts in one answer, whatever the request asks */
export const SNAP_MAX_ANSWER_BYTES = 512 * 1024
/** the most code hashes in one GetByteCodes */
export const SNAP_MAX_CODE_HASHES = 64
/** the most block hashes in one GetReceipts (a history batch's worth) */
export const SNAP_MAX_RECEIPT_BLOCKS = 128
/** the most proof nodes in one answer: two paths of at most 65 nodes (64 nibbles and the root) */
export const SNAP_MAX_PROOF_NODES = 130
/** a trie key (hashed address or slot), a root or a code hash: 32 bytes */
const HASH_BYTES = 32
/** a stored trie node is at most a branch of 16 hashes and a value: well under this */
const MAX_PROOF_NODE_BYTES = 4 * 1024

export interface GetAccountRange {
  id: bigint
  root: Uint8Array
  origin: Uint8Array
  maxBytes: number
}

export interface GetStorageRange extends GetAccountRange {
  /** keccak256 of the account's address */
  account: Uint8Array
}

/** An AccountRange or StorageRange answer. */
export interface RangeAnswer {
  id: bigint
  /** false: the server does not hold the state root asked for (leaves and proof empty) */
  available: boolean
  keys: Uint8Array[]
  values: Uint8Array[]
  proof: Uint8Array[]
}

export interface GetByteCodes {
  id: bigint
  hashes: Uint8Array[]
}

export interface ByteCodes {
  id: bigint
  codes: Uint8Array[]
}

export interface GetReceipts {
  id: bigint
  /** block hashes */
  hashes: Uint8Array[]
}

export interface Receipts {
  id: bigint
  /** per block asked, in order, as many as the server holds and fit: its receipts as the block store encodes them (src/chain/receipt.ts) */
  receipts: Uint8Array[]
}

type Request = typeof MessageType.GetAccountRange | typeof MessageType.GetStorageRange
type Answer = typeof MessageType.AccountRange | typeof MessageType.StorageRange

export function encodeGetAccountRange(r: GetAccountRange): Uint8Array {
  return RLP.encode([r.id, r.root, r.origin, r.maxBytes])
}

export function decodeGetAccountRange(payload: Uint8Array): GetAccountRange {
  const t = MessageType.GetAccountRange
  const f = decodeList(t, payload, 4)
  return { id: decodeUint(t, f[0], 'id', 8), root: hash(t, f[1], 'root'), origin: hash(t, f[2], 'origin'), maxBytes: maxBytes(t, f[3]) }
}

export function encodeGetStorageRange(r: GetStorageRange): Uint8Array {
  return RLP.encode([r.id, r.root, r.account, r.origin, r.maxBytes])
}

export function decodeGetStorageRange(payload: Uint8Array): GetStorageRange {
  const t = MessageType.GetStorageRange
  const f = decodeList(t, payload, 5)
  return {
    id: decodeUint(t, f[0], 'id', 8),
    root: hash(t, f[1], 'root'),
    account: hash(t, f[2], 'account'),
    origin: hash(t, f[3], 'origin'),
    maxBytes: maxBytes(t, f[4]),
  }
}

/** minimal big-endian bytes of a non-negative integer (RLP's form of an integer: 0 is empty) */
function uintBytes(v: bigint): Uint8Array {
  const out: number[] = []
  for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn))
  return Uint8Array.from(out)
}

/** (the bulk answer: encodeRlp writes it once instead of concatenating each list level) */
export function encodeRangeAnswer(a: RangeAnswer): Uint8Array {
  return encodeRlp([uintBytes(a.id), uintBytes(a.available ? 1n : 0n), a.keys.map((k, i) => [k, a.values[i]!]), a.proof])
}

export function decodeAccountRange(payload: Uint8Array): RangeAnswer {
  return decodeRangeAnswer(MessageType.AccountRange, payload)
}

export function decodeStorageRange(payload: Uint8Array): RangeAnswer {
  return decodeRangeAnswer(MessageType.StorageRange, payload)
}

/**
 * The answer's fields as views on the payload (decodeRlpView: as strict as decodeList's RLP, without
 * copying each of thousands of leaves three times); the keys and values stay views on it.
 */
function decodeRangeAnswer(t: Answer, payload: Uint8Array): RangeAnswer {
  let decoded: unknown
  try {
    decoded = decodeRlpView(payload)
  } catch {
    badMessage(t, 'not RLP')
  }
  if (!Array.isArray(decoded)) badMessage(t, 'not an RLP list')
  if (decoded.length < 4) badMessage(t, 'expected at least 4 items')
  const f = decoded as unknown[]
  const id = decodeUint(t, f[0], 'id', 8)
  const flag = decodeUint(t, f[1], 'available', 1)
  if (flag > 1n) badMessage(t, `available must be 0 or 1, got ${flag}`)
  const leaves = f[2]
  const proof = f[3]
  if (!Array.isArray(leaves)) badMessage(t, 'leaves is not a list')
  if (!Array.isArray(proof)) badMessage(t, 'proof is not a list')
  if (proof.length > SNAP_MAX_PROOF_NODES) badMessage(t, `${proof.length} proof nodes, at most ${SNAP_MAX_PROOF_NODES}`)
  const keys: Uint8Array[] = []
  const values: Uint8Array[] = []
  leaves.forEach((leaf: unknown, i) => {
    if (!Array.isArray(leaf) || leaf.length !== 2) badMessage(t, `leaf ${i} is not [key, value]`)
    keys.push(hash(t, leaf[0], `leaf ${i} key`))
    values.push(decodeBytes(t, leaf[1], `leaf ${i} value`, undefined, MAX_PAYLOAD[t]))
  })
  const nodes = proof.map((n: unknown, i) => decodeBytes(t, n, `proof node ${i}`, undefined, MAX_PROOF_NODE_BYTES))
  if (flag === 0n && (keys.length > 0 || nodes.length > 0)) badMessage(t, 'leaves or proof in an answer that says the root is unavailable')
  return { id, available: flag === 1n, keys, values, proof: nodes }
}

export function encodeGetByteCodes(r: GetByteCodes): Uint8Array {
  return RLP.encode([r.id, r.hashes])
}

export function decodeGetByteCodes(payload: Uint8Array): GetByteCodes {
  const t = MessageType.GetByteCodes
  const f = decodeList(t, payload, 2)
  const list = f[1]
  if (!Array.isArray(list)) badMessage(t, 'hashes is not a list')
  if (list.length === 0 || list.length > SNAP_MAX_CODE_HASHES) badMessage(t, `${list.length} hashes, want 1..${SNAP_MAX_CODE_HASHES}`)
  return { id: decodeUint(t, f[0], 'id', 8), hashes: list.map((h: unknown, i) => hash(t, h, `hash ${i}`)) }
}

export function encodeByteCodes(a: ByteCodes): Uint8Array {
  return RLP.encode([a.id, a.codes])
}

export function decodeByteCodes(payload: Uint8Array): ByteCodes {
  const t = MessageType.ByteCodes
  const f = decodeList(t, payload, 2)
  const list = f[1]
  if (!Array.isArray(list)) badMessage(t, 'codes is not a list')
  if (list.length > SNAP_MAX_CODE_HASHES) badMessage(t, `${list.length} codes, at most ${SNAP_MAX_CODE_HASHES}`)
  return { id: decodeUint(t, f[0], 'id', 8), codes: list.map((c: unknown, i) => decodeBytes(t, c, `code ${i}`, undefined, MAX_PAYLOAD[t])) }
}

export function encodeGetReceipts(r: GetReceipts): Uint8Array {
  return RLP.encode([r.id, r.hashes])
}

export function decodeGetReceipts(payload: Uint8Array): GetReceipts {
  const t = MessageType.GetReceipts
  const f = decodeList(t, payload, 2)
  const list = f[1]
  if (!Array.isArray(list)) badMessage(t, 'hashes is not a list')
  if (list.length === 0 || list.length > SNAP_MAX_RECEIPT_BLOCKS) badMessage(t, `${list.length} hashes, want 1..${SNAP_MAX_RECEIPT_BLOCKS}`)
  return { id: decodeUint(t, f[0], 'id', 8), hashes: list.map((h: unknown, i) => hash(t, h, `hash ${i}`)) }
}

export function encodeReceiptsAnswer(a: Receipts): Uint8Array {
  return RLP.encode([a.id, a.receipts])
}

export function decodeReceiptsAnswer(payload: Uint8Array): Receipts {
  const t = MessageType.Receipts
  const f = decodeList(t, payload, 2)
  const list = f[1]
  if (!Array.isArray(list)) badMessage(t, 'receipts is not a list')
  if (list.length > SNAP_MAX_RECEIPT_BLOCKS) badMessage(t, `${list.length} blocks of receipts, at most ${SNAP_MAX_RECEIPT_BLOCKS}`)
  return { id: decodeUint(t, f[0], 'id', 8), receipts: list.map((r: unknown, i) => decodeBytes(t, r, `receipts ${i}`, undefined, MAX_PAYLOAD[t])) }
}

function hash(t: Request | Answer | typeof MessageType.GetByteCodes | typeof MessageType.GetReceipts, b: unknown, field: string): Uint8Array {
  return decodeBytes(t, b, field, HASH_BYTES)
}

function maxBytes(t: Request, b: unknown): number {
  const n = Number(decodeUint(t, b, 'maxBytes', 4))
  if (n < 1) badMessage(t, 'maxBytes must be at least 1')
  return n
}
