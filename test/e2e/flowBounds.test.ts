/**
 * Issue 21 — "one key pair halts the main chain for good" — tried as the attacker did, on an
 * in-process dev chain whose producer runs on the real clock (the dev witness is the committee):
 *
 * 1. at the edge: a provider key with no funds at all, a consumer without NB escrow, and a
 *    double-signed receipt whose running total is 2^256−1 are each refused with their code;
 * 2. on chain: a checkpoint carrying that 2^256−1 entry anyway (signed by the committee key: what
 *    a committee that took it before the bound existed would submit) lands for one cycle, then an
 *    honest 1,000-byte receipt of the same provider goes through the node in the next. Both
 *    checkpoints are applied — the unbounded entry voided, the honest one paid — and the chain keeps
 *    producing past them (the old code failed every slot from that block on).
 *
 * A node already halted this way (a provider total of 2^256−1 in its state) is the engine test
 * "a chain halted by an unbounded total recovers". Waits are on chain events, never on sleeps.
 */
import t from 'tap'
import { Interface, Wallet } from 'ethers'
import { hexToBytes } from '@ethereumjs/util'
import { NFC, SYSTEM_CONTRACTS } from '../../src/chain/systemAddresses.js'
import { encodeCall } from '../../src/execution/system/abi.js'
import { buildCheckpoint, encodeCheckpointCall, signCheckpoint } from '../../src/flow/checkpoint.js'
import { RECEIPT_DOMAIN_TAG, ZERO_HASH, receiptHash, type FlowReceipt } from '../../src/flow/receipt.js'
import registryAbi from '../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import nbAbi from '../../src/execution/system/abi/INB.json' with { type: 'json' }
import { devAddress, devGenesis, devKey, startNode } from '../helpers/inProcessNode.js'
import { hex, nextCycle, rejection, send, sideChainOf, signedJson, toHex, untilApplied, untilHead } from '../helpers/flowChain.js'

const registry = new Interface(registryAbi)
const nb = new Interface(nbAbi)
const EN = 3
const MAX_U256 = 2n ** 256n - 1n

const consumer = { key: devKey(1), address: devAddress(1) }
const provider = { key: devKey(2), address: devAddress(2) }
/** a consumer that never escrowed anything */
const unfunded = { key: devKey(3), address: devAddress(3) }
/** a provider key nobody ever funded */
const strangerKey = hexToBytes(`0x${'5a'.repeat(32)}`)
const stranger = { key: strangerKey, address: new Wallet(toHex(strangerKey)).address.toLowerCase() }

t.test('one key pair can no longer halt the chain with an overflowing receipt', async (t) => {
  const genesis = devGenesis((g) => {
    g.timestamp = Math.floor(Date.now() / 1000) * 1000
    g.params.flowCycleSec = 6
    g.params.flowChallengeSec = 2
    // the node's own watcher proves the unbounded entry wrong (it saw the refused receipt) and the
    // committee signer — the only witness — loses 10% of its 100,000 NFC pledge: at the default RN
    // minimum it would stop being a witness and this one-node chain would have no producer left
    g.params.rnPledge = 50_000n * NFC
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  const p = genesis.params

  t.equal(
    (await send(n, provider.key, SYSTEM_CONTRACTS.nodeRegistry, registry.encodeFunctionData('pledge', [EN]), p.enPledge)).status,
    '0x1',
    'provider pledged as EN',
  )
  t.equal((await send(n, consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), NFC)).status, '0x1', 'consumer bought NB')
  t.equal(
    (await send(n, consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('escrow', [provider.address, 5n * 10n ** 16n]))).status,
    '0x1',
    'and escrowed it',
  )

  const cycle = await nextCycle(n, BigInt((await n.rpc('flow_getStats')).cycle))
  await sideChainOf(n, cycle)
  const head = BigInt(await n.rpc('eth_blockNumber'))
  const base: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 2100n,
    sessionId: new Uint8Array(32).fill(0xee),
    consumer: consumer.address,
    provider: provider.address,
    relays: [],
    seq: 1n,
    bytesUp: MAX_U256,
    bytesDown: 0n,
    sampleRoot: new Uint8Array(32).fill(1),
    prevReceiptHash: ZERO_HASH,
    cycle,
    expiryHeight: head + 1000n,
  }

  // 1. the edge
  await rejection(t, n, signedJson(base, consumer.key, provider.key), 'FLOW_OUT_OF_BOUNDS', 'a running total of 2^256−1')
  await rejection(
    t,
    n,
    signedJson({ ...base, bytesUp: 2n ** 64n, sessionId: new Uint8Array(32).fill(0xef) }, consumer.key, provider.key),
    'FLOW_OUT_OF_BOUNDS',
    'a running total of 2^64',
  )
  const small = { ...base, bytesUp: 1_000n }
  await rejection(t, n, signedJson({ ...small, provider: stranger.address }, consumer.key, stranger.key), 'FLOW_NOT_PLEDGED', 'a provider key with no funds')
  await rejection(t, n, signedJson({ ...small, consumer: unfunded.address }, unfunded.key, provider.key), 'FLOW_NO_ESCROW', 'a consumer without NB escrow')
  t.equal((await n.rpc('flow_getSideChain')).receipts, '0x0', 'none of them reached the side-chain')

  // 2. the chain: cycle `cycle` gets a checkpoint with the 2^256−1 entry, signed by the committee
  const next = await nextCycle(n, cycle)
  const bad = buildCheckpoint({
    cycle,
    prevCheckpoint: ZERO_HASH,
    entries: [
      {
        sessionId: base.sessionId,
        consumer: base.consumer,
        provider: base.provider,
        relays: [],
        seq: 1n,
        prevTotal: 0n,
        total: MAX_U256,
        sampleRoot: base.sampleRoot,
        receiptHash: receiptHash(base),
      },
    ],
  })
  const calldata = encodeCheckpointCall(bad, [signCheckpoint(bad, 2100n, devKey(0))])
  const submitted = await send(n, devKey(9), SYSTEM_CONTRACTS.flowRewards, toHex(encodeCall('submitCheckpoint(bytes)', [calldata])))
  t.equal(submitted.status, '0x1', 'the unbounded checkpoint is on chain')

  // … and the next cycle an honest 1,000-byte receipt of the same provider goes through the node
  await sideChainOf(n, next)
  const honest: FlowReceipt = { ...small, sessionId: new Uint8Array(32).fill(0xaa), cycle: next, expiryHeight: BigInt(await n.rpc('eth_blockNumber')) + 1000n }
  const taken = await n.rpc('flow_submitReceipt', [signedJson(honest, consumer.key, provider.key)])
  t.equal(taken.height, '0x1', 'the honest receipt is in side block 1')

  // voided by the watcher's fraud proof inside the window, or else at application by the bound
  const first = await untilHead(
    n,
    async () => {
      const cp = await n.rpc('flow_getCheckpoint', [hex(cycle)])
      return cp !== null && cp.status !== 'pending' ? cp : undefined
    },
    `the checkpoint of cycle ${cycle} settled`,
  )
  t.same(
    first.entries.map((e: { status: string }) => e.status),
    ['voided'],
    'the 2^256−1 entry is voided',
  )
  const second = await untilApplied(n, next)
  t.equal(second.totalBytes, hex(1_000n), 'the next cycle: the honest 1,000 bytes')
  const appliedAt = BigInt(await n.rpc('eth_blockNumber'))
  const later = await untilHead(
    n,
    async () => {
      const h = BigInt(await n.rpc('eth_blockNumber'))
      return h >= appliedAt + 3n ? h : undefined
    },
    'three more blocks after both checkpoints applied',
  )
  t.ok(later >= appliedAt + 3n, 'the chain keeps producing')
  const stats = await n.rpc('flow_getStats')
  const top = stats.topProviders.find((x: { address: string }) => x.address === provider.address)
  t.equal(BigInt(top.bytes), 1_000n, 'the provider counts the honest 1,000 bytes, not 2^256−1')
  t.equal(await n.rpc('flow_getSession', [toHex(base.sessionId)]), null, 'the refused session never entered the side-chain')
})
