/** `/` search by block number, block hash, tx hash and address (names: name.test.tsx); `?` help; q quits; tabs by number and Tab. */
import t from 'tap'
import { chainWithTransfer, devAddress, KEY, press, renderApp, search, waitFrame } from './harness.js'

t.test('search, help, tabs', async (t) => {
  const { n, transfer } = await chainWithTransfer(t)
  const r = renderApp(t, { rpc: n.url })
  await waitFrame(r, 'Chain id')

  await search(r, '1')
  let f = await waitFrame(r, 'Block #1')
  t.match(f, /Transactions \(0\)/, 'block by number')
  // a paste, or a slow terminal, can deliver the text and its Enter in one read: it still submits
  await press(r, '/')
  await waitFrame(r, 'search:')
  await press(r, '2\r')
  f = await waitFrame(r, 'Block #2')
  t.match(f, /Transactions \(1\)/, 'a search typed with its Enter in one read runs')
  t.notMatch(f, /search:/, 'and closes the prompt')
  await press(r, KEY.esc)
  await waitFrame(r, 'Block #1')
  const block2 = (await n.rpc('eth_getBlockByNumber', ['0x2', false])).hash as string
  await search(r, block2)
  f = await waitFrame(r, 'Block #2')
  t.pass('block by hash')
  await search(r, transfer)
  f = await waitFrame(r, ['Transaction', 'success'])
  t.match(f, /Value\s+1\.5 NFC/, 'tx by hash')
  await search(r, devAddress(1).toUpperCase().replace('0X', '0x'))
  f = await waitFrame(r, new RegExp(`Account ${devAddress(1)}`))
  t.match(f, /Balance\s+10,001\.5 NFC/, 'address (any case)')
  await search(r, '0x' + '12'.repeat(32))
  await waitFrame(r, /no transaction or block 0x1212/)
  t.pass('an unknown hash says so')
  await search(r, 'Hello!')
  await waitFrame(r, /type a block number/)
  t.pass('nonsense explains what to type')
  // Esc cancels the prompt without searching; typed q does not quit
  await press(r, '/', 'q', KEY.esc)
  f = await waitFrame(r, /^(?![\s\S]*search:)[\s\S]*Account 0x70997970/)
  t.pass('prompt closed, nothing searched')
  // back through the stack: account, tx, block 2, block 1, tab
  await press(r, KEY.esc, KEY.esc, KEY.esc, KEY.esc)
  await waitFrame(r, 'Chain id')
  t.pass('Esc walks back to the dashboard')

  await press(r, '?')
  f = await waitFrame(r, 'Keys')
  t.match(f, /search: block number, block or tx hash, address/)
  await press(r, 'x')
  await waitFrame(r, 'Chain id')
  t.pass('any key closes help')

  await press(r, '3')
  await waitFrame(r, 'now producing')
  await press(r, KEY.tab)
  // flow_ methods are being built in parallel: either their numbers or "not available"
  await waitFrame(r, /flow: not available on this node|Traffic/)
  t.pass('Tab moves to the next tab')
  await press(r, '5')
  await waitFrame(r, new RegExp(`Account ${devAddress(1)}`))
  t.pass('the Account tab shows the last account opened')
})
