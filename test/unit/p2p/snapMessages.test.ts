import t from 'tap'
import { RLP } from '@ethereumjs/rlp'
import { MAX_PAYLOAD, MessageType } from '../../../src/p2p/messages.js'
import {
  SNAP_MAX_CODE_HASHES,
  SNAP_MAX_PROOF_NODES,
  decodeAccountRange,
  decodeByteCodes,
  decodeGetAccountRange,
  decodeGetByteCodes,
  decodeGetStorageRange,
  decodeStorageRange,
  encodeByteCodes,
  encodeGetAccountRange,
  encodeGetByteCodes,
  encodeGetStorageRange,
  encodeRangeAnswer,
} from '../../../src/p2p/snapMessages.js'

const BAD = { code: 'P2P_BAD_MESSAGE' }
const h = (b: number) => new Uint8Array(32).fill(b)

t.test('GetAccountRange and GetStorageRange round-trip and fit their limits', async (t) => {
  const a = { id: 7n, root: h(1), origin: h(0), maxBytes: 524_288 }
  const ea = encodeGetAccountRange(a)
  t.same(decodeGetAccountRange(ea), a)
  t.ok(ea.length <= MAX_PAYLOAD[MessageType.GetAccountRange])
  const s = { id: 2n ** 64n - 1n, root: h(1), account: h(2), origin: h(0xff), maxBytes: 2 ** 32 - 1 }
  const es = encodeGetStorageRange(s)
  t.same(decodeGetStorageRange(es), s)
  t.ok(es.length <= MAX_PAYLOAD[MessageType.GetStorageRange])
})

t.test('bad range requests are refused', async (t) => {
  t.throws(() => decodeGetAccountRange(RLP.encode([1, h(1), h(0)])), BAD, 'too few items')
  t.throws(() => decodeGetAccountRange(RLP.encode([1, h(1).subarray(1), h(0), 10])), BAD, 'a 31-byte root')
  t.throws(() => decodeGetAccountRange(RLP.encode([1, h(1), h(0), 0])), BAD, 'maxBytes 0')
  t.throws(() => decodeGetAccountRange(RLP.encode([1, h(1), h(0), 2 ** 40])), BAD, 'maxBytes over 4 bytes')
  t.throws(() => decodeGetStorageRange(RLP.encode([1, h(1), [], h(0), 10])), BAD, 'account not bytes')
  t.throws(() => decodeGetAccountRange(Uint8Array.of(0xc5)), BAD, 'not RLP')
})

t.test('range answers round-trip; "unavailable" carries nothing', async (t) => {
  const a = { id: 9n, available: true, keys: [h(1), h(2)], values: [Uint8Array.of(1), Uint8Array.of(2, 3)], proof: [Uint8Array.of(0xc0, 1)] }
  t.same(decodeAccountRange(encodeRangeAnswer(a)), a)
  t.same(decodeStorageRange(encodeRangeAnswer(a)), a)
  const none = { id: 3n, available: false, keys: [], values: [], proof: [] }
  t.same(decodeAccountRange(encodeRangeAnswer(none)), none)
  t.throws(() => decodeAccountRange(encodeRangeAnswer({ ...a, available: false })), BAD, 'leaves in an unavailable answer')
})

t.test('bad range answers are refused', async (t) => {
  t.throws(() => decodeAccountRange(RLP.encode([1, 2, [], []])), BAD, 'available 2')
  t.throws(() => decodeAccountRange(RLP.encode([1, 1, [[h(1)]], []])), BAD, 'a leaf without value')
  t.throws(() => decodeAccountRange(RLP.encode([1, 1, [[h(1).subarray(2), Uint8Array.of(1)]], []])), BAD, 'a short key')
  t.throws(() => decodeAccountRange(RLP.encode([1, 1, h(1), []])), BAD, 'leaves not a list')
  t.throws(() => decodeStorageRange(RLP.encode([1, 1, [], h(1)])), BAD, 'proof not a list')
  const many = Array.from({ length: SNAP_MAX_PROOF_NODES + 1 }, () => Uint8Array.of(1))
  t.throws(() => decodeStorageRange(RLP.encode([1, 1, [], many])), BAD, 'too many proof nodes')
  t.throws(() => decodeStorageRange(RLP.encode([1, 1, [], [[Uint8Array.of(1)]]])), BAD, 'a proof node that is a list')
})

t.test('GetByteCodes and ByteCodes round-trip within their bounds', async (t) => {
  const r = { id: 5n, hashes: [h(1), h(2)] }
  t.same(decodeGetByteCodes(encodeGetByteCodes(r)), r)
  const full = encodeGetByteCodes({ id: 2n ** 64n - 1n, hashes: Array.from({ length: SNAP_MAX_CODE_HASHES }, (_, i) => h(i)) })
  t.ok(full.length <= MAX_PAYLOAD[MessageType.GetByteCodes], 'the largest request fits its limit')
  t.throws(() => decodeGetByteCodes(RLP.encode([1, []])), BAD, 'no hashes')
  t.throws(() => decodeGetByteCodes(RLP.encode([1, Array.from({ length: SNAP_MAX_CODE_HASHES + 1 }, () => h(0))])), BAD, 'too many hashes')
  t.throws(() => decodeGetByteCodes(RLP.encode([1, [h(0).subarray(1)]])), BAD, 'a short hash')
  const a = { id: 5n, codes: [Uint8Array.of(0x60, 0x00), new Uint8Array(0)] }
  t.same(decodeByteCodes(encodeByteCodes(a)), a)
  t.throws(() => decodeByteCodes(RLP.encode([1, h(1)])), BAD, 'codes not a list')
})
