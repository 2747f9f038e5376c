import t, { type Test } from 'tap'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { core } from '../../../src/core/index.js'
import { MptBatch, type NodeStore } from '../../../src/state/mptBatch.js'
import { StateErrorCode } from '../../../src/state/errors.js'
import { RangeTrieBuilder, nextKey, readRange, verifyRange, verifyRangeOnto, type TrieRange } from '../../../src/state/snapRange.js'
import { hexNoPrefix } from '../../../src/util/bytes.js'
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
const ZERO_KEY = new Uint8Array(32)

/** a trie of `n` random 32-byte keys; values of 1..40 bytes (short ones make embedded nodes) */
async function makeTrie(seed: number, n: number, clustered = false): Promise<{ store: MapStore; root: Uint8Array; leaves: [string, Uint8Array][] }> {
  const rand = prng(seed)
  const store = new MapStore()
  const leaves = new Map<string, Uint8Array>()
  for (let i = 0; i < n; i++) {
    const key = randomBytes(rand, 32)
    // clustered: keys share long prefixes (extension nodes on the paths), a few distinct ones
    if (clustered) key.set([0xab, 0xcd, 0xef, 0x01, Math.floor(rand() * 3) << 4].slice(0, 3 + Math.floor(rand() * 3)))
    leaves.set(bytesToHex(key), randomBytes(rand, 1 + Math.floor(rand() * 40)))
  }
  const root = await new MptBatch(store, core.keccak256, EMPTY_ROOT).apply(
    EMPTY_ROOT,
    [...leaves].map(([k, v]) => [hexToBytes(k as `0x${string}`), v] as [Uint8Array, Uint8Array]),
  )
  return { store, root, leaves: [...leaves].sort(([a], [b]) => (a < b ? -1 : 1)) }
}

const read = (store: MapStore) => (k: string) => store.get(k)

async function rejects(t: Test, root: Uint8Array, origin: Uint8Array, range: TrieRange, what: string) {
  await t.rejects(verifyRange(root, origin, range), { code: StateErrorCode.BadRangeProof }, what)
}

t.test('a whole trie comes over in proven ranges and rebuilds to the same root', async (t) => {
  const { store, root, leaves } = await makeTrie(1, 600)
  const target = new MapStore()
  const builder = new RangeTrieBuilder(target)
  let origin: Uint8Array | undefined = ZERO_KEY
  let ranges = 0
  const got: string[] = []
  while (origin !== undefined) {
    const range = await readRange(read(store), root, origin, 2_000)
    const more = await verifyRange(root, origin, range)
    await builder.add(range.keys, range.values)
    got.push(...range.keys.map((k) => bytesToHex(k)))
    ranges++
    const last = range.keys[range.keys.length - 1]
    origin = more && last !== undefined ? nextKey(last) : undefined
  }
  t.ok(ranges > 5, `several ranges (${ranges})`)
  t.same(
    got,
    leaves.map(([k]) => k),
    'every key once, in order',
  )
  t.equal(bytesToHex(builder.root), bytesToHex(root), 'the rebuilt root is the source root')
})

t.test('the last range says there is nothing more; a range past the last key is empty and proven', async (t) => {
  const { store, root, leaves } = await makeTrie(2, 50)
  const all = await readRange(read(store), root, ZERO_KEY, 1_000_000)
  t.equal(all.keys.length, 50)
  t.equal(await verifyRange(root, ZERO_KEY, all), false, 'nothing to the right')
  const past = nextKey(hexToBytes(leaves[leaves.length - 1]![0] as `0x${string}`))!
  const empty = await readRange(read(store), root, past, 1_000)
  t.equal(empty.keys.length, 0)
  t.equal(await verifyRange(root, past, empty), false)
  // an empty answer for an origin that has keys after it hides them
  const hidden = await readRange(read(store), root, ZERO_KEY, 1)
  await rejects(t, root, ZERO_KEY, { keys: [], values: [], proof: hidden.proof }, 'an empty answer where leaves follow')
})

t.test('an origin between keys and a range of one key are proven', async (t) => {
  const { store, root, leaves } = await makeTrie(3, 200)
  const k = hexToBytes(leaves[100]![0] as `0x${string}`)
  const one = await readRange(read(store), root, k, 1)
  t.equal(one.keys.length, 1)
  t.equal(await verifyRange(root, k, one), true, 'more to the right')
  const between = nextKey(hexToBytes(leaves[100]![0] as `0x${string}`))!
  const r = await readRange(read(store), root, between, 500)
  t.equal(bytesToHex(r.keys[0]!), leaves[101]![0], 'starts at the next key')
  t.equal(await verifyRange(root, between, r), true)
})

t.test('tampered ranges are refused', async (t) => {
  const { store, root } = await makeTrie(4, 400)
  const origin = nextKey(ZERO_KEY)!
  const good = await readRange(read(store), root, origin, 3_000)
  t.ok(good.keys.length > 4, 'a range of several keys')
  t.equal(await verifyRange(root, origin, good), true, 'the untouched range holds')
  const copy = (): TrieRange => ({ keys: [...good.keys], values: [...good.values], proof: [...good.proof] })

  const missingNode = copy()
  missingNode.proof.splice(1, 1)
  await rejects(t, root, origin, missingNode, 'a proof node left out')

  const changed = copy()
  const v = Uint8Array.from(changed.values[2]!)
  v[0] = v[0]! ^ 1
  changed.values[2] = v
  await rejects(t, root, origin, changed, 'a changed value')

  const gap = copy()
  gap.keys.splice(2, 1)
  gap.values.splice(2, 1)
  await rejects(t, root, origin, gap, 'a key left out of the middle')

  const extra = copy()
  const fake = nextKey(extra.keys[1]!)!
  extra.keys.splice(2, 0, fake)
  extra.values.splice(2, 0, Uint8Array.of(1, 2, 3))
  await rejects(t, root, origin, extra, 'an extra key')

  const swapped = copy()
  ;[swapped.keys[1], swapped.keys[2]] = [swapped.keys[2]!, swapped.keys[1]!]
  await rejects(t, root, origin, swapped, 'keys out of order')

  const lengths = copy()
  lengths.values.pop()
  await rejects(t, root, origin, lengths, 'fewer values than keys')

  const otherRoot = (await makeTrie(5, 400)).root
  await rejects(t, otherRoot, origin, good, 'another root')

  const below = await readRange(read(store), root, ZERO_KEY, 3_000)
  const shifted = nextKey(below.keys[0]!)!
  await rejects(t, root, shifted, below, 'a first key below the origin')

  const shortKey = copy()
  shortKey.keys[0] = shortKey.keys[0]!.subarray(0, 31)
  await rejects(t, root, origin, shortKey, 'a key of 31 bytes')
})

t.test('an empty trie has an empty range; leaves claimed for it are refused', async (t) => {
  const store = new MapStore()
  const r = await readRange(read(store), EMPTY_ROOT, ZERO_KEY, 100)
  t.same(r, { keys: [], values: [], proof: [] })
  t.equal(await verifyRange(EMPTY_ROOT, ZERO_KEY, r), false)
  await rejects(t, EMPTY_ROOT, ZERO_KEY, { keys: [ZERO_KEY], values: [Uint8Array.of(1)], proof: [] }, 'a leaf of an empty trie')
})

t.test('a node missing from the store is STATE_MISSING_NODE, never a short range', async (t) => {
  const { store, root } = await makeTrie(6, 300)
  const victim = [...store.map.keys()].find((k) => k !== bytesToHex(root).slice(2))!
  store.map.delete(victim)
  await t.rejects(readRange(read(store), root, ZERO_KEY, 1_000_000), { code: StateErrorCode.MissingNode })
})

t.test('nextKey counts up and stops after the last key', async (t) => {
  t.same(nextKey(Uint8Array.of(0, 0xff)), Uint8Array.of(1, 0))
  t.equal(nextKey(Uint8Array.of(0xff, 0xff)), undefined)
})

/** a whole trie fetched in ranges of about `maxBytes` from the zero key, each checked onto the trie built so far */
async function syncOnto(store: MapStore, root: Uint8Array, maxBytes: number) {
  const builder = new RangeTrieBuilder(new MapStore())
  let origin: Uint8Array | undefined = ZERO_KEY
  let ranges = 0
  for (; origin !== undefined; ranges++) {
    const range = await readRange(read(store), root, origin, maxBytes)
    const more = await builder.addProven(root, origin, range)
    if (more !== (await verifyRange(root, origin, range))) throw new Error(`range ${ranges}: "more" differs from verifyRange's`)
    const last = range.keys[range.keys.length - 1]
    origin = more && last !== undefined ? nextKey(last) : undefined
  }
  return { builder, ranges }
}

t.test('verifyRangeOnto: whole tries, random and clustered (extensions), big and tiny, come over and rebuild', async (t) => {
  for (const [seed, n, clustered, maxBytes] of [
    [11, 700, false, 2_000],
    [12, 300, true, 1_500],
    [13, 1, false, 100],
    [14, 2, true, 10],
    [15, 40, true, 1],
    [16, 60, false, 1],
  ] as const) {
    const { store, root } = await makeTrie(seed, n, clustered)
    const { builder, ranges } = await syncOnto(store, root, maxBytes)
    t.equal(bytesToHex(builder.root), bytesToHex(root), `${n} keys${clustered ? ', clustered' : ''}: ${ranges} ranges, the same root`)
  }
})

t.test('verifyRangeOnto: tampered ranges are refused, and the builder goes back to where it was', async (t) => {
  for (const clustered of [false, true]) {
    const { store, root } = await makeTrie(clustered ? 21 : 22, 400, clustered)
    const first = await readRange(read(store), root, ZERO_KEY, 2_000)
    const origin = nextKey(first.keys[first.keys.length - 1]!)!
    const good = await readRange(read(store), root, origin, 3_000)
    t.ok(good.keys.length > 4, 'a second range of several keys')
    const copy = (): TrieRange => ({ keys: [...good.keys], values: [...good.values], proof: [...good.proof] })
    const attempt = async (range: TrieRange, what: string) => {
      const builder = new RangeTrieBuilder(new MapStore())
      t.equal(await builder.addProven(root, ZERO_KEY, first), true, 'the first range holds')
      const before = bytesToHex(builder.root)
      await t.rejects(builder.addProven(root, origin, range), { code: StateErrorCode.BadRangeProof }, `${clustered ? 'clustered: ' : ''}${what}`)
      t.equal(bytesToHex(builder.root), before, 'the refused range is not kept')
      t.equal(await builder.addProven(root, origin, good), true, 'then the honest range holds')
    }
    const changed = (i: number) => {
      const r = copy()
      const v = Uint8Array.from(r.values[i]!)
      v[0] = v[0]! ^ 1
      r.values[i] = v
      return r
    }
    await attempt(changed(2), 'a changed value')
    await attempt(changed(0), 'a changed first value')
    await attempt(changed(good.keys.length - 1), 'a changed last value')
    for (const i of [0, 2, good.keys.length - 2]) {
      const gap = copy()
      gap.keys.splice(i, 1)
      gap.values.splice(i, 1)
      await attempt(gap, `key ${i} left out`)
    }
    const extra = copy()
    extra.keys.splice(2, 0, nextKey(extra.keys[1]!)!)
    extra.values.splice(2, 0, Uint8Array.of(1, 2, 3))
    await attempt(extra, 'an extra key')
    // an extra key sharing the last key's first bytes (inside an extension when clustered)
    const near = copy()
    const lastKey = near.keys[near.keys.length - 1]!
    const fake = Uint8Array.from(lastKey)
    fake[3] = 0
    fake[31] = 0
    if (Buffer.compare(fake, near.keys[near.keys.length - 2]!) > 0 && Buffer.compare(fake, lastKey) < 0) {
      near.keys.splice(near.keys.length - 1, 0, fake)
      near.values.splice(near.values.length - 1, 0, Uint8Array.of(9))
      await attempt(near, 'an extra key next to the last')
    }
    const dropLast = copy()
    dropLast.keys.pop()
    dropLast.values.pop()
    await attempt(dropLast, 'the last key left out (the proof is of another key)')
    const swapped = copy()
    ;[swapped.keys[1], swapped.keys[2]] = [swapped.keys[2]!, swapped.keys[1]!]
    await attempt(swapped, 'keys out of order')
    const missingNode = copy()
    missingNode.proof.splice(missingNode.proof.length - 1, 1)
    await attempt(missingNode, 'a proof node left out')
    const lengths = copy()
    lengths.values.pop()
    await attempt(lengths, 'fewer values than keys')
    await attempt({ ...copy(), keys: good.keys.map((k, i) => (i === 0 ? k.subarray(0, 31) : k)) }, 'a key of 31 bytes')
  }
  // a proof whose path node is an extension of no nibbles (a loop if followed naively) is refused
  {
    const { store, root } = await makeTrie(25, 50)
    const r = await readRange(read(store), root, ZERO_KEY, 1_000_000)
    const child = core.keccak256(r.proof[0]!)
    const loop = RLP.encode([Uint8Array.of(0x00), child])
    const builder = new RangeTrieBuilder(new MapStore())
    await t.rejects(
      builder.addProven(core.keccak256(loop), ZERO_KEY, { ...r, proof: [loop, ...r.proof] }),
      { code: StateErrorCode.BadRangeProof, message: /extension of no nibbles/ },
      'an empty extension on the path',
    )
  }
  // a range checked against another trie's root
  const a = await makeTrie(23, 300)
  const b = await makeTrie(24, 300)
  const r = await readRange(read(a.store), a.root, ZERO_KEY, 2_000)
  const builder = new RangeTrieBuilder(new MapStore())
  await t.rejects(builder.addProven(b.root, ZERO_KEY, r), { code: StateErrorCode.BadRangeProof }, 'another root')
  await builder.add(r.keys, r.values)
  await t.rejects(verifyRangeOnto(b.root, ZERO_KEY, r, builder), { code: StateErrorCode.BadRangeProof }, 'another root, checked alone')
})

t.test('readRange with a many-reader (the server: one LevelDB getMany per round) reads the same ranges, in rounds', async (t) => {
  const { store, root } = await makeTrie(7, 3_000)
  let calls = 0
  let nodes = 0
  const readMany = async (hashes: readonly Uint8Array[]) => {
    calls++
    nodes += hashes.length
    return Promise.all(hashes.map((h) => store.get(hexNoPrefix(h))))
  }
  let origin: Uint8Array | undefined = ZERO_KEY
  let ranges = 0
  while (origin !== undefined) {
    const one = await readRange(read(store), root, origin, 20_000)
    const many = await readRange(read(store), root, origin, 20_000, readMany)
    t.same(many, one, `range ${ranges}: the same leaves and proof`)
    const last = many.keys[many.keys.length - 1]
    origin = (await verifyRange(root, origin, many)) && last !== undefined ? nextKey(last) : undefined
    ranges++
  }
  t.ok(ranges > 3, `${ranges} ranges`)
  t.ok(calls * 20 < nodes, `${nodes} nodes read in ${calls} calls`)
  const missing = new MapStore()
  await t.rejects(
    readRange(read(missing), root, ZERO_KEY, 1_000, async (keys) => keys.map(() => undefined)),
    { code: StateErrorCode.MissingNode },
  )
})
