/**
 * `exec` group: CPU time per transaction of block execution, building (the producer) and importing
 * (every other node), for a block of 2,000 value transfers from 2,000 senders and a block of 500
 * ERC-20 `transfer` calls (tools/bench/execChild.ts does the work, one process per build).
 *
 * Baselines measured in the same run:
 *  - a bare @ethereumjs/vm `runBlock` (generate) of the same transactions on the same accounts, in
 *    an in-memory trie (no disk, no system contracts, no fee split, no consensus hooks): what
 *    ethereumjs itself costs for that block;
 *  - with NFC_BENCH_EXEC_BASE=<dist directory of another build> (e.g. the commit before a change,
 *    built in a copy of the repository with node_modules linked), the same figures of that build,
 *    each of its processes side by side with one of this build's (both meet the same machine).
 * Sizes: NFC_BENCH_EXEC_TRANSFERS (2,000), NFC_BENCH_EXEC_CALLS (500), NFC_BENCH_EXEC_ROUNDS
 * (rounds per process, 3; the median is reported), NFC_BENCH_EXEC_PAIRS (processes per build, 2).
 */
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Figures as ChildFigures } from './execChild.js'
import { progress, row } from './report.js'

/** a child's figures (execChild.ts) with the block sizes it used */
type Figures = ChildFigures & { transfers: number; calls: number }

const here = dirname(fileURLToPath(import.meta.url))
/** this build's dist directory (this file is dist/tools/bench/exec.js) */
const ownDist = join(here, '..', '..')

const envInt = (name: string, def: number): number => {
  const v = process.env[name]
  const n = v === undefined ? def : Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`)
  return n
}

function child(dist: string, rounds: number, mode: 'ours' | 'bare'): Promise<Figures> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--max-semi-space-size=64', join(here, 'execChild.js'), dist, String(rounds), mode],
      { maxBuffer: 64 << 20, env: process.env },
      (err, stdout, stderr) => {
        if (err !== null) return reject(new Error(`exec child (${dist}) failed: ${err.message}\n${stderr.slice(-2000)}`))
        const line = stdout.trim().split('\n').at(-1) ?? ''
        try {
          resolve(JSON.parse(line) as Figures)
        } catch {
          reject(new Error(`exec child (${dist}): no result line in ${JSON.stringify(stdout.slice(-500))}`))
        }
      },
    )
  })
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function merge(all: Figures[]): Figures {
  const out = { ...all[0]! }
  for (const k of ['buildTransfer', 'buildCall', 'importTransfer', 'importCall', 'bareTransfer', 'bareCall'] as const) out[k] = all.flatMap((f) => f[k])
  for (const f of all) {
    if (f.roots.join() !== out.roots.join()) throw new Error(`exec: two processes ended on other state roots (${f.roots.join()} vs ${out.roots.join()})`)
  }
  return out
}

/** µs of CPU per transaction (median over rounds) */
const perTx = (ms: number[], n: number): number => (1000 * median(ms)) / n
/** µs of CPU per transaction, the least round (the one the machine disturbed least) */
const bestPerTx = (ms: number[], n: number): number => (1000 * Math.min(...ms)) / n

export async function run(): Promise<void> {
  const rounds = envInt('NFC_BENCH_EXEC_ROUNDS', 3)
  const pairs = envInt('NFC_BENCH_EXEC_PAIRS', 2)
  const base = process.env.NFC_BENCH_EXEC_BASE
  const ours: Figures[] = []
  const theirs: Figures[] = []
  const bares: Figures[] = []
  for (let p = 0; p < pairs; p++) {
    if (base !== undefined && base !== '') {
      // side by side, so that both builds meet the same machine (a shared box's load moves by the minute)
      progress(`exec: process ${p + 1}/${pairs} of this build and of ${base}, side by side`)
      const [mine, other] = await Promise.all([child(ownDist, rounds, 'ours'), child(base, rounds, 'ours')])
      ours.push(mine)
      theirs.push(other)
    } else {
      progress(`exec: process ${p + 1}/${pairs} of this build`)
      ours.push(await child(ownDist, rounds, 'ours'))
    }
    progress(`exec: process ${p + 1}/${pairs} of the bare runBlock`)
    bares.push(await child(ownDist, rounds, 'bare'))
  }
  progress('')
  const o = merge(ours)
  o.bareTransfer = bares.flatMap((f) => f.bareTransfer)
  o.bareCall = bares.flatMap((f) => f.bareCall)
  const b = theirs.length > 0 ? merge(theirs) : undefined
  if (b !== undefined && b.roots.join() !== o.roots.join())
    throw new Error(`exec: the base build ends on other state roots (${b.roots.join()} vs ${o.roots.join()})`)
  const n = { Transfer: o.transfers, Call: o.calls }
  process.stdout.write(
    `  CPU µs per transaction (user + system, all threads; median of ${o.buildTransfer.length} rounds in ${pairs} process(es) per build); ` +
      `state roots identical across rounds${b !== undefined ? ' and builds' : ''}\n`,
  )
  for (const kind of ['Transfer', 'Call'] as const) {
    const label = kind === 'Transfer' ? `${o.transfers} value transfers` : `${o.calls} ERC-20 transfer calls`
    const bare = perTx(o[`bare${kind}`], n[kind])
    for (const phase of ['build', 'import'] as const) {
      const mine = perTx(o[`${phase}${kind}`], n[kind])
      // higher is better in the summary: transactions per CPU second
      row({
        name: `${phase} a block of ${label}`,
        value: 1e6 / mine,
        unit: 'tx/CPU-s',
        baseline: { name: 'bare @ethereumjs/vm runBlock, same txs, in memory', value: 1e6 / bare },
      })
      const rounds = (f: Figures) => f[`${phase}${kind}`].map((ms) => ((1000 * ms) / n[kind]).toFixed(0)).join(', ')
      const best = bestPerTx(o[`${phase}${kind}`], n[kind])
      let vsBase = ''
      if (b !== undefined) {
        const theirs = perTx(b[`${phase}${kind}`], n[kind])
        const theirBest = bestPerTx(b[`${phase}${kind}`], n[kind])
        vsBase =
          `\n      base build ${theirs.toFixed(0)} µs/tx, least ${theirBest.toFixed(0)} (rounds: ${rounds(b)}): this build's CPU per tx is ` +
          `${(mine / theirs).toFixed(2)}× the base's by the median, ${(best / theirBest).toFixed(2)}× by the least round`
      }
      process.stdout.write(
        `    ${mine.toFixed(0)} µs CPU/tx, least ${best.toFixed(0)} (rounds: ${rounds(o)}); bare runBlock ${bare.toFixed(0)} µs/tx${vsBase}\n`,
      )
    }
  }
}
