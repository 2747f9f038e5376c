/**
 * Slice audits by themselves (issue 16, E5; DESIGN §12) end to end: `nfc flow simulate --cheat
 * no-openings` (src/flowSim) against a real in-process dev node producing on the real clock, with
 * 4 s flow cycles, a 20 s challenge window, the seed block one block after the commitment and
 * every entry audited (flowAuditBps 10,000). Nobody challenges by hand: the node's watcher sends
 * the slice challenges from its witness key (an RN); the honest provider answers each with
 * FlowRewards.openSlice and is paid, the cheating one never answers, every entry of it is voided
 * when the window ends, and it earns nothing. Plus the flag's usage error, through the built CLI.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { formatSummary, simulate } from '../../src/flowSim/simulate.js'
import { devGenesis, devKey, startNode } from '../helpers/inProcessNode.js'

const CLI = new URL('../../dist/src/bin/nfc.js', import.meta.url).pathname

t.test('--cheat no-openings: the node audits by itself; the provider that never opens is unpaid, the honest one paid', async (t) => {
  const genesis = devGenesis((g) => {
    g.timestamp = Math.floor(Date.now() / 1000) * 1000
    g.params.flowCycleSec = 4
    // generous: the provider has the second half (10 s) to see the challenge and get its answer mined on a busy machine
    g.params.flowChallengeSec = 20
    g.params.flowSampleLagBlocks = 1
    g.params.flowAuditBps = 10_000
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  const s = await simulate({
    rpc: n.url,
    consumers: 2,
    providers: 2,
    seconds: 3,
    seed: 7,
    cheat: 'no-openings',
    funderKey: DEV_ACCOUNTS[1]!.privateKey,
    waitLimitSec: 120,
    bytesPerTick: 64 * 1024,
    log: (line) => t.comment(line),
  })
  t.comment(formatSummary(s))
  t.ok(s.receipts.accepted > 0 && s.receipts.rejected === 0, `every receipt accepted (${s.receipts.accepted})`)
  t.ok(s.rewardsApplied, 'the checkpoint was applied')
  const [cheater, honest] = s.audits
  t.ok(cheater!.cheater && !honest!.cheater, 'provider 0 is the one that never answers')
  t.ok(cheater!.challenged > 0, `the node challenged the cheater's entries by itself (${cheater!.challenged})`)
  t.equal(cheater!.answered, 0, 'it answered none')
  t.equal(cheater!.voided, cheater!.challenged, 'each of them was voided when the window ended')
  t.ok(honest!.challenged > 0, `the honest provider's entries were challenged too (${honest!.challenged})`)
  t.equal(honest!.answered, honest!.challenged, 'it opened every one')
  t.equal(honest!.voided, 0, 'and lost none')
  t.equal(s.rewards[0]!.address, cheater!.address)
  t.equal(s.rewards[0]!.locked, 0n, 'the cheater earned nothing')
  t.ok(s.rewards[1]!.locked > 0n, `the honest provider earned a locked reward (${s.rewards[1]!.locked} wei)`)
  t.match(
    formatSummary(s),
    /slice audits \(entries challenged \/ answered \/ voided\):\n {2}0x[0-9a-f]{40} \(never answers\): \d+ \/ 0 \/ \d+/,
    'figures printed',
  )
  t.notMatch(formatSummary(s), /FAIL/, 'the economic check: no more earned than the fuel × capFactor')

  const supply = await n.rpc('nfc_getSupply')
  t.equal(BigInt(supply.total), 2_100_000_000n * 10n ** 18n, 'the supply is intact')
})

t.test('nfc flow simulate --cheat no-openings wants two providers or more', async (t) => {
  const r = spawnSync(process.execPath, [CLI, 'flow', 'simulate', '--cheat', 'no-openings', '--providers', '1'], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 2)
  t.match(r.stderr, /--cheat no-openings needs --providers 2 or more \(provider 0 never answers, the others do\), got 1/)
  const help = spawnSync(process.execPath, [CLI, 'flow', '--help'], { encoding: 'utf8', timeout: 60_000 })
  t.match(help.stdout, /--cheat [^\n]*\bno-openings\b/)
  t.match(help.stdout, /no-openings: provider 0 never answers/)
})
