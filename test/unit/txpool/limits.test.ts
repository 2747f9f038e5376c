import t, { type Test } from 'tap'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import type { Account, Entry } from '../../../src/txpool/entry.js'
import { TxPool } from '../../../src/txpool/txPool.js'
import { TxPoolErrorCode } from '../../../src/txpool/errors.js'
import type { TxPoolOptions } from '../../../src/txpool/interface.js'
import { NfcError } from '../../../src/util/errors.js'
import { ETH, GWEI, MemState, addressOf, common, feeMarketTx, key, legacyTx } from './fixtures/txs.js'

// minGasPrice is 1 gwei: a legacy tx at n gwei pays a tip of n − 1 gwei
const [A, B, C, D] = [1, 2, 3, 4].map(key)
const [addrA, addrB, addrC, addrD] = [A, B, C, D].map(addressOf)

function setup(o: Partial<TxPoolOptions> = {}) {
  const state = new MemState()
  for (const a of [addrA, addrB, addrC, addrD]) state.set(a, 0n, 1000n * ETH)
  const pool = new TxPool({ common, minGasPrice: GWEI, blockGasLimit: 30_000_000n, ...o }, state)
  const events: string[] = []
  pool.on('added', (e) => events.push(`added ${bytesToHex(e.hash)} ${e.status}`))
  pool.on('pending', (e) => events.push(`pending ${bytesToHex(e.hash)}`))
  pool.on('removed', (e) => events.push(`removed ${bytesToHex(e.hash)} ${e.reason}`))
  return { pool, state, events }
}

async function rejects(t: Test, p: Promise<unknown>, code: string, message: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  t.ok(e instanceof NfcError, `refused: ${String(e)}`)
  t.equal((e as NfcError).code, code)
  t.equal((e as NfcError).message, message)
}

const h = (tx: TypedTransaction) => bytesToHex(tx.hash())
const hashes = (txs: TypedTransaction[]) => txs.map(h)
const run = (k: Uint8Array, from: bigint, to: bigint, gwei: bigint) => {
  const out: TypedTransaction[] = []
  for (let n = from; n < to; n++) out.push(legacyTx(k, n, gwei * GWEI))
  return out
}

t.test("defaults are geth's", async (t) => {
  const { pool } = setup()
  t.same(pool.limits, { accountSlots: 16, globalSlots: 5120, accountQueue: 64, globalQueue: 1024 })
})

t.test('a 100-tx nonce run from one sender is accepted and selected in nonce order', async (t) => {
  const { pool } = setup()
  const txs = run(A, 0n, 100n, 2n)
  // arrival out of order (the last 10 first): they wait queued, then the run promotes them
  for (const tx of txs.slice(90)) t.equal((await pool.add(tx, addrA)).status, 'queued')
  for (const tx of txs.slice(0, 90)) t.equal((await pool.add(tx, addrA)).status, 'pending')
  t.same(pool.status(), { pending: 100, queued: 0 })
  t.equal(await pool.pendingNonce(addrA), 100n)
  t.same(hashes(pool.selectForBlock(30_000_000n)), hashes(txs))
  // a block with room for 40 takes the first 40, no gaps
  t.same(hashes(pool.selectForBlock(40n * 21_000n)), hashes(txs.slice(0, 40)))
})

t.test('accountQueue is a per-sender ceiling on queued txs only', async (t) => {
  const { pool } = setup({ accountQueue: 2 })
  await pool.add(legacyTx(A, 5n, 2n * GWEI), addrA)
  await pool.add(legacyTx(A, 6n, 2n * GWEI), addrA)
  await rejects(t, pool.add(legacyTx(A, 8n, 2n * GWEI), addrA), TxPoolErrorCode.ACCOUNT_LIMIT, 'account limit exceeded')
  // replacing a queued tx does not count; an executable tx is always welcome
  t.equal((await pool.add(legacyTx(A, 6n, 3n * GWEI), addrA)).status, 'queued')
  t.equal((await pool.add(legacyTx(A, 0n, 2n * GWEI), addrA)).status, 'pending')
  t.same(pool.status(), { pending: 1, queued: 2 })
})

t.test('full executable slots: the cheapest tail goes, fee first, then the most recent', async (t) => {
  const { pool, events } = setup({ globalSlots: 4, accountSlots: 1 })
  const a = run(A, 0n, 2n, 2n) // tip 1 gwei, A holds one above its guarantee
  const b = run(B, 0n, 2n, 2n) // tip 1 gwei, B too, arrived after A
  for (const tx of a) await pool.add(tx, addrA)
  for (const tx of b) await pool.add(tx, addrB)
  // paying the same as the cheapest is not enough
  await rejects(t, pool.add(legacyTx(C, 0n, 2n * GWEI), addrC), TxPoolErrorCode.FULL, 'txpool is full')
  events.length = 0
  const c0 = legacyTx(C, 0n, 3n * GWEI)
  t.equal((await pool.add(c0, addrC)).status, 'pending')
  // equal tips: B's tail arrived last, so it goes; A keeps a gap-free run
  t.same(events, [`removed ${h(b[1])} evicted`, `added ${h(c0)} pending`, `pending ${h(c0)}`])
  const d0 = legacyTx(D, 0n, 3n * GWEI)
  await pool.add(d0, addrD)
  t.notOk(pool.has(a[1].hash()), "then A's tail, the only one left above its guarantee")
  t.ok(pool.has(a[0].hash()))
  t.same(pool.status(), { pending: 4, queued: 0 })
  t.same(hashes(pool.selectForBlock(30_000_000n)), hashes([c0, d0, a[0], b[0]]))
})

t.test('guaranteed slots: senders above theirs give way first, whatever they pay', async (t) => {
  const { pool } = setup({ globalSlots: 5, accountSlots: 2 })
  const a = run(A, 0n, 2n, 2n) // tip 1, within its guarantee
  const b = run(B, 0n, 3n, 4n) // tip 3, one above its guarantee
  for (const tx of a) await pool.add(tx, addrA)
  for (const tx of b) await pool.add(tx, addrB)
  await pool.add(legacyTx(C, 0n, 5n * GWEI), addrC)
  t.notOk(pool.has(b[2].hash()), "B's extra slot goes, although A's tail pays less")
  t.ok(pool.has(a[1].hash()))

  // nobody is above the guarantee now: a sender within its own may take the cheapest slot
  await pool.add(legacyTx(C, 1n, 5n * GWEI), addrC)
  t.notOk(pool.has(a[1].hash()), 'slot for slot, by fee: A (tip 1) loses its tail')
  // …but a sender at its guarantee may not push anyone below theirs
  await rejects(t, pool.add(legacyTx(C, 2n, 50n * GWEI), addrC), TxPoolErrorCode.FULL, 'txpool is full')
  t.same(pool.status(), { pending: 5, queued: 0 })
})

t.test('a sender never evicts its own tail to extend its run', async (t) => {
  const { pool } = setup({ globalSlots: 2, accountSlots: 1 })
  await pool.add(legacyTx(A, 0n, 2n * GWEI), addrA)
  await pool.add(legacyTx(B, 0n, 9n * GWEI), addrB)
  await rejects(t, pool.add(legacyTx(A, 1n, 5n * GWEI), addrA), TxPoolErrorCode.FULL, 'txpool is full')
  // another sender within its guarantee, paying more than A, can take A's slot
  await pool.add(legacyTx(C, 0n, 5n * GWEI), addrC)
  t.same(pool.status(), { pending: 2, queued: 0 })
  t.equal(await pool.pendingNonce(addrA), 0n)
  // a 1559 tx's tip is min(maxPriorityFee, maxFee − minGasPrice): 4 gwei here, not better than C's
  await rejects(t, pool.add(feeMarketTx(D, 0n, 5n * GWEI, 5n * GWEI), addrD), TxPoolErrorCode.FULL, 'txpool is full')
  await pool.add(feeMarketTx(D, 0n, 6n * GWEI, 5n * GWEI), addrD)
  t.equal(await pool.pendingNonce(addrC), 0n, "C's slot went to D's tip of 5 gwei")
})

t.test('full global queue: the cheapest highest queued nonce goes', async (t) => {
  const { pool, events } = setup({ globalQueue: 2 })
  const a5 = legacyTx(A, 5n, 2n * GWEI) // tip 1
  const b5 = legacyTx(B, 5n, 4n * GWEI) // tip 3
  await pool.add(a5, addrA)
  await pool.add(b5, addrB)
  await rejects(t, pool.add(legacyTx(C, 5n, 2n * GWEI), addrC), TxPoolErrorCode.FULL, 'txpool is full')
  // A may not drop its own lower queued tx (tip 1) to queue a higher one: B's (tip 3) is the victim
  await rejects(t, pool.add(legacyTx(A, 9n, 3n * GWEI), addrA), TxPoolErrorCode.FULL, 'txpool is full')
  events.length = 0
  const c5 = legacyTx(C, 5n, 3n * GWEI)
  t.equal((await pool.add(c5, addrC)).status, 'queued')
  t.same(events, [`removed ${h(a5)} evicted`, `added ${h(c5)} queued`])
  // executable txs are not limited by the queue
  t.equal((await pool.add(legacyTx(A, 0n, 2n * GWEI), addrA)).status, 'pending')
  t.same(pool.status(), { pending: 1, queued: 2 })
})

t.test('a gap filled past the executable slots: the promoted tail is trimmed, the newcomer stays', async (t) => {
  const { pool, events } = setup({ globalSlots: 3, accountSlots: 1 })
  const a = run(A, 0n, 4n, 3n) // tip 2
  const b = run(B, 0n, 2n, 2n) // tip 1
  await pool.add(a[0], addrA)
  await pool.add(a[2], addrA)
  await pool.add(a[3], addrA)
  for (const tx of b) await pool.add(tx, addrB)
  t.same(pool.status(), { pending: 3, queued: 2 })
  events.length = 0
  t.equal((await pool.add(a[1], addrA)).status, 'pending')
  // b1 makes room for a1; a1 promotes a2, a3, which overrun the slots and are trimmed, newest first
  t.same(events, [`removed ${h(b[1])} evicted`, `removed ${h(a[3])} evicted`, `removed ${h(a[2])} evicted`, `added ${h(a[1])} pending`, `pending ${h(a[1])}`])
  t.same(pool.status(), { pending: 3, queued: 0 })
  t.same(hashes(pool.selectForBlock(30_000_000n)), hashes([a[0], a[1], b[0]]))
})

t.test(
  'every sender’s highest-nonce entry, which a full queue evicts from, stays right through inserts, replacements, evictions and mined nonces',
  async (t) => {
    const { pool, state } = setup({ accountSlots: 2, globalSlots: 12, accountQueue: 5, globalQueue: 8 })
    const senders = [A, B, C, D]
    const mined = [0n, 0n, 0n, 0n]
    // a fixed linear congruential sequence: the same run every time
    let seed = 12345
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return Math.floor(seed / 2 ** 16) % n // the high bits: the low ones of this generator repeat quickly
    }
    const accounts = (pool as unknown as { accounts: Map<string, Account> }).accounts
    let checked = 0
    const removed: Record<string, number> = {}
    pool.on('removed', (e) => (removed[e.reason] = (removed[e.reason] ?? 0) + 1))
    for (let step = 0; step < 600; step++) {
      const s = next(4)
      if (next(10) === 0) {
        // a block mined some of this sender's nonces
        mined[s]! += BigInt(next(3))
        state.set(addressOf(senders[s]!), mined[s]!, 1000n * ETH)
        await pool.onNewHead(state)
      } else {
        await pool.add(legacyTx(senders[s]!, mined[s]! + BigInt(next(12)), BigInt(2 + next(8)) * GWEI)).catch(() => undefined)
      }
      for (const acct of accounts.values()) {
        let highest: Entry | undefined
        for (const e of acct.txs.values()) if (highest === undefined || e.nonce > highest.nonce) highest = e
        if (acct.last !== highest) t.fail(`step ${step}: ${acct.key}'s last is nonce ${acct.last?.nonce}, its highest ${highest?.nonce}`)
        checked++
      }
    }
    t.ok((removed.evicted ?? 0) > 20 && (removed.replaced ?? 0) > 5 && (removed.stale ?? 0) > 20, `entries removed: ${JSON.stringify(removed)}`)
    t.ok(checked > 1000, `${checked} checks of a sender's last entry, all right`)
    const { pending, queued } = pool.status()
    t.ok(pending > 0 && queued > 0, `the run ended with pending (${pending}) and queued (${queued}) transactions`)
  },
)
