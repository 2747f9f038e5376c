// Long on purpose (422 lines): one format — types, EIP-712 hashing, validation, RLP and JSON codecs of the checkpoint — so a field change is one file.
/**
 * The checkpoint a cycle's committee signs and anyone submits to FlowRewards: one entry per
 * session with traffic in the cycle (its latest receipt), the providers' totals as a sum tree,
 * and a link to the previous checkpoint. checkpointHash is EIP-712 typed data in the receipts'
 * domain, so committee members can sign with ordinary wallets too.
 *
 * Entries are sorted by sessionId (bytewise), one per session: the order is part of the hash,
 * and a canonical order leaves the committee nothing to disagree about.
 */
import { badFormat, FlowError, FlowErrorCode } from './errors.js'
import { compareBytes } from '../util/bytes.js'
import {
  addrArrayHash,
  addrBytes,
  addrOfJson,
  addrWord,
  bytesOfHex,
  checkAddr,
  checkBytes,
  checkRelays,
  checkUint,
  concatBytes,
  eip712Digest,
  hexOf,
  jsonObject,
  keccak,
  quantityHex,
  quantityOfJson,
  receiptHash,
  receiptTotal,
  recoverAddress,
  rlpBytes,
  rlpDecode,
  rlpEncode,
  rlpList,
  rlpUint,
  signDigest,
  typeString,
  u256,
  u64be,
  uintOfRlp,
  type Addr,
  type FlowReceipt,
} from './receipt.js'
import { totalsRootOf, type SumLeaf } from './sumTree.js'

// the sum tree root, next to providerTotalsOf whose leaves it takes
export { totalsRootOf }

export interface CheckpointEntry {
  sessionId: Uint8Array
  consumer: Addr
  provider: Addr
  relays: Addr[]
  seq: bigint
  /** the session's settled total before this checkpoint */
  prevTotal: bigint
  /** the total of the session's latest receipt; counted increment = total − prevTotal */
  total: bigint
  sampleRoot: Uint8Array
  receiptHash: Uint8Array
}

/** The entry a session's latest receipt makes, over the session's settled total `prevTotal`. */
export function entryOfReceipt(r: FlowReceipt, prevTotal: bigint): CheckpointEntry {
  return {
    sessionId: r.sessionId,
    consumer: r.consumer,
    provider: r.provider,
    relays: [...r.relays],
    seq: r.seq,
    prevTotal,
    total: receiptTotal(r),
    sampleRoot: r.sampleRoot,
    receiptHash: receiptHash(r),
  }
}

export interface Checkpoint {
  sideChainId: Uint8Array
  cycle: bigint
  totalsRoot: Uint8Array
  totalBytes: bigint
  prevCheckpoint: Uint8Array
  entries: CheckpointEntry[]
}

export const MAX_CHECKPOINT_ENTRIES = 4096
export const MAX_CHECKPOINT_SIGNATURES = 101

export const CHECKPOINT_ENTRY_TYPES = {
  CheckpointEntry: [
    { name: 'sessionId', type: 'bytes32' },
    { name: 'consumer', type: 'address' },
    { name: 'provider', type: 'address' },
    { name: 'relays', type: 'address[]' },
    { name: 'seq', type: 'uint64' },
    { name: 'prevTotal', type: 'uint256' },
    { name: 'total', type: 'uint256' },
    { name: 'sampleRoot', type: 'bytes32' },
    { name: 'receiptHash', type: 'bytes32' },
  ],
}

/** EIP-712 types of the signed checkpoint (entriesHash = keccak of the concatenated entryHashes). */
export const CHECKPOINT_TYPES = {
  Checkpoint: [
    { name: 'sideChainId', type: 'bytes32' },
    { name: 'cycle', type: 'uint64' },
    { name: 'totalsRoot', type: 'bytes32' },
    { name: 'totalBytes', type: 'uint256' },
    { name: 'prevCheckpoint', type: 'bytes32' },
    { name: 'entriesHash', type: 'bytes32' },
  ],
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const ENTRY_TYPEHASH = keccak(utf8(typeString('CheckpointEntry', CHECKPOINT_ENTRY_TYPES.CheckpointEntry)))
const CHECKPOINT_TYPEHASH = keccak(utf8(typeString('Checkpoint', CHECKPOINT_TYPES.Checkpoint)))
const SIDECHAIN_TAG = utf8('NFC-SIDECHAIN')

/** keccak256("NFC-SIDECHAIN" ‖ u64be(cycle)): the one side-chain of a cycle */
export function sideChainIdOf(cycle: bigint): Uint8Array {
  return keccak(concatBytes(SIDECHAIN_TAG, u64be(cycle, 'cycle')))
}

export function checkEntry(e: CheckpointEntry, field = 'entry'): void {
  if (typeof e !== 'object' || e === null) throw badFormat(field, 'expected an object')
  checkBytes(e.sessionId, 32, `${field}.sessionId`)
  checkAddr(e.consumer, `${field}.consumer`)
  checkAddr(e.provider, `${field}.provider`)
  checkRelays(e.relays, `${field}.relays`)
  checkUint(e.seq, 64, `${field}.seq`)
  checkUint(e.prevTotal, 256, `${field}.prevTotal`)
  checkUint(e.total, 256, `${field}.total`)
  if (e.total < e.prevTotal) {
    throw new FlowError(FlowErrorCode.FLOW_TOTAL_DECREASED, `${field}: total ${e.total} below prevTotal ${e.prevTotal}`, {
      field,
    })
  }
  checkBytes(e.sampleRoot, 32, `${field}.sampleRoot`)
  checkBytes(e.receiptHash, 32, `${field}.receiptHash`)
}

/** Entries valid, at most MAX_CHECKPOINT_ENTRIES, strictly ascending by sessionId. */
export function checkEntries(entries: readonly CheckpointEntry[]): void {
  if (!Array.isArray(entries)) throw badFormat('entries', 'expected an array')
  if (entries.length > MAX_CHECKPOINT_ENTRIES) {
    throw badFormat('entries', `${entries.length} entries, at most ${MAX_CHECKPOINT_ENTRIES}`)
  }
  entries.forEach((e, i) => checkEntry(e, `entries[${i}]`))
  for (let i = 1; i < entries.length; i++) {
    const c = compareBytes(entries[i - 1]!.sessionId, entries[i]!.sessionId)
    if (c === 0) {
      throw new FlowError(FlowErrorCode.FLOW_DUPLICATE_SEQ, `entries[${i}]: session ${hexOf(entries[i]!.sessionId)} twice`, {
        field: `entries[${i}].sessionId`,
      })
    }
    if (c > 0) throw badFormat(`entries[${i}].sessionId`, 'entries must be sorted by sessionId')
  }
}

export function checkCheckpointFields(cp: Checkpoint): void {
  if (typeof cp !== 'object' || cp === null) throw badFormat('checkpoint', 'expected an object')
  checkBytes(cp.sideChainId, 32, 'sideChainId')
  checkUint(cp.cycle, 64, 'cycle')
  checkBytes(cp.totalsRoot, 32, 'totalsRoot')
  checkUint(cp.totalBytes, 256, 'totalBytes')
  checkBytes(cp.prevCheckpoint, 32, 'prevCheckpoint')
  checkEntries(cp.entries)
}

/** EIP-712 struct hash of an entry (CHECKPOINT_ENTRY_TYPES). */
export function entryHash(e: CheckpointEntry): Uint8Array {
  checkEntry(e)
  return keccak(
    concatBytes(
      ENTRY_TYPEHASH,
      e.sessionId,
      addrWord(e.consumer),
      addrWord(e.provider),
      addrArrayHash(e.relays),
      u256(e.seq),
      u256(e.prevTotal),
      u256(e.total),
      e.sampleRoot,
      e.receiptHash,
    ),
  )
}

export function entriesHashOf(entries: readonly CheckpointEntry[]): Uint8Array {
  return keccak(concatBytes(...entries.map(entryHash)))
}

/** The EIP-712 digest the committee signs. */
export function checkpointHash(cp: Checkpoint, chainId: bigint): Uint8Array {
  checkCheckpointFields(cp)
  const structHash = keccak(
    concatBytes(CHECKPOINT_TYPEHASH, cp.sideChainId, u256(cp.cycle), cp.totalsRoot, u256(cp.totalBytes), cp.prevCheckpoint, entriesHashOf(cp.entries)),
  )
  return eip712Digest(chainId, structHash)
}

/** Σ(total − prevTotal) per provider, sorted by address: the sum tree's leaves. */
export function providerTotalsOf(entries: readonly CheckpointEntry[]): SumLeaf[] {
  const byProvider = new Map<Addr, bigint>()
  entries.forEach((e, i) => {
    checkEntry(e, `entries[${i}]`)
    byProvider.set(e.provider, (byProvider.get(e.provider) ?? 0n) + (e.total - e.prevTotal))
  })
  return [...byProvider.entries()].map(([address, total]) => ({ address, total })).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
}

/** Sorts the entries and fills in sideChainId, totalsRoot and totalBytes. */
export function buildCheckpoint(args: { cycle: bigint; prevCheckpoint: Uint8Array; entries: readonly CheckpointEntry[] }): Checkpoint {
  const entries = [...args.entries].sort((a, b) => compareBytes(a.sessionId, b.sessionId))
  checkEntries(entries)
  const leaves = providerTotalsOf(entries)
  let totalBytes = 0n
  for (const l of leaves) totalBytes += l.total
  const cp: Checkpoint = {
    sideChainId: sideChainIdOf(args.cycle),
    cycle: args.cycle,
    totalsRoot: totalsRootOf(leaves),
    totalBytes,
    prevCheckpoint: checkBytes(args.prevCheckpoint, 32, 'prevCheckpoint'),
    entries,
  }
  checkCheckpointFields(cp)
  return cp
}

/**
 * Throws FLOW_BAD_CHECKPOINT unless sideChainId, totalBytes and totalsRoot are the ones the
 * entries imply (what submitCheckpoint recomputes).
 */
export function validateCheckpoint(cp: Checkpoint): void {
  checkCheckpointFields(cp)
  const want = buildCheckpoint({ cycle: cp.cycle, prevCheckpoint: cp.prevCheckpoint, entries: cp.entries })
  const bad = (field: string): FlowError => new FlowError(FlowErrorCode.FLOW_BAD_CHECKPOINT, `checkpoint ${field} does not match its entries`, { field })
  if (hexOf(want.sideChainId) !== hexOf(cp.sideChainId)) throw bad('sideChainId')
  if (want.totalBytes !== cp.totalBytes) throw bad('totalBytes')
  if (hexOf(want.totalsRoot) !== hexOf(cp.totalsRoot)) throw bad('totalsRoot')
}

export function signCheckpoint(cp: Checkpoint, chainId: bigint, privateKey: Uint8Array): Uint8Array {
  return signDigest(checkpointHash(cp, chainId), privateKey)
}

/**
 * The signer of each signature (null where invalid), in order. Also takes an already computed
 * checkpointHash: `recoverCheckpointSigners(hash, sigs)`.
 */
export function recoverCheckpointSigners(cp: Checkpoint, chainId: bigint, sigs: readonly Uint8Array[]): (Addr | null)[]
export function recoverCheckpointSigners(hash: Uint8Array, sigs: readonly Uint8Array[]): (Addr | null)[]
export function recoverCheckpointSigners(a: Checkpoint | Uint8Array, b: bigint | readonly Uint8Array[], c?: readonly Uint8Array[]): (Addr | null)[] {
  const h = a instanceof Uint8Array ? checkBytes(a, 32, 'checkpointHash') : checkpointHash(a, b as bigint)
  const sigs = a instanceof Uint8Array ? (b as readonly Uint8Array[]) : c!
  checkSignatures(sigs)
  return sigs.map((s) => recoverAddress(h, s))
}

// ---------------------------------------------------------------------------------------------
// calldata (RLP) and JSON

function entryRlp(e: CheckpointEntry): unknown[] {
  return [
    e.sessionId,
    addrBytes(e.consumer),
    addrBytes(e.provider),
    e.relays.map(addrBytes),
    rlpUint(e.seq),
    rlpUint(e.prevTotal),
    rlpUint(e.total),
    e.sampleRoot,
    e.receiptHash,
  ]
}

/** RLP([sideChainId, cycle, totalsRoot, totalBytes, prevCheckpoint, [entry…], [signature…]]),
 *  entry = [sessionId, consumer, provider, [relays], seq, prevTotal, total, sampleRoot, receiptHash] */
export function encodeCheckpointCall(cp: Checkpoint, sigs: readonly Uint8Array[]): Uint8Array {
  checkCheckpointFields(cp)
  checkSignatures(sigs)
  return rlpEncode([cp.sideChainId, rlpUint(cp.cycle), cp.totalsRoot, rlpUint(cp.totalBytes), cp.prevCheckpoint, cp.entries.map(entryRlp), [...sigs]])
}

function checkSignatures(sigs: readonly Uint8Array[]): void {
  if (!Array.isArray(sigs)) throw badFormat('signatures', 'expected an array')
  if (sigs.length > MAX_CHECKPOINT_SIGNATURES) {
    throw badFormat('signatures', `${sigs.length} signatures, at most ${MAX_CHECKPOINT_SIGNATURES}`)
  }
  sigs.forEach((s, i) => checkBytes(s, 65, `signatures[${i}]`))
}

function entryOfRlp(item: unknown, field: string): CheckpointEntry {
  const l = rlpList(item, field)
  if (l.length !== 9) throw badFormat(field, `expected 9 fields, got ${l.length}`)
  const addr = (x: unknown, f: string): Addr => hexOf(rlpBytes(x, `${field}.${f}`, 20))
  return {
    sessionId: rlpBytes(l[0], `${field}.sessionId`, 32),
    consumer: addr(l[1], 'consumer'),
    provider: addr(l[2], 'provider'),
    relays: rlpList(l[3], `${field}.relays`).map((x, i) => addr(x, `relays[${i}]`)),
    seq: uintOfRlp(l[4], 64, `${field}.seq`),
    prevTotal: uintOfRlp(l[5], 256, `${field}.prevTotal`),
    total: uintOfRlp(l[6], 256, `${field}.total`),
    sampleRoot: rlpBytes(l[7], `${field}.sampleRoot`, 32),
    receiptHash: rlpBytes(l[8], `${field}.receiptHash`, 32),
  }
}

/** Strict inverse of encodeCheckpointCall (sizes, canonical integers, limits, entry order). */
export function decodeCheckpointCall(bytes: Uint8Array): { checkpoint: Checkpoint; signatures: Uint8Array[] } {
  const l = rlpList(rlpDecode(bytes, 'checkpoint'), 'checkpoint')
  if (l.length !== 7) throw badFormat('checkpoint', `expected 7 fields, got ${l.length}`)
  const entryItems = rlpList(l[5], 'entries')
  if (entryItems.length > MAX_CHECKPOINT_ENTRIES) {
    throw badFormat('entries', `${entryItems.length} entries, at most ${MAX_CHECKPOINT_ENTRIES}`)
  }
  const sigItems = rlpList(l[6], 'signatures')
  if (sigItems.length > MAX_CHECKPOINT_SIGNATURES) {
    throw badFormat('signatures', `${sigItems.length} signatures, at most ${MAX_CHECKPOINT_SIGNATURES}`)
  }
  const checkpoint: Checkpoint = {
    sideChainId: rlpBytes(l[0], 'sideChainId', 32),
    cycle: uintOfRlp(l[1], 64, 'cycle'),
    totalsRoot: rlpBytes(l[2], 'totalsRoot', 32),
    totalBytes: uintOfRlp(l[3], 256, 'totalBytes'),
    prevCheckpoint: rlpBytes(l[4], 'prevCheckpoint', 32),
    entries: entryItems.map((x, i) => entryOfRlp(x, `entries[${i}]`)),
  }
  const signatures = sigItems.map((x, i) => rlpBytes(x, `signatures[${i}]`, 65))
  checkCheckpointFields(checkpoint)
  return { checkpoint, signatures }
}

export interface CheckpointEntryJson {
  sessionId: string
  consumer: string
  provider: string
  relays: string[]
  seq: string
  prevTotal: string
  total: string
  sampleRoot: string
  receiptHash: string
}

export interface CheckpointJson {
  sideChainId: string
  cycle: string
  totalsRoot: string
  totalBytes: string
  prevCheckpoint: string
  entries: CheckpointEntryJson[]
}

export function entryToJson(e: CheckpointEntry): CheckpointEntryJson {
  checkEntry(e)
  return {
    sessionId: hexOf(e.sessionId),
    consumer: e.consumer,
    provider: e.provider,
    relays: [...e.relays],
    seq: quantityHex(e.seq),
    prevTotal: quantityHex(e.prevTotal),
    total: quantityHex(e.total),
    sampleRoot: hexOf(e.sampleRoot),
    receiptHash: hexOf(e.receiptHash),
  }
}

/** RPC form: hashes as 0x hex, numbers as 0x quantities. */
export function checkpointToJson(cp: Checkpoint): CheckpointJson {
  checkCheckpointFields(cp)
  return {
    sideChainId: hexOf(cp.sideChainId),
    cycle: quantityHex(cp.cycle),
    totalsRoot: hexOf(cp.totalsRoot),
    totalBytes: quantityHex(cp.totalBytes),
    prevCheckpoint: hexOf(cp.prevCheckpoint),
    entries: cp.entries.map(entryToJson),
  }
}

const ENTRY_KEYS = ['sessionId', 'consumer', 'provider', 'relays', 'seq', 'prevTotal', 'total', 'sampleRoot', 'receiptHash'] as const
const CHECKPOINT_KEYS = ['sideChainId', 'cycle', 'totalsRoot', 'totalBytes', 'prevCheckpoint', 'entries'] as const

export function entryFromJson(json: unknown, field = 'entry'): CheckpointEntry {
  const o = jsonObject(json, ENTRY_KEYS, field)
  if (!Array.isArray(o.relays)) throw badFormat(`${field}.relays`, 'expected an array of addresses')
  const e: CheckpointEntry = {
    sessionId: bytesOfHex(o.sessionId, `${field}.sessionId`, 32),
    consumer: addrOfJson(o.consumer, `${field}.consumer`),
    provider: addrOfJson(o.provider, `${field}.provider`),
    relays: (o.relays as unknown[]).map((a, i) => addrOfJson(a, `${field}.relays[${i}]`)),
    seq: quantityOfJson(o.seq, 64, `${field}.seq`),
    prevTotal: quantityOfJson(o.prevTotal, 256, `${field}.prevTotal`),
    total: quantityOfJson(o.total, 256, `${field}.total`),
    sampleRoot: bytesOfHex(o.sampleRoot, `${field}.sampleRoot`, 32),
    receiptHash: bytesOfHex(o.receiptHash, `${field}.receiptHash`, 32),
  }
  checkEntry(e, field)
  return e
}

export function checkpointFromJson(json: unknown): Checkpoint {
  const o = jsonObject(json, CHECKPOINT_KEYS, 'checkpoint')
  if (!Array.isArray(o.entries)) throw badFormat('entries', 'expected an array')
  const cp: Checkpoint = {
    sideChainId: bytesOfHex(o.sideChainId, 'sideChainId', 32),
    cycle: quantityOfJson(o.cycle, 64, 'cycle'),
    totalsRoot: bytesOfHex(o.totalsRoot, 'totalsRoot', 32),
    totalBytes: quantityOfJson(o.totalBytes, 256, 'totalBytes'),
    prevCheckpoint: bytesOfHex(o.prevCheckpoint, 'prevCheckpoint', 32),
    entries: (o.entries as unknown[]).map((e, i) => entryFromJson(e, `entries[${i}]`)),
  }
  checkCheckpointFields(cp)
  return cp
}
