import t from 'tap'
import { RecoverPool } from '../../../src/crypto/recoverPool.js'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { core } from '../../../src/core/index.js'
import { FlowError, FlowErrorCode } from '../../../src/flow/errors.js'
import { RECEIPT_DOMAIN_TAG, checkReceiptSignatures, hexOf, receiptHash, signReceipt, type FlowReceipt, type SignedReceipt } from '../../../src/flow/receipt.js'
import { VERIFY_CHUNK, verifyReceipts, type ReceiptCheck } from '../../../src/flow/verifyPool.js'

const h = (s: string): Uint8Array => core.keccak256(new TextEncoder().encode(s))
const keys = Array.from({ length: 8 }, (_, i) => h(`key ${i}`))
const addrs = keys.map((k) => hexOf(addressOf(publicKeyOf(k))))

function receipt(i: number): SignedReceipt {
  const c = i % 8
  const p = (i + 3) % 8
  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 1n,
    sessionId: h(`session ${i % 50}`),
    consumer: addrs[c]!,
    provider: addrs[p]!,
    relays: [],
    seq: BigInt(i),
    bytesUp: BigInt(i * 10),
    bytesDown: BigInt(i * 1000),
    sampleRoot: h(`s ${i}`),
    prevReceiptHash: new Uint8Array(32),
    cycle: 1n,
    expiryHeight: 100n,
  }
  const sr = { ...r, consumerSignature: signReceipt(r, keys[c]!), providerSignature: signReceipt(r, keys[p]!) }
  // forgeries: a stranger's consumer signature, a bad v, a swapped provider signature, bad fields
  if (i % 97 === 5) sr.consumerSignature = signReceipt(r, h('mallory'))
  if (i % 101 === 7) sr.consumerSignature = Uint8Array.from([...sr.consumerSignature.subarray(0, 64), 29])
  if (i % 89 === 11) sr.providerSignature = sr.consumerSignature
  if (i % 499 === 13) sr.seq = -1n
  return sr
}

function single(sr: SignedReceipt): ReceiptCheck {
  try {
    const hash = receiptHash(sr)
    checkReceiptSignatures(sr)
    return { ok: true, hash }
  } catch (e) {
    return { ok: false, reason: (e as Error).message, code: (e as FlowError).code }
  }
}

const norm = (rs: ReceiptCheck[]) => rs.map((r) => (r.ok ? { ok: true, hash: hexOf(r.hash) } : r))

t.test('receipts over several pipeline chunks on worker threads match the single-thread check', async (t) => {
  // two whole chunks and a short third one: hashing of one chunk overlaps recovery of the last
  const receipts = Array.from({ length: 2 * VERIFY_CHUNK + 37 }, (_, i) => receipt(i))
  const expected = receipts.map(single)
  const bad = expected.filter((r) => !r.ok)
  t.ok(bad.length > 40, `${bad.length} forged`)
  t.ok(bad.some((r) => !r.ok && r.code === FlowErrorCode.FLOW_BAD_FORMAT))
  t.ok(bad.some((r) => !r.ok && /consumer signature recovers to/.test(r.reason)))
  t.ok(bad.some((r) => !r.ok && /consumer signature is invalid/.test(r.reason)))
  t.ok(bad.some((r) => !r.ok && /provider signature/.test(r.reason)))

  const pool = RecoverPool.create({ threads: 2 })
  t.teardown(() => pool.close())
  const pooled = await verifyReceipts(pool, receipts)
  t.equal(pool.liveWorkers, 2, 'recovered on the workers')
  t.same(norm(pooled), norm(expected), 'in order, across chunk boundaries')
  t.ok(
    expected.slice(2 * VERIFY_CHUNK).some((r) => !r.ok),
    'forgeries in the last chunk too',
  )
  t.same(norm(await verifyReceipts(null, receipts)), norm(expected), 'no pool')
  // a small batch (one worker's chunk)
  t.same(norm(await verifyReceipts(pool, receipts.slice(0, 10))), norm(expected.slice(0, 10)))
  t.same(await verifyReceipts(pool, []), [])
})
