/**
 * A witness node that sees another block signed by the same producer for a slot it already has
 * (double production) submits the two headers to the Evidence system contract itself; the next
 * block executes it and the producer loses 100 trust.
 */
import t from 'tap'
import { createLegacyTx } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { devnetGenesis } from '../../../src/cli/devnetGenesis.js'
import { encodeBlock } from '../../../src/chain/block.js'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { readTrust } from '../../../src/consensus/dpos/views.js'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { Node } from '../../../src/node/node.js'
import { silentLogger } from '../../../src/util/logger.js'
import { devAddress, devKey, openChain, tempDir } from '../../helpers/inProcessNode.js'
import { waitFor } from '../../helpers/nodeProcess.js'

t.test('double production seen by a witness node: evidence submitted, executed, trust −100', async (t) => {
  const T = 1_800_000_000_000
  const genesis = parseGenesis(devnetGenesis({ nodes: 1, timestamp: T }).doc)
  // the node's clock starts an hour before genesis, so its slot producer sleeps through the test
  // (the test makes the blocks); then it moves on to just after slot 2
  let clock = T - 3_600_000
  const node = await Node.init({ genesis, datadir: tempDir(t), witnessKey: devKey(0), logger: silentLogger, now: () => clock, recoverThreads: 1 })
  clock = T + 2_500
  t.teardown(() => node.close())
  const mine = await node.chain.produceBlock(devKey(0), BigInt(T) + 1000n, [])

  // the same witness signs another block for the same slot (elsewhere, with a transaction in it)
  const { chain: other } = await openChain(t, tempDir(t), genesis, () => T)
  const transfer = createLegacyTx(
    { nonce: 0n, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to: new Address(hexToBytes(devAddress(2) as `0x${string}`)), value: 1n },
    { common: other.common },
  ).sign(devKey(1))
  const twin = (await other.produceBlock(devKey(0), BigInt(T) + 1000n, [transfer])).block
  t.not(Buffer.from(twin.hash).toString('hex'), Buffer.from(mine.block.hash).toString('hex'), 'two different blocks for slot 1')

  const events: unknown[] = []
  node.chain.on('doubleProduction', (d) => events.push(d))
  t.equal(await node.link.importBlock(encodeBlock(twin)), 'known', 'the twin is below finality: not followed')
  t.equal(events.length, 1, 'double production reported')
  t.equal(await node.link.importBlock(encodeBlock(twin)), 'known')
  t.equal(events.length, 1, 'once per producer and slot')
  const evidenceTx = await waitFor(() => node.txpool.content().pending.get(devAddress(0).toLowerCase())?.[0], 20_000, 'the evidence transaction in the pool')
  t.equal(evidenceTx.to?.toString(), SYSTEM_CONTRACTS.evidence, 'sent to the Evidence contract')

  const trustBefore = (await readTrust(await node.chain.stateAt(node.chain.head.header), devAddress(0)))!
  const next = await node.chain.produceBlock(devKey(0), BigInt(T) + 2000n, node.txpool.selectForBlock(genesis.params.blockGasLimit))
  t.equal(next.block.transactions.length, 1, 'the next block carries the evidence')
  t.equal(next.receipts[0]!.status, 1, 'and it is accepted')
  const trustAfter = (await readTrust(await node.chain.stateAt(node.chain.head.header), devAddress(0)))!
  t.equal(trustAfter, trustBefore - 100n + 10n, 'trust −100 (and +10 for producing the block)')
})
