import t from 'tap'
import { createMPT } from '@ethereumjs/mpt'
import { bytesToHex, MapDB } from '@ethereumjs/util'
import { core } from '../../../src/core/index.js'
import { DeferredTrie } from '../../../src/state/deferredTrie.js'
import type { NodeStore } from '../../../src/state/mptBatch.js'
import { prng, randomBytes } from '../../helpers/prng.js'

const noStore: NodeStore = {
  get: async () => undefined,
  put: async () => undefined,
}

const show = (v: Uint8Array | null) => (v === null ? 'null' : bytesToHex(v))

/**
 * The live trie's own walk (DeferredTrie.get) against ethereumjs' `get` on the same nodes: keys
 * of every length up to 3 bytes (a key that is a prefix of another puts a value in a branch),
 * short values (embedded nodes), present, deleted and never-written keys.
 */
t.test('DeferredTrie.get reads what ethereumjs reads, key for key', async (t) => {
  for (const seed of [1, 2, 3, 4]) {
    const rand = prng(seed)
    const db = new MapDB<string, string>()
    const reference = await createMPT({ db, useKeyHashing: false })
    const keys: Uint8Array[] = []
    for (let i = 0; i < 300; i++) {
      const k = randomBytes(rand, 1 + Math.floor(rand() * 3))
      keys.push(k)
      if (rand() < 0.85) await reference.put(k, randomBytes(rand, 1 + Math.floor(rand() * (rand() < 0.5 ? 4 : 40))))
      else await reference.del(k)
    }
    for (let i = 0; i < 100; i++) keys.push(randomBytes(rand, Math.floor(rand() * 4)))
    const live = new DeferredTrie({ db, useKeyHashing: false, root: reference.root() }, noStore, core.keccak256)
    let same = 0
    for (const k of keys) {
      const [got, want] = [await live.get(k), await reference.get(k)]
      if (show(got) === show(want)) same++
      else t.fail(`seed ${seed}: key ${bytesToHex(k)} reads ${show(got)}, ethereumjs ${show(want)}`)
    }
    t.equal(same, keys.length, `seed ${seed}: ${keys.length} keys read alike`)
  }
})

t.test('DeferredTrie.get: the empty trie, hashed keys, a missing node', async (t) => {
  const db = new MapDB<string, string>()
  const empty = new DeferredTrie({ db, useKeyHashing: true, useKeyHashingFunction: core.keccak256 }, noStore, core.keccak256)
  t.equal(await empty.get(Uint8Array.of(1)), null, 'the empty trie has nothing')
  const reference = await createMPT({ db, useKeyHashing: true, useKeyHashingFunction: core.keccak256 })
  const rand = prng(9)
  const keys = Array.from({ length: 200 }, () => randomBytes(rand, 20))
  for (const k of keys) await reference.put(k, randomBytes(rand, 70))
  const live = new DeferredTrie({ db, useKeyHashing: true, useKeyHashingFunction: core.keccak256, root: reference.root() }, noStore, core.keccak256)
  let same = 0
  for (const k of [...keys, randomBytes(rand, 20)]) if (show(await live.get(k)) === show(await reference.get(k))) same++
  t.equal(same, keys.length + 1, 'hashed keys read alike')
  // a root whose node is not stored: no value, as ethereumjs; an error when asked to throw
  const gone = new DeferredTrie(
    { db, useKeyHashing: true, useKeyHashingFunction: core.keccak256, root: core.keccak256(Uint8Array.of(7)) },
    noStore,
    core.keccak256,
  )
  t.equal(await gone.get(keys[0]!), null)
  await t.rejects(gone.get(keys[0]!, true), /Missing node in DB/)
})
