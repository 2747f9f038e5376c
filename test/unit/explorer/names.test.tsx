/**
 * Names view against a real in-process node (1-hour minimum term): three names of two owners, one
 * of them left to expire. The Names tab (key 9) lists them in registration order with owner,
 * endpoint and expiry at the chain's time (the expired one says so); Enter opens a name's record;
 * an owner's account links to the names it owns.
 */
import t from 'tap'
import { Interface, ZeroHash } from 'ethers'
import namesAbi from '../../../src/execution/system/abi/INames.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { devGenesis, startNode } from '../../helpers/inProcessNode.js'
import { devAddress, KEY, press, renderApp, search, send, waitFrame } from './harness.js'

const names = new Interface(namesAbi as never)
const HOUR = 3_600_000n
const DAY = 24n * HOUR

t.test('the Names tab: names, owners, endpoints, expiry; a name; an owner links to its names', async (t) => {
  const genesis = devGenesis((g) => {
    g.params.nameMinTermSec = 3600
  })
  const n = await startNode(t, { genesis })
  const register = async (from: number, name: string, termMs: bigint, endpoint: string) => {
    const lock = (await n.rpc('eth_call', [{ to: SYSTEM_CONTRACTS.names, data: names.encodeFunctionData('lockFor', [termMs]) }])) as string
    return send(n, from, {
      to: SYSTEM_CONTRACTS.names,
      value: BigInt(lock),
      data: names.encodeFunctionData('register', [name, termMs, ZeroHash, endpoint]),
      gasLimit: 300_000n,
    })
  }
  const txs = [
    await register(1, 'relay-one', 30n * DAY, 'ws://10.0.0.1:30303'),
    await register(2, 'short-lived', HOUR, ''),
    await register(1, 'relay-two', 60n * DAY, 'ws://10.0.0.2:30303'),
  ]
  await n.produceBlock()
  for (const h of txs) t.equal((await n.rpc('eth_getTransactionReceipt', [h])).status, '0x1', 'registered')
  // two hours later: short-lived has expired
  await n.produceBlock({ timestamp: n.node.chain.head.header.timestamp + 2n * HOUR })

  const r = renderApp(t, { rpc: n.url })
  await waitFrame(r, 'Chain id')
  await press(r, '9')
  let f = await waitFrame(r, ['Names', 'relay-one', 'relay-two', 'short-lived'])
  t.match(f, /9 Names/, 'key 9')
  const a = (address: string) => `${address.slice(0, 8)}[0-9a-f]*…?[0-9a-f]*${address.slice(-6)}`
  t.match(
    f,
    new RegExp(`relay-one\\s+${a(devAddress(1))}\\s+ws://10\\.0\\.0\\.1:30303\\s+\\d{4}-\\d\\d-\\d\\d in 29d 22h`),
    'owner, endpoint, expiry at chain time',
  )
  t.match(f, new RegExp(`short-lived\\s+${a(devAddress(2))}\\s+—\\s+\\d{4}-\\d\\d-\\d\\d expired`), 'the expired name says so')
  t.match(f, /relay-two\s+.*in 59d 22h/)
  t.ok(f.indexOf('relay-one') < f.indexOf('short-lived') && f.indexOf('short-lived') < f.indexOf('relay-two'), 'registration order')

  // the third row: relay-two
  await press(r, 'j', 'j', KEY.enter)
  f = await waitFrame(r, ['Name relay-two', 'Endpoint'])
  t.match(f, /Endpoint\s+ws:\/\/10\.0\.0\.2:30303/)
  t.match(f, new RegExp(`Owner\\s+${devAddress(1)}`))
  await press(r, KEY.enter)
  await waitFrame(r, new RegExp(`Account ${devAddress(1)}`))
  // its names: the fourth link (client deals, provider deals, channels, names)
  f = await waitFrame(r, /Names\s+owned ›/)
  await press(r, 'j', 'j', 'j')
  await waitFrame(r, /▶ Names\s+owned ›/)
  await press(r, KEY.enter)
  f = await waitFrame(r, /Names of 0x/)
  t.match(f, /relay-one/)
  t.match(f, /relay-two/)
  t.notMatch(f, /short-lived/, 'only the names it owns')
  t.notMatch(f, /owner/, 'no owner column when the list is one owner’s')

  await search(r, devAddress(5))
  await waitFrame(r, /Names\s+owned ›/)
  await press(r, 'j', 'j', 'j', KEY.enter)
  await waitFrame(r, ['Names of 0x', 'none'])
  t.pass('an account without names: none')
})
