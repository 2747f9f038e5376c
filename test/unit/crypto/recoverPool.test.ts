import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Mainnet, Hardfork, createCustomCommon } from '@ethereumjs/common'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, privateToAddress } from '@ethereumjs/util'
import { RecoverPool, SYNC_BELOW, recoverTxSender, recoverTxSenders, type RecoverItem } from '../../../src/crypto/recoverPool.js'
import { recoverPublicKey } from '../../../src/crypto/secp256k1.js'
import { N, prng, randomKey, signedItems, to32 } from './fixtures/helpers.js'

// One pool for the tests that do not close or crash it: under ts-node each worker compiles
// the sources again (seconds), compiled JS starts in milliseconds.
const shared = RecoverPool.create({ threads: 2 })
t.teardown(() => shared.close())

type Data1559 = Parameters<typeof createFeeMarket1559Tx>[0]
type Data2930 = Parameters<typeof createAccessList2930Tx>[0]
type DataLegacy = Parameters<typeof createLegacyTx>[0]

const plainItems = (n: number, seed: bigint): RecoverItem[] => signedItems(n, seed).map(({ msgHash, r, s, recid }) => ({ msgHash, r, s, recid }))

t.test('pool results equal sync results, in input order', async (t) => {
  const pool = shared
  t.equal(SYNC_BELOW, 2)
  for (const n of [0, 1, 2, 3, 15, 16, 17, 1000]) {
    const signed = signedItems(n, BigInt(n) + 100n)
    const items: RecoverItem[] = signed.map(({ msgHash, r, s, recid }) => ({ msgHash, r, s, recid }))
    // sprinkle invalid ones: their slots must come back null, the others untouched
    if (n > 5) {
      items[2] = { ...items[2]!, s: to32(N) }
      items[n - 1] = { ...items[n - 1]!, r: new Uint8Array(32) }
      items[n >> 1] = { ...items[n >> 1]!, recid: 7 }
    }
    const sync = items.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid))
    const pooled = await pool.recoverMany(items)
    t.equal(pooled.length, n)
    t.same(pooled, sync, `${n} items`)
    const signers = signed.map((x) => x.publicKey)
    const good = pooled.filter((p, i) => p !== null && Buffer.compare(p, signers[i]!) === 0).length
    t.equal(good, n > 5 ? n - 3 : n, `${n} items: valid ones recover their signers`)
    if (n > 5) t.same([pooled[2], pooled[n - 1], pooled[n >> 1]], [null, null, null])
  }
})

t.test('concurrent recoverMany calls and micro-batched recover()', async (t) => {
  const pool = shared
  const a = plainItems(300, 11n)
  const b = plainItems(200, 12n)
  const [ra, rb] = await Promise.all([pool.recoverMany(a), pool.recoverMany(b)])
  t.same(
    ra,
    a.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid)),
  )
  t.same(
    rb,
    b.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid)),
  )

  // 100 single calls in one tick go out as one batch; 3 in another tick stay on this thread
  const singles = await Promise.all(a.slice(0, 100).map((it) => pool.recover(it)))
  t.same(singles, ra.slice(0, 100))
  const few = await Promise.all(a.slice(0, 3).map((it) => pool.recover(it)))
  t.same(few, ra.slice(0, 3))
  await t.rejects(pool.recover({ ...a[0]!, msgHash: new Uint8Array(5) }), { code: 'CRYPTO_BAD_INPUT' })
  await t.rejects(pool.recoverMany([{ ...a[0]!, r: new Uint8Array(31) }]), { code: 'CRYPTO_BAD_INPUT' })
})

t.test('recover(): batches are answered in the order they were made, a small one never before a big one', async (t) => {
  const pool = shared
  const big = plainItems(400, 21n) // one tick: one batch, on the workers
  const small = plainItems(2, 22n) // the next tick: recovered at once on this thread
  const order: string[] = []
  const bigDone = Promise.all(big.map((it) => pool.recover(it))).then((r) => {
    order.push('big')
    return r
  })
  await new Promise((r) => setImmediate(r)) // the big batch goes out
  const smallDone = Promise.all(small.map((it) => pool.recover(it))).then((r) => {
    order.push('small')
    return r
  })
  const [rb, rs] = await Promise.all([bigDone, smallDone])
  t.same(order, ['big', 'small'], 'the later, smaller batch waited for the earlier one')
  t.same(
    rb,
    big.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid)),
    'the big batch right',
  )
  t.same(
    rs,
    small.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid)),
    'the small batch right',
  )
  // a failing batch does not hold back or fail the ones after it
  const bad = pool.recover({ ...small[0]!, recid: 9 })
  const after = pool.recover(small[1]!)
  t.equal(await bad, null, 'an invalid signature is null')
  t.same(await after, rs[1], 'the next call answered')
})

t.test('a crashed worker is replaced and its batch rejected', async (t) => {
  const pool = RecoverPool.create({ threads: 1 })
  t.teardown(() => pool.close())
  const items = plainItems(64, 13n)
  const expected = items.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid))
  t.same(await pool.recoverMany(items), expected, 'works before')
  pool._crashOneWorkerForTest() // queued ahead of the batch, so the batch is in flight when it dies
  await t.rejects(pool.recoverMany(items), { code: 'CRYPTO_WORKER_FAILED' })
  t.equal(pool.liveWorkers, 1, 'replaced')
  t.same(await pool.recoverMany(items), expected, 'works after')
})

t.test('close() rejects pending work and later calls, and is idempotent', async (t) => {
  const pool = RecoverPool.create({ threads: 2 })
  const items = plainItems(400, 14n)
  // handlers attached before close() so the rejections are never 'unhandled'
  const pending = t.rejects(pool.recoverMany(items), { code: 'CRYPTO_POOL_CLOSED' })
  const single = t.rejects(pool.recover(items[0]!), { code: 'CRYPTO_POOL_CLOSED' })
  await pool.close()
  await pending
  await single
  await t.rejects(pool.recoverMany(items), { code: 'CRYPTO_POOL_CLOSED' })
  await t.rejects(pool.recover(items[0]!), { code: 'CRYPTO_POOL_CLOSED' })
  await pool.close()
  t.equal(pool.liveWorkers, 0)
})

t.test('threads: 0 recovers on the calling thread', async (t) => {
  const pool = RecoverPool.create({ threads: 0 })
  t.teardown(() => pool.close())
  const items = plainItems(40, 15n)
  t.same(
    await pool.recoverMany(items),
    items.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid)),
  )
  t.throws(() => RecoverPool.create({ threads: -1 }), { code: 'CRYPTO_BAD_INPUT' })
})

t.test('an unclosed pool does not keep the process alive, and top-level await works', async (t) => {
  const fixture = fileURLToPath(new URL(`./fixtures/exitWithoutClose${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url))
  const start = Date.now()
  const child = spawn(process.execPath, [...process.execArgv, fixture], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(killer)
  t.equal(code, 0, `exit code (stderr: ${err.slice(0, 500)})`)
  t.match(out, /recovered 200 ok/)
  t.ok(Date.now() - start < 60_000, 'exited on its own')
})

t.test('recoverTxSenders fills tx.cache so getSenderAddress is free and right', async (t) => {
  const common = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Cancun })
  // pre-Spurious-Dragon: legacy txs signed with v = 27/28 (no EIP-155)
  const oldCommon = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Homestead })
  const rand = prng(16n)
  const txs: TypedTransaction[] = []
  const senders: Uint8Array[] = []
  for (let i = 0; i < 40; i++) {
    const sk = randomKey(rand)
    const base = { nonce: BigInt(i), gasLimit: 21000n, to: new Address(rand(20)), value: BigInt(i) }
    const kind = i % 4
    const tx =
      kind === 0
        ? createLegacyTx({ ...base, gasPrice: 10n ** 9n }, { common }).sign(sk)
        : kind === 1
          ? createLegacyTx({ ...base, gasPrice: 10n ** 9n }, { common: oldCommon }).sign(sk)
          : kind === 2
            ? createAccessList2930Tx({ ...base, gasPrice: 10n ** 9n, accessList: [] }, { common }).sign(sk)
            : createFeeMarket1559Tx({ ...base, maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 1n }, { common }).sign(sk)
    txs.push(tx)
    senders.push(privateToAddress(sk))
  }
  t.ok((txs[0]!.v ?? 0n) >= 35n + 2n * 2100n, 'EIP-155 v')
  t.ok(txs[1]!.v === 27n || txs[1]!.v === 28n, 'pre-155 v')

  // Before Homestead a high-s signature is valid (tx constructors reject it from Homestead on):
  // recovery must accept it just as @ethereumjs/tx does
  const chainstart = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Chainstart })
  const skHigh = randomKey(rand)
  const low = createLegacyTx({ nonce: 1n, gasLimit: 21000n, gasPrice: 1n, value: 5n }, { common: chainstart }).sign(skHigh)
  const highS = createLegacyTx({ ...(low.toJSON() as unknown as DataLegacy), s: N - low.s!, v: 55n - low.v! }, { common: chainstart })
  t.ok(highS.s! > N / 2n)
  txs.push(highS)
  senders.push(privateToAddress(skHigh))

  // invalid signatures: r = 0, r ≥ n, an r that is no x coordinate
  const victim = txs[3]!.toJSON() as unknown as Data1559
  const zeroR = createFeeMarket1559Tx({ ...victim, r: 0n }, { common })
  const legacyBadR = createLegacyTx({ ...(txs[0]!.toJSON() as unknown as DataLegacy), r: N + 1n }, { common })
  const noPointR = createFeeMarket1559Tx({ ...victim, r: 5n }, { common }) // x = 5 is not on the curve

  const pool = shared
  await recoverTxSenders(pool, [...txs, zeroR, legacyBadR, noPointR])
  for (const [i, tx] of txs.entries()) {
    t.ok(tx.cache.senderPubKey !== undefined, `tx ${i} (type ${tx.type}) cached`)
    t.same(tx.getSenderAddress().bytes, senders[i], `tx ${i} (type ${tx.type}) sender`)
  }
  for (const [name, tx] of Object.entries({ zeroR, legacyBadR, noPointR })) {
    t.equal(tx.cache.senderPubKey, undefined, `${name}: not cached`)
    t.throws(() => tx.getSenderAddress(), /Invalid Signature/, `${name}: still throws`)
  }

  // small batch (sync path), and already-cached txs are left alone
  const few = [createFeeMarket1559Tx({ ...victim }, { common }), createAccessList2930Tx({ ...(txs[2]!.toJSON() as unknown as Data2930) }, { common })]
  await recoverTxSenders(pool, few)
  t.same(few[0]!.getSenderAddress().bytes, senders[3])
  t.same(few[1]!.getSenderAddress().bytes, senders[2])
  const cached = few[0]!.cache.senderPubKey
  await recoverTxSenders(pool, few)
  t.equal(few[0]!.cache.senderPubKey, cached, 'cache entry kept')
})

t.test('recoverTxSender: one tx at a time, concurrent callers batched, same caching rule', async (t) => {
  const common = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Cancun })
  const rand = prng(77n)
  const txs: TypedTransaction[] = []
  const senders: Uint8Array[] = []
  // more than SYNC_BELOW in one tick, so the batch goes to the workers
  for (let i = 0; i < SYNC_BELOW * 2; i++) {
    const sk = randomKey(rand)
    txs.push(
      createFeeMarket1559Tx(
        { nonce: BigInt(i), gasLimit: 21000n, to: new Address(rand(20)), maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 1n },
        { common },
      ).sign(sk),
    )
    senders.push(privateToAddress(sk))
  }
  const bad = createFeeMarket1559Tx({ ...(txs[0]!.toJSON() as unknown as Data1559), r: 0n }, { common })
  await Promise.all([...txs, bad].map((tx) => recoverTxSender(shared, tx)))
  for (const [i, tx] of txs.entries()) {
    t.ok(tx.cache.senderPubKey !== undefined, `tx ${i} cached`)
    t.equal(Buffer.from(tx.getSenderAddress().bytes).toString('hex'), Buffer.from(senders[i]!).toString('hex'), `tx ${i} sender`)
  }
  t.equal(bad.cache.senderPubKey, undefined, 'an invalid signature is not cached')
  t.throws(() => bad.getSenderAddress(), /Invalid Signature/, 'and still throws')
})
