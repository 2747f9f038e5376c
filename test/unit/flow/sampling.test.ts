import t from 'tap'
import { core, initialCounterState, jsCore, type Core } from '../../../src/core/index.js'
import { draw } from '../../../src/consensus/dpos/shuffle.js'
import { hexOf } from '../../../src/flow/receipt.js'
import {
  AUDIT_BPS_SCALE,
  auditSelected,
  makeOpening,
  openingIndex,
  openingSeed,
  sampleRootOf,
  sampleRootOfSlices,
  sliceLeaf,
  sliceOf,
  verifyOpening,
  type SliceOpening,
} from '../../../src/flow/sampling.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const h = (s: string): Uint8Array => core.keccak256(enc(s))

/** frames u32 len ‖ u32 seq ‖ u16 hlen ‖ header ‖ payload, payload lengths varying (some < sliceLen) */
function makeFrames(n: number): { frames: Uint8Array; payloads: Map<number, Uint8Array> } {
  const parts: Uint8Array[] = []
  const payloads = new Map<number, Uint8Array>()
  for (let i = 0; i < n; i++) {
    const seq = 1000 + i
    const header = new Uint8Array(i % 5).fill(0xee)
    const payload = new Uint8Array(((i * 37) % 200) + 1).map((_, j) => (seq * 31 + j) & 0xff)
    payloads.set(seq, payload)
    const f = new Uint8Array(4 + 4 + 2 + header.length + payload.length)
    const v = new DataView(f.buffer)
    v.setUint32(0, f.length - 4)
    v.setUint32(4, seq)
    v.setUint16(8, header.length)
    f.set(header, 10)
    f.set(payload, 10 + header.length)
    parts.push(f)
  }
  const frames = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    frames.set(p, o)
    o += p.length
  }
  return { frames, payloads }
}

const cores: [string, Core][] = [
  ['core', core],
  ['jsCore', jsCore],
]

t.test('openings of slices sampled by the real packet counter verify, on both cores', async (t) => {
  const { frames, payloads } = makeFrames(300)
  const sliceLen = 64
  const sample = { seed: h('seed'), rate: 2 ** 30, sliceLen } // ~1/4 sampled
  const results = cores.map(([, c]) => c.countPackets(frames, initialCounterState(), sample))
  t.same(results[0]!.sampledSeqs, results[1]!.sampledSeqs)
  const res = results[0]!
  t.ok(res.sampledSeqs.length > 20, `sampled ${res.sampledSeqs.length}`)
  const slices = res.sampledSeqs.map((pktSeq) => ({ pktSeq, slice: sliceOf(payloads.get(pktSeq)!, sliceLen) }))

  for (const [name, c] of cores) {
    // our leaf is the counter's slice hash
    slices.forEach((s, i) => t.equal(hexOf(sliceLeaf(s.pktSeq, s.slice, c)), hexOf(res.sliceHashes.subarray(i * 32, i * 32 + 32)), `${name} leaf ${i}`))
    const { sampleRoot, merkleRoot, count } = sampleRootOfSlices(res.sliceHashes, c)
    t.equal(count, slices.length)
    t.equal(hexOf(sampleRoot), hexOf(c.keccak256(Uint8Array.from([...merkleRoot, ...[24, 16, 8, 0].map((b) => (count >>> b) & 0xff)]))))
    t.equal(hexOf(sampleRoot), hexOf(sampleRootOf(merkleRoot, count, c)))

    const seed = openingSeed(h('block'), h('session'), 42n, c)
    const index = openingIndex(seed, count)
    t.equal(index, Number(draw(seed, 0, BigInt(count))))
    const opening = makeOpening(slices, index, c)
    t.equal(hexOf(opening.merkleRoot), hexOf(merkleRoot))
    t.ok(verifyOpening(sampleRoot, index, opening, c), `${name} opening verifies`)
    // every leaf opens
    for (let i = 0; i < count; i++) t.ok(verifyOpening(sampleRoot, i, makeOpening(slices, i, c), c))
  }
  // both cores produce the same roots and openings
  const a = sampleRootOfSlices(res.sliceHashes, core)
  const b = sampleRootOfSlices(res.sliceHashes, jsCore)
  t.equal(hexOf(a.sampleRoot), hexOf(b.sampleRoot))
  t.same(makeOpening(slices, 3, core), makeOpening(slices, 3, jsCore))
})

t.test('tampered openings fail and never throw', async (t) => {
  const slices = Array.from({ length: 9 }, (_, i) => ({ pktSeq: i * 3, slice: enc(`payload ${i}`) }))
  const leaves = new Uint8Array(9 * 32)
  slices.forEach((s, i) => leaves.set(sliceLeaf(s.pktSeq, s.slice), i * 32))
  const { sampleRoot } = sampleRootOfSlices(leaves)
  const good = makeOpening(slices, 4)
  for (const [, c] of cores) t.ok(verifyOpening(sampleRoot, 4, good, c))
  const bads: [string, SliceOpening | unknown, number, Uint8Array?][] = [
    ['wrong index', good, 5],
    ['index ≥ count', good, 9],
    ['negative index', good, -1],
    ['other slice', { ...good, slice: enc('payload X') }, 4],
    ['other pktSeq', { ...good, pktSeq: 13 }, 4],
    ['lying count', { ...good, count: 10 }, 4],
    ['zero count', { ...good, count: 0 }, 0],
    ['short proof', { ...good, proof: good.proof.slice(1) }, 4],
    ['flipped sibling', { ...good, proof: [good.proof[0]!.map((x, i) => (i === 0 ? x ^ 1 : x)), ...good.proof.slice(1)] }, 4],
    ['other merkleRoot', { ...good, merkleRoot: h('x') }, 4],
    ['bad proof node', { ...good, proof: [new Uint8Array(31), ...good.proof.slice(1)] }, 4],
    ['not an object', null, 4],
    ['fractional pktSeq', { ...good, pktSeq: 1.5 }, 4],
    ['other sampleRoot', good, 4, h('root')],
    ['short sampleRoot', good, 4, new Uint8Array(31)],
  ]
  for (const [name, o, index, root] of bads) {
    for (const [cn, c] of cores) t.equal(verifyOpening(root ?? sampleRoot, index, o as SliceOpening, c), false, `${cn}: ${name}`)
  }
})

t.test('seed and index', async (t) => {
  const s1 = openingSeed(h('b'), h('s'), 1n)
  t.equal(hexOf(s1), hexOf(core.keccak256(Uint8Array.from([...h('b'), ...h('s'), 0, 0, 0, 0, 0, 0, 0, 1]))))
  t.not(hexOf(s1), hexOf(openingSeed(h('b'), h('s'), 2n)))
  t.equal(openingIndex(s1, 1), 0)
  t.throws(() => openingIndex(s1, 0), { code: 'FLOW_BAD_FORMAT' })
  t.throws(() => openingSeed(h('b'), new Uint8Array(31), 1n), { code: 'FLOW_BAD_FORMAT' })
  t.throws(() => openingSeed(h('b'), h('s'), 1n << 64n), { code: 'FLOW_BAD_FORMAT' })
  t.throws(() => sampleRootOfSlices(new Uint8Array(33)), { code: 'FLOW_BAD_FORMAT' })
  t.throws(() => makeOpening([], 0), { code: 'FLOW_BAD_FORMAT' })
  // every index in range over many seeds
  for (let i = 0; i < 200; i++) {
    const x = openingIndex(openingSeed(h('b'), h('s'), BigInt(i)), 7)
    t.ok(x >= 0 && x < 7)
  }
  t.equal(hexOf(sampleRootOfSlices(new Uint8Array(0)).merkleRoot), hexOf(new Uint8Array(32)))
})

t.test('auditSelected: a seeded, deterministic fraction per auditor; bad input refused', async (t) => {
  const A = '0x00000000000000000000000000000000000000a1'
  const B = '0x00000000000000000000000000000000000000B2'
  const seed = h('seed block')
  const pick = (auditor: string, bps: number, s = seed) => Array.from({ length: 2000 }, (_, i) => i).filter((i) => auditSelected(s, auditor, i, bps))
  const tenth = pick(A, 1_000)
  t.ok(tenth.length > 140 && tenth.length < 260, `about 10 % of 2,000 entries (${tenth.length})`)
  t.same(pick(A, 1_000), tenth, 'the same inputs pick the same entries')
  t.same(pick(A.toUpperCase().replace('0X', '0x'), 1_000), tenth, 'the address case does not matter')
  t.not(pick(B, 1_000).join(), tenth.join(), 'another auditor, another set')
  t.not(pick(A, 1_000, h('another block')).join(), tenth.join(), 'another seed block, another set')
  t.ok(
    pick(A, 500).every((i) => tenth.includes(i)),
    'a smaller fraction picks a subset (one draw per entry, compared with the fraction)',
  )
  // the rule itself: draw(keccak256(seedHash ‖ auditor ‖ u32be(index)), 0, 10,000) < bps
  const i = tenth[0]!
  const bytes = new Uint8Array(32 + 20 + 4)
  bytes.set(seed, 0)
  bytes.set(Buffer.from(A.slice(2), 'hex'), 32)
  new DataView(bytes.buffer).setUint32(52, i)
  t.ok(draw(core.keccak256(bytes), 0, 10_000n) < 1_000n, 'the draw the doc comment gives')
  t.equal(pick(A, 0).length, 0, '0 bps: none')
  t.equal(pick(A, 10_000).length, 2000, '10,000 bps: all')
  t.equal(AUDIT_BPS_SCALE, 10_000)

  t.throws(() => auditSelected(new Uint8Array(31), A, 0, 100), /seedHash/)
  t.throws(() => auditSelected(seed, '0x1234', 0, 100), /auditor: expected a 0x-prefixed 20-byte address/)
  t.throws(() => auditSelected(seed, A, -1, 100), /entryIndex/)
  t.throws(() => auditSelected(seed, A, 0, 10_001), /auditBps: must be an integer from 0 to 10000/)
  t.throws(() => auditSelected(seed, A, 0, 1.5), /auditBps/)
})
