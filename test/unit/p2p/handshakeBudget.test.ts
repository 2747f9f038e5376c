/** The pre-handshake byte budget (src/p2p/handshakeBudget.ts) on hand-made WebSocket frames: no sockets. */
import t from 'tap'
import { HANDSHAKE_MESSAGE_MAX_BYTES, HandshakeBudget, PRE_HANDSHAKE_BUDGET_BYTES, type BudgetVerdict } from '../../../src/p2p/handshakeBudget.js'

const BINARY = 0x2
const CONTINUATION = 0x0
const PING = 0x9

/** one WebSocket frame: FIN or not, opcode, masked (as a client sends) or not, with the shortest length encoding */
function wsFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; masked?: boolean } = {}): Buffer {
  const { fin = true, masked = true } = opts
  const n = payload.length
  const ext = n < 126 ? Buffer.alloc(0) : n < 0x10000 ? Buffer.alloc(2) : Buffer.alloc(8)
  if (ext.length === 2) ext.writeUInt16BE(n)
  if (ext.length === 8) ext.writeBigUInt64BE(BigInt(n))
  const len7 = n < 126 ? n : n < 0x10000 ? 126 : 127
  const head = Buffer.from([(fin ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | len7])
  // the mask's value does not matter to the budget: the payload is never read
  return Buffer.concat([head, ext, masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0), payload])
}

/** only the header of a frame announcing `length` bytes (64-bit length, masked) */
function bigHeader(length: bigint): Buffer {
  const h = Buffer.alloc(14)
  h[0] = 0x80 | BINARY
  h[1] = 0x80 | 127
  h.writeBigUInt64BE(length, 2)
  return h
}

const hello = wsFrame(BINARY, Buffer.alloc(300, 1))
const ack = wsFrame(BINARY, Buffer.alloc(69, 2))

function feed(chunks: Buffer[]): BudgetVerdict[] {
  const b = new HandshakeBudget()
  return chunks.map((c) => b.push(c))
}

t.test('Hello and HelloAck in one chunk, or byte by byte: done exactly at the end of the second message', async (t) => {
  t.same(feed([Buffer.concat([hello, ack])]), [{ state: 'done' }])
  const bytes = Buffer.concat([hello, ack])
  const verdicts = feed([...bytes].map((x) => Buffer.of(x)))
  t.equal(
    verdicts.findIndex((v) => v.state === 'done'),
    bytes.length - 1,
    'done at the last byte of the HelloAck',
  )
  t.ok(
    verdicts.slice(0, -1).every((v) => v.state === 'reading'),
    'reading until then',
  )
})

t.test('what follows the second message is not judged: an honest peer may send a big chain message right behind its HelloAck', async (t) => {
  const block = wsFrame(BINARY, Buffer.alloc(1024 * 1024))
  t.same(feed([Buffer.concat([hello, ack, block])]), [{ state: 'done' }])
  const b = new HandshakeBudget()
  b.push(Buffer.concat([hello, ack]))
  t.same(b.push(bigHeader(16n * 1024n * 1024n)), { state: 'done' }, 'done stays done')
})

t.test('a message over the handshake size is refused on its header, before its body', async (t) => {
  const b = new HandshakeBudget()
  const v = b.push(bigHeader(16n * 1024n * 1024n))
  t.equal(v.state, 'over')
  t.match(v, { why: /16777216-byte message before the handshake/ })
  t.same(b.push(Buffer.alloc(100)), v, 'over stays over')
  t.equal(feed([wsFrame(BINARY, Buffer.alloc(HANDSHAKE_MESSAGE_MAX_BYTES))])[0]!.state, 'reading', 'the largest handshake message is fine')
  t.equal(feed([wsFrame(BINARY, Buffer.alloc(HANDSHAKE_MESSAGE_MAX_BYTES + 1))])[0]!.state, 'over', 'one byte more is not')
  t.equal(feed([hello, bigHeader(600n)])[1]!.state, 'over', 'the second message too')
  t.equal(feed([bigHeader(2n ** 63n)])[0]!.state, 'over', 'a 64-bit length past 2^53')
  // the header split over chunks: judged once it is whole
  const split = feed([bigHeader(1n << 24n).subarray(0, 1), bigHeader(1n << 24n).subarray(1, 6), bigHeader(1n << 24n).subarray(6)])
  t.same(
    split.map((v) => v.state),
    ['reading', 'reading', 'over'],
  )
})

t.test('a message in fragments counts as its whole size; control frames between fragments do not end it', async (t) => {
  const part = Buffer.alloc(300)
  const first = wsFrame(BINARY, part, { fin: false })
  const ping = wsFrame(PING, Buffer.alloc(4))
  t.equal(feed([Buffer.concat([first, ping, wsFrame(CONTINUATION, part)])])[0]!.state, 'over', '600 bytes in two fragments')
  t.same(feed([Buffer.concat([first, ping, wsFrame(CONTINUATION, Buffer.alloc(10)), ack])]), [{ state: 'done' }], '310 bytes in two fragments, then a HelloAck')
})

t.test('pings and empty frames count towards the byte budget, not as messages', async (t) => {
  const ping = wsFrame(PING, Buffer.alloc(125))
  const n = Math.ceil(PRE_HANDSHAKE_BUDGET_BYTES / ping.length)
  const verdicts = feed(Array.from({ length: n }, () => ping))
  t.ok(verdicts.slice(0, -1).every((v) => v.state === 'reading'))
  t.match(verdicts.at(-1), { state: 'over', why: new RegExp(`more than ${PRE_HANDSHAKE_BUDGET_BYTES} bytes before the handshake`) })
  // many small data messages: the third is never read as part of the handshake (done after two)
  t.same(feed([Buffer.concat([wsFrame(BINARY, Buffer.alloc(0)), wsFrame(BINARY, Buffer.alloc(0))])]), [{ state: 'done' }])
  t.equal(feed([wsFrame(PING, Buffer.alloc(0), { masked: false })])[0]!.state, 'reading', 'an unmasked empty ping')
})
