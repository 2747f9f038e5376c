/**
 * Argument checks shared by both implementations, so the WASM core and the JS fallback accept,
 * reject and word their errors identically.
 */
import { NfcError } from '../util/errors.js'
import { CORE_BAD_ARG, CORE_BAD_FRAME } from './errors.js'
import type { CounterState, HashKind, SampleParams } from './interface.js'

export const U32_MAX = 0xffff_ffff
const U64_MAX = (1n << 64n) - 1n

export function badArg(message: string, meta: Record<string, unknown> = {}): NfcError {
  return new NfcError(CORE_BAD_ARG, message, meta)
}

/** 0 = keccak256, 1 = sha256 (the numbering assembly/hash.ts uses) */
export function kindIndex(kind: HashKind): number {
  if (kind === 'keccak256') return 0
  if (kind === 'sha256') return 1
  throw badArg(`unknown hash kind ${String(kind)}`, { kind })
}

export function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= U32_MAX
}

/** Returns the number of packed inputs. */
export function checkFixed(packed: Uint8Array, size: number): number {
  if (!isU32(size) || size === 0) throw badArg(`size must be a positive integer, got ${size}`, { size })
  if (packed.length % size !== 0) {
    throw badArg(`packed length ${packed.length} is not a multiple of size ${size}`, { size })
  }
  return packed.length / size
}

/** Returns the number of leaves. */
export function checkLeaves(leaves: Uint8Array): number {
  if (leaves.length % 32 !== 0) {
    throw badArg(`leaves length ${leaves.length} is not a multiple of 32`, { length: leaves.length })
  }
  return leaves.length / 32
}

export function checkProofIndex(index: number, count: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw badArg(`leaf index ${index} out of range for ${count} leaves`, { index, count })
  }
}

/** The cheap shape checks a proof must pass before any hashing (false = reject). */
export function proofShapeOk(leaf: Uint8Array, index: number, leafCount: number, proof: Uint8Array[], root: Uint8Array): boolean {
  if (!(leaf instanceof Uint8Array) || leaf.length !== 32) return false
  if (!(root instanceof Uint8Array) || root.length !== 32) return false
  if (!isU32(index) || !isU32(leafCount) || index >= leafCount) return false
  // a tree of ≤ 2^32 leaves has at most 32 levels
  if (!Array.isArray(proof) || proof.length > 32) return false
  return proof.every((p) => p instanceof Uint8Array && p.length === 32)
}

export function checkCounterArgs(state: CounterState, sample: SampleParams): void {
  const { highestSeq, window, packets, payloadBytes } = state
  if (!Number.isInteger(highestSeq) || highestSeq < -1 || highestSeq > U32_MAX) {
    throw badArg(`highestSeq must be -1 or a u32, got ${highestSeq}`, { highestSeq })
  }
  for (const [name, v] of [
    ['window', window],
    ['packets', packets],
    ['payloadBytes', payloadBytes],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw badArg(`${name} must be a u64 bigint`, { [name]: v })
  }
  if (!(sample.seed instanceof Uint8Array) || sample.seed.length !== 32) {
    throw badArg('sample seed must be 32 bytes', { seedLength: sample.seed?.length })
  }
  if (!Number.isInteger(sample.rate) || sample.rate < 0 || sample.rate > 2 ** 32) {
    throw badArg(`sample rate must be an integer in [0, 2^32], got ${sample.rate}`, { rate: sample.rate })
  }
  if (!isU32(sample.sliceLen)) {
    throw badArg(`sliceLen must be a u32, got ${sample.sliceLen}`, { sliceLen: sample.sliceLen })
  }
}

/** Why a frame is malformed; the numbers are the error codes assembly/packetCounter.ts reports. */
export const FRAME_ERRORS: Record<number, string> = {
  1: 'truncated frame length field',
  2: 'frameLen below the 6 bytes of seq and headerLen',
  3: 'headerLen exceeds frameLen - 6',
  4: 'frame runs past the end of the buffer',
}

export function badFrame(reason: number, offset: number): NfcError {
  return new NfcError(CORE_BAD_FRAME, `malformed frame at byte offset ${offset}: ${FRAME_ERRORS[reason]}`, {
    offset,
    reason: FRAME_ERRORS[reason],
  })
}
