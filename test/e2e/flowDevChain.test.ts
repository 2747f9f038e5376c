/**
 * PoVF end to end on one in-process dev node (the producer running on the real clock): the
 * dev witness (an RN) is the committee of every flow cycle. An EN provider pledges, a consumer
 * converts NFC to NB for fuel and escrows part of it for the provider, honest receipts go in over flow_submitReceipt; a replay, a forged
 * consumer signature and an inflated provider claim are refused with their codes; at the cycle
 * end the node signs and submits the checkpoint itself, the chain applies it after the challenge
 * window, and the provider's locked reward is the hand-computed one. The supply stays 2.1 G NFC.
 *
 * Waits are on chain events (a new head), never on sleeps.
 */
import t from 'tap'
import { Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../src/chain/systemAddresses.js'
import { RECEIPT_DOMAIN_TAG, ZERO_HASH, receiptHash, type FlowReceipt } from '../../src/flow/receipt.js'
import { trafficReward } from '../../src/consensus/povf/curve.js'
import { fuelOwed } from '../../src/flow/fuel.js'
import { rewardCap, valueBytes } from '../../src/consensus/povf/valuing.js'
import { splitTrafficReward } from '../../src/consensus/povf/split.js'
import registryAbi from '../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import nbAbi from '../../src/execution/system/abi/INB.json' with { type: 'json' }
import { devAddress, devGenesis, devKey, startNode } from '../helpers/inProcessNode.js'
import { hex, nextCycle, rejection, send, sideChainOf, signedJson, toHex, untilApplied } from '../helpers/flowChain.js'

const registry = new Interface(registryAbi)
const nb = new Interface(nbAbi)
const CYCLE_SEC = 6
const CHALLENGE_SEC = 2
const EN = 3 // Role.EN
/** NB wei the consumer escrows for its provider: less than the fuel, so both sources pay */
const ESCROW = 3n * 10n ** 16n

const consumer = { key: devKey(1), address: devAddress(1) }
const provider = { key: devKey(2), address: devAddress(2) }

t.test('receipts → side-chain → checkpoint → rewards on a dev chain', async (t) => {
  const genesis = devGenesis((g) => {
    // cycles count from genesis: start them now so the first blocks are in cycle 0
    g.timestamp = Math.floor(Date.now() / 1000) * 1000
    g.params.flowCycleSec = CYCLE_SEC
    g.params.flowChallengeSec = CHALLENGE_SEC
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  const p = genesis.params

  // an EN provider and a consumer with NB fuel (convert: the consumer holds > 1,000 NFC)
  const pledged = await send(n, provider.key, SYSTEM_CONTRACTS.nodeRegistry, registry.encodeFunctionData('pledge', [EN]), p.enPledge)
  t.equal(pledged.status, '0x1', 'provider pledged as EN')
  const converted = await send(n, consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), 1n * NFC)
  t.equal(converted.status, '0x1', 'consumer converted 1 NFC to NB')
  // part of the fuel in escrow for this provider: the engine burns from it first, the rest from the balance
  const escrowed = await send(n, consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('escrow', [provider.address, ESCROW]))
  t.equal(escrowed.status, '0x1', 'consumer escrowed 0.03 NB for the provider')

  // a fresh cycle, so every receipt below lands in it
  const cycle = await nextCycle(n, BigInt((await n.rpc('flow_getStats')).cycle))
  const side = await sideChainOf(n, cycle)
  t.equal(BigInt(side.cycle), cycle, 'the side-chain of the new cycle')
  t.same(side.committee, [devAddress(0)], 'the dev witness is the committee')

  const head = BigInt(await n.rpc('eth_blockNumber'))
  const base: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 2100n,
    sessionId: new Uint8Array(32).fill(7),
    consumer: consumer.address,
    provider: provider.address,
    relays: [],
    seq: 1n,
    bytesUp: 1_000_000_000n,
    bytesDown: 2_000_000_000n,
    sampleRoot: new Uint8Array(32).fill(0x5a),
    prevReceiptHash: ZERO_HASH,
    cycle,
    expiryHeight: head + 1000n,
  }
  const sign = (r: FlowReceipt, consumerKey = consumer.key) => signedJson(r, consumerKey, provider.key)

  const first = sign(base)
  const a1 = await n.rpc('flow_submitReceipt', [first])
  t.equal(a1.receiptHash, toHex(receiptHash(base)))
  t.equal(a1.height, '0x1', 'in side block 1')
  const r2: FlowReceipt = { ...base, seq: 2n, bytesUp: 1_500_000_000n, bytesDown: 3_500_000_000n, prevReceiptHash: receiptHash(base) }
  const a2 = await n.rpc('flow_submitReceipt', [sign(r2)])
  t.equal(a2.height, '0x2', 'in side block 2')

  await rejection(t, n, first, 'FLOW_REPLAY', 'a replayed receipt')
  const r3: FlowReceipt = { ...r2, seq: 3n, bytesDown: 4_000_000_000n, prevReceiptHash: receiptHash(r2) }
  await rejection(t, n, sign(r3, devKey(5)), 'FLOW_BAD_SIGNATURE', 'a forged consumer signature')
  // the provider raises the total after both signed: the signatures no longer cover it
  await rejection(t, n, { ...sign(r3), bytesDown: hex(40_000_000_000n) }, 'FLOW_BAD_SIGNATURE', 'an inflated provider claim')

  const session = await n.rpc('flow_getSession', [toHex(base.sessionId)])
  t.equal(session.lastSeq, '0x2')
  t.equal(session.lastTotal, hex(5_000_000_000n))
  t.equal(session.settledSeq, '0x0')
  t.same(session.escrow, { amount: hex(ESCROW), releaseAt: '0x0' }, "the pair's escrow, untouched before application")

  // the cycle ends → checkpoint submitted by this node → applied after the challenge window
  const applied = await untilApplied(n, cycle)
  t.equal(applied.totalBytes, hex(5_000_000_000n))
  t.same(applied.signers, [devAddress(0)])
  t.equal(applied.entries.length, 1)
  t.same(await n.rpc('flow_getCheckpoint', [(await n.rpc('flow_getSideChain', [hex(cycle)])).sideChainId]), applied, 'by sideChainId too')
  const settled = await n.rpc('flow_getSession', [toHex(base.sessionId)])
  t.equal(settled.settledSeq, '0x2')
  t.equal(settled.settledTotal, hex(5_000_000_000n))
  t.same(settled.escrow, { amount: '0x0', releaseAt: '0x0' }, 'the fuel emptied the escrow first')

  // Hand-computed, first traffic of the chain (B = 0), defaults L = 10^10, fuel 10^16 NB wei/GB,
  // price 10^17 NB wei/NFC, cap 10,000 bps:
  //   counted b = 5·10^9 bytes ≤ L → value = 5·10^9
  //   fuel owed ⌈5·10^9 × 10^16 / 10^9⌉ = 5·10^16 NB wei ≤ the consumer's 10^17 (1 NFC × 0.1) → burned 5·10^16
  //   cap ⌊5·10^16 × 10^4 × 10^18 / (10^17 × 10^4)⌋ = 5·10^17 wei (0.5 NFC)
  //   M(5·10^9) − M(0) = ⌊5·10^9 × I(1) / 10^18⌋ ≈ 5·10^9 × 1.79·10^7 ≈ 8.95·10^16 wei < cap
  //   provider = ⌊r × 9000 / 10000⌋ (no relays: the other 10% go to the shared pool)
  const b = 5_000_000_000n
  t.equal(valueBytes(b, p.flowLogThresholdBytes), b)
  const burned = fuelOwed(b, p.fuelPricePerGb)
  t.equal(burned, 5n * 10n ** 16n)
  // 10^17 NB bought; 3·10^16 escrowed and burned from the escrow, the other 2·10^16 from the balance
  const nbLeft = nb.decodeFunctionResult(
    'balanceOf',
    await n.rpc('eth_call', [{ to: SYSTEM_CONTRACTS.nb, data: nb.encodeFunctionData('balanceOf', [consumer.address]) }, 'latest']),
  )[0] as bigint
  t.equal(nbLeft, 10n ** 17n - burned, 'the consumer paid the rest of the fuel from its balance')
  const cap = rewardCap(burned, BigInt(p.flowCapFactorBps), p.nfcPriceNb)
  t.equal(cap, 5n * 10n ** 17n)
  const r = trafficReward(0n, b)
  t.ok(r < cap, 'the curve, not the cap, decides')
  const expected = splitTrafficReward(r, 0).provider
  const rewards = await n.rpc('flow_getRewards', [provider.address])
  t.equal(BigInt(rewards.locked), expected, `provider locked reward ${expected} wei`)
  t.equal(rewards.withdrawable, '0x0')

  const stats = await n.rpc('flow_getStats')
  t.equal(stats.cumulativeBytes, hex(b))
  t.equal(stats.checkpoints, '0x1')
  t.equal(stats.topProviders[0].address, provider.address)

  const supply = await n.rpc('nfc_getSupply')
  t.equal(BigInt(supply.total), TOTAL_SUPPLY)
  t.equal(TOTAL_SUPPLY, 2_100_000_000n * NFC)
  const pools = Object.values(supply.pools as Record<string, string>).reduce((s, v) => s + BigInt(v), 0n)
  t.equal(BigInt(supply.burned) + pools + BigInt(supply.locked) + BigInt(supply.circulating), 2_100_000_000n * NFC, 'every NFC accounted for')
})
