/**
 * Sample seeds for the sampling floor's tests: a seed under which the packet counter's own draw
 * picks none of the first frames, so whatever a short session commits to comes from the floor.
 */
import { core, initialCounterState } from '../../src/core/index.js'

/** `n` frames of seqs 0 … n − 1, each with a 1-byte payload (what the draw looks at is the seq) */
function framesOfSeqs(n: number): Uint8Array {
  const out = new Uint8Array(11 * n)
  const v = new DataView(out.buffer)
  for (let s = 0; s < n; s++) {
    v.setUint32(11 * s, 7) // frameLen: seq 4 + headerLen 2 + payload 1
    v.setUint32(11 * s + 4, s)
    v.setUint16(11 * s + 8, 0)
    out[11 * s + 10] = s & 0xff
  }
  return out
}

/** the first seed fill(k), k = 0 … 255, under which `rate` samples none of seqs 0 … n − 1 */
export function seedSamplingNone(rate: number, n: number): Uint8Array {
  const frames = framesOfSeqs(n)
  for (let k = 0; k < 256; k++) {
    const seed = new Uint8Array(32).fill(k)
    if (core.countPackets(frames, initialCounterState(), { seed, rate, sliceLen: 64 }).sampledSeqs.length === 0) return seed
  }
  throw new Error(`no fill seed samples none of the first ${n} seqs at rate ${rate}`)
}

/** the first seed fill(k) under which `rate` samples seq `seq` */
export function seedSampling(rate: number, seq: number): Uint8Array {
  const frames = framesOfSeqs(seq + 1).subarray(11 * seq)
  for (let k = 0; k < 256; k++) {
    const seed = new Uint8Array(32).fill(k)
    if (core.countPackets(frames, initialCounterState(), { seed, rate, sliceLen: 64 }).sampledSeqs.length === 1) return seed
  }
  throw new Error(`no fill seed samples seq ${seq} at rate ${rate}`)
}
