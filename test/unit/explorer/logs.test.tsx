/**
 * The logs view against real transactions: a Staking.vote's Voted log decoded from the system ABI,
 * an NB.transfer's call and Transfer log (NB is decoded too), a Probe contract's logs raw without
 * its ABI (topics and 32-byte data words) and decoded with it, `r` for the raw parts of decoded
 * logs, and the view opened from the transaction's "Logs" line.
 */
import t from 'tap'
import { nbInterface } from '../../../src/explorer/decode.js'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { probeContract } from '../../helpers/inProcessNode.js'
import { addContractTxs, chainWithTransfer, devAddress, KEY, press, renderApp, send, waitFrame } from './harness.js'

t.test('logs view: decoded when an ABI knows the event, raw otherwise', async (t) => {
  const { n } = await chainWithTransfer(t)
  const txs = await addContractTxs(n)

  const vote = renderApp(t, { rpc: n.url, screens: [{ kind: 'logs', hash: txs.vote }] })
  let f = await waitFrame(vote, ['Logs of', 'Staking.Voted'])
  t.match(f, /0: 0x0000000000000000000000000000000000001000\s+\(Staking\)/, 'the emitting contract, named')
  t.match(f, new RegExp(`candidate \\(address\\) = ${devAddress(0)}`, 'i'), 'a decoded argument')
  t.notMatch(f, /topic0/, 'no raw topics for a decoded log')
  await press(vote, 'r')
  f = await waitFrame(vote, /topic0 0x[0-9a-f]{64}/)
  t.pass('r shows the raw topics of decoded logs too')
  vote.unmount()

  const raw = renderApp(t, { rpc: n.url, screens: [{ kind: 'logs', hash: txs.store }] })
  f = await waitFrame(raw, ['Logs of', 'no ABI knows this event'])
  t.match(f, /topic0 0x[0-9a-f]{64}/, 'the topics, whole')
  t.match(f, /data\[0\] [0-9a-f]{64}/, 'the data in 32-byte words')
  t.ok(
    f.split('\n').every((l) => l.length <= 100),
    'every line fits the width',
  )
  raw.unmount()

  const decoded = renderApp(t, { rpc: n.url, abis: [{ name: 'Probe', abi: probeContract().abi as never }], screens: [{ kind: 'logs', hash: txs.store }] })
  f = await waitFrame(decoded, ['Probe.Stored'])
  t.notMatch(f, /no ABI knows this event/, 'with --abi the Probe logs are decoded')
})

t.test('an NB call and its Transfer log are decoded; the transaction opens its logs', async (t) => {
  const { n } = await chainWithTransfer(t)
  const hash = await send(n, 0, { to: SYSTEM_CONTRACTS.nb, data: nbInterface.encodeFunctionData('transfer', [devAddress(1), 0n]), gasLimit: 200_000n })
  await n.produceBlock()
  const r = renderApp(t, { rpc: n.url, screens: [{ kind: 'tx', hash }] })
  let f = await waitFrame(r, ['Status', 'Input: NB.transfer(address,uint256)'])
  t.match(f, new RegExp(`to \\(address\\) = ${devAddress(1)}`, 'i'), 'the NB call decoded')
  t.match(f, /Status\s+success/, 'a zero NB transfer succeeds')
  t.match(f, /NB\.Transfer/, 'its Transfer log decoded')
  // the last selectable line is "Logs (n)": open it
  await press(r, 'G')
  await waitFrame(r, /▶ Logs \(1\)/)
  await press(r, KEY.enter)
  f = await waitFrame(r, ['Logs of', 'NB.Transfer'])
  t.match(f, /\(NB\)/, 'the logs view, NB named')
  t.match(f, /value \(uint256\) = 0/, 'the Transfer value')
  await press(r, KEY.esc)
  await waitFrame(r, 'Input: NB.transfer')
  t.pass('Esc goes back to the transaction')
})
