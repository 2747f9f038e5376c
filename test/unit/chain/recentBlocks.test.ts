/**
 * The recent blocks' receipt records and bodies (src/chain/recentBlocks.ts): kept for the last
 * `capacity` blocks, and within a budget of records, so a few huge blocks cannot hold hundreds of
 * MB while many small ones are all kept (wallets under load poll receipts many blocks back).
 */
import t from 'tap'
import { RecentBlocks } from '../../../src/chain/recentBlocks.js'
import type { ReceiptRecord } from '../../../src/chain/receiptRecord.js'

const hash = (i: number) => new Uint8Array(32).fill(i)
const records = (n: number) => Array.from({ length: n }, () => ({}) as ReceiptRecord)

t.test('the default keeps the records of the last 32 small blocks', async (t) => {
  const r = new RecentBlocks()
  for (let i = 1; i <= 40; i++) r.set(hash(i), { records: records(300) })
  t.equal(r.get(hash(8)), undefined, 'block 8 is out')
  t.equal(r.get(hash(9))?.records?.length, 300, 'block 9, 32 blocks back, is kept')
  t.equal(r.get(hash(40))?.records?.length, 300)
})

t.test('the record budget drops the oldest blocks first, never the newest', async (t) => {
  const r = new RecentBlocks(32, 10_000)
  for (let i = 1; i <= 5; i++) r.set(hash(i), { records: records(4_000) })
  t.equal(r.get(hash(3)), undefined, 'block 3 is out: 3 × 4,000 records would pass the budget')
  t.equal(r.get(hash(4))?.records?.length, 4_000)
  t.equal(r.get(hash(5))?.records?.length, 4_000)
  const big = new RecentBlocks(32, 10)
  big.set(hash(1), { records: records(50) })
  t.equal(big.get(hash(1))?.records?.length, 50, 'a block larger than the budget is still kept alone')
})

t.test('a block whose records arrive later counts them once', async (t) => {
  const r = new RecentBlocks(32, 1_000)
  r.set(hash(1), { body: new Uint8Array(1) })
  r.set(hash(1), { records: records(600) })
  r.set(hash(1), { records: records(600) })
  r.set(hash(2), { records: records(400) })
  t.equal(r.get(hash(1))?.records?.length, 600, 'still within the budget: 600 + 400')
  t.ok(r.get(hash(1))?.body, 'the body stays with the records')
})
