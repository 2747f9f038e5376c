/**
 * `nfc bench [group…]`: the benchmarks of `npm run bench` (tools/bench), for an operator who has
 * the installed package but not the repository's scripts. The CLI does not import tools/
 * (docs/layout.md): it runs the built runner, dist/tools/bench/index.js, as a child process with
 * the same Node.js flag as `npm run bench` and the same arguments (group names, --help), and
 * exits with its code.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import { packageRoot } from '../util/packageRoot.js'

/** the built benchmark runner, relative to the package root */
export const BENCH_RUNNER = 'dist/tools/bench/index.js'
/** what `npm run bench` gives node: the young generation the block benchmarks need */
const BENCH_NODE_FLAGS = ['--max-semi-space-size=64']

const HELP_HEAD = `nfc bench — the DESIGN §8 benchmarks, as \`npm run bench\`

Usage:
  nfc bench [group…]   run the named groups (default: all), then print a summary of every figure
                       with its same-run baseline and target; exit 1 if a group failed to run
`

/** The runner's path, or null when this install has no built benchmarks. */
export function benchRunner(root: string | null = packageRoot()): string | null {
  if (root === null) return null
  const file = join(root, BENCH_RUNNER)
  return existsSync(file) ? file : null
}

export async function benchCommand(argv: string[]): Promise<number> {
  const runner = benchRunner()
  if (runner === null) {
    process.stderr.write(`nfc bench: the benchmarks are not in this install (${BENCH_RUNNER} is missing); build the package with \`npm run build\`\n`)
    return 1
  }
  if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(HELP_HEAD + '\n')
  const child = spawn(process.execPath, [...BENCH_NODE_FLAGS, runner, ...argv], { stdio: 'inherit' })
  // SIGINT and SIGTERM go on to the runner, and this process exits with it, not before
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  const unforward = () => {
    process.off('SIGINT', forward)
    process.off('SIGTERM', forward)
  }
  return new Promise<number>((done) => {
    child.once('error', (e) => {
      unforward()
      process.stderr.write(`nfc bench: cannot run ${runner}: ${e.message}\n`)
      done(1)
    })
    child.once('exit', (code, signal) => {
      unforward()
      done(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)))
    })
  })
}
