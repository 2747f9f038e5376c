/**
 * Issue 16, E3 + E4 through the traffic simulator against one real in-process dev node (4 s flow
 * cycles, 1 s challenge window, no lock period so rewards can be withdrawn at once): honest
 * traffic, self-dealing hidden behind an intermediate address (earns nothing: the funding graph
 * reaches 2 hops) and split withdrawals (the coin-time bonus farmed in parts: bounded by the
 * locks' bonus budget); each run's economic table is printed and none may show a strategy earning
 * more than its fuel allows, bonus included.
 */
import t from 'tap'
import { formatEconomics, type Cheat, type SimSummary } from '../../src/flowSim/simulate.js'
import { devGenesis, devKey, startNode } from '../helpers/inProcessNode.js'
import { simulateSmall } from '../helpers/flowSimRun.js'

/** one strategy's short run (test/helpers/flowSimRun.ts), seeds 200+ */
const run = (url: string, funder: number, cheat?: Cheat): Promise<SimSummary> => simulateSmall(url, funder, 200, cheat)

t.test('honest, hop-self-dealing and split-withdrawals: the cheaters gain nothing; the economic table has no FAIL', async (t) => {
  const genesis = devGenesis((g) => {
    g.timestamp = Math.floor(Date.now() / 1000) * 1000
    g.params.flowCycleSec = 4
    g.params.flowChallengeSec = 1
    g.params.flowLockSec = 0
    g.params.flowUnlockSec = 0
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  // one after the other: the simulator signs in the node's process, and three at once starve its event loop on a loaded machine
  const honest = await run(n.url, 1)
  const hop = await run(n.url, 2, 'hop-self-dealing')
  const split = await run(n.url, 3, 'split-withdrawals')
  const table = formatEconomics([honest.economics, hop.economics, split.economics])
  t.comment(table.join('\n'))

  t.ok(honest.rewardsApplied && honest.economics.rewardsNfc > 0n, `the honest provider earned ${honest.economics.rewardsNfc} wei`)
  t.ok(honest.economics.fuelBurnedNb > 0n, 'and its consumers burned fuel')

  t.ok(hop.receipts.accepted > 0 && hop.rewardsApplied, 'hop-self-dealing traffic is accepted and its checkpoint applied')
  t.ok(hop.economics.fuelBurnedNb > 0n, 'its fuel burned')
  t.equal(hop.economics.rewardsNfc, 0n, 'provider → intermediate → consumer: the provider earned nothing')

  t.ok(split.rewardsApplied && split.economics.rewardsNfc > 0n, 'split-withdrawals: rewards earned')
  t.equal(split.rewards[0]!.withdrawable, 0n, `everything withdrawn in parts (bonus ${split.economics.bonusNfc} wei)`)

  t.ok(honest.economics.ok && hop.economics.ok, 'honest and hop-self-dealing earned no more than their fuel × capFactor')
  t.ok(split.economics.rewardsNfc <= split.economics.limitNfc, 'split-withdrawals: its rewards alone stay under the cap')
  // the shared pool (filled by block rewards every block) owes a withdrawal far more than the fuel's
  // value; the lock's bonus budget (capFactor × fuel − reward, locks.ts) is what bounds it
  t.ok(split.economics.bonusNfc > 0n, `split-withdrawals: a coin-time bonus was paid (${split.economics.bonusNfc} wei)`)
  t.ok(split.economics.ok, 'split-withdrawals: rewards + bonus ≤ its fuel × capFactor')
  t.notMatch(table.join('\n'), /FAIL/, 'no strategy earned more than its fuel × capFactor, bonus included')
})
