/**
 * The byte helpers the node writes more than once: hex in both directions, equality and order,
 * concatenation of a list, fixed-width and minimal big-endian integers. No validation here: a caller that
 * checks a field (and names it in its error) wraps these.
 */

/** lowercase hex without a 0x prefix (a view on the same memory, no copy) */
export function hexNoPrefix(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

/** 0x-prefixed lowercase hex */
export function hexOf(b: Uint8Array): string {
  return '0x' + hexNoPrefix(b)
}

/** bytes of a hex string, with or without 0x (lenient: like Buffer's hex decoding) */
export function bytesOfHexLoose(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'))
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** lexicographic order of unsigned bytes (a shorter prefix first) */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** the parts one after another, over a list (any length, unlike a spread call) */
export function concatList(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** 4-byte big-endian of 0..2^32−1 (unchecked) */
export function uint32be(x: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, x, false)
  return out
}

/** 8-byte big-endian of 0..2^64−1 (unchecked) */
export function uint64be(x: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, x, false)
  return out
}

/**
 * The minimal big-endian bytes of a non-negative integer (0 → empty), as RLP wants numbers: the
 * bytes of ethereumjs' `bigIntToUnpaddedBytes` without its trip through a hex string for every
 * small number (the receipts of a block encode four per transaction).
 */
export function unpaddedBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError(`unpaddedBytes: negative ${n}`)
  if (n > 0x1fffffffffffffn) {
    const h = n.toString(16)
    return Uint8Array.from(Buffer.from(h.length % 2 === 1 ? '0' + h : h, 'hex'))
  }
  let x = Number(n)
  let len = 0
  for (let y = x; y > 0; y = Math.floor(y / 256)) len++
  const out = new Uint8Array(len)
  for (let i = len - 1; i >= 0; i--) {
    out[i] = x % 256
    x = Math.floor(x / 256)
  }
  return out
}
