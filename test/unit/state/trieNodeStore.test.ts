import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { openDatabase } from '../../../src/chain/db/level.js'
import { core } from '../../../src/core/index.js'
import { MptBatch } from '../../../src/state/mptBatch.js'
import { nextKey, RangeTrieBuilder, readRange } from '../../../src/state/snapRange.js'
import { TrieBuildStore, TrieNodeStore } from '../../../src/state/trieNodeStore.js'
import { EMPTY_TRIE_ROOT_HEX } from '../../../src/state/trieWalk.js'

/** a database in a scratch directory, closed and removed after the test */
async function scratchDb(t: Test) {
  const dir = mkdtempSync(join(os.tmpdir(), 'nfc-trienodes-'))
  const db = await openDatabase(dir)
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return db
}

const EMPTY_ROOT = hexToBytes(`0x${EMPTY_TRIE_ROOT_HEX}`)

/** a node key: 64 hex digits */
const k = (i: number) => i.toString(16).padStart(64, '0')

t.test('getMany reads pending writes, the cache and the disk in one call, in the order asked', async (t) => {
  const db = await scratchDb(t)
  const store = new TrieNodeStore(db)
  const v = (i: number) => Uint8Array.of(i, i + 1)
  // nodes 0..99 on disk (committed), 100..104 pending, 5 deleted but not committed
  for (let i = 0; i < 100; i++) await store.put(k(i), v(i))
  await db.batch(store.drain() as never)
  store.committed()
  const fresh = new TrieNodeStore(db) // an empty cache: everything from disk
  for (let i = 100; i < 105; i++) await fresh.put(k(i), v(i))
  await fresh.del(k(5))
  const asked = [k(104), k(0), k(5), k(99), k(200), k(100), k(42)]
  const got = await fresh.getMany(asked)
  t.same(
    got.map((x) => (x === undefined ? undefined : Array.from(x))),
    [[104, 105], [0, 1], undefined, [99, 100], undefined, [100, 101], [42, 43]],
    'pending, disk, a pending deletion, disk, absent, pending, disk',
  )
  for (const [i, key] of asked.entries()) t.same(got[i], await fresh.get(key), `getMany agrees with get for ${key.slice(-3)}`)
  t.same(await store.getMany([k(1), k(2)]), [v(1), v(2)], 'from the cache')
  // an overlay sees its own writes over its parent's
  const overlay = fresh.overlay()
  await overlay.put(k(0), Uint8Array.of(7))
  t.same(await overlay.getMany([k(0), k(104), k(5), k(3)]), [Uint8Array.of(7), v(104), undefined, v(3)])
  t.same(await fresh.getMany([k(0)]), [v(0)], "the overlay's write stays in the overlay")
  t.same(await store.getMany([]), [], 'nothing asked, nothing read')
})

t.test('getManyByHash (range reads) answers as getMany does: from disk between blocks, through getMany otherwise', async (t) => {
  const db = await scratchDb(t)
  const store = new TrieNodeStore(db)
  const v = (i: number) => Uint8Array.of(i, i + 2)
  for (let i = 0; i < 50; i++) await store.put(k(i), v(i))
  await db.batch(store.drain() as never)
  store.committed()
  const hash = (i: number) => hexToBytes(`0x${k(i)}`)
  const asked = [7, 0, 49, 300, 7, 12]
  const hex = asked.map(k)
  const show = (xs: (Uint8Array | undefined)[]) => xs.map((x) => (x === undefined ? undefined : Array.from(x)))
  // nothing pending: straight from disk (the cache holds the same bytes)
  t.same(show(await store.getManyByHash(asked.map(hash))), show(await store.getMany(hex)), 'nothing pending: as getMany, absent as undefined')
  // pending writes (a block being built): they are consulted, as getMany does
  await store.put(k(300), Uint8Array.of(9))
  await store.del(k(12))
  const pending = show(await store.getManyByHash(asked.map(hash)))
  t.same(pending, show(await store.getMany(hex)), 'with pending writes: as getMany')
  t.same(pending[3], [9], 'a pending node is found')
  t.equal(pending[5], undefined, 'a pending deletion is honoured')
  // an overlay reads through its parent
  store.discard()
  const overlay = store.overlay()
  await overlay.put(k(0), Uint8Array.of(1))
  t.same(show(await overlay.getManyByHash([hash(0), hash(1)])), [[1], [1, 3]], "an overlay: its own write, then its parent's disk")
  t.same(await store.getManyByHash([]), [], 'nothing asked, nothing read')
})

t.test('TrieBuildStore: each flush is one batch on disk; nodes read back from memory or disk alike', async (t) => {
  const db = await scratchDb(t)
  const store = new TrieBuildStore(db)
  let batches = 0
  db.on('write', () => batches++)
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 10; i++) await store.put(k(round * 10 + i), Uint8Array.of(round, i))
    t.equal(store.pendingCount, 10)
    await store.flush()
    t.equal(store.pendingCount, 0)
  }
  await store.flush()
  await store.settle()
  t.equal(batches, 4, 'one batch per flush, none for an empty one')
  for (let i = 0; i < 40; i++) t.same(await store.get(k(i)), Uint8Array.of(Math.floor(i / 10), i % 10), `node ${i}`)
  t.equal(await store.get(k(99)), undefined)
  // what the rebuild wrote is the state any TrieNodeStore reads
  t.same(await new TrieNodeStore(db).getMany([k(0), k(39)]), [Uint8Array.of(0, 0), Uint8Array.of(3, 9)])
})

t.test('TrieBuildStore: putWritten nodes go with the next flush, by their hash bytes, read from disk after', async (t) => {
  const db = await scratchDb(t)
  const store = new TrieBuildStore(db)
  let batches = 0
  db.on('write', () => batches++)
  const hash = (i: number) => hexToBytes(`0x${k(i)}`)
  store.putWritten(hash(50), Uint8Array.of(5, 0))
  await store.put(k(51), Uint8Array.of(5, 1))
  t.equal(store.pendingCount, 2, 'both wait for the flush')
  t.equal(await store.get(k(50)), undefined, 'a putWritten node is not read back before its flush (none is: the rebuild never asks)')
  t.same(await store.get(k(51)), Uint8Array.of(5, 1), 'a put one is')
  await store.flush()
  await store.settle()
  t.equal(batches, 1, 'one batch for both')
  t.same(await store.get(k(50)), Uint8Array.of(5, 0), 'on disk under the key its hex would make')
  t.same(await new TrieNodeStore(db).getMany([k(50), k(51)]), [Uint8Array.of(5, 0), Uint8Array.of(5, 1)], 'as any TrieNodeStore reads it')
  store.putWritten(hash(52), Uint8Array.of(5, 2))
  await store.flush()
  await store.settle()
  t.equal(batches, 2, 'a flush of putWritten nodes alone is a batch too')
})

t.test('a trie rebuilt in proven ranges through a TrieBuildStore is whole on disk', async (t) => {
  const db = await scratchDb(t)
  const store = new TrieBuildStore(db)
  // the source: 2,000 accounts' worth of leaves in a plain node map
  const nodes = new Map<string, Uint8Array>()
  const source = { get: async (key: string) => nodes.get(key), put: async (key: string, v: Uint8Array) => void nodes.set(key, v) }
  const leaves = Array.from(
    { length: 2_000 },
    (_, i) => [core.keccak256(Uint8Array.of(i >> 8, i & 255)), Uint8Array.from({ length: 70 }, (_, j) => (i + j) & 255)] as [Uint8Array, Uint8Array],
  )
  const root = await new MptBatch(source, core.keccak256, EMPTY_ROOT).apply(EMPTY_ROOT, leaves)
  const builder = new RangeTrieBuilder(store)
  let origin: Uint8Array | undefined = new Uint8Array(32)
  let ranges = 0
  while (origin !== undefined) {
    const range = await readRange(source.get, root, origin, 8_000)
    const more = await builder.addProven(root, origin, range)
    await store.flush()
    ranges++
    origin = more ? nextKey(range.keys[range.keys.length - 1]!) : undefined
  }
  await store.settle()
  t.ok(ranges > 10, `${ranges} ranges, each flushed`)
  t.equal(bytesToHex(builder.root), bytesToHex(root), 'the rebuilt root is the source root')
  const onDisk = new TrieNodeStore(db)
  const all = await readRange((key) => onDisk.get(key) as Promise<Uint8Array | undefined>, root, new Uint8Array(32), 1e9)
  t.equal(all.keys.length, 2_000, 'every leaf is read back from disk, from the root')
})

t.test('TrieBuildStore: a flush returns while LevelDB writes; its nodes are read meanwhile; a failed write fails the next flush', async (t) => {
  const db = await scratchDb(t)
  const store = new TrieBuildStore(db)
  const chained = db.batch.bind(db) as () => ReturnType<typeof db.batch>
  let release: () => void = () => {}
  const held = new Promise<void>((r) => (release = r))
  let fail = false
  // the store writes through chained batches: each one's write is held, and fails when told to
  db.batch = (() => {
    const b = chained()
    const write = b.write.bind(b)
    b.write = (async () => {
      await held
      if (fail) {
        await b.close()
        throw new Error('disk full')
      }
      return write()
    }) as typeof b.write
    return b
  }) as typeof db.batch
  await store.put(k(1), Uint8Array.of(1))
  await store.flush()
  t.same(await store.get(k(1)), Uint8Array.of(1), 'a node whose batch is in flight is read from memory')
  t.same(await new TrieNodeStore(db).getMany([k(1)]), [undefined], 'not on disk yet')
  await store.put(k(2), Uint8Array.of(2))
  let second = false
  const flushing = store.flush().then(() => (second = true))
  await new Promise((r) => setTimeout(r, 20))
  t.notOk(second, 'the next flush waits for the batch in flight')
  release()
  await flushing
  await store.settle()
  t.same(await new TrieNodeStore(db).getMany([k(1), k(2)]), [Uint8Array.of(1), Uint8Array.of(2)], 'both on disk once settled')
  fail = true
  await store.put(k(3), Uint8Array.of(3))
  await store.flush()
  await t.rejects(store.settle(), /disk full/, 'a failed write is thrown by settle')
})
