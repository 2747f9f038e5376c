/**
 * The tunnel's frame format is the packet counter's: frames split at any chunk boundary decode to
 * what was encoded, countPackets counts exactly the DATA payloads (control messages ride in the
 * header and count zero), and malformed frames and messages are refused with TUNNEL_BAD_FRAME.
 */
import t from 'tap'
import { core, initialCounterState } from '../../../src/core/index.js'
import { RECEIPT_DOMAIN_TAG, signReceipt, type FlowReceipt } from '../../../src/flow/receipt.js'
import {
  decodeCosign,
  decodeHello,
  decodeReceiptBody,
  decodeWelcome,
  encodeFrame,
  encodeFrameHead,
  FrameKind,
  FrameReader,
  jsonBody,
  MAX_PAYLOAD_BYTES,
  receiptBody,
  TUNNEL_VERSION,
} from '../../../src/flowAgent/tunnel.js'
import { devAddress, devKey } from '../../helpers/inProcessNode.js'

const noSamples = { seed: new Uint8Array(32), rate: 0, sliceLen: 1 }

t.test('frames survive any split and count only the DATA payload', async (t) => {
  const frames = [
    encodeFrame(0, FrameKind.HELLO, 0, jsonBody({ version: TUNNEL_VERSION, consumer: devAddress(1), chainId: '0x834' })),
    encodeFrame(1, FrameKind.OPEN, 7),
    encodeFrame(2, FrameKind.DATA, 7, undefined, new Uint8Array(1000).fill(1)),
    encodeFrame(3, FrameKind.DATA, 7, undefined, new Uint8Array(MAX_PAYLOAD_BYTES).fill(2)),
    encodeFrame(4, FrameKind.END, 7),
  ]
  const wire = Buffer.concat(frames)
  for (const chunk of [1, 7, 1000, wire.length]) {
    const r = new FrameReader()
    const got = []
    for (let at = 0; at < wire.length; at += chunk) got.push(...r.push(wire.subarray(at, at + chunk)))
    t.same(
      got.map((f) => [f.seq, f.kind, f.streamId, f.payload.length]),
      [
        [0, FrameKind.HELLO, 0, 0],
        [1, FrameKind.OPEN, 7, 0],
        [2, FrameKind.DATA, 7, 1000],
        [3, FrameKind.DATA, 7, MAX_PAYLOAD_BYTES],
        [4, FrameKind.END, 7, 0],
      ],
      `chunks of ${chunk} bytes`,
    )
    t.equal(r.pending, 0)
  }
  const counted = core.countPackets(wire, initialCounterState(), noSamples)
  t.equal(counted.payloadBytes, 1000 + MAX_PAYLOAD_BYTES, 'the counter counts the DATA payloads only')
  t.equal(counted.packets, 5)
  const again = core.countPackets(frames[2]!, counted.state, noSamples)
  t.equal(again.payloadBytes, 0, 'a frame seen again (same seq) is not counted twice')
})

t.test('a frame split over reads keeps its bytes, its parts are views of the reads, and they count as the whole', async (t) => {
  let x = 7
  const rnd = (n: number) => (x = (x * 1103515245 + 12345) >>> 0) % n
  const payloads = [1, 300, MAX_PAYLOAD_BYTES, 5000, MAX_PAYLOAD_BYTES - 1].map((n) => Uint8Array.from({ length: n }, () => rnd(256)))
  const body = jsonBody({ reason: 'x'.repeat(100) })
  const frames = [...payloads.map((p, i) => encodeFrame(i, FrameKind.DATA, 3, undefined, p)), encodeFrame(payloads.length, FrameKind.CLOSE, 0, body)]
  t.same(
    Buffer.concat([encodeFrameHead(9, FrameKind.DATA, 3, undefined, 300), payloads[1]!]),
    encodeFrame(9, FrameKind.DATA, 3, undefined, payloads[1]!),
    'head ‖ payload is the frame',
  )
  const wire = Buffer.concat(frames)
  const sample = { seed: new Uint8Array(32).fill(5), rate: 2 ** 31, sliceLen: 64 }
  const whole = frames.map((f) => core.countPackets(f, initialCounterState(), sample))
  for (let round = 0; round < 20; round++) {
    const r = new FrameReader()
    const chunks: Uint8Array[] = []
    const got = []
    for (let at = 0; at < wire.length;) {
      const n = 1 + rnd(round < 10 ? 70_000 : 40)
      // each read in a buffer of its own, as a socket hands them
      const c = Uint8Array.from(wire.subarray(at, at + n))
      chunks.push(c)
      got.push(...r.push(c))
      at += n
    }
    t.equal(got.length, frames.length, `round ${round}: every frame`)
    const ok = got.every(
      (f, i) =>
        Buffer.from(f.raw).equals(frames[i]!) &&
        (i < payloads.length ? Buffer.from(f.payload).equals(payloads[i]!) && f.body.length === 0 : Buffer.from(f.body).equals(body)) &&
        Buffer.concat(f.payloadParts).equals(f.payload) &&
        f.rawParts.every((p) => chunks.some((c) => c.buffer === p.buffer)) &&
        // counting the parts is counting the frame
        Buffer.from(core.countPackets(f.rawParts, initialCounterState(), sample).sliceHashes).equals(whole[i]!.sliceHashes) &&
        core.countPackets(f.rawParts, initialCounterState(), sample).payloadBytes === whole[i]!.payloadBytes,
    )
    t.ok(ok, `round ${round}: bytes, parts (views of the reads) and counts`)
    t.equal(r.pending, 0)
  }
})

t.test('malformed frames', async (t) => {
  const bad = (bytes: Uint8Array, field: string, what: string) =>
    t.throws(() => new FrameReader().push(bytes), { code: 'TUNNEL_BAD_FRAME', meta: { field } }, what)
  const f = encodeFrame(0, FrameKind.DATA, 1, undefined, Uint8Array.of(1, 2, 3))
  const short = Uint8Array.from(f)
  new DataView(short.buffer).setUint32(0, 5)
  bad(short, 'frameLen', 'a frame too short for its header')
  const header = Uint8Array.from(f)
  new DataView(header.buffer).setUint16(8, 200)
  bad(header, 'headerLen', 'a header longer than the frame')
  const kind = Uint8Array.from(f)
  kind[10] = 99
  bad(kind, 'kind', 'an unknown kind')
  const huge = new Uint8Array(10)
  new DataView(huge.buffer).setUint32(0, 10_000_000)
  new DataView(huge.buffer).setUint16(8, 5)
  bad(huge, 'frameLen', 'a frame above the limits (refused before it is buffered)')
  t.throws(() => encodeFrame(0, FrameKind.DATA, 1, undefined, new Uint8Array(MAX_PAYLOAD_BYTES + 1)), { code: 'TUNNEL_BAD_FRAME' }, 'too big to send')
  t.same(new FrameReader().push(f.subarray(0, f.length - 1)), [], 'a truncated frame waits')
})

t.test('messages', async (t) => {
  t.same(
    decodeHello(jsonBody({ version: TUNNEL_VERSION, consumer: devAddress(1).toUpperCase().replace('0X', '0x'), chainId: '0x834' })).consumer,
    devAddress(1),
  )
  t.throws(() => decodeHello(jsonBody({ version: 1, consumer: devAddress(1), chainId: '0x834' })), {
    // version 1 sampled no floor: its sampleRoots would not match (the two refuse each other at HELLO)
    code: 'TUNNEL_BAD_FRAME',
    meta: { field: 'HELLO.version' },
  })
  t.throws(() => decodeHello(new TextEncoder().encode('{not json')), { code: 'TUNNEL_BAD_FRAME', meta: { field: 'HELLO' } })
  t.throws(() => decodeHello(Uint8Array.of(0xff, 0xfe)), { code: 'TUNNEL_BAD_FRAME' }, 'not UTF-8')
  const welcome = {
    version: TUNNEL_VERSION,
    provider: devAddress(2),
    sessionId: '0x' + '11'.repeat(32),
    sampleSeed: '0x' + '22'.repeat(32),
    sampleRate: 5,
    sliceLen: 64,
  }
  t.same(decodeWelcome(jsonBody(welcome)), welcome)
  t.throws(() => decodeWelcome(jsonBody({ ...welcome, sliceLen: 0 })), { code: 'TUNNEL_BAD_FRAME', meta: { field: 'WELCOME.sliceLen' } })
  t.throws(() => decodeWelcome(jsonBody({ ...welcome, sessionId: '0x11' })), { code: 'TUNNEL_BAD_FRAME', meta: { field: 'WELCOME.sessionId' } })
  const sig = '0x' + 'ab'.repeat(65)
  t.same(decodeCosign(jsonBody({ seq: '0x1', consumerSignature: sig })), { seq: '0x1', consumerSignature: sig }, 'a co-signature without a voucher')
  t.same(
    decodeCosign(jsonBody({ seq: '0x1', consumerSignature: sig, voucher: { channel: '0x01', amount: '0x2' } })).voucher,
    { channel: '0x01', amount: '0x2' },
    'with one',
  )
  t.throws(() => decodeCosign(jsonBody({ seq: '0x1', consumerSignature: sig, voucher: { amount: 2 } })), {
    code: 'TUNNEL_BAD_FRAME',
    meta: { field: 'COSIGN.voucher' },
  })
  t.throws(() => decodeCosign(jsonBody({ seq: '1', consumerSignature: sig })), { code: 'TUNNEL_BAD_FRAME', meta: { field: 'COSIGN.seq' } })

  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 2100n,
    sessionId: new Uint8Array(32).fill(1),
    consumer: devAddress(1),
    provider: devAddress(2),
    relays: [],
    seq: 3n,
    bytesUp: 10n,
    bytesDown: 20n,
    sampleRoot: new Uint8Array(32).fill(2),
    prevReceiptHash: new Uint8Array(32),
    cycle: 4n,
    expiryHeight: 500n,
  }
  const providerSignature = signReceipt(r, devKey(2))
  const back = decodeReceiptBody(receiptBody({ ...r, providerSignature }))
  t.equal(back.bytesDown, 20n)
  t.same(back.providerSignature, providerSignature)
  t.same(back.consumerSignature, new Uint8Array(65), 'the consumer signature is left zero for the consumer to fill')
  t.throws(() => decodeReceiptBody(Uint8Array.of(1, 2, 3)), { code: 'TUNNEL_BAD_FRAME', meta: { field: 'RECEIPT' } })
})
