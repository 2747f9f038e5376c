import t from 'tap'
import { core } from '../../../src/core/index.js'
import { FlowErrorCode } from '../../../src/flow/errors.js'
import { hexOf, u256 } from '../../../src/flow/receipt.js'
import { sumTreeProof, sumTreeRoot, totalsRootOf, verifySumProof, type SumLeaf } from '../../../src/flow/sumTree.js'

const addr = (i: number): string => '0x' + (0xa0 + ((i * 7919) % 97)).toString(16).padStart(2, '0') + String(i).padStart(38, '0')
const leavesOf = (n: number): SumLeaf[] => Array.from({ length: n }, (_, i) => ({ address: addr(i), total: BigInt(i * 1000 + 17) }))
const k = (...parts: Uint8Array[]): Uint8Array => core.keccak256(Uint8Array.from(parts.flatMap((p) => [...p])))
const addrB = (a: string): Uint8Array => Uint8Array.from(Buffer.from(a.slice(2), 'hex'))

t.test('empty, one and two leaves by the written rule', async (t) => {
  const empty = sumTreeRoot([])
  t.equal(hexOf(empty.hash), hexOf(new Uint8Array(32)))
  t.equal(empty.sum, 0n)
  t.equal(hexOf(totalsRootOf([])), hexOf(k(new Uint8Array(32), u256(0n))))

  const a = { address: '0x' + '11'.repeat(20), total: 5n }
  const b = { address: '0x' + '22'.repeat(20), total: 7n }
  const la = k(Uint8Array.of(0), addrB(a.address), u256(5n))
  const lb = k(Uint8Array.of(0), addrB(b.address), u256(7n))
  t.equal(hexOf(sumTreeRoot([a]).hash), hexOf(la))
  const root = sumTreeRoot([b, a]) // sorted by address itself
  t.equal(hexOf(root.hash), hexOf(k(Uint8Array.of(1), la, u256(5n), lb, u256(7n))))
  t.equal(root.sum, 12n)
  t.equal(hexOf(totalsRootOf([a, b])), hexOf(k(root.hash, u256(12n))))
  // odd last node promoted: 3 leaves → parent(parent(a,b), c)
  const c = { address: '0x' + '33'.repeat(20), total: 1n }
  const lc = k(Uint8Array.of(0), addrB(c.address), u256(1n))
  t.equal(hexOf(sumTreeRoot([c, a, b]).hash), hexOf(k(Uint8Array.of(1), root.hash, u256(12n), lc, u256(1n))))
})

t.test('a proof for every leaf of trees of size 1..9; tampering fails', async (t) => {
  for (let n = 1; n <= 9; n++) {
    const leaves = leavesOf(n)
    const root = totalsRootOf(leaves)
    t.equal(
      sumTreeRoot(leaves).sum,
      leaves.reduce((s, l) => s + l.total, 0n),
    )
    // order of input does not matter
    t.equal(hexOf(totalsRootOf([...leaves].reverse())), hexOf(root))
    for (const l of leaves) {
      const p = sumTreeProof(leaves, l.address)
      t.ok(verifySumProof(root, l.address, l.total, p), `n=${n} ${l.address}`)
      t.notOk(verifySumProof(root, l.address, l.total + 1n, p), 'inflated total')
      if (l.total > 0n) t.notOk(verifySumProof(root, l.address, l.total - 1n, p), 'deflated total')
      t.notOk(verifySumProof(root, addr(99), l.total, p), 'other address')
      if (p.siblings.length > 0) {
        const s0 = p.siblings[0]!
        t.notOk(verifySumProof(root, l.address, l.total, { ...p, siblings: [{ ...s0, sum: s0.sum + 1n }, ...p.siblings.slice(1)] }), 'sibling sum')
        t.notOk(verifySumProof(root, l.address, l.total, { ...p, siblings: p.siblings.slice(1) }), 'short proof')
        t.notOk(verifySumProof(root, l.address, l.total, { ...p, siblings: [...p.siblings, s0] }), 'long proof')
      }
      if (n > 1) t.notOk(verifySumProof(root, l.address, l.total, { ...p, index: (p.index + 1) % n }), 'wrong index')
      t.notOk(verifySumProof(root, l.address, l.total, { ...p, index: n }), 'index out of range')
    }
    // tampered totals change the root
    const tampered = leaves.map((l, i) => (i === n - 1 ? { ...l, total: l.total + 1n } : l))
    t.not(hexOf(totalsRootOf(tampered)), hexOf(root))
  }
})

t.test('bad input', async (t) => {
  const leaves = leavesOf(3)
  t.throws(() => sumTreeRoot([...leaves, leaves[1]!]), { code: FlowErrorCode.FLOW_DUPLICATE_SEQ })
  t.throws(() => sumTreeRoot([{ address: '0x12', total: 1n }]), { code: FlowErrorCode.FLOW_BAD_FORMAT })
  t.throws(() => sumTreeRoot([{ address: addr(1), total: -1n }]), { code: FlowErrorCode.FLOW_BAD_FORMAT })
  t.throws(
    () =>
      sumTreeRoot([
        { address: addr(1), total: 1n << 255n },
        { address: addr(2), total: 1n << 255n },
      ]),
    { code: FlowErrorCode.FLOW_BAD_FORMAT },
  )
  t.throws(() => sumTreeProof(leaves, addr(50)), { code: FlowErrorCode.FLOW_BAD_FORMAT })
  t.notOk(verifySumProof(new Uint8Array(31), addr(0), 17n, sumTreeProof(leaves, addr(0))))
  t.notOk(verifySumProof(totalsRootOf(leaves), addr(0), 17n, null as never))
})
