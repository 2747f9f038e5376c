/**
 * Transaction detail against real transactions: a Staking.vote decoded with the system ABI (its
 * Voted log too), a Probe.store decoded with an ABI given like `--abi`, and a failed Probe.fail
 * with its revert reason from the geth-style re-run.
 */
import t from 'tap'
import { probeContract } from '../../helpers/inProcessNode.js'
import { addContractTxs, chainWithTransfer, devAddress, press, renderApp, waitFrame } from './harness.js'

t.test('transaction detail decodes system calls, --abi calls and logs, and shows why a tx failed', async (t) => {
  const { n } = await chainWithTransfer(t)
  const txs = await addContractTxs(n)
  const abis = [{ name: 'Probe', abi: probeContract().abi as never }]

  const vote = renderApp(t, { rpc: n.url, abis, screens: [{ kind: 'tx', hash: txs.vote }] })
  let f = await waitFrame(vote, ['Status', 'success', 'Input: Staking.vote(address,uint256)'])
  t.match(f, /To\s+0x0000000000000000000000000000000000001000\s+\(Staking\)/, 'to: the Staking system contract, named')
  t.match(f, new RegExp(`candidate \\(address\\) = ${devAddress(0)}`, 'i'), 'decoded argument: candidate')
  t.match(f, /amount \(uint256\) = 1000000000000000000000/, 'decoded argument: amount')
  t.match(f, /Value\s+1,000 NFC/, 'value')
  t.match(f, /Logs \(1\)/, 'one log')
  t.match(f, /Staking\.Voted/, 'the Voted event, decoded')
  vote.unmount()

  const store = renderApp(t, { rpc: n.url, abis, screens: [{ kind: 'tx', hash: txs.store }] })
  f = await waitFrame(store, ['success', 'Input: Probe.store(uint256)'])
  t.match(f, /v \(uint256\) = 77/, 'the --abi call decoded')
  t.match(f, /Probe\.Stored/, 'Stored event decoded')
  // the Ping log is below the 24-row screen: G scrolls to the end
  await press(store, 'G')
  f = await waitFrame(store, /Probe\.Ping/)
  t.match(f, /x = 78/, 'Ping event decoded')
  store.unmount()

  const fail = renderApp(t, { rpc: n.url, abis, screens: [{ kind: 'tx', hash: txs.fail }] })
  f = await waitFrame(fail, ['Status', 'failed', 'Revert reason'])
  t.match(f, /Revert reason\s+no way/, 'the revert reason, from the eth_call re-run')
  t.match(f, /Input: Probe\.fail\(string\)/, 'input decoded')
  fail.unmount()

  // without the ABI, the input is shown raw
  const raw = renderApp(t, { rpc: n.url, screens: [{ kind: 'tx', hash: txs.store }] })
  f = await waitFrame(raw, /Input \(36 bytes, no ABI knows it\)/)
  t.match(f, /topic0 0x[0-9a-f]{8}/, 'undecoded log topics shown raw')
})

t.test('an unknown transaction hash says so', async (t) => {
  const { n } = await chainWithTransfer(t)
  const hash = '0x' + 'ab'.repeat(32)
  const r = renderApp(t, { rpc: n.url, screens: [{ kind: 'tx', hash }] })
  await waitFrame(r, `no transaction ${hash}`)
  t.pass('not found')
})
