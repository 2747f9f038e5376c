/**
 * A witness node that sees another block signed by the same producer for a slot it already has
 * (double production) submits the two headers to the Evidence system contract itself; the next
 * block executes it and the producer loses 100 trust. With several witnesses only the designated
 * one submits at once, the next in rank only once its fallback wait is over (evidenceDuty.ts;
 * the ranking and the "already used" case are in evidenceDuty.test.ts).
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
import { evidenceSubmitters } from '../../../src/node/evidenceDuty.js'
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

t.test('three witnesses: the designated one submits at once, the next one only as the fallback', async (t) => {
  const T = 1_800_000_000_000
  const { doc, witnessKeys } = devnetGenesis({ nodes: 3, timestamp: T })
  const genesis = parseGenesis(doc)
  const keys = witnessKeys.map((k) => hexToBytes(k as `0x${string}`))
  const addressOfKey = (i: number) => devAddress(i)
  // whose slot 1 is, on a scratch chain
  const { chain: scratch } = await openChain(t, tempDir(t), genesis, () => T)
  let offender = -1
  for (let i = 0; i < keys.length && offender < 0; i++) {
    if (
      await scratch.produceBlock(keys[i]!, BigInt(T) + 1000n, []).then(
        () => true,
        () => false,
      )
    )
      offender = i
  }
  t.ok(offender >= 0, `slot 1 belongs to witness ${offender}`)
  const seats = keys.map((_, i) => addressOfKey(i))
  const order = evidenceSubmitters(seats, addressOfKey(offender), 1n)
  const indexOf = (a: string) => seats.indexOf(a)
  const designated = indexOf(order[0]!)
  const fallback = indexOf(order[1]!)

  // the twin: the offender signs another block for slot 1, with a transaction in it
  const { chain: other } = await openChain(t, tempDir(t), genesis, () => T)
  const transfer = createLegacyTx(
    { nonce: 0n, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to: new Address(hexToBytes(devAddress(5) as `0x${string}`)), value: 1n },
    { common: other.common },
  ).sign(devKey(4))
  const twin = (await other.produceBlock(keys[offender]!, BigInt(T) + 1000n, [transfer])).block

  const witnessNode = async (i: number) => {
    let clock = T - 3_600_000 // the slot producer sleeps through the test
    const node = await Node.init({ genesis, datadir: tempDir(t), witnessKey: keys[i]!, logger: silentLogger, now: () => clock, recoverThreads: 1 })
    clock = T + 2_500
    t.teardown(() => node.close())
    await node.chain.produceBlock(keys[offender]!, BigInt(T) + 1000n, [])
    const seen: bigint[] = []
    node.chain.on('doubleProduction', (d) => seen.push(d.slot))
    await node.link.importBlock(encodeBlock(twin))
    t.same(seen, [1n], `witness ${i} sees the double production in slot 1`)
    const mine = addressOfKey(i)
    return { node, evidence: () => node.txpool.content().pending.get(mine)?.[0] }
  }

  const d = await witnessNode(designated)
  const sent = await waitFor(d.evidence, 20_000, 'the designated witness’s evidence transaction')
  t.equal(sent.to?.toString(), SYSTEM_CONTRACTS.evidence, `the designated witness (${designated}) submits at once`)
  const f = await witnessNode(fallback)
  // (checked right after the import: its wait is 2 s)
  t.equal(f.evidence(), undefined, `witness ${fallback} (rank 1) does not submit at once`)
  // the designated one's transaction never reaches f (no network here) nor a block: after its
  // wait (1 rank × EVIDENCE_FALLBACK_INTERVALS × 1 s) f finds the evidence unused and submits
  const late = await waitFor(f.evidence, 20_000, 'the fallback witness’s evidence transaction')
  t.equal(late.to?.toString(), SYSTEM_CONTRACTS.evidence, `the fallback witness (${fallback}) submits once its wait is over`)
})
