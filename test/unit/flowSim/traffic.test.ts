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
