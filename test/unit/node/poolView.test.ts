/**
 * The pool's view of the head state (node.ts poolView): each account is read from the trie once
 * per head, however many of its transactions arrive (a wallet's burst walked the same path twice
 * per transaction).
 */
import t from 'tap'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createLegacyTx } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { makeCommon } from '../../../src/execution/common.js'
import { devGenesis, devKey, startNode, tempDir } from '../../helpers/inProcessNode.js'
import { countCalls } from '../../helpers/countCalls.js'

t.test("the pool reads a sender's account once per head, not twice per transaction", async (t) => {
  const genesis = devGenesis()
  const common = makeCommon(genesis.chainId)
  const a = await startNode(t, { genesis, datadir: tempDir(t) })
  const txs = Array.from({ length: 30 }, (_, i) =>
    createLegacyTx(
      { nonce: BigInt(i), gasPrice: genesis.params.minGasPrice, gasLimit: 21_000n, to: new Address(hexToBytes(`0x${'cc'.repeat(20)}`)), value: 1n },
      { common },
    ).sign(devKey(3)),
  )
  const reads = countCalls(t, MerkleStateManager.prototype, 'getAccount')
  for (const x of txs) await a.node.sendRawTransaction(x.serialize())
  reads.stop()
  t.equal((await a.rpc('txpool_status')).pending, '0x1e', 'all 30 pending')
  t.ok(reads.count <= 2, `state reads for 30 transactions of one sender: ${reads.count} (two per transaction before)`)
})
