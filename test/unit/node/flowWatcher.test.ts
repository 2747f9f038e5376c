/**
 * A node's fraud-proof watcher end to end, in one process: the dev witness (an RN, the committee
 * of every flow cycle) runs the node. A receipt with a forged consumer signature is refused by
 * flow_submitReceipt — but seen; an honest one is accepted. The test then puts on chain a bad
 * checkpoint of that cycle signed with the committee key: the forged receipt's entry and the
 * honest receipt's entry with an inflated total. Without the test sending any proof, the node
 * submits both fraud proofs from its own address; the next block voids both entries well inside
 * the window, the signer loses 100 trust and its pledge slice goes to the shared pool; RESUBMIT_BLOCKS
 * later, still inside the window, the node reads the entries' status at the head and sends nothing.
 *
 * The node's clock sits an hour before genesis, so its slot producer never fills a slot: the
 * test makes every block itself (no waiting on the 1 s slot clock, no sleeps).
 */
import t from 'tap'
import { Interface, Wallet } from 'ethers'
import { NFC, POOLS, SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { TRUST_PRODUCED, TRUST_VIOLATION } from '../../../src/consensus/dpos/params.js'
import { encodeCall } from '../../../src/execution/system/abi.js'
import { buildCheckpoint, encodeCheckpointCall, entryOfReceipt, signCheckpoint, type CheckpointEntry } from '../../../src/flow/checkpoint.js'
import { RESUBMIT_BLOCKS } from '../../../src/flow/watcher.js'
import { RECEIPT_DOMAIN_TAG, ZERO_HASH, receiptHash, receiptTotal, signReceipt, type FlowReceipt, type SignedReceipt } from '../../../src/flow/receipt.js'
import evidenceAbi from '../../../src/execution/system/abi/IEvidence.json' with { type: 'json' }
import { devAddress, devGenesis, devKey, startNode, type InProcessNode } from '../../helpers/inProcessNode.js'
import { hex, rejection, signedJson, toHex } from '../../helpers/flowChain.js'

const CYCLE_SEC = 6
const CHALLENGE_SEC = 30
const CHAIN_ID = 2100n
const evidence = new Interface(evidenceAbi)

const consumer = { key: devKey(1), address: devAddress(1) }
const provider = { key: devKey(2), address: devAddress(2) }
/** sends the bad checkpoint: anyone may, the committee's signatures are what count */
const outsider = devKey(9)

function entryOf(r: FlowReceipt, over: Partial<CheckpointEntry> = {}): CheckpointEntry {
  return { ...entryOfReceipt(r, 0n), ...over }
}

/** a signed EIP-1559 transaction from `key` into the pool over RPC; the next block is made by the test */
async function sendRaw(n: InProcessNode, key: Uint8Array, to: string, data: Uint8Array, value = 0n): Promise<string> {
  const wallet = new Wallet(toHex(key))
  const baseFee = BigInt((await n.rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas)
  const tip = 1_000_000_000n
  const raw = await wallet.signTransaction({
    type: 2,
    chainId: CHAIN_ID,
    nonce: Number(await n.rpc('eth_getTransactionCount', [wallet.address, 'pending'])),
    to,
    data: toHex(data),
    value,
    gasLimit: 2_000_000n,
    maxPriorityFeePerGas: tip,
    maxFeePerGas: 4n * baseFee + tip,
  })
  return n.rpc('eth_sendRawTransaction', [raw])
}

t.test('a committee node proves fraud in a pending checkpoint by itself', async (t) => {
  const genesis = devGenesis((g) => {
    g.params.flowCycleSec = CYCLE_SEC
    g.params.flowChallengeSec = CHALLENGE_SEC
    // the node is both the signer and the watcher here: the first proof slashes 10% of its
    // 100,000 NFC pledge, and at the default RN minimum (100,000) it would no longer be an active
    // RN, so Evidence would refuse its second proof. With a lower minimum it proves both entries.
    g.params.rnPledge = 50_000n * NFC
    // fraud proofs only: the node's own slice audits (their own test) would add transactions at random
    g.params.flowAuditBps = 0
  })
  const T = BigInt(genesis.timestamp)
  const n = await startNode(t, { genesis, witnessKey: devKey(0), now: () => Number(T) - 3_600_000 })
  const node = n.node
  const witness = devAddress(0)

  // the edge admits only a pledged provider whose consumer escrowed NB fuel for it: the provider
  // pledges as an edge node, the consumer buys NB and escrows some, all in block 1
  await sendRaw(n, provider.key, SYSTEM_CONTRACTS.nodeRegistry, encodeCall('pledge(uint8)', [3n]), genesis.params.enPledge)
  await sendRaw(n, consumer.key, SYSTEM_CONTRACTS.nb, encodeCall('convert()', []), NFC)
  await sendRaw(n, consumer.key, SYSTEM_CONTRACTS.nb, encodeCall('escrow(address,uint256)', [provider.address, 10n ** 16n]))
  // block 1 (cycle 0) draws cycle 0's committee; the service follows the head
  await n.produceBlock()
  await node.flow!.onHead()
  const side = await n.rpc('flow_getSideChain')
  t.equal(side.cycle, '0x0')
  t.same(side.committee, [witness], 'the dev witness is the committee')

  const base: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: CHAIN_ID,
    sessionId: new Uint8Array(32).fill(0x11),
    consumer: consumer.address,
    provider: provider.address,
    relays: [],
    seq: 1n,
    bytesUp: 1_000_000n,
    bytesDown: 4_000_000n,
    sampleRoot: new Uint8Array(32).fill(0x5a),
    prevReceiptHash: ZERO_HASH,
    cycle: 0n,
    expiryHeight: 1_000n,
  }
  // the provider forges the consumer's signature (signed by a key that is not the consumer's)
  const forged: SignedReceipt = { ...base, consumerSignature: signReceipt(base, devKey(5)), providerSignature: signReceipt(base, provider.key) }
  await rejection(t, n, signedJson(base, devKey(5), provider.key), 'FLOW_BAD_SIGNATURE', 'the forged receipt')
  const honest: FlowReceipt = { ...base, sessionId: new Uint8Array(32).fill(0x22), bytesDown: 2_000_000n }
  const accepted = await n.rpc('flow_submitReceipt', [signedJson(honest, consumer.key, provider.key)])
  t.equal(accepted.receiptHash, toHex(receiptHash(honest)), 'the honest receipt is taken')

  // block 2 opens cycle 1; block 3 carries the bad checkpoint of cycle 0, signed by the committee
  await n.produceBlock({ timestamp: T + BigInt(CYCLE_SEC) * 1000n })
  const cp = buildCheckpoint({
    cycle: 0n,
    prevCheckpoint: ZERO_HASH,
    entries: [entryOf(forged), entryOf(honest, { total: receiptTotal(honest) * 1000n })],
  })
  const calldata = encodeCheckpointCall(cp, [signCheckpoint(cp, CHAIN_ID, devKey(0))])
  const cpTx = await sendRaw(n, outsider, SYSTEM_CONTRACTS.flowRewards, encodeCall('submitCheckpoint(bytes)', [calldata]))
  const b3 = await n.produceBlock()
  t.equal((await n.rpc('eth_getTransactionReceipt', [cpTx])).status, '0x1', 'the bad checkpoint is on chain')
  const pending = await n.rpc('flow_getCheckpoint', ['0x0'])
  t.equal(pending.status, 'pending')
  t.same(
    pending.entries.map((e: { status: string }) => e.status),
    ['live', 'live'],
  )
  const endsAt = BigInt(pending.challengeEndsAt)

  // the node sees the checkpoint at its head and sends the proofs itself (the test sends none);
  // awaiting the service's per-head step (which the node runs on every block event; it is
  // serial, so this also waits for the one the block started) makes the wait exact
  await node.flow!.onHead()
  const proofs = node.txpool.content().pending.get(witness) ?? []
  t.equal(proofs.length, 2, 'one proof per bad entry, from the node key')
  for (const tx of proofs) t.equal(tx.to?.toString(), SYSTEM_CONTRACTS.evidence, 'sent to Evidence')
  await node.flow!.onHead()
  t.equal((node.txpool.content().pending.get(witness) ?? []).length, 2, 'not sent twice')

  const before = b3.block.header.number
  const b4 = await n.produceBlock()
  const at = b4.block.header.number
  t.ok(b4.block.header.timestamp < endsAt, 'the block is inside the challenge window')
  t.equal(b4.block.transactions.length, 2, 'the next block carries both proofs')

  const kinds: bigint[] = []
  let slashed = 0n
  let feeShare = 0n
  for (const tx of b4.block.transactions) {
    const hash = toHex(tx.hash())
    const sent = await n.rpc('eth_getTransactionByHash', [hash])
    t.equal(sent.from, witness, "the proof came from the node's own address")
    const r = await n.rpc('eth_getTransactionReceipt', [hash])
    t.equal(r.status, '0x1', 'the proof is accepted')
    for (const log of r.logs) {
      const ev = evidence.parseLog(log)!
      if (ev.name === 'FraudProven') kinds.push(ev.args.kind as bigint)
      if (ev.name === 'SignerPenalized') {
        t.equal((ev.args.signer as string).toLowerCase(), witness)
        slashed += ev.args.slashed as bigint
      }
    }
    feeShare += (BigInt(r.gasUsed) * (BigInt(r.effectiveGasPrice) - b4.block.header.baseFeePerGas!)) / 2n
  }
  t.same(kinds.sort(), [1n, 3n], 'BadSignature for the forged entry, Inflated for the inflated one')

  const voided = await n.rpc('flow_getCheckpoint', ['0x0'])
  t.equal(voided.status, 'voided', 'every entry voided')
  t.same(
    voided.entries.map((e: { status: string }) => e.status),
    ['voided', 'voided'],
  )

  // the signer: −100 trust (and +10 for producing block 4), evidenceSlashBps of its pledge
  const trust = async (b: bigint) => BigInt(await n.rpc('dpos_getTrust', [witness, hex(b)]))
  t.equal((await trust(at)) - (await trust(before)), TRUST_VIOLATION + TRUST_PRODUCED, 'the signer lost 100 trust')
  const pledge = async (b: bigint) => BigInt((await n.rpc('dpos_getCandidates', [hex(b)])).find((c: { address: string }) => c.address === witness).pledge)
  const pledgeBefore = await pledge(before)
  t.equal(slashed, (pledgeBefore * BigInt(genesis.params.evidenceSlashBps)) / 10_000n, 'evidenceSlashBps of the pledge')
  t.equal(pledgeBefore - (await pledge(at)), slashed, 'taken from the pledge')

  // the shared pool got the slice, besides its usual share of the block (10% of the block reward,
  // half the excess fees)
  const balance = async (a: string, b: bigint) => BigInt(await n.rpc('eth_getBalance', [a, hex(b)]))
  const reward = (await balance(POOLS.blockMining, before)) - (await balance(POOLS.blockMining, at))
  const shared = (await balance(POOLS.shared, at)) - (await balance(POOLS.shared, before))
  t.equal(shared, slashed + reward / 10n + feeShare, 'the slice went to the shared pool')
  t.equal(
    (await balance(SYSTEM_CONTRACTS.nodeRegistry, before)) - (await balance(SYSTEM_CONTRACTS.nodeRegistry, at)),
    slashed,
    'out of the NodeRegistry (the pledges)',
  )

  // later heads: the entries are voided, nothing more is sent
  await node.flow!.onHead()
  t.equal((node.txpool.content().pending.get(witness) ?? []).length, 0, 'no proof sent again')

  // RESUBMIT_BLOCKS later, the window still open: the proofs kept would be due again, but the
  // entries' status words (read at the head) say voided
  for (let i = 0n; i < RESUBMIT_BLOCKS; i++) await n.produceBlock()
  t.ok(node.chain.head.header.timestamp + BigInt(genesis.params.blockIntervalMs) < endsAt, 'the window is still open')
  await node.flow!.onHead()
  t.equal((node.txpool.content().pending.get(witness) ?? []).length, 0, 'not resent: voided')
})
