/**
 * flow_submitReceipt on a node outside the committee (no signing key): every check that needs no
 * session state — the parties (pledged provider, NB escrow) at the head state included — with its
 * -32000 "receipt rejected: …" error and data.code; a good receipt is
 * forwarded (height null) and gossiped. The committee path (side blocks, replay) is in
 * test/e2e/flowDevChain.test.ts and test/unit/flow/sideChain.test.ts.
 */
import t from 'tap'
import { RECEIPT_DOMAIN_TAG, ZERO_HASH, receiptHash, receiptToJson, signReceipt, type FlowReceipt } from '../../../../src/flow/receipt.js'
import { sideChainIdOf } from '../../../../src/flow/checkpoint.js'
import { EMPTY_SAMPLE_ROOT } from '../../../../src/flow/sampling.js'
import { Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../../../src/chain/systemAddresses.js'
import registryAbi from '../../../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import nbAbi from '../../../../src/execution/system/abi/INB.json' with { type: 'json' }
import { devAddress, devGenesis, devKey, startNode } from '../../../helpers/inProcessNode.js'
import { sendTx } from '../../../helpers/flowChain.js'
import { documented, rpcError } from './documented.js'

const toHex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex')

t.test('flow_submitReceipt', async (t) => {
  const n = await startNode(t)
  await n.produceBlock()
  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 2100n,
    sessionId: new Uint8Array(32).fill(3),
    consumer: devAddress(1),
    provider: devAddress(2),
    relays: [devAddress(4)],
    seq: 1n,
    bytesUp: 10n,
    bytesDown: 20n,
    sampleRoot: new Uint8Array(32).fill(9),
    prevReceiptHash: ZERO_HASH,
    cycle: 0n,
    expiryHeight: 100n,
  }
  const signed = (x: FlowReceipt, consumerKey = devKey(1)) =>
    receiptToJson({ ...x, consumerSignature: signReceipt(x, consumerKey), providerSignature: signReceipt(x, devKey(2)) })

  const rejected = async (receipt: unknown, code: string, what: string) => {
    const e = await rpcError(n, 'flow_submitReceipt', [receipt])
    t.equal(e.code, -32000, what)
    t.match(e.message, /^receipt rejected: /, what)
    t.same(e.data, { code }, `${what}: ${code}`)
  }
  // the parties at the edge, before anything is forwarded (DESIGN §12): a pledged provider, then
  // NB escrowed by the consumer for it
  await rejected(signed(r), 'FLOW_NOT_PLEDGED', 'a provider that never pledged')
  const { enPledge } = devGenesis().params
  await sendTx(n, devKey(2), SYSTEM_CONTRACTS.nodeRegistry, new Interface(registryAbi).encodeFunctionData('pledge', [3]), enPledge)
  await sendTx(n, devKey(1), SYSTEM_CONTRACTS.nb, new Interface(nbAbi).encodeFunctionData('convert', []), NFC)
  await n.produceBlock()
  await rejected(signed(r), 'FLOW_NO_ESCROW', 'a consumer that escrowed no NB for the provider')
  await sendTx(n, devKey(1), SYSTEM_CONTRACTS.nb, new Interface(nbAbi).encodeFunctionData('escrow', [devAddress(2), 10n ** 16n]))
  await n.produceBlock()

  const ok = await documented(t, n, 'flow_submitReceipt', [signed(r)])
  t.same(ok, { receiptHash: toHex(receiptHash(r)), sideChainId: toHex(sideChainIdOf(0n)), height: null }, 'forwarded: no side block here')

  await rejected({ ...signed(r), seq: '0x01' }, 'FLOW_BAD_FORMAT', 'a bad quantity')
  await rejected({ ...signed(r), extra: 1 }, 'FLOW_BAD_FORMAT', 'an unknown field')
  await rejected({ ...signed(r), relays: [1, 2, 3, 4, 5].map(devAddress) }, 'FLOW_TOO_MANY_RELAYS', 'five relays')
  await rejected(signed({ ...r, chainId: 1n }), 'FLOW_WRONG_CHAIN', 'another chain')
  await rejected(signed({ ...r, cycle: 5n }), 'FLOW_WRONG_CYCLE', 'another cycle')
  await rejected(signed({ ...r, expiryHeight: 0n }), 'FLOW_EXPIRED', 'expired')
  // the sampling floor: bytes claimed under the root of no slice could never answer an audit
  await rejected(signed({ ...r, sampleRoot: EMPTY_SAMPLE_ROOT }), 'FLOW_BAD_FORMAT', 'bytes with no sampled slice')
  await rejected(signed(r, devKey(7)), 'FLOW_BAD_SIGNATURE', 'forged consumer signature')
  await rejected({ ...signed(r), bytesDown: '0x999' }, 'FLOW_BAD_SIGNATURE', 'inflated after signing')

  const bad = await rpcError(n, 'flow_submitReceipt', ['0x12'])
  t.equal(bad.code, -32602, 'not an object: invalid params')
  t.equal((await rpcError(n, 'flow_submitReceipt', [])).code, -32602, 'missing receipt')
})
