import t from 'tap'
import { Worker } from 'node:worker_threads'
import { Mainnet, Hardfork, createCustomCommon } from '@ethereumjs/common'
import { createEVM } from '@ethereumjs/evm'
import { createLegacyTx, createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bigIntToUnpaddedBytes, ecrecover as utilEcrecover, privateToAddress, publicToAddress } from '@ethereumjs/util'
import { secp256k1 as noble } from '@noble/curves/secp256k1.js'
import { addressOf, ecrecover, ecrecoverCustomCrypto, ecsign, publicKeyOf, recoverPublicKey, secpBackend, sign } from '../../../src/crypto/secp256k1.js'
import { N, prng, randomKey, signedItems, to32, toBig } from './fixtures/helpers.js'

const P = noble.Point.CURVE().p

/** noble's answer, null where it throws: the independent reference */
function nobleRecover(msgHash: Uint8Array, r: Uint8Array, s: Uint8Array, recid: number): Uint8Array | null {
  try {
    const sig = new noble.Signature(toBig(r), toBig(s), recid)
    return sig.recoverPublicKey(msgHash).toBytes(false).slice(1)
  } catch {
    return null
  }
}

/** the two assertions sameOutcome needs, from whichever subtest calls it */
interface Asserts {
  ok(v: unknown, msg: string): unknown
  same(a: unknown, b: unknown, msg: string): unknown
}

/** both throw, or both return the same bytes */
function sameOutcome(t: Asserts, a: () => Uint8Array, b: () => Uint8Array, what: string): void {
  let ra: Uint8Array | Error, rb: Uint8Array | Error
  try {
    ra = a()
  } catch (e) {
    ra = e as Error
  }
  try {
    rb = b()
  } catch (e) {
    rb = e as Error
  }
  if (ra instanceof Error || rb instanceof Error) {
    t.ok(ra instanceof Error && rb instanceof Error, `${what}: both throw (${String(ra)} / ${String(rb)})`)
  } else {
    t.same(ra, rb, `${what}: same key`)
  }
}

t.test('the native binding is in use on this machine', async (t) => {
  t.equal(secpBackend, 'native')
})

t.test('native recovery == noble recovery == signer key (seeded random keys/messages)', async (t) => {
  const items = signedItems(300, 1n, 50)
  let ok = 0
  for (const it of items) {
    const native = recoverPublicKey(it.msgHash, it.r, it.s, it.recid)
    const ref = nobleRecover(it.msgHash, it.r, it.s, it.recid)
    if (native !== null && ref !== null && Buffer.compare(native, it.publicKey) === 0 && Buffer.compare(ref, it.publicKey) === 0) ok++
  }
  t.equal(ok, items.length, 'every item recovers its signer on both backends')
  // the wrong recid gives another (valid) key, never the signer's
  const it = items[0]!
  t.not(Buffer.from(recoverPublicKey(it.msgHash, it.r, it.s, it.recid ^ 1) ?? []).toString('hex'), Buffer.from(it.publicKey).toString('hex'))
})

t.test('sign / publicKeyOf / addressOf agree with noble and util', async (t) => {
  const rand = prng(2n)
  for (let i = 0; i < 100; i++) {
    const sk = randomKey(rand)
    const msg = rand(32)
    const ours = sign(msg, sk)
    const ref = noble.Signature.fromBytes(noble.sign(msg, sk, { prehash: false, format: 'recovered' }), 'recovered')
    t.same([ours.r, ours.s, ours.recovery], [to32(ref.r), to32(ref.s), ref.recovery], `sig ${i} == noble (RFC 6979, low s)`)
    t.ok(toBig(ours.s) <= N / 2n)
    const pub = publicKeyOf(sk)
    t.same(pub, noble.getPublicKey(sk, false).slice(1))
    t.same(recoverPublicKey(msg, ours.r, ours.s, ours.recovery), pub)
    t.same(addressOf(pub), privateToAddress(sk))
    t.same(addressOf(Uint8Array.of(4, ...pub)), publicToAddress(pub))
  }
  t.throws(() => sign(new Uint8Array(32), new Uint8Array(32)), { code: 'CRYPTO_BAD_INPUT' }, 'zero key')
  t.throws(() => publicKeyOf(to32(N)), { code: 'CRYPTO_BAD_INPUT' }, 'key = n')
  t.throws(() => addressOf(new Uint8Array(63)), { code: 'CRYPTO_BAD_INPUT' })
})

t.test('invalid signatures give null on native, as noble throws', async (t) => {
  const [it] = signedItems(1, 3n)
  const { msgHash, r, s, recid } = it!
  const cases: Record<string, [Uint8Array, Uint8Array]> = {
    'r = 0': [new Uint8Array(32), s],
    's = 0': [r, new Uint8Array(32)],
    'r = n': [to32(N), s],
    's = n': [r, to32(N)],
    'r > n': [to32(N + 5n), s],
    's > n': [r, to32(N + 5n)],
    'r = 2^256-1': [new Uint8Array(32).fill(255), s],
    's = 2^256-1': [r, new Uint8Array(32).fill(255)],
  }
  for (const [name, [rr, ss]] of Object.entries(cases)) {
    t.equal(recoverPublicKey(msgHash, rr, ss, recid), null, name)
    t.equal(nobleRecover(msgHash, rr, ss, recid), null, `${name} (noble)`)
  }
  t.equal(recoverPublicKey(msgHash, r, s, 4), null, 'recid 4')
  t.equal(recoverPublicKey(msgHash, r, s, -1), null, 'recid -1')

  // Q = ∞: with R = kG, r = R.x and h = s·k, sR − hG = 0
  const k = 0x1234567890abcdefn
  const R = noble.Point.BASE.multiply(k).toAffine()
  const s2 = 0xfeedn
  const h = (s2 * k) % N
  const recInf = Number(R.y & 1n)
  t.equal(recoverPublicKey(to32(h), to32(R.x), to32(s2), recInf), null, 'Q at infinity')
  t.equal(nobleRecover(to32(h), to32(R.x), to32(s2), recInf), null, 'Q at infinity (noble)')

  // garbage: roughly half the r values are no x coordinate; whatever noble says, native says too
  const rand = prng(4n)
  let nulls = 0
  for (let i = 0; i < 200; i++) {
    const [m, rr, ss, rid] = [rand(32), rand(32), rand(32), i & 1]
    const a = recoverPublicKey(m, rr, ss, rid)
    t.same(a, nobleRecover(m, rr, ss, rid))
    if (a === null) nulls++
  }
  t.ok(nulls > 20 && nulls < 180, `garbage gave ${nulls}/200 nulls`)

  // recid 2/3 (R.x = r + n): only possible for r < p − n
  let found = 0
  for (let i = 0; i < 100; i++) {
    const rr = to32(toBig(rand(16)) % (P - N))
    const m = rand(32)
    for (const rid of [2, 3]) {
      const a = recoverPublicKey(m, rr, s, rid)
      t.same(a, nobleRecover(m, rr, s, rid), 'recid ' + rid)
      if (a !== null) found++
    }
  }
  t.ok(found > 0, 'some recid 2/3 signatures recovered')
  t.equal(recoverPublicKey(msgHash, r, s, 2), null, 'recid 2 with r + n ≥ p')
})

t.test('wrong lengths are a caller bug', async (t) => {
  const z = new Uint8Array(32)
  t.throws(() => recoverPublicKey(new Uint8Array(31), z, z, 0), { code: 'CRYPTO_BAD_INPUT' })
  t.throws(() => recoverPublicKey(z, new Uint8Array(33), z, 0), { code: 'CRYPTO_BAD_INPUT' })
  t.throws(() => recoverPublicKey(z, z, new Uint8Array(0), 0), { code: 'CRYPTO_BAD_INPUT' })
})

t.test('ecrecover behaves exactly like @ethereumjs/util ecrecover', async (t) => {
  const items = signedItems(120, 5n)
  const chainId = 2100n
  let shortR = 0
  for (const [i, it] of items.entries()) {
    // unpadded, as @ethereumjs/tx passes them; some have a leading zero byte stripped
    const r = bigIntToUnpaddedBytes(toBig(it.r))
    const s = bigIntToUnpaddedBytes(toBig(it.s))
    if (r.length < 32 || s.length < 32) shortR++
    const rec = BigInt(it.recid)
    const m = it.msgHash
    sameOutcome(
      t,
      () => ecrecover(m, 27n + rec, r, s),
      () => utilEcrecover(m, 27n + rec, r, s),
      `#${i} v=27/28`,
    )
    t.same(ecrecover(m, 27n + rec, r, s), it.publicKey, `#${i} is the signer`)
    sameOutcome(
      t,
      () => ecrecover(m, rec, r, s),
      () => utilEcrecover(m, rec, r, s),
      `#${i} v=0/1`,
    )
    sameOutcome(
      t,
      () => ecrecover(m, 35n + 2n * chainId + rec, r, s, chainId),
      () => utilEcrecover(m, 35n + 2n * chainId + rec, r, s, chainId),
      `#${i} EIP-155`,
    )
    t.same(ecrecover(m, 35n + 2n * chainId + rec, r, s, chainId), it.publicKey)
    sameOutcome(
      t,
      () => ecrecover(m, rec, r, s, chainId),
      () => utilEcrecover(m, rec, r, s, chainId),
      `#${i} yParity with chainId`,
    )
  }
  t.ok(shortR > 0, `${shortR} signatures had r or s shorter than 32 bytes`)

  const it = items[0]!
  const m = it.msgHash
  const badV: [bigint, bigint | undefined][] = [
    [26n, undefined],
    [29n, undefined],
    [2n, undefined],
    [37n, undefined],
    [27n, chainId],
    [28n, chainId],
    [35n + 2n * chainId + 2n, chainId],
    [35n + 2n * 2101n, chainId],
  ]
  for (const [v, cid] of badV) {
    t.throws(() => ecrecover(m, v, it.r, it.s, cid), /Invalid signature v value/, `v=${v} chainId=${cid}`)
    t.throws(() => utilEcrecover(m, v, it.r, it.s, cid), /Invalid signature v value/)
  }
  const v = 27n + BigInt(it.recid)
  const invalid: Record<string, [Uint8Array, Uint8Array]> = {
    'r = 0': [new Uint8Array(0), it.s],
    's = 0': [it.r, Uint8Array.of(0)],
    'r = n': [to32(N), it.s],
    's = n': [it.r, to32(N)],
    'r 33 bytes': [Uint8Array.of(0, ...it.r), it.s],
    's 33 bytes': [it.r, Uint8Array.of(1, ...it.s)],
  }
  for (const [name, [r, s]] of Object.entries(invalid)) {
    t.throws(() => ecrecover(m, v, r, s), name)
    t.throws(() => utilEcrecover(m, v, r, s), `${name} (util)`)
  }
  const rand = prng(6n)
  for (let i = 0; i < 100; i++) {
    const [mm, r, s] = [rand(32), rand(32), rand(32)]
    sameOutcome(
      t,
      () => ecrecover(mm, 27n, r, s),
      () => utilEcrecover(mm, 27n, r, s),
      `garbage ${i}`,
    )
  }
  // non-32-byte hashes never occur on chain but util accepts them; so do we
  for (const len of [0, 20, 33, 64]) {
    const mm = rand(len)
    sameOutcome(
      t,
      () => ecrecover(mm, v, it.r, it.s),
      () => utilEcrecover(mm, v, it.r, it.s),
      `hash of ${len} bytes`,
    )
  }
})

t.test('ecsign is byte-identical to noble sign', async (t) => {
  const rand = prng(7n)
  for (let i = 0; i < 60; i++) {
    const sk = randomKey(rand)
    const msg = rand(32)
    const ent = rand(32)
    const optsList = [
      { prehash: false, format: 'recovered' as const },
      { prehash: false, format: 'recovered' as const, extraEntropy: ent },
      { prehash: false },
      { prehash: false, format: 'compact' as const, extraEntropy: ent },
      {},
      { prehash: false, lowS: false },
      { prehash: false, format: 'der' as const },
    ]
    for (const [j, opts] of optsList.entries()) {
      t.same(ecsign(msg, sk, opts), noble.sign(msg, sk, opts), `key ${i} opts ${j}`)
    }
    t.same(ecsign(msg, sk), noble.sign(msg, sk), `key ${i} no opts`)
  }
  const sk = randomKey(rand)
  const high = new Uint8Array(32).fill(0xff) // ≥ n: handled by noble for an identical nonce
  t.same(ecsign(high, sk, { prehash: false, format: 'recovered' }), noble.sign(high, sk, { prehash: false, format: 'recovered' }))
  const msg = rand(32)
  const rnd = noble.Signature.fromBytes(ecsign(msg, sk, { prehash: false, format: 'recovered', extraEntropy: true }), 'recovered')
  t.ok(noble.verify(rnd.toBytes('compact'), msg, noble.getPublicKey(sk), { prehash: false }), 'extraEntropy: true gives a valid signature')
  t.throws(() => ecsign(msg, new Uint8Array(32), { prehash: false, format: 'recovered' }), 'zero key throws as noble does')
})

t.test('customCrypto: txs sign and recover the same with it as without', async (t) => {
  const plain = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Cancun })
  const fast = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Cancun, customCrypto: { ...ecrecoverCustomCrypto } })
  const rand = prng(8n)
  for (let i = 0; i < 10; i++) {
    const sk = randomKey(rand)
    const data = { nonce: BigInt(i), gasLimit: 21000n, to: new Address(rand(20)), value: 1000n + BigInt(i) }
    const a = createLegacyTx({ ...data, gasPrice: 10n ** 9n }, { common: plain }).sign(sk)
    const b = createLegacyTx({ ...data, gasPrice: 10n ** 9n }, { common: fast }).sign(sk)
    t.same(b.serialize(), a.serialize(), 'legacy: identical signed bytes')
    t.same(b.getSenderAddress().bytes, privateToAddress(sk))
    const c = createFeeMarket1559Tx({ ...data, maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 1n }, { common: plain }).sign(sk)
    const d = createFeeMarket1559Tx({ ...data, maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 1n }, { common: fast }).sign(sk)
    t.same(d.serialize(), c.serialize(), '1559: identical signed bytes')
    t.same(d.getSenderAddress().bytes, privateToAddress(sk))
  }
})

t.test('0x01 precompile gives the same output with our ecrecover', async (t) => {
  const plain = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Cancun })
  const fast = createCustomCommon({ chainId: 2100 }, Mainnet, { hardfork: Hardfork.Cancun, customCrypto: { ...ecrecoverCustomCrypto } })
  const evmPlain = await createEVM({ common: plain })
  const evmFast = await createEVM({ common: fast })
  const to = new Address(to32(1n).slice(12))
  const [it] = signedItems(1, 9n)
  const { msgHash, r, s, recid } = it!
  const inputs: Record<string, Uint8Array> = {
    valid: Uint8Array.of(...msgHash, ...to32(27n + BigInt(recid)), ...r, ...s),
    'wrong recid': Uint8Array.of(...msgHash, ...to32(28n - BigInt(recid)), ...r, ...s),
    'v = 1': Uint8Array.of(...msgHash, ...to32(1n), ...r, ...s),
    's = 0': Uint8Array.of(...msgHash, ...to32(27n), ...r, ...new Uint8Array(32)),
    'r = n': Uint8Array.of(...msgHash, ...to32(27n), ...to32(N), ...s),
    short: msgHash,
  }
  for (const [name, data] of Object.entries(inputs)) {
    const a = await evmPlain.runCall({ to, data, gasLimit: 100000n })
    const b = await evmFast.runCall({ to, data, gasLimit: 100000n })
    t.same(b.execResult.returnValue, a.execResult.returnValue, name)
    t.equal(b.execResult.executionGasUsed, a.execResult.executionGasUsed)
  }
  const ok = await evmFast.runCall({ to, data: inputs.valid, gasLimit: 100000n })
  t.same(ok.execResult.returnValue.slice(12), publicToAddress(it!.publicKey))
})

t.test('fallback: NFC_SECP256K1=noble gives the noble backend with the same answers', async (t) => {
  const items = signedItems(40, 10n).map(({ msgHash, r, s, recid }) => ({ msgHash, r, s, recid }))
  items[3] = { ...items[3]!, s: to32(N) } // an invalid one
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  const w = new Worker(new URL(`./fixtures/nobleBackend${ext}`, import.meta.url), {
    workerData: { items },
    env: { ...process.env, NFC_SECP256K1: 'noble' },
  })
  const res = await new Promise<{ backend: string; sync: (Uint8Array | null)[]; pooled: (Uint8Array | null)[]; ecrec: Uint8Array }>((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
  })
  await w.terminate()
  t.equal(res.backend, 'noble')
  const expected = items.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid))
  t.equal(expected[3], null)
  t.same(res.sync, expected, 'sync recovery on noble == native')
  t.same(res.pooled, expected, 'pool recovery on noble == native')
  t.same(res.ecrec, ecrecover(items[0]!.msgHash, 27n + BigInt(items[0]!.recid), items[0]!.r, items[0]!.s))
})
