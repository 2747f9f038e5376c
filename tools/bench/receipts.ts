/**
 * `receipts` group (issue 14, DESIGN §9): one receipt lookup on a 4,000-transaction block — the
 * transaction's own record (`R ‖ block hash ‖ index`) against what eth_getTransactionReceipt did
 * before (decode the whole block and all its receipts), both measured here on the same block; and
 * the ordered-trie root of 4,000 transactions (one pass) against @ethereumjs/mpt's inserts.
 *
 * The block is committed through the real BlockStore on a temp classic-level database; lookups
 * go through a fresh BlockStore, so the recent-blocks cache does not answer them (a cache hit is
 * printed apart).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { createMPT } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address } from '@ethereumjs/util'
import { makeBlock } from '../../src/chain/block.js'
import { BlockStore, openDatabase } from '../../src/chain/blockStore.js'
import { signHeader, ZERO32 } from '../../src/chain/header.js'
import { orderedTrieRoot } from '../../src/chain/orderedTrie.js'
import { receiptsRoot, type TxReceipt } from '../../src/chain/receipt.js'
import { encodeReceiptRecord, receiptRecordsOf } from '../../src/chain/receiptRecord.js'
import { core } from '../../src/core/index.js'
import { makeCommon } from '../../src/execution/common.js'
import { formatReceipt, formatReceiptRecord, formatReceiptRecords } from '../../rpc/format.js'
import { progress, row } from './report.js'

const TXS = 4_000
const SENDERS = 40

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function timed(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await fn(i)
    out.push(performance.now() - t)
  }
  return out
}

/** `n` timings of `a` and of `b`, run in turns (a b, b a, a b, …) so neither pays the other's garbage more often. */
async function timedInTurns(n: number, a: () => Promise<unknown> | unknown, b: () => Promise<unknown> | unknown): Promise<[number[], number[]]> {
  const ta: number[] = []
  const tb: number[] = []
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      ta.push(...(await timed(1, a)))
      tb.push(...(await timed(1, b)))
    } else {
      tb.push(...(await timed(1, b)))
      ta.push(...(await timed(1, a)))
    }
  }
  return [ta, tb]
}

const ms = (x: number) => `${x.toFixed(2)} ms`

/** 4,000 signed transfers; every other one with an ERC-20-like Transfer log (so log indexes matter). */
function makeBlockContent(): { txs: TypedTransaction[]; receipts: TxReceipt[] } {
  const common = makeCommon(2100n)
  const keys = Array.from({ length: SENDERS }, (_, i) => core.keccak256(new TextEncoder().encode(`nfc-bench-receipts ${i}`)))
  const txs: TypedTransaction[] = []
  const receipts: TxReceipt[] = []
  let cumulative = 0n
  for (let i = 0; i < TXS; i++) {
    if (i % 500 === 0) progress(`receipts: signing transactions ${i}/${TXS}…`)
    const to = new Address(core.keccak256(Uint8Array.of(i & 255, i >> 8)).subarray(0, 20))
    const tx = createLegacyTx({ nonce: BigInt(Math.floor(i / SENDERS)), gasPrice: 2_000_000_000n, gasLimit: 60_000n, to, value: 1n }, { common }).sign(
      keys[i % SENDERS]!,
    )
    txs.push(tx)
    cumulative += 21_000n
    const logs =
      i % 2 === 0
        ? [
            {
              address: to.bytes,
              topics: [core.keccak256(Uint8Array.of(1)), new Uint8Array(32).fill(i & 255), new Uint8Array(32).fill(7)],
              data: new Uint8Array(32).fill(1),
            },
          ]
        : []
    receipts.push({ status: 1, cumulativeGasUsed: cumulative, gasUsed: 21_000n, effectiveGasPrice: 2_000_000_000n, contractAddress: new Uint8Array(0), logs })
  }
  return { txs, receipts }
}

export async function run(): Promise<void> {
  const { txs, receipts } = makeBlockContent()

  // ---- roots: the one-pass ordered trie vs a general MPT
  const serialized = txs.map((tx) => tx.serialize())
  progress('receipts: ordered-trie root of 4,000 transactions…')
  const ours = await timed(20, () => orderedTrieRoot(serialized))
  progress('receipts: @ethereumjs/mpt root of 4,000 transactions…')
  const mptRuns = await timed(3, async () => {
    const trie = await createMPT()
    for (let i = 0; i < serialized.length; i++) await trie.put(RLP.encode(i), serialized[i]!)
    return trie.root()
  })
  const rcRoot = await timed(10, () => receiptsRoot(receipts, txs))
  process.stdout.write(`receiptsRoot of 4,000 receipts (half with a log, blooms included): median ${ms(quantile(rcRoot, 0.5))}\n`)
  row({
    name: 'transactionsRoot 4,000 txs: ordered trie (ms, lower is better)',
    value: quantile(ours, 0.5),
    unit: 'ms',
    baseline: { name: '@ethereumjs/mpt puts', value: quantile(mptRuns, 0.5) },
  })

  // ---- the block on disk
  const dir = mkdtempSync(join(os.tmpdir(), 'nfc-bench-receipts-'))
  const db = await openDatabase(join(dir, 'db'))
  try {
    const common = makeCommon(2100n)
    const store = new BlockStore(db, common)
    const header = signHeader(
      {
        parentHash: ZERO32,
        number: 1n,
        timestamp: 1_700_000_001_000n,
        producer: new Uint8Array(20),
        stateRoot: ZERO32,
        transactionsRoot: orderedTrieRoot(serialized),
        receiptsRoot: receiptsRoot(receipts, txs),
        logsBloom: new Uint8Array(256),
        gasLimit: 200_000_000n,
        gasUsed: receipts[receipts.length - 1]!.cumulativeGasUsed,
        baseFeePerGas: 1_000_000_000n,
        flowRoot: ZERO32,
        confirmationsRoot: ZERO32,
        signature: new Uint8Array(0),
      },
      core.keccak256(Uint8Array.of(9)),
    )
    const block = makeBlock(header, txs)
    progress('receipts: recovering the senders and committing the block…')
    for (const tx of txs) tx.getSenderAddress() // recovered before commit, as the node's pipeline does
    const rec = await timed(5, () => receiptRecordsOf(block, receipts).map(encodeReceiptRecord))
    process.stdout.write(`receipt records of 4,000 txs built and encoded at commit: median ${ms(quantile(rec, 0.5))}\n`)
    await store.commitBlock(block, receipts, [])

    const at = { blockHash: block.hash, blockNumber: 1n }
    // a deterministic spread of positions over the block
    const pick = (i: number) => txs[(i * 2_654_435_761) % TXS]!.hash()

    progress('receipts: old path (whole block + all receipts)…')
    const cold = new BlockStore(db, common)
    const old = await timed(15, async (i) => {
      const loc = (await cold.getTxLocation(pick(i)))!
      const b = (await cold.getBlock(loc.blockHash))!
      const rs = (await cold.getReceipts(loc.blockHash))!
      return formatReceipt(b, rs, loc.index)
    })
    progress('receipts: one record per lookup…')
    const lookup = async (s: BlockStore, i: number) => {
      const m = (await s.getMinedReceipt(pick(i)))!
      const h = (await s.getHeader(m.blockHash))!
      return formatReceiptRecord({ blockHash: m.blockHash, blockNumber: h.number }, m.index, m.record)
    }
    const fresh = new BlockStore(db, common)
    const now = await timed(2_000, (i) => lookup(fresh, i))
    const cached = await timed(2_000, (i) => lookup(store, i))
    const txAlone = await timed(200, async (i) => {
      const loc = (await fresh.getTxLocation(pick(i)))!
      return fresh.getTransaction(loc.blockHash, loc.index)
    })
    // eth_getBlockReceipts: its one-pass formatting, next to formatting each record alone (before),
    // measured in turns so both pay the same garbage collection
    const [blockReceipts, perRecord] = await timedInTurns(
      7,
      async () => formatReceiptRecords(at, (await new BlockStore(db, common).getReceiptRecords(block.hash))!),
      async () => (await new BlockStore(db, common).getReceiptRecords(block.hash))!.map((r, i) => formatReceiptRecord(at, i, r)),
    )
    const records = (await store.getReceiptRecords(block.hash))!
    const [formatOnly, formatEach] = await timedInTurns(
      11,
      () => formatReceiptRecords(at, records),
      () => records.map((r, i) => formatReceiptRecord(at, i, r)),
    )
    const answer = formatReceiptRecords(at, records)
    const serialize = await timed(5, () => JSON.stringify(answer))
    process.stdout.write(
      `eth_getBlockReceipts 4,000 receipts (half with a log): formatting alone median ${ms(quantile(formatOnly, 0.5))} ` +
        `(each record formatted alone: ${ms(quantile(formatEach, 0.5))}); JSON.stringify of the answer ${ms(quantile(serialize, 0.5))}\n`,
    )
    progress('receipts: eth_getBlockReceipts, old path and records…')
    const oldBlockReceipts = await timed(3, async () => {
      const s = new BlockStore(db, common)
      const b = (await s.getBlock(block.hash))!
      const rs = (await s.getReceipts(block.hash))!
      return b.transactions.map((_, i) => formatReceipt(b, rs, i))
    })
    const median = quantile(now, 0.5)
    process.stdout.write(
      `one receipt, 4,000-tx block: record median ${ms(median)}, p99 ${ms(quantile(now, 0.99))}; ` +
        `recent-blocks cache median ${ms(quantile(cached, 0.5))}, p99 ${ms(quantile(cached, 0.99))}; ` +
        `old path median ${ms(quantile(old, 0.5))}, p99 ${ms(quantile(old, 0.99))}\n` +
        `one transaction decoded alone (eth_getTransactionByHash's read): median ${ms(quantile(txAlone, 0.5))}\n`,
    )
    row({
      name: 'eth_getTransactionReceipt 4,000-tx block, median (ms, lower is better)',
      value: median,
      unit: 'ms',
      baseline: { name: 'decode whole block + receipts', value: quantile(old, 0.5) },
      target: '≤ 5 ms',
      met: median <= 5,
    })
    row({
      name: 'eth_getTransactionReceipt 4,000-tx block, p99 (ms)',
      value: quantile(now, 0.99),
      unit: 'ms',
      baseline: { name: 'decode whole block + receipts, p99', value: quantile(old, 0.99) },
    })
    row({
      name: 'eth_getBlockReceipts 4,000-tx block, one-pass format (ms, lower is better)',
      value: quantile(blockReceipts, 0.5),
      unit: 'ms',
      baseline: { name: 'records formatted one by one', value: quantile(perRecord, 0.5) },
    })
    row({
      name: 'eth_getBlockReceipts 4,000-tx block, median (ms, lower is better)',
      value: quantile(blockReceipts, 0.5),
      unit: 'ms',
      baseline: { name: 'decode whole block + receipts', value: quantile(oldBlockReceipts, 0.5) },
    })
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
