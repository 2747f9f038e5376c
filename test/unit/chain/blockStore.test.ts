import t from 'tap'
import path from 'node:path'
import { RLP } from '@ethereumjs/rlp'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, concatBytes } from '@ethereumjs/util'
import { ClassicLevel } from 'classic-level'
import { encodeBlock, makeBlock, type Block } from '../../../src/chain/block.js'
import { signConfirmation } from '../../../src/chain/confirmation.js'
import { BlockStore, key, openDatabase, u64 } from '../../../src/chain/blockStore.js'
import type { TxReceipt } from '../../../src/chain/receipt.js'
import { devAddress, tempDir, same } from '../../helpers/inProcessNode.js'
import { storeFixture } from '../../helpers/storeFixture.js'

const { common, bytes, addr, openStore, transfer, header } = storeFixture(7)
const hx = (b: Uint8Array) => Buffer.from(b).toString('hex')

function receiptsFor(txs: TypedTransaction[]): TxReceipt[] {
  let cumulative = 0n
  return txs.map((tx, i) => {
    cumulative += 21_000n + BigInt(i)
    return {
      status: i % 2 === 0 ? 1 : 0,
      cumulativeGasUsed: cumulative,
      gasUsed: 21_000n + BigInt(i),
      effectiveGasPrice: 2_000_000_000n,
      contractAddress: tx.to === undefined ? bytes(20) : new Uint8Array(0),
      logs: [
        { address: bytes(20), topics: [bytes(32), bytes(32)], data: bytes(40) },
        { address: bytes(20), topics: [], data: new Uint8Array(0) },
      ],
    }
  })
}

t.test('commitBlock writes header, body, receipts, indexes, extra and head in ONE batch', async (t) => {
  const { db, store } = await openStore(t)
  const txs = [transfer(1, 2), transfer(2, 3, '1559'), transfer(3, null)]
  const block = makeBlock(header(1n, bytes(32)), txs)
  const receipts = receiptsFor(txs)
  const writes: { type: string; key: Uint8Array }[][] = []
  db.on('write', (ops: { type: string; key: Uint8Array }[]) => writes.push(ops))
  const extraKey = Uint8Array.of(0x73, 1, 2, 3)
  await store.commitBlock(block, receipts, [{ type: 'put', key: extraKey, value: Uint8Array.of(9) }, store.metaOp('x', Uint8Array.of(1))])
  t.equal(writes.length, 1, 'a single write to the database')
  const keys = new Set(writes[0].map((op) => hx(op.key)))
  const want = [
    key(0x68, block.hash),
    key(0x62, block.hash),
    key(0x72, block.hash),
    key(0x6e, u64(1n)),
    key(0x6c, u64(1n)), // the log index entry (src/chain/logIndex.ts); the block has no logs
    Uint8Array.of(0x48),
    extraKey,
    key(0x4d, new TextEncoder().encode('x')),
    ...txs.map((tx) => key(0x74, tx.hash())),
    // one receipt record per transaction 'R' (src/chain/receiptRecord.ts)
    ...txs.map((_, i) => key(0x52, block.hash, Uint8Array.of(0, 0, 0, i))),
    // the address index 'A': sender and recipient; a creation indexes its created contract
    key(0x41, addr(1), u64(1n), Uint8Array.of(0, 0, 0, 0)),
    key(0x41, addr(2), u64(1n), Uint8Array.of(0, 0, 0, 0)),
    key(0x41, addr(2), u64(1n), Uint8Array.of(0, 0, 0, 1)),
    key(0x41, addr(3), u64(1n), Uint8Array.of(0, 0, 0, 1)),
    key(0x41, addr(3), u64(1n), Uint8Array.of(0, 0, 0, 2)),
    ...(receipts[2]!.contractAddress.length === 20 ? [key(0x41, receipts[2]!.contractAddress, u64(1n), Uint8Array.of(0, 0, 0, 2))] : []),
  ]
  for (const k of want) t.ok(keys.has(hx(k)), `batch has ${hx(k).slice(0, 20)}…`)
  t.equal(keys.size, want.length, 'and nothing else')

  // reads, through a fresh store (no header cache) and the committing one
  const fresh = new BlockStore(db, common)
  for (const s of [store, fresh]) {
    same(t, await s.getHeadHash(), block.hash)
    same(t, await s.getHeader(block.hash), block.header)
    same(t, await s.getHashByNumber(1n), block.hash)
    const got = (await s.getBlock(block.hash))!
    same(t, got.header, block.header)
    same(t, got.hash, block.hash)
    same(
      t,
      got.transactions.map((x) => bytesToHex(x.hash())),
      txs.map((x) => bytesToHex(x.hash())),
    )
    same(
      t,
      got.transactions.map((x) => x.type),
      [0, 2, 0],
    )
    same(t, await s.getReceipts(block.hash), receipts)
    for (const [i, tx] of txs.entries()) same(t, await s.getTxLocation(tx.hash()), { blockHash: block.hash, index: i })
    same(t, await s.getMeta('x'), Uint8Array.of(1))
  }
})

t.test('getEncodedBlock serves a block as stored: the bytes encodeBlock writes, nothing re-encoded', async (t) => {
  const { store } = await openStore(t)
  const key1 = new Uint8Array(32).fill(7)
  const blocks = [
    makeBlock(header(1n, bytes(32)), []),
    makeBlock(header(2n, bytes(32)), [transfer(1, 2), transfer(2, 3, '1559'), transfer(3, null)], [signConfirmation(7n, bytes(32), 1n, key1)]),
    // enough transactions that the block's list header takes more length bytes
    makeBlock(
      header(3n, bytes(32)),
      Array.from({ length: 300 }, (_, i) => transfer(1 + (i % 5), 2 + (i % 7), i % 2 === 0 ? '1559' : 'legacy')),
    ),
  ]
  for (const block of blocks) {
    await store.commitBlock(block, receiptsFor(block.transactions), [])
    same(t, await store.getEncodedBlock(block.hash), encodeBlock(block), `block ${block.header.number} (${block.transactions.length} txs)`)
  }
  t.equal(await store.getEncodedBlock(bytes(32)), undefined, 'an unknown block')
})

t.test('getters return undefined for what is not there', async (t) => {
  const { store } = await openStore(t)
  t.equal(await store.getHeadHash(), undefined)
  t.equal(await store.getHeader(bytes(32)), undefined)
  t.equal(await store.getBlock(bytes(32)), undefined)
  t.equal(await store.getTransactions(bytes(32)), undefined)
  t.equal(await store.getReceipts(bytes(32)), undefined)
  t.equal(await store.getTxLocation(bytes(32)), undefined)
  t.equal(await store.getHashByNumber(0n), undefined)
  t.equal(await store.getHashByNumber(-1n), undefined)
  t.equal(await store.getMeta('nope'), undefined)
  same(t, await store.addressHistory(addr(1), 10), [])
})

t.test('a header without its body is CHAIN_DATADIR_CORRUPT', async (t) => {
  const { db, store } = await openStore(t)
  const block = makeBlock(header(1n, bytes(32)), [transfer(4, 5)])
  await store.commitBlock(block, receiptsFor(block.transactions), [])
  await db.del(key(0x62, block.hash))
  await t.rejects(new BlockStore(db, common).getBlock(block.hash), { code: 'CHAIN_DATADIR_CORRUPT' })
})

t.test('garbled stored receipts or bodies are CHAIN_BAD_ENCODING', async (t) => {
  const { db, store } = await openStore(t)
  const block = makeBlock(header(1n, bytes(32)), [transfer(4, 6)])
  await store.commitBlock(block, receiptsFor(block.transactions), [])
  const goodLog = [bytes(20), [bytes(32)], bytes(3)]
  const r = (logs: unknown[]) => [Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(1), new Uint8Array(0), logs]
  const garbage: [string, Uint8Array][] = [
    ['truncated rlp', Uint8Array.of(0xf9, 0xff)],
    ['not a list', RLP.encode(Uint8Array.of(1))],
    ['a receipt of 5 fields', RLP.encode([r([]).slice(0, 5)] as never)],
    ['a log that is a byte string', RLP.encode([r([Uint8Array.of(5)])] as never)],
    ['a log of 2 fields', RLP.encode([r([goodLog.slice(0, 2)])] as never)],
    ['topics not a list', RLP.encode([r([[goodLog[0], goodLog[2], goodLog[2]]])] as never)],
  ]
  t.equal((await store.getReceipts(block.hash))!.length, 1, 'readable before')
  for (const [name, raw] of garbage) {
    await db.put(key(0x72, block.hash), raw)
    await t.rejects(store.getReceipts(block.hash), { code: 'CHAIN_BAD_ENCODING' }, name)
  }
  // a well-formed list with a valid log decodes
  await db.put(key(0x72, block.hash), RLP.encode([r([goodLog])] as never))
  same(t, (await store.getReceipts(block.hash))![0].logs, [{ address: goodLog[0], topics: goodLog[1], data: goodLog[2] }])
  await db.put(key(0x62, block.hash), Uint8Array.of(0xc1, 0x80))
  await t.rejects(new BlockStore(db, common).getBlock(block.hash), { code: 'CHAIN_BAD_ENCODING' }, 'body of 1 field')
})

t.test('data survives closing and reopening the database', async (t) => {
  const dir = tempDir(t)
  const a = await openStore(t, dir)
  const block = makeBlock(header(1n, bytes(32)), [transfer(6, 7)])
  await a.store.commitBlock(block, receiptsFor(block.transactions), [])
  await a.store.close()
  const b = await openStore(t, dir)
  same(t, await b.store.getHeadHash(), block.hash)
  same(t, (await b.store.getBlock(block.hash))!.header, block.header)
})

t.test('openDatabase: locked by another handle → CHAIN_DATADIR_LOCKED', async (t) => {
  const { dir } = await openStore(t)
  await t.rejects(openDatabase(path.join(dir, 'db')), { code: 'CHAIN_DATADIR_LOCKED' })
})

t.test('addressHistory: newest first, paging with limit and beforeNumber', async (t) => {
  const { store } = await openStore(t)
  // blocks 1..6; account 8 sends or receives in some of them, several times in block 4
  const byBlock: TypedTransaction[][] = [
    [transfer(8, 9)],
    [transfer(9, 1)],
    [transfer(1, 8), transfer(9, 2)],
    [transfer(8, 1), transfer(2, 3), transfer(9, 8)],
    [],
    [transfer(8, null)],
  ]
  let parent = bytes(32)
  const expected: string[] = []
  for (const [i, txs] of byBlock.entries()) {
    const block = makeBlock(header(BigInt(i + 1), parent), txs)
    await store.commitBlock(block, receiptsFor(txs), [])
    parent = block.hash
    txs.forEach((tx) => {
      const touches = [tx.getSenderAddress().toString(), tx.to?.toString()].some((x) => x === devAddress(8))
      if (touches) expected.unshift(bytesToHex(tx.hash())) // newest first; within a block, highest index first
    })
  }
  t.equal(expected.length, 5)
  const all = (await store.addressHistory(addr(8), 100)).map((x) => bytesToHex(x))
  same(t, all, expected)
  same(
    t,
    (await store.addressHistory(addr(8), 2)).map((x) => bytesToHex(x)),
    expected.slice(0, 2),
    'limit',
  )
  // page 2: below block 4 (exclusive)
  same(
    t,
    (await store.addressHistory(addr(8), 100, 4n)).map((x) => bytesToHex(x)),
    expected.slice(3),
    'before block 4',
  )
  same(
    t,
    (await store.addressHistory(addr(8), 1, 4n)).map((x) => bytesToHex(x)),
    expected.slice(3, 4),
  )
  same(t, await store.addressHistory(addr(8), 100, 1n), [], 'nothing before block 1')
  same(
    t,
    (await store.addressHistory(addr(8), 100, 7n)).map((x) => bytesToHex(x)),
    expected,
    'before a block past the head',
  )
  // the other addresses are unaffected by each other
  same(
    t,
    (await store.addressHistory(addr(3), 100)).map((x) => bytesToHex(x)),
    [bytesToHex(byBlock[3][1].hash())],
  )
  same(t, await store.addressHistory(addr(5), 100), [])
})

t.test('the header cache is bounded and evicted blocks are still read from disk', async (t) => {
  const { db, store } = await openStore(t)
  let parent = bytes(32)
  const blocks: Block[] = []
  for (let i = 1n; i <= 520n; i++) {
    const block = makeBlock(header(i, parent), [])
    parent = block.hash
    blocks.push(block)
  }
  // commit in chunks to keep it quick: commitBlock one by one is what we test
  for (const b of blocks) await store.commitBlock(b, [], [])
  same(t, await store.getHeader(blocks[0].hash), blocks[0].header, 'evicted block 1 read back from disk')
  same(t, await store.getHashByNumber(520n), blocks[519].hash)
  same(t, await store.getHeadHash(), blocks[519].hash)
  // raw layout check: canonical index value is the hash
  same(t, await db.get(concatBytes(Uint8Array.of(0x6e), u64(300n))), blocks[299].hash)
  t.ok(db instanceof ClassicLevel)
})
