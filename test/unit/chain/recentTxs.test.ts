import t from 'tap'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Block } from '../../../src/chain/block.js'
import { RecentTxs } from '../../../src/chain/recentTxs.js'

// only what RecentTxs reads: the block's hash and its transactions' hashes
const tx = (n: number) => ({ hash: () => new Uint8Array(32).fill(n) }) as unknown as TypedTransaction
const block = (id: number, txs: number[]) => ({ hash: new Uint8Array(32).fill(200 + id), transactions: txs.map(tx) }) as unknown as Block
const h = (n: number) => new Uint8Array(32).fill(n)

t.test('finds the transactions of the last blocks, forgets the oldest past capacity', async (t) => {
  const r = new RecentTxs(2)
  const a = block(1, [1, 2])
  const b = block(2, [3])
  const c = block(3, [4, 5])
  r.add(a)
  r.add(b)
  t.same(r.get(h(2)), { blockHash: a.hash, index: 1 })
  t.same(r.get(h(3)), { blockHash: b.hash, index: 0 })
  r.add(c)
  t.equal(r.get(h(1)), undefined, 'block a fell out')
  t.equal(r.get(h(2)), undefined)
  t.same(r.get(h(5)), { blockHash: c.hash, index: 1 })
  t.equal(r.get(h(9)), undefined, 'never seen')
})

t.test('a reorg: the unindexed block leaves, a transaction mined again on the new branch points there', async (t) => {
  const r = new RecentTxs(16)
  const a1 = block(1, [1, 2])
  const b1 = block(2, [2, 3])
  r.add(a1)
  // the store's order for a reorg: unindex the old branch, then the new block
  r.remove(a1)
  r.add(b1)
  t.equal(r.get(h(1)), undefined, 'only in the unindexed block: not mined any more')
  t.same(r.get(h(2)), { blockHash: b1.hash, index: 0 }, 'in both: where the new branch has it')
  // and back: b1 leaves, a1 returns
  r.remove(b1)
  r.add(a1)
  t.same(r.get(h(2)), { blockHash: a1.hash, index: 1 })
  t.equal(r.get(h(3)), undefined)
  // evicting an old block never removes an entry that a newer block holds
  const r2 = new RecentTxs(1)
  r2.add(a1)
  r2.add(b1)
  t.same(r2.get(h(2)), { blockHash: b1.hash, index: 0 }, 'a1 evicted, b1’s entry kept')
})
