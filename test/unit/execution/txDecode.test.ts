import t from 'tap'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { createFeeMarket1559Tx, createLegacyTx, createTxFromRLP } from '@ethereumjs/tx'
import { SECP256K1_ORDER, bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex, concatBytes } from '@ethereumjs/util'
import { serializedTx } from '../../../src/chain/block.js'
import { txCommon } from '../../../src/chain/txCommon.js'
import { decodeRawTransaction, plainFeeMarketTxs, recoverSender, txObjectDifference } from '../../../src/execution/txDecode.js'
import { TxErrorCode } from '../../../src/execution/errors.js'
import { NfcError } from '../../../src/util/errors.js'
import { CHAIN_ID, GWEI, TO, accessListTx, addressOf, common, feeMarketTx, key, legacyTx } from '../txpool/fixtures/txs.js'

const opts = { common, maxTxSize: 128 * 1024 }
const K = key(1)

/** Assert `fn` throws an NfcError with this code and message (string = exact, RegExp = match). */
function rejects(t: Asserts, fn: () => unknown, code: string, message: string | RegExp) {
  try {
    fn()
  } catch (e) {
    t.ok(e instanceof NfcError, `NfcError (got ${String(e)})`)
    const err = e as NfcError
    t.equal(err.code, code)
    if (typeof message === 'string') t.equal(err.message, message)
    else t.match(err.message, message)
    return err
  }
  t.fail(`expected ${code}`)
  return undefined
}
type Asserts = Pick<typeof t, 'ok' | 'equal' | 'match' | 'fail'>

/** Re-encode a typed tx (type byte + list) after editing its decoded fields. */
function reencodeTyped(raw: Uint8Array, edit: (f: Uint8Array[]) => void): Uint8Array {
  const fields = RLP.decode(raw.subarray(1)) as Uint8Array[]
  edit(fields)
  return concatBytes(raw.subarray(0, 1), RLP.encode(fields))
}

function reencodeLegacy(raw: Uint8Array, edit: (f: Uint8Array[]) => void): Uint8Array {
  const fields = RLP.decode(raw) as Uint8Array[]
  edit(fields)
  return RLP.encode(fields)
}

t.test('valid legacy, 2930 and 1559 txs round-trip', async (t) => {
  for (const tx of [legacyTx(K, 7n, 2n * GWEI), accessListTx(K, 8n, 3n * GWEI), feeMarketTx(K, 9n, 5n * GWEI, 2n * GWEI)]) {
    const raw = tx.serialize()
    const got = decodeRawTransaction(raw, opts)
    t.equal(got.type, tx.type)
    t.equal(bytesToHex(got.hash()), bytesToHex(tx.hash()))
    t.equal(got.nonce, tx.nonce)
    t.same(got.serialize(), raw)
    t.equal(got.common.chainId(), BigInt(CHAIN_ID))
    t.equal(recoverSender(got).toString(), addressOf(K).toString())
  }
})

t.test('the signing hash and the bytes kept from the raw form are what ethereumjs encodes', async (t) => {
  // data lengths across RLP's string forms: empty, one byte below and above 0x80, the 55/56 bound,
  // a one-byte and a two-byte length; the whole list crosses its own 55-byte bound as well
  const datas = [
    undefined,
    Uint8Array.of(0x01),
    Uint8Array.of(0xff),
    new Uint8Array(55).fill(7),
    new Uint8Array(56).fill(7),
    new Uint8Array(300).fill(9),
    new Uint8Array(40_000).fill(3),
  ]
  let checked = 0
  for (const data of datas) {
    for (const to of [undefined, null] as const) {
      const o = { data, to, gasLimit: 2_000_000n }
      for (const signed of [legacyTx(K, 11n, GWEI, o), accessListTx(K, 12n, GWEI, o), feeMarketTx(K, 13n, 2n * GWEI, GWEI, o)]) {
        const raw = signed.serialize()
        const got = decodeRawTransaction(raw, { ...opts, maxTxSize: 1 << 20 })
        // `signed` was never decoded: its hash and message come from ethereumjs' own encoding
        t.equal(
          bytesToHex(got.getMessageToVerifySignature()),
          bytesToHex(signed.getMessageToVerifySignature()),
          `message, type ${signed.type}, ${data?.length ?? 0} bytes`,
        )
        t.equal(bytesToHex(serializedTx(got)), bytesToHex(raw))
        t.equal(bytesToHex(got.hash()), bytesToHex(signed.hash()))
        t.equal(recoverSender(got).toString(), addressOf(K).toString())
        checked++
      }
    }
  }
  t.equal(checked, datas.length * 2 * 3)
})

t.test('type-2 transactions without an access list are built as the constructor builds them', async (t) => {
  const viaConstructor = (raw: Uint8Array) => createTxFromRLP(raw, { common: txCommon(common) })
  let seed = 0x9e3779b9
  const rnd = (n: number) => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) % n
  }
  let plain = 0
  for (let i = 0; i < 200; i++) {
    const big = (bytes: number) => (bytes === 0 ? 0n : BigInt(`0x${[...Array(bytes)].map(() => rnd(256).toString(16).padStart(2, '0')).join('')}`))
    const tip = big(rnd(9))
    const signed = feeMarketTx(key(100 + (i % 7)), big(rnd(8)), tip + big(rnd(9)), tip, {
      value: big(rnd(33)),
      gasLimit: 21_000n + big(rnd(4)),
      to: rnd(5) === 0 ? null : undefined,
      data: rnd(2) === 0 ? undefined : new Uint8Array(rnd(300)).fill(rnd(256)),
    })
    const raw = signed.serialize()
    const got = decodeRawTransaction(raw, opts)
    t.equal(txObjectDifference(got, viaConstructor(raw)), undefined, `tx ${i}`)
    plain++
  }
  t.equal(plainFeeMarketTxs(), true, 'the first one matched: the rest were built without the constructor')
  t.equal(plain, 200)
  // the comparison sees a difference: another nonce, another field order, a different prototype
  const a = decodeRawTransaction(feeMarketTx(K, 1n, 2n * GWEI, GWEI).serialize(), opts)
  const b = decodeRawTransaction(feeMarketTx(K, 2n, 2n * GWEI, GWEI).serialize(), opts)
  t.equal(txObjectDifference(a, b), 'nonce')
  t.match(txObjectDifference(a, { ...a }), /prototype/)
  // other types (here type 1, with its access list) still go through the constructor
  const listed = accessListTx(K, 3n, GWEI).serialize()
  t.equal(txObjectDifference(decodeRawTransaction(listed, opts), viaConstructor(listed)), undefined)
})

t.test('malformed input', async (t) => {
  const raw = legacyTx(K, 0n, GWEI).serialize()
  const raw1559 = feeMarketTx(K, 0n, 2n * GWEI, GWEI).serialize()
  rejects(t, () => decodeRawTransaction(new Uint8Array(0), opts), TxErrorCode.MALFORMED, 'typed transaction too short')
  rejects(t, () => decodeRawTransaction(Uint8Array.of(2), opts), TxErrorCode.MALFORMED, 'typed transaction too short')
  // garbage: 0xf8 claims a long list whose length byte points far past the end
  const garbage = Uint8Array.from([0xf8, 0xff, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03])
  rejects(t, () => decodeRawTransaction(garbage, opts), TxErrorCode.MALFORMED, /^rlp: /)
  rejects(t, () => decodeRawTransaction(raw.subarray(0, raw.length - 5), opts), TxErrorCode.MALFORMED, /^rlp: /)
  rejects(t, () => decodeRawTransaction(raw1559.subarray(0, raw1559.length - 1), opts), TxErrorCode.MALFORMED, /^rlp: /)
  const trailing = concatBytes(raw, Uint8Array.of(0x01))
  rejects(t, () => decodeRawTransaction(trailing, opts), TxErrorCode.MALFORMED, 'rlp: input contains more than one value')
  // a byte string where a list is expected (0x83 'abc')
  rejects(t, () => decodeRawTransaction(Uint8Array.of(0x83, 1, 2, 3), opts), TxErrorCode.MALFORMED, 'rlp: expected input list for types.LegacyTx')
  // too few / too many fields
  const fewer = reencodeLegacy(raw, (f) => f.splice(6, 2))
  rejects(t, () => decodeRawTransaction(fewer, opts), TxErrorCode.MALFORMED, 'rlp: too few elements for types.LegacyTx')
  const more = reencodeTyped(raw1559, (f) => f.push(Uint8Array.of(1)))
  rejects(t, () => decodeRawTransaction(more, opts), TxErrorCode.MALFORMED, 'rlp: input list has too many elements for types.DynamicFeeTx')
  // non-canonical integer (nonce with a leading zero)
  const padded = reencodeTyped(raw1559, (f) => {
    f[1] = Uint8Array.of(0, 5)
  })
  rejects(t, () => decodeRawTransaction(padded, opts), TxErrorCode.MALFORMED, /^rlp: non-canonical integer/)
  // bad `to` length
  const badTo = reencodeLegacy(raw, (f) => {
    f[3] = new Uint8Array(19).fill(1)
  })
  rejects(t, () => decodeRawTransaction(badTo, opts), TxErrorCode.MALFORMED, 'rlp: input string too short for common.Address')
})

t.test('unsupported type bytes', async (t) => {
  const raw1559 = feeMarketTx(K, 0n, 2n * GWEI, GWEI).serialize()
  for (const type of [0x00, 0x03, 0x04, 0x05, 0x7f]) {
    const raw = concatBytes(Uint8Array.of(type), raw1559.subarray(1))
    const err = rejects(t, () => decodeRawTransaction(raw, opts), TxErrorCode.MALFORMED, 'transaction type not supported')
    t.equal(err?.meta.type, type)
  }
})

t.test('oversized', async (t) => {
  const raw = legacyTx(K, 0n, GWEI, { data: new Uint8Array(200).fill(1), gasLimit: 100_000n }).serialize()
  const err = rejects(
    t,
    () => decodeRawTransaction(raw, { common, maxTxSize: 200 }),
    TxErrorCode.OVERSIZED,
    `oversized data: transaction size ${raw.length}, limit 200`,
  )
  t.same(err?.meta, { size: raw.length, limit: 200 })
  t.ok(decodeRawTransaction(raw, { common, maxTxSize: raw.length }), 'exactly at the limit is fine')
})

t.test('wrong chain id', async (t) => {
  const other = createCustomCommon({ chainId: 1 }, Mainnet, { hardfork: Hardfork.Cancun })
  const want = `invalid sender: invalid chain id for signer: have 1 want ${CHAIN_ID}`
  rejects(t, () => decodeRawTransaction(legacyTx(K, 0n, GWEI, { common: other }).serialize(), opts), TxErrorCode.WRONG_CHAIN, want)
  rejects(t, () => decodeRawTransaction(accessListTx(K, 0n, GWEI, { common: other }).serialize(), opts), TxErrorCode.WRONG_CHAIN, want)
  const err = rejects(t, () => decodeRawTransaction(feeMarketTx(K, 0n, GWEI, 0n, { common: other }).serialize(), opts), TxErrorCode.WRONG_CHAIN, want)
  t.same(err?.meta, { have: 1n, want: BigInt(CHAIN_ID) })
})

t.test('unprotected legacy (v = 27/28)', async (t) => {
  // a pre-Spurious-Dragon common signs without EIP-155
  const homestead = createCustomCommon({ chainId: CHAIN_ID }, Mainnet, { hardfork: Hardfork.Homestead })
  const tx = createLegacyTx({ nonce: 0n, gasPrice: GWEI, gasLimit: 21_000n, to: TO }, { common: homestead }).sign(K)
  t.ok(tx.v === 27n || tx.v === 28n)
  rejects(t, () => decodeRawTransaction(tx.serialize(), opts), TxErrorCode.UNPROTECTED, 'only replay-protected (EIP-155) transactions allowed over RPC')
})

t.test('signature values', async (t) => {
  const msg = 'invalid sender: invalid transaction v, r, s values'
  // high-s: s' = n - s with the recovery bit flipped is the same signature, but non-canonical (EIP-2)
  const tx1559 = feeMarketTx(K, 0n, 2n * GWEI, GWEI)
  const highS1559 = reencodeTyped(tx1559.serialize(), (f) => {
    f[9] = bigIntToUnpaddedBytes(1n - tx1559.v!)
    f[11] = bigIntToUnpaddedBytes(SECP256K1_ORDER - tx1559.s!)
  })
  rejects(t, () => decodeRawTransaction(highS1559, opts), TxErrorCode.INVALID_SIG, msg)
  const txL = legacyTx(K, 0n, GWEI)
  const base = BigInt(CHAIN_ID) * 2n + 35n
  const highSLegacy = reencodeLegacy(txL.serialize(), (f) => {
    f[6] = bigIntToUnpaddedBytes(txL.v! === base ? base + 1n : base)
    f[8] = bigIntToUnpaddedBytes(SECP256K1_ORDER - txL.s!)
  })
  rejects(t, () => decodeRawTransaction(highSLegacy, opts), TxErrorCode.INVALID_SIG, msg)

  // unsigned: both the 9-field-with-empty-vrs form and the short form
  const unsignedL = createLegacyTx({ nonce: 0n, gasPrice: GWEI, gasLimit: 21_000n, to: TO }, { common })
  rejects(t, () => decodeRawTransaction(unsignedL.serialize(), opts), TxErrorCode.INVALID_SIG, msg)
  rejects(t, () => decodeRawTransaction(RLP.encode(unsignedL.raw().slice(0, 6)), opts), TxErrorCode.INVALID_SIG, msg)
  const unsigned1559 = createFeeMarket1559Tx({ nonce: 0n, maxFeePerGas: GWEI, gasLimit: 21_000n, to: TO }, { common })
  rejects(t, () => decodeRawTransaction(unsigned1559.serialize(), opts), TxErrorCode.INVALID_SIG, msg)

  // r = 0, s >= n, y-parity 2, legacy v between 29 and 34
  const rZero = reencodeTyped(tx1559.serialize(), (f) => {
    f[10] = new Uint8Array(0)
  })
  rejects(t, () => decodeRawTransaction(rZero, opts), TxErrorCode.INVALID_SIG, msg)
  const sBig = reencodeTyped(tx1559.serialize(), (f) => {
    f[11] = bigIntToUnpaddedBytes(SECP256K1_ORDER + 1n)
  })
  rejects(t, () => decodeRawTransaction(sBig, opts), TxErrorCode.INVALID_SIG, msg)
  const parity2 = reencodeTyped(tx1559.serialize(), (f) => {
    f[9] = Uint8Array.of(2)
  })
  rejects(t, () => decodeRawTransaction(parity2, opts), TxErrorCode.INVALID_SIG, msg)
  const v30 = reencodeLegacy(txL.serialize(), (f) => {
    f[6] = Uint8Array.of(30)
  })
  rejects(t, () => decodeRawTransaction(v30, opts), TxErrorCode.INVALID_SIG, msg)
})

t.test('tip above fee cap and oversized init code get geth wording', async (t) => {
  const tx = feeMarketTx(K, 0n, 2n * GWEI, GWEI)
  const raw = reencodeTyped(tx.serialize(), (f) => {
    f[2] = bigIntToUnpaddedBytes(3n * GWEI)
  })
  rejects(t, () => decodeRawTransaction(raw, opts), TxErrorCode.TIP_ABOVE_FEE_CAP, 'max priority fee per gas higher than max fee per gas')
  const create = reencodeTyped(tx.serialize(), (f) => {
    f[5] = new Uint8Array(0)
    f[7] = new Uint8Array(49_153).fill(0x60)
  })
  rejects(t, () => decodeRawTransaction(create, opts), TxErrorCode.INITCODE_TOO_LARGE, 'max initcode size exceeded: code size 49153, limit 49152')
})

t.test('recoverSender maps recovery failure to TX_INVALID_SENDER', async (t) => {
  const tx = feeMarketTx(K, 0n, 2n * GWEI, GWEI)
  // r values whose x coordinate is not on the curve make ecrecover fail; search a few deterministically
  let failed = 0
  for (let r = 1n; r < 40n && failed === 0; r++) {
    const raw = reencodeTyped(tx.serialize(), (f) => {
      f[10] = bigIntToUnpaddedBytes(r)
    })
    const decoded = decodeRawTransaction(raw, opts) // decoding does not recover, so this succeeds
    try {
      recoverSender(decoded)
    } catch (e) {
      t.ok(e instanceof NfcError)
      t.equal((e as NfcError).code, TxErrorCode.INVALID_SENDER)
      t.equal((e as NfcError).message, 'invalid sender')
      failed++
    }
  }
  t.equal(failed, 1, 'found an unrecoverable signature')
})

t.test('never throws anything but NfcError (mutation fuzz)', async (t) => {
  // xorshift PRNG: deterministic
  let seed = 0x12345678
  const rnd = () => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 0x100000000
  }
  const samples = [legacyTx(K, 1n, GWEI), accessListTx(K, 2n, GWEI), feeMarketTx(K, 3n, 2n * GWEI, GWEI)].map((x) => x.serialize())
  let ok = 0
  let rejected = 0
  for (let i = 0; i < 3000; i++) {
    const src = samples[i % samples.length]
    const raw = Uint8Array.from(src)
    const edits = 1 + Math.floor(rnd() * 3)
    for (let j = 0; j < edits; j++) raw[Math.floor(rnd() * raw.length)] = Math.floor(rnd() * 256)
    const cut = rnd() < 0.2 ? raw.subarray(0, Math.floor(rnd() * raw.length)) : raw
    try {
      const tx = decodeRawTransaction(cut, opts)
      try {
        recoverSender(tx)
      } catch (e) {
        if (!(e instanceof NfcError)) throw e
      }
      ok++
    } catch (e) {
      if (!(e instanceof NfcError)) {
        t.fail(`non-NfcError for ${bytesToHex(cut)}: ${String(e)}`)
        return
      }
      if (!e.code.startsWith('TX_')) t.fail(`unexpected code ${e.code}`)
      rejected++
    }
  }
  t.ok(rejected > 0)
  t.comment(`fuzz: ${ok} decoded, ${rejected} rejected`)
})

// keep bytesToBigInt import meaningful: sanity check that high-s really is above n/2
t.test('high-s fixture is above n/2', async (t) => {
  const tx = feeMarketTx(K, 0n, 2n * GWEI, GWEI)
  t.ok(SECP256K1_ORDER - tx.s! > SECP256K1_ORDER / 2n)
  t.equal(bytesToBigInt(bigIntToUnpaddedBytes(tx.s!)), tx.s)
})
