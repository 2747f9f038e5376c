/**
 * StackTrie (src/state/stackTrie.ts), snapshot sync's builder of a trie from sorted keys, against
 * MptBatch (itself checked against @ethereumjs/mpt): the same root for the same leaves — random
 * keys, keys sharing long prefixes (extensions), keys parting only at the last nibble, short values
 * (embedded nodes), one key, none — at every point of the input, not only at its end; the nodes it
 * hands over make a trie readable from that root; a saved state restored goes on as if the keys
 * after it were never added; keys out of order, repeated, of another length, or an empty value
 * are refused.
 */
import t from 'tap'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { core } from '../../../src/core/index.js'
import { MptBatch } from '../../../src/state/mptBatch.js'
import { readRange } from '../../../src/state/snapRange.js'
import { StackTrie } from '../../../src/state/stackTrie.js'
import { prng, randomBytes } from '../../helpers/prng.js'

const EMPTY_ROOT = hexToBytes('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
const ZERO_KEY = new Uint8Array(32)

type Leaf = [Uint8Array, Uint8Array]

/** MptBatch's root of `leaves` */
async function expectedRoot(leaves: readonly Leaf[]): Promise<string> {
  const nodes = new Map<string, Uint8Array>()
  const batch = new MptBatch({ get: async (k) => nodes.get(k), put: async (k, v) => void nodes.set(k, v) }, core.keccak256, EMPTY_ROOT)
  return bytesToHex(await batch.apply(EMPTY_ROOT, leaves))
}

/** `n` leaves, sorted; `shape` says how the keys relate */
function leavesOf(seed: number, n: number, shape: 'random' | 'clustered' | 'twins'): Leaf[] {
  const rand = prng(seed)
  const byKey = new Map<string, Leaf>()
  while (byKey.size < n) {
    const key = randomBytes(rand, 32)
    // clustered: long shared prefixes (extensions), a few distinct ones
    if (shape === 'clustered') key.set([0xab, 0xcd, 0xef, 0x01, Math.floor(rand() * 3) << 4].slice(0, 3 + Math.floor(rand() * 3)))
    // twins: pairs of keys parting only at the very last nibble (branches at depth 63)
    if (shape === 'twins') {
      key.set(randomBytes(prng((byKey.size >> 1) + 1000 * seed), 32))
      key[31] = (key[31]! & 0xf0) | Math.floor(rand() * 16)
    }
    byKey.set(bytesToHex(key), [key, randomBytes(rand, 1 + Math.floor(rand() * 40))])
  }
  return [...byKey.values()].sort(([a], [b]) => Buffer.compare(a, b))
}

t.test('the same root as MptBatch, after every key', async (t) => {
  for (const [seed, n, shape] of [
    [1, 300, 'random'],
    [2, 200, 'clustered'],
    [3, 60, 'twins'],
    [4, 1, 'random'],
    [5, 2, 'twins'],
    [6, 40, 'clustered'],
  ] as const) {
    const leaves = leavesOf(seed, n, shape)
    const trie = new StackTrie(core.keccak256, EMPTY_ROOT)
    t.equal(bytesToHex(trie.root()), bytesToHex(EMPTY_ROOT), 'no key: the empty root')
    let same = 0
    for (let i = 0; i < leaves.length; i++) {
      trie.add(...leaves[i]!)
      // every key for small inputs, every 17th for the bigger ones (MptBatch rebuilds from scratch each time)
      if (n > 60 && i % 17 !== 0 && i !== leaves.length - 1) continue
      if (bytesToHex(trie.root()) === (await expectedRoot(leaves.slice(0, i + 1)))) same++
      else t.fail(`${shape} ${n}: the root after key ${i} differs from MptBatch's`)
    }
    t.ok(same > 0, `${n} keys, ${shape}: the same root at each of ${same} points`)
  }
})

t.test('the nodes handed over hold the whole trie under its root', async (t) => {
  const leaves = leavesOf(7, 500, 'clustered')
    .concat(leavesOf(8, 500, 'random'))
    .sort(([a], [b]) => Buffer.compare(a, b))
  const unique = leaves.filter((l, i) => i === 0 || Buffer.compare(l[0], leaves[i - 1]![0]) !== 0)
  const trie = new StackTrie(core.keccak256, EMPTY_ROOT)
  const nodes = new Map<string, Uint8Array>()
  let root = EMPTY_ROOT
  // in pieces, a root after each (as the range builder does): the last root's nodes must all be there
  for (let i = 0; i < unique.length; i++) {
    trie.add(...unique[i]!)
    if (i % 97 === 0 || i === unique.length - 1) {
      root = trie.root()
      const { closed, open } = trie.take()
      for (const [hash, encoded] of [...closed, ...open]) nodes.set(bytesToHex(hash).slice(2), encoded)
    }
  }
  for (const [k, v] of nodes) t.equal(bytesToHex(core.keccak256(v)).slice(2), k, `node ${k.slice(0, 8)} is stored under its hash`)
  const all = await readRange(async (k) => nodes.get(k), root, ZERO_KEY, 1e9)
  t.equal(all.keys.length, unique.length, `all ${unique.length} leaves are read back from the root`)
  t.same(
    all.keys.map((k, i) => [bytesToHex(k), bytesToHex(all.values[i]!)]),
    unique.map(([k, v]) => [bytesToHex(k), bytesToHex(v)]),
    'each with its value, in order',
  )
  t.equal(bytesToHex(root), await expectedRoot(unique), "and the root is MptBatch's")
})

t.test('a saved state restored: the keys added after it are gone', async (t) => {
  const leaves = leavesOf(9, 120, 'clustered')
  const trie = new StackTrie(core.keccak256, EMPTY_ROOT)
  for (const l of leaves.slice(0, 50)) trie.add(...l)
  const saved = trie.save()
  const at50 = bytesToHex(trie.root())
  for (const l of leaves.slice(50, 90)) trie.add(...l)
  t.not(bytesToHex(trie.root()), at50, 'forty more keys change the root')
  trie.restore(saved)
  t.equal(bytesToHex(trie.root()), at50, 'restored: the root of the first fifty')
  for (const l of leaves.slice(50)) trie.add(...l)
  t.equal(bytesToHex(trie.root()), await expectedRoot(leaves), 'and the rest added after it give the root of all of them')
  trie.restore(saved)
  t.equal(bytesToHex(trie.root()), at50, 'a saved state can be restored twice')
})

t.test('input no trie holds is refused', async (t) => {
  const [a, b] = leavesOf(10, 2, 'random') as [Leaf, Leaf]
  const trie = new StackTrie(core.keccak256, EMPTY_ROOT)
  trie.add(...b)
  t.throws(() => trie.add(...a), /keys out of order/, 'a key before the last one')
  t.throws(() => trie.add(...b), /a key given twice/, 'the last key again')
  t.throws(() => trie.add(new Uint8Array(31).fill(0xff), a[1]), /a key of 31 bytes/, 'a short key')
  t.throws(() => trie.add(new Uint8Array(32).fill(0xff), new Uint8Array(0)), /a leaf without a value/, 'an empty value')
  t.equal(bytesToHex(trie.root()), await expectedRoot([b]), 'nothing refused was added')
})
