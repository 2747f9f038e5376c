/**
 * The traffic simulator (`nfc flow simulate`, src/flowSim) against a real in-process dev node
 * producing on the real clock, with 4 s flow cycles and a 1 s challenge window: honest traffic
 * is accepted and rewarded once its checkpoint is applied; each cheat is caught the way the
 * issue asks (replays and inflated claims rejected with their codes, self-dealing accepted and
 * rewarded with nothing). Plus the command's flag errors and an unreachable node, through the
 * built CLI.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { formatEconomics, type Cheat, type SimSummary } from '../../src/flowSim/simulate.js'
import { devGenesis, devKey, startNode } from '../helpers/inProcessNode.js'
import { simulateSmall } from '../helpers/flowSimRun.js'
import { freePort } from '../helpers/devnetProcess.js'

const CLI = new URL('../../dist/src/bin/nfc.js', import.meta.url).pathname

/** one strategy's short run (test/helpers/flowSimRun.ts), seeds 100+ */
const run = (url: string, funder: number, cheat?: Cheat): Promise<SimSummary> => simulateSmall(url, funder, 100, cheat)

t.test('honest traffic and the three cheats against a dev node', async (t) => {
  const genesis = devGenesis((g) => {
    g.timestamp = Math.floor(Date.now() / 1000) * 1000
    g.params.flowCycleSec = 4
    g.params.flowChallengeSec = 1
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })

  // four independent runs (own funder, own keys) at once, as four operators would
  const [honest, replay, inflate, selfDealing] = await Promise.all([
    run(n.url, 1),
    run(n.url, 2, 'replay'),
    run(n.url, 3, 'inflate'),
    run(n.url, 4, 'self-dealing'),
  ])
  t.ok(honest.receipts.accepted > 0, `honest receipts accepted (${honest.receipts.accepted})`)
  t.equal(honest.receipts.rejected, 0, 'no honest receipt rejected')
  t.ok(honest.bytes.receipted > 0n && honest.bytes.receipted <= honest.bytes.providerSent, 'receipted bytes ≤ what the provider counted')
  t.ok(honest.bytes.consumerReceived < honest.bytes.providerSent, 'the consumer counted less than the provider (frames lost in transit)')
  t.ok(honest.rewardsApplied, 'the checkpoint was applied')
  t.ok(honest.rewards[0]!.locked > 0n, `the provider earned a locked reward (${honest.rewards[0]!.locked} wei)`)

  t.ok(replay.receipts.accepted > 0, 'the honest receipts of a replaying run are accepted')
  t.ok((replay.receipts.reasons['FLOW_REPLAY'] ?? 0) > 0, 'replays are rejected as FLOW_REPLAY')
  // a replay that crosses into the next counting cycle is refused for its stale cycle instead
  const replayReasons = Object.keys(replay.receipts.reasons).sort()
  t.ok(
    replayReasons.every((r) => r === 'FLOW_REPLAY' || r === 'FLOW_WRONG_CYCLE'),
    `only replays are rejected: ${JSON.stringify(replay.receipts.reasons)}`,
  )
  t.equal(replay.receipts.rejected, replay.receipts.accepted - 2, 'every receipt but the first of each of the 2 sessions was replayed once and rejected')

  t.ok((inflate.receipts.reasons['FLOW_BAD_SIGNATURE'] ?? 0) > 0, 'inflated provider claims fail the consumer signature')
  t.equal(inflate.receipts.rejected, inflate.receipts.reasons['FLOW_BAD_SIGNATURE'], 'and nothing else is rejected')

  t.ok(selfDealing.receipts.accepted > 0 && selfDealing.receipts.rejected === 0, 'self-dealing receipts are accepted')
  t.ok(selfDealing.rewardsApplied, 'their checkpoint was applied')
  t.equal(selfDealing.rewards[0]!.locked, 0n, 'and the self-dealing provider earned nothing')
  const table = formatEconomics([honest, replay, inflate, selfDealing].map((r) => r.economics)).join('\n')
  t.comment(table)
  t.notMatch(table, /FAIL/, 'the economic check: no strategy earned more than its fuel × capFactor')

  const supply = await n.rpc('nfc_getSupply')
  t.equal(BigInt(supply.total), 2_100_000_000n * 10n ** 18n, 'the supply is intact')
})

t.test('nfc flow simulate: flag errors and an unreachable node', async (t) => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'flow', ...args], { encoding: 'utf8', timeout: 60_000 })
  let r = cli('simulate', '--cheat', 'bogus')
  t.equal(r.status, 2)
  t.match(
    r.stderr,
    /--cheat wants one of self-dealing, hop-self-dealing, replay, inflate, split-withdrawals, absent-member, overflow, no-openings, crowd-out, got "bogus"/,
  )
  r = cli('simulate', '--consumers', '0')
  t.equal(r.status, 2)
  t.match(r.stderr, /--consumers wants an integer from 1 to 1000, got "0"/)
  r = cli('simulate', '--rpc', 'localhost:8545')
  t.equal(r.status, 2)
  t.match(r.stderr, /--rpc wants an http\(s\) URL/)
  r = cli('simulate', '--funder-key', '0x1234')
  t.equal(r.status, 2)
  t.match(r.stderr, /--funder-key wants a 32-byte hex private key/)
  r = cli('frobnicate')
  t.equal(r.status, 2)
  t.match(r.stderr, /unknown subcommand "frobnicate"/)
  const port = await freePort()
  r = cli('simulate', '--rpc', `http://127.0.0.1:${port}`, '--seconds', '1')
  t.equal(r.status, 1)
  t.match(r.stderr, new RegExp(`no node answers at http://127.0.0.1:${port}`))
})
