/**
 * The side-chain of one cycle on a real classic-level: honest receipts sealed into event-driven
 * blocks (by count and by delay, never empty), every rejection with its code (format, chain,
 * cycle, expiry, forged signature, replay, decreasing totals, broken prevReceiptHash, a second
 * receipt for one seq kept as evidence), restart from the store, and the cycle's entries.
 */
import t, { type Test } from 'tap'
import path from 'node:path'
import { openDatabase } from '../../../src/chain/blockStore.js'
import { FlowErrorCode } from '../../../src/flow/errors.js'
import { RECEIPT_DOMAIN_TAG, ZERO_HASH, decodeReceipt, receiptHash, signReceipt, type FlowReceipt, type SignedReceipt } from '../../../src/flow/receipt.js'
import { SideChain, sessionsPerProvider, sideChainIdOf, verifyOnThread, type SideChainOptions } from '../../../src/flow/sideChain.js'
import { EMPTY_SAMPLE_ROOT } from '../../../src/flow/sampling.js'
import { SideStore, sideBlockHash } from '../../../src/flow/sideStore.js'
import { devAddress, devKey, same, tempDir } from '../../helpers/inProcessNode.js'

const CHAIN = 2100n
const CYCLE = 5n
const consumer = { key: devKey(1), address: devAddress(1) }
const provider = { key: devKey(2), address: devAddress(2) }
const stranger = devKey(3)

function receipt(over: Partial<FlowReceipt> & { sid?: number } = {}): FlowReceipt {
  const { sid = 1, ...rest } = over
  return {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: CHAIN,
    sessionId: new Uint8Array(32).fill(sid),
    consumer: consumer.address,
    provider: provider.address,
    relays: [],
    seq: 1n,
    bytesUp: 100n,
    bytesDown: 1000n,
    sampleRoot: new Uint8Array(32).fill(0xab),
    prevReceiptHash: ZERO_HASH,
    cycle: CYCLE,
    expiryHeight: 100n,
    ...rest,
  }
}

function signed(r: FlowReceipt, consumerKey = consumer.key, providerKey = provider.key): SignedReceipt {
  return { ...r, consumerSignature: signReceipt(r, consumerKey), providerSignature: signReceipt(r, providerKey) }
}

async function open(t: Test, over: Partial<SideChainOptions> = {}, dir = path.join(tempDir(t), 'db')) {
  const db = await openDatabase(dir)
  t.teardown(() => (db.status === 'open' ? db.close() : undefined))
  const store = new SideStore(db)
  const blocks: bigint[] = []
  const settled = new Map<string, { seq: bigint; total: bigint }>()
  const sc = await SideChain.open({
    store,
    chainId: CHAIN,
    cycle: CYCLE,
    headNumber: () => 10n,
    verify: verifyOnThread,
    settled: async (id) => settled.get(Buffer.from(id).toString('hex')) ?? { seq: 0n, total: 0n },
    now: () => 1_000,
    rate: { maxBytesPerSec: 10n ** 12n, sinceMs: 0 },
    admit: async () => {},
    blockDelayMs: 20,
    onBlock: (b) => blocks.push(b.height),
    ...over,
  })
  t.teardown(() => sc.stop())
  return { db, store, sc, blocks, settled, dir }
}

const rejects = async (t: Test, p: Promise<unknown>, code: string, msg: string) => {
  try {
    await p
    t.fail(`${msg}: accepted`)
  } catch (e) {
    t.equal((e as { code?: string }).code, code, msg)
  }
}

t.test('sideChainId is keccak("NFC-SIDECHAIN" ‖ u64be(cycle))', async (t) => {
  t.equal(sideChainIdOf(1n).length, 32)
  t.not(Buffer.from(sideChainIdOf(1n)).toString('hex'), Buffer.from(sideChainIdOf(2n)).toString('hex'))
})

t.test('honest receipts of one tick go into one block; the next block links to it', async (t) => {
  const { sc, store, blocks } = await open(t)
  const r1 = signed(receipt({ sid: 1 }))
  const r2 = signed(receipt({ sid: 2 }))
  const [a1, a2] = await Promise.all([sc.submit(r1), sc.submit(r2)])
  t.equal(a1.height, 1n)
  t.equal(a2.height, 1n)
  same(t, a1.receiptHash, receiptHash(r1))
  same(t, a1.sideChainId, sideChainIdOf(CYCLE))
  const r3 = signed(receipt({ sid: 1, seq: 2n, bytesUp: 200n, bytesDown: 1500n, prevReceiptHash: receiptHash(r1) }))
  t.equal((await sc.submit(r3)).height, 2n)
  t.same(blocks, [1n, 2n], 'no empty block')
  const b2 = await store.block(CYCLE, 2n)
  same(t, b2!.parentHash, sideBlockHash((await store.block(CYCLE, 1n))!), 'block 2 names block 1')
  same(t, sc.headHash, sideBlockHash(b2!))
  t.equal(sc.receiptCount, 3n)
  const s1 = await store.session(r1.sessionId)
  t.equal(s1!.lastSeq, 2n)
  t.equal(s1!.bytesDown, 1500n)
  same(t, s1!.lastReceiptHash, receiptHash(r3))
})

t.test('maxPending seals at once', async (t) => {
  const { sc, blocks } = await open(t, { maxPending: 3, blockDelayMs: 60_000 })
  const got = await Promise.all([1, 2, 3].map((i) => sc.submit(signed(receipt({ sid: i })))))
  t.same(
    got.map((a) => a.height),
    [1n, 1n, 1n],
  )
  t.same(blocks, [1n])
})

t.test('every rejection carries its code; nothing rejected reaches a block', async (t) => {
  const { sc, store, blocks } = await open(t)
  const first = signed(receipt())
  await sc.submit(first)
  await rejects(t, sc.submit(signed(receipt({ sid: 2, chainId: 1n }))), FlowErrorCode.FLOW_WRONG_CHAIN, 'other chain id')
  await rejects(t, sc.submit(signed(receipt({ sid: 2, domainTag: new Uint8Array(32) }))), FlowErrorCode.FLOW_WRONG_CHAIN, 'other domain tag')
  await rejects(t, sc.submit(signed(receipt({ sid: 2, cycle: CYCLE + 1n }))), FlowErrorCode.FLOW_WRONG_CYCLE, 'other cycle')
  await rejects(t, sc.submit(signed(receipt({ sid: 2, expiryHeight: 9n }))), FlowErrorCode.FLOW_EXPIRED, 'expired')
  await rejects(t, sc.submit(signed(receipt({ sid: 2 }), stranger)), FlowErrorCode.FLOW_BAD_SIGNATURE, 'forged consumer signature')
  const next = receipt({ seq: 2n, bytesUp: 150n, bytesDown: 1100n, prevReceiptHash: receiptHash(first) })
  // the provider inflates its claim after the consumer signed: the consumer signature no longer matches
  const inflated = { ...signed(next), bytesDown: 9_000_000n }
  await rejects(t, sc.submit(inflated), FlowErrorCode.FLOW_BAD_SIGNATURE, 'inflated provider claim')
  await rejects(t, sc.submit(first), FlowErrorCode.FLOW_REPLAY, 'replay of an accepted receipt')
  await rejects(
    t,
    sc.submit(signed(receipt({ seq: 2n, bytesUp: 99n, prevReceiptHash: receiptHash(first) }))),
    FlowErrorCode.FLOW_TOTAL_DECREASED,
    'decreasing total',
  )
  await rejects(
    t,
    sc.submit(signed(receipt({ seq: 2n, bytesUp: 150n, prevReceiptHash: new Uint8Array(32).fill(1) }))),
    FlowErrorCode.FLOW_BAD_FORMAT,
    'broken prevReceiptHash',
  )
  const dup = signed(receipt({ bytesDown: 5000n }))
  await rejects(t, sc.submit(dup), FlowErrorCode.FLOW_DUPLICATE_SEQ, 'same seq, other totals')
  same(t, await store.evidence(receiptHash(dup)), (await import('../../../src/flow/receipt.js')).encodeReceipt(dup), 'kept as evidence')
  t.equal((await sc.submit(signed(next))).height, 2n, 'the honest next receipt still goes in')
  t.same(blocks, [1n, 2n])
})

t.test('a restarted side-chain resumes its head and sessions; close() gives the entries', async (t) => {
  const dir = path.join(tempDir(t), 'db')
  const a = await open(t, {}, dir)
  const r1 = signed(receipt({ sid: 1 }))
  await a.sc.submit(r1)
  a.sc.stop()
  await a.db.close()
  const b = await open(t, {}, dir)
  t.equal(b.sc.height, 1n)
  await rejects(t, b.sc.submit(r1), FlowErrorCode.FLOW_REPLAY, 'replay after restart')
  const r2 = signed(receipt({ sid: 1, seq: 2n, bytesUp: 300n, bytesDown: 3000n, prevReceiptHash: receiptHash(r1) }))
  const r3 = signed(receipt({ sid: 2, seq: 4n, bytesUp: 1n, bytesDown: 2n }))
  b.settled.set(Buffer.from(r3.sessionId).toString('hex'), { seq: 3n, total: 2n })
  await Promise.all([b.sc.submit(r2), b.sc.submit(r3)])
  const entries = await b.sc.close()
  same(
    t,
    entries.map((e) => [e.sessionId, e.seq, e.prevTotal, e.total, e.receiptHash]),
    [
      [r2.sessionId, 2n, 0n, 3300n, receiptHash(r2)],
      [r3.sessionId, 4n, 2n, 3n, receiptHash(r3)],
    ],
  )
  await rejects(t, b.sc.submit(signed(receipt({ sid: 3 }))), FlowErrorCode.FLOW_WRONG_CYCLE, 'closed side-chain')
  t.equal(decodeReceipt((await b.store.cycleLatest(CYCLE))[0]!).seq, 2n)
})

// ------------------------------------------------------------ bounds (DESIGN §12, issue 21)

const MAX_U64 = 2n ** 64n - 1n

t.test('running totals above uint64 are refused before any signature check (the 2^256−1 receipt)', async (t) => {
  // a rate bound that cannot bite here: this test is about the uint64 bound alone
  const { sc, store, blocks } = await open(t, { rate: { maxBytesPerSec: MAX_U64, sinceMs: 0 } })
  await rejects(t, sc.submit(signed(receipt({ sid: 1, bytesUp: 2n ** 256n - 1n, bytesDown: 0n }))), FlowErrorCode.FLOW_OUT_OF_BOUNDS, '2^256−1 bytes up')
  await rejects(t, sc.submit(signed(receipt({ sid: 2, bytesUp: MAX_U64, bytesDown: 1n }))), FlowErrorCode.FLOW_OUT_OF_BOUNDS, 'up + down = 2^64')
  // the forged signature is never looked at: the bound comes first
  await rejects(
    t,
    sc.submit(signed(receipt({ sid: 3, bytesUp: MAX_U64 + 1n, bytesDown: 0n }), stranger)),
    FlowErrorCode.FLOW_OUT_OF_BOUNDS,
    'bound before signatures',
  )
  t.same(blocks, [], 'nothing sealed')
  t.equal((await store.cycleLatest(CYCLE)).length, 0, 'nothing stored')
  const atBound = signed(receipt({ sid: 4, bytesUp: MAX_U64 - 5n, bytesDown: 5n }))
  t.equal((await sc.submit(atBound)).height, 1n, 'exactly 2^64−1 is taken')
})

t.test('a session claims at most the maximum rate × the time since its unsettled traffic can have started', async (t) => {
  let now = 10_000
  // 1,000 bytes/s, unsettled traffic counted from 0 ms: at 10 s, 10,000 bytes above the settled total
  const { sc, settled } = await open(t, { now: () => now, rate: { maxBytesPerSec: 1_000n, sinceMs: 0 } })
  await rejects(t, sc.submit(signed(receipt({ sid: 1, bytesUp: 5_000n, bytesDown: 5_001n }))), FlowErrorCode.FLOW_OUT_OF_BOUNDS, '10,001 bytes in 10 s')
  const r1 = signed(receipt({ sid: 1, bytesUp: 5_000n, bytesDown: 5_000n }))
  t.equal((await sc.submit(r1)).height, 1n, '10,000 bytes in 10 s')
  now += 2_500
  await rejects(
    t,
    sc.submit(signed(receipt({ sid: 1, seq: 2n, bytesUp: 5_000n, bytesDown: 7_501n, prevReceiptHash: receiptHash(r1) }))),
    FlowErrorCode.FLOW_OUT_OF_BOUNDS,
    '12,501 bytes in 12.5 s',
  )
  const r2 = signed(receipt({ sid: 1, seq: 2n, bytesUp: 5_000n, bytesDown: 7_500n, prevReceiptHash: receiptHash(r1) }))
  t.equal((await sc.submit(r2)).height, 2n, '12,500 bytes in 12.5 s, however the receipts were spaced')
  // a session that settled 1,000,000 bytes before: only what lies above the settled total counts
  settled.set(Buffer.from(new Uint8Array(32).fill(2)).toString('hex'), { seq: 7n, total: 1_000_000n })
  const r3 = signed(receipt({ sid: 2, seq: 8n, bytesUp: 1_000_000n, bytesDown: 12_500n }))
  t.equal((await sc.submit(r3)).height, 3n, 'a long session: 12,500 bytes over its settled total in 12.5 s')
  const { carriableBytes } = await import('../../../src/flow/receipt.js')
  t.equal(carriableBytes(1_000n, 0n), 1_000n, 'never less than one second of traffic')
  t.equal(carriableBytes(1_000n, 2_500n), 2_500n)
})

t.test('an out-of-bound receipt already in the store (taken before the bound) is left out of the entries, the rest stay', async (t) => {
  const skipped: string[] = []
  const { sc, store } = await open(t, { onSkipped: (_sr, why) => skipped.push(why) })
  const good = signed(receipt({ sid: 1 }))
  await sc.submit(good)
  // what an older node stored: a 2^256−1 receipt, written to the store directly
  const bad = signed(receipt({ sid: 9, bytesUp: 2n ** 256n - 1n, bytesDown: 0n }))
  const { encodeReceipt } = await import('../../../src/flow/receipt.js')
  await store.commitBlock({
    block: { sideChainId: sideChainIdOf(CYCLE), height: 2n, parentHash: sc.headHash, cycle: CYCLE, timestampMs: 1_000n, receipts: [encodeReceipt(bad)] },
    sessions: [],
    accepted: [{ receiptHash: receiptHash(bad), sessionId: bad.sessionId, seq: 1n, bytesUp: bad.bytesUp, bytesDown: 0n, encoded: encodeReceipt(bad) }],
    receiptsTotal: 2n,
  })
  const entries = await sc.close()
  same(
    t,
    entries.map((e) => e.sessionId),
    [good.sessionId],
    'only the bounded session',
  )
  t.equal(skipped.length, 1, 'the skipped one is reported')
  t.match(skipped[0], /exceeds the uint64 bound/)
  const { buildCheckpoint } = await import('../../../src/flow/checkpoint.js')
  t.equal(buildCheckpoint({ cycle: CYCLE, prevCheckpoint: ZERO_HASH, entries }).totalBytes, 1100n, 'the checkpoint builds')
})

t.test('the parties are admitted before any signature is checked; a refused one leaves no trace', async (t) => {
  const { FlowError } = await import('../../../src/flow/errors.js')
  let verified = 0
  const { sc, blocks } = await open(t, {
    admit: async (sr) => {
      if (sr.sessionId[0] === 9) throw new FlowError(FlowErrorCode.FLOW_NOT_PLEDGED, 'not pledged')
    },
    verify: async (rs) => ((verified += rs.length), verifyOnThread(rs)),
  })
  await rejects(t, sc.submit(signed(receipt({ sid: 9 }), stranger)), FlowErrorCode.FLOW_NOT_PLEDGED, 'refused by the parties, forged signature never checked')
  t.equal(verified, 0, 'no signature checked')
  t.equal((await sc.submit(signed(receipt({ sid: 1 })))).height, 1n, 'an admitted one goes in')
  t.equal(verified, 1)
  t.same(blocks, [1n])
})

t.test('one pledged pair with more sessions than a checkpoint holds cannot stop the cycle’s checkpoint', async (t) => {
  const { MAX_CHECKPOINT_ENTRIES, buildCheckpoint } = await import('../../../src/flow/checkpoint.js')
  // signatures are not what this is about: every receipt passes, so 4,097 of them stay quick
  const { sc } = await open(t, { verify: async (rs) => rs.map(() => null), maxPending: 512 })
  const unsigned = (i: number): SignedReceipt => {
    const sessionId = new Uint8Array(32)
    new DataView(sessionId.buffer).setUint32(28, i)
    return { ...receipt({ sessionId }), consumerSignature: new Uint8Array(65), providerSignature: new Uint8Array(65) }
  }
  const taken = await Promise.all(Array.from({ length: MAX_CHECKPOINT_ENTRIES }, (_, i) => sc.submit(unsigned(i))))
  t.equal(taken.length, MAX_CHECKPOINT_ENTRIES, 'as many sessions as a checkpoint holds are taken')
  await rejects(t, sc.submit(unsigned(MAX_CHECKPOINT_ENTRIES)), FlowErrorCode.FLOW_OUT_OF_BOUNDS, 'one session more is refused at the edge')
  const next = { ...receipt({ sessionId: unsigned(7).sessionId, seq: 2n, bytesDown: 2000n, prevReceiptHash: taken[7]!.receiptHash }) }
  t.ok(
    (await sc.submit({ ...next, consumerSignature: new Uint8Array(65), providerSignature: new Uint8Array(65) })).height > 0n,
    'a session of the cycle still goes on',
  )
  const entries = await sc.close()
  t.equal(entries.length, MAX_CHECKPOINT_ENTRIES, 'one entry per taken session')
  t.equal(buildCheckpoint({ cycle: CYCLE, prevCheckpoint: ZERO_HASH, entries }).entries.length, MAX_CHECKPOINT_ENTRIES, 'the checkpoint builds')
})

t.test('CROWD-OUT (issue 16): one provider holds at most its share of the cycle’s sessions; other providers still get in, across a restart', async (t) => {
  const dir = path.join(tempDir(t), 'db')
  const other = devAddress(4)
  const unsigned = (i: number, p = provider.address): SignedReceipt => {
    const sessionId = new Uint8Array(32)
    new DataView(sessionId.buffer).setUint32(28, i)
    return { ...receipt({ sessionId, provider: p }), consumerSignature: new Uint8Array(65), providerSignature: new Uint8Array(65) }
  }
  const opts = { verify: async (rs: SignedReceipt[]) => rs.map(() => null), maxSessionsPerProvider: 3 }
  const first = await open(t, opts, dir)
  const taken = await Promise.all([0, 1, 2].map((i) => first.sc.submit(unsigned(i))))
  t.equal(taken.length, 3, "the provider's share: 3 sessions")
  try {
    await first.sc.submit(unsigned(3))
    t.fail('a fourth session of the provider was accepted')
  } catch (e) {
    const err = e as { code?: string; message: string; meta?: { field?: string } }
    t.equal(err.code, FlowErrorCode.FLOW_OUT_OF_BOUNDS, 'a fourth session of the same provider is refused at the edge')
    t.match(err.message, new RegExp(`provider ${provider.address} already holds 3 sessions of cycle ${CYCLE}, at most 3 per provider`))
    t.equal(err.meta?.field, 'provider', 'naming the provider')
  }
  t.ok((await first.sc.submit(unsigned(4, other))).height > 0n, 'another provider still gets in')
  const next = receipt({ sessionId: unsigned(1).sessionId, seq: 2n, bytesDown: 2000n, prevReceiptHash: taken[1]!.receiptHash })
  t.ok(
    (await first.sc.submit({ ...next, consumerSignature: new Uint8Array(65), providerSignature: new Uint8Array(65) })).height > 0n,
    'its sessions already in go on',
  )
  first.sc.stop()
  await first.db.close()
  const again = await open(t, opts, dir)
  await rejects(t, again.sc.submit(unsigned(5)), FlowErrorCode.FLOW_OUT_OF_BOUNDS, 'after a restart the stored sessions still count')
  t.ok((await again.sc.submit(unsigned(6, other))).height > 0n, 'the other provider takes a second session')
})

t.test('sessionsPerProvider: the genesis share of the 4,096 sessions a checkpoint holds, at least one', async (t) => {
  t.equal(sessionsPerProvider(1_000), 409, 'the default 10 %: 409 sessions')
  t.equal(sessionsPerProvider(10_000), 4_096, 'all of them')
  t.equal(sessionsPerProvider(1), 1, 'never none')
  for (const bad of [0, 10_001, 1.5]) t.throws(() => sessionsPerProvider(bad), RangeError, `${bad} is refused`)
})

t.test('more sessions in the store than a checkpoint holds (stored before the limit): the first by session id go in', async (t) => {
  const { MAX_CHECKPOINT_ENTRIES, buildCheckpoint } = await import('../../../src/flow/checkpoint.js')
  const { encodeReceipt } = await import('../../../src/flow/receipt.js')
  const skipped: string[] = []
  const { sc, store } = await open(t, { onSkipped: (_sr, why) => skipped.push(why) })
  const stored = Array.from({ length: MAX_CHECKPOINT_ENTRIES + 2 }, (_, i) => {
    const sessionId = new Uint8Array(32)
    new DataView(sessionId.buffer).setUint32(28, i)
    const sr: SignedReceipt = { ...receipt({ sessionId }), consumerSignature: new Uint8Array(65), providerSignature: new Uint8Array(65) }
    return { receiptHash: receiptHash(sr), sessionId, seq: 1n, bytesUp: sr.bytesUp, bytesDown: sr.bytesDown, encoded: encodeReceipt(sr) }
  })
  await store.commitBlock({
    block: { sideChainId: sideChainIdOf(CYCLE), height: 1n, parentHash: ZERO_HASH, cycle: CYCLE, timestampMs: 1_000n, receipts: stored.map((a) => a.encoded) },
    sessions: [],
    accepted: stored,
    receiptsTotal: BigInt(stored.length),
  })
  const entries = await sc.close()
  t.equal(entries.length, MAX_CHECKPOINT_ENTRIES, 'a full checkpoint')
  same(t, entries[entries.length - 1]!.sessionId, stored[MAX_CHECKPOINT_ENTRIES - 1]!.sessionId, 'the lowest session ids')
  t.equal(skipped.length, 2, 'the two left out are reported')
  t.match(skipped[0], /already holds 4096 entries/)
  t.equal(buildCheckpoint({ cycle: CYCLE, prevCheckpoint: ZERO_HASH, entries }).entries.length, MAX_CHECKPOINT_ENTRIES, 'the checkpoint builds')
})

t.test('the sampling floor: a receipt that claims bytes and commits to no sampled slice is refused before any signature check', async (t) => {
  const { sc, store, blocks } = await open(t)
  const err = await sc.submit(signed(receipt({ sid: 1, sampleRoot: EMPTY_SAMPLE_ROOT }))).then(
    () => null,
    (e: unknown) => e as { code?: string; message: string; meta?: { field?: string } },
  )
  t.equal(err?.code, FlowErrorCode.FLOW_BAD_FORMAT, 'refused')
  t.equal(err?.meta?.field, 'sampleRoot', 'naming the sampleRoot')
  t.match(err?.message, /claims 1100 bytes but commits to no sampled slice/)
  await rejects(
    t,
    sc.submit(signed(receipt({ sid: 2, sampleRoot: EMPTY_SAMPLE_ROOT, bytesUp: 0n, bytesDown: 1n }), stranger)),
    FlowErrorCode.FLOW_BAD_FORMAT,
    'one byte is enough to need a slice; the forged signature is never looked at',
  )
  t.same(blocks, [], 'nothing sealed')
  t.equal((await store.cycleLatest(CYCLE)).length, 0, 'nothing stored')
  t.equal((await sc.submit(signed(receipt({ sid: 3, sampleRoot: EMPTY_SAMPLE_ROOT, bytesUp: 0n, bytesDown: 0n })))).height, 1n, 'no bytes: no slice needed')
  t.equal((await sc.submit(signed(receipt({ sid: 4 })))).height, 2n, 'a receipt with a sampleRoot of its slices is taken')
})
