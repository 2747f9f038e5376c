// Binary Merkle tree over 32-byte leaves supplied by the caller (already hashes).
//   parent = H(left ‖ right)
//   a level with an odd number of nodes promotes its last node unchanged (no duplication, so
//     [a, b, c] and [a, b, c, c] have different roots — the CVE-2012-2459 ambiguity is gone)
//   root of 0 leaves = 32 zero bytes; root of 1 leaf = the leaf
//   a proof lists the siblings bottom-up; a promoted node has no sibling at that level, so the
//     proof length is a function of (index, leafCount). Verification demands exactly that
//     length, which fixes the depth for a given leafCount (an internal node cannot pose as a
//     leaf of the same tree). leafCount itself must come from a trusted commitment.
// Levels are reduced in place over the caller's copy of the leaves in the arena: pair i is read
// from [64i, 64i+64) and written to [32i, 32i+32), which never overwrites an unread pair.
import { hashPair } from './hash'

const PAIR: usize = memory.data(64, 16)

// @ts-ignore: decorator
@inline function reduceLevel(kind: i32, ptr: usize, n: u32): u32 {
  const half = n >> 1
  for (let i: u32 = 0; i < half; i++) hashPair(kind, ptr + (<usize>i << 6), ptr + (<usize>i << 5))
  if (n & 1) memory.copy(ptr + (<usize>half << 5), ptr + (<usize>(n - 1) << 5), 32)
  return (n + 1) >> 1
}

/** Root of n leaves at ptr into out. Destroys the leaves. */
export function merkleRoot(kind: i32, ptr: usize, n: u32, out: usize): void {
  if (n == 0) {
    memory.fill(out, 0, 32)
    return
  }
  while (n > 1) n = reduceLevel(kind, ptr, n)
  memory.copy(out, ptr, 32)
}

/** Siblings of leaf `index` written bottom-up to out; returns how many. Destroys the leaves. */
export function merkleProof(kind: i32, ptr: usize, n: u32, index: u32, out: usize): u32 {
  let count: u32 = 0
  while (n > 1) {
    const sib = index ^ 1
    if (sib < n) {
      memory.copy(out + (<usize>count << 5), ptr + (<usize>sib << 5), 32)
      count++
    }
    n = reduceLevel(kind, ptr, n)
    index >>= 1
  }
  return count
}

/** 1 iff the proof (proofLen nodes at proof) takes leaf at `index` of leafCount to root. */
export function verifyMerkleProof(
  kind: i32, leaf: usize, index: u32, leafCount: u32, proof: usize, proofLen: u32, root: usize,
): i32 {
  if (index >= leafCount) return 0
  // the running node is kept in whichever half of PAIR it will occupy in the next hash
  memory.copy(PAIR, leaf, 32)
  let used: u32 = 0
  let n = leafCount
  while (n > 1) {
    const sib = index ^ 1
    if (sib < n) {
      if (used == proofLen) return 0
      const node = proof + (<usize>used << 5)
      if (index & 1) {
        memory.copy(PAIR + 32, PAIR, 32)
        memory.copy(PAIR, node, 32)
      } else {
        memory.copy(PAIR + 32, node, 32)
      }
      hashPair(kind, PAIR, PAIR)
      used++
    }
    n = (n + 1) >> 1
    index >>= 1
  }
  return used == proofLen && memory.compare(PAIR, root, 32) == 0 ? 1 : 0
}
