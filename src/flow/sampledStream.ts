/**
 * One direction of a counted byte stream (DESIGN §5.2–5.3): the sender's and the receiver's
 * packet-counter states, and the sender's sampled slices — their hashes in stream order (what a
 * receipt's sampleRoot commits to) and the payload slices themselves (what an opening needs).
 * Shared by the traffic simulator (src/flowSim) and the real traffic agents (src/flowAgent).
 */
import { core as defaultCore, initialCounterState, type Core, type CountResult, type CounterState, type SampleParams } from '../core/index.js'
import { makeOpening, openingIndex, openingSeed, sliceLeaf, type SliceOpening } from './sampling.js'

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

/**
 * Records what the sender's countPackets call `s` sampled: its slice hashes and seqs, and the
 * payload slice of each sampled packet that `payloadOf` knows (a copy is kept: the caller's
 * buffer may be reused).
 */
export function recordSamples(stream: Stream, s: CountResult, payloadOf: (pktSeq: number) => Uint8Array | undefined): void {
  for (let i = 0; i < s.sampledSeqs.length; i++) {
    const pktSeq = s.sampledSeqs[i]!
    stream.slices.push(s.sliceHashes.slice(32 * i, 32 * i + 32))
    stream.sampledSeqs.push(pktSeq)
    const p = payloadOf(pktSeq)
    if (p !== undefined) stream.sampledPayloads.set(pktSeq, p.slice())
  }
}

/**
 * The sampling floor (docs/decisions.md "Short sessions are auditable"): in a direction that
 * samples (rate > 0), the first counted frame that carries payload is sampled whether the draw
 * picked it or not, so a receipt that claims bytes sent commits to at least one slice and can
 * answer an opening however short its session. Both ends apply it to the same frames (the tunnel's
 * version 2), so their sampleRoots still agree.
 *
 * `r` is the countPackets result of ONE frame (seq `pktSeq`, payload `payload`, in one or more
 * parts), counted on the direction's threaded state: it is the first payload frame when no payload
 * was counted before it (r.state.payloadBytes = its own payload). A control frame the draw sampled
 * earlier does not count: its empty slice is known to anyone. Returns `r` itself, or `r` with that
 * frame sampled: slice hash keccak256(u32be(pktSeq) ‖ payload[0, sliceLen)), as the counter
 * hashes. A retransmission (not counted) or an empty payload is never floored.
 */
export function withSampleFloor(
  r: CountResult,
  sample: SampleParams,
  pktSeq: number,
  payload: Uint8Array | readonly Uint8Array[],
  c: Core = defaultCore,
): CountResult {
  if (sample.rate === 0 || r.packets !== 1 || r.payloadBytes === 0 || r.state.payloadBytes !== BigInt(r.payloadBytes) || r.sampledSeqs.length > 0) return r
  return { ...r, sampledSeqs: [pktSeq], sliceHashes: sliceLeaf(pktSeq, headOf(payload, sample.sliceLen), c) }
}

/** the first `n` bytes of `parts` (all of them when shorter), copied only when they span parts */
function headOf(parts: Uint8Array | readonly Uint8Array[], n: number): Uint8Array {
  if (parts instanceof Uint8Array) return parts.subarray(0, n)
  if (parts.length === 1 || (parts.length > 0 && parts[0]!.length >= n)) return parts[0]!.subarray(0, n)
  const out: number[] = []
  for (const p of parts) {
    for (let i = 0; i < p.length && out.length < n; i++) out.push(p[i]!)
    if (out.length >= n) break
  }
  return Uint8Array.from(out)
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
