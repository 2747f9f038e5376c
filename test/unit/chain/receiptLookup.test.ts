/**
 * O(1) lookups (DESIGN §9): a receipt is its own record `R ‖ block hash ‖ u32 index`, a
 * transaction is decoded alone from its block's body. Checked against the whole-block path they
 * replace: the same records from the cache, from a fresh store, after a reorg, and from a data
 * directory written before the records existed (the old path is taken).
 */
import t, { type Test } from 'tap'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { decodeBodyTransaction, encodeBody, makeBlock, type Block } from '../../../src/chain/block.js'
import { BlockStore, key } from '../../../src/chain/blockStore.js'
import { ZERO32 } from '../../../src/chain/header.js'
import type { TxReceipt } from '../../../src/chain/receipt.js'
import { decodeReceiptRecord, encodeReceiptRecord, receiptRecordsOf } from '../../../src/chain/receiptRecord.js'
import { same, tempDir } from '../../helpers/inProcessNode.js'
import { storeFixture } from '../../helpers/storeFixture.js'

const { common, bytes, openStore, transfer, header } = storeFixture(11)
const R = 0x52

/** receipts with 0, 1 or 2 logs, so log indexes differ from transaction indexes */
function receiptsFor(txs: TypedTransaction[]): TxReceipt[] {
  let cumulative = 0n
  return txs.map((tx, i) => {
    cumulative += 21_000n + BigInt(i)
    return {
      status: i % 2 === 0 ? 1 : 0,
      cumulativeGasUsed: cumulative,
      gasUsed: 21_000n + BigInt(i),
      effectiveGasPrice: 2_000_000_000n + BigInt(i),
      contractAddress: tx.to === undefined ? bytes(20) : new Uint8Array(0),
      logs: Array.from({ length: i % 3 }, () => ({ address: bytes(20), topics: [bytes(32)], data: bytes(i) })),
    }
  })
}

/** what the lookups must give: computed from the whole block, as the RPC did before */
function expected(block: Block, receipts: TxReceipt[]) {
  let logIndex = 0
  return block.transactions.map((tx, i) => {
    const first = logIndex
    logIndex += receipts[i].logs.length
    return {
      txHash: bytesToHex(tx.hash()),
      type: tx.type,
      from: bytesToHex(tx.getSenderAddress().bytes),
      to: tx.to === undefined ? undefined : bytesToHex(tx.to.bytes),
      receipt: receipts[i],
      firstLogIndex: first,
    }
  })
}

const norm = (r: { txHash: Uint8Array; from: Uint8Array; to: Uint8Array | undefined }) => ({
  ...r,
  txHash: bytesToHex(r.txHash),
  from: bytesToHex(r.from),
  to: r.to === undefined ? undefined : bytesToHex(r.to),
})

async function checkLookups(t: Test, store: BlockStore, block: Block, receipts: TxReceipt[], label: string): Promise<void> {
  const want = expected(block, receipts)
  for (const [i, tx] of block.transactions.entries()) {
    const got = await store.getMinedReceipt(tx.hash())
    t.ok(got !== undefined, `${label}: receipt ${i} found`)
    same(t, got!.blockHash, block.hash, `${label}: receipt ${i} block`)
    t.equal(got!.index, i, `${label}: receipt ${i} index`)
    same(t, norm(got!.record), want[i], `${label}: receipt ${i} record`)
    const alone = await store.getTransaction(block.hash, i)
    t.equal(bytesToHex(alone!.serialize()), bytesToHex(tx.serialize()), `${label}: transaction ${i} decoded alone`)
  }
  same(t, (await store.getReceiptRecords(block.hash))?.map(norm), want, `${label}: the block's records`)
  t.equal(await store.getTransaction(block.hash, block.transactions.length), undefined, `${label}: past the end`)
}

t.test('a receipt record round-trips; garbage is CHAIN_BAD_ENCODING', async (t) => {
  const txs = [transfer(1, 2), transfer(2, null, '1559'), transfer(3, 4, '1559')]
  const block = makeBlock(header(1n, bytes(32)), txs)
  const recs = receiptRecordsOf(block, receiptsFor(txs))
  for (const rec of recs) same(t, norm(decodeReceiptRecord(encodeReceiptRecord(rec))), norm(rec))
  same(
    t,
    recs.map((r) => r.firstLogIndex),
    [0, 0, 1],
  )
  for (const raw of [Uint8Array.of(0xf9, 0xff), Uint8Array.of(0xc1, 0x80), encodeReceiptRecord(recs[0]).subarray(0, 40)]) {
    t.throws(() => decodeReceiptRecord(raw), { code: 'CHAIN_BAD_ENCODING' })
  }
})

t.test('decodeBodyTransaction decodes one transaction and skips the others', async (t) => {
  const txs = Array.from({ length: 300 }, (_, i) => transfer(1 + (i % 5), 3, i % 2 === 0 ? 'legacy' : '1559'))
  const body = encodeBody(txs, [])
  for (const i of [0, 1, 127, 128, 299]) t.equal(bytesToHex(decodeBodyTransaction(body, i, common)!.hash()), bytesToHex(txs[i].hash()), `transaction ${i}`)
  t.equal(decodeBodyTransaction(body, 300, common), undefined)
  t.equal(decodeBodyTransaction(encodeBody([], []), 0, common), undefined, 'an empty body')
  t.throws(() => decodeBodyTransaction(body.subarray(0, 500), 299, common), { code: 'CHAIN_BAD_ENCODING' }, 'a truncated body')
  t.throws(() => decodeBodyTransaction(Uint8Array.of(0xc1, 0x80), 0, common), { code: 'CHAIN_BAD_ENCODING' }, 'a body whose txs are not a list')
})

t.test('lookups agree with the whole block: cached, fresh store, reopened', async (t) => {
  const dir = tempDir(t)
  const { db, store } = await openStore(t, dir)
  const txs = [transfer(1, 2), transfer(2, 3, '1559'), transfer(3, null), transfer(4, 4), transfer(5, 6, '1559')]
  const block = makeBlock(header(1n, bytes(32)), txs)
  const receipts = receiptsFor(txs)
  await store.commitBlock(block, receipts, [])
  let n = 0
  for await (const _ of db.keys({ gte: key(R), lt: key(R + 1) })) n++
  t.equal(n, txs.length, 'one record per transaction')
  await checkLookups(t, store, block, receipts, 'cached')
  await checkLookups(t, new BlockStore(db, common), block, receipts, 'fresh store')
  t.equal(await store.getMinedReceipt(bytes(32)), undefined, 'an unknown hash')
  t.equal(await store.getReceiptRecords(bytes(32)), undefined, 'an unknown block')
  const empty = makeBlock(header(2n, block.hash), [])
  await store.commitBlock(empty, [], [])
  same(t, await new BlockStore(db, common).getReceiptRecords(empty.hash), [], 'an empty block has no records')
})

t.test('a data directory from before the records: the old path answers the same', async (t) => {
  const { db, store } = await openStore(t)
  const txs = [transfer(6, 7), transfer(7, null, '1559'), transfer(8, 9)]
  const block = makeBlock(header(1n, bytes(32)), txs)
  const receipts = receiptsFor(txs)
  await store.commitBlock(block, receipts, [])
  // what an older node wrote: everything but the R records
  await db.clear({ gte: key(R), lt: key(R + 1) })
  await checkLookups(t, new BlockStore(db, common), block, receipts, 'old data directory')
})

t.test('a reorg moves the lookups to the new branch; the old branch stays readable by hash', async (t) => {
  const { db, store } = await openStore(t)
  const g = makeBlock(header(0n, ZERO32), [])
  await store.commitBlock(g, [], [])
  const shared = transfer(1, 2)
  // branch A: [shared, a], canonical first
  const a1Txs = [shared, transfer(3, 4)]
  const a1 = makeBlock(header(1n, g.hash), a1Txs)
  const a1r = receiptsFor(a1Txs)
  await store.commitBlock(a1, a1r, [])
  // branch B: [b, shared] at height 1 (side), then 2 on top of it makes B canonical
  const b1Txs = [transfer(5, 6, '1559'), shared]
  const b1 = makeBlock(header(1n, g.hash, 1n), b1Txs)
  const b1r = receiptsFor(b1Txs)
  await store.commit({ block: b1, receipts: b1r, extra: [], canonical: false })
  t.equal((await store.getMinedReceipt(shared.hash()))!.index, 0, 'before the reorg: the side block is not indexed')
  const b2Txs = [transfer(7, 8)]
  const b2 = makeBlock(header(2n, b1.hash), b2Txs)
  const b2r = receiptsFor(b2Txs)
  await store.commit({ block: b2, receipts: b2r, extra: [], canonical: true, unindex: [a1], reindex: [b1] })
  for (const s of [store, new BlockStore(db, common)]) {
    const got = (await s.getMinedReceipt(shared.hash()))!
    same(t, got.blockHash, b1.hash, 'the shared transaction is now found in B1')
    t.equal(got.index, 1)
    same(t, norm(got.record), expected(b1, b1r)[1], 'with its receipt in B1 (cumulative gas and log index of B1)')
    t.equal(await s.getMinedReceipt(a1Txs[1].hash()), undefined, "A1's own transaction left the index")
    same(t, (await s.getReceiptRecords(a1.hash))?.map(norm), expected(a1, a1r), 'A1 is still readable by hash')
    await checkLookups(t, s, b2, b2r, 'B2')
  }
  // and back: A wins again with A2
  const a2Txs = [transfer(9, 1)]
  const a2 = makeBlock(header(2n, a1.hash, 1n), a2Txs)
  await store.commit({ block: makeBlock(a2.header, a2Txs), receipts: receiptsFor(a2Txs), extra: [], canonical: false })
  const a3 = makeBlock(header(3n, a2.hash), [])
  await store.commit({ block: a3, receipts: [], extra: [], canonical: true, unindex: [b2, b1], reindex: [a1, a2] })
  const back = (await new BlockStore(db, common).getMinedReceipt(shared.hash()))!
  same(t, back.blockHash, a1.hash, 'back in A1')
  t.equal(back.index, 0)
  t.equal(await store.getMinedReceipt(b2Txs[0].hash()), undefined, "B2's transaction left the index")
})
