import { RecoverPool, recoverTxSender } from '../dist/src/crypto/recoverPool.js'
import { decodeRawTransaction } from '../dist/src/execution/txDecode.js'
import { makeCommon } from '../dist/src/execution/common.js'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
const common = makeCommon(1337n)
const raws = Array.from({ length: 4000 }, (_, i) => createFeeMarket1559Tx({ chainId: 1337n, nonce: BigInt(i), maxFeePerGas: 10n, gasLimit: 21000n, to: '0x' + '11'.repeat(20) }, { common }).sign(randomBytes(32)).serialize())
const pool = RecoverPool.create({ threads: 2 })
await new Promise((r) => setTimeout(r, 300))
const cpu = () => { const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(x[11]) + Number(x[12])) * 10 }
for (const per of [3, 3, 3]) {
  const txs = raws.map((r) => decodeRawTransaction(r, { common, maxTxSize: 1 << 17 }))
  const c0 = cpu(); const e0 = performance.eventLoopUtilization(); const t0 = performance.now()
  // `per` transactions per tick, ticks one after another (as requests arriving)
  for (let i = 0; i < txs.length; i += per) {
    await Promise.all(txs.slice(i, i + per).map((tx) => recoverTxSender(pool, tx)))
  }
  const e = performance.eventLoopUtilization(e0)
  console.log(`per tick ${per}: main CPU ${(cpu() - c0) * 1000 / txs.length} µs/tx, ELU active ${(e.active * 1000 / txs.length).toFixed(1)} µs/tx, wall ${((performance.now() - t0) * 1000 / txs.length).toFixed(1)} µs/tx`)
}
await pool.close()
