// Dispatch on the hash kind shared by batch, Merkle and counter code (0 = keccak256, 1 = sha256).
import { keccak256, keccak256Pair } from './keccak'
import { sha256 } from './sha256'

export const KECCAK256: i32 = 0
export const SHA256: i32 = 1

// @ts-ignore: decorator
@inline export function hashInto(kind: i32, ptr: usize, len: usize, out: usize): void {
  if (kind == KECCAK256) keccak256(ptr, len, out)
  else sha256(ptr, len, out)
}

// @ts-ignore: decorator
@inline export function hashPair(kind: i32, ptr: usize, out: usize): void {
  if (kind == KECCAK256) keccak256Pair(ptr, out)
  else sha256(ptr, 64, out)
}

/** n inputs with lengths as u32 at lens, packed back to back at data; hash i to out + 32i. */
export function hashBatch(kind: i32, data: usize, lens: usize, n: u32, out: usize): void {
  for (let i: u32 = 0; i < n; i++) {
    const len = <usize>load<u32>(lens + (<usize>i << 2))
    hashInto(kind, data, len, out + (<usize>i << 5))
    data += len
  }
}

/** n inputs of `size` bytes each, packed back to back at data; hash i to out + 32i. */
export function hashBatchFixed(kind: i32, data: usize, size: usize, n: u32, out: usize): void {
  if (kind == KECCAK256 && size == 64) {
    for (let i: u32 = 0; i < n; i++) keccak256Pair(data + (<usize>i << 6), out + (<usize>i << 5))
    return
  }
  for (let i: u32 = 0; i < n; i++) hashInto(kind, data + <usize>i * size, size, out + (<usize>i << 5))
}
