/**
 * Merkle tree in plain JS: the rules of assembly/merkle.ts (see there and interface.ts) —
 * parent = H(left ‖ right), odd last node promoted, 0 leaves → zeros, proof length fixed by
 * (index, leafCount).
 */
import { checkLeaves, checkProofIndex, proofShapeOk } from './args.js'

type Hash = (data: Uint8Array) => Uint8Array

function pairHash(hash: Hash, left: Uint8Array, right: Uint8Array, buf: Uint8Array): Uint8Array {
  buf.set(left, 0)
  buf.set(right, 32)
  return hash(buf)
}

function nextLevel(hash: Hash, level: Uint8Array[]): Uint8Array[] {
  const buf = new Uint8Array(64)
  const next: Uint8Array[] = []
  for (let i = 0; i + 1 < level.length; i += 2) next.push(pairHash(hash, level[i]!, level[i + 1]!, buf))
  if (level.length % 2 === 1) next.push(level[level.length - 1]!)
  return next
}

function split(leaves: Uint8Array): Uint8Array[] {
  const n = checkLeaves(leaves)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) out.push(leaves.slice(i * 32, i * 32 + 32))
  return out
}

export function merkleRoot(hash: Hash, leaves: Uint8Array): Uint8Array {
  let level = split(leaves)
  if (level.length === 0) return new Uint8Array(32)
  while (level.length > 1) level = nextLevel(hash, level)
  return level[0]!
}

export function merkleProof(hash: Hash, leaves: Uint8Array, index: number): Uint8Array[] {
  let level = split(leaves)
  checkProofIndex(index, level.length)
  const proof: Uint8Array[] = []
  while (level.length > 1) {
    const sib = index % 2 === 0 ? index + 1 : index - 1
    if (sib < level.length) proof.push(level[sib]!)
    level = nextLevel(hash, level)
    index = Math.floor(index / 2)
  }
  return proof
}

export function verifyMerkleProof(hash: Hash, leaf: Uint8Array, index: number, leafCount: number, proof: Uint8Array[], root: Uint8Array): boolean {
  if (!proofShapeOk(leaf, index, leafCount, proof, root)) return false
  const buf = new Uint8Array(64)
  let node = leaf
  let used = 0
  for (let n = leafCount; n > 1; n = Math.ceil(n / 2), index = Math.floor(index / 2)) {
    const sib = index % 2 === 0 ? index + 1 : index - 1
    if (sib >= n) continue
    if (used === proof.length) return false
    const other = proof[used++]!
    node = index % 2 === 1 ? pairHash(hash, other, node, buf) : pairHash(hash, node, other, buf)
  }
  return used === proof.length && node.every((b, i) => b === root[i])
}
