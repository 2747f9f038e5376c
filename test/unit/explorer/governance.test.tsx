/**
 * Governance view against a real in-process node (2-s flow cycles, a 10-s vote, no timelock): the
 * dev witness (the only staker) proposes a fuel-price change (voted yes: executed at the next
 * cycle boundary), a grant (voted no: rejected) and, after that, an EN-pledge change still being
 * voted on. The Gov tab (key 6) shows the rules, each parameter with its value in force, genesis
 * value, bounds and change, and the proposals newest first; Enter opens a proposal's detail, whose
 * "Executed" line opens the block that executed it.
 */
import t from 'tap'
import { Interface } from 'ethers'
import governanceAbi from '../../../src/execution/system/abi/IGovernance.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { devGenesis, startNode } from '../../helpers/inProcessNode.js'
import { devAddress, KEY, NFC, press, renderApp, send, waitFrame } from './harness.js'

const gov = new Interface(governanceAbi as never)
const FUEL = 2n * 10n ** 16n

t.test('the Gov tab: parameters, proposals, a proposal, its executing block', async (t) => {
  const genesis = devGenesis((g) => Object.assign(g.params, { flowCycleSec: 2, govVotingSec: 10, govTimelockSec: 0 }))
  const n = await startNode(t, { genesis })
  for (let i = 0; i < 3; i++) await n.produceBlock()
  const pool = BigInt((await n.rpc('nfc_getSupply', [])).pools.shared)
  t.ok(pool > 0n, 'block rewards fed the shared pool')
  const call = (data: string) => send(n, 0, { to: SYSTEM_CONTRACTS.governance, data, gasLimit: 500_000n })
  const txs = [
    await call(gov.encodeFunctionData('proposeParam', ['fuelPricePerGb', FUEL])),
    await call(gov.encodeFunctionData('proposeGrant', [devAddress(7), pool / 2n])),
    await call(gov.encodeFunctionData('vote', [0n, true])),
    await call(gov.encodeFunctionData('vote', [1n, false])),
  ]
  await n.produceBlock()
  for (const h of txs) t.equal((await n.rpc('eth_getTransactionReceipt', [h])).status, '0x1', 'governance call included')
  // past the vote: the next cycle boundary executes #0 and rejects #1
  const head = n.node.chain.head.header.timestamp
  await n.produceBlock({ timestamp: head + 12_000n })
  const executedIn = Number(n.node.chain.head.header.number)
  const params = await n.rpc('nfc_getParams', [])
  t.equal(BigInt(params.params[0].value), FUEL, 'the change was executed')
  const third = await call(gov.encodeFunctionData('proposeParam', ['enPledge', 2_000n * NFC]))
  await n.produceBlock()
  t.equal((await n.rpc('eth_getTransactionReceipt', [third])).status, '0x1', 'proposal 2 made')

  const r = renderApp(t, { rpc: n.url })
  await waitFrame(r, 'Chain id')
  await press(r, '6')
  let f = await waitFrame(r, ['Governance', 'Parameters', 'Proposals (3)'])
  t.match(f, /6 Gov/, 'the Gov tab is key 6')
  t.match(f, /Rules\s+vote 10s, timelock 0s, quorum 20% of stake, majority > 50%/, 'the rules')
  t.match(f, /fuelPricePerGb\s+0\.02 NB\/GB\s+genesis 0\.01 NB\/GB/, 'value in force and genesis value')
  t.match(f, /bounds 0\.001 NB\/GB … 0\.1 NB\/GB/, 'the bounds of a proposal')
  t.match(f, new RegExp(`changed to 0\\.02 NB/GB in block #${executedIn} by proposal #0`), 'its change')
  t.match(f, /enPledge\s+1,000 NFC\s+as in genesis/, 'an unchanged parameter')
  // the proposals are below the six parameters: to the end of the page and back
  await press(r, 'G')
  f = await waitFrame(r, /#0\s+executed/)
  t.match(f, /#2\s+voting\s+enPledge → 2,000 NFC\s+0%\s+not yet/, 'the open proposal, no votes yet')
  t.match(f, /#1\s+rejected\s+grant [\d,.]+ NFC → 0x[0-9a-f…]+\s+0%\s+reached/, 'the grant voted down (quorum reached, no majority)')
  t.match(f, /#0\s+executed\s+fuelPricePerGb → 0\.02 NB\/GB\s+100%\s+reached/, 'the executed change')
  t.ok(f.indexOf('#2 ') < f.indexOf('#1 ') && f.indexOf('#1 ') < f.indexOf('#0 '), 'newest first')
  await press(r, 'g')
  await waitFrame(r, 'Rules')

  // the first selectable line is the change: Enter opens proposal #0
  await press(r, KEY.enter)
  f = await waitFrame(r, ['Proposal #0', 'Majority'])
  t.match(f, /Kind\s+parameter change/)
  t.match(f, /Value\s+0\.02 NB\/GB\s+\(in force: 0\.02 NB\/GB\)/)
  t.match(f, new RegExp(`Proposer\\s+${devAddress(0)}`))
  t.match(f, /Status\s+executed/)
  t.match(f, /Votes for\s+1,000,000 NFC\s+\(100% of votes cast\)/, 'the stake-weighted yes vote')
  t.match(f, /Votes against\s+0 NFC/)
  t.match(f, /Quorum\s+100% of the stake voted, 20% needed: reached/)
  t.match(f, /Voting ends\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(.* ago\)/, 'ended, at chain time')
  t.match(f, new RegExp(`Executed\\s+in block #${executedIn}`))
  await press(r, 'G', KEY.enter)
  await waitFrame(r, `Block #${executedIn}`)
  t.pass('Enter on "Executed" opens the block')
  await press(r, KEY.esc, KEY.esc)
  await waitFrame(r, 'Proposals (3)')

  // down the list to #2 (the change line, then #2 …): the open proposal
  await press(r, 'j', KEY.enter)
  f = await waitFrame(r, ['Proposal #2', 'Timelock ends'])
  t.match(f, /Status\s+voting/)
  t.match(f, /Quorum\s+0% of the stake voted, 20% needed: not reached/)
  t.match(f, /Voting ends\s+.*\(in \d+s\)/, 'ends in the future, at chain time')
  t.notMatch(f, /Executed/, 'not executed')
})
