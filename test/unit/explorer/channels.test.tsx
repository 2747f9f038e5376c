/**
 * Channels view against a real in-process node: 21 payment channels from one consumer to one
 * provider and one to another, one of them closing. The Channels tab (key 8) lists them newest
 * first, 20 a page (n / p); Enter opens a channel (parties, deposit, redeemed, available, closing
 * time); the second provider's account links to its one channel.
 */
import t from 'tap'
import { Interface } from 'ethers'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { startNode } from '../../helpers/inProcessNode.js'
import { abiJson } from '../../helpers/systemVm.js'
import { devAddress, KEY, NFC, press, renderApp, search, send, waitFrame } from './harness.js'

const nb = new Interface(abiJson('INB') as never)
const pc = new Interface(abiJson('IPaymentChannels') as never)
const NB = 10n ** 18n

t.test('the Channels tab: newest first, paged; a channel; an account links to its channels', async (t) => {
  const n = await startNode(t)
  const consumer = devAddress(1)
  const sendOk = async (from: number, to: string, data: string, value = 0n) => {
    const hash = await send(n, from, { to, data, value, gasLimit: 500_000n })
    return hash
  }
  await sendOk(1, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), 1_000n * NFC)
  await n.produceBlock()
  const hashes = []
  // #1 … #20 to dev 2 (1 NB each), #21 (3 NB) to dev 3, #22 to dev 2
  for (let i = 0; i < 20; i++) hashes.push(await sendOk(1, SYSTEM_CONTRACTS.paymentChannels, pc.encodeFunctionData('open', [devAddress(2), NB])))
  hashes.push(await sendOk(1, SYSTEM_CONTRACTS.paymentChannels, pc.encodeFunctionData('open', [devAddress(3), 3n * NB])))
  hashes.push(await sendOk(1, SYSTEM_CONTRACTS.paymentChannels, pc.encodeFunctionData('open', [devAddress(2), NB])))
  await n.produceBlock()
  hashes.push(await sendOk(1, SYSTEM_CONTRACTS.paymentChannels, pc.encodeFunctionData('close', [21n])))
  await n.produceBlock()
  for (const h of hashes) t.equal((await n.rpc('eth_getTransactionReceipt', [h])).status, '0x1', 'included')

  const r = renderApp(t, { rpc: n.url })
  await waitFrame(r, 'Chain id')
  await press(r, '8')
  let f = await waitFrame(r, ['Payment channels (22)', '#22'])
  t.match(f, /8 Channels/, 'key 8')
  // the addresses abbreviated to the room there is ("0x7099797…7dc79c8")
  const a = (address: string) => `${address.slice(0, 8)}[0-9a-f]*…[0-9a-f]*${address.slice(-6)}`
  t.match(f, new RegExp(`#22\\s+open\\s+${a(consumer)}\\s+${a(devAddress(2))}\\s+1 NB\\s+0 NB`), 'the newest: parties, deposit, redeemed')
  t.match(f, new RegExp(`#21\\s+closing, in 1d 00h\\s+${a(consumer)}\\s+${a(devAddress(3))}\\s+3 NB`), 'the closing one, with the time left at the chain time')
  t.ok(f.indexOf('#22') < f.indexOf('#21'), 'newest first')
  t.notMatch(f, /#2\s+open/, 'the oldest are on page 2')
  await press(r, 'G')
  f = await waitFrame(r, /page 1 \(n next\)/)
  await press(r, 'n')
  f = await waitFrame(r, ['#1 ', 'page 2 (p back)'])
  t.match(f, /#2\s+open/)
  t.notMatch(f, /#3\s+open/, 'page 2 holds #2 and #1')
  await press(r, 'p')
  f = await waitFrame(r, /#22\s+open/)
  t.pass('p goes back to page 1')

  // #21 is the second row
  await press(r, 'g', 'j', KEY.enter)
  f = await waitFrame(r, ['Payment channel #21', 'Closing'])
  t.match(f, /Status\s+closing, in/)
  t.match(f, new RegExp(`Consumer\\s+${consumer}`))
  t.match(f, new RegExp(`Provider\\s+${devAddress(3)}`))
  t.match(f, /Deposit\s+3 NB/)
  t.match(f, /Redeemed\s+0 NB by the provider/)
  t.match(f, /Available\s+3 NB/)
  t.match(f, /Closing\s+withdrawable from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in /)

  // the second provider's account: its channels
  await search(r, devAddress(3))
  f = await waitFrame(r, /Channels\s+as consumer or provider ›/)
  await press(r, 'j', 'j')
  await waitFrame(r, /▶ Channels/)
  await press(r, KEY.enter)
  f = await waitFrame(r, /Payment channels of 0x[0-9a-f…]+ \(1\)/)
  t.match(f, /#21\s+closing/)
  t.notMatch(f, /#22/, 'only its own')
})
