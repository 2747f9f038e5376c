/**
 * `nfc flow simulate --cheat overflow` (DESIGN §12 "Bounds", issue 16 E1) through the built CLI,
 * against an in-process dev node producing on the real clock with 4 s flow cycles: a key pair
 * nobody funded or pledged submits, every tick and alongside honest traffic, receipts it signed
 * at both ends with running totals of 2^256−1, 2^64 and 1 MiB. The run must end with every forged
 * receipt refused at the edge (the uint64 bound, then the unpledged provider), the honest
 * provider's checkpoint applied and paid, the forger unpaid and the chain still producing.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { devGenesis, devKey, startNode } from '../helpers/inProcessNode.js'
import { untilHead } from '../helpers/flowChain.js'

const CLI = new URL('../../dist/src/bin/nfc.js', import.meta.url).pathname
const run = promisify(execFile)

/** the count in a summary line `  rejected N× CODE` (0 when absent) */
const rejected = (out: string, code: string): number => Number(new RegExp(`rejected (\\d+)× ${code}\\b`).exec(out)?.[1] ?? 0)

t.test('a forger with no funds and no pledge cannot stop, fake or share the honest rewards', async (t) => {
  const genesis = devGenesis((g) => {
    g.timestamp = Math.floor(Date.now() / 1000) * 1000
    g.params.flowCycleSec = 4
    g.params.flowChallengeSec = 1
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  const args = ['flow', 'simulate', '--rpc', n.url, '--cheat', 'overflow', '--consumers', '2', '--providers', '1', '--seconds', '3', '--seed', '7']
  const { stdout } = await run(process.execPath, [CLI, ...args, '--funder-key', DEV_ACCOUNTS[1]!.privateKey], { encoding: 'utf8', timeout: 180_000 })
  t.comment(stdout)

  const forger = /forger \(unfunded, unpledged[^)]*\): (\d+) receipts submitted, (\d+) accepted, (\d+) refused\n {2}(0x[0-9a-f]{40}): locked ([\d.]+) NFC/.exec(
    stdout,
  )
  t.ok(forger, 'the forger line is printed')
  const [, submitted, accepted, refused, address, locked] = forger ?? []
  const ticks = Number(submitted) / 3
  t.ok(Number.isInteger(ticks) && ticks > 0, `three forged receipts a tick (${submitted})`)
  t.equal(accepted, '0', 'no forged receipt is accepted')
  t.equal(refused, submitted, 'every forged receipt is refused')
  t.equal(rejected(stdout, 'FLOW_OUT_OF_BOUNDS'), 2 * ticks, 'the 2^256−1 and 2^64 totals: refused by the uint64 bound, before anything else')
  // the plausible one is refused for its provider; one that crossed a cycle end on its way may be
  // refused for its stale cycle first
  t.equal(rejected(stdout, 'FLOW_NOT_PLEDGED') + rejected(stdout, 'FLOW_WRONG_CYCLE'), ticks, 'the 1 MiB one: the provider is not a pledged node')
  t.ok(rejected(stdout, 'FLOW_NOT_PLEDGED') > 0, 'refused as unpledged')
  const receipts = /receipts: (\d+) submitted, (\d+) accepted, (\d+) rejected/.exec(stdout)
  t.equal(Number(receipts?.[3]), Number(submitted), 'nothing but the forged receipts was rejected')
  t.ok(Number(receipts?.[2]) > 0, 'honest receipts accepted')

  t.match(stdout, /rewards \(checkpoint of cycle \d+ applied\):/, 'the honest checkpoint was applied')
  const honest = /rewards \(checkpoint[^\n]*\n {2}(0x[0-9a-f]{40}): locked ([\d.]+) NFC/.exec(stdout)
  t.ok(Number(honest?.[2]) > 0, `the honest provider was paid (${honest?.[2]} NFC locked)`)
  t.equal(Number(locked), 0, 'the forger earned nothing')
  t.match(stdout, /economics \(capFactor/, 'the economic table is printed')
  t.notMatch(stdout, /FAIL/, 'the economic check: no more earned than the fuel × capFactor')
  t.equal(BigInt((await n.rpc('flow_getRewards', [address])).locked), 0n, 'and the chain agrees')

  const head = BigInt(await n.rpc('eth_blockNumber'))
  const after = await untilHead(
    n,
    async () => {
      const now = BigInt(await n.rpc('eth_blockNumber'))
      return now >= head + 2n ? now : undefined
    },
    'two more blocks',
  )
  t.ok(after >= head + 2n, 'the chain keeps producing')
  const supply = await n.rpc('nfc_getSupply')
  t.equal(BigInt(supply.total), 2_100_000_000n * 10n ** 18n, 'the supply is intact')
})
