/**
 * `npm run lab`: the multi-host lab (issue 15, DESIGN §11). N network namespaces on a bridge,
 * one `nfc node` witness in each, links impaired with latency ± jitter and loss, then the
 * scenarios in turn: a healthy run, a 2/2 partition and heal, a kill -9 and restart, a stranger
 * sending invalid blocks. Progress lines while it runs, then a summary table per scenario. Needs root, `ip` and `nft`.
 *
 *   npm run lab -- [--nodes 4] [--delay 100] [--jitter 20] [--loss 1] [--duration 30]
 *                  [--hold 15] [--down 10] [--scenarios healthy,partition,crash,byzantine]
 *
 * Exits 1 when a scenario's check failed, 2 on bad flags. Everything it creates is removed on
 * exit, on error and on SIGINT/SIGTERM; a killed earlier run's leftovers are removed at start.
 */
import { unavailableReason } from './netns.js'
import { parseLabFlags, runLab, summaryTable, type LabRunOptions } from './run.js'

async function main(): Promise<number> {
  let opts: Omit<LabRunOptions, 'log'>
  try {
    opts = parseLabFlags(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`lab: ${(e as Error).message}\n`)
    return 2
  }
  const why = unavailableReason()
  if (why !== undefined) {
    process.stderr.write(`lab: ${why}\n`)
    return 2
  }
  const started = Date.now()
  const log = (m: string) => process.stderr.write(`[lab ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`)
  const results = await runLab({ ...opts, log })
  process.stdout.write('\n' + summaryTable(results))
  return results.every((r) => r.checks.every((c) => c.ok)) ? 0 : 1
}

// SIGINT/SIGTERM: exit through process.exit, so the lab's 'exit' handler tears it down
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130))

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`lab: ${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  },
)
