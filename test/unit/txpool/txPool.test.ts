import t from 'tap'
import { createFeeMarket1559Tx, type TypedTransaction } from '@ethereumjs/tx'
import { type Address, bytesToHex, toChecksumAddress } from '@ethereumjs/util'
import { TxPool } from '../../../src/txpool/txPool.js'
import { TxPoolErrorCode } from '../../../src/txpool/errors.js'
import type { PoolStateView, TxPoolEvents, TxPoolOptions } from '../../../src/txpool/interface.js'
import { TxErrorCode } from '../../../src/execution/errors.js'
import { NfcError } from '../../../src/util/errors.js'
import { ETH, GWEI, MemState, TO, accessListTx, addressOf, common, feeMarketTx, key, legacyTx } from './fixtures/txs.js'

const A = key(1)
const B = key(2)
const C = key(3)
const addrA = addressOf(A)
const addrB = addressOf(B)
const addrC = addressOf(C)

function setup(o: Partial<TxPoolOptions> = {}, state = new MemState()) {
  for (const a of [addrA, addrB, addrC]) if (!state.nonces.has(a.toString())) state.set(a, 0n, 100n * ETH)
  const pool = new TxPool({ common, minGasPrice: GWEI, blockGasLimit: 30_000_000n, ...o }, state)
  const events: Array<[string, string, string?]> = []
  pool.on('added', (e) => events.push(['added', bytesToHex(e.hash), e.status]))
  pool.on('pending', (e) => events.push(['pending', bytesToHex(e.hash)]))
  pool.on('removed', (e) => events.push(['removed', bytesToHex(e.hash), e.reason]))
  return { pool, state, events }
}

type Asserts = Pick<typeof t, 'ok' | 'equal' | 'fail'>

async function rejects(t: Asserts, p: Promise<unknown>, code: string, message: string) {
  try {
    await p
  } catch (e) {
    t.ok(e instanceof NfcError, String(e))
    t.equal((e as NfcError).code, code)
    t.equal((e as NfcError).message, message)
    return e as NfcError
  }
  t.fail(`expected ${code}: ${message}`)
  return undefined
}

const h = (tx: TypedTransaction) => bytesToHex(tx.hash())
const hashes = (txs: TypedTransaction[]) => txs.map(h)

t.test('accepts a valid tx as pending; get/has/status/size/pendingNonce', async (t) => {
  const { pool, events } = setup()
  const tx = feeMarketTx(A, 0n, 3n * GWEI, GWEI)
  const res = await pool.add(tx) // sender recovered by the pool
  t.equal(res.status, 'pending')
  t.equal(bytesToHex(res.hash), h(tx))
  t.ok(pool.has(tx.hash()))
  t.ok(pool.has(h(tx)))
  t.equal(pool.get(tx.hash()), tx)
  t.equal(pool.size, 1)
  t.same(pool.status(), { pending: 1, queued: 0 })
  t.equal(await pool.pendingNonce(addrA), 1n)
  t.equal(await pool.pendingNonce(addrB), 0n)
  t.same(events, [
    ['added', h(tx), 'pending'],
    ['pending', h(tx)],
  ])
})

t.test('stateless rejections use geth wording', async (t) => {
  const { pool } = setup({ blockGasLimit: 1_000_000n })
  const tx = legacyTx(A, 0n, 2n * GWEI)
  await pool.add(tx, addrA)
  await rejects(t, pool.add(tx, addrA), TxPoolErrorCode.ALREADY_KNOWN, 'already known')

  await rejects(t, pool.add(legacyTx(A, 1n, 2n * GWEI, { gasLimit: 1_000_001n }), addrA), TxPoolErrorCode.GAS_LIMIT, 'exceeds block gas limit')
  t.equal((await pool.add(legacyTx(A, 1n, 2n * GWEI, { gasLimit: 1_000_000n }), addrA)).status, 'pending', 'gas limit equal to the block gas limit is fine')

  await rejects(
    t,
    pool.add(legacyTx(A, 2n, 2n * GWEI, { gasLimit: 20_999n }), addrA),
    TxPoolErrorCode.INTRINSIC_GAS,
    'intrinsic gas too low: gas 20999, minimum needed 21000',
  )
  // calldata: 2 non-zero bytes (16 each) + 1 zero byte (4) = 21036
  await rejects(
    t,
    pool.add(legacyTx(A, 2n, 2n * GWEI, { gasLimit: 21_035n, data: Uint8Array.of(1, 2, 0) }), addrA),
    TxPoolErrorCode.INTRINSIC_GAS,
    'intrinsic gas too low: gas 21035, minimum needed 21036',
  )
  // contract creation: 53000 + init code words
  await rejects(
    t,
    pool.add(legacyTx(A, 2n, 2n * GWEI, { gasLimit: 50_000n, to: null }), addrA),
    TxPoolErrorCode.INTRINSIC_GAS,
    'intrinsic gas too low: gas 50000, minimum needed 53000',
  )

  await rejects(
    t,
    pool.add(legacyTx(A, 2n, GWEI - 1n), addrA),
    TxPoolErrorCode.UNDERPRICED,
    'transaction underpriced: gas price 999999999 below minimum 1000000000',
  )
  await rejects(
    t,
    pool.add(accessListTx(A, 2n, GWEI / 2n), addrA),
    TxPoolErrorCode.UNDERPRICED,
    'transaction underpriced: gas price 500000000 below minimum 1000000000',
  )
  await rejects(
    t,
    pool.add(feeMarketTx(A, 2n, GWEI - 1n, 0n), addrA),
    TxPoolErrorCode.UNDERPRICED,
    'transaction underpriced: gas price 999999999 below minimum 1000000000',
  )
  t.equal((await pool.add(feeMarketTx(A, 2n, GWEI, 0n), addrA)).status, 'pending', 'exactly minGasPrice is fine')

  // ethereumjs refuses to build tip > cap, so build unfrozen and edit after signing
  const bad = createFeeMarket1559Tx(
    { nonce: 3n, maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: GWEI, gasLimit: 21_000n, to: TO },
    { common, freeze: false },
  ).sign(A)
  ;(bad as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas = 3n * GWEI
  await rejects(t, pool.add(bad, addrA), TxPoolErrorCode.TIP_ABOVE_FEE_CAP, 'max priority fee per gas higher than max fee per gas')
  t.equal(pool.size, 3)
})

t.test('stateful rejections: nonce too low, insufficient funds', async (t) => {
  const state = new MemState().set(addrA, 5n, 21_000n * 2n * GWEI + 7n)
  const { pool } = setup({}, state)
  await rejects(
    t,
    pool.add(legacyTx(A, 3n, 2n * GWEI), addrA),
    TxPoolErrorCode.NONCE_TOO_LOW,
    `nonce too low: address ${toChecksumAddress(addrA.toString())}, tx: 3 state: 5`,
  )
  // cost = 21000 × 2 gwei + 8 > balance by exactly 1
  const err = await rejects(
    t,
    pool.add(legacyTx(A, 5n, 2n * GWEI, { value: 8n }), addrA),
    TxPoolErrorCode.INSUFFICIENT_FUNDS,
    'insufficient funds for gas * price + value: balance 42000000000007, tx cost 42000000000008, overshot 1',
  )
  t.same(err?.meta, { balance: 42_000_000_000_007n, cost: 42_000_000_000_008n })
  // 1559 cost uses maxFeePerGas, not the effective price
  await rejects(
    t,
    pool.add(feeMarketTx(A, 5n, 3n * GWEI, 0n), addrA),
    TxPoolErrorCode.INSUFFICIENT_FUNDS,
    'insufficient funds for gas * price + value: balance 42000000000007, tx cost 63000000000000, overshot 20999999999993',
  )
  t.equal((await pool.add(legacyTx(A, 5n, 2n * GWEI, { value: 7n }), addrA)).status, 'pending', 'exact balance is enough')
})

t.test('invalid sender and unsupported types', async (t) => {
  const { pool } = setup()
  const unsigned = createFeeMarket1559Tx({ nonce: 0n, maxFeePerGas: 2n * GWEI, gasLimit: 21_000n, to: TO }, { common })
  await rejects(t, pool.add(unsigned), TxErrorCode.INVALID_SIG, 'invalid sender: invalid transaction v, r, s values')
  // r with no curve point: the pool's own recovery must map to TX_INVALID_SENDER
  let seen = false
  for (let r = 1n; r < 40n && !seen; r++) {
    const tx = feeMarketTx(A, 0n, 2n * GWEI, GWEI)
    const forged = tx.addSignature(tx.v!, r, tx.s!)
    try {
      forged.getSenderAddress()
    } catch {
      await rejects(t, pool.add(forged), TxErrorCode.INVALID_SENDER, 'invalid sender')
      seen = true
    }
  }
  t.ok(seen)
})

t.test('nonce ordering, queued → pending promotion, pendingNonce', async (t) => {
  const { pool, events } = setup()
  const tx0 = legacyTx(A, 0n, 2n * GWEI)
  const tx1 = legacyTx(A, 1n, 2n * GWEI)
  const tx2 = legacyTx(A, 2n, 2n * GWEI)
  const tx4 = legacyTx(A, 4n, 2n * GWEI)
  t.equal((await pool.add(tx2, addrA)).status, 'queued')
  t.equal((await pool.add(tx1, addrA)).status, 'queued')
  t.equal((await pool.add(tx4, addrA)).status, 'queued')
  t.same(pool.status(), { pending: 0, queued: 3 })
  t.equal(await pool.pendingNonce(addrA), 0n)
  t.same(pool.selectForBlock(30_000_000n), [], 'queued txs are not executable')

  events.length = 0
  t.equal((await pool.add(tx0, addrA)).status, 'pending')
  t.same(pool.status(), { pending: 3, queued: 1 })
  t.equal(await pool.pendingNonce(addrA), 3n)
  // the gap filler first, then the promoted ones in nonce order; tx4 stays queued
  t.same(events, [
    ['added', h(tx0), 'pending'],
    ['pending', h(tx0)],
    ['pending', h(tx1)],
    ['pending', h(tx2)],
  ])
  t.same(hashes(pool.selectForBlock(30_000_000n)), hashes([tx0, tx1, tx2]))
  const c = pool.content()
  t.same([...c.pending.keys()], [addrA.toString()])
  t.same(hashes(c.pending.get(addrA.toString())!), hashes([tx0, tx1, tx2]))
  t.same(hashes(c.queued.get(addrA.toString())!), hashes([tx4]))
})

t.test('replacement needs a 10% bump of both fee cap and tip', async (t) => {
  const { pool, events } = setup()
  const old = legacyTx(A, 0n, 100n * GWEI)
  await pool.add(old, addrA)
  await rejects(t, pool.add(legacyTx(A, 0n, 109n * GWEI), addrA), TxPoolErrorCode.REPLACEMENT_UNDERPRICED, 'replacement transaction underpriced')
  // 10% minus one wei is still short
  await rejects(t, pool.add(legacyTx(A, 0n, 110n * GWEI - 1n), addrA), TxPoolErrorCode.REPLACEMENT_UNDERPRICED, 'replacement transaction underpriced')
  events.length = 0
  const repl = legacyTx(A, 0n, 110n * GWEI)
  t.equal((await pool.add(repl, addrA)).status, 'pending')
  t.notOk(pool.has(old.hash()))
  t.ok(pool.has(repl.hash()))
  t.equal(pool.size, 1)
  t.same(pool.status(), { pending: 1, queued: 0 })
  t.same(events, [
    ['removed', h(old), 'replaced'],
    ['added', h(repl), 'pending'],
    ['pending', h(repl)],
  ])

  // 1559: both caps must move by >= 10%
  const f = feeMarketTx(B, 0n, 100n * GWEI, 10n * GWEI)
  await pool.add(f, addrB)
  await rejects(t, pool.add(feeMarketTx(B, 0n, 110n * GWEI, 10n * GWEI), addrB), TxPoolErrorCode.REPLACEMENT_UNDERPRICED, 'replacement transaction underpriced')
  await rejects(
    t,
    pool.add(feeMarketTx(B, 0n, 200n * GWEI, 10_900_000_000n), addrB),
    TxPoolErrorCode.REPLACEMENT_UNDERPRICED,
    'replacement transaction underpriced',
  )
  await pool.add(feeMarketTx(B, 0n, 110n * GWEI, 11n * GWEI), addrB)
  t.notOk(pool.has(f.hash()))

  // a queued tx can be replaced too, and stays queued; replacement does not count toward limits
  const q = legacyTx(C, 5n, 10n * GWEI)
  await pool.add(q, addrC)
  t.equal((await pool.add(legacyTx(C, 5n, 11n * GWEI), addrC)).status, 'queued')
  t.same(pool.status(), { pending: 2, queued: 1 })
})

// limits and eviction: limits.test.ts

t.test('selectForBlock: tip order across senders, nonce order within, gas limit', async (t) => {
  const { pool } = setup()
  // A: nonce 0 cheap, nonce 1 rich; B: 0 mid; C: 0 mid (arrives after B)
  const a0 = legacyTx(A, 0n, 2n * GWEI) // tip 1
  const a1 = legacyTx(A, 1n, 20n * GWEI) // tip 19, but only after a0
  const b0 = feeMarketTx(B, 0n, 100n * GWEI, 4n * GWEI) // tip 4
  const c0 = legacyTx(C, 0n, 5n * GWEI) // tip 4, later arrival
  const b1 = accessListTx(B, 1n, 11n * GWEI) // tip 10
  for (const [tx, a] of [
    [a0, addrA],
    [a1, addrA],
    [b0, addrB],
    [c0, addrC],
    [b1, addrB],
  ] as const)
    await pool.add(tx, a)

  t.same(hashes(pool.selectForBlock(30_000_000n)), hashes([b0, b1, c0, a0, a1]))
  // room for exactly two 21000-gas txs: b0 (21000) then b1 needs 30000 → B stops; c0 fits
  t.same(hashes(pool.selectForBlock(42_000n)), hashes([b0, c0]))
  t.same(hashes(pool.selectForBlock(20_999n)), [])
  t.same(pool.size, 5, 'selection does not remove anything')
})

t.test('onNewHead drops included and unaffordable txs, promotes queued', async (t) => {
  const { pool, state, events } = setup()
  const a = [0n, 1n, 2n].map((n) => legacyTx(A, n, 2n * GWEI))
  const a5 = legacyTx(A, 5n, 2n * GWEI)
  const b0 = legacyTx(B, 0n, 2n * GWEI, { value: 50n * ETH })
  const b1 = legacyTx(B, 1n, 2n * GWEI)
  for (const tx of [...a, a5]) await pool.add(tx, addrA)
  await pool.add(b0, addrB)
  await pool.add(b1, addrB)
  t.same(pool.status(), { pending: 5, queued: 1 })

  // next head: A's 0..4 were mined (nonce 5 → a5 becomes executable); B's balance dropped
  const next = state
    .clone()
    .set(addrA, 5n, 100n * ETH)
    .set(addrB, 0n, 10n * ETH)
  events.length = 0
  await pool.onNewHead(next)
  t.same(events, [
    ['removed', h(a[0]), 'stale'],
    ['removed', h(a[1]), 'stale'],
    ['removed', h(a[2]), 'stale'],
    ['pending', h(a5)],
    ['removed', h(b0), 'unaffordable'],
  ])
  t.notOk(pool.has(b0.hash()))
  t.ok(pool.has(b1.hash()), 'B nonce 1 stays, now behind a gap')
  t.same(pool.status(), { pending: 1, queued: 1 })
  t.same(hashes(pool.selectForBlock(30_000_000n)), hashes([a5]))
  t.equal(await pool.pendingNonce(addrA), 6n)
  t.equal(await pool.pendingNonce(addrB), 0n)
  // adds now validate against the new head
  await rejects(
    t,
    pool.add(legacyTx(A, 4n, 3n * GWEI), addrA),
    TxPoolErrorCode.NONCE_TOO_LOW,
    `nonce too low: address ${toChecksumAddress(addrA.toString())}, tx: 4 state: 5`,
  )

  // everything mined: the pool empties
  await pool.onNewHead(next.clone().set(addrA, 6n, ETH).set(addrB, 2n, ETH))
  t.equal(pool.size, 0)
  t.same(pool.status(), { pending: 0, queued: 0 })
  t.same(pool.content(), { pending: new Map(), queued: new Map() })
})

t.test('an add racing a new head re-reads the state', async (t) => {
  // a state view whose getNonce blocks until released
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const old = new MemState().set(addrA, 0n, ETH)
  const slow: PoolStateView = {
    getNonce: async (a: Address) => {
      await gate
      return old.getNonce(a)
    },
    getBalance: (a: Address) => old.getBalance(a),
  }
  const pool = new TxPool({ common, minGasPrice: GWEI, blockGasLimit: 30_000_000n }, slow)
  const pending = pool.add(legacyTx(A, 0n, 2n * GWEI), addrA)
  // meanwhile nonce 0 gets mined
  await pool.onNewHead(new MemState().set(addrA, 1n, ETH))
  release()
  await rejects(t, pending, TxPoolErrorCode.NONCE_TOO_LOW, `nonce too low: address ${toChecksumAddress(addrA.toString())}, tx: 0 state: 1`)
  t.equal(pool.size, 0)
})

t.test('remove, content ordering, listener isolation', async (t) => {
  const { pool, events } = setup()
  const off = pool.on('added', () => {
    throw new Error('listener bug')
  })
  const txs = [legacyTx(C, 0n, 2n * GWEI), legacyTx(A, 0n, 2n * GWEI), legacyTx(A, 1n, 2n * GWEI), legacyTx(B, 0n, 2n * GWEI)]
  await pool.add(txs[0], addrC)
  await pool.add(txs[1], addrA)
  await pool.add(txs[2], addrA)
  await pool.add(txs[3], addrB)
  off()
  const keys = [addrA, addrB, addrC].map((a) => a.toString()).sort()
  t.same([...pool.content().pending.keys()], keys, 'senders sorted by address')

  events.length = 0
  t.ok(pool.remove(txs[1].hash()))
  t.notOk(pool.remove(txs[1].hash()))
  t.same(events, [['removed', h(txs[1]), 'dropped']])
  t.same(pool.status(), { pending: 2, queued: 1 }, 'A nonce 1 demoted behind the gap')
  t.equal(await pool.pendingNonce(addrA), 0n)
})

t.test('events payload types', async (t) => {
  const { pool } = setup()
  const got: TxPoolEvents['added'][] = []
  pool.on('added', (e) => got.push(e))
  const tx = legacyTx(A, 0n, 2n * GWEI)
  await pool.add(tx)
  t.equal(got[0].sender.toString(), addrA.toString())
  t.equal(got[0].tx, tx)
})

t.test("the head's pre-check refuses a call that can only revert, before anything is pooled", async (t) => {
  const state = new MemState()
  const refused = feeMarketTx(A, 0n, 3n * GWEI, GWEI)
  const view: PoolStateView = {
    getNonce: (a) => state.getNonce(a),
    getBalance: (a) => state.getBalance(a),
    precheck: async (tx) => (h(tx) === h(refused) ? 'evidence already applied' : undefined),
  }
  for (const a of [addrA, addrB]) state.set(a, 0n, 100n * ETH)
  const pool = new TxPool({ common, minGasPrice: GWEI, blockGasLimit: 30_000_000n }, view)
  await rejects(t, pool.add(refused), TxPoolErrorCode.PRECHECK_REFUSED, 'evidence already applied')
  t.equal(pool.size, 0, 'nothing pooled')
  t.equal(await pool.pendingNonce(addrA), 0n, 'the nonce stays free')
  t.equal((await pool.add(feeMarketTx(A, 0n, 4n * GWEI, GWEI))).status, 'pending', 'another tx of the same sender and nonce goes in')
  t.equal((await pool.add(feeMarketTx(B, 0n, 3n * GWEI, GWEI))).status, 'pending')
})
