/**
 * The address index of the block store (`A ‖ address ‖ u64 number ‖ u32 index → txHash ‖ flags`)
 * on a real classic-level in a temp dir: written in the block's one batch (sender, recipient,
 * created contract, self-sends), paged newest first, rewritten by reorgs in the commit batch,
 * kept across a reopen, and rebuilt for a data directory that predates it.
 */
import t from 'tap'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { makeBlock, type Block } from '../../../src/chain/block.js'
import { AddressTxFlag, BlockStore, key, u64, type AddressTx } from '../../../src/chain/blockStore.js'
import { ZERO32 } from '../../../src/chain/header.js'
import type { TxReceipt } from '../../../src/chain/receipt.js'
import { tempDir } from '../../helpers/inProcessNode.js'
import { storeFixture } from '../../helpers/storeFixture.js'
import { countCalls } from '../../helpers/countCalls.js'

const { bytes, addr, openStore, transfer: tx, header } = storeFixture(11)
const hx = (b: Uint8Array) => bytesToHex(b)
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)
const A = 0x41
const FROM = AddressTxFlag.from
const TO = AddressTxFlag.to

/** contract addresses made by creations, by tx hash; a creation not listed here failed */
const created = new Map<string, Uint8Array>()
function creation(from: number): TypedTransaction {
  const c = tx(from, null)
  created.set(hx(c.hash()), bytes(20))
  return c
}
function failedCreation(from: number): TypedTransaction {
  return tx(from, null)
}

function receiptsFor(txs: TypedTransaction[]): TxReceipt[] {
  return txs.map((x, i) => ({
    status: 1,
    cumulativeGasUsed: 21_000n * BigInt(i + 1),
    gasUsed: 21_000n,
    effectiveGasPrice: 2_000_000_000n,
    contractAddress: created.get(hx(x.hash())) ?? new Uint8Array(0),
    logs: [],
  }))
}

/** the index as an independent reading of the blocks: entries of `who`, newest first */
function expectedOf(who: Uint8Array, blocks: Block[]): { n: bigint; i: number; hash: string; flags: number }[] {
  const out: { n: bigint; i: number; hash: string; flags: number }[] = []
  for (const b of blocks) {
    b.transactions.forEach((x, i) => {
      const to = x.to?.bytes ?? created.get(hx(x.hash()))
      const flags = (hx(x.getSenderAddress().bytes) === hx(who) ? FROM : 0) | (to !== undefined && hx(to) === hx(who) ? TO : 0)
      if (flags !== 0) out.push({ n: b.header.number, i, hash: hx(x.hash()), flags })
    })
  }
  return out.sort((a, b) => (a.n === b.n ? b.i - a.i : a.n < b.n ? 1 : -1))
}

const shape = (list: AddressTx[]) => list.map((e) => ({ n: e.blockNumber, i: e.txIndex, hash: hx(e.hash), flags: e.flags }))

/** commits `txsPerBlock` as a chain on top of `parent` (canonical), returns the blocks */
async function commitChain(store: BlockStore, parent: Uint8Array, from: bigint, txsPerBlock: TypedTransaction[][]): Promise<Block[]> {
  const blocks: Block[] = []
  for (const [k, txs] of txsPerBlock.entries()) {
    const block = makeBlock(header(from + BigInt(k), parent), txs)
    await store.commitBlock(block, receiptsFor(txs), [])
    blocks.push(block)
    parent = block.hash
  }
  return blocks
}

t.test('commit writes the address entries in the block batch: sender, recipient, created contract, self-send', async (t) => {
  const { db, store } = await openStore(t)
  const genesis = makeBlock(header(0n, ZERO32), [])
  await store.commitBlock(genesis, [], [])
  t.ok(await store.getMeta('addressIndex'), 'the genesis batch records that the index covers the chain')

  const make = creation(3)
  const txs = [tx(1, 2), tx(2, 2), make, failedCreation(4)]
  const block = makeBlock(header(1n, genesis.hash), txs)
  const writes: { type: string; key: Uint8Array; value?: Uint8Array }[][] = []
  db.on('write', (ops: { type: string; key: Uint8Array; value?: Uint8Array }[]) => writes.push(ops))
  await store.commitBlock(block, receiptsFor(txs), [])
  t.equal(writes.length, 1, 'one batch')
  const written = new Map(writes[0].filter((op) => op.key[0] === A).map((op) => [hx(op.key), hx(op.value!)]))
  const entry = (who: Uint8Array, i: number, flags: number): [string, string] => [
    hx(key(A, who, u64(1n), u32(i))),
    hx(txs[i].hash()) + flags.toString(16).padStart(2, '0'),
  ]
  const want = new Map([
    entry(addr(1), 0, FROM),
    entry(addr(2), 0, TO),
    entry(addr(2), 1, FROM | TO), // a self-send is one entry with both flags
    entry(addr(3), 2, FROM),
    entry(created.get(hx(make.hash()))!, 2, TO), // the created contract, from the receipt
    entry(addr(4), 3, FROM), // a failed creation created nothing: only its sender
  ])
  t.same(written, want, 'exactly these A entries, key → txHash ‖ flags')

  t.same(shape(await store.transactionsOf(addr(2), { limit: 10 })), [
    { n: 1n, i: 1, hash: hx(txs[1].hash()), flags: FROM | TO },
    { n: 1n, i: 0, hash: hx(txs[0].hash()), flags: TO },
  ])
  t.same(shape(await store.transactionsOf(created.get(hx(make.hash()))!, { limit: 10 })), [{ n: 1n, i: 2, hash: hx(make.hash()), flags: TO }])
  t.same(await store.transactionsOf(addr(5), { limit: 10 }), [], 'an address without history')
  t.same((await store.addressHistory(addr(2), 10)).map(hx), [hx(txs[1].hash()), hx(txs[0].hash())], 'addressHistory reads the same index')
})

t.test('transactionsOf pages newest first with limit, beforeBlock and beforeIndex', async (t) => {
  const { store } = await openStore(t)
  const genesis = makeBlock(header(0n, ZERO32), [])
  await store.commitBlock(genesis, [], [])
  const plan: TypedTransaction[][] = [[tx(8, 9)], [tx(9, 1)], [tx(1, 8), tx(9, 2), tx(8, 8)], [tx(8, 1), tx(2, 3), tx(9, 8), creation(8)], [], [tx(7, 8)]]
  const blocks = await commitChain(store, genesis.hash, 1n, plan)
  const expected = expectedOf(addr(8), blocks)
  t.equal(expected.length, 7)
  t.same(shape(await store.transactionsOf(addr(8), { limit: 100 })), expected, 'all, newest first')

  // walk the pages of 3 as a client does: the next page starts below the last entry shown
  const pages: ReturnType<typeof shape>[] = []
  let before: { beforeBlock?: bigint; beforeIndex?: number } = {}
  for (;;) {
    const page = shape(await store.transactionsOf(addr(8), { ...before, limit: 3 }))
    if (page.length === 0) break
    pages.push(page)
    const last = page[page.length - 1]
    before = { beforeBlock: last.n, beforeIndex: last.i }
  }
  t.same(
    pages.map((p) => p.length),
    [3, 3, 1],
  )
  t.same(pages.flat(), expected, 'the pages add up to the whole history, no gaps, no repeats')

  t.same(
    shape(await store.transactionsOf(addr(8), { beforeBlock: 4n, limit: 100 })),
    expected.filter((e) => e.n < 4n),
    'before a whole block',
  )
  t.same(
    shape(await store.transactionsOf(addr(8), { beforeBlock: 4n, beforeIndex: 2, limit: 100 })),
    expected.filter((e) => e.n < 4n || (e.n === 4n && e.i < 2)),
    'before a position inside a block',
  )
  t.same(await store.transactionsOf(addr(8), { beforeBlock: 1n, beforeIndex: 0, limit: 100 }), [], 'nothing before the first')
  t.same(shape(await store.transactionsOf(addr(8), { beforeBlock: 99n, limit: 100 })), expected, 'before a block past the head')
  t.same(shape(await store.transactionsOf(addr(9), { limit: 100 })), expectedOf(addr(9), blocks), 'other addresses keep their own history')
})

t.test('a reorg unindexes the old branch and indexes the new one, in the batch of the new block', async (t) => {
  const { db, store } = await openStore(t)
  const genesis = makeBlock(header(0n, ZERO32), [])
  await store.commitBlock(genesis, [], [])
  const shared = tx(5, 6)
  const [b1] = await commitChain(store, genesis.hash, 1n, [[tx(5, 7)]])
  // branch a: 2a, 3a canonical
  const a = await commitChain(store, b1.hash, 2n, [[shared, tx(6, 5)], [creation(5)]])
  const history = async (who: number) => shape(await store.transactionsOf(addr(who), { limit: 100 }))
  t.same(await history(5), expectedOf(addr(5), [b1, ...a]))

  // branch b: 2b, 3b stored as side blocks, then 4b takes over
  const bTxs = [[tx(7, 5), shared], [tx(6, 6)], [tx(5, 8)]]
  const b2 = makeBlock(header(2n, b1.hash), bTxs[0])
  const b3 = makeBlock(header(3n, b2.hash), bTxs[1])
  const b4 = makeBlock(header(4n, b3.hash), bTxs[2])
  await store.commit({ block: b2, receipts: receiptsFor(bTxs[0]), extra: [], canonical: false })
  await store.commit({ block: b3, receipts: receiptsFor(bTxs[1]), extra: [], canonical: false })
  t.same(await history(5), expectedOf(addr(5), [b1, ...a]), 'side blocks index nothing')
  t.same(await history(8), [])

  const writes: unknown[] = []
  db.on('write', (ops: unknown) => writes.push(ops))
  await store.commit({ block: b4, receipts: receiptsFor(bTxs[2]), extra: [], canonical: true, unindex: [a[1], a[0]], reindex: [b2, b3] })
  t.equal(writes.length, 1, 'the whole reorg is one batch')
  const b = [b2, b3, b4]
  for (const who of [5, 6, 7, 8]) t.same(await history(who), expectedOf(addr(who), [b1, ...b]), `account ${who}: only the canonical branch`)
  const contract = created.get(hx(a[1].transactions[0].hash()))!
  t.same(await store.transactionsOf(contract, { limit: 10 }), [], 'a contract created on the old branch has no history')
  t.same(
    (await history(6)).filter((e) => e.hash === hx(shared.hash())),
    [{ n: 2n, i: 1, hash: hx(shared.hash()), flags: TO }],
    'a transaction in both branches sits at its new position only',
  )

  // and back: 4a on top of 3a (2a, 3a are stored; 4b, 3b, 2b leave)
  const a4 = makeBlock(header(4n, a[1].hash), [tx(6, 8)])
  await store.commit({ block: a4, receipts: receiptsFor(a4.transactions), extra: [], canonical: true, unindex: [b4, b3, b2], reindex: a })
  for (const who of [5, 6, 7, 8]) t.same(await history(who), expectedOf(addr(who), [b1, ...a, a4]), `account ${who}: back on branch a`)
  t.same(shape(await store.transactionsOf(contract, { limit: 10 })), [{ n: 3n, i: 0, hash: hx(a[1].transactions[0].hash()), flags: TO }])
})

t.test('a reorg of blocks read back from disk recovers no signature: senders come from their receipt records', async (t) => {
  const { store } = await openStore(t)
  const genesis = makeBlock(header(0n, ZERO32), [])
  await store.commitBlock(genesis, [], [])
  const a = await commitChain(store, genesis.hash, 1n, [[tx(5, 6), tx(6, 5)], [tx(7, 8)]])
  const bTxs = [[tx(8, 5)], [tx(5, 7)], [tx(6, 7)]]
  const b1 = makeBlock(header(1n, genesis.hash), bTxs[0])
  const b2 = makeBlock(header(2n, b1.hash), bTxs[1])
  const b3 = makeBlock(header(3n, b2.hash), bTxs[2])
  await store.commit({ block: b1, receipts: receiptsFor(bTxs[0]), extra: [], canonical: false })
  await store.commit({ block: b2, receipts: receiptsFor(bTxs[1]), extra: [], canonical: false })
  // as the chain hands them over in a reorg: decoded from the store, no sender recovered
  const fromDisk = async (b: Block) => (await store.getBlock(b.hash))!
  const unindex = [await fromDisk(a[1]), await fromDisk(a[0])]
  const reindex = [await fromDisk(b1), await fromDisk(b2)]
  // the new block's own transactions came through the pool or the import: senders known
  for (const x of bTxs[2]) x.getSenderAddress()
  const recovered = countCalls(t, Object.getPrototypeOf(unindex[0]!.transactions[0]) as { getSenderPublicKey: () => Uint8Array }, 'getSenderPublicKey')
  await store.commit({ block: b3, receipts: receiptsFor(bTxs[2]), extra: [], canonical: true, unindex, reindex })
  recovered.stop()
  t.equal(recovered.count, 0, 'no signature recovered for the stored blocks')
  for (const who of [5, 6, 7, 8])
    t.same(shape(await store.transactionsOf(addr(who), { limit: 100 })), expectedOf(addr(who), [b1, b2, b3]), `account ${who}: the new branch only`)
})

t.test('the index survives closing and reopening the database', async (t) => {
  const dir = tempDir(t)
  const first = await openStore(t, dir)
  const genesis = makeBlock(header(0n, ZERO32), [])
  await first.store.commitBlock(genesis, [], [])
  const blocks = await commitChain(first.store, genesis.hash, 1n, [[tx(1, 2)], [tx(2, 1), creation(1)]])
  await first.store.close()
  const second = await openStore(t, dir)
  t.same(shape(await second.store.transactionsOf(addr(1), { limit: 10 })), expectedOf(addr(1), blocks))
  t.equal(await second.store.ensureAddressIndex(), 0, 'a complete index is not rebuilt')
})

t.test('a data directory that predates the index gets it rebuilt once, with progress lines', async (t) => {
  const { db, store } = await openStore(t)
  t.equal(await store.ensureAddressIndex(), 0, 'an empty database: nothing to build')
  t.equal((await db.keys({ limit: 1 }).all()).length, 0, 'and nothing written (it must still look new)')
  const genesis = makeBlock(header(0n, ZERO32), [])
  await store.commitBlock(genesis, [], [])
  const blocks = await commitChain(store, genesis.hash, 1n, [[tx(3, 4)], [], [tx(4, 3), creation(3), tx(4, 4)]])
  // a side block must stay out of the rebuilt index
  const side = makeBlock(header(2n, blocks[0].hash), [tx(3, 9)])
  await store.commit({ block: side, receipts: receiptsFor(side.transactions), extra: [], canonical: false })
  const before = new Map<string, string>()
  for await (const [k, v] of db.iterator({ gte: Uint8Array.of(A), lt: Uint8Array.of(A + 1) })) before.set(hx(k), hx(v))
  t.ok(before.size > 0)

  // the directory as an older node left it: no `A` entries, no record, the retired `a` entries
  await db.clear({ gte: Uint8Array.of(A), lt: Uint8Array.of(A + 1) })
  await db.del(key(0x4d, new TextEncoder().encode('addressIndex')))
  await db.put(key(0x61, addr(3), u64(1n), u32(0)), blocks[0].transactions[0].hash())
  t.same(await store.transactionsOf(addr(3), { limit: 10 }), [])

  const lines: string[] = []
  t.equal(await store.ensureAddressIndex((msg) => lines.push(msg)), 4, 'walked blocks 0..3')
  t.ok(lines.length >= 2 && /building the address index/.test(lines[0]) && /built/.test(lines[lines.length - 1]), lines.join(' / '))
  const after = new Map<string, string>()
  for await (const [k, v] of db.iterator({ gte: Uint8Array.of(A), lt: Uint8Array.of(A + 1) })) after.set(hx(k), hx(v))
  t.same(after, before, 'the rebuilt index is the one commits write')
  t.equal(
    await db
      .keys({ gte: Uint8Array.of(0x61), lt: Uint8Array.of(0x62), limit: 1 })
      .all()
      .then((k) => k.length),
    0,
    'retired a entries cleared',
  )
  t.ok(await store.getMeta('addressIndex'))
  t.equal(await store.ensureAddressIndex(), 0, 'only once')
})
