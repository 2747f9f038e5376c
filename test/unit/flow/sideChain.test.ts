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
import {
  RECEIPT_DOMAIN_TAG,
  ZERO_HASH,
  decodeReceipt,
  receiptHash,
  signReceipt,
  type FlowReceipt,
  type SignedReceipt,
} from '../../../src/flow/receipt.js'
import { SideChain, sideChainIdOf, verifyOnThread, type SideChainOptions } from '../../../src/flow/sideChain.js'
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
  t.same(got.map((a) => a.height), [1n, 1n, 1n])
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
  await rejects(t, sc.submit(signed(receipt({ seq: 2n, bytesUp: 99n, prevReceiptHash: receiptHash(first) }))), FlowErrorCode.FLOW_TOTAL_DECREASED, 'decreasing total')
  await rejects(t, sc.submit(signed(receipt({ seq: 2n, bytesUp: 150n, prevReceiptHash: new Uint8Array(32).fill(1) }))), FlowErrorCode.FLOW_BAD_FORMAT, 'broken prevReceiptHash')
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
