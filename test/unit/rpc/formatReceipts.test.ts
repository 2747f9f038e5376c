/**
 * eth_getBlockReceipts formats a block's receipts in one pass (formatReceiptRecords: the block's
 * fields formatted once, a receipt without logs given the zero bloom without computing it); the
 * JSON is exactly what formatting each receipt alone gives (eth_getTransactionReceipt's answer).
 */
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { bloomOfLogs } from '../../../src/chain/bloom.js'
import type { ReceiptRecord } from '../../../src/chain/receiptRecord.js'
import { core } from '../../../src/core/index.js'
import { formatReceiptRecord, formatReceiptRecords } from '../../../rpc/format.js'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)

function records(): ReceiptRecord[] {
  const out: ReceiptRecord[] = []
  let cumulative = 0n
  for (let i = 0; i < 12; i++) {
    cumulative += 21_000n + BigInt(i)
    const logs = Array.from({ length: i % 3 }, (_, k) => ({
      address: bytes(20, i + 1),
      topics: [core.keccak256(Uint8Array.of(i, k)), bytes(32, k)],
      data: bytes(k * 7, 9),
    }))
    out.push({
      txHash: core.keccak256(Uint8Array.of(i)),
      type: i % 3,
      from: bytes(20, 0xa0 + i),
      to: i === 5 ? undefined : bytes(20, 0xb0 + i),
      receipt: {
        status: i === 4 ? 0 : 1,
        cumulativeGasUsed: cumulative,
        gasUsed: 21_000n + BigInt(i),
        effectiveGasPrice: 7n,
        contractAddress: i === 5 ? bytes(20, 0xcc) : new Uint8Array(0),
        logs,
      },
      firstLogIndex: out.reduce((n, r) => n + r.receipt.logs.length, 0),
    })
  }
  return out
}

t.test('a block formatted at once equals each receipt formatted alone', async (t) => {
  const at = { blockHash: core.keccak256(Uint8Array.of(77)), blockNumber: 4_242n }
  const recs = records()
  const all = formatReceiptRecords(at, recs)
  t.equal(all.length, recs.length)
  t.equal(JSON.stringify(all), JSON.stringify(recs.map((r, i) => formatReceiptRecord(at, i, r))))
})

t.test('the blooms: zero without logs, the logs bloom with them', async (t) => {
  const at = { blockHash: bytes(32, 1), blockNumber: 1n }
  const recs = records()
  const all = formatReceiptRecords(at, recs)
  t.equal(all[0]!.logsBloom, bytesToHex(new Uint8Array(256)), 'no logs: 256 zero bytes')
  t.equal(all[1]!.logsBloom, bytesToHex(bloomOfLogs(recs[1]!.receipt.logs)))
  t.equal(all[2]!.logsBloom, bytesToHex(bloomOfLogs(recs[2]!.receipt.logs)), 'a bloom of one receipt does not leak into the next')
  t.same(
    (all[2]!.logs as { logIndex: string }[]).map((l) => l.logIndex),
    ['0x1', '0x2'],
    'log indexes count the earlier receipts logs',
  )
})
