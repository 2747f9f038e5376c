/**
 * The file Merkle tree of a storage deal (DESIGN §14), the one both the StorageDeals contract and
 * the deal agents use. A file of `size` ≥ 1 bytes is cut into DEAL_CHUNK_BYTES chunks (the last one
 * may be short); leaf i = keccak256(chunk i); root = the core's keccak256 Merkle root of the leaves
 * (parent = keccak256(left ‖ right), an odd last node promoted, as in flow/sampling.ts). A proof
 * of chunk i is the core's sibling path, bottom-up; its length is fixed by (i, leafCount), and the
 * leaf count comes from the size the deal commits to.
 *
 * `FileTreeBuilder` takes the bytes in pieces of any length (a file read in blocks, an upload as it
 * arrives): it keeps one partial chunk and the leaves (32 bytes per 4 KiB: 160 KiB for 20 MB),
 * never the file. Every function takes an optional core so tests can check the WASM and JS cores agree.
 */
import { open } from 'node:fs/promises'
import { core as defaultCore, type Core } from '../core/index.js'
import { DealError, DealErrorCode } from './errors.js'

/** Bytes per chunk (leaf) of a deal's file. */
export const DEAL_CHUNK_BYTES = 4_096
/** Largest file size the tree handles (1 TiB: 2^28 leaves, 8 GiB of leaves — far above any offer). */
export const DEAL_MAX_FILE_BYTES = 2 ** 40
/** Bytes read from disk per read call by rootOfFile. */
const FILE_READ_BYTES = 256 * DEAL_CHUNK_BYTES

function checkSize(size: number | bigint): number {
  const n = typeof size === 'bigint' ? Number(size) : size
  if (!Number.isSafeInteger(n) || n < 1 || n > DEAL_MAX_FILE_BYTES || (typeof size === 'bigint' && BigInt(n) !== size)) {
    throw new DealError(DealErrorCode.BadSize, `file size must be 1..${DEAL_MAX_FILE_BYTES} bytes, got ${String(size)}`, { size: String(size) })
  }
  return n
}

/** How many leaves (chunks) a file of `size` bytes has; throws DEAL_BAD_SIZE for 0 or a bad size. */
export function leafCount(size: number | bigint): number {
  return Math.ceil(checkSize(size) / DEAL_CHUNK_BYTES)
}

/** The length of chunk `index` of a file of `size` bytes (DEAL_CHUNK_BYTES except maybe the last). */
export function chunkLength(size: number | bigint, index: number): number {
  const n = checkSize(size)
  const count = Math.ceil(n / DEAL_CHUNK_BYTES)
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new DealError(DealErrorCode.BadIndex, `chunk index must be 0..${count - 1}, got ${index}`, { index, count })
  }
  return index < count - 1 ? DEAL_CHUNK_BYTES : n - (count - 1) * DEAL_CHUNK_BYTES
}

/** The byte range [start, end) of chunk `index` in a file of `size` bytes. */
export function chunkRange(size: number | bigint, index: number): { start: number; end: number } {
  const len = chunkLength(size, index)
  const start = index * DEAL_CHUNK_BYTES
  return { start, end: start + len }
}

/** leaf = keccak256(chunk). */
export function leafOf(chunk: Uint8Array, c: Core = defaultCore): Uint8Array {
  return c.keccak256(chunk)
}

/** The leaves (packed, 32 bytes each) and root of a file held in memory. */
export function treeOf(bytes: Uint8Array, c: Core = defaultCore): { leaves: Uint8Array; root: Uint8Array } {
  const b = new FileTreeBuilder(bytes.length, c)
  b.update(bytes)
  return b.finish()
}

/** The root of a file held in memory. */
export function rootOf(bytes: Uint8Array, c: Core = defaultCore): Uint8Array {
  return treeOf(bytes, c).root
}

/**
 * Builds the tree of a file of known `size` from its bytes in pieces of any length. The leaves
 * buffer is allocated once (leafCount × 32 bytes); full chunks are hashed in batches straight from
 * the pieces, only a chunk split across two pieces is copied.
 */
export class FileTreeBuilder {
  readonly size: number
  private readonly leaves: Uint8Array
  private readonly partial = new Uint8Array(DEAL_CHUNK_BYTES)
  private partialLen = 0
  private nextLeaf = 0
  private received = 0
  private done = false

  constructor(
    size: number | bigint,
    private readonly c: Core = defaultCore,
  ) {
    this.size = checkSize(size)
    this.leaves = new Uint8Array(leafCount(this.size) * 32)
  }

  /** bytes received so far */
  get bytesReceived(): number {
    return this.received
  }

  update(piece: Uint8Array): void {
    if (this.done) throw new DealError(DealErrorCode.BadStream, 'file tree already finished')
    if (this.received + piece.length > this.size) {
      throw new DealError(DealErrorCode.BadStream, `more than the announced ${this.size} bytes`, { size: this.size })
    }
    this.received += piece.length
    let at = 0
    if (this.partialLen > 0) {
      const take = Math.min(DEAL_CHUNK_BYTES - this.partialLen, piece.length)
      this.partial.set(piece.subarray(0, take), this.partialLen)
      this.partialLen += take
      at = take
      if (this.partialLen === DEAL_CHUNK_BYTES) this.flushPartial()
    }
    const whole = Math.floor((piece.length - at) / DEAL_CHUNK_BYTES)
    if (whole > 0) {
      const hashes = this.c.hashBatchFixed('keccak256', piece.subarray(at, at + whole * DEAL_CHUNK_BYTES), DEAL_CHUNK_BYTES)
      this.leaves.set(hashes, this.nextLeaf * 32)
      this.nextLeaf += whole
      at += whole * DEAL_CHUNK_BYTES
    }
    if (at < piece.length) {
      this.partial.set(piece.subarray(at), this.partialLen)
      this.partialLen += piece.length - at
    }
  }

  /** The leaves and root; throws DEAL_BAD_STREAM if fewer than `size` bytes came. */
  finish(): { leaves: Uint8Array; root: Uint8Array } {
    if (this.done) throw new DealError(DealErrorCode.BadStream, 'file tree already finished')
    if (this.received !== this.size) {
      throw new DealError(DealErrorCode.BadStream, `got ${this.received} of the announced ${this.size} bytes`, { size: this.size, received: this.received })
    }
    if (this.partialLen > 0) this.flushPartial()
    this.done = true
    return { leaves: this.leaves, root: this.c.merkleRoot('keccak256', this.leaves) }
  }

  private flushPartial(): void {
    this.leaves.set(this.c.keccak256(this.partial.subarray(0, this.partialLen)), this.nextLeaf * 32)
    this.nextLeaf++
    this.partialLen = 0
  }
}

/** The leaves, root and size of the file at `path`, read in blocks (the file is never held whole). */
export async function treeOfFile(path: string, c: Core = defaultCore): Promise<{ leaves: Uint8Array; root: Uint8Array; size: number }> {
  const fh = await open(path, 'r')
  try {
    const { size } = await fh.stat()
    const builder = new FileTreeBuilder(size, c)
    const buf = new Uint8Array(FILE_READ_BYTES)
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      builder.update(buf.subarray(0, bytesRead))
    }
    return { ...builder.finish(), size }
  } finally {
    await fh.close()
  }
}

/** Leaf `index` of packed leaves. */
export function leafAt(leaves: Uint8Array, index: number): Uint8Array {
  const count = leaves.length / 32
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new DealError(DealErrorCode.BadIndex, `leaf index must be 0..${count - 1}, got ${index}`, { index, count })
  }
  return leaves.subarray(index * 32, index * 32 + 32)
}

/** The sibling path of leaf `index` (32-byte nodes, bottom-up). */
export function proofOf(leaves: Uint8Array, index: number, c: Core = defaultCore): Uint8Array[] {
  leafAt(leaves, index)
  return c.merkleProof('keccak256', leaves, index)
}

/**
 * Whether `chunk` is chunk `index` of the file of `size` bytes with Merkle root `root`: its length
 * is that chunk's length and its leaf with `proof` leads to the root. False (never throws) on any
 * mismatch, including a bad size or index.
 */
export function verifyChunk(root: Uint8Array, size: number | bigint, index: number, chunk: Uint8Array, proof: Uint8Array[], c: Core = defaultCore): boolean {
  let count: number
  try {
    if (chunk.length !== chunkLength(size, index)) return false
    count = leafCount(size)
  } catch {
    return false
  }
  if (root.length !== 32 || proof.some((p) => p.length !== 32)) return false
  return c.verifyMerkleProof('keccak256', leafOf(chunk, c), index, count, proof, root)
}
