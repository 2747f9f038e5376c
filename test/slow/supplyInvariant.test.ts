/**
 * The supply invariant of issue 5 over 2,000 blocks (test/helpers/supplyRun.ts, which says what
 * it does and checks, and why 2,000 blocks are enough). In the slow tier (test/slow/, `npm run
 * test:slow`, run by CI after `npm test`): ~1.5–2 minutes on 2 cores (10,000 blocks took 6–8).
 * The run is a plain node process — tap's async-hook domain would slow its
 * promise-heavy loop by a third — whose JSON lines become the assertions and comments here.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { repoRoot } from '../helpers/inProcessNode.js'

// a longer run (SUPPLY_BLOCKS=10000 takes ~5–7 minutes on 2 cores) needs more than the 300 s
// per-file timeout of the tap config: this file asks tap's runner for more (the root
// setTimeout is sent to it)
t.setTimeout(20 * 60_000)

t.test('supply invariant (a separate process)', async (t) => {
  const child = spawn(
    process.execPath,
    ['--import', path.join(repoRoot, 'test', 'helpers', 'tsx.mjs'), path.join(repoRoot, 'test', 'helpers', 'supplyRun.ts')],
    {
      cwd: repoRoot,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-20_000)))
  let done = false
  let asserts = 0
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith('{')) continue
    const r = JSON.parse(line) as { type: string; name: string; ok?: boolean; diag?: unknown }
    if (r.type === 'comment') t.comment(r.name)
    else if (r.type === 'done') done = true
    else {
      asserts++
      t.ok(r.ok, r.name, r.diag === undefined ? {} : { diag: r.diag })
    }
  }
  const code: number | null = child.exitCode ?? (await new Promise((resolve) => child.once('exit', (c) => resolve(c))))
  t.equal(code, 0, `the run exited cleanly${code === 0 ? '' : `: ${stderr}`}`)
  t.ok(done && asserts > 0, `the run finished (${asserts} assertions)`)
})
