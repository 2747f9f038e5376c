/**
 * P2P framing: every message on the wire is `u32be length ‖ u8 type ‖ payload`, where
 * `length` counts the payload bytes only (not the 5-byte header). Each type has its own
 * payload limit, checked as soon as the 5 header bytes are in, so a peer cannot make us
 * buffer a frame we would reject anyway. One WebSocket binary message carries one or more
 * whole frames; a WebSocket message that ends inside a frame is a truncated frame.
 *
 * The P2P error codes live here because every other p2p file imports this one (no cycles).
 */
import { NfcError } from '../util/errors.js'

export const P2pErrorCode = {
  /** a frame header announces a payload larger than its type allows */
  FrameTooLarge: 'P2P_FRAME_TOO_LARGE',
  /** input ended inside a frame */
  FrameTruncated: 'P2P_FRAME_TRUNCATED',
  /** a frame's type byte is not a known message type */
  UnknownType: 'P2P_UNKNOWN_TYPE',
  /** a payload that does not decode as its type */
  BadMessage: 'P2P_BAD_MESSAGE',
  /** the handshake failed: other chain, bad signature, self-connection, timeout… */
  Handshake: 'P2P_HANDSHAKE',
  /** the node key file is unreadable, malformed or readable by others */
  BadKey: 'P2P_BAD_KEY',
  /** the P2P address cannot be bound */
  Listen: 'P2P_LISTEN',
  /** sending on a closed peer, or a message bigger than its limit */
  Send: 'P2P_SEND',
} as const
export type P2pErrorCode = (typeof P2pErrorCode)[keyof typeof P2pErrorCode]

export class P2pError extends NfcError<P2pErrorCode> {}

/** bytes before the payload: u32be length + u8 type */
export const FRAME_HEADER_BYTES = 5

export interface Frame {
  type: number
  payload: Uint8Array
}

/** `limits(type)` → the largest payload allowed for `type`, or undefined if the type is unknown */
export type FrameLimits = (type: number) => number | undefined

export function encodeFrame(type: number, payload: Uint8Array, limits: FrameLimits): Uint8Array {
  const max = limits(type)
  if (max === undefined) throw new P2pError(P2pErrorCode.UnknownType, `unknown message type ${type}`, { type })
  if (payload.length > max) {
    throw new P2pError(P2pErrorCode.Send, `message of type ${type} too large to send`, {
      type,
      size: payload.length,
      max,
    })
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length)
  new DataView(out.buffer).setUint32(0, payload.length, false)
  out[4] = type
  out.set(payload, FRAME_HEADER_BYTES)
  return out
}

/**
 * Streaming decoder. `push` returns every frame completed by the chunk and keeps at most one
 * partial frame, whose size was already checked against its type's limit. Any error is
 * final: after a framing error the byte stream has no trustworthy boundary left, so the
 * caller must drop the connection.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** header of the frame being assembled, once its 5 bytes are in */
  private want: { type: number; length: number } | undefined
  private failed: P2pError | undefined

  constructor(private readonly limits: FrameLimits) {}

  /** bytes held for an incomplete frame */
  get pending(): number {
    return this.buffered
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw this.failed
    const frames: Frame[] = []
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    for (;;) {
      if (!this.want) {
        if (this.buffered < FRAME_HEADER_BYTES) break
        const head = this.take(FRAME_HEADER_BYTES)
        const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false)
        const type = head[4]!
        const max = this.limits(type)
        if (max === undefined) {
          return this.fail(new P2pError(P2pErrorCode.UnknownType, `unknown message type ${type}`, { type }))
        }
        if (length > max) {
          return this.fail(
            new P2pError(P2pErrorCode.FrameTooLarge, `frame of type ${type} announces ${length} bytes, limit ${max}`, {
              type,
              length,
              max,
            }),
          )
        }
        this.want = { type, length }
      }
      if (this.buffered < this.want.length) break
      frames.push({ type: this.want.type, payload: this.take(this.want.length) })
      this.want = undefined
    }
    return frames
  }

  /** input ends here (end of a WebSocket message, or of the stream): nothing may be left over */
  end(): void {
    if (this.failed) throw this.failed
    if (this.buffered > 0 || this.want) {
      const meta = { buffered: this.buffered, type: this.want?.type, length: this.want?.length }
      this.fail(new P2pError(P2pErrorCode.FrameTruncated, 'input ended inside a frame', meta))
    }
  }

  private fail(e: P2pError): never {
    this.failed = e
    this.chunks = []
    this.buffered = 0
    this.want = undefined
    throw e
  }

  /** remove and return the first n buffered bytes (n ≤ buffered) */
  private take(n: number): Uint8Array {
    this.buffered -= n
    const first = this.chunks[0]!
    if (first.length === n) {
      this.chunks.shift()
      return first
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = new Uint8Array(n)
    let off = 0
    while (off < n) {
      const c = this.chunks[0]!
      const k = Math.min(c.length, n - off)
      out.set(c.subarray(0, k), off)
      off += k
      if (k === c.length) this.chunks.shift()
      else this.chunks[0] = c.subarray(k)
    }
    return out
  }
}
