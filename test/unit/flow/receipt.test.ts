import t from 'tap'
import { TypedDataEncoder, Wallet } from 'ethers'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { core } from '../../../src/core/index.js'
import { FlowError, FlowErrorCode } from '../../../src/flow/errors.js'
import {
  FLOW_RECEIPT_TYPES,
  MAX_RELAYS,
  RECEIPT_DOMAIN_TAG,
  checkReceiptSignatures,
  decodeReceipt,
  encodeReceipt,
  flowDomain,
  hexOf,
  receiptFromJson,
  receiptHash,
  receiptMessage,
  receiptToJson,
  receiptTotal,
  recoverReceiptSigners,
  rlpDecode,
  rlpEncode,
  signReceipt,
  type FlowReceipt,
  type SignedReceipt,
} from '../../../src/flow/receipt.js'

const keyOf = (s: string): Uint8Array => core.keccak256(new TextEncoder().encode(s))
const addrOfKey = (k: Uint8Array): string => hexOf(addressOf(publicKeyOf(k)))
const cKey = keyOf('consumer')
const pKey = keyOf('provider')
const consumer = addrOfKey(cKey)
const provider = addrOfKey(pKey)
const chainId = 31337n

function base(over: Partial<FlowReceipt> = {}): FlowReceipt {
  return {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId,
    sessionId: keyOf('session'),
    consumer,
    provider,
    relays: [addrOfKey(keyOf('relay1')), addrOfKey(keyOf('relay2'))],
    seq: 7n,
    bytesUp: 1_000_000n,
    bytesDown: 123_456_789_012n,
    sampleRoot: keyOf('samples'),
    prevReceiptHash: keyOf('prev'),
    cycle: 3n,
    expiryHeight: 99_999n,
    ...over,
  }
}

function signed(over: Partial<FlowReceipt> = {}): SignedReceipt {
  const r = base(over)
  return { ...r, consumerSignature: signReceipt(r, cKey), providerSignature: signReceipt(r, pKey) }
}

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return e instanceof FlowError ? e.code : `not a FlowError: ${(e as Error).message}`
  }
  return undefined
}

t.test('domain tag and total', async (t) => {
  t.equal(hexOf(RECEIPT_DOMAIN_TAG), hexOf(core.keccak256(new TextEncoder().encode('NFC-POVF-RECEIPT-v1'))))
  t.equal(receiptTotal(base()), 1_000_000n + 123_456_789_012n)
  t.equal(MAX_RELAYS, 4)
})

t.test('receiptHash is the EIP-712 digest ethers computes; ethers signatures are ours', async (t) => {
  for (const over of [
    {},
    { relays: [] },
    { relays: [consumer, provider, addrOfKey(keyOf('x')), addrOfKey(keyOf('y'))] },
    { seq: (1n << 64n) - 1n, bytesUp: 0n, bytesDown: 0n, chainId: 1n },
  ]) {
    const r = base(over)
    const digest = TypedDataEncoder.hash(flowDomain(r.chainId), FLOW_RECEIPT_TYPES, receiptMessage(r))
    t.equal(hexOf(receiptHash(r)), digest)
    const wallet = new Wallet(hexOf(cKey))
    const sig = await wallet.signTypedData(flowDomain(r.chainId), FLOW_RECEIPT_TYPES, receiptMessage(r))
    t.equal(hexOf(signReceipt(r, cKey)), sig, 'same deterministic signature')
  }
  t.equal(flowDomain(5n).verifyingContract, '0x0000000000000000000000000000000000001002')
})

t.test('recover and check signatures', async (t) => {
  const sr = signed()
  t.same(recoverReceiptSigners(sr), { consumer, provider })
  t.doesNotThrow(() => checkReceiptSignatures(sr))
  t.equal(signReceipt(base(), cKey).length, 65)
  t.ok([27, 28].includes(sr.consumerSignature[64]!))

  const swapped = { ...sr, consumerSignature: sr.providerSignature }
  try {
    checkReceiptSignatures(swapped)
    t.fail('should throw')
  } catch (e) {
    t.ok(e instanceof FlowError)
    t.equal((e as FlowError).code, FlowErrorCode.FLOW_BAD_SIGNATURE)
    t.equal((e as FlowError).meta.side, 'consumer')
  }
  // another field changed after signing: both recover to strangers
  const tampered = { ...sr, bytesDown: sr.bytesDown + 1n }
  const got = recoverReceiptSigners(tampered)
  t.not(got.consumer, consumer)
  t.not(got.provider, provider)
  // provider side named
  const badP = { ...sr, providerSignature: sr.consumerSignature }
  t.throws(() => checkReceiptSignatures(badP), { code: FlowErrorCode.FLOW_BAD_SIGNATURE, meta: { side: 'provider' } })
  // v outside 27/28, zero r, high s: recover to nobody
  const v0 = sr.consumerSignature.slice()
  v0[64] = v0[64]! - 27
  t.equal(recoverReceiptSigners({ ...sr, consumerSignature: v0 }).consumer, null)
  t.equal(recoverReceiptSigners({ ...sr, consumerSignature: new Uint8Array(65).fill(0).map((_, i) => (i === 64 ? 27 : 0)) }).consumer, null)
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
  const s = BigInt(hexOf(sr.consumerSignature.subarray(32, 64)))
  const high = sr.consumerSignature.slice()
  high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32)
  high[64] = high[64] === 27 ? 28 : 27
  t.equal(recoverReceiptSigners({ ...sr, consumerSignature: high }).consumer, null, 'high-s twin rejected')
})

t.test('RLP round trip and strict decoding', async (t) => {
  for (const sr of [signed(), signed({ relays: [] }), signed({ bytesUp: 0n, seq: 0n, cycle: 0n, expiryHeight: 0n })]) {
    const back = decodeReceipt(encodeReceipt(sr))
    t.same(back, sr)
    t.equal(hexOf(receiptHash(back)), hexOf(receiptHash(sr)))
  }
  const fields = rlpDecode(encodeReceipt(signed()), 'x') as unknown[]
  const names = [
    'domainTag',
    'chainId',
    'sessionId',
    'consumer',
    'provider',
    'relays',
    'seq',
    'bytesUp',
    'bytesDown',
    'sampleRoot',
    'prevReceiptHash',
    'cycle',
    'expiryHeight',
    'consumerSignature',
    'providerSignature',
  ]
  names.forEach((name, i) => {
    const bad = [...fields]
    bad[i] = name === 'relays' ? [new Uint8Array(19)] : new Uint8Array(33).fill(1)
    try {
      decodeReceipt(rlpEncode(bad))
      t.fail(`${name} accepted`)
    } catch (e) {
      t.equal((e as FlowError).code, FlowErrorCode.FLOW_BAD_FORMAT, name)
      t.match((e as FlowError).message, name, `message names ${name}`)
    }
  })
  // integers with a leading zero are not canonical
  const lead = [...fields]
  lead[6] = Uint8Array.of(0, 7)
  t.throws(() => decodeReceipt(rlpEncode(lead)), { code: FlowErrorCode.FLOW_BAD_FORMAT, message: /seq/ })
  // seq over 64 bits
  const big = [...fields]
  big[6] = new Uint8Array(9).fill(1)
  t.throws(() => decodeReceipt(rlpEncode(big)), { message: /seq/ })
  // too many relays
  const relays = [...fields]
  relays[5] = Array.from({ length: 5 }, (_, i) => new Uint8Array(20).fill(i + 1))
  t.equal(
    codeOf(() => decodeReceipt(rlpEncode(relays))),
    FlowErrorCode.FLOW_TOO_MANY_RELAYS,
  )
  // duplicate relay
  const dup = [...fields]
  dup[5] = [new Uint8Array(20).fill(1), new Uint8Array(20).fill(1)]
  t.equal(
    codeOf(() => decodeReceipt(rlpEncode(dup))),
    FlowErrorCode.FLOW_BAD_FORMAT,
  )
  // wrong field count, trailing bytes, not a list
  t.equal(
    codeOf(() => decodeReceipt(rlpEncode(fields.slice(0, 14)))),
    FlowErrorCode.FLOW_BAD_FORMAT,
  )
  const enc = encodeReceipt(signed())
  t.equal(
    codeOf(() => decodeReceipt(Uint8Array.from([...enc, 0]))),
    FlowErrorCode.FLOW_BAD_FORMAT,
  )
  t.equal(
    codeOf(() => decodeReceipt(rlpEncode(new Uint8Array(3)))),
    FlowErrorCode.FLOW_BAD_FORMAT,
  )
  t.equal(
    codeOf(() => decodeReceipt(new Uint8Array(0))),
    FlowErrorCode.FLOW_BAD_FORMAT,
  )
})

t.test('JSON round trip and strict parsing', async (t) => {
  const sr = signed()
  const json = receiptToJson(sr)
  t.equal(json.chainId, '0x7a69')
  t.equal(json.consumer, consumer)
  t.same(receiptFromJson(JSON.parse(JSON.stringify(json))), sr)
  // checksummed addresses are accepted and lowercased
  const upper = { ...json, consumer: '0x' + consumer.slice(2).toUpperCase() }
  t.equal(receiptFromJson(upper).consumer, consumer)

  const bads: [string, unknown][] = [
    ['domainTag', '0x1234'],
    ['domainTag', 'nothex'],
    ['chainId', '0x01'],
    ['chainId', 5],
    ['chainId', '0x'],
    ['sessionId', hexOf(new Uint8Array(31))],
    ['consumer', '0x1234'],
    ['provider', 'zz'],
    ['relays', 'x'],
    ['relays', ['0x12']],
    ['seq', '0x10000000000000000'],
    ['seq', '-0x1'],
    ['bytesUp', '0x1' + '0'.repeat(64)],
    ['bytesDown', '12'],
    ['sampleRoot', hexOf(new Uint8Array(33))],
    ['prevReceiptHash', null],
    ['cycle', '0xg'],
    ['expiryHeight', undefined],
    ['consumerSignature', hexOf(new Uint8Array(64))],
    ['providerSignature', '0x' + '0'.repeat(129)],
  ]
  for (const [field, value] of bads) {
    const j: Record<string, unknown> = { ...json, [field]: value }
    try {
      receiptFromJson(j)
      t.fail(`${field}=${String(value)} accepted`)
    } catch (e) {
      t.equal((e as FlowError).code, FlowErrorCode.FLOW_BAD_FORMAT, `${field}=${String(value)}`)
      t.match((e as FlowError).message, field)
    }
  }
  const missing: Record<string, unknown> = { ...json }
  delete missing.cycle
  t.throws(() => receiptFromJson(missing), { code: FlowErrorCode.FLOW_BAD_FORMAT, message: /cycle: missing/ })
  t.throws(() => receiptFromJson({ ...json, extra: 1 }), { message: /extra: unknown field/ })
  t.throws(() => receiptFromJson(null), { code: FlowErrorCode.FLOW_BAD_FORMAT })
  t.equal(
    codeOf(() => receiptFromJson({ ...json, relays: Array(5).fill(consumer) })),
    FlowErrorCode.FLOW_TOO_MANY_RELAYS,
  )
})

t.test('hashing and encoding reject out-of-range values', async (t) => {
  t.throws(() => receiptHash(base({ seq: 1n << 64n })), { code: FlowErrorCode.FLOW_BAD_FORMAT, message: /seq/ })
  t.throws(() => receiptHash(base({ bytesUp: -1n })), { message: /bytesUp/ })
  t.throws(() => receiptHash(base({ consumer: consumer.toUpperCase() })), { message: /consumer/ })
  t.throws(() => receiptHash(base({ bytesUp: 1n << 255n, bytesDown: 1n << 255n })), { message: /overflow/ })
  t.throws(() => encodeReceipt({ ...signed(), providerSignature: new Uint8Array(64) }), { message: /providerSignature/ })
})
