import t from 'tap'
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes } from '@ethereumjs/util'
import { keccak256, computeAddress, hexlify, getBytes } from 'ethers'
import {
  decodeHeader,
  encodeHeader,
  headerHash,
  headerToFields,
  recoverProducer,
  signHeader,
  verifyHeaderSignature,
  type BlockHeader,
} from '../../../src/chain/header.js'
import { devKey, prng, same } from '../../helpers/inProcessNode.js'

const rand = prng(0x5eed)
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256))
const KEY = devKey(3)
const PRODUCER = getBytes(computeAddress(hexlify(KEY)))

function sample(): BlockHeader {
  return {
    parentHash: bytes(32),
    number: 12_345n,
    timestamp: 1_700_000_123_000n,
    producer: PRODUCER,
    stateRoot: bytes(32),
    transactionsRoot: bytes(32),
    receiptsRoot: bytes(32),
    logsBloom: bytes(256),
    gasLimit: 30_000_000n,
    gasUsed: 1_234_567n,
    baseFeePerGas: 1_000_000_000n,
    flowRoot: bytes(32),
    confirmationsRoot: bytes(32),
    signature: new Uint8Array(0),
  }
}

const FIELD_NAMES = [
  'parentHash',
  'number',
  'timestamp',
  'producer',
  'stateRoot',
  'transactionsRoot',
  'receiptsRoot',
  'logsBloom',
  'gasLimit',
  'gasUsed',
  'baseFeePerGas',
  'flowRoot',
  'confirmationsRoot',
] as const

t.test('encode/decode round trip, signed and unsigned, including zero numbers', async (t) => {
  const h = sample()
  const signed = signHeader(h, KEY)
  for (const x of [h, signed, { ...signed, number: 0n, gasUsed: 0n, timestamp: 0n }]) {
    const enc = encodeHeader(x)
    const dec = decodeHeader(enc)
    same(t, dec, x)
    same(t, encodeHeader(dec), enc, 'canonical: re-encoding gives the same bytes')
  }
  // RLP layout: 14 fields, numbers minimal big-endian
  const list = RLP.decode(encodeHeader(signed)) as Uint8Array[]
  t.equal(list.length, 14)
  same(t, list[1], bigIntToUnpaddedBytes(12_345n))
  same(t, list[13], signed.signature)
  same(t, headerToFields(signed), list)
})

t.test('hash is keccak of the RLP of the 13 unsigned fields and ignores the signature', async (t) => {
  const h = sample()
  const signed = signHeader(h, KEY)
  const u = bigIntToUnpaddedBytes
  const expected = keccak256(
    RLP.encode([
      h.parentHash,
      u(h.number),
      u(h.timestamp),
      h.producer,
      h.stateRoot,
      h.transactionsRoot,
      h.receiptsRoot,
      h.logsBloom,
      u(h.gasLimit),
      u(h.gasUsed),
      u(h.baseFeePerGas),
      h.flowRoot,
      h.confirmationsRoot,
    ]),
  )
  t.equal(hexlify(headerHash(h)), expected)
  t.equal(hexlify(headerHash(signed)), expected, 'signing does not change the hash')
  t.equal(hexlify(headerHash({ ...signed, signature: bytes(65) })), expected, 'any signature, same hash')
  t.not(hexlify(headerHash({ ...h, gasUsed: h.gasUsed + 1n })), expected, 'a field change changes the hash')
})

t.test('signature verifies and recovers the producer', async (t) => {
  const signed = signHeader(sample(), KEY)
  t.equal(signed.signature.length, 65)
  t.ok(signed.signature[64] === 0 || signed.signature[64] === 1)
  same(t, recoverProducer(signed), PRODUCER)
  t.doesNotThrow(() => verifyHeaderSignature(signed))
  // deterministic (RFC 6979): the same header signs to the same bytes
  same(t, signHeader({ ...signed, signature: new Uint8Array() }, KEY).signature, signed.signature)
  // a header naming a producer other than the signer fails
  const other = signHeader({ ...sample(), producer: getBytes(computeAddress(hexlify(devKey(4)))) }, KEY)
  t.throws(() => verifyHeaderSignature(other), { code: 'CHAIN_BAD_SIGNATURE' })
  // unsigned header
  t.equal(recoverProducer(sample()), null)
  t.throws(() => verifyHeaderSignature(sample()), { code: 'CHAIN_BAD_SIGNATURE' })
})

t.test('tampering any field or the signature fails verification', async (t) => {
  const signed = signHeader(sample(), KEY)
  for (const name of FIELD_NAMES) {
    const v = signed[name]
    const tampered: BlockHeader = { ...signed }
    if (typeof v === 'bigint') (tampered as any)[name] = v + 1n
    else {
      const b = Uint8Array.from(v)
      b[b.length - 1] ^= 1
      ;(tampered as any)[name] = b
    }
    t.throws(() => verifyHeaderSignature(tampered), { code: 'CHAIN_BAD_SIGNATURE' }, `tampered ${name}`)
    // and it still round-trips through the encoding with the tamper intact
    t.throws(() => verifyHeaderSignature(decodeHeader(encodeHeader(tampered))), { code: 'CHAIN_BAD_SIGNATURE' })
  }
  const sigVariants: [string, Uint8Array][] = []
  for (const i of [0, 31, 32, 63]) {
    const s = Uint8Array.from(signed.signature)
    s[i] ^= 0x01
    sigVariants.push([`byte ${i} flipped`, s])
  }
  const v = Uint8Array.from(signed.signature)
  v[64] ^= 1
  sigVariants.push(['recovery id flipped', v])
  const v2 = Uint8Array.from(signed.signature)
  v2[64] = 27
  sigVariants.push(['recovery id 27', v2])
  sigVariants.push(['truncated', signed.signature.subarray(0, 64)])
  sigVariants.push(['extended', Uint8Array.of(...signed.signature, 0)])
  sigVariants.push(['all zero', new Uint8Array(65)])
  sigVariants.push(['empty', new Uint8Array(0)])
  for (const [name, sig] of sigVariants) {
    t.throws(() => verifyHeaderSignature({ ...signed, signature: sig }), { code: 'CHAIN_BAD_SIGNATURE' }, `signature ${name}`)
  }
})

t.test('decode rejects bad encodings with CHAIN_BAD_ENCODING', async (t) => {
  const fields = headerToFields(signHeader(sample(), KEY)) as (Uint8Array | Uint8Array[])[]
  const withField = (i: number, v: Uint8Array | Uint8Array[]) => {
    const f = [...fields]
    f[i] = v
    return RLP.encode(f as Uint8Array[])
  }
  const cases: [string, Uint8Array][] = [
    ['13 fields', RLP.encode(fields.slice(0, 13) as Uint8Array[])],
    ['15 fields', RLP.encode([...fields, new Uint8Array(0)] as Uint8Array[])],
    ['empty list', RLP.encode([])],
    ['a byte string, not a list', RLP.encode(new Uint8Array(32))],
    ['garbage', Uint8Array.of(0xf9, 0xff)],
    ['trailing bytes', Uint8Array.of(...encodeHeader(signHeader(sample(), KEY)), 0x00)],
    ['empty input', new Uint8Array(0)],
    ['parentHash 31 bytes', withField(0, new Uint8Array(31))],
    ['parentHash 33 bytes', withField(0, new Uint8Array(33))],
    ['producer 19 bytes', withField(3, new Uint8Array(19))],
    ['producer 21 bytes', withField(3, new Uint8Array(21))],
    ['stateRoot empty', withField(4, new Uint8Array(0))],
    ['transactionsRoot 31', withField(5, new Uint8Array(31))],
    ['receiptsRoot 33', withField(6, new Uint8Array(33))],
    ['logsBloom 255 bytes', withField(7, new Uint8Array(255))],
    ['flowRoot 31', withField(11, new Uint8Array(31))],
    ['confirmationsRoot 33', withField(12, new Uint8Array(33))],
    ['number with a leading zero', withField(1, Uint8Array.of(0, 1))],
    ['number as a single zero byte', withField(1, Uint8Array.of(0))],
    ['timestamp with a leading zero', withField(2, Uint8Array.of(0, 0x18, 0x8b))],
    ['gasLimit with a leading zero', withField(8, Uint8Array.of(0, 1, 0xc9, 0xc3, 0x80))],
    ['gasUsed with a leading zero', withField(9, Uint8Array.of(0, 1))],
    ['baseFee with a leading zero', withField(10, Uint8Array.of(0, 0x3b, 0x9a, 0xca, 0x00))],
    [
      'number longer than 32 bytes',
      withField(
        1,
        Uint8Array.from({ length: 33 }, () => 1),
      ),
    ],
    ['number is a list', withField(1, [Uint8Array.of(1)])],
    ['parentHash is a list', withField(0, [new Uint8Array(32)])],
    ['signature is a list', withField(13, [new Uint8Array(65)])],
  ]
  for (const [name, enc] of cases) {
    t.throws(() => decodeHeader(enc), { code: 'CHAIN_BAD_ENCODING' }, name)
  }
  // the longest legal number: 32 bytes
  const max = decodeHeader(
    withField(
      1,
      Uint8Array.from({ length: 32 }, () => 0xff),
    ),
  )
  t.equal(max.number, 2n ** 256n - 1n)
})
