import { createFeeMarket1559Tx, createTxFromRLP } from '@ethereumjs/tx'
import { randomBytes } from 'node:crypto'
for (let i = 0; i < 6; i++) {
  const tx = createFeeMarket1559Tx({ chainId: 1n, nonce: 1n, maxFeePerGas: 10n, gasLimit: 21000n, to: '0x' + '11'.repeat(20) }).sign(randomBytes(32))
  const d = createTxFromRLP(tx.serialize())
  console.log(tx.v, d.v, d.isSigned())
}
