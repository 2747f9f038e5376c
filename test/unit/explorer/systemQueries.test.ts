/**
 * The pure parts of the systems' views: a deal's progress from its record (proved, missed, refunded
 * periods, escrow left), a proposal's status at the chain's time and its quorum/majority at the
 * exact boundaries of the rule in src/consensus/gov/engine.ts, the parameter of an executed
 * proposal, and the tab labels at the widths where they change.
 */
import t from 'tap'
import { passes } from '../../../src/consensus/gov/engine.js'
import { dealProgress, type Deal } from '../../../src/explorer/dealQueries.js'
import { executedIn, proposalStatus, proposalTally, type Proposal } from '../../../src/explorer/govQueries.js'
import { tabLabel, TABS } from '../../../src/explorer/app.js'

const deal = (over: Partial<Deal>): Deal => ({
  id: 1n,
  client: '0xc',
  provider: '0xp',
  root: '0x',
  size: 4096n,
  periods: 5n,
  price: 5_000n,
  paid: 0n,
  refunded: 0n,
  collateral: 10n,
  slashed: 0n,
  firstPeriod: 100n,
  lastPeriod: 104n,
  provedPeriod: 0n,
  endedPeriod: 0n,
  status: 'active',
  ...over,
})

t.test('dealProgress', async (t) => {
  t.same(dealProgress(deal({}), 99n), { perPeriod: 1_000n, proved: 0n, missed: 0n, refundedPeriods: 0n, escrowLeft: 5_000n }, 'accepted, term not started')
  t.equal(dealProgress(deal({ provedPeriod: 100n }), 100n).proved, 1n, 'the period at the head proved: counted before it is paid')
  t.equal(dealProgress(deal({ provedPeriod: 100n, paid: 1_000n }), 101n).proved, 1n, 'paid at the next period: counted once')
  const gap = dealProgress(deal({ provedPeriod: 103n, paid: 2_000n, refunded: 1_000n }), 103n)
  t.same(
    [gap.proved, gap.refundedPeriods, gap.escrowLeft],
    [3n, 1n, 2_000n],
    'a period without blocks refunded; the proved one at the head (still in escrow until paid)',
  )
  const slashed = dealProgress(deal({ status: 'slashed', provedPeriod: 101n, paid: 2_000n, refunded: 3_000n, slashed: 5n }), 103n)
  t.same([slashed.proved, slashed.missed, slashed.escrowLeft], [2n, 1n, 0n], 'slashed: one miss ended it, the rest refunded')
  t.equal(
    dealProgress(deal({ status: 'completed', provedPeriod: 104n, paid: 5_000n }), 104n).proved,
    5n,
    'completed: all paid, the last proof not counted twice',
  )
})

const proposal = (over: Partial<Proposal>): Proposal => ({
  id: 0n,
  proposer: '0xa',
  kind: 'param',
  param: 'fuelPricePerGb',
  to: '0x0',
  value: 1n,
  endsMs: 1_000n,
  executableAtMs: 2_000n,
  yes: 0n,
  no: 0n,
  stake: 10_000n,
  passing: false,
  status: 'open',
  ...over,
})

t.test('proposalStatus and proposalTally', async (t) => {
  t.equal(proposalStatus(proposal({}), 999n), 'voting')
  t.equal(proposalStatus(proposal({ passing: true }), 1_000n), 'approved', 'the vote over, passing: awaiting execution')
  t.equal(proposalStatus(proposal({}), 1_000n), 'defeated')
  t.equal(proposalStatus(proposal({ status: 'executed' }), 0n), 'executed', 'a settled status wins over the time')
  const rules = { votingSec: 1, timelockSec: 1, quorumBps: 2_000, majorityBps: 5_000, rangeFactor: 10 }
  for (const [yes, no] of [
    [2_000n, 0n],
    [1_999n, 0n],
    [1_000n, 1_000n],
    [1_001n, 999n],
    [0n, 0n],
  ] as const) {
    const p = proposal({ yes, no })
    const tally = proposalTally(p, rules)
    t.equal(tally.quorum && tally.majority, passes(p, { quorumBps: 2_000n, majorityBps: 5_000n }), `yes ${yes} no ${no}: the same as the chain's rule`)
  }
  t.same(proposalTally(proposal({ yes: 1_999n }), rules).quorum, false, 'just under the quorum')
  t.same(proposalTally(proposal({ yes: 1_000n, no: 1_000n }), rules).majority, false, 'a tie is no majority')
})

t.test('executedIn: the block of the history entry naming the proposal', async (t) => {
  const params = [
    { name: 'a', value: 2n, genesis: 1n, min: 0n, max: 9n, history: [{ block: 7n, proposal: 0n, value: 2n }] },
    { name: 'b', value: 3n, genesis: 1n, min: 0n, max: 9n, history: [{ block: 9n, proposal: 2n, value: 3n }] },
  ]
  t.equal(executedIn(params, 2n), 9n)
  t.equal(executedIn(params, 1n), undefined, 'not executed (or a grant)')
})

t.test('tab labels: whole names when they fit, 3 letters below', async (t) => {
  const width = (columns: number) => 4 + TABS.reduce((w, tab) => w + ` ${1} ${tabLabel(tab, columns)} `.length, 0)
  t.equal(width(98), 98, 'the whole names take 98 columns')
  t.equal(tabLabel('Channels', 98), 'Channels')
  t.equal(tabLabel('Channels', 97), 'Cha')
  t.ok(width(80) <= 67, 'at 80 columns the tab line leaves room for the breadcrumbs')
  t.equal(tabLabel('Names', 100, ' › tx › logs'.length), 'Nam', 'cut when the breadcrumbs would not fit after the whole names')
  t.equal(tabLabel('Names', 120, ' › tx › logs'.length), 'Names')
})
