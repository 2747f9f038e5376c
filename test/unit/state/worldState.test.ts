import t, { type Test } from 'tap'
import path from 'node:path'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, bytesToHex, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { openDatabase, type Db } from '../../../src/chain/blockStore.js'
import { makeCommon } from '../../../src/execution/common.js'
import { TrieNodeStore } from '../../../src/state/trieNodeStore.js'
import { WorldState } from '../../../src/state/worldState.js'
import { devGenesis, prng, same, tempDir } from '../../helpers/inProcessNode.js'

const common = makeCommon(2100n)
const rand = prng(99)
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256))
const EMPTY_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'

async function openDb(t: Test): Promise<Db> {
  const db = await openDatabase(path.join(tempDir(t), 'db'))
  t.teardown(() => (db.status === 'open' ? db.close() : undefined))
  return db
}

/** every key under the state prefix 's' */
async function stateKeys(db: Db): Promise<string[]> {
  const out: string[] = []
  for await (const k of db.keys({ gte: Uint8Array.of(0x73), lt: Uint8Array.of(0x74) })) out.push(bytesToHex(k))
  return out
}

interface Spec {
  address: Address
  nonce: bigint
  balance: bigint
  code?: Uint8Array
  storage: [Uint8Array, Uint8Array][]
}

function randomAccounts(n: number): Spec[] {
  return Array.from({ length: n }, (_, i) => ({
    address: new Address(bytes(20)),
    nonce: BigInt(Math.floor(rand() * 1000)),
    balance: BigInt(Math.floor(rand() * 1e15)) * 10n ** 6n,
    code: i % 3 === 0 ? bytes(1 + Math.floor(rand() * 100)) : undefined,
    storage:
      i % 3 === 0
        ? Array.from(
            { length: 1 + Math.floor(rand() * 5) },
            () =>
              [setLengthLeft(bytes(1 + Math.floor(rand() * 31)), 32), bytes(1 + Math.floor(rand() * 31)).map((x, j) => (j === 0 && x === 0 ? 1 : x))] as [
                Uint8Array,
                Uint8Array,
              ],
          )
        : [],
  }))
}

async function apply(sm: MerkleStateManager, specs: Spec[]): Promise<void> {
  for (const s of specs) {
    await sm.putAccount(s.address, new Account(s.nonce, s.balance))
    if (s.code) await sm.putCode(s.address, s.code)
    for (const [k, v] of s.storage) await sm.putStorage(s.address, k, v)
  }
}

t.test('state root equals a plain in-memory ethereumjs state manager (Ethereum-compatible root)', async (t) => {
  const db = await openDb(t)
  const ws = await WorldState.open(db, common)
  t.equal(bytesToHex(await ws.live.getStateRoot()), EMPTY_ROOT, 'empty state')
  const specs = randomAccounts(40)
  await apply(ws.live, specs)
  const reference = new MerkleStateManager()
  await apply(reference, specs)
  const root = await ws.live.getStateRoot()
  t.equal(bytesToHex(root), bytesToHex(await reference.getStateRoot()))
  // and the dev genesis allocation
  const g = devGenesis()
  const ws2 = await WorldState.open(await openDb(t), common)
  const ref2 = new MerkleStateManager()
  for (const [addr, a] of g.alloc) {
    for (const sm of [ws2.live, ref2]) await sm.putAccount(new Address(hexToBytes(addr as `0x${string}`)), new Account(a.nonce, a.balance))
  }
  t.equal(bytesToHex(await ws2.live.getStateRoot()), bytesToHex(await ref2.getStateRoot()), 'dev genesis root')
})

t.test('trie writes stay pending until drain(), then land in one batch and survive reopening', async (t) => {
  const db = await openDb(t)
  const ws = await WorldState.open(db, common)
  const specs = randomAccounts(12)
  await apply(ws.live, specs)
  const root = await ws.live.getStateRoot()
  t.ok(ws.store.pendingCount > 0, `${ws.store.pendingCount} nodes pending`)
  same(t, await stateKeys(db), [], 'nothing on disk before drain')
  const ops = ws.store.drain()
  t.equal(ws.store.pendingCount, 0, 'drain empties the pending set')
  t.ok(ops.length > 0 && ops.every((op) => op.key[0] === 0x73), 'every op is under the s prefix')
  same(t, await stateKeys(db), [], 'drain itself does not write')
  await db.batch(ops as never)
  t.equal((await stateKeys(db)).length, ops.filter((o) => o.type === 'put').length)

  // a fresh WorldState at that root reads everything back from disk
  const again = await WorldState.open(db, common, root)
  t.ok(await again.hasRoot(root))
  t.notOk(await again.hasRoot(bytes(32)), 'an unknown root is not there')
  for (const s of specs) {
    const acct = await again.live.getAccount(s.address)
    t.equal(acct?.balance, s.balance)
    t.equal(acct?.nonce, s.nonce)
    if (s.code) same(t, await again.live.getCode(s.address), s.code)
    for (const [k, v] of s.storage) same(t, await again.live.getStorage(s.address, k), v)
  }
  same(t, await again.live.getStateRoot(), root)
})

t.test('an overlay view (WorldState.at) never writes to the live store or the database', async (t) => {
  const db = await openDb(t)
  const ws = await WorldState.open(db, common)
  const specs = randomAccounts(6)
  await apply(ws.live, specs)
  const root = await ws.live.getStateRoot()
  const pendingBefore = ws.store.pendingCount

  // before drain: the view reads through the live store's pending nodes
  const view = await ws.at(root)
  t.equal((await view.getAccount(specs[0].address))?.balance, specs[0].balance)
  await view.putAccount(specs[0].address, new Account(0n, 1n))
  await view.putAccount(new Address(bytes(20)), new Account(0n, 5n))
  const viewRoot = await view.getStateRoot()
  t.not(bytesToHex(viewRoot), bytesToHex(root))
  t.equal(ws.store.pendingCount, pendingBefore, 'the live store got no node')
  same(t, await stateKeys(db), [], 'the db got nothing')

  await db.batch(ws.store.drain() as never)
  const onDisk = await stateKeys(db)
  const view2 = await ws.at(root)
  await view2.putAccount(specs[1].address, new Account(9n, 9n))
  await view2.getStateRoot()
  same(t, await stateKeys(db), onDisk, 'the db is unchanged after a second view writes')
  t.equal(ws.store.pendingCount, 0)
  // the live state still has the original values
  t.equal((await ws.live.getAccount(specs[0].address))?.balance, specs[0].balance)
  t.equal((await ws.live.getAccount(specs[1].address))?.balance, specs[1].balance)
  // a view's root is unknown to the live state
  t.notOk(await ws.hasRoot(viewRoot))
})

t.test('TrieNodeStore: put/get/del/batch, overlays, drain and discard', async (t) => {
  const db = await openDb(t)
  const store = new TrieNodeStore(db)
  const k1 = 'aa'.repeat(32)
  const k2 = 'bb'.repeat(32)
  const k3 = 'cc'.repeat(32)
  await store.put(k1, Uint8Array.of(1))
  await store.put(k2, 'beef') // hex string values are decoded
  same(t, await store.get(k1), Uint8Array.of(1))
  same(t, await store.get(k2), Uint8Array.of(0xbe, 0xef))
  t.equal(await store.get(k3), undefined)
  t.equal(store.pendingCount, 2)
  t.equal(store.shallowCopy(), store, 'storage tries share the store')

  // overlay: reads through, writes private
  const child = store.overlay()
  same(t, await child.get(k1), Uint8Array.of(1))
  await child.put(k1, Uint8Array.of(7))
  await child.del(k2)
  await child.batch([{ type: 'put', key: k3, value: Uint8Array.of(3) }])
  same(t, await child.get(k1), Uint8Array.of(7))
  t.equal(await child.get(k2), undefined, 'a deletion in the overlay hides the parent value')
  same(t, await store.get(k1), Uint8Array.of(1), 'parent unchanged')
  same(t, await store.get(k2), Uint8Array.of(0xbe, 0xef))
  t.equal(await store.get(k3), undefined)
  t.equal(store.pendingCount, 2)

  // drain → batch
  const ops = store.drain()
  same(t, ops.map((o) => [o.type, bytesToHex(o.key)]).sort(), [
    ['put', '0x73' + k1],
    ['put', '0x73' + k2],
  ])
  await db.batch(ops as never)
  store.committed()
  t.equal(store.pendingCount, 0)
  same(t, await store.get(k1), Uint8Array.of(1), 'read from disk now')

  // deletions are drained as del ops; a pending deletion hides the disk value
  await store.batch([
    { type: 'del', key: k1 },
    { type: 'put', key: k3, value: Uint8Array.of(3) },
  ])
  t.equal(await store.get(k1), undefined)
  same(t, await db.get(hexToBytes(`0x73${k1}`)), Uint8Array.of(1), 'still on disk until the batch')
  const ops2 = store.drain()
  same(t, ops2.map((o) => [o.type, bytesToHex(o.key)]).sort(), [
    ['del', '0x73' + k1],
    ['put', '0x73' + k3],
  ])
  await db.batch(ops2 as never)
  store.committed()
  t.equal(await db.get(hexToBytes(`0x73${k1}`)), undefined)
  t.equal(await store.get(k1), undefined, 'a drained deletion does not come back from any cache')
  same(t, await store.get(k3), Uint8Array.of(3))

  // discard forgets pending writes
  await store.put(k2, Uint8Array.of(42))
  store.discard()
  t.equal(store.pendingCount, 0)
  same(t, await store.get(k2), Uint8Array.of(0xbe, 0xef), 'back to the disk value')
  same(t, store.drain(), [])

  // a drained batch that never reached the disk (failed commit) never reaches the node cache
  const k4 = 'dd'.repeat(32)
  await store.put(k4, Uint8Array.of(4))
  t.equal(store.drain().length, 1)
  store.discard()
  t.equal(await store.get(k4), undefined, 'an uncommitted node is not served from the cache')
})
