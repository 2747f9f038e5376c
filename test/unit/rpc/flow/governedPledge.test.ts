/**
 * Read-only views follow governance: on an in-process dev node (2 s flow cycles, a 3 s vote, a 1 s
 * timelock) a provider pledged at the genesis EN minimum has its receipt accepted by
 * flow_submitReceipt; once a proposal doubling enPledge has executed, the same receipt is refused
 * as FLOW_NOT_PLEDGED — the flow edge reads the minimum in force, not the genesis one — while the
 * block before the change still shows the genesis value (nfc_getParams at that block).
 */
import t from 'tap'
import { Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../../../src/chain/systemAddresses.js'
import registryAbi from '../../../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import nbAbi from '../../../../src/execution/system/abi/INB.json' with { type: 'json' }
import governanceAbi from '../../../../src/execution/system/abi/IGovernance.json' with { type: 'json' }
import { RECEIPT_DOMAIN_TAG, ZERO_HASH, type FlowReceipt } from '../../../../src/flow/receipt.js'
import { devAddress, devGenesis, devKey, startNode } from '../../../helpers/inProcessNode.js'
import { sendTx, signedJson } from '../../../helpers/flowChain.js'
import { rpcError } from './documented.js'

const G = new Interface(governanceAbi)
const EXECUTED = 1n

t.test('flow_submitReceipt reads the EN pledge in force after a governance change', async (t) => {
  const genesis = devGenesis((g) => Object.assign(g.params, { flowCycleSec: 2, govVotingSec: 3, govTimelockSec: 1 }))
  const n = await startNode(t, { genesis })
  await n.produceBlock()
  const { enPledge } = genesis.params
  await sendTx(n, devKey(2), SYSTEM_CONTRACTS.nodeRegistry, new Interface(registryAbi).encodeFunctionData('pledge', [3]), enPledge)
  await sendTx(n, devKey(1), SYSTEM_CONTRACTS.nb, new Interface(nbAbi).encodeFunctionData('convert', []), NFC)
  await n.produceBlock()
  await sendTx(n, devKey(1), SYSTEM_CONTRACTS.nb, new Interface(nbAbi).encodeFunctionData('escrow', [devAddress(2), 10n ** 16n]))
  await n.produceBlock()

  let seq = 0n
  const receipt = async (): Promise<unknown> => {
    const cycle = BigInt((await n.rpc('flow_getStats', [])).cycle)
    const r: FlowReceipt = {
      domainTag: RECEIPT_DOMAIN_TAG,
      chainId: 2100n,
      sessionId: new Uint8Array(32).fill(7),
      consumer: devAddress(1),
      provider: devAddress(2),
      relays: [],
      seq: ++seq,
      bytesUp: 10n,
      bytesDown: 20n * seq,
      sampleRoot: new Uint8Array(32).fill(9),
      prevReceiptHash: ZERO_HASH,
      cycle,
      expiryHeight: 10_000n,
    }
    return signedJson(r, devKey(1), devKey(2))
  }
  const accepted = await n.rpc('flow_submitReceipt', [await receipt()])
  t.equal(accepted.height, null, 'at the genesis minimum: forwarded')

  // the dev witness (the only staker) proposes twice the EN pledge and votes for it
  await sendTx(n, devKey(0), SYSTEM_CONTRACTS.governance, G.encodeFunctionData('proposeParam', ['enPledge', 2n * enPledge]))
  await n.produceBlock()
  await sendTx(n, devKey(0), SYSTEM_CONTRACTS.governance, G.encodeFunctionData('vote', [0n, true]))
  await n.produceBlock()
  const status = async () => {
    const data = await n.rpc('eth_call', [{ to: SYSTEM_CONTRACTS.governance, data: G.encodeFunctionData('proposal', [0n]) }, 'latest'])
    return G.decodeFunctionResult('proposal', data)[11] as bigint
  }
  for (let i = 0; i < 20 && (await status()) !== EXECUTED; i++) await n.produceBlock()
  t.equal(await status(), EXECUTED, 'executed at a cycle boundary after the vote and the timelock')

  const params = await n.rpc('nfc_getParams', [])
  const en = params.params.find((p: { name: string }) => p.name === 'enPledge')
  t.equal(BigInt(en.value), 2n * enPledge, 'nfc_getParams: the new minimum in force')
  const executedAt = BigInt(en.history[0].block)
  const before = await n.rpc('nfc_getParams', ['0x' + (executedAt - 1n).toString(16)])
  t.equal(BigInt(before.params.find((p: { name: string }) => p.name === 'enPledge').value), enPledge, 'the block before: the genesis value')

  const e = await rpcError(n, 'flow_submitReceipt', [await receipt()])
  t.equal(e.code, -32000)
  t.same(e.data, { code: 'FLOW_NOT_PLEDGED' }, 'below the governed minimum: not a pledged provider any more')
})
