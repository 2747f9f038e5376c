/**
 * `nfc flow simulate`'s flag checks that need no node, in process: `--cheat crowd-out` (issue 16)
 * and `--cheat no-openings` want two providers or more; an unknown cheat names the list. Each is
 * refused with exit code 2 before anything is sent.
 */
import t, { type Test } from 'tap'
import { flowCommand } from '../../../src/cli/flowCommand.js'

/** runs `nfc flow …` and returns its exit code and what it wrote to stderr and stdout */
async function run(t: Test, ...argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = ''
  let stdout = ''
  const err = process.stderr.write.bind(process.stderr)
  const out = process.stdout.write.bind(process.stdout)
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write
  process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write
  try {
    return { code: await flowCommand(argv), stderr, stdout }
  } finally {
    process.stderr.write = err
    process.stdout.write = out
    t.comment(stderr.split('\n')[0] ?? '')
  }
}

t.test('--cheat crowd-out needs two providers or more', async (t) => {
  const r = await run(t, 'simulate', '--cheat', 'crowd-out', '--providers', '1')
  t.equal(r.code, 2)
  t.match(r.stderr, /--cheat crowd-out needs --providers 2 or more \(provider 0 crowds, the others must still get in\), got 1/)
})

t.test('--cheat no-openings needs two providers or more', async (t) => {
  const r = await run(t, 'simulate', '--cheat', 'no-openings', '--providers', '1')
  t.equal(r.code, 2)
  t.match(r.stderr, /--cheat no-openings needs --providers 2 or more/)
})

t.test('an unknown cheat names every one, crowd-out included; --help lists it', async (t) => {
  const r = await run(t, 'simulate', '--cheat', 'bogus')
  t.equal(r.code, 2)
  t.match(r.stderr, /--cheat wants one of [^\n]*no-openings, crowd-out, got "bogus"/)
  const help = await run(t, '--help')
  t.equal(help.code, 0)
  t.match(help.stdout, /\|no-openings\|crowd-out\]/)
  t.match(help.stdout, /crowd-out: provider 0 and its consumer also open 8 fresh sessions/)
})
