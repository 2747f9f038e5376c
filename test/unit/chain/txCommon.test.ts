import t from 'tap'
import { createTxFromRLP, paramsTx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { txCommon } from '../../../src/chain/txCommon.js'
import { decodeRawTransaction } from '../../../src/execution/txDecode.js'
import { GWEI, common, feeMarketTx, key, legacyTx } from '../txpool/fixtures/txs.js'

t.test('decoded transactions share one Common holding the tx params, and read the same as with their own copy', async (t) => {
  const raw1 = feeMarketTx(key(1), 0n, 2n * GWEI, GWEI).serialize()
  const raw2 = legacyTx(key(1), 1n, 2n * GWEI).serialize()
  const a = decodeRawTransaction(raw1, { common, maxTxSize: 128 * 1024 })
  const b = decodeRawTransaction(raw2, { common, maxTxSize: 128 * 1024 })
  t.equal(a.common, b.common, 'one Common for both')
  t.equal(a.common, txCommon(common), 'the shared one')
  t.not(a.common, common, 'never the caller’s own Common (its params stay untouched)')
  // the library's own path: a fresh copy per transaction
  for (const [raw, tx] of [
    [raw1, a],
    [raw2, b],
  ] as const) {
    const own = createTxFromRLP(raw, { common })
    t.not(own.common, tx.common)
    t.equal(bytesToHex(tx.hash()), bytesToHex(own.hash()))
    t.equal(tx.getIntrinsicGas(), own.getIntrinsicGas(), 'same intrinsic gas (reads the tx params)')
    t.equal(tx.getDataGas(), own.getDataGas())
    t.equal(tx.common.param('txGas'), own.common.param('txGas'))
  }
})

t.test('the shared Common refuses what would change every transaction’s view', async (t) => {
  const shared = txCommon(common)
  t.equal(shared.copy(), shared, 'copy is itself')
  t.doesNotThrow(() => shared.updateParams(paramsTx), 'the tx params again: nothing to do')
  t.throws(() => shared.updateParams({ 1: { txGas: 1 } }), /no other params/)
  t.equal(shared.param('txGas'), 21000n, 'params unchanged after the refusal')
  t.doesNotThrow(() => shared.setHardfork(shared.hardfork()))
  t.throws(() => shared.setHardfork('london'), /keeps its hardfork/)
  t.equal(shared.hardfork(), common.hardfork())
})
