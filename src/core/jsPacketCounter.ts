/**
 * The packet counter of assembly/packetCounter.ts in plain JS (same frame format, window and
 * sampling rule; see interface.ts). Reference for tests and fallback when WASM is unavailable.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { badFrame, checkCounterArgs } from './args.js'
import type { CountResult, CounterState, FrameBytes, SampleParams } from './interface.js'

const WINDOW_MASK = (1n << 64n) - 1n

export function countPackets(input: FrameBytes, state: CounterState, sample: SampleParams): CountResult {
  checkCounterArgs(state, sample)
  const frames = input instanceof Uint8Array ? input : joined(input)
  const view = new DataView(frames.buffer, frames.byteOffset, frames.byteLength)
  const seedBuf = new Uint8Array(36)
  seedBuf.set(sample.seed)
  const seedView = new DataView(seedBuf.buffer)
  let highest = state.highestSeq
  let window = state.window
  let packets = 0
  let bytes = 0
  let retransmissions = 0
  const sampledSeqs: number[] = []
  const hashes: Uint8Array[] = []
  const len = frames.length
  let off = 0
  while (off < len) {
    if (len - off < 4) throw badFrame(1, off)
    const frameLen = view.getUint32(off)
    if (frameLen < 6) throw badFrame(2, off)
    if (frameLen > len - off - 4) throw badFrame(4, off)
    const seq = view.getUint32(off + 4)
    const headerLen = view.getUint16(off + 8)
    if (headerLen > frameLen - 6) throw badFrame(3, off)
    const payloadStart = off + 10 + headerLen
    const payloadLen = frameLen - 6 - headerLen
    off += 4 + frameLen

    if (seq > highest) {
      const shift = seq - highest
      window = shift >= 64 ? 1n : ((window << BigInt(shift)) | 1n) & WINDOW_MASK
      highest = seq
    } else {
      const diff = highest - seq
      const bit = diff < 64 ? 1n << BigInt(diff) : 0n
      if (bit === 0n || (window & bit) !== 0n) {
        retransmissions++
        continue
      }
      window |= bit
    }
    packets++
    bytes += payloadLen

    if (sample.rate === 0) continue
    seedView.setUint32(32, seq)
    const d = keccak_256(seedBuf)
    const draw = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0
    if (draw >= sample.rate) continue
    const slice = Math.min(sample.sliceLen, payloadLen)
    const msg = new Uint8Array(4 + slice)
    new DataView(msg.buffer).setUint32(0, seq)
    msg.set(frames.subarray(payloadStart, payloadStart + slice), 4)
    hashes.push(keccak_256(msg))
    sampledSeqs.push(seq)
  }
  const sliceHashes = new Uint8Array(hashes.length * 32)
  hashes.forEach((h, i) => sliceHashes.set(h, i * 32))
  return {
    state: {
      highestSeq: highest,
      window,
      packets: state.packets + BigInt(packets),
      payloadBytes: state.payloadBytes + BigInt(bytes),
    },
    packets,
    payloadBytes: bytes,
    retransmissions,
    sampledSeqs,
    sliceHashes,
  }
}

/** the parts of FrameBytes as one array (the reference counter reads it in one piece) */
function joined(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
