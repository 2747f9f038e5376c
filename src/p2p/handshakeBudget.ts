/**
 * What a connection may send before its P2P handshake is done (DESIGN §11): `ws` accepts any
 * WebSocket message up to its `maxPayload` (the largest P2P payload, 16 MiB) and buffers and
 * unmasks all of it before our 512-byte Hello limit sees the first byte. `HandshakeBudget`
 * reads the WebSocket frame headers (RFC 6455 §5.2) in the raw bytes as they come off the
 * socket, before `ws` buffers them, and says when the other side breaks the handshake's shape:
 *
 * - each of its first `HANDSHAKE_MESSAGES` data messages (Hello, HelloAck — or a Disconnect)
 *   is at most `HANDSHAKE_MESSAGE_MAX_BYTES` long, judged on the frame header, so a big message
 *   is refused before its body arrives;
 * - all it sends up to the end of its second message (control frames and headers included) is
 *   at most `PRE_HANDSHAKE_BUDGET_BYTES`.
 *
 * After the second message it reports `'done'`: what follows may be an honest peer's first
 * chain message (it finished its side of the handshake before we finished ours), which the
 * transport holds back by pausing the socket until the handshake is through. Pure: bytes in,
 * a verdict out.
 */
import { FRAME_HEADER_BYTES } from './framing.js'
import { MAX_PAYLOAD, MessageType } from './messages.js'

/** data messages the handshake takes from the other side: its Hello and its HelloAck */
export const HANDSHAKE_MESSAGES = 2

/** the largest WebSocket data message before the handshake: one Hello, HelloAck or Disconnect frame */
export const HANDSHAKE_MESSAGE_MAX_BYTES =
  FRAME_HEADER_BYTES + Math.max(MAX_PAYLOAD[MessageType.Hello], MAX_PAYLOAD[MessageType.HelloAck], MAX_PAYLOAD[MessageType.Disconnect])

/** all bytes before the end of the second message: two largest messages, their WebSocket headers, slack for a few pings */
export const PRE_HANDSHAKE_BUDGET_BYTES = 4 * 1024

/** WebSocket opcodes 0x8 and up are control frames (close, ping, pong), at most 125 bytes each */
const FIRST_CONTROL_OPCODE = 0x8
const FIN_BIT = 0x80
const MASK_BIT = 0x80
const OPCODE_BITS = 0x0f
const LENGTH_BITS = 0x7f
const LENGTH_16 = 126
const LENGTH_64 = 127
const MASK_KEY_BYTES = 4
/** the longest WebSocket frame header: 2 bytes, a 64-bit length, a mask key */
const MAX_WS_HEADER_BYTES = 2 + 8 + MASK_KEY_BYTES

export type BudgetVerdict =
  /** within the budget, the handshake's messages not all in yet */
  | { state: 'reading' }
  /** the handshake's messages are in, within the budget: stop reading */
  | { state: 'done' }
  /** the other side broke the budget: cut the connection */
  | { state: 'over'; why: string }

export class HandshakeBudget {
  /** bytes seen so far, up to the end of the last message counted */
  private seen = 0
  /** header bytes of the frame being read (only while its header is incomplete) */
  private header = Buffer.alloc(0)
  /** payload bytes of the current frame still to skip */
  private skip = 0
  /** the current frame is the last one of a data message */
  private fin = false
  /** the current frame is a data frame (its bytes count towards the message) */
  private data = false
  /** bytes of the data message being read, over its fragments so far */
  private messageBytes = 0
  private messages = 0
  private verdict: BudgetVerdict = { state: 'reading' }

  /** read the next bytes off the socket; once 'done' or 'over', further bytes change nothing */
  push(chunk: Uint8Array): BudgetVerdict {
    let at = 0
    while (at < chunk.length && this.verdict.state === 'reading') {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at)
        at += n
        this.skip -= n
        this.count(n)
        if (this.skip === 0) this.endFrame()
        continue
      }
      const need = Math.min(MAX_WS_HEADER_BYTES - this.header.length, chunk.length - at)
      const header = Buffer.concat([this.header, chunk.subarray(at, at + need)])
      const len = headerLength(header)
      if (len === undefined || header.length < len) {
        // the header is not complete yet: keep what there is
        this.header = header
        at += need
        this.count(need)
        continue
      }
      const used = len - this.header.length
      at += used
      this.count(used)
      this.header = Buffer.alloc(0)
      this.startFrame(header.subarray(0, len))
    }
    return this.verdict
  }

  private count(n: number): void {
    this.seen += n
    if (this.verdict.state === 'reading' && this.seen > PRE_HANDSHAKE_BUDGET_BYTES) {
      this.verdict = { state: 'over', why: `more than ${PRE_HANDSHAKE_BUDGET_BYTES} bytes before the handshake` }
    }
  }

  private startFrame(header: Buffer): void {
    const opcode = header[0]! & OPCODE_BITS
    const payload = payloadLength(header)
    this.fin = (header[0]! & FIN_BIT) !== 0
    this.data = opcode < FIRST_CONTROL_OPCODE
    if (this.data) {
      this.messageBytes += payload
      if (this.messageBytes > HANDSHAKE_MESSAGE_MAX_BYTES) {
        this.verdict = { state: 'over', why: `a ${this.messageBytes}-byte message before the handshake (at most ${HANDSHAKE_MESSAGE_MAX_BYTES})` }
        return
      }
    }
    this.skip = payload
    if (payload === 0) this.endFrame()
  }

  private endFrame(): void {
    if (!this.data || !this.fin) return
    this.messageBytes = 0
    this.messages++
    if (this.messages >= HANDSHAKE_MESSAGES && this.verdict.state === 'reading') this.verdict = { state: 'done' }
  }
}

/** the whole header's length once its first bytes are in (undefined: fewer than 2 bytes) */
function headerLength(header: Buffer): number | undefined {
  if (header.length < 2) return undefined
  const len7 = header[1]! & LENGTH_BITS
  const ext = len7 === LENGTH_16 ? 2 : len7 === LENGTH_64 ? 8 : 0
  return 2 + ext + (header[1]! & MASK_BIT ? MASK_KEY_BYTES : 0)
}

/** the payload length a complete header announces (a 64-bit length past 2^53 reads as infinite: over any budget) */
function payloadLength(header: Buffer): number {
  const len7 = header[1]! & LENGTH_BITS
  if (len7 === LENGTH_16) return header.readUInt16BE(2)
  if (len7 === LENGTH_64) {
    const n = header.readBigUInt64BE(2)
    return n > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(n)
  }
  return len7
}
