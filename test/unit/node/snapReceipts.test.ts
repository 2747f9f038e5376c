/**
 * Issue 17: a snap-synced node downloads the receipts of the history it never executes
 * (src/node/snapReceipts.ts). A block's receipts are taken only when they are what executing it
 * stored: the consensus part hashes to the header's receiptsRoot, and gasUsed, the effective price
 * and the created address are what the block implies. Every field a peer could alter is tried
 * here, on a real block (legacy and EIP-1559 transfers, a creation that logs, a creation that
 * fails); and commitHistory with receipts indexes a block as an executed one is, while
 * forgetHistory removes all of it again.
 */
import t, { type Test } from 'tap'
import { createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import type { Block } from '../../../src/chain/block.js'
import { decodeReceipts, encodeReceipts, type TxReceipt } from '../../../src/chain/receipt.js'
import { makeCommon } from '../../../src/execution/common.js'
import { checkedReceipts, ReceiptsRefused } from '../../../src/node/snapReceipts.js'
import { devAddress, devGenesis, devKey, openChain, tempDir } from '../../helpers/inProcessNode.js'

const NOW = 1_700_000_000_500
const common = makeCommon(2100n)
const GAS_PRICE = 2_000_000_000n
/** init code: LOG0 of nothing, then STOP (a creation that logs and leaves no code) */
const LOGGING_INIT = hexToBytes('0x60006000a000')
/** init code: INVALID (a creation that fails) */
const FAILING_INIT = hexToBytes('0xfe')

function txs(): TypedTransaction[] {
  const to = new Address(hexToBytes(devAddress(2) as `0x${string}`))
  return [
    createLegacyTx({ nonce: 0n, gasPrice: GAS_PRICE, gasLimit: 21_000n, to, value: 5n }, { common }).sign(devKey(1)),
    createFeeMarket1559Tx({ nonce: 0n, maxFeePerGas: GAS_PRICE * 2n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, to, value: 7n }, { common }).sign(devKey(3)),
    createLegacyTx({ nonce: 1n, gasPrice: GAS_PRICE, gasLimit: 100_000n, data: LOGGING_INIT }, { common }).sign(devKey(1)),
    createLegacyTx({ nonce: 2n, gasPrice: GAS_PRICE, gasLimit: 100_000n, data: FAILING_INIT }, { common }).sign(devKey(1)),
  ]
}

async function producedBlock(t: Test) {
  const g = devGenesis((g) => (g.timestamp = 0))
  const a = await openChain(t, tempDir(t), g, () => NOW)
  await a.chain.produceBlock(devKey(0), a.chain.head.header.timestamp + 1000n, txs())
  const hash = a.chain.head.hash
  const block = (await a.chain.store.getBlock(hash))!
  const encoded = (await a.chain.store.getEncodedReceipts(hash))!
  return { g, a, block, encoded, receipts: decodeReceipts(encoded) }
}

t.test("a block's own receipts are taken; every altered field is refused", async (t) => {
  const { block, encoded, receipts } = await producedBlock(t)
  t.equal(block.transactions.length, 4, 'all four transactions are in the block')
  t.same(
    receipts.map((r) => r.status),
    [1, 1, 1, 0],
    'two transfers, a creation, a failed creation',
  )
  t.equal(receipts[2]!.logs.length, 1, 'the creation logged')
  t.same(checkedReceipts(block, encoded), receipts, 'the stored receipts pass as they are')

  const refused = (what: string, edit: (rs: TxReceipt[]) => void, why: RegExp) => {
    const rs = decodeReceipts(encoded)
    edit(rs)
    t.throws(() => checkedReceipts(block, encodeReceipts(rs)), { constructor: ReceiptsRefused, message: why }, what)
  }
  const rootMismatch = /do not hash to the header’s receiptsRoot/
  refused('a status flipped', (rs) => (rs[3]!.status = 1), rootMismatch)
  refused('a log dropped', (rs) => rs[2]!.logs.pop(), rootMismatch)
  refused('log data changed', (rs) => (rs[2]!.logs[0]!.data = Uint8Array.of(1)), rootMismatch)
  refused('a cumulative gas changed', (rs) => (rs[0]!.cumulativeGasUsed += 1n), rootMismatch)
  refused('a receipt missing', (rs) => rs.pop(), /3 receipts for 4 transactions/)
  refused('gasUsed (not in the root) changed', (rs) => (rs[1]!.gasUsed += 1n), /receipt 1: gasUsed .* is not its share/)
  refused('the effective price (not in the root) changed', (rs) => (rs[1]!.effectiveGasPrice += 1n), /receipt 1: effective gas price/)
  refused('a transfer naming a created contract', (rs) => (rs[0]!.contractAddress = new Uint8Array(20).fill(9)), /receipt 0: contract address/)
  refused('a creation naming another address', (rs) => (rs[2]!.contractAddress = new Uint8Array(20).fill(9)), /receipt 2: contract address/)
  t.throws(() => checkedReceipts(block, Uint8Array.of(0xc3, 1, 2)), { constructor: ReceiptsRefused, message: /invalid receipts/ }, 'bytes that are no receipts')

  // another block's receipts (the empty list) for this block
  t.throws(() => checkedReceipts(block, encodeReceipts([])), { message: /0 receipts for 4 transactions/ }, "an empty block's receipts")
})

t.test('history stored with its receipts is looked up as executed blocks are; forgetHistory removes every trace', async (t) => {
  const { g, block, receipts } = await producedBlock(t)
  const b = await openChain(t, tempDir(t), g, () => NOW)
  const store = b.chain.store
  const plain: Block[] = [block]
  await store.commitHistory(plain, (x) => (x === block ? receipts : undefined))
  const txHash = block.transactions[2]!.hash()
  const mined = await store.getMinedReceipt(txHash)
  t.ok(mined, 'the receipt of a history transaction is found by its hash')
  t.equal(mined!.index, 2)
  t.same(await store.getReceipts(block.hash), receipts, 'the block has its receipts')
  t.equal((await store.getReceiptRecords(block.hash))?.length, 4, 'and its receipt records')

  t.equal(await store.forgetHistory(1n), 1, 'forgetHistory removes the block')
  t.equal(await store.getMinedReceipt(txHash), undefined, 'its receipt is gone')
  t.equal(await store.getReceipts(block.hash), undefined, 'its receipts are gone')
  t.equal(await store.getHashByNumber(1n), undefined, 'and its number')
})
