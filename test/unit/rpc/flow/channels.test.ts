/**
 * flow_getChannel and flow_getChannels on an in-process dev chain: a channel opened by a real
 * transaction, read back in the shape rpc/openrpc.json documents; null for an unknown id, an
 * empty list for an address without channels, paging with `start`, and bad params refused.
 * The whole life of a channel over a node process is test/e2e/paymentChannels.test.ts.
 */
import t from 'tap'
import { Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../../../src/chain/systemAddresses.js'
import { devAddress, devKey, startNode } from '../../../helpers/inProcessNode.js'
import { sendTx } from '../../../helpers/flowChain.js'
import { abiJson } from '../../../helpers/systemVm.js'
import { documented, rpcError } from './documented.js'

const nb = new Interface(abiJson('INB') as never)
const pc = new Interface(abiJson('IPaymentChannels') as never)
const NB = 10n ** 18n
const hex = (n: bigint) => '0x' + n.toString(16)

t.test('flow_getChannel / flow_getChannels', async (t) => {
  const n = await startNode(t)
  const consumer = devAddress(1)
  const provider = devAddress(2)
  await sendTx(n, devKey(1), SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), 100n * NFC)
  await n.produceBlock()
  await sendTx(n, devKey(1), SYSTEM_CONTRACTS.paymentChannels, pc.encodeFunctionData('open', [provider, 3n * NB]))
  await n.produceBlock()
  await sendTx(n, devKey(1), SYSTEM_CONTRACTS.paymentChannels, pc.encodeFunctionData('open', [provider, NB]))
  await n.produceBlock()

  const one = {
    id: '0x1',
    consumer,
    provider,
    deposit: hex(3n * NB),
    redeemed: '0x0',
    available: hex(3n * NB),
    closeAt: '0x0',
    status: 'open',
  }
  t.same(await documented(t, n, 'flow_getChannel', ['0x1']), one, 'the channel as opened')
  t.equal(await documented(t, n, 'flow_getChannel', ['0x3']), null, 'unknown id')
  t.equal(await documented(t, n, 'flow_getChannel', ['0x0']), null, 'id 0 is never given')
  const two = { ...one, id: '0x2', deposit: hex(NB), available: hex(NB) }
  t.same(await documented(t, n, 'flow_getChannels', [consumer]), { total: '0x2', channels: [one, two] }, "the consumer's")
  t.same(await documented(t, n, 'flow_getChannels', [provider, '0x1']), { total: '0x2', channels: [two] }, "the provider's, from position 1")
  t.same(await documented(t, n, 'flow_getChannels', [devAddress(3)]), { total: '0x0', channels: [] }, 'none')

  t.equal((await rpcError(n, 'flow_getChannel', [1])).code, -32602, 'a JSON number id')
  t.equal((await rpcError(n, 'flow_getChannel', [])).code, -32602, 'no id')
  t.equal((await rpcError(n, 'flow_getChannels', ['0x12'])).code, -32602, 'a short address')
  t.equal((await rpcError(n, 'flow_getChannels', [consumer, '0x' + 'f'.repeat(17)])).code, -32602, 'start above 64 bits')
})
