/**
 * Simulated traffic for `nfc flow simulate`: real byte streams in the packet counter's frame
 * format, counted at both ends of a session by the WASM packet counter (DESIGN §5.2), with the
 * sampled slice hashes that become a receipt's sampleRoot (§5.3).
 *
 * The provider counts what it sent, the consumer what it received: frames lost in transit are
 * counted by the provider only, retransmissions by neither a second time. A receipt carries the
 * smaller of the two counts (the consumer never acknowledges more than it saw) — `min(claim,
 * ack)` of §5.5, applied where the receipt is drafted.
 *
 * Randomness is a seeded xorshift: a run with the same seed sends the same bytes.
 */
import { core, initialCounterState, type CounterState, type SampleParams } from '../core/index.js'
import { concatBytes } from '../flow/receipt.js'
import { makeOpening, openingIndex, openingSeed, type SliceOpening } from '../flow/sampling.js'

export class Rng {
  private x: number
  constructor(seed: number) {
    this.x = seed >>> 0 || 0x9e3779b9
  }
  next(): number {
    let x = this.x
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    this.x = x >>> 0
    return this.x
  }
  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1))
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += 4) {
      const v = this.next()
      out[i] = v & 0xff
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff
      if (i + 3 < n) out[i + 3] = v >>> 24
    }
    return out
  }
}

const HEADER_LEN = 40

/** One direction of a session: the next packet seq and the two ends' counters. */
export interface Stream {
  nextSeq: number
  sender: CounterState
  receiver: CounterState
  /** sampled slice hashes of the sender, 32 bytes each, in stream order */
  slices: Uint8Array[]
  /** the packets whose slices were sampled, for openings: pktSeq → first sliceLen payload bytes */
  sampledPayloads: Map<number, Uint8Array>
  /** the sampled packets' seqs, in stream order (`slices[i]` is the slice hash of `sampledSeqs[i]`) */
  sampledSeqs: number[]
}

export function newStream(): Stream {
  return { nextSeq: 0, sender: initialCounterState(), receiver: initialCounterState(), slices: [], sampledPayloads: new Map(), sampledSeqs: [] }
}

function frame(seq: number, header: Uint8Array, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(10 + header.length + payload.length)
  const v = new DataView(f.buffer)
  v.setUint32(0, 6 + header.length + payload.length)
  v.setUint32(4, seq)
  v.setUint16(8, header.length)
  f.set(header, 10)
  f.set(payload, 10 + header.length)
  return f
}

export interface TickResult {
  /** payload bytes newly counted by the sender / the receiver */
  sent: bigint
  received: bigint
  /** bytes put on the wire, headers and retransmissions included */
  wireBytes: number
  packets: number
}

/**
 * Sends about `bytes` of payload on `stream`: MTU-sized and smaller frames, one in 50 a
 * retransmission of a recent packet, one in `lossEvery` lost before the receiver (0: none).
 */
export function sendBurst(stream: Stream, rng: Rng, bytes: number, sample: SampleParams, lossEvery: number): TickResult {
  const sent: Uint8Array[] = []
  const received: Uint8Array[] = []
  const payloads = new Map<number, Uint8Array>()
  let total = 0
  let packets = 0
  while (total < bytes) {
    const retransmit = stream.nextSeq > 4 && rng.int(0, 49) === 0
    const seq = retransmit ? stream.nextSeq - rng.int(1, 3) : stream.nextSeq++
    const payload = rng.bytes(rng.int(200, 1400))
    const f = frame(seq, rng.bytes(HEADER_LEN), payload)
    sent.push(f)
    if (!(lossEvery > 0 && rng.int(1, lossEvery) === 1)) received.push(f)
    if (!retransmit) payloads.set(seq, payload.subarray(0, sample.sliceLen))
    total += payload.length
    packets++
  }
  const wire = concatBytes(...sent)
  const s = core.countPackets(wire, stream.sender, sample)
  const r = core.countPackets(concatBytes(...received), stream.receiver, sample)
  stream.sender = s.state
  stream.receiver = r.state
  for (let i = 0; i < s.sampledSeqs.length; i++) {
    stream.slices.push(s.sliceHashes.slice(32 * i, 32 * i + 32))
    stream.sampledSeqs.push(s.sampledSeqs[i]!)
    const p = payloads.get(s.sampledSeqs[i]!)
    if (p !== undefined) stream.sampledPayloads.set(s.sampledSeqs[i]!, p)
  }
  return { sent: BigInt(s.payloadBytes), received: BigInt(r.payloadBytes), wireBytes: wire.length, packets }
}

/** The sender's sampled slice hashes packed back to back (what sampleRootOfSlices takes). */
export function packedSlices(stream: Stream): Uint8Array {
  // (no spread: a long run samples more slices than a call can take arguments)
  const out = new Uint8Array(32 * stream.slices.length)
  stream.slices.forEach((h, i) => out.set(h, 32 * i))
  return out
}

/**
 * The provider's answer to a slice challenge on the receipt that committed to the first `count`
 * sampled slices of `stream` (its sampleRoot): the leaf openingIndex(openingSeed(seedHash,
 * sessionId, seq), count) with its Merkle path, as FlowRewards.openSlice takes it.
 */
export function openingFor(stream: Stream, count: number, seedHash: Uint8Array, sessionId: Uint8Array, seq: bigint): SliceOpening {
  if (!Number.isInteger(count) || count < 1 || count > stream.sampledSeqs.length) {
    throw new RangeError(`the receipt committed to ${count} slices but the stream sampled ${stream.sampledSeqs.length}`)
  }
  const slices = stream.sampledSeqs.slice(0, count).map((pktSeq) => {
    const slice = stream.sampledPayloads.get(pktSeq)
    if (slice === undefined) throw new RangeError(`no payload kept for sampled packet ${pktSeq}`)
    return { pktSeq, slice }
  })
  return makeOpening(slices, openingIndex(openingSeed(seedHash, sessionId, seq), count))
}
