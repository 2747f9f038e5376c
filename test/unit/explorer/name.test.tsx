/** `/` search by name: a name's record (Enter on the owner opens its account), an unknown name, and decoded Names calls. */
import t from 'tap'
import { Interface, ZeroHash } from 'ethers'
import namesAbi from '../../../src/execution/system/abi/INames.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { chainWithTransfer, devAddress, KEY, press, renderApp, search, send, waitFrame } from './harness.js'

const names = new Interface(namesAbi as never)

t.test('a name in the explorer', async (t) => {
  const { n } = await chainWithTransfer(t)
  const lock = (await n.rpc('eth_call', [{ to: SYSTEM_CONTRACTS.names, data: names.encodeFunctionData('lockFor', [30n * 86_400_000n]) }])) as string
  const reg = await send(n, 1, {
    to: SYSTEM_CONTRACTS.names,
    value: BigInt(lock),
    data: names.encodeFunctionData('register', ['relay-one', 30n * 86_400_000n, ZeroHash, 'ws://10.0.0.1:30303']),
    gasLimit: 300_000n,
  })
  await n.produceBlock()
  t.equal((await n.rpc('eth_getTransactionReceipt', [reg])).status, '0x1', 'registered')

  const r = renderApp(t, { rpc: n.url })
  await waitFrame(r, 'Chain id')
  await search(r, 'relay-one')
  const f = await waitFrame(r, 'Name relay-one')
  t.match(f, new RegExp(`Owner +${devAddress(1)}`))
  t.match(f, /Node id +none/)
  t.match(f, /Endpoint +ws:\/\/10\.0\.0\.1:30303/)
  t.match(f, /Expires +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, 'the expiry (the test chain runs in 2023: no time left shown)')
  t.match(f, /Lock +8\.219178 NFC/)
  await press(r, KEY.enter)
  await waitFrame(r, new RegExp(`Account ${devAddress(1)}`))
  t.pass('Enter on the owner opens its account')

  await search(r, 'nobody')
  await waitFrame(r, ['Name nobody', 'unknown name: nobody'])
  t.pass('an unknown name says so')

  await search(r, reg)
  await waitFrame(r, /register\(/)
  t.pass('the register call is decoded')
})
