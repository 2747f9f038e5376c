/**
 * Account view against a real node: balance, nonce, code, votes, pledge; history and flow
 * rewards (either from the node, or "not available" on -32601 while those methods are built).
 */
import t from 'tap'
import { addContractTxs, chainWithTransfer, devAddress, KEY, press, renderApp, search, waitFrame } from './harness.js'

t.test('account view of a voter and of the witness', async (t) => {
  const { n } = await chainWithTransfer(t)
  const txs = await addContractTxs(n)
  const r = renderApp(t, { rpc: n.url, tab: 'Account' })
  let f = await waitFrame(r, 'No account selected')
  t.match(f, /5 Account/, 'the Account tab')
  await search(r, devAddress(2))
  f = await waitFrame(r, ['Account 0x', 'Balance', 'Votes'])
  t.match(f, new RegExp(`Account ${devAddress(2)}`), 'the address')
  t.match(f, /Nonce\s+1/, 'one transaction sent')
  t.match(f, /Code\s+none \(externally owned\)/, 'no code')
  t.match(f, /Votes\s+1,000 NFC on 1 candidate/, 'its vote')
  t.match(f, /Pledge\s+none/, 'no pledge (NodeRegistry.nodeOf)')
  // flow_getRewards and nfc_getTransactionsByAddress are being built in parallel: either answer is right
  t.match(f, /flow rewards: not available on this node|Flow rewards\s+locked 0 NFC\s+unlocking 0 NFC/, 'flow rewards, or that the node lacks them')
  t.match(f, /Balance\s+8,999\.\d+ NFC/, 'balance: 10,000 less the vote and the fee')
  await press(r, 'G')
  f = await waitFrame(r, /history: not available on this node|History, page 1/)
  if (/History, page 1/.test(f)) {
    t.match(f, new RegExp(`#3\\s+out →\\s+0x0000.*${txs.vote.slice(2, 12)}`), 'the vote, newest first, outgoing')
    // Enter on the history row opens the transaction
    await press(r, KEY.enter)
    await waitFrame(r, /Input: Staking\.vote/)
    await press(r, KEY.esc)
  } else t.pass('nfc_getTransactionsByAddress missing: said so')
  await press(r, 'g')
  await waitFrame(r, /Votes/)

  // the vote line opens the candidate (the witness): it has the genesis pledge
  await press(r, KEY.enter)
  f = await waitFrame(r, new RegExp(`Account ${devAddress(0)}`))
  f = await waitFrame(r, /Pledge\s+RN/)
  t.match(f, /Pledge\s+RN \(root node\)\s+100,000 NFC/, 'the witness pledged as RN')
  await press(r, KEY.esc)
  await waitFrame(r, new RegExp(`Account ${devAddress(2)}`))

  // a contract
  await search(r, txs.probe)
  f = await waitFrame(r, /Code\s+\d[\d,]* bytes/)
  t.pass('contract code size')
})
