/**
 * A lab run: the scenarios in turn on one lab, the summary table, and the lab's flags. The
 * command line is index.ts; the e2e test calls `runLab` directly.
 */
import { parseArgs } from 'node:util'
import { Lab } from './lab.js'
import type { Impairment } from './netns.js'
import { FinalityObserver, byzantine, crash, healthy, partition, warmUp, type ScenarioResult } from './scenarios.js'

export const SCENARIOS = ['healthy', 'partition', 'crash', 'byzantine'] as const
export type ScenarioName = (typeof SCENARIOS)[number]

/** A lab run's settings. */
export interface LabRunOptions {
  nodes: number
  impairment: Impairment
  scenarios: ScenarioName[]
  healthyMs: number
  partitionHoldMs: number
  crashDownMs: number
  log(msg: string): void
}

/** Runs the scenarios on one lab; the lab is torn down before it returns or throws. */
export async function runLab(o: LabRunOptions): Promise<ScenarioResult[]> {
  const lab = await Lab.start({ nodes: o.nodes, impairment: o.impairment, log: o.log })
  const obs = new FinalityObserver(lab)
  try {
    obs.start()
    await warmUp(lab, o.log)
    const results: ScenarioResult[] = []
    for (const s of o.scenarios) {
      o.log(`--- ${s}`)
      if (s === 'healthy') results.push(await healthy(lab, obs, o.healthyMs, o.log))
      else if (s === 'partition') results.push(await partition(lab, obs, o.partitionHoldMs, o.log))
      else if (s === 'crash') results.push(await crash(lab, obs, o.crashDownMs, o.log))
      else results.push(await byzantine(lab, obs, o.log))
      for (const c of results.at(-1)!.checks) o.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`)
    }
    const failed = results.some((r) => r.checks.some((c) => !c.ok))
    if (failed) o.log(`a check failed: the node logs are kept in ${lab.dir}/node-*/node.log`)
    lab.destroy(failed)
    return results
  } catch (e) {
    o.log(`the run failed: the node logs are kept in ${lab.dir}/node-*/node.log`)
    lab.destroy(true)
    throw e
  } finally {
    obs.stop()
    lab.destroy()
  }
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-')
const kb = (x: number) => (Number.isFinite(x) ? `${(x / 1024).toFixed(1)} KiB` : '-')

/** The summary table, one row per scenario. */
export function summaryTable(results: ScenarioResult[]): string {
  const head = ['scenario', 'checks', 'lag med', 'lag max', 'blocks', 'missed', 'bytes/block total', 'bytes/block per node']
  const rows = results.map((r) => [
    r.name,
    `${r.checks.filter((c) => c.ok).length}/${r.checks.length}`,
    fmt(r.lagMedian),
    fmt(r.lagMax),
    String(r.blocks),
    String(r.missedSlots),
    kb(r.bytesPerBlockTotal),
    r.bytesPerBlockPerNode.map(kb).join(', '),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  return (
    [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') +
    '\n(lag: block intervals from slot start to seen final; bytes: wire bytes on the data links)\n'
  )
}

/** A bad lab flag. */
export class FlagError extends Error {}

function intFlag(name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new FlagError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`)
  return Number(value)
}

/** Parses the lab's flags (FlagError on a bad value). */
export function parseLabFlags(argv: string[]): Omit<LabRunOptions, 'log'> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      delay: { type: 'string' },
      jitter: { type: 'string' },
      loss: { type: 'string' },
      duration: { type: 'string' },
      hold: { type: 'string' },
      down: { type: 'string' },
      scenarios: { type: 'string' },
    },
    strict: true,
  })
  const loss = v.loss ?? '1'
  if (!/^\d+(\.\d)?$/.test(loss) || Number(loss) > 100) throw new FlagError(`--loss must be a percentage from 0 to 100 with at most one decimal, got "${loss}"`)
  const delayMs = intFlag('delay', v.delay, 100, 0, 10_000)
  const jitterMs = intFlag('jitter', v.jitter, 20, 0, 10_000)
  if (jitterMs > delayMs) throw new FlagError(`--jitter (${jitterMs}) cannot exceed --delay (${delayMs})`)
  const scenarios = (v.scenarios ?? SCENARIOS.join(',')).split(',')
  for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new FlagError(`unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})`)
  return {
    nodes: intFlag('nodes', v.nodes, 4, 2, 64),
    impairment: { delayMs, jitterMs, lossPerMille: Math.round(Number(loss) * 10) },
    scenarios: scenarios as ScenarioName[],
    healthyMs: intFlag('duration', v.duration, 30, 1, 3600) * 1000,
    partitionHoldMs: intFlag('hold', v.hold, 15, 5, 3600) * 1000,
    crashDownMs: intFlag('down', v.down, 10, 1, 3600) * 1000,
  }
}
