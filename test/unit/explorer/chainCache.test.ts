/**
 * The block cache: a second read costs no request, a new head costs one block, an empty block
 * pushed by newHeads costs none, a block that does not link to the cached ones (a reorg) makes it
 * read the wanted blocks again, and it keeps at most its capacity. Against a scripted chain behind
 * a stand-in client (a reorg cannot be made to order on a dev node), counting the calls it makes.
 */
import t from 'tap'
import { createChainCache, EMPTY_TRIE_ROOT, hexQ, type Block } from '../../../src/explorer/chainCache.js'
import type { RpcClient } from '../../../src/explorer/rpcClient.js'
import { blockColumns } from '../../../src/explorer/views/blocks.js'
import { wrap } from '../../../src/explorer/format.js'

/** A chain of `length` blocks whose hashes carry `fork` (another fork: other hashes from `from` up). */
function chain(length: number, fork = 'a', from = 0): Block[] {
  const hash = (n: number) => `0x${(n >= from ? fork : 'a').repeat(2)}${n.toString(16).padStart(62, '0')}`
  return Array.from({ length }, (_, n) => ({ number: hexQ(n), hash: hash(n), parentHash: n === 0 ? '0x' + '0'.repeat(64) : hash(n - 1), transactions: [] }))
}

/** A client whose batch answers eth_getBlockByNumber from `blocks()` and counts the calls. */
function stand(blocks: () => Block[]) {
  const seen: string[] = []
  const client = {
    batch: async (calls: { method: string; params?: unknown[] }[]) =>
      calls.map((c) => {
        seen.push(c.method)
        if (c.method !== 'eth_getBlockByNumber') return 'other'
        return blocks()[Number(BigInt(c.params![0] as string))] ?? null
      }),
  } as unknown as RpcClient
  return { client, calls: () => seen.length }
}

const range = (top: number, count: number) => Array.from({ length: count }, (_, i) => BigInt(top - i)).filter((n) => n >= 0n)

t.test('reads each block once; a new head costs one call; extra calls ride along', async (t) => {
  let blocks = chain(20)
  const s = stand(() => blocks)
  const cache = createChainCache(s.client)
  let got = await cache.blocks(range(19, 10))
  t.equal(got.blocks.length, 10)
  t.equal(got.blocks[0]!.number, hexQ(19), 'newest first, as asked')
  t.equal(s.calls(), 10, 'ten blocks, ten calls')
  await cache.blocks(range(19, 10))
  t.equal(s.calls(), 10, 'read again: no call')
  blocks = chain(21)
  got = await cache.blocks(range(20, 10), [{ method: 'net_peerCount' }])
  t.equal(s.calls(), 12, 'the new head and the extra call')
  t.same(got.extra, ['other'], 'the extra answer comes back')
  t.same((await cache.blocks([30n])).blocks, [], 'a block the node does not have is left out')
})

t.test('an empty block pushed by newHeads costs no call; one with transactions is fetched', async (t) => {
  const blocks = chain(5)
  const s = stand(() => blocks)
  const cache = createChainCache(s.client)
  await cache.blocks(range(3, 4))
  const before = s.calls()
  cache.offerHeader({ ...blocks[4]!, transactionsRoot: EMPTY_TRIE_ROOT, transactions: undefined })
  const got = await cache.blocks(range(4, 5))
  t.equal(s.calls(), before, 'no call for the empty head')
  t.same(got.blocks[0]!.transactions, [], 'kept with no transactions')
  const busy = chain(6)
  cache.offerHeader({ ...busy[5]!, transactionsRoot: '0x' + '12'.repeat(32) })
  t.equal(cache.size(), 5, 'a header with transactions is not kept (it does not list them)')
})

t.test('a reorg under the cached blocks: the wanted blocks are read again', async (t) => {
  let blocks = chain(10)
  const s = stand(() => blocks)
  const cache = createChainCache(s.client)
  await cache.blocks(range(9, 10))
  // blocks 8 and up replaced, and a new head 10 on the new fork
  blocks = chain(11, 'b', 8)
  const got = await cache.blocks(range(10, 10))
  t.same(
    got.blocks.map((b) => b.hash),
    range(10, 10).map((n) => blocks[Number(n)]!.hash),
    'every block is the new fork’s',
  )
  t.equal(s.calls(), 10 + 1 + 10, 'the new head, then all ten again')
})

t.test('keeps at most its capacity, never the blocks just asked for', async (t) => {
  const blocks = chain(50)
  const cache = createChainCache(stand(() => blocks).client, 16)
  await cache.blocks(range(49, 10))
  await cache.blocks(range(20, 10))
  t.equal(cache.size(), 16)
  t.equal((await cache.blocks(range(20, 10))).blocks.length, 10, 'the last page asked is all there')
})

t.test('the Blocks columns fit the terminal and grow with it', async (t) => {
  for (const columns of [65, 80, 100, 120, 200]) {
    const { producerW, hashW } = blockColumns(columns)
    // mark 2 + block 10 + age 9 + txs 5 + 1 + gas 11 + 2 + producer + 1 + hash
    t.ok(2 + 39 + producerW + hashW <= columns, `a row fits ${columns} columns`)
  }
  t.same(blockColumns(80), { producerW: 19, hashW: 20 }, 'at 80 columns')
  t.same(blockColumns(200), { producerW: 42, hashW: 66 }, 'wide: the whole address and hash')
})

t.test('wrap: long values continue under themselves', async (t) => {
  t.same(wrap('abcdefghij', 14, 'key = ', '      '), ['key = abcdefgh', '      ij'])
  t.same(wrap('', 20, 'x '), ['x '], 'an empty value is one line')
  t.same(wrap('0123456789', 4, 'long prefix '), ['long prefix 01234567', 'long prefix 89'], 'at least 8 characters a line')
})
