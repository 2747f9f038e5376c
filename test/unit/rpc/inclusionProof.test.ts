/**
 * transactionsRoot and receiptsRoot are Ethereum ordered tries (DESIGN §9, issue 14): a proof
 * built with @ethereumjs/mpt from what the RPC returns — the raw transactions, the receipts —
 * verifies against the roots of the block header the node produced and serves.
 */
import t from 'tap'
import { createMerkleProof, createMPT, verifyMPTWithMerkleProof } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { createFeeMarket1559Tx, createLegacyTx, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { encodeConsensusReceipt } from '../../../src/chain/receipt.js'
import { makeCommon } from '../../../src/execution/common.js'
import { devAddress, devKey, startNode } from '../../helpers/inProcessNode.js'

const common = makeCommon(2100n)

function tx(from: number, nonce: bigint, typed: boolean): TypedTransaction {
  const to = new Address(hexToBytes(devAddress(9) as `0x${string}`))
  return typed
    ? createFeeMarket1559Tx({ nonce, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, to, value: 1n }, { common }).sign(devKey(from))
    : createLegacyTx({ nonce, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to, value: 1n }, { common }).sign(devKey(from))
}

t.test('an inclusion proof of a transaction and of its receipt verifies with @ethereumjs/mpt', async (t) => {
  const n = await startNode(t)
  // 40 transactions (legacy and EIP-1559): keys 0x01…0x27 and 0x80, so the trie has branches and an extension
  const txs: TypedTransaction[] = []
  for (let from = 1; from <= 5; from++) for (let k = 0n; k < 8n; k++) txs.push(tx(from, k, (from + Number(k)) % 2 === 0))
  for (const x of txs) await n.rpc('eth_sendRawTransaction', [bytesToHex(x.serialize())])
  const built = await n.produceBlock()
  t.equal(built.block.transactions.length, 40, 'all 40 mined in one block')
  const block = await n.rpc('eth_getBlockByNumber', [`0x${built.block.header.number.toString(16)}`, false])
  const receipts = await n.rpc('eth_getBlockReceipts', [block.hash])

  // the transactions trie, rebuilt by a general MPT from the signed transactions in the block's order
  const byHash = new Map<string, Uint8Array>(txs.map((x) => [bytesToHex(x.hash()), x.serialize()]))
  const txTrie = await createMPT()
  for (const [i, hash] of (block.transactions as string[]).entries()) await txTrie.put(RLP.encode(i), byHash.get(hash)!)
  t.equal(bytesToHex(txTrie.root()), block.transactionsRoot, "the general MPT's root is the header's transactionsRoot")
  for (const i of [0, 1, 17, 39]) {
    const proof = await createMerkleProof(txTrie, RLP.encode(i))
    const value = await verifyMPTWithMerkleProof(await createMPT(), hexToBytes(block.transactionsRoot), RLP.encode(i), proof)
    t.equal(bytesToHex(createTxFromRLP(value!, { common }).hash()), block.transactions[i], `transaction ${i} proven against transactionsRoot`)
  }
  // a proof against another root does not verify
  const proof = await createMerkleProof(txTrie, RLP.encode(3))
  await t.rejects(verifyMPTWithMerkleProof(await createMPT(), hexToBytes(block.receiptsRoot), RLP.encode(3), proof), 'not against another root')

  // the receipts trie, from eth_getBlockReceipts (status, cumulative gas, logs) and the types
  const rcTrie = await createMPT()
  for (const [i, r] of (receipts as any[]).entries()) {
    const logs = r.logs.map((l: any) => ({ address: hexToBytes(l.address), topics: l.topics.map(hexToBytes), data: hexToBytes(l.data) }))
    const receipt = {
      status: Number(r.status) as 0 | 1,
      cumulativeGasUsed: BigInt(r.cumulativeGasUsed),
      gasUsed: 0n,
      effectiveGasPrice: 0n,
      contractAddress: new Uint8Array(0),
      logs,
    }
    await rcTrie.put(RLP.encode(i), encodeConsensusReceipt(receipt, Number(r.type)))
  }
  t.equal(bytesToHex(rcTrie.root()), block.receiptsRoot, "the general MPT's root is the header's receiptsRoot")
  const typed = (receipts as any[]).findIndex((r) => r.type === '0x2')
  const rproof = await createMerkleProof(rcTrie, RLP.encode(typed))
  const rvalue = await verifyMPTWithMerkleProof(await createMPT(), hexToBytes(block.receiptsRoot), RLP.encode(typed), rproof)
  t.equal(rvalue![0], 2, `receipt ${typed} proven against receiptsRoot (an EIP-1559 receipt: type byte 2 first)`)
  const decoded = RLP.decode(rvalue!.subarray(1)) as Uint8Array[]
  t.equal(BigInt(bytesToHex(decoded[1])), BigInt(receipts[typed].cumulativeGasUsed), 'with its cumulative gas')
})
