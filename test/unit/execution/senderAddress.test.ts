import t from 'tap'
import { createFeeMarket1559Tx, createTxFromRLP, FeeMarket1559Tx } from '@ethereumjs/tx'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@ethereumjs/util'
import { serializedTx } from '../../../src/chain/block.js'
import { cacheSenderAddresses, senderAddressesHashed } from '../../../src/execution/senderAddress.js'
import { decodeRawTransaction } from '../../../src/execution/txDecode.js'
import { GWEI, TO, accessListTx, addressOf, common, feeMarketTx, key, legacyTx } from '../txpool/fixtures/txs.js'
import { countCalls } from '../../helpers/countCalls.js'

cacheSenderAddresses()
const opts = { common, maxTxSize: 128 * 1024 }

t.test('the cached sender is the signer, hashed once per decoded transaction, for every type', async (t) => {
  for (const [i, make] of [legacyTx, accessListTx].entries()) {
    const k = key(10 + i)
    const tx = decodeRawTransaction(make(k, 0n, GWEI).serialize(), opts)
    const before = senderAddressesHashed()
    const a = tx.getSenderAddress()
    t.equal(a.toString(), addressOf(k).toString(), `type ${tx.type}: the signer`)
    t.equal(tx.getSenderAddress(), a, 'the same address object the second time')
    t.equal(senderAddressesHashed() - before, 1, 'hashed once')
  }
  const k = key(12)
  const tx = decodeRawTransaction(feeMarketTx(k, 3n, 2n * GWEI, GWEI).serialize(), opts)
  t.equal(tx.getSenderAddress().toString(), addressOf(k).toString())
})

t.test('each transaction object has its own sender (no mix-up between objects)', async (t) => {
  const a = decodeRawTransaction(feeMarketTx(key(20), 0n, 2n * GWEI, GWEI).serialize(), opts)
  const b = decodeRawTransaction(feeMarketTx(key(21), 0n, 2n * GWEI, GWEI).serialize(), opts)
  t.equal(a.getSenderAddress().toString(), addressOf(key(20)).toString())
  t.equal(b.getSenderAddress().toString(), addressOf(key(21)).toString())
})

t.test('a transaction that is not frozen takes ethereumjs own path every time', async (t) => {
  const k = key(30)
  const tx = createFeeMarket1559Tx(
    { chainId: common.chainId(), nonce: 0n, maxFeePerGas: GWEI, maxPriorityFeePerGas: 0n, gasLimit: 21_000n, to: TO },
    { common, freeze: false },
  ).sign(k)
  t.notOk(Object.isFrozen(tx))
  const before = senderAddressesHashed()
  t.equal(tx.getSenderAddress().toString(), addressOf(k).toString())
  t.not(tx.getSenderAddress(), tx.getSenderAddress(), 'a new address each call: not cached')
  t.equal(senderAddressesHashed(), before)
})

t.test('a bad signature still throws, and is not cached as an address', async (t) => {
  const raw = feeMarketTx(key(40), 0n, 2n * GWEI, GWEI).serialize()
  const tx = createTxFromRLP(raw, { common })
  // a copy with r = s = 1 recovers nothing valid or another key: either way never the signer's cached address
  const bad = createFeeMarket1559Tx({ ...tx.toJSON(), r: 1n, s: 1n, yParity: 0n } as never, { common })
  let threw = false
  let got: string | undefined
  try {
    got = bad.getSenderAddress().toString()
  } catch {
    threw = true
  }
  t.ok(threw || got !== addressOf(key(40)).toString(), 'no signer address for a forged signature')
  t.equal(tx.getSenderAddress().toString(), addressOf(key(40)).toString(), 'the genuine one still resolves')
})

t.test('serializedTx: the canonical bytes, encoded once per frozen transaction', async (t) => {
  const raw = feeMarketTx(key(50), 0n, 2n * GWEI, GWEI).serialize()
  const tx = decodeRawTransaction(raw, opts)
  const first = serializedTx(tx)
  t.equal(bytesToHex(first), bytesToHex(raw), 'the same bytes as the signed raw transaction')
  t.equal(serializedTx(tx), first, 'the same array the second time')
  const loose = createFeeMarket1559Tx({ chainId: common.chainId(), nonce: 1n, maxFeePerGas: GWEI, gasLimit: 21_000n, to: TO }, { common, freeze: false })
  t.not(serializedTx(loose), serializedTx(loose), 'not frozen: encoded every time')
  t.equal(bytesToHex(serializedTx(loose)), bytesToHex(loose.serialize()))
})

t.test('a frozen transaction is hashed from the bytes its block encodes, once, for every type', async (t) => {
  for (const [i, raw] of [legacyTx(key(60), 0n, GWEI), accessListTx(key(61), 0n, GWEI), feeMarketTx(key(62), 0n, 2n * GWEI, GWEI)]
    .map((x) => x.serialize())
    .entries()) {
    const tx = decodeRawTransaction(raw, opts)
    t.equal(bytesToHex(tx.hash()), bytesToHex(keccak_256(raw)), `type ${tx.type} (${i}): keccak of the signed bytes`)
    t.equal(tx.hash(), tx.hash(), 'the same array each time (ethereumjs cache.hash)')
  }
  // the encoding made for the hash is the one the block's root and body use: serialize() once,
  // and never for a decoded transaction, whose raw bytes are that encoding
  const encoded = countCalls(t, FeeMarket1559Tx.prototype, 'serialize')
  const signed = feeMarketTx(key(63), 0n, 2n * GWEI, GWEI)
  encoded.count = 0
  t.equal(bytesToHex(signed.hash()), bytesToHex(keccak_256(serializedTx(signed))))
  t.equal(encoded.count, 1, 'signed here: hash, then the block encoding: one serialize()')
  const raw = signed.serialize()
  const tx = decodeRawTransaction(raw, opts)
  encoded.count = 0
  const h = tx.hash()
  t.equal(serializedTx(tx), raw, 'decoded: the raw bytes themselves')
  t.equal(bytesToHex(h), bytesToHex(keccak_256(raw)))
  t.equal(encoded.count, 0, 'decoded: no serialize()')
})

t.test('the hash of an unsigned or unfrozen transaction takes ethereumjs path', async (t) => {
  const unsigned = createFeeMarket1559Tx({ chainId: common.chainId(), nonce: 1n, maxFeePerGas: GWEI, gasLimit: 21_000n, to: TO }, { common })
  t.ok(Object.isFrozen(unsigned))
  t.throws(() => unsigned.hash(), /not signed/, 'unsigned: still refused')
  const loose = createFeeMarket1559Tx({ chainId: common.chainId(), nonce: 1n, maxFeePerGas: GWEI, gasLimit: 21_000n, to: TO }, { common, freeze: false }).sign(
    key(64),
  )
  t.notOk(Object.isFrozen(loose))
  t.equal(bytesToHex(loose.hash()), bytesToHex(keccak_256(loose.serialize())))
  t.not(loose.hash(), loose.hash(), 'not frozen: hashed every time')
})
