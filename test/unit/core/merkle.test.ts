import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import t from 'tap'
import { jsCore, type Core, type HashKind } from '../../../src/core/index.js'
import { hex, prng, requireWasm } from './fixtures/helpers.js'

const wasm = requireWasm(t)
const impls: [string, Core][] = [['js', jsCore], ...(wasm ? ([['wasm', wasm]] as [string, Core][]) : [])]
const kinds: HashKind[] = ['keccak256', 'sha256']
const noble = { keccak256: keccak_256, sha256 }

/** The rules written as plainly as possible, independent of src/core. */
function naiveRoot(kind: HashKind, nodes: Uint8Array[]): Uint8Array {
  if (nodes.length === 0) return new Uint8Array(32)
  if (nodes.length === 1) return nodes[0]!
  const next: Uint8Array[] = []
  for (let i = 0; i < nodes.length; i += 2) {
    next.push(i + 1 < nodes.length ? noble[kind](Buffer.concat([nodes[i]!, nodes[i + 1]!])) : nodes[i]!)
  }
  return naiveRoot(kind, next)
}

function leafSet(n: number, seed: number): { packed: Uint8Array; list: Uint8Array[] } {
  const packed = prng(seed).bytes(32 * n)
  return { packed, list: Array.from({ length: n }, (_, i) => packed.slice(32 * i, 32 * i + 32)) }
}

const counts = [0, 1, 2, 3, 5, 8, 13, 1000]

t.test('roots equal the naive reference and each other', async (t) => {
  for (const kind of kinds) {
    for (const n of counts) {
      const { packed, list } = leafSet(n, n + 1)
      const expected = hex(naiveRoot(kind, list))
      for (const [name, c] of impls) t.equal(hex(c.merkleRoot(kind, packed)), expected, `${name} ${kind} n=${n}`)
    }
  }
  for (const [name, c] of impls) {
    t.equal(hex(c.merkleRoot('keccak256', new Uint8Array(0))), '00'.repeat(32), `${name}: 0 leaves → zeros`)
    const one = prng(5).bytes(32)
    t.equal(hex(c.merkleRoot('keccak256', one)), hex(one), `${name}: 1 leaf → the leaf`)
    const { list } = leafSet(3, 8)
    const dup = Buffer.concat([...list, list[2]!])
    t.not(hex(c.merkleRoot('keccak256', Buffer.concat(list))), hex(c.merkleRoot('keccak256', dup)), `${name}: [a,b,c] ≠ [a,b,c,c]`)
    t.throws(() => c.merkleRoot('keccak256', new Uint8Array(33)), { code: 'CORE_BAD_ARG' })
  }
})

t.test('every proof verifies, in both cores, and the cores agree on it', async (t) => {
  for (const kind of kinds) {
    for (const n of counts.filter((n) => n > 0)) {
      const { packed, list } = leafSet(n, n + 1)
      const root = naiveRoot(kind, list)
      let failures = 0
      for (let i = 0; i < n; i++) {
        // building a proof hashes the whole tree; the JS one is spot-checked on the big tree
        const makers = impls.filter(([name]) => name === 'wasm' || n <= 13 || i % 97 === 0 || i === n - 1)
        const proofs = makers.map(([, c]) => c.merkleProof(kind, packed, i))
        if (new Set(proofs.map((p) => p.map(hex).join())).size !== 1) failures++
        for (const [, c] of impls) if (!c.verifyMerkleProof(kind, list[i]!, i, n, proofs[0]!, root)) failures++
      }
      t.equal(failures, 0, `${kind} n=${n}`)
    }
  }
})

t.test('flipping any single byte of leaf, proof node or root fails', async (t) => {
  for (const kind of kinds) {
    for (const n of [2, 5, 13]) {
      const { packed, list } = leafSet(n, 100 + n)
      const root = naiveRoot(kind, list)
      let accepted = 0
      let checked = 0
      for (let i = 0; i < n; i++) {
        const proof = jsCore.merkleProof(kind, packed, i)
        const targets = [list[i]!, root, ...proof]
        for (const target of targets) {
          for (let b = 0; b < 32; b++) {
            target[b]! ^= 0x01
            for (const [, c] of impls) {
              checked++
              if (c.verifyMerkleProof(kind, list[i]!, i, n, proof, root)) accepted++
            }
            target[b]! ^= 0x01
          }
        }
        for (const [, c] of impls) t.ok(c.verifyMerkleProof(kind, list[i]!, i, n, proof, root), 'restored proof verifies')
      }
      t.equal(accepted, 0, `${kind} n=${n}: ${checked} single-byte flips all rejected`)
    }
  }
})

t.test('wrong index, leafCount, length or shape fails without throwing', async (t) => {
  const kind = 'keccak256'
  const n = 13
  const { packed, list } = leafSet(n, 21)
  const root = naiveRoot(kind, list)
  const proof = jsCore.merkleProof(kind, packed, 6)
  const leaf = list[6]!
  for (const [name, c] of impls) {
    const v = (...args: Parameters<Core['verifyMerkleProof']>): boolean => c.verifyMerkleProof(...args)
    t.ok(v(kind, leaf, 6, n, proof, root), `${name} baseline`)
    t.notOk(v(kind, leaf, 7, n, proof, root), `${name} wrong index`)
    t.notOk(v(kind, leaf, 13, n, proof, root), `${name} index = leafCount`)
    t.notOk(v(kind, leaf, 99, n, proof, root), `${name} index > leafCount`)
    // (leafCounts whose path for leaf 6 has the same shape, e.g. 12 or 16, would still verify:
    // leafCount must be committed next to the root)
    t.notOk(v(kind, leaf, 6, 7, proof, root), `${name} leafCount 7: leaf 6 promoted, shorter path`)
    t.notOk(v(kind, leaf, 6, 8, proof, root), `${name} leafCount 8: path of 3`)
    t.notOk(v(kind, leaf, 6, n, proof.slice(0, -1), root), `${name} proof too short`)
    t.notOk(v(kind, leaf, 6, n, [...proof, root], root), `${name} proof too long`)
    t.notOk(v(kind, leaf, 6, n, [], root), `${name} empty proof`)
    t.notOk(v(kind, leaf.subarray(1), 6, n, proof, root), `${name} 31-byte leaf`)
    t.notOk(v(kind, leaf, 6, n, proof, root.subarray(1)), `${name} 31-byte root`)
    t.notOk(v(kind, leaf, 6, n, [proof[0]!.subarray(1), ...proof.slice(1)], root), `${name} 31-byte node`)
    t.notOk(v(kind, leaf, 6.5, n, proof, root), `${name} fractional index`)
    t.notOk(v(kind, leaf, -1, n, proof, root), `${name} negative index`)
    t.notOk(v(kind, leaf, 0, 0, [], new Uint8Array(32)), `${name} empty tree`)
    t.notOk(v('sha256', leaf, 6, n, proof, root), `${name} other hash`)
    // depth binding: an internal node H(l0‖l1) cannot pose as leaf 0 of a 2-leaf tree under the same
    // root when leafCount is the real 4, because the path for (0, 4) has 2 nodes, not 1
    const four = leafSet(4, 22)
    const r4 = naiveRoot(kind, four.list)
    const inner = keccak_256(Buffer.concat([four.list[0]!, four.list[1]!]))
    const upper = keccak_256(Buffer.concat([four.list[2]!, four.list[3]!]))
    t.notOk(v(kind, inner, 0, 4, [upper], r4), `${name} internal node as leaf`)
    t.ok(v(kind, four.list[0]!, 0, 4, c.merkleProof(kind, four.packed, 0), r4), `${name} real leaf`)
    // a single-leaf tree: the root is the leaf and the proof is empty
    t.ok(v(kind, leaf, 0, 1, [], leaf), `${name} one leaf`)
    t.throws(() => c.merkleProof(kind, packed, 13), { code: 'CORE_BAD_ARG' }, `${name} proof index out of range`)
  }
})

t.test('2^20 leaves in one wasm call, memory reused', async (t) => {
  if (!wasm) return
  const n = 1 << 20
  const packed = prng(2024).bytes(32 * n)
  // reference: the same rules level by level through the (separately tested) batch API
  const batchRoot = (leaves: Uint8Array): Uint8Array => {
    let level = leaves
    while (level.length > 32) {
      const pairs = Math.floor(level.length / 64)
      const next = new Uint8Array(Math.ceil(level.length / 64) * 32)
      next.set(wasm.hashBatchFixed('keccak256', level.subarray(0, pairs * 64), 64))
      if (level.length % 64 === 32) next.set(level.subarray(level.length - 32), pairs * 32)
      level = next
    }
    return level
  }
  const root = wasm.merkleRoot('keccak256', packed)
  t.equal(hex(root), hex(batchRoot(packed)))
  t.equal(hex(wasm.merkleRoot('keccak256', packed)), hex(root), 'same root on a second call')
  const odd = packed.subarray(0, 32 * 100_003)
  t.equal(hex(wasm.merkleRoot('keccak256', odd)), hex(batchRoot(odd)), '100,003 leaves after the big tree')
  const proof = wasm.merkleProof('keccak256', packed, 777_777)
  t.equal(proof.length, 20)
  t.ok(wasm.verifyMerkleProof('keccak256', packed.subarray(32 * 777_777, 32 * 777_778), 777_777, n, proof, root))
  t.ok(jsCore.verifyMerkleProof('keccak256', packed.subarray(32 * 777_777, 32 * 777_778), 777_777, n, proof, root))
})
