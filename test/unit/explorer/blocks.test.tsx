/** Blocks list → block detail → transaction detail and back, by keys, against a real dev node. */
import t from 'tap'
import { chainWithTransfer, devAddress, KEY, press, renderApp, waitFrame } from './harness.js'

t.test('Blocks tab lists the blocks; Enter opens one, Enter on its tx opens the tx, Esc goes back', async (t) => {
  const { n, transfer } = await chainWithTransfer(t)
  const r = renderApp(t, { rpc: n.url })
  await press(r, '2')
  let f = await waitFrame(r, ['#2 ', '#1 ', '#0 '])
  t.match(f, /Blocks/, 'on the Blocks tab')
  t.match(f, /block\s+age\s+txs/, 'with a header')
  // the first row is the head (#2, with the transfer); open it
  f = await waitFrame(r, /▶ #2 /)
  await press(r, KEY.enter)
  f = await waitFrame(r, ['Block #2', 'Transactions (1)'])
  t.match(f, /Producer\s+0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266/i, 'the producer: dev account 0')
  t.match(f, /transfer/, 'the transaction, as a plain transfer')
  t.match(f, /1\.5 NFC/, 'its value')
  // move to the transaction line (parent, producer, tx are selectable) and open it
  await press(r, KEY.down, KEY.down)
  await waitFrame(r, /▶ 0x[0-9a-f]+…/)
  await press(r, KEY.enter)
  f = await waitFrame(r, ['Transaction', 'Status', 'success'])
  t.match(f, new RegExp(`Hash\\s+${transfer}`), 'the full hash fits at 100 columns')
  t.match(f, new RegExp(`From\\s+${devAddress(0)}`, 'i'), 'from')
  t.match(f, new RegExp(`To\\s+${devAddress(1)}`, 'i'), 'to')
  t.match(f, /Value\s+1\.5 NFC/, 'value in NFC')
  t.match(f, /Gas\s+21,000 used of 21,000 limit/, 'gas')
  t.match(f, /Block\s+#2\s+\(index 0\)/, 'where it is')
  t.match(f, /Logs \(0\)/, 'no logs')
  await press(r, KEY.esc)
  await waitFrame(r, 'Block #2')
  await press(r, 'h')
  f = await waitFrame(r, /block\s+age\s+txs/)
  t.pass('back on the list')
  // a new block shows up at the top by itself
  await n.produceBlock()
  await waitFrame(r, /#3 /)
  t.pass('the list follows the head')
})
