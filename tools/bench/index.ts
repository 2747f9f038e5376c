/**
 * `npm run bench` / `node dist/tools/bench/index.js [group…]`: runs the DESIGN §8 benchmark
 * groups in order, then prints a summary of every figure with its same-run baseline and target.
 *
 * A missed target is a measurement, not a failure: exit code 0, with MISSED in the summary.
 * A group that is missing or throws is reported and skipped; the others still run, and the exit
 * code is then 1 (so a broken benchmark is not mistaken for a result). Unknown group names: 2.
 */
import os from 'node:os'
import { rows, progress, type BenchRow } from './report.js'

interface Group {
  name: string
  what: string
}

const GROUPS: Group[] = [
  { name: 'core', what: 'WASM core: keccak256 / sha256, Merkle root, packet counter' },
  { name: 'recover', what: 'secp256k1 sender recovery (worker pool vs @noble/curves)' },
  { name: 'blocks', what: 'value and ERC-20 transfers through full blocks (recover, execute, commit to disk)' },
  {
    name: 'exec',
    what: 'CPU per transaction of building and importing a block of 2,000 value transfers and one of 500 ERC-20 calls, vs a bare @ethereumjs/vm runBlock',
  },
  { name: 'rpc', what: 'JSON-RPC over HTTP (eth_blockNumber, eth_getBalance, eth_call) vs a bare fastify route; eth_getLogs on 10,000 blocks' },
  {
    name: 'receipts',
    what: 'one receipt lookup on a 4,000-tx block (its own record vs decoding the whole block); the ordered-trie root of 4,000 txs vs @ethereumjs/mpt',
  },
  {
    name: 'flow',
    what: 'PoVF: receipts verified on the side-chain (2 signatures each, worker pool) vs noble; the watcher first look at a checkpoint vs checkFraud per candidate; slice openings, WASM vs JS',
  },
  {
    name: 'flowAgents',
    what: 'traffic agents: 256 MiB through nfc flow consume → provide (SOCKS5, loopback; each agent in its own process, and both in the bench thread) vs direct TCP; CPU per GB; CPU cost of the packet counter per GB',
  },
  {
    name: 'storage',
    what: 'disk per block, pruned (default) vs --archive: empty blocks and a transfer to a fresh address each block, after compaction; full-sync replay; snapshot vs full sync of 100,000 accounts (node processes over P2P)',
  },
  { name: 'network', what: 'a 4-witness devnet of processes: production → finality; a late joiner range-syncing 2,000 blocks' },
  { name: 'p2p', what: 'gossip cost: P2P bytes per empty block (all nodes, per node) and finality lag on full-mesh devnets of 4, 8 and 21 processes' },
  {
    name: 'load',
    what: 'wallets by the thousand: 150 wallets × 60 presigned transfers over HTTP, receipts polled, against Anvil and our dev node (missed slots, block start lateness)',
  },
]

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '—'
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US')
  return n.toPrecision(3)
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n'
}

function summary(all: BenchRow[]): string {
  const body = all.map((r) => {
    const ratio = r.baseline.value > 0 ? r.value / r.baseline.value : NaN
    return [
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      `${fmt(r.baseline.value)} (${r.baseline.name})`,
      `${fmt(ratio)}×`,
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
    ]
  })
  return table(['benchmark', 'figure', 'baseline (same run)', 'ratio', 'target', 'result'], body)
}

function machine(): string {
  const cpus = os.cpus()
  const model = cpus[0]?.model.trim() ?? 'unknown CPU'
  return (
    `machine: ${model}, ${cpus.length} cores (${os.availableParallelism()} available), ` +
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()} ${os.arch()}, node ${process.version}`
  )
}

async function main(): Promise<number> {
  const asked = process.argv.slice(2)
  if (asked.includes('--help') || asked.includes('-h')) {
    process.stdout.write(`usage: node dist/tools/bench/index.js [group…]\ngroups:\n${GROUPS.map((g) => `  ${g.name.padEnd(8)} ${g.what}`).join('\n')}\n`)
    return 0
  }
  const unknown = asked.filter((a) => !GROUPS.some((g) => g.name === a))
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench group(s): ${unknown.join(', ')}; known: ${GROUPS.map((g) => g.name).join(', ')}\n`)
    return 2
  }
  const selected = asked.length === 0 ? GROUPS : GROUPS.filter((g) => asked.includes(g.name))
  process.stdout.write(`${machine()}\n`)

  const failed: string[] = []
  const started = performance.now()
  for (const g of selected) {
    process.stdout.write(`\n== ${g.name}: ${g.what} ==\n`)
    progress(`${g.name}: starting…`)
    const t = performance.now()
    try {
      const mod = (await import(`./${g.name}.js`)) as { run?: () => Promise<void> }
      if (typeof mod.run !== 'function') throw new Error(`tools/bench/${g.name}.ts does not export run()`)
      await mod.run()
      progress('')
      process.stdout.write(`   (${g.name} took ${((performance.now() - t) / 1000).toFixed(1)} s)\n`)
    } catch (e) {
      progress('')
      failed.push(g.name)
      const err = e as NodeJS.ErrnoException
      const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(`${g.name}.js`)
      process.stdout.write(
        missing
          ? `ERROR: group ${g.name} is missing (tools/bench/${g.name}.ts not built)\n`
          : `ERROR: group ${g.name} failed after ${((performance.now() - t) / 1000).toFixed(1)} s: ${err?.stack ?? String(e)}\n`,
      )
    }
  }

  process.stdout.write(`\n== summary (${((performance.now() - started) / 1000).toFixed(1)} s) ==\n${machine()}\n`)
  if (rows.length > 0) process.stdout.write(summary(rows))
  else process.stdout.write('no figures were measured\n')
  const missed = rows.filter((r) => r.met === false)
  const met = rows.filter((r) => r.met === true)
  process.stdout.write(
    `targets: ${met.length} met, ${missed.length} MISSED` + (missed.length > 0 ? ` (MISSED: ${missed.map((r) => r.name).join('; ')})` : '') + '\n',
  )
  if (failed.length > 0) process.stdout.write(`groups that did not run to the end: ${failed.join(', ')}\n`)
  return failed.length > 0 ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (e) => {
    process.stderr.write(`bench runner failed: ${(e as Error)?.stack ?? String(e)}\n`)
    process.exitCode = 1
  },
)
