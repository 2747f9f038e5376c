/**
 * Every benchmark figure is printed next to a baseline measured in the same run (the machines
 * are noisy, so only ratios within one run mean anything). Bench modules call `row()`.
 */
export interface BenchRow {
  /** what was measured, e.g. "keccak256 64 B" */
  name: string
  /** the figure, in `unit` (higher is better) */
  value: number
  unit: string
  /** the same work done by the reference implementation, measured in this run */
  baseline: { name: string; value: number }
  /** the DESIGN §8 target in words, e.g. "≥ 10× noble" or "≥ 3,000/s per core" */
  target?: string
  /** whether the target was met (left undefined when no target applies) */
  met?: boolean
}

export const rows: BenchRow[] = []

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US')
  return n.toPrecision(3)
}

export function row(r: BenchRow): void {
  rows.push(r)
  const ratio = r.baseline.value > 0 ? r.value / r.baseline.value : NaN
  const verdict = r.met === undefined ? '' : r.met ? '  [target met]' : '  [TARGET MISSED]'
  process.stdout.write(
    `${r.name.padEnd(44)} ${fmt(r.value).padStart(12)} ${r.unit.padEnd(8)}` +
      ` | baseline ${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` +
      ` | ${fmt(ratio)}×${r.target ? `  target ${r.target}` : ''}${verdict}\n`,
  )
}

/** A progress line on stderr, overwritten in place, for long runs. */
export function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${msg}`)
  else process.stderr.write(msg + '\n')
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns operations per second. */
export function opsPerSecond(fn: () => number, ms = 1000): number {
  // warm up so the JIT and the WASM tier-up are out of the measurement
  const warmEnd = performance.now() + Math.min(200, ms / 4)
  while (performance.now() < warmEnd) fn()
  let ops = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    ops += fn()
    now = performance.now()
  }
  return (ops * 1000) / (now - start)
}

/** A positive integer from environment variable `name` (a bench size), `def` when unset; throws on anything else. */
export function envInt(name: string, def: number): number {
  const v = process.env[name]
  const n = v === undefined ? def : Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`)
  return n
}
