/**
 * The file tree of a deal as the agents build it piece by piece: 4 KiB chunks, leaf =
 * keccak256(chunk) (the last chunk is shorter when the size is not a multiple), root and proofs
 * by the WASM core's Merkle rules. The chain checks proofs with the same rules.
 */
import { core } from '../core/index.js'

/** bytes per chunk */
export const CHUNK_BYTES = 4096

/** the number of chunks of a file of `size` bytes */
export function chunkCount(size: number): number {
  return Math.ceil(size / CHUNK_BYTES)
}

/** the leaf of one chunk */
export function leafOf(chunk: Uint8Array): Uint8Array {
  return core.keccak256(chunk)
}

/** the Merkle proof of leaf `index` among `leaves` (32 bytes each, back to back) */
export function proofOf(leaves: Uint8Array, index: number): Uint8Array[] {
  return core.merkleProof('keccak256', leaves, index)
}

/** the root of `leaves` (32 bytes each, back to back) */
export function rootOf(leaves: Uint8Array): Uint8Array {
  return core.merkleRoot('keccak256', leaves)
}

/** Leaves added one chunk at a time (streaming), then the root. */
export class LeafBuilder {
  private buf = new Uint8Array(32 * 1024)
  count = 0

  add(chunk: Uint8Array): void {
    if ((this.count + 1) * 32 > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2)
      bigger.set(this.buf)
      this.buf = bigger
    }
    this.buf.set(leafOf(chunk), this.count * 32)
    this.count++
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.count * 32)
  }

  root(): Uint8Array {
    return rootOf(this.bytes())
  }
}
