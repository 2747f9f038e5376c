import t from 'tap'
import { RLP } from '@ethereumjs/rlp'
import { FrameDecoder, P2pErrorCode, encodeFrame } from '../../../src/p2p/framing.js'
import { DisconnectReason, MAX_PAYLOAD, MessageType, decodeMessage, encodeHello, encodeMessage, messageLimits, type Hello } from '../../../src/p2p/messages.js'

const hello: Hello = {
  version: 1,
  chainId: 7777n,
  genesisHash: new Uint8Array(32).fill(1),
  head: { number: 42n, hash: new Uint8Array(32).fill(2) },
  nodeId: new Uint8Array(32).fill(3),
  nonce: new Uint8Array(32).fill(4),
  listenPort: 30303,
  client: 'nfc/test',
  features: 1,
}

t.test('frames round-trip, in one chunk or byte by byte', async (t) => {
  const a = encodeFrame(MessageType.Tx, Uint8Array.of(1, 2, 3), messageLimits)
  const b = encodeFrame(MessageType.Ping, encodeMessage({ type: MessageType.Ping, nonce: 9n }), messageLimits)
  t.same([...a.subarray(0, 5)], [0, 0, 0, 3, MessageType.Tx], 'u32be length of the payload, then the type')
  const all = new Uint8Array([...a, ...b])
  const d1 = new FrameDecoder(messageLimits)
  const f1 = d1.push(all)
  d1.end()
  t.equal(f1.length, 2)
  t.same([...f1[0]!.payload], [1, 2, 3])
  const d2 = new FrameDecoder(messageLimits)
  const f2 = all.reduce<unknown[]>((acc, byte) => acc.concat(d2.push(Uint8Array.of(byte))), [])
  d2.end()
  t.equal(f2.length, 2)
  t.same(decodeMessage(MessageType.Ping, (f2[1] as { payload: Uint8Array }).payload), { type: MessageType.Ping, nonce: 9n })
})

t.test('an oversized frame is rejected from its header alone', async (t) => {
  const d = new FrameDecoder(messageLimits)
  const head = Buffer.alloc(5)
  head.writeUInt32BE(MAX_PAYLOAD[MessageType.Hello] + 1)
  head[4] = MessageType.Hello
  t.throws(() => d.push(head), { code: P2pErrorCode.FrameTooLarge })
  t.equal(d.pending, 0, 'nothing buffered')
  t.throws(() => d.push(Uint8Array.of(0)), { code: P2pErrorCode.FrameTooLarge }, 'the error is final')
  head.writeUInt32BE(0xffffffff)
  head[4] = MessageType.Blocks
  t.throws(() => new FrameDecoder(messageLimits).push(head), { code: P2pErrorCode.FrameTooLarge })
  t.throws(() => encodeFrame(MessageType.Ping, new Uint8Array(17), messageLimits), { code: P2pErrorCode.Send })
})

t.test('unknown types and truncated input are typed errors', async (t) => {
  t.throws(() => new FrameDecoder(messageLimits).push(Uint8Array.of(0, 0, 0, 0, 0xee)), { code: P2pErrorCode.UnknownType })
  const d = new FrameDecoder(messageLimits)
  const f = encodeFrame(MessageType.Tx, new Uint8Array(100), messageLimits)
  t.same(d.push(f.subarray(0, 50)), [])
  t.throws(() => d.end(), { code: P2pErrorCode.FrameTruncated })
  const d2 = new FrameDecoder(messageLimits)
  d2.push(Uint8Array.of(0, 0))
  t.throws(() => d2.end(), { code: P2pErrorCode.FrameTruncated }, 'inside the header too')
})

t.test('session message codecs', async (t) => {
  const h = decodeMessage(MessageType.Hello, encodeHello(hello))
  t.same(h, { type: MessageType.Hello, hello })
  // a Hello of a node that predates `features` (8 fields): read as no features
  const old = RLP.encode([1, 7777n, hello.genesisHash, [42n, hello.head.hash], hello.nodeId, hello.nonce, 30303, 'nfc/old'])
  t.same(
    decodeMessage(MessageType.Hello, old),
    { type: MessageType.Hello, hello: { ...hello, client: 'nfc/old', features: 0 } },
    'an older Hello has no features',
  )
  t.throws(
    () => decodeMessage(MessageType.Hello, RLP.encode([...(RLP.decode(encodeHello(hello)) as Uint8Array[]).slice(0, 8), new Uint8Array(5).fill(1)])),
    {
      code: 'P2P_BAD_MESSAGE',
    },
    'features wider than 4 bytes',
  )
  const d = decodeMessage(
    MessageType.Disconnect,
    encodeMessage({ type: MessageType.Disconnect, reason: DisconnectReason.GenesisMismatch, text: 'é'.repeat(300) }),
  )
  t.equal((d as { reason: number }).reason, DisconnectReason.GenesisMismatch)
  t.equal(Buffer.byteLength((d as { text: string }).text), 256, 'long reason cut on a character boundary')
  t.throws(() => decodeMessage(MessageType.Hello, Uint8Array.of(0xff, 1)), { code: P2pErrorCode.BadMessage })
  t.throws(() => decodeMessage(MessageType.HelloAck, encodeMessage({ type: MessageType.HelloAck, signature: new Uint8Array(10) })), {
    code: P2pErrorCode.BadMessage,
  })
  t.throws(() => decodeMessage(MessageType.Hello, encodeHello({ ...hello, nonce: new Uint8Array(31) })), {
    code: P2pErrorCode.BadMessage,
  })
  t.same(decodeMessage(MessageType.Block, Uint8Array.of(1)), { type: MessageType.Block, payload: Uint8Array.of(1) })
})
