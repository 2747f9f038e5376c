/**
 * The tunnel between a consumer agent and a provider agent: one TCP connection carrying
 * frames in exactly the packet counter's frame format (core `countPackets`), so both ends count
 * the very bytes on the wire:
 *
 *   u32 frameLen ‖ u32 seq ‖ u16 headerLen ‖ header ‖ payload      (big-endian)
 *   header = u8 kind ‖ u32 streamId ‖ body
 *
 * `seq` numbers the frames of one direction from 0. Only DATA frames have a payload — the bytes
 * of the application's streams, which are what both ends count (DESIGN §5.2: headers excluded);
 * control messages travel in the header `body` (UTF-8 JSON, a receipt as RLP) with an empty
 * payload, so they count zero bytes. Streams are numbered by the consumer (1, 2, …); stream 0
 * is the tunnel itself (HELLO, WELCOME, RECEIPT, COSIGN, REFUSE, CLOSE).
 *
 * Payment channels (issue 19, built elsewhere) hook in here: COSIGN has an optional `voucher`
 * that travels with each co-signature, and the agents call a `PaymentHook` per receipt.
 */
import { decodeReceipt, encodeReceipt, type SignedReceipt } from '../flow/receipt.js'
import { AgentError, AgentErrorCode } from './errors.js'

/**
 * the tunnel format's version, in HELLO and WELCOME. 2: the sampling floor (the first payload frame
 * of a sampled direction is always sampled, flow/sampledStream.ts `withSampleFloor`); a version-1
 * agent would compute another sampleRoot, so the two refuse each other at HELLO.
 */
export const TUNNEL_VERSION = 2
/** the largest payload of one DATA frame (bigger reads are split) */
export const MAX_PAYLOAD_BYTES = 64 * 1024
/** the largest header: a receipt's RLP and any voucher fit many times over */
export const MAX_HEADER_BYTES = 16 * 1024
const FRAME_PREFIX_BYTES = 10
const KIND_STREAM_BYTES = 5

export const FrameKind = {
  /** consumer → provider, stream 0: HelloMsg */
  HELLO: 1,
  /** provider → consumer, stream 0: WelcomeMsg */
  WELCOME: 2,
  /** consumer → provider: a new stream (the SOCKS5 conversation follows in its DATA) */
  OPEN: 3,
  /** either way: stream bytes in the payload */
  DATA: 4,
  /** either way: the sender writes no more on the stream (half-close) */
  END: 5,
  /** either way: the stream is aborted */
  RESET: 6,
  /** provider → consumer, stream 0: a receipt the provider signed (RLP; consumerSignature zero) */
  RECEIPT: 7,
  /** consumer → provider, stream 0: CosignMsg */
  COSIGN: 8,
  /** consumer → provider, stream 0: RefuseMsg */
  REFUSE: 9,
  /** either way, stream 0: CloseMsg, then the connection ends */
  CLOSE: 10,
} as const
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind]
const KINDS = new Set<number>(Object.values(FrameKind))

export interface Frame {
  seq: number
  kind: FrameKind
  streamId: number
  body: Uint8Array
  /** the payload in one piece (joined on first use when the frame came in several socket reads) */
  readonly payload: Uint8Array
  /** the whole frame as on the wire, in one piece (joined on first use, as `payload`) */
  readonly raw: Uint8Array
  /** the frame's bytes as they arrived (what the link counts: countPackets takes parts) */
  rawParts: readonly Uint8Array[]
  /** the payload's bytes as they arrived (what the link delivers: no copy) */
  payloadParts: readonly Uint8Array[]
}

/** Payment-channel seam: a voucher is the channel's business; the tunnel carries it as a flat JSON object of strings. */
export type VoucherJson = Readonly<Record<string, string>>

export interface HelloMsg {
  version: number
  consumer: string
  chainId: string
}
export interface WelcomeMsg {
  version: number
  provider: string
  sessionId: string
  /** the packet counter's sample parameters for the provider → consumer direction */
  sampleSeed: string
  sampleRate: number
  sliceLen: number
}
export interface CosignMsg {
  seq: string
  consumerSignature: string
  /** payment channels: the voucher paying for this receipt (absent until channels exist) */
  voucher?: VoucherJson
}
export interface RefuseMsg {
  seq: string
  reason: string
}
export interface CloseMsg {
  reason: string
}

/**
 * A frame's prefix and header (everything before the payload) for a payload of `payloadLength`
 * bytes: written before the payload, and counted with it as parts, so the payload is never copied.
 */
export function encodeFrameHead(seq: number, kind: FrameKind, streamId: number, body: Uint8Array = EMPTY, payloadLength = 0): Uint8Array {
  if (body.length + KIND_STREAM_BYTES > MAX_HEADER_BYTES)
    throw badFrame('header', `a ${body.length}-byte body is above ${MAX_HEADER_BYTES - KIND_STREAM_BYTES}`)
  if (payloadLength > MAX_PAYLOAD_BYTES) throw badFrame('payload', `${payloadLength} bytes is above ${MAX_PAYLOAD_BYTES}`)
  const headerLen = KIND_STREAM_BYTES + body.length
  // every byte is written below: no zero fill needed (small heads come from Node's pool)
  const out = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + headerLen)
  out.writeUInt32BE(6 + headerLen + payloadLength, 0)
  out.writeUInt32BE(seq >>> 0, 4)
  out.writeUInt16BE(headerLen, 8)
  out[10] = kind
  out.writeUInt32BE(streamId >>> 0, 11)
  out.set(body, 15)
  return out
}

/** One wire frame in one piece. */
export function encodeFrame(seq: number, kind: FrameKind, streamId: number, body: Uint8Array = EMPTY, payload: Uint8Array = EMPTY): Uint8Array {
  const head = encodeFrameHead(seq, kind, streamId, body, payload.length)
  if (payload.length === 0) return head
  const out = Buffer.allocUnsafe(head.length + payload.length)
  out.set(head, 0)
  out.set(payload, head.length)
  return out
}

const EMPTY = new Uint8Array(0)

function badFrame(field: string, why: string): AgentError {
  return new AgentError(AgentErrorCode.TUNNEL_BAD_FRAME, `tunnel frame ${field}: ${why}`, { field })
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  return Buffer.concat(parts)
}

/** A frame whose `raw` and `payload` are joined from its parts only if someone asks for them. */
class ReadFrame implements Frame {
  private rawJoined: Uint8Array | null = null
  private payloadJoined: Uint8Array | null = null
  constructor(
    readonly seq: number,
    readonly kind: FrameKind,
    readonly streamId: number,
    readonly body: Uint8Array,
    readonly rawParts: readonly Uint8Array[],
    readonly payloadParts: readonly Uint8Array[],
  ) {}
  get raw(): Uint8Array {
    return (this.rawJoined ??= joined(this.rawParts))
  }
  get payload(): Uint8Array {
    return (this.payloadJoined ??= this.payloadParts.length === 0 ? EMPTY : joined(this.payloadParts))
  }
}

/**
 * Splits the bytes of one direction into frames as they arrive; throws TUNNEL_BAD_FRAME on a
 * malformed one. Socket reads are kept as they came: a frame split over reads is handed on as
 * the parts it arrived in (only its prefix and header, ≤ 16 KiB, are ever joined), so a payload
 * is never copied between the socket and where it goes.
 */
export class FrameReader {
  /** reads not yet consumed; the first from `head` on */
  private readonly chunks: Uint8Array[] = []
  private head = 0
  private buffered = 0
  /** the frame being read: its length and header, once its prefix is in */
  private frameLen = -1
  private headerLen = 0

  /** the frames `chunk` completes, in order */
  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    const out: Frame[] = []
    for (;;) {
      if (this.frameLen < 0) {
        if (this.buffered < FRAME_PREFIX_BYTES) break
        const prefix = this.peek(FRAME_PREFIX_BYTES)
        const v = new DataView(prefix.buffer, prefix.byteOffset, FRAME_PREFIX_BYTES)
        const frameLen = v.getUint32(0)
        const headerLen = v.getUint16(8)
        if (frameLen < 6 + KIND_STREAM_BYTES) throw badFrame('frameLen', `${frameLen} is below the smallest frame (11)`)
        if (headerLen < KIND_STREAM_BYTES || headerLen > frameLen - 6) throw badFrame('headerLen', `${headerLen} does not fit a ${frameLen}-byte frame`)
        if (headerLen > MAX_HEADER_BYTES || frameLen - 6 - headerLen > MAX_PAYLOAD_BYTES) throw badFrame('frameLen', `${frameLen} is above the limits`)
        this.frameLen = frameLen
        this.headerLen = headerLen
      }
      if (this.buffered < 4 + this.frameLen) break
      const headBytes = FRAME_PREFIX_BYTES + this.headerLen
      const head = this.peek(headBytes)
      const kind = head[10]!
      if (!KINDS.has(kind)) throw badFrame('kind', `unknown kind ${kind}`)
      const v = new DataView(head.buffer, head.byteOffset, headBytes)
      const body = headBytes > 15 ? head.subarray(15) : EMPTY
      const rawParts = this.take(4 + this.frameLen)
      out.push(new ReadFrame(v.getUint32(4), kind as FrameKind, v.getUint32(11), body, rawParts, after(rawParts, headBytes)))
      this.frameLen = -1
    }
    return out
  }

  /** the next `n` buffered bytes in one piece (a view when they lie in one read) */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n)
    const out = new Uint8Array(n)
    let got = 0
    for (let i = 0, from = this.head; got < n; i++, from = 0) {
      const c = this.chunks[i]!
      const k = Math.min(n - got, c.length - from)
      out.set(c.subarray(from, from + k), got)
      got += k
    }
    return out
  }

  /** consumes the next `n` buffered bytes: views of the reads they lie in */
  private take(n: number): Uint8Array[] {
    const parts: Uint8Array[] = []
    while (n > 0) {
      const c = this.chunks[0]!
      const k = Math.min(n, c.length - this.head)
      parts.push(c.subarray(this.head, this.head + k))
      n -= k
      this.buffered -= k
      this.head += k
      if (this.head === c.length) {
        this.chunks.shift()
        this.head = 0
      }
    }
    return parts
  }

  /** bytes of a frame not complete yet */
  get pending(): number {
    return this.buffered
  }
}

/** `parts` without their first `skip` bytes */
function after(parts: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const p of parts) {
    if (skip >= p.length) {
      skip -= p.length
      continue
    }
    out.push(skip === 0 ? p : p.subarray(skip))
    skip = 0
  }
  return out
}

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

export function jsonBody(msg: object): Uint8Array {
  return utf8.encode(JSON.stringify(msg))
}

function parseBody(body: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(fromUtf8.decode(body))
  } catch (e) {
    throw badFrame(what, `not UTF-8 JSON (${(e as Error).message})`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badFrame(what, 'expected a JSON object')
  return v as Record<string, unknown>
}

const isHex = (v: unknown, bytes?: number): v is string =>
  typeof v === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(v) && (bytes === undefined || v.length === 2 + 2 * bytes)
const isAddress = (v: unknown): v is string => isHex(v, 20)
const isQuantity = (v: unknown): v is string => typeof v === 'string' && /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v)

function need(ok: boolean, what: string, field: string, why: string): void {
  if (!ok) throw badFrame(`${what}.${field}`, why)
}

export function decodeHello(body: Uint8Array): HelloMsg {
  const o = parseBody(body, 'HELLO')
  need(o.version === TUNNEL_VERSION, 'HELLO', 'version', `tunnel version ${String(o.version)}, this agent speaks ${TUNNEL_VERSION}`)
  need(isAddress(o.consumer), 'HELLO', 'consumer', 'expected a 0x 20-byte address')
  need(isQuantity(o.chainId), 'HELLO', 'chainId', 'expected a 0x quantity')
  return { version: TUNNEL_VERSION, consumer: (o.consumer as string).toLowerCase(), chainId: o.chainId as string }
}

export function decodeWelcome(body: Uint8Array): WelcomeMsg {
  const o = parseBody(body, 'WELCOME')
  need(o.version === TUNNEL_VERSION, 'WELCOME', 'version', `tunnel version ${String(o.version)}, this agent speaks ${TUNNEL_VERSION}`)
  need(isAddress(o.provider), 'WELCOME', 'provider', 'expected a 0x 20-byte address')
  need(isHex(o.sessionId, 32), 'WELCOME', 'sessionId', 'expected 32 bytes of 0x hex')
  need(isHex(o.sampleSeed, 32), 'WELCOME', 'sampleSeed', 'expected 32 bytes of 0x hex')
  need(
    Number.isInteger(o.sampleRate) && (o.sampleRate as number) >= 0 && (o.sampleRate as number) <= 2 ** 32,
    'WELCOME',
    'sampleRate',
    'expected an integer 0..2^32',
  )
  need(Number.isInteger(o.sliceLen) && (o.sliceLen as number) >= 1 && (o.sliceLen as number) <= 4096, 'WELCOME', 'sliceLen', 'expected an integer 1..4096')
  return {
    version: TUNNEL_VERSION,
    provider: (o.provider as string).toLowerCase(),
    sessionId: o.sessionId as string,
    sampleSeed: o.sampleSeed as string,
    sampleRate: o.sampleRate as number,
    sliceLen: o.sliceLen as number,
  }
}

export function decodeCosign(body: Uint8Array): CosignMsg {
  const o = parseBody(body, 'COSIGN')
  need(isQuantity(o.seq), 'COSIGN', 'seq', 'expected a 0x quantity')
  need(isHex(o.consumerSignature, 65), 'COSIGN', 'consumerSignature', 'expected 65 bytes of 0x hex')
  const msg: CosignMsg = { seq: o.seq as string, consumerSignature: o.consumerSignature as string }
  if (o.voucher !== undefined) {
    const v = o.voucher
    need(
      typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'),
      'COSIGN',
      'voucher',
      'expected a JSON object of strings',
    )
    msg.voucher = v as VoucherJson
  }
  return msg
}

export function decodeRefuse(body: Uint8Array): RefuseMsg {
  const o = parseBody(body, 'REFUSE')
  need(isQuantity(o.seq), 'REFUSE', 'seq', 'expected a 0x quantity')
  need(typeof o.reason === 'string', 'REFUSE', 'reason', 'expected a string')
  return { seq: o.seq as string, reason: o.reason as string }
}

export function decodeClose(body: Uint8Array): CloseMsg {
  const o = parseBody(body, 'CLOSE')
  need(typeof o.reason === 'string', 'CLOSE', 'reason', 'expected a string')
  return { reason: o.reason as string }
}

/** the zero consumer signature of a RECEIPT frame (the consumer fills it in COSIGN) */
const UNSIGNED = new Uint8Array(65)

/** RECEIPT body: the receipt as RLP, signed by the provider, the consumer's signature zero. */
export function receiptBody(r: Omit<SignedReceipt, 'consumerSignature'>): Uint8Array {
  return encodeReceipt({ ...r, consumerSignature: UNSIGNED })
}

export function decodeReceiptBody(body: Uint8Array): SignedReceipt {
  try {
    return decodeReceipt(body)
  } catch (e) {
    throw badFrame('RECEIPT', (e as Error).message)
  }
}
