/**
 * Snapshot serving reads the next range ahead (src/node/snapServe.ts): once a range is answered,
 * the range from the key after its last one is read at once, and the peer's request for it is
 * answered from memory. Shown on a state whose store can be made to fail: a range read ahead is
 * still answered, equal to what a fresh read gives and proven against the root; any other range
 * is not. Storage ranges the same; at most READ_AHEAD_RANGES are held, the oldest dropped first.
 */
import t from 'tap'
import { bytesToHex, hexToBytes, KECCAK256_NULL } from '@ethereumjs/util'
import { core } from '../../../src/core/index.js'
import type { Blockchain } from '../../../src/node/blockchain.js'
import { READ_AHEAD_RANGES, snapServer } from '../../../src/node/snapServe.js'
import { MptBatch } from '../../../src/state/mptBatch.js'
import { nextKey, readRange, verifyRange, type TrieRange } from '../../../src/state/snapRange.js'
import { EMPTY_TRIE_ROOT_HEX } from '../../../src/state/trieWalk.js'
import { hexNoPrefix } from '../../../src/util/bytes.js'
import { silentLogger } from '../../../src/util/logger.js'
import { encodeRlp } from '../../../src/util/rlpView.js'

const EMPTY_ROOT = hexToBytes(`0x${EMPTY_TRIE_ROOT_HEX}`)
const ZERO = new Uint8Array(32)
/** one leaf per answer: every request is one range of the 40 accounts */
const ONE_LEAF = 1

const key = (i: number, salt: string) => core.keccak256(new TextEncoder().encode(`${salt}${i}`))

/** A state of 40 accounts, the first with 30 storage slots, in a node map a test can make unreadable. */
async function fixture() {
  const nodes = new Map<string, Uint8Array>()
  const batch = new MptBatch({ get: async (k) => nodes.get(k), put: async (k, v) => void nodes.set(k, v) }, core.keccak256, EMPTY_ROOT)
  const slots = Array.from({ length: 30 }, (_, i) => [key(i, 'slot'), encodeRlp(Uint8Array.of(i + 1))] as [Uint8Array, Uint8Array])
  const storageRoot = await batch.apply(EMPTY_ROOT, slots)
  const accounts = Array.from(
    { length: 40 },
    (_, i) =>
      [key(i, 'account'), encodeRlp([Uint8Array.of(i), Uint8Array.of(1), i === 0 ? storageRoot : EMPTY_ROOT, KECCAK256_NULL])] as [Uint8Array, Uint8Array],
  )
  const root = await batch.apply(EMPTY_ROOT, accounts)
  const state = { failing: false, reads: 0 }
  const read = async (k: string) => {
    if (state.failing) throw new Error('the store is unreadable')
    state.reads++
    return nodes.get(k)
  }
  const head = { hash: new Uint8Array(32).fill(1), header: { number: 10n, stateRoot: root } }
  const chain = {
    head,
    finalized: head,
    oldestStateKept: () => 0n,
    headerByNumber: async () => undefined,
    state: {
      store: {
        get: read,
        getMany: (keys: readonly string[]) => Promise.all(keys.map(read)),
        getManyByHash: (hashes: readonly Uint8Array[]) => Promise.all(hashes.map((h) => read(hexNoPrefix(h)))),
      },
    },
  } as unknown as Blockchain
  const sorted = accounts.map(([k]) => k).sort(Buffer.compare)
  const withStorage = accounts[0]![0]
  /** a fresh read of a range (not through the server), for comparison */
  const direct = (r: Uint8Array, origin: Uint8Array) => readRange(async (k) => nodes.get(k), r, origin, ONE_LEAF)
  return { chain, root, storageRoot, state, sorted, withStorage, direct }
}

/** lets a read ahead finish (the store answers without I/O: one turn of the event loop drains it) */
const readAheadDone = () => new Promise((r) => setImmediate(r))

t.test('the range after an answered one is answered from memory, as a fresh read gives it', async (t) => {
  const f = await fixture()
  const server = snapServer(f.chain, silentLogger)
  const first = (await server.accountRange(f.root, ZERO, ONE_LEAF))!
  t.equal(first.keys.length, 1, 'one leaf per answer')
  t.same(first.keys[0], f.sorted[0], 'the first account')
  await readAheadDone()
  f.state.failing = true
  const origin = nextKey(first.keys[0]!)!
  const second = await server.accountRange(f.root, origin, ONE_LEAF)
  t.ok(second !== undefined, 'the next range is answered with the store unreadable: it was read ahead')
  t.same(second, await f.direct(f.root, origin), 'it is the range a fresh read gives, with its proof')
  t.equal(await verifyRange(f.root, origin, second!), true, 'and it proves against the root (more follows)')
  await t.rejects(server.accountRange(f.root, nextKey(origin)!, ONE_LEAF), /unreadable/, 'a range not read ahead needs the store')
})

t.test('a whole sync through the server: each range (all but the first read ahead) proves, every account once', async (t) => {
  const f = await fixture()
  const server = snapServer(f.chain, silentLogger)
  let origin: Uint8Array | undefined = ZERO
  const keys: string[] = []
  while (origin !== undefined) {
    const range: TrieRange = (await server.accountRange(f.root, origin, ONE_LEAF))!
    t.same(range, await f.direct(f.root, origin), `the range from ${bytesToHex(origin).slice(0, 10)}… is a fresh read's`)
    const more = await verifyRange(f.root, origin, range)
    keys.push(...range.keys.map((k) => bytesToHex(k)))
    origin = more ? nextKey(range.keys[0]!) : undefined
    await readAheadDone()
  }
  t.same(
    keys,
    f.sorted.map((k) => bytesToHex(k)),
    'all 40 accounts, in order, once',
  )
})

t.test('storage ranges are read ahead too, per account', async (t) => {
  const f = await fixture()
  const server = snapServer(f.chain, silentLogger)
  const first = (await server.storageRange(f.root, f.withStorage, ZERO, ONE_LEAF))!
  t.equal(first.keys.length, 1)
  await readAheadDone()
  f.state.failing = true
  const origin = nextKey(first.keys[0]!)!
  const second = await server.storageRange(f.root, f.withStorage, origin, ONE_LEAF)
  t.same(second, await f.direct(f.storageRoot, origin), "the next slot range, as a fresh read of the account's storage gives it")
  t.equal(await verifyRange(f.storageRoot, origin, second!), true, 'proven against the storage root')
  await t.rejects(server.accountRange(f.root, origin, ONE_LEAF), /unreadable/, 'the same origin in the account trie is another range: not held')
})

t.test(`at most ${READ_AHEAD_RANGES} ranges are held; the oldest goes first`, async (t) => {
  const f = await fixture()
  const server = snapServer(f.chain, silentLogger)
  // answers from READ_AHEAD_RANGES + 2 origins far apart (every sixth account), each reading its next range ahead
  const origins = Array.from({ length: READ_AHEAD_RANGES + 2 }, (_, i) => f.sorted[i * 6]!)
  const nexts: Uint8Array[] = []
  for (const o of origins) {
    const r = (await server.accountRange(f.root, o, ONE_LEAF))!
    nexts.push(nextKey(r.keys[0]!)!)
    await readAheadDone()
  }
  f.state.failing = true
  await t.rejects(server.accountRange(f.root, nexts[0]!, ONE_LEAF), /unreadable/, 'the oldest read ahead was dropped')
  await t.rejects(server.accountRange(f.root, nexts[1]!, ONE_LEAF), /unreadable/, 'and the next oldest')
  for (const n of nexts.slice(2)) t.ok(await server.accountRange(f.root, n, ONE_LEAF), 'the newest ones are held')
})

t.test('a root the node does not serve is answered unavailable, nothing read ahead', async (t) => {
  const f = await fixture()
  const server = snapServer(f.chain, silentLogger)
  const other = new Uint8Array(32).fill(7)
  t.equal(await server.accountRange(other, ZERO, ONE_LEAF), undefined, 'unavailable')
  t.equal(f.state.reads, 0, 'no node was read')
})
