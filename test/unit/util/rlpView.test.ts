import { RLP } from '@ethereumjs/rlp'
import t from 'tap'
import { decodeRlpView, encodeRlp, listHeader, listPayload, type RlpItem } from '../../../src/util/rlpView.js'

/** a deterministic generator (xorshift32), so a failure is reproduced by its seed */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

/** strings of the lengths at RLP's edges (0, 1 below and above 0x80, 55, 56, 255, 256, 65,536) and lists of them, nested */
function randomItem(next: () => number, depth: number): RlpItem {
  if (depth > 0 && next() % 3 === 0) {
    const n = depth === 1 && next() % 4 === 0 ? 60 + (next() % 300) : next() % 5 // long lists of strings only: the size stays small
    return Array.from({ length: n }, () => randomItem(next, depth - 1))
  }
  const lengths = [0, 1, 1, 1, 2, 31, 32, 55, 56, 57, 255, 256, 1024, next() % 50 === 0 ? 65_536 : 3]
  const len = lengths[next() % lengths.length]!
  const b = new Uint8Array(len)
  for (let i = 0; i < len; i++) b[i] = next() & 0xff
  if (len === 1 && next() % 2 === 0) b[0] = next() % 0x80 // a byte that is its own encoding
  return b
}

const plain = (x: unknown): unknown => (Array.isArray(x) ? x.map(plain) : Array.from(x as Uint8Array))

t.test('encodeRlp writes the bytes @ethereumjs/rlp writes; decodeRlpView reads them back', async (t) => {
  const next = rng(17)
  for (let i = 0; i < 400; i++) {
    const item = randomItem(next, 4)
    const theirs = RLP.encode(item as never)
    const mine = encodeRlp(item)
    t.same(Buffer.from(mine), Buffer.from(theirs), `item ${i}: same encoding`)
    t.same(plain(decodeRlpView(theirs)), plain(RLP.decode(theirs)), `item ${i}: same decoding`)
    if (!Buffer.from(mine).equals(Buffer.from(theirs))) break
  }
  t.same(encodeRlp(new Uint8Array(0)), Uint8Array.of(0x80))
  t.same(encodeRlp([]), Uint8Array.of(0xc0))
  t.same(encodeRlp(Uint8Array.of(0x7f)), Uint8Array.of(0x7f))
  t.same(encodeRlp(Uint8Array.of(0x80)), Uint8Array.of(0x81, 0x80))
  t.same(decodeRlpView(new Uint8Array(0)), new Uint8Array(0), 'empty input: empty bytes, as @ethereumjs/rlp')
})

t.test('decodeRlpView returns views on its input, not copies', async (t) => {
  const input = RLP.encode([Uint8Array.of(1, 2, 3), [new Uint8Array(40).fill(9)]] as never)
  const out = decodeRlpView(input) as [Uint8Array, [Uint8Array]]
  t.equal(out[0].buffer, input.buffer, 'a string is a view on the input')
  t.equal(out[1][0].buffer, input.buffer, 'a string in a nested list too')
  t.equal(out[1][0].byteOffset, input.byteOffset + input.length - 40)
})

t.test('decodeRlpView refuses what @ethereumjs/rlp refuses', async (t) => {
  const bad: [string, number[]][] = [
    ['a byte below 0x80 with a prefix', [0x81, 0x05]],
    ['a string past the end', [0x83, 1, 2]],
    ['a long string of 55 bytes or fewer', [0xb8, 55, ...new Array<number>(55).fill(1)]],
    ['a length with a leading zero', [0xb9, 0, 60, ...new Array<number>(60).fill(1)]],
    ['a long list of fewer than 56 bytes', [0xf8, 2, 0x01, 0x02]],
    ['a list past the end', [0xc3, 0x01, 0x02]],
    ['an item past its list', [0xc2, 0x83, 1, 2, 3]],
    ['bytes after the item', [0x01, 0x02]],
    ['a list length past the input', [0xf9, 0x10, 0x00]],
  ]
  for (const [why, bytes] of bad) {
    const input = Uint8Array.from(bytes)
    t.throws(() => RLP.decode(input), `@ethereumjs/rlp refuses ${why}`)
    t.throws(() => decodeRlpView(input), /invalid RLP/, `refused: ${why}`)
  }
  // byte flips and cuts of valid encodings: both accept (the same items) or both refuse
  const next = rng(99)
  let refused = 0
  for (let i = 0; i < 3000; i++) {
    const valid = RLP.encode(randomItem(next, 3) as never)
    const input = valid.slice(0, valid.length - (next() % 3 === 0 ? 1 + (next() % Math.max(1, valid.length)) : 0))
    if (input.length > 0) input[next() % input.length] = next() & 0xff
    let theirs: unknown
    let mine: unknown
    try {
      theirs = plain(RLP.decode(input))
    } catch {
      theirs = 'refused'
    }
    try {
      mine = plain(decodeRlpView(input))
    } catch {
      mine = 'refused'
    }
    if (theirs === 'refused') refused++
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      t.fail(
        `mutated input ${i} (${Buffer.from(input).toString('hex').slice(0, 80)}…): @ethereumjs/rlp ${String(theirs).slice(0, 40)}, here ${String(mine).slice(0, 40)}`,
      )
      break
    }
  }
  t.ok(refused > 100, `the mutations made invalid inputs (${refused} of 3000)`)
})

t.test('listHeader and listPayload: a list header written alone, and a list’s payload read without decoding it', async (t) => {
  for (const n of [0, 1, 55, 56, 255, 256, 1023, 70_000]) {
    const items = Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0x7f))
    const whole = RLP.encode(items)
    const payload = whole.subarray(whole.length - n)
    t.same(Buffer.from(listHeader(n)), Buffer.from(whole.subarray(0, whole.length - n)), `the header of a ${n}-byte payload`)
    t.same(Buffer.from(listPayload(whole)), Buffer.from(payload), `the payload of a ${n}-byte list`)
    t.equal(listPayload(whole).buffer, whole.buffer, 'a view on the input')
  }
  t.throws(() => listPayload(Uint8Array.of(0x83, 1, 2, 3)), /not a list/, 'a string')
  t.throws(() => listPayload(new Uint8Array(0)), /not a list/, 'nothing')
  t.throws(() => listPayload(Uint8Array.of(0xf8, 0x02, 1, 2)), /fewer than 56/, 'a long form for a short list')
  t.throws(() => listPayload(Uint8Array.of(0xf9, 0x00, 0x40, ...new Uint8Array(64))), /extra zeros/, 'a length with a leading zero')
  t.throws(() => listPayload(Uint8Array.of(0xc3, 1, 2)), /runs past its end/, 'shorter than it says')
  t.throws(() => listPayload(Uint8Array.of(0xc1, 1, 2)), /remainder must be zero/, 'bytes after it')
})
