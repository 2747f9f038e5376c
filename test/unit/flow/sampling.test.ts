import t from 'tap'
import { core, initialCounterState, jsCore, type Core } from '../../../src/core/index.js'
import { draw } from '../../../src/consensus/dpos/shuffle.js'
import { hexOf } from '../../../src/flow/receipt.js'
import { EMPTY_SAMPLE_ROOT as CONSENSUS_EMPTY_SAMPLE_ROOT } from '../../../src/consensus/povf/engine.js'
import { withSampleFloor } from '../../../src/flow/sampledStream.js'
import {
  AUDIT_BPS_SCALE,
  auditSelected,
  checkSampleFloor,
  EMPTY_SAMPLE_ROOT,
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
import { seedSampling, seedSamplingNone } from '../../helpers/sampleSeeds.js'
import { concatList } from '../../../src/util/bytes.js'

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
    parts.push(oneFrame(seq, payload, header))
  }
  const frames = concatList(parts)
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

// ------------------------------------------------ the sampling floor (docs/decisions.md "Short sessions are auditable")

const RATE_1_IN_64 = Math.floor(2 ** 32 / 64)

/** one frame u32 len ‖ u32 seq ‖ u16 hlen ‖ header ‖ payload */
function oneFrame(seq: number, payload: Uint8Array, header = new Uint8Array(3).fill(0xee)): Uint8Array {
  const f = new Uint8Array(10 + header.length + payload.length)
  const v = new DataView(f.buffer)
  v.setUint32(0, f.length - 4)
  v.setUint32(4, seq)
  v.setUint16(8, header.length)
  f.set(header, 10)
  f.set(payload, 10 + header.length)
  return f
}

/** counts `frames` one at a time as the tunnel link does, the floor applied to each; the slice hashes and seqs sampled */
function countWithFloor(frames: { seq: number; payload: Uint8Array }[], sample: { seed: Uint8Array; rate: number; sliceLen: number }, c: Core = core) {
  let state = initialCounterState()
  const seqs: number[] = []
  const hashes: Uint8Array[] = []
  for (const f of frames) {
    const r = withSampleFloor(c.countPackets(oneFrame(f.seq, f.payload), state, sample), sample, f.seq, f.payload, c)
    state = r.state
    seqs.push(...r.sampledSeqs)
    for (let i = 0; i < r.sampledSeqs.length; i++) hashes.push(r.sliceHashes.slice(32 * i, 32 * i + 32))
  }
  return { seqs, hashes, state }
}

t.test('EMPTY_SAMPLE_ROOT: the root of no slice, the same in flow and in consensus', async (t) => {
  t.equal(hexOf(EMPTY_SAMPLE_ROOT), hexOf(sampleRootOfSlices(new Uint8Array(0)).sampleRoot), 'sampleRootOfSlices of nothing')
  t.equal(hexOf(EMPTY_SAMPLE_ROOT), hexOf(CONSENSUS_EMPTY_SAMPLE_ROOT), "consensus's own copy (it does not import flow)")
  t.not(hexOf(EMPTY_SAMPLE_ROOT), hexOf(new Uint8Array(32)), 'not the zero word')
})

t.test('checkSampleFloor: a receipt that claims bytes must commit to a slice', async (t) => {
  const one = sampleRootOfSlices(sliceLeaf(3, enc('abc'))).sampleRoot
  t.throws(() => checkSampleFloor({ bytesUp: 0n, bytesDown: 5n, sampleRoot: EMPTY_SAMPLE_ROOT }), {
    code: 'FLOW_BAD_FORMAT',
    meta: { field: 'sampleRoot', total: 5n },
    message: /claims 5 bytes but commits to no sampled slice/,
  })
  t.throws(() => checkSampleFloor({ bytesUp: 7n, bytesDown: 0n, sampleRoot: EMPTY_SAMPLE_ROOT }), { code: 'FLOW_BAD_FORMAT' }, 'bytes up count as well')
  t.doesNotThrow(() => checkSampleFloor({ bytesUp: 0n, bytesDown: 0n, sampleRoot: EMPTY_SAMPLE_ROOT }), 'no bytes, no slice needed')
  t.doesNotThrow(() => checkSampleFloor({ bytesUp: 7n, bytesDown: 5n, sampleRoot: one }), 'one slice is enough')
})

t.test('the floor: a short stream the draw samples nothing of commits to its first payload frame, and opens', async (t) => {
  const seed = seedSamplingNone(RATE_1_IN_64, 64)
  const sample = { seed, rate: RATE_1_IN_64, sliceLen: 4 }
  // a control frame (no payload) first, then three small payload frames: what one short request sends down
  const frames = [
    { seq: 0, payload: new Uint8Array(0) },
    { seq: 1, payload: enc('\x05\x00') },
    { seq: 2, payload: enc('HTTP/1.1 200 OK') },
    { seq: 3, payload: enc('hello') },
  ]
  const bare = core.countPackets(concatFrames(frames), initialCounterState(), sample)
  t.equal(bare.sampledSeqs.length, 0, 'the draw alone samples none of them (count 0: the old gap)')
  for (const [name, c] of cores) {
    const { seqs, hashes, state } = countWithFloor(frames, sample, c)
    t.strictSame(seqs, [1], `${name}: exactly the first frame with payload is sampled`)
    t.equal(hexOf(hashes[0]!), hexOf(sliceLeaf(1, enc('\x05\x00'), c)), 'its slice hash is the counter’s: keccak(u32be(seq) ‖ payload[0, sliceLen))')
    t.equal(state.payloadBytes, bare.state.payloadBytes, 'counting is unchanged')
  }
  const { hashes } = countWithFloor(frames, sample)
  const packed = new Uint8Array(32 * hashes.length)
  hashes.forEach((x, i) => packed.set(x, 32 * i))
  const { sampleRoot, count } = sampleRootOfSlices(packed)
  t.equal(count, 1, 'the receipt commits to one slice')
  t.doesNotThrow(() => checkSampleFloor({ bytesUp: 0n, bytesDown: bare.state.payloadBytes, sampleRoot }), 'the edge takes its receipt')
  const opening = makeOpening([{ pktSeq: 1, slice: sliceOf(enc('\x05\x00'), 4) }], openingIndex(openingSeed(h('seed block'), h('session'), 1n), count))
  t.ok(verifyOpening(sampleRoot, 0, opening), 'and an audit that draws it is answered')
})

t.test('the floor adds nothing after the first payload frame, for a drawn frame, a retransmission or a direction not sampled', async (t) => {
  // the draw picks seq 0 itself: no second copy of it, and nothing more from the floor
  const drawn = { seed: seedSampling(RATE_1_IN_64, 0), rate: RATE_1_IN_64, sliceLen: 64 }
  const a = countWithFloor(
    [
      { seq: 0, payload: enc('first') },
      { seq: 1, payload: enc('second') },
    ],
    drawn,
  )
  t.ok(a.seqs[0] === 0 && a.seqs.filter((s) => s === 0).length === 1, 'seq 0 sampled once')
  const none = seedSamplingNone(RATE_1_IN_64, 64)
  const sample = { seed: none, rate: RATE_1_IN_64, sliceLen: 64 }
  // after the first payload frame, later frames are left to the draw alone
  const b = countWithFloor(
    [
      { seq: 0, payload: enc('first') },
      { seq: 1, payload: enc('second') },
      { seq: 2, payload: enc('third') },
    ],
    sample,
  )
  t.strictSame(b.seqs, [0], 'only the first payload frame: the draw decides for the rest')
  // a control frame the draw sampled does not stand in for the floor: its empty slice proves nothing
  const ctrl = { seed: seedSampling(RATE_1_IN_64, 0), rate: RATE_1_IN_64, sliceLen: 64 }
  const c = countWithFloor(
    [
      { seq: 0, payload: new Uint8Array(0) },
      { seq: 1, payload: enc('data') },
    ],
    ctrl,
  )
  t.equal(core.countPackets(oneFrame(1, enc('data')), initialCounterState(), ctrl).sampledSeqs.length, 0, 'the draw alone leaves seq 1 out')
  t.strictSame(c.seqs, [0, 1], 'the drawn control frame, then the first payload frame by the floor')
  let r = withSampleFloor(core.countPackets(oneFrame(5, enc('x')), b.state, sample), sample, 5, enc('x'))
  t.strictSame(r.sampledSeqs, [], 'a stream that counted payload already: the draw decides')
  // a retransmission is not counted, so not floored
  const st = core.countPackets(oneFrame(5, enc('x')), initialCounterState(), { ...sample, rate: 0 }).state
  r = withSampleFloor(core.countPackets(oneFrame(5, enc('x')), st, sample), sample, 5, enc('x'))
  t.equal(r.retransmissions, 1)
  t.strictSame(r.sampledSeqs, [], 'a retransmission is never floored')
  r = withSampleFloor(core.countPackets(oneFrame(6, enc('x')), initialCounterState(), { ...sample, rate: 0 }), { ...sample, rate: 0 }, 6, enc('x'))
  t.strictSame(r.sampledSeqs, [], 'a direction that samples nothing (rate 0) stays unsampled')
  // a payload that arrived in parts: the slice spans them
  const parts = [enc('ab'), enc('cdef'), enc('gh')]
  r = withSampleFloor(core.countPackets(oneFrame(9, enc('abcdefgh')), initialCounterState(), { ...sample, sliceLen: 5 }), { ...sample, sliceLen: 5 }, 9, parts)
  t.equal(hexOf(r.sliceHashes), hexOf(sliceLeaf(9, enc('abcde'))), 'the first sliceLen bytes across the parts')
})

function concatFrames(frames: { seq: number; payload: Uint8Array }[]): Uint8Array {
  return concatList(frames.map((f) => oneFrame(f.seq, f.payload)))
}
