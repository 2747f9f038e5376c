import { keccak_256 } from '@noble/hashes/sha3.js'
import t from 'tap'
import { initialCounterState, jsCore, type Core, type CounterState, type SampleParams } from '../../../src/core/index.js'
import { hex, prng, requireWasm } from './fixtures/helpers.js'

const wasm = requireWasm(t)
const impls: [string, Core][] = [['js', jsCore], ...(wasm ? ([['wasm', wasm]] as [string, Core][]) : [])]

interface Frame {
  seq: number
  header: Uint8Array
  payload: Uint8Array
}

function encode(frames: Frame[]): Uint8Array {
  const parts = frames.map(({ seq, header, payload }) => {
    const f = new Uint8Array(10 + header.length + payload.length)
    const v = new DataView(f.buffer)
    v.setUint32(0, 6 + header.length + payload.length)
    v.setUint32(4, seq)
    v.setUint16(8, header.length)
    f.set(header, 10)
    f.set(payload, 10 + header.length)
    return f
  })
  return Buffer.concat(parts)
}

const r = prng(31337)
const frame = (seq: number, headerLen = 20, payloadLen = 100): Frame => ({
  seq,
  header: r.bytes(headerLen),
  payload: r.bytes(payloadLen),
})
const none: SampleParams = { seed: new Uint8Array(32), rate: 0, sliceLen: 0 }
const fresh = (): CounterState => initialCounterState()

t.test('counts payload bytes only, once per seq', async (t) => {
  for (const [name, c] of impls) {
    const res = c.countPackets(encode([frame(0, 40, 100), frame(1, 0, 7), frame(2, 65535, 0), frame(3, 5, 1)]), fresh(), none)
    t.equal(res.packets, 4, `${name} packets`)
    t.equal(res.payloadBytes, 108, `${name} headers not counted`)
    t.equal(res.retransmissions, 0)
    t.same(res.state, { highestSeq: 3, window: 0b1111n, packets: 4n, payloadBytes: 108n }, `${name} state`)

    const rt = c.countPackets(encode([frame(1), frame(2), frame(2), frame(3), frame(1)]), fresh(), none)
    t.equal(rt.packets, 3, `${name} retransmission skipped`)
    t.equal(rt.retransmissions, 2)
    t.equal(rt.payloadBytes, 300)

    const ooo = c.countPackets(encode([frame(5), frame(3), frame(4), frame(3), frame(5), frame(4)]), fresh(), none)
    t.equal(ooo.packets, 3, `${name} out of order within the window counted once`)
    t.equal(ooo.retransmissions, 3)
    t.equal(ooo.state.window, 0b111n)

    const old = c.countPackets(encode([frame(100), frame(36), frame(37), frame(37)]), fresh(), none)
    t.equal(old.packets, 2, `${name} seq 64 below highest is too old, 63 below is counted`)
    t.equal(old.retransmissions, 2)
    t.equal(old.state.window, (1n << 63n) | 1n)

    const jump = c.countPackets(encode([frame(1), frame(2), frame(500), frame(2)]), fresh(), none)
    t.equal(jump.state.window, 1n, `${name} a jump of ≥ 64 restarts the window`)
    t.equal(jump.state.highestSeq, 500)
    t.equal(jump.retransmissions, 1)

    const edge = c.countPackets(encode([frame(0xffff_ffff), frame(0xffff_ffff - 63), frame(0)]), fresh(), none)
    t.equal(edge.state.highestSeq, 0xffff_ffff, `${name} u32 max seq`)
    t.equal(edge.packets, 2)

    const empty = c.countPackets(new Uint8Array(0), fresh(), none)
    t.same(empty.state, fresh(), `${name} no frames`)
  }
})

t.test('state threads across calls and the input state is not modified', async (t) => {
  const frames = [frame(0), frame(2), frame(1), frame(2), frame(9), frame(3), frame(0)]
  for (const [name, c] of impls) {
    const whole = c.countPackets(encode(frames), fresh(), none)
    const start = fresh()
    const first = c.countPackets(encode(frames.slice(0, 3)), start, none)
    t.same(start, fresh(), `${name} input untouched`)
    const second = c.countPackets(encode(frames.slice(3)), first.state, none)
    t.same(second.state, whole.state, `${name} split == whole`)
    t.equal(first.retransmissions + second.retransmissions, whole.retransmissions)
  }
})

/** The sampling rule computed straight from its definition with noble. */
function expectedSample(frames: Frame[], counted: number[], sample: SampleParams): { seqs: number[]; hashes: string } {
  const seqs: number[] = []
  let hashes = ''
  for (const i of counted) {
    const f = frames[i]!
    const be = Buffer.alloc(4)
    be.writeUInt32BE(f.seq)
    const d = keccak_256(Buffer.concat([sample.seed, be]))
    if (Buffer.from(d).readUInt32BE(0) >= sample.rate) continue
    seqs.push(f.seq)
    hashes += hex(keccak_256(Buffer.concat([be, f.payload.subarray(0, sample.sliceLen)])))
  }
  return { seqs, hashes }
}

t.test('sampling follows its definition', async (t) => {
  const frames = Array.from({ length: 400 }, (_, i) => frame(i, r.int(50), r.int(300)))
  frames.push(frame(17), frame(3)) // retransmissions are never sampled
  const counted = Array.from({ length: 400 }, (_, i) => i)
  const seed = r.bytes(32)
  for (const rate of [0, 1, 2 ** 30, 2 ** 31, 2 ** 32 - 1, 2 ** 32]) {
    for (const sliceLen of [0, 1, 64, 299, 100_000]) {
      const sample = { seed, rate, sliceLen }
      const exp = expectedSample(frames, counted, sample)
      for (const [name, c] of impls) {
        const res = c.countPackets(encode(frames), fresh(), sample)
        t.same(res.sampledSeqs, exp.seqs, `${name} rate ${rate} sliceLen ${sliceLen}: seqs`)
        t.equal(hex(res.sliceHashes), exp.hashes, `${name} rate ${rate} sliceLen ${sliceLen}: slice hashes`)
      }
    }
  }
  const all = jsCore.countPackets(encode(frames), fresh(), { seed, rate: 2 ** 32, sliceLen: 8 })
  t.equal(all.sampledSeqs.length, 400, 'rate 2^32 samples every counted packet')
  const half = jsCore.countPackets(encode(frames), fresh(), { seed, rate: 2 ** 31, sliceLen: 8 })
  t.ok(half.sampledSeqs.length > 140 && half.sampledSeqs.length < 260, 'rate 2^31 samples about half')
  if (wasm) {
    const res = wasm.countPackets(encode(frames), fresh(), { seed, rate: 2 ** 31, sliceLen: 8 })
    t.equal(hex(wasm.merkleRoot('keccak256', res.sliceHashes)), hex(jsCore.merkleRoot('keccak256', half.sliceHashes)), 'sampleRoot')
  }
})

t.test('malformed buffers throw CORE_BAD_FRAME naming the offset', async (t) => {
  const good = encode([frame(1, 3, 10)]) // 23 bytes
  const v = (bytes: number[]): Uint8Array => Buffer.concat([good, Buffer.from(bytes)])
  const cases: [string, Uint8Array, number][] = [
    ['truncated length field', v([0, 0, 0]), 23],
    ['frameLen < 6', v([0, 0, 0, 5, 0, 0, 0, 2, 0]), 23],
    ['headerLen > frameLen - 6', v([0, 0, 0, 8, 0, 0, 0, 2, 0, 3, 1, 2]), 23],
    ['frame past the end', v([0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 1, 2]), 23],
    ['huge frameLen', v([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0, 0]), 23],
    ['truncated first frame', good.subarray(0, 22), 0],
  ]
  for (const [name, c] of impls) {
    for (const [what, buf, offset] of cases) {
      t.throws(
        () => c.countPackets(buf, fresh(), none),
        { code: 'CORE_BAD_FRAME', meta: { offset }, message: new RegExp(`offset ${offset}\\b`) },
        `${name}: ${what}`,
      )
    }
    t.throws(() => c.countPackets(good, fresh(), { ...none, seed: new Uint8Array(31) }), { code: 'CORE_BAD_ARG' })
    t.throws(() => c.countPackets(good, fresh(), { ...none, rate: 2 ** 32 + 1 }), { code: 'CORE_BAD_ARG' })
    t.throws(() => c.countPackets(good, { ...fresh(), highestSeq: -2 }, none), { code: 'CORE_BAD_ARG' })
    t.throws(() => c.countPackets(good, { ...fresh(), window: 1n << 64n }, none), { code: 'CORE_BAD_ARG' })
  }
})

t.test('wasm == js fallback on random frame streams', async (t) => {
  if (!wasm) return
  const g = prng(4242)
  let mismatches = 0
  let calls = 0
  for (let stream = 0; stream < 150; stream++) {
    let states: [CounterState, CounterState] = [fresh(), fresh()]
    let seq = g.int(2) === 0 ? g.u32() : g.int(1000)
    const sample = { seed: g.bytes(32), rate: [0, g.u32(), 2 ** 32][g.int(3)]!, sliceLen: g.int(200) }
    for (let call = 0; call < 4; call++) {
      const frames: Frame[] = []
      for (let i = 0, n = g.int(60); i < n; i++) {
        const roll = g.int(10)
        // mostly in order, some duplicates, reordering and stale or far-future seqs
        if (roll < 6) seq = (seq + 1) >>> 0
        else if (roll < 8) seq = Math.max(0, seq - g.int(70))
        else if (roll < 9) seq = (seq + g.int(200)) >>> 0
        frames.push(frame(seq, g.int(30), g.int(400)))
      }
      const buf = encode(frames)
      const a = jsCore.countPackets(buf, states[0], sample)
      const b = wasm.countPackets(buf, states[1], sample)
      calls++
      const same =
        a.state.highestSeq === b.state.highestSeq &&
        a.state.window === b.state.window &&
        a.state.packets === b.state.packets &&
        a.state.payloadBytes === b.state.payloadBytes &&
        a.packets === b.packets &&
        a.payloadBytes === b.payloadBytes &&
        a.retransmissions === b.retransmissions &&
        a.sampledSeqs.join() === b.sampledSeqs.join() &&
        hex(a.sliceHashes) === hex(b.sliceHashes)
      if (!same) mismatches++
      states = [a.state, b.state]
    }
  }
  t.equal(mismatches, 0, `${calls} calls on 150 random streams`)
})

t.test('frames given as parts count exactly as the joined bytes, wherever they are cut', async (t) => {
  const g = prng(4242)
  const frames = Array.from({ length: 40 }, (_, i) => frame(i % 7 === 6 ? i - 3 : i, g.int(30), g.int(300)))
  const buf = encode(frames)
  const sample = { seed: g.bytes(32), rate: 2 ** 31, sliceLen: 64 }
  const noise = encode([{ seq: 0, header: new Uint8Array(0), payload: g.bytes(buf.length) }])
  for (const [name, c] of impls) {
    const whole = c.countPackets(buf, fresh(), sample)
    for (let round = 0; round < 30; round++) {
      // random cuts, empty parts included
      const cuts = Array.from({ length: g.int(12) }, () => g.int(buf.length + 1)).sort((a, b) => a - b)
      const parts = [0, ...cuts].map((from, i) => buf.subarray(from, [...cuts, buf.length][i]))
      // other bytes where these go first (the WASM core copies only what the counter reads of parts)
      c.countPackets(noise, fresh(), none)
      const res = c.countPackets(parts, fresh(), sample)
      t.same(res, whole, `${name}: cut at ${cuts.join(',')}`)
    }
    t.same(c.countPackets([], fresh(), sample).state, fresh(), `${name}: no parts count nothing`)
    const short = [buf.subarray(0, 50), buf.subarray(50, buf.length - 1)]
    t.throws(() => c.countPackets(short, fresh(), sample), { code: 'CORE_BAD_FRAME' }, `${name}: a truncated last frame in parts is refused`)
  }
})
