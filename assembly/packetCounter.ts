// Packet counter (DESIGN §5.2/5.3): counts payload bytes of a stream of frames, once per seq,
// and hashes the payload slices of a seed-selected sample of the counted packets.
//
// Frame format (all integers big-endian):
//   u32 frameLen   bytes of the frame after this field (so the frame occupies 4 + frameLen)
//   u32 seq
//   u16 headerLen
//   header[headerLen]                    not counted
//   payload[frameLen - 6 - headerLen]    counted
// A frame with frameLen < 6, headerLen > frameLen - 6, or running past the buffer is malformed.
//
// Anti-replay window (as IPsec): highestSeq (-1 before any packet) and a 64-bit bitmap whose
// bit i says seq highestSeq - i was seen. A seq already seen, or more than 63 below highestSeq,
// is a retransmission: skipped and only counted as such.
//
// Sampling: a counted packet with seq s is sampled iff the first 4 bytes (big-endian u32) of
// keccak256(seed ‖ u32be(s)) < rate (rate in parts per 2^32, up to 2^32 = everything); its slice
// hash is keccak256(u32be(s) ‖ payload[0 .. min(sliceLen, payloadLen))).
import { keccak256 } from './keccak'

// In/out block shared with the host (offsets in bytes):
//   0 i64 highestSeq   8 u64 window   16 u64 packets   24 u64 payloadBytes   (state, in and out)
//   32 u64 retransmissions (this call)   40 u32 sampled (this call)
//   44 u32 error code (0 none)   48 u32 error offset   52 u32 packets (this call)
//   56 u64 payloadBytes (this call)
const CTR: usize = memory.data(64, 16)
const SEED: usize = memory.data(48, 16)
const DIGEST: usize = memory.data(32, 16)

export const ERR_TRUNCATED_LENGTH: u32 = 1
export const ERR_SHORT_FRAME: u32 = 2
export const ERR_HEADER_TOO_LONG: u32 = 3
export const ERR_TRUNCATED_FRAME: u32 = 4

export function counterBlock(): usize {
  return CTR
}

/** The seed is 32 bytes at seed; sampled seqs go to seqOut (u32 each), slice hashes to hashOut. */
export function countPackets(
  ptr: usize, len: usize, seed: usize, rate: u64, sliceLen: u32, seqOut: usize, hashOut: usize,
): void {
  let highest = load<i64>(CTR, 0)
  let window = load<u64>(CTR, 8)
  let packets: u32 = 0
  let bytes: u64 = 0
  let retrans: u64 = 0
  let sampled: u32 = 0
  let err: u32 = 0
  memory.copy(SEED, seed, 32)
  let off: usize = 0
  while (off < len) {
    if (len - off < 4) { err = ERR_TRUNCATED_LENGTH; break }
    const frameLen = <usize>bswap<u32>(load<u32>(ptr + off))
    if (frameLen < 6) { err = ERR_SHORT_FRAME; break }
    if (<u64>frameLen > <u64>(len - off - 4)) { err = ERR_TRUNCATED_FRAME; break }
    const seq = bswap<u32>(load<u32>(ptr + off, 4))
    const headerLen = <usize>bswap<u16>(load<u16>(ptr + off, 8))
    if (headerLen > frameLen - 6) { err = ERR_HEADER_TOO_LONG; break }
    const payload = ptr + off + 10 + headerLen
    const payloadLen = frameLen - 6 - headerLen
    off += 4 + frameLen

    const s = <i64>seq
    if (s > highest) {
      const shift = s - highest
      window = shift >= 64 ? 1 : (window << shift) | 1
      highest = s
    } else {
      const diff = highest - s
      const bit: u64 = <u64>1 << diff
      if (diff >= 64 || (window & bit) != 0) {
        retrans++
        continue
      }
      window |= bit
    }
    packets++
    bytes += payloadLen

    if (rate == 0) continue
    store<u32>(SEED, bswap<u32>(seq), 32)
    keccak256(SEED, 36, DIGEST)
    if (<u64>bswap<u32>(load<u32>(DIGEST)) >= rate) continue
    // The 4 bytes before the payload belong to this frame's already-parsed fields (frame data
    // is the host's scratch copy), so u32be(s) is written there to hash prefix ‖ slice in place.
    store<u32>(payload - 4, bswap<u32>(seq))
    const slice = payloadLen < <usize>sliceLen ? payloadLen : <usize>sliceLen
    keccak256(payload - 4, slice + 4, hashOut + (<usize>sampled << 5))
    store<u32>(seqOut + (<usize>sampled << 2), seq)
    sampled++
  }
  store<i64>(CTR, highest, 0)
  store<u64>(CTR, window, 8)
  store<u64>(CTR, load<u64>(CTR, 16) + packets, 16)
  store<u64>(CTR, load<u64>(CTR, 24) + bytes, 24)
  store<u64>(CTR, retrans, 32)
  store<u32>(CTR, sampled, 40)
  store<u32>(CTR, err, 44)
  store<u32>(CTR, <u32>off, 48)
  store<u32>(CTR, packets, 52)
  store<u64>(CTR, bytes, 56)
}
