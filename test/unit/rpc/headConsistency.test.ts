/**
 * What a wallet reads is one head (issue 14): a transaction's receipt is only answered once the
 * block holding it is the head the node answers `latest` with, so a wallet that saw its receipt
 * never reads an older nonce or balance. LevelDB makes a batch readable to other reads before the
 * node learns the batch is written, so the receipt path must check the head, not only the index.
 * The block's batch is held here right after it is written, as a busy disk would hold it.
 */
import t from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { makeCommon } from '../../../src/execution/common.js'
import { devAddress, devKey, startNode } from '../../helpers/inProcessNode.js'

const common = makeCommon(2100n)

t.test('a receipt is not answered before its block is the head that `latest` reads', async (t) => {
  const n = await startNode(t)
  const chain = n.node.chain
  const db = chain.store.db as unknown as { batch: (...args: unknown[]) => Promise<void> }
  const realBatch = db.batch.bind(db)
  let hold: Promise<void> | undefined
  let written: () => void = () => undefined
  const writtenOnce = new Promise<void>((resolve) => (written = resolve))
  db.batch = async (...args: unknown[]) => {
    await realBatch(...args)
    if (hold !== undefined) {
      written()
      await hold
    }
  }

  const sender = devAddress(3)
  const to = new Address(hexToBytes(devAddress(8) as `0x${string}`))
  // a transaction this node's pool never saw (as one in a block from a peer): no pool short-cut
  const tx = createFeeMarket1559Tx(
    { nonce: 0n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gasLimit: 21_000n, to, value: 7n },
    { common },
  ).sign(devKey(3))
  const hash = bytesToHex(tx.hash())
  let release: () => void = () => undefined
  hold = new Promise<void>((resolve) => (release = resolve))
  const head = chain.head.header
  const producing = chain.produceBlock(devKey(0), head.timestamp + BigInt(n.genesis.params.blockIntervalMs), [tx])
  await writtenOnce

  // the block is on disk, the node has not moved its head yet
  t.equal(chain.head.header.number, head.number, 'the head has not moved while the batch is held')
  t.equal(await n.rpc('eth_getTransactionReceipt', [hash]), null, 'no receipt yet')
  t.equal(await n.rpc('eth_getTransactionByHash', [hash]), null, 'no mined transaction yet')
  t.equal(await n.rpc('eth_getTransactionCount', [sender, 'latest']), '0x0', 'the nonce of the head')
  t.equal(await n.rpc('eth_getBlockByNumber', [`0x${(head.number + 1n).toString(16)}`, false]), null, 'no block above the head by number')

  release()
  hold = undefined
  const built = await producing
  const receipt = await n.rpc('eth_getTransactionReceipt', [hash])
  t.equal(receipt?.blockHash, bytesToHex(built.block.hash), 'the receipt once the block is the head')
  t.equal(await n.rpc('eth_getTransactionCount', [sender, 'latest']), '0x1', 'and the nonce with it')
  t.equal((await n.rpc('eth_getTransactionByHash', [hash]))?.blockNumber, `0x${(head.number + 1n).toString(16)}`)
  t.equal((await n.rpc('eth_getBlockByHash', [bytesToHex(built.block.hash), false]))?.number, `0x${(head.number + 1n).toString(16)}`)
})
