/**
 * Sampled slices of a session's packets (DESIGN §5.3): the packet counter hashes a slice of
 * every sampled packet; a receipt commits to them as sampleRoot = keccak(merkleRoot ‖ u32be(count)),
 * so an opening carries its own leaf count. After the checkpoint is on chain, a block hash the
 * provider could not know picks one leaf to open (SliceMismatch challenge-response).
 *
 * Audits (DESIGN §12 "Audits run by themselves"): each RN/CN challenges a seeded fraction of a
 * checkpoint's entries (`auditSelected`), drawn from the same seed block, so neither the provider
 * nor the committee knew which entries when the receipts were signed, and each auditor picks its
 * own (its address is in the draw).
 *
 * Leaf = keccak256(u32be(pktSeq) ‖ slice), exactly the slice hash of core.countPackets.
 * Every function takes an optional core so tests can check the WASM and JS cores agree.
 */
import { core as defaultCore, type Core } from '../core/index.js'
// the pure §4 rejection-sampling draw (layering note: consensus/dpos/shuffle is pure, no state)
import { draw } from '../consensus/dpos/shuffle.js'
import { bytesOfHexLoose } from '../util/bytes.js'
import { badFormat } from './errors.js'
import { bytesEqual, checkBytes, concatBytes, u32be, u64be, type FlowReceipt } from './receipt.js'

export interface SliceOpening {
  pktSeq: number
  /** the hashed part of the payload: payload[0, sliceLen), or the whole payload if shorter */
  slice: Uint8Array
  merkleRoot: Uint8Array
  count: number
  /** sibling path, bottom-up (core.merkleProof) */
  proof: Uint8Array[]
}

export function sampleRootOf(merkleRoot: Uint8Array, count: number, c: Core = defaultCore): Uint8Array {
  checkBytes(merkleRoot, 32, 'merkleRoot')
  return c.keccak256(concatBytes(merkleRoot, u32be(count, 'count')))
}

/** From countPackets' `sliceHashes` (n × 32 bytes, stream order). */
export function sampleRootOfSlices(sliceHashes: Uint8Array, c: Core = defaultCore): { sampleRoot: Uint8Array; merkleRoot: Uint8Array; count: number } {
  if (!(sliceHashes instanceof Uint8Array) || sliceHashes.length % 32 !== 0) {
    throw badFormat('sliceHashes', 'expected a multiple of 32 bytes')
  }
  const count = sliceHashes.length / 32
  const merkleRoot = c.merkleRoot('keccak256', sliceHashes)
  return { sampleRoot: sampleRootOf(merkleRoot, count, c), merkleRoot, count }
}

/**
 * The sampleRoot of no sampled slice: keccak(32 zero bytes ‖ u32be(0)). A receipt that claims bytes
 * with it has nothing an opening could show (DESIGN §5.3 sampling floor, docs/decisions.md "Short
 * sessions are auditable"): refused at the edge (`checkSampleFloor`) and voided at checkpoint
 * application (consensus/povf/engine.ts, which keeps its own copy: consensus does not import flow).
 */
export const EMPTY_SAMPLE_ROOT: Uint8Array = sampleRootOf(new Uint8Array(32), 0)

/**
 * Throws FLOW_BAD_FORMAT (field sampleRoot) when `r` claims bytes (bytesUp + bytesDown > 0) and its
 * sampleRoot commits to no sampled slice (EMPTY_SAMPLE_ROOT): every receipt that claims traffic
 * commits to at least one slice, so an audit that draws it can always be answered.
 */
export function checkSampleFloor(r: Pick<FlowReceipt, 'bytesUp' | 'bytesDown' | 'sampleRoot'>): void {
  const total = r.bytesUp + r.bytesDown
  if (total > 0n && bytesEqual(r.sampleRoot, EMPTY_SAMPLE_ROOT)) {
    throw badFormat('sampleRoot', `the receipt claims ${total} bytes but commits to no sampled slice (count 0): nothing could answer an audit`, {
      total,
    })
  }
}

/** keccak256(blockHash ‖ sessionId ‖ u64be(seq)); blockHash = canonical block committedAt + k */
export function openingSeed(blockHash: Uint8Array, sessionId: Uint8Array, seq: bigint, c: Core = defaultCore): Uint8Array {
  checkBytes(blockHash, 32, 'blockHash')
  checkBytes(sessionId, 32, 'sessionId')
  return c.keccak256(concatBytes(blockHash, sessionId, u64be(seq, 'seq')))
}

/** The leaf to open: draw(seed, 0, count). count ≥ 1 (a receipt with no samples has nothing to open). */
export function openingIndex(seed: Uint8Array, count: number): number {
  checkBytes(seed, 32, 'seed')
  if (!Number.isInteger(count) || count < 1 || count > 0xffff_ffff) throw badFormat('count', 'must be a uint32 ≥ 1', { count })
  return Number(draw(seed, 0, BigInt(count)))
}

/** the basis-point scale of an audit fraction (10,000 = every entry) */
export const AUDIT_BPS_SCALE = 10_000

/**
 * Whether `auditor` challenges entry `entryIndex` of a checkpoint whose seed block hash is
 * `seedHash`: draw(keccak256(seedHash ‖ auditor ‖ u32be(entryIndex)), 0, 10,000) < auditBps.
 * Deterministic (chain data only), so anyone can tell which entries an auditor was due to audit.
 */
export function auditSelected(seedHash: Uint8Array, auditor: string, entryIndex: number, auditBps: number, c: Core = defaultCore): boolean {
  checkBytes(seedHash, 32, 'seedHash')
  if (!/^0x[0-9a-fA-F]{40}$/.test(auditor)) throw badFormat('auditor', 'expected a 0x-prefixed 20-byte address', { auditor })
  if (!Number.isInteger(auditBps) || auditBps < 0 || auditBps > AUDIT_BPS_SCALE) {
    throw badFormat('auditBps', `must be an integer from 0 to ${AUDIT_BPS_SCALE}`, { auditBps })
  }
  if (auditBps === 0) return false
  const seed = c.keccak256(concatBytes(seedHash, bytesOfHexLoose(auditor), u32be(entryIndex, 'entryIndex')))
  return draw(seed, 0, BigInt(AUDIT_BPS_SCALE)) < BigInt(auditBps)
}

/** keccak256(u32be(pktSeq) ‖ slice): the packet counter's slice hash */
export function sliceLeaf(pktSeq: number, slice: Uint8Array, c: Core = defaultCore): Uint8Array {
  return c.keccak256(concatBytes(u32be(pktSeq, 'pktSeq'), slice))
}

/** The first `sliceLen` payload bytes (the whole payload when shorter), as the counter hashes. */
export function sliceOf(payload: Uint8Array, sliceLen: number): Uint8Array {
  return payload.length > sliceLen ? payload.subarray(0, sliceLen) : payload
}

/**
 * For the provider: the opening of leaf `index` among its sampled packets (stream order, as
 * countPackets reported them: `sampledSeqs[i]` with the payload slice of that packet).
 */
export function makeOpening(slices: readonly { pktSeq: number; slice: Uint8Array }[], index: number, c: Core = defaultCore): SliceOpening {
  const count = slices.length
  if (!Number.isInteger(index) || index < 0 || index >= count) throw badFormat('index', `outside 0..${count - 1}`, { index, count })
  const leaves = new Uint8Array(count * 32)
  slices.forEach((s, i) => leaves.set(sliceLeaf(s.pktSeq, s.slice, c), i * 32))
  const { pktSeq, slice } = slices[index]!
  return {
    pktSeq,
    slice: slice.slice(),
    merkleRoot: c.merkleRoot('keccak256', leaves),
    count,
    proof: c.merkleProof('keccak256', leaves, index),
  }
}

/** true iff the opening is leaf `index` of the tree `sampleRoot` commits to. Never throws. */
export function verifyOpening(sampleRoot: Uint8Array, index: number, opening: SliceOpening, c: Core = defaultCore): boolean {
  try {
    const o = opening
    if (!(sampleRoot instanceof Uint8Array) || sampleRoot.length !== 32) return false
    if (typeof o !== 'object' || o === null || !(o.slice instanceof Uint8Array) || !Array.isArray(o.proof)) return false
    if (!Number.isInteger(o.count) || o.count < 1 || o.count > 0xffff_ffff) return false
    if (!Number.isInteger(index) || index < 0 || index >= o.count) return false
    if (!Number.isInteger(o.pktSeq) || o.pktSeq < 0 || o.pktSeq > 0xffff_ffff) return false
    if (!(o.merkleRoot instanceof Uint8Array) || o.merkleRoot.length !== 32) return false
    if (!o.proof.every((p) => p instanceof Uint8Array && p.length === 32)) return false
    if (!bytesEqual(sampleRootOf(o.merkleRoot, o.count, c), sampleRoot)) return false
    return c.verifyMerkleProof('keccak256', sliceLeaf(o.pktSeq, o.slice, c), index, o.count, o.proof, o.merkleRoot)
  } catch {
    return false
  }
}
