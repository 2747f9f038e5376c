import t from 'tap'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { core } from '../../../src/core/index.js'
import { entryOfReceipt, type CheckpointEntry } from '../../../src/flow/checkpoint.js'
import { FlowErrorCode } from '../../../src/flow/errors.js'
import { FraudKind, checkFraud, decodeFraudProof, encodeFraudProof, type FraudProof } from '../../../src/flow/fraudProof.js'
import { RECEIPT_DOMAIN_TAG, hexOf, receiptTotal, rlpDecode, rlpEncode, signReceipt, type FlowReceipt, type SignedReceipt } from '../../../src/flow/receipt.js'

const h = (s: string): Uint8Array => core.keccak256(new TextEncoder().encode(s))
const addrOfKey = (k: Uint8Array): string => hexOf(addressOf(publicKeyOf(k)))
const cKey = h('c')
const pKey = h('p')
const consumer = addrOfKey(cKey)
const provider = addrOfKey(pKey)
const relay = addrOfKey(h('r'))

function receipt(over: Partial<FlowReceipt> = {}, keys: { c?: Uint8Array; p?: Uint8Array } = {}): SignedReceipt {
  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 9n,
    sessionId: h('session'),
    consumer,
    provider,
    relays: [relay],
    seq: 12n,
    bytesUp: 500n,
    bytesDown: 9_500n,
    sampleRoot: h('samples'),
    prevReceiptHash: h('prev'),
    cycle: 4n,
    expiryHeight: 1000n,
    ...over,
  }
  return { ...r, consumerSignature: signReceipt(r, keys.c ?? cKey), providerSignature: signReceipt(r, keys.p ?? pKey) }
}

function entryOf(r: SignedReceipt, over: Partial<CheckpointEntry> = {}): CheckpointEntry {
  return { ...entryOfReceipt(r, 1000n), ...over }
}

const proof = (kind: FraudProof['kind'], r: SignedReceipt, second?: SignedReceipt): FraudProof => ({
  kind,
  cycle: 4n,
  entryIndex: 3,
  receipt: r,
  ...(second ? { second } : {}),
})

t.test('encoding round trips and is strict', async (t) => {
  const r = receipt()
  for (const p of [proof(FraudKind.BadSignature, r), proof(FraudKind.Inflated, r), proof(FraudKind.DuplicateSeq, r, receipt({ bytesDown: 1n }))]) {
    t.same(decodeFraudProof(encodeFraudProof(p)), p)
  }
  t.throws(() => encodeFraudProof(proof(FraudKind.DuplicateSeq, r)), { code: FlowErrorCode.FLOW_BAD_FORMAT, message: /second/ })
  t.throws(() => encodeFraudProof(proof(FraudKind.Inflated, r, r)), { message: /second/ })
  t.throws(() => encodeFraudProof({ ...proof(FraudKind.Inflated, r), kind: 4 as never }), { message: /kind/ })
  t.throws(() => encodeFraudProof({ ...proof(FraudKind.Inflated, r), entryIndex: -1 }), { message: /entryIndex/ })
  const top = rlpDecode(encodeFraudProof(proof(FraudKind.Inflated, r)), 'x') as unknown[]
  t.throws(() => decodeFraudProof(rlpEncode([Uint8Array.of(9), ...top.slice(1)])), { message: /kind/ })
  t.throws(() => decodeFraudProof(rlpEncode([...top.slice(0, 2), new Uint8Array(5).fill(1), top[3]])), { message: /entryIndex/ })
  const rf = [...(top[3] as unknown[])]
  rf[13] = new Uint8Array(64)
  t.throws(() => decodeFraudProof(rlpEncode([...top.slice(0, 3), rf])), { code: FlowErrorCode.FLOW_BAD_FORMAT, message: /consumerSignature/ })
  t.throws(() => decodeFraudProof(rlpEncode(top.slice(0, 3))), { code: FlowErrorCode.FLOW_BAD_FORMAT })
  t.throws(() => decodeFraudProof(Uint8Array.of(0xc0, 0)), { code: FlowErrorCode.FLOW_BAD_FORMAT })
})

t.test('BadSignature', async (t) => {
  const good = receipt()
  t.same(checkFraud(proof(FraudKind.BadSignature, good), entryOf(good)), { proven: false, reason: 'both signatures are valid' })
  // a provider-signed receipt the consumer never signed (signed by someone else)
  const forged = receipt({}, { c: h('mallory') })
  t.same(checkFraud(proof(FraudKind.BadSignature, forged), entryOf(forged)), { proven: true })
  const noProvider = { ...good, providerSignature: new Uint8Array(65) }
  t.same(checkFraud(proof(FraudKind.BadSignature, noProvider), entryOf(good)), { proven: true })
  // not the entry's receipt
  const other = receipt({ seq: 13n }, { c: h('mallory') })
  t.match(checkFraud(proof(FraudKind.BadSignature, other), entryOf(good)), { proven: false, reason: /hash differs/ })
})

t.test('DuplicateSeq', async (t) => {
  const r = receipt()
  const e = entryOf(r)
  const second = receipt({ bytesDown: 20_000n, prevReceiptHash: h('other') })
  t.same(checkFraud(proof(FraudKind.DuplicateSeq, r, second), e), { proven: true })
  // signed by the consumer only is enough
  const consumerOnly = { ...second, providerSignature: new Uint8Array(65) }
  t.same(checkFraud(proof(FraudKind.DuplicateSeq, r, consumerOnly), e), { proven: true })
  // same totals, other seq, other session, not the consumer, other chain, wrong first receipt
  t.match(checkFraud(proof(FraudKind.DuplicateSeq, r, receipt({ prevReceiptHash: h('x') })), e), { proven: false, reason: /same totals/ })
  t.match(checkFraud(proof(FraudKind.DuplicateSeq, r, receipt({ seq: 13n, bytesUp: 1n })), e), { proven: false, reason: /seq/ })
  t.match(checkFraud(proof(FraudKind.DuplicateSeq, r, receipt({ sessionId: h('s2'), bytesUp: 1n })), e), { proven: false, reason: /session/ })
  t.match(checkFraud(proof(FraudKind.DuplicateSeq, r, receipt({ bytesUp: 1n }, { c: h('mallory') })), e), { proven: false, reason: /consumer/ })
  t.match(checkFraud(proof(FraudKind.DuplicateSeq, r, receipt({ bytesUp: 1n, chainId: 10n })), e), { proven: false, reason: /chain/ })
  t.match(checkFraud(proof(FraudKind.DuplicateSeq, second, r), e), { proven: false, reason: /hash differs/ })
  t.match(checkFraud(proof(FraudKind.DuplicateSeq, r), e), { proven: false, reason: /malformed/ })
})

t.test('Inflated', async (t) => {
  const r = receipt()
  t.match(checkFraud(proof(FraudKind.Inflated, r), entryOf(r)), { proven: false, reason: /matches/ })
  const overs: [string, Partial<CheckpointEntry>][] = [
    ['total', { total: receiptTotal(r) + 1n }],
    ['seq', { seq: 11n }],
    ['session', { sessionId: h('s2') }],
    ['consumer', { consumer: relay }],
    ['provider', { provider: relay }],
    ['relays', { relays: [] }],
    ['sampleRoot', { sampleRoot: h('y') }],
  ]
  for (const [name, over] of overs) t.same(checkFraud(proof(FraudKind.Inflated, r), entryOf(r, over)), { proven: true }, name)
  // badly signed receipts go to BadSignature, not Inflated
  const forged = receipt({}, { p: h('mallory') })
  t.match(checkFraud(proof(FraudKind.Inflated, forged), entryOf(forged, { total: 1n })), { proven: false, reason: /BadSignature/ })
  t.match(checkFraud(proof(FraudKind.Inflated, r), entryOf(r, { receiptHash: h('z'), total: 0n, prevTotal: 0n })), { proven: false })
  // malformed input proves nothing and never throws
  t.match(checkFraud({ ...proof(FraudKind.Inflated, r), receipt: { ...r, seq: -1n } }, entryOf(r)), { proven: false, reason: /malformed/ })
  t.match(checkFraud(null as never, entryOf(r)), { proven: false })
})
