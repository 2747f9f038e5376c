/**
 * The Merkle sum tree of a checkpoint's provider totals: every node carries the sum below it,
 * so a proof of one provider's total also proves it is part of the checkpoint's total.
 *
 *   leaf   = (keccak(0x00 ‖ address ‖ u256(total)), total)
 *   parent = (keccak(0x01 ‖ L.hash ‖ u256(L.sum) ‖ R.hash ‖ u256(R.sum)), L.sum + R.sum)
 *   an odd last node is promoted unchanged; no leaves → (zero hash, 0)
 *   totalsRoot = keccak(rootHash ‖ u256(rootSum))
 *
 * Leaves are sorted by address (bytewise = lowercase hex order), one per address.
 */
import { badFormat, FlowError, FlowErrorCode } from './errors.js'
import { addrBytes, bytesEqual, checkAddr, checkUint, concatBytes, isAddr, keccak, u256, ZERO_HASH, type Addr } from './receipt.js'

export interface SumLeaf {
  address: Addr
  total: bigint
}

export interface SumNode {
  hash: Uint8Array
  sum: bigint
}

/** Position of the leaf (in address order) and the sibling of each level that has one, bottom-up. */
export interface SumProof {
  index: number
  count: number
  siblings: SumNode[]
}

const TWO_256 = 1n << 256n

function leafNode(address: Addr, total: bigint): SumNode {
  return { hash: keccak(concatBytes(Uint8Array.of(0), addrBytes(address), u256(total, 'total'))), sum: total }
}

function parentNode(l: SumNode, r: SumNode): SumNode {
  const sum = l.sum + r.sum
  if (sum >= TWO_256) throw badFormat('total', 'sum of totals overflows uint256')
  return { hash: keccak(concatBytes(Uint8Array.of(1), l.hash, u256(l.sum), r.hash, u256(r.sum))), sum }
}

/** Validated copy sorted by address; duplicates → FLOW_DUPLICATE_SEQ. */
export function sortLeaves(leaves: readonly SumLeaf[]): SumLeaf[] {
  const sorted = leaves.map((l, i) => ({
    address: checkAddr(l.address, `leaves[${i}].address`),
    total: checkUint(l.total, 256, `leaves[${i}].total`),
  }))
  sorted.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.address === sorted[i - 1]!.address) {
      throw new FlowError(FlowErrorCode.FLOW_DUPLICATE_SEQ, `sum tree: address ${sorted[i]!.address} twice`, {
        address: sorted[i]!.address,
      })
    }
  }
  return sorted
}

/** All levels, leaves first. */
function levels(sorted: readonly SumLeaf[]): SumNode[][] {
  const out: SumNode[][] = [sorted.map((l) => leafNode(l.address, l.total))]
  while (out[out.length - 1]!.length > 1) {
    const lv = out[out.length - 1]!
    const next: SumNode[] = []
    for (let i = 0; i + 1 < lv.length; i += 2) next.push(parentNode(lv[i]!, lv[i + 1]!))
    if (lv.length % 2 === 1) next.push(lv[lv.length - 1]!)
    out.push(next)
  }
  return out
}

export function sumTreeRoot(leaves: readonly SumLeaf[]): SumNode {
  const sorted = sortLeaves(leaves)
  if (sorted.length === 0) return { hash: ZERO_HASH.slice(), sum: 0n }
  const lv = levels(sorted)
  return lv[lv.length - 1]![0]!
}

export function totalsRootOfNode(root: SumNode): Uint8Array {
  return keccak(concatBytes(root.hash, u256(root.sum)))
}

export function totalsRootOf(leaves: readonly SumLeaf[]): Uint8Array {
  return totalsRootOfNode(sumTreeRoot(leaves))
}

export function sumTreeProof(leaves: readonly SumLeaf[], address: Addr): SumProof {
  const sorted = sortLeaves(leaves)
  const index = sorted.findIndex((l) => l.address === address)
  if (index < 0) throw badFormat('address', `${address} is not a leaf`)
  const siblings: SumNode[] = []
  let i = index
  for (const lv of levels(sorted)) {
    if (lv.length === 1) break
    const sib = i % 2 === 1 ? i - 1 : i + 1
    if (sib < lv.length) siblings.push(lv[sib]!)
    i = (i - (i % 2)) / 2
  }
  return { index, count: sorted.length, siblings }
}

/** true iff (address, total) is leaf `proof.index` of the tree `totalsRoot` commits to. Never throws. */
export function verifySumProof(totalsRoot: Uint8Array, address: Addr, total: bigint, proof: SumProof): boolean {
  try {
    if (!(totalsRoot instanceof Uint8Array) || totalsRoot.length !== 32 || !isAddr(address)) return false
    if (typeof total !== 'bigint' || total < 0n || total >= TWO_256) return false
    const { index, count, siblings } = proof
    if (!Number.isInteger(count) || count > 0xffff_ffff || !Number.isInteger(index) || index < 0 || index >= count) return false
    if (!Array.isArray(siblings)) return false
    let node = leafNode(address, total)
    let i = index
    let width = count
    let used = 0
    while (width > 1) {
      const hasSibling = i % 2 === 1 || i + 1 < width
      if (hasSibling) {
        const s = siblings[used++]
        if (s === undefined || !(s.hash instanceof Uint8Array) || s.hash.length !== 32) return false
        if (typeof s.sum !== 'bigint' || s.sum < 0n || s.sum >= TWO_256) return false
        node = i % 2 === 1 ? parentNode(s, node) : parentNode(node, s)
      }
      i = (i - (i % 2)) / 2
      width = (width + (width % 2)) / 2
    }
    return used === siblings.length && bytesEqual(totalsRootOfNode(node), totalsRoot)
  } catch {
    return false
  }
}
