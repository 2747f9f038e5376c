/**
 * `nfc flow simulate --cheat crowd-out` (issue 16) against one real in-process dev node whose
 * genesis lets one provider open 4 sessions a cycle (flowProviderSessionShareBps 10: 0.1 % of the
 * 4,096 a checkpoint holds): provider 0 opens 8 fresh sessions every tick besides its honest one;
 * the edge refuses those past its share (FLOW_OUT_OF_BOUNDS), provider 1's session still gets in,
 * its checkpoint is applied and it is paid.
 */
import t from 'tap'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { formatSummary, simulate } from '../../src/flowSim/simulate.js'
import { devGenesis, devKey, startNode } from '../helpers/inProcessNode.js'

t.test('--cheat crowd-out: one provider cannot take the cycle’s sessions; the other still gets in and is paid', async (t) => {
  const genesis = devGenesis((g) => {
    g.timestamp = Math.floor(Date.now() / 1000) * 1000
    // cycles long enough that a tick's receipts stay in one on a loaded machine
    g.params.flowCycleSec = 10
    g.params.flowChallengeSec = 1
    g.params.flowProviderSessionShareBps = 10
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  const s = await simulate({
    rpc: n.url,
    consumers: 2,
    providers: 2,
    seconds: 3,
    seed: 11,
    cheat: 'crowd-out',
    funderKey: DEV_ACCOUNTS[1]!.privateKey,
    waitLimitSec: 120,
    bytesPerTick: 64 * 1024,
  })
  const printed = formatSummary(s)
  t.comment(printed)
  const crowd = s.crowd!
  t.equal(crowd.provider, s.rewards[0]!.address, 'provider 0 crowds')
  t.ok(crowd.submitted > 0, `it tried ${crowd.submitted} extra sessions`)
  const refused = crowd.submitted - crowd.accepted
  t.ok(refused > 0, `past its share they were refused (${refused} of ${crowd.submitted})`)
  const outOfBounds = s.receipts.reasons['FLOW_OUT_OF_BOUNDS'] ?? 0
  t.ok(outOfBounds > 0 && outOfBounds <= refused, `refused as FLOW_OUT_OF_BOUNDS (${outOfBounds}), only the crowd's`)
  t.ok(s.rewardsApplied, 'the checkpoint was applied')
  t.ok(s.rewards[1]!.locked > 0n, `provider 1 still got in and was paid (${s.rewards[1]!.locked} wei locked)`)
  t.match(printed, /crowd-out: provider 0x[0-9a-f]{40} tried \d+ extra sessions, \d+ taken, \d+ refused/, 'the figures are printed')
  t.notMatch(printed, /FAIL/, 'the economic check: no more earned than the fuel × capFactor')
})
