/**
 * The node's side of the journal, in process: local txs are re-added at start, the mined ones are
 * dropped from the rewritten journal, gossip-only txs are never journaled.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { makeCommon } from '../../../src/execution/common.js'
import { decodeJournal } from '../../../src/txpool/journalFormat.js'
import { devGenesis, devKey, startNode, tempDir } from '../../helpers/inProcessNode.js'

t.test('restart: pooled local txs come back, mined ones leave the journal', async (t) => {
  const genesis = devGenesis()
  const datadir = tempDir(t)
  const common = makeCommon(genesis.chainId)
  const tx = (from: number, nonce: bigint): TypedTransaction =>
    createLegacyTx(
      { nonce, gasPrice: genesis.params.minGasPrice, gasLimit: 21_000n, to: new Address(hexToBytes(`0x${'cc'.repeat(20)}`)), value: 1n },
      { common },
    ).sign(devKey(from))
  const journal = () => decodeJournal(readFileSync(join(datadir, 'transactions.journal'))).records.map((r) => bytesToHex(r))

  const a = await startNode(t, { genesis, datadir })
  const mined = tx(1, 0n)
  const queued = tx(1, 2n)
  const gossiped = tx(2, 0n)
  for (const x of [mined, queued]) await a.rpc('eth_sendRawTransaction', [bytesToHex(x.serialize())])
  await a.node.link.addTransaction(gossiped.serialize()) // as a peer's gossip arrives
  t.same(
    journal(),
    [mined, queued].map((x) => bytesToHex(x.serialize())),
    'local txs appended at once, the gossiped one not',
  )
  await a.produceBlock()
  await a.close()

  const b = await startNode(t, { genesis, datadir })
  const content = await b.rpc('txpool_content')
  const queuedOf = Object.values(content.queued as Record<string, Record<string, { hash: string }>>).flatMap((m) => Object.values(m).map((x) => x.hash))
  t.same(queuedOf, [bytesToHex(queued.hash())], 'the queued local tx is back')
  t.same(content.pending, {}, 'nothing executable left: both mined')
  t.same(journal(), [bytesToHex(queued.serialize())], 'rewritten at start without the mined tx')
})
