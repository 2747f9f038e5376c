import t, { type Test } from 'tap'
import { createMPT } from '@ethereumjs/mpt'
import { bytesToHex, hexToBytes, MapDB } from '@ethereumjs/util'
import { core } from '../../../src/core/index.js'
import { MptBatch, type NodeStore } from '../../../src/state/mptBatch.js'
import { prng, randomBytes } from '../../helpers/prng.js'

class MapStore implements NodeStore {
  readonly map = new Map<string, Uint8Array>()
  async get(k: string) {
    return this.map.get(k)
  }
  async put(k: string, v: Uint8Array) {
    this.map.set(k, v)
  }
}

const EMPTY_ROOT = hexToBytes('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')

/**
 * Runs `batches` rounds of random puts/updates/deletes through MptBatch and through
 * @ethereumjs/mpt, comparing roots after every round and reading every key back from the nodes
 * MptBatch stored, through an ethereumjs trie opened on them.
 */
async function compare(t: Test, opts: { seed: number; keyLen: number; batches: number; perBatch: number; prefixes: number }) {
  const rand = prng(opts.seed)
  const store = new MapStore()
  const batch = new MptBatch(store, core.keccak256, EMPTY_ROOT)
  const reference = await createMPT({ useKeyHashing: false })
  const live = new Map<string, Uint8Array>()
  // keys share a few leading bytes so extensions and deep branches appear
  const heads = Array.from({ length: opts.prefixes }, () => randomBytes(rand, Math.max(1, opts.keyLen >> 2)))
  const newKey = () => {
    const k = randomBytes(rand, opts.keyLen)
    if (opts.keyLen > 1 && rand() < 0.7) k.set(heads[Math.floor(rand() * heads.length)].subarray(0, opts.keyLen - 1))
    return k
  }
  let root = EMPTY_ROOT
  for (let b = 0; b < opts.batches; b++) {
    const updates: [Uint8Array, Uint8Array | null][] = []
    for (let i = 0; i < opts.perBatch; i++) {
      const r = rand()
      const existing = [...live.keys()]
      if (r < 0.25 && existing.length > 0) {
        const k = hexToBytes(existing[Math.floor(rand() * existing.length)] as `0x${string}`)
        updates.push([k, null]) // delete an existing key
      } else if (r < 0.3) {
        updates.push([newKey(), null]) // delete a key that is not there
      } else if (r < 0.55 && existing.length > 0) {
        const k = hexToBytes(existing[Math.floor(rand() * existing.length)] as `0x${string}`)
        updates.push([k, randomBytes(rand, 1 + Math.floor(rand() * 40))]) // update
      } else {
        updates.push([newKey(), randomBytes(rand, 1 + Math.floor(rand() * 40))]) // insert (short values embed)
      }
    }
    root = await batch.apply(root, updates)
    for (const [k, v] of updates) {
      if (v === null) {
        await reference.del(k)
        live.delete(bytesToHex(k))
      } else {
        await reference.put(k, v)
        live.set(bytesToHex(k), v)
      }
    }
    if (bytesToHex(root) !== bytesToHex(reference.root())) {
      t.fail(`root differs after batch ${b}: ${bytesToHex(root)} vs ${bytesToHex(reference.root())}`)
      return
    }
  }
  t.pass(`${opts.batches} batches: roots equal @ethereumjs/mpt's (${live.size} keys left)`)
  // every key reads back from the nodes MptBatch stored (and deleted ones are gone)
  const db = new MapDB<string, Uint8Array>()
  for (const [k, v] of store.map) await db.put(k, v)
  const view = await createMPT({ db: db as never, valueEncoding: 'view', root })
  let ok = 0
  for (const [k, v] of live) if (bytesToHex((await view.get(hexToBytes(k as `0x${string}`)))!) === bytesToHex(v)) ok++
  t.equal(ok, live.size, 'every live key reads back from the stored nodes')
}

t.test('32-byte keys (accounts, storage slots)', async (t) => {
  await compare(t, { seed: 7, keyLen: 32, batches: 30, perBatch: 60, prefixes: 6 })
})

t.test('2-byte keys: embedded nodes, collapsing branches and extensions', async (t) => {
  await compare(t, { seed: 11, keyLen: 2, batches: 60, perBatch: 25, prefixes: 3 })
  await compare(t, { seed: 12, keyLen: 1, batches: 40, perBatch: 10, prefixes: 2 })
})

t.test('deleting everything returns the empty root', async (t) => {
  const store = new MapStore()
  const batch = new MptBatch(store, core.keccak256, EMPTY_ROOT)
  const rand = prng(3)
  const keys = Array.from({ length: 50 }, () => randomBytes(rand, 32))
  const root = await batch.apply(
    EMPTY_ROOT,
    keys.map((k) => [k, Uint8Array.of(1, 2, 3)]),
  )
  t.not(bytesToHex(root), bytesToHex(EMPTY_ROOT))
  t.equal(
    bytesToHex(
      await batch.apply(
        root,
        keys.map((k) => [k, null]),
      ),
    ),
    bytesToHex(EMPTY_ROOT),
  )
})

t.test('a missing node is an error, not a wrong root', async (t) => {
  const batch = new MptBatch(new MapStore(), core.keccak256, EMPTY_ROOT)
  await t.rejects(batch.apply(core.keccak256(Uint8Array.of(1)), [[new Uint8Array(32), Uint8Array.of(1)]]), /missing trie node/)
})
