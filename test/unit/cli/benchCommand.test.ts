/**
 * `nfc bench` (src/cli/benchCommand.ts) runs the built tools/bench runner with the same groups and
 * flags as `npm run bench`; `nfc --help` lists it. No benchmark is run here: --help and an unknown
 * group are answered by the runner itself, which proves the arguments and exit code pass through.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCH_RUNNER, benchRunner } from '../../../src/cli/benchCommand.js'
import { CLI, REPO_ROOT, runScript } from '../../helpers/nodeProcess.js'

t.test('nfc bench --help: its usage, then the runner’s groups', async (t) => {
  const r = await runScript(CLI, ['bench', '--help'])
  t.equal(r.code, 0, r.err)
  t.match(r.out, /^nfc bench — the DESIGN §8 benchmarks, as `npm run bench`/)
  t.match(r.out, /\ngroups:\n/)
  for (const group of ['core', 'recover', 'blocks', 'rpc', 'receipts', 'flow', 'network', 'p2p', 'load'])
    t.match(r.out, new RegExp(`\\n  ${group} +\\S`), group)
})

t.test('an unknown group: the runner refuses it with exit code 2, which nfc bench returns', async (t) => {
  const r = await runScript(CLI, ['bench', 'nosuch'])
  t.equal(r.code, 2)
  t.match(r.err, /unknown bench group\(s\): nosuch; known: core, recover/)
  t.equal(r.out, '', 'nothing ran')
})

t.test('the runner is found in the package, and missing elsewhere', async (t) => {
  t.equal(benchRunner(REPO_ROOT), join(REPO_ROOT, BENCH_RUNNER))
  const empty = mkdtempSync(join(tmpdir(), 'nfc-bench-'))
  t.teardown(() => rmSync(empty, { recursive: true, force: true }))
  t.equal(benchRunner(empty), null)
  t.equal(benchRunner(null), null)
})

t.test('nfc --help lists bench and flow', async (t) => {
  const r = await runScript(CLI, ['--help'])
  t.equal(r.code, 0)
  t.match(r.out, /\n  nfc bench \[group…\]/)
  t.match(r.out, /\n  bench +the DESIGN §8 benchmarks/)
  t.match(r.out, /\n  nfc flow simulate /)
  t.match(r.out, /\n  flow +Proof of Valuable Flow tools/)
})
