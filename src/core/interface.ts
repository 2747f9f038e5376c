/**
 * The hashing, Merkle and packet-counting core. Two implementations with identical results:
 * the WASM build of assembly/ (fast) and jsCore.ts on @noble/hashes (reference and fallback).
 */
export type HashKind = 'keccak256' | 'sha256'

/**
 * Anti-replay state of one counted stream, as an IPsec window: bit i of `window` says seq
 * `highestSeq - i` was seen (so bit 0 is highestSeq itself once any packet was counted).
 * A seq already seen, or more than 63 below highestSeq, is a retransmission.
 * `packets` and `payloadBytes` are running totals over every call that threaded this state.
 */
export interface CounterState {
  /** -1 before the first packet, else a u32 */
  highestSeq: number
  /** 64-bit bitmap, 0n ≤ window < 2^64 */
  window: bigint
  packets: bigint
  payloadBytes: bigint
}

export const initialCounterState = (): CounterState => ({
  highestSeq: -1,
  window: 0n,
  packets: 0n,
  payloadBytes: 0n,
})

/**
 * Which counted packets get a slice hash. Sampled iff the big-endian u32 of the first 4 bytes of
 * keccak256(seed ‖ u32be(seq)) < rate; slice hash = keccak256(u32be(seq) ‖ payload[0, sliceLen)).
 */
export interface SampleParams {
  /** 32 bytes, drawn from a final main-chain block hash (DESIGN §5.3) */
  seed: Uint8Array
  /** sampled fraction in parts per 2^32: an integer 0 (none) ..= 2^32 (all) */
  rate: number
  /** bytes of payload hashed per sampled packet (shorter payloads are hashed whole) */
  sliceLen: number
}

export interface CountResult {
  /** the new state; the input state is never modified */
  state: CounterState
  /** counted in this call (retransmissions excluded) */
  packets: number
  payloadBytes: number
  retransmissions: number
  /** seqs of the sampled packets in stream order; slice hash i is at sliceHashes[32i, 32i+32) */
  sampledSeqs: number[]
  sliceHashes: Uint8Array
}

/**
 * Frame format read by countPackets (integers big-endian):
 *   u32 frameLen (bytes after this field) ‖ u32 seq ‖ u16 headerLen ‖ header[headerLen] ‖
 *   payload[frameLen − 6 − headerLen]
 * Only payload bytes are counted. A truncated frame, frameLen < 6 or headerLen > frameLen − 6
 * throws NfcError('CORE_BAD_FRAME') whose message and meta.offset give the frame's byte offset.
 *
 * Merkle rules: leaves are 32-byte hashes; parent = H(left ‖ right); an odd last node is promoted
 * unchanged; root of 0 leaves = 32 zero bytes, of 1 leaf = the leaf. A proof is the bottom-up
 * list of siblings that exist on the path, so its length is fixed by (index, leafCount) and
 * verification demands exactly that length. leafCount must itself be trusted (committed).
 */
export interface Core {
  keccak256(data: Uint8Array): Uint8Array
  sha256(data: Uint8Array): Uint8Array
  /** many inputs in one call; returns n*32 bytes, hash i at [32i, 32i+32) */
  hashBatch(kind: HashKind, inputs: Uint8Array[]): Uint8Array
  /** n inputs of equal `size` packed back to back in `packed` (packed.length = n*size) */
  hashBatchFixed(kind: HashKind, packed: Uint8Array, size: number): Uint8Array
  /** Merkle root of 32-byte leaves packed back to back (leaves.length % 32 == 0) */
  merkleRoot(kind: HashKind, leaves: Uint8Array): Uint8Array
  /** sibling path of leaf `index`, 32-byte nodes bottom-up */
  merkleProof(kind: HashKind, leaves: Uint8Array, index: number): Uint8Array[]
  /** false (never throws) on any mismatch, bad size, index ≥ leafCount or wrong proof length */
  verifyMerkleProof(kind: HashKind, leaf: Uint8Array, index: number, leafCount: number, proof: Uint8Array[], root: Uint8Array): boolean
  /**
   * `frames` is the bytes of whole frames, or a list of parts whose concatenation they are (a
   * frame split over socket reads, or its header and payload kept apart: nothing is joined in JS)
   */
  countPackets(frames: FrameBytes, state: CounterState, sample: SampleParams): CountResult
}

/** bytes of frames: one array, or parts that are counted as if concatenated */
export type FrameBytes = Uint8Array | readonly Uint8Array[]
