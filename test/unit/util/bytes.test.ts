import t from 'tap'
import { bigIntToUnpaddedBytes, bytesToHex } from '@ethereumjs/util'
import { bytesEqual, bytesOfHexLoose, compareBytes, concatList, hexNoPrefix, hexOf, uint32be, uint64be, unpaddedBytes } from '../../../src/util/bytes.js'

t.test('hex both ways', async (t) => {
  const b = Uint8Array.from([0, 1, 0xab, 0xff])
  t.equal(hexOf(b), '0x0001abff')
  t.equal(hexNoPrefix(b), '0001abff')
  t.equal(hexOf(new Uint8Array(0)), '0x')
  t.equal(hexNoPrefix(b.subarray(1, 3)), '01ab', 'a view is read at its own offset')
  t.same(bytesOfHexLoose('0x0001ABff'), b)
  t.same(bytesOfHexLoose('0001abff'), b)
})

t.test('equality and order', async (t) => {
  t.ok(bytesEqual(Uint8Array.from([1, 2]), Uint8Array.from([1, 2])))
  t.notOk(bytesEqual(Uint8Array.from([1, 2]), Uint8Array.from([1, 3])))
  t.notOk(bytesEqual(Uint8Array.from([1]), Uint8Array.from([1, 0])))
  t.ok(compareBytes(Uint8Array.from([1, 2]), Uint8Array.from([1, 3])) < 0)
  t.ok(compareBytes(Uint8Array.from([2]), Uint8Array.from([1, 9])) > 0)
  t.ok(compareBytes(Uint8Array.from([1]), Uint8Array.from([1, 0])) < 0, 'a prefix first')
  t.equal(compareBytes(Uint8Array.from([1, 2]), Uint8Array.from([1, 2])), 0)
})

t.test('concatenation and big-endian integers', async (t) => {
  t.same(concatList([Uint8Array.from([1]), new Uint8Array(0), Uint8Array.from([2, 3])]), Uint8Array.from([1, 2, 3]))
  t.same(concatList([]), new Uint8Array(0))
  t.same(uint32be(0x01020304), Uint8Array.from([1, 2, 3, 4]))
  t.same(uint64be(0x0102030405060708n), Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))
})

t.test('unpaddedBytes: the bytes of ethereumjs bigIntToUnpaddedBytes, small and large', async (t) => {
  const values = [
    0n,
    1n,
    0x7fn,
    0x80n,
    0xffn,
    0x100n,
    21_000n,
    0xffffffffn,
    0x100000000n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    2n ** 64n - 1n,
    2n ** 255n + 12345n,
  ]
  for (let i = 0; i < 64; i++) values.push((1n << BigInt(i)) - 1n, 1n << BigInt(i), (1n << BigInt(i)) + 1n, 10n ** BigInt(i % 30) * 7n)
  let same = 0
  for (const v of values) if (bytesToHex(unpaddedBytes(v)) === bytesToHex(bigIntToUnpaddedBytes(v))) same++
  t.equal(same, values.length, `${values.length} values encode alike`)
  t.equal(unpaddedBytes(0n).length, 0, 'zero is the empty string')
  t.throws(() => unpaddedBytes(-1n), RangeError)
})
