/**
 * The simulator's provider can open what its receipts commit to: after real bursts through the
 * packet counter, the opening `openingFor` builds for any prefix of the sampled slices (one
 * receipt's count) verifies against that receipt's sampleRoot at the leaf the seed picks; a
 * count the stream never sampled is refused with a clear error.
 */
import t from 'tap'
import { core } from '../../../src/core/index.js'
import { openingIndex, openingSeed, sampleRootOfSlices, verifyOpening } from '../../../src/flow/sampling.js'
import { newStream, openingFor, packedSlices } from '../../../src/flow/sampledStream.js'
import { Rng, sendBurst } from '../../../src/flowSim/traffic.js'
import { seedSamplingNone } from '../../helpers/sampleSeeds.js'

const h = (s: string): Uint8Array => core.keccak256(new TextEncoder().encode(s))

t.test('openings of every receipt prefix verify against its sampleRoot', async (t) => {
  const stream = newStream()
  const rng = new Rng(7)
  const sample = { seed: h('final block'), rate: Math.floor(2 ** 32 / 16), sliceLen: 64 }
  const roots: { count: number; sampleRoot: Uint8Array }[] = []
  for (let tick = 0; tick < 6; tick++) {
    sendBurst(stream, rng, 32 * 1024, sample, 50)
    const { sampleRoot, count } = sampleRootOfSlices(packedSlices(stream))
    roots.push({ count, sampleRoot })
  }
  t.equal(stream.sampledSeqs.length, stream.slices.length, 'one seq per sampled slice')
  t.ok(roots[0]!.count >= 1 && roots[5]!.count > roots[0]!.count, `slices sampled as the stream grew (${roots.map((r) => r.count).join(', ')})`)
  const sessionId = h('session')
  roots.forEach(({ count, sampleRoot }, i) => {
    const seq = BigInt(i + 1)
    const seedHash = h(`seed block ${i}`)
    const o = openingFor(stream, count, seedHash, sessionId, seq)
    const index = openingIndex(openingSeed(seedHash, sessionId, seq), count)
    t.ok(verifyOpening(sampleRoot, index, o), `receipt ${seq} (${count} slices): leaf ${index} opens`)
    t.notOk(verifyOpening(sampleRoot, (index + 1) % count === index ? index + 1 : (index + 1) % count, o), 'not at another leaf')
  })
  t.throws(() => openingFor(stream, stream.slices.length + 1, h('s'), sessionId, 1n), /the receipt committed to \d+ slices but the stream sampled \d+/)
  t.throws(() => openingFor(stream, 0, h('s'), sessionId, 1n), /committed to 0 slices/)
})

t.test('the sampling floor: a short first burst the draw samples nothing of still commits to its first frame', async (t) => {
  const rate = Math.floor(2 ** 32 / 64)
  const sample = { seed: seedSamplingNone(rate, 64), rate, sliceLen: 64 }
  const stream = newStream()
  const tick = sendBurst(stream, new Rng(3), 2_000, sample, 0)
  t.ok(tick.packets < 64 && tick.sent > 0n, `a few frames (${tick.packets}, ${tick.sent} bytes)`)
  t.strictSame(stream.sampledSeqs, [0], 'seq 0, the first frame, sampled by the floor')
  t.equal(stream.sender.payloadBytes, tick.sent, 'every byte counted once')
  const { sampleRoot, count } = sampleRootOfSlices(packedSlices(stream))
  t.equal(count, 1)
  const seedHash = h('seed block')
  const o = openingFor(stream, count, seedHash, h('session'), 1n)
  t.ok(verifyOpening(sampleRoot, openingIndex(openingSeed(seedHash, h('session'), 1n), count), o), 'its opening verifies')
  sendBurst(stream, new Rng(4), 2_000, sample, 0)
  t.strictSame(stream.sampledSeqs, [0], 'later bursts are left to the draw (which picks none of these seqs)')
})
