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
import { core, type SampleParams } from '../core/index.js'
import { concatBytes } from '../flow/receipt.js'
import { recordSamples, withSampleFloor, type Stream } from '../flow/sampledStream.js'

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
  const payloadOf = (pktSeq: number) => payloads.get(pktSeq)
  // the sampling floor (flow/sampledStream.ts withSampleFloor): until the stream counted any
  // payload, a burst's first frame is counted alone and sampled whatever the draw (every frame
  // here carries payload; a retransmission is never floored)
  let floorBytes = 0
  if (stream.sender.payloadBytes === 0n && sent.length > 0) {
    const seq = new DataView(sent[0]!.buffer, sent[0]!.byteOffset).getUint32(4)
    const first = withSampleFloor(core.countPackets(sent[0]!, stream.sender, sample), sample, seq, payloads.get(seq) ?? new Uint8Array(0))
    stream.sender = first.state
    recordSamples(stream, first, payloadOf)
    floorBytes = first.payloadBytes
    sent.shift()
  }
  const s = core.countPackets(concatBytes(...sent), stream.sender, sample)
  const r = core.countPackets(concatBytes(...received), stream.receiver, sample)
  stream.sender = s.state
  stream.receiver = r.state
  recordSamples(stream, s, payloadOf)
  return { sent: BigInt(floorBytes + s.payloadBytes), received: BigInt(r.payloadBytes), wireBytes: wire.length, packets }
}
