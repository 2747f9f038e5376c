/**
 * `--cheat absent-member` (issue 16, E2) against a devnet of two real `nfc node` processes (two
 * witnesses, both RNs, so both in every flow committee): the simulator pledges a third committee
 * candidate, a central node no process runs, waits until it is drawn, and runs honest traffic in
 * that cycle. The committee of three has a quorum of two: the two running members sign, wait for
 * the third until the signing deadline, then submit without it. The cycle is checkpointed and
 * applied, the provider is paid, and the absent member loses a pledge slice on chain.
 */
import t from 'tap'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { formatEconomics, simulate } from '../../../src/flowSim/simulate.js'
import { makeDevnet, waitHeads } from '../../helpers/devnetProcess.js'

/** 10 % of a pledge: the devnet's evidenceSlashBps (the default) */
const SLASH_BPS = 1000n

t.test('an absent committee member: the cycle is checkpointed without it, the provider paid, the member slashed', async (t) => {
  const devnet = await makeDevnet(t, {
    nodes: 2,
    // short cycles and deadline; a central node's pledge a dev account can afford next to the traffic set-up
    params: { flowCycleSec: 8, flowChallengeSec: 1, flowSignDeadlineSec: 2, cnPledge: '1000000000000000000000' },
  })
  // one after the other: two node start-ups at once on a loaded 2-core machine can pass the start timeout
  await devnet.start(0)
  await devnet.start(1)
  await waitHeads(
    devnet.nodes.map((n) => n.url),
    2,
    30_000,
  )
  const summary = await simulate({
    rpc: devnet.nodes[0]!.url,
    consumers: 1,
    providers: 1,
    seconds: 3,
    seed: 16,
    funderKey: DEV_ACCOUNTS[1]!.privateKey,
    cheat: 'absent-member',
    waitLimitSec: 90,
    bytesPerTick: 64 * 1024,
  })
  t.ok(summary.receipts.accepted > 0, `honest receipts accepted (${summary.receipts.accepted})`)
  t.equal(summary.receipts.rejected, 0, 'none rejected')
  t.ok(summary.rewardsApplied, `the checkpoint of cycle ${summary.cycle} was applied without the absent member`)
  t.ok(summary.rewards[0]!.locked > 0n, `the provider was paid (${summary.rewards[0]!.locked} wei locked)`)
  const absent = summary.absent!
  t.ok(absent.pledgeBefore > 0n, 'the absent member was a pledged central node')
  t.equal(absent.pledgeBefore - absent.pledgeAfter, (absent.pledgeBefore * SLASH_BPS) / 10_000n, 'and lost a pledge slice (evidenceSlashBps)')
  const table = formatEconomics([summary.economics]).join('\n')
  t.comment(table)
  t.notMatch(table, /FAIL/, 'the economic check: no more earned than the fuel × capFactor')
})
