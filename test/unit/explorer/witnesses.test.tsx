/** Witnesses view against the dev chain: the one-witness round, the slot owner marked, its numbers. */
import t from 'tap'
import { chainWithTransfer, devAddress, KEY, press, renderApp, waitFrame } from './harness.js'

t.test('witnesses: the round order with the slot owner, trust, produced, votes, bonus; standby', async (t) => {
  const { n } = await chainWithTransfer(t)
  const r = renderApp(t, { rpc: n.url, tab: 'Witnesses' })
  const f = await waitFrame(r, ['Round', 'now producing', 'Standby candidates'])
  t.match(f, /trust\s+produced\s+missed\s+votes\s+bonus/, 'the columns')
  t.match(f, new RegExp(`1●\\s+${devAddress(0)}`), 'the dev witness is first and owns the slot')
  t.match(f, /1,000,000 NFC/, 'its votes (the genesis self-vote)')
  t.match(f, new RegExp(`${devAddress(0)}\\s+\\d+\\s+2\\s+0\\s`), 'produced 2, missed 0')
  t.match(f, /Standby candidates\s+none/, 'no standby on the dev chain')
  // Enter opens the witness's account
  await press(r, KEY.enter)
  await waitFrame(r, new RegExp(`Account ${devAddress(0)}`))
  t.pass('opens the account')
})
