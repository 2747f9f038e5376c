/**
 * Snapshot sync against full sync (issue 17: "snapshot sync of a chain with ≥ 100,000 accounts vs
 * full sync of the same chain, in the same run (target: snap ≥ 5× faster, and the time flat in
 * chain length)"), with real `nfc node` processes over P2P on loopback.
 *
 * The chain: `buildBigState({ mode: 'blocks' })` — the accounts (NFC_BENCH_BIG_ACCOUNTS, default
 * 100,000) are created by fan-out calls in blocks, so a full sync re-executes every account
 * creation — then a short tail of empty blocks (NFC_BENCH_SNAP_TAIL_SHORT, 200); the long chain is
 * the same chain with more empty blocks (to NFC_BENCH_SNAP_TAIL_LONG, 2,000). Both are cached
 * under `os.tmpdir()/nfc-bench-bigstate-<key>` (the key hashes the sizes, the dev genesis and
 * the package version): a second run reuses them, after checking the cached data directory still
 * opens at the head it was built with (else it is built again).
 *
 * For each chain a source node (no witness key: the head stays where it is) serves a copy of the
 * cached data directory; then a fresh node with `--sync snap` and one with `--sync full` each sync
 * from it until their head is the source's, timed from the process start. Each synced node is
 * checked against the source before its figure counts: sampled account balances, every
 * contract's code and a storage slot of each, at the head (a bench of a broken sync is worthless).
 */
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { openDatabase } from '../../../src/chain/db/level.js'
import { loadGenesisFile } from '../../../src/chain/genesis.js'
import { makeCommon } from '../../../src/execution/common.js'
import { Blockchain } from '../../../src/node/blockchain.js'
import { SNAP_MIN_BLOCKS_AHEAD } from '../../../src/node/snapSync.js'
import { silentLogger } from '../../../src/util/logger.js'
import { packageRoot } from '../../../src/util/packageRoot.js'
import { call, freePort, startNodeProcess, stopNodeProcess, type Proc } from '../network.js'
import { envInt, progress, row } from '../report.js'
import { BIG_STATE_ACCOUNTS, BIG_STATE_FANOUT, bigStateAccount, bigStateContract, buildBigState, extendBigState } from './bigState.js'

const ACCOUNTS = envInt('NFC_BENCH_BIG_ACCOUNTS', BIG_STATE_ACCOUNTS)
const TAIL_SHORT = envInt('NFC_BENCH_SNAP_TAIL_SHORT', 200)
const TAIL_LONG = envInt('NFC_BENCH_SNAP_TAIL_LONG', 2_000)
/**
 * NFC_BENCH_SNAP_ONLY=1: the snapshot syncs only, no full sync (for profiling and iterating on the
 * snapshot path; the ratio rows need the full syncs and are left out)
 */
const SNAP_ONLY = process.env.NFC_BENCH_SNAP_ONLY === '1'
const CONTRACTS = 10
const SLOTS_PER_CONTRACT = 1_000
/** issue 17: snap at least this many times faster than full sync */
const SPEEDUP_TARGET = 5
/** "flat in chain length": the long chain's snap time at most this multiple of the short one's */
const FLAT_TARGET = 1.5
/** accounts whose balance is compared with the source's on every synced node */
const SAMPLED_ACCOUNTS = 64
/** bump when the cached chain's make-up changes (the builder, the tail) */
const CACHE_FORMAT = 1
/** a "did not hang" guard for one sync, not a figure (a full sync of 100,000 accounts on a loaded box) */
const SYNC_TIMEOUT_MS = 45 * 60_000
const START_TIMEOUT_MS = 120_000
/**
 * how often a syncing node's head is asked for (the time is taken when the head is seen: a poll
 * every 250 ms added 125 ms on average to a figure of ~4 s; an eth_blockNumber costs the node ~0.1 ms)
 */
const HEAD_POLL_MS = 50
/** what every account holds (bigState's ACCOUNT_FUNDS_WEI) */
const ACCOUNT_FUNDS_WEI = 10n ** 15n

/** a big-state chain in the cache */
export interface CachedChain {
  /** the cache directory: `genesis.json`, `datadir/`, `built.json` */
  dir: string
  datadir: string
  genesisFile: string
  head: { number: number; hash: string }
  tail: number
  accounts: number
  /** seconds the build (or the extension) took when it was made */
  buildSeconds: number
  reused: boolean
}

interface Marker {
  head: { number: number; hash: string }
  buildSeconds: number
}

function cacheDir(tail: number): string {
  const root = packageRoot()!
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        format: CACHE_FORMAT,
        accounts: ACCOUNTS,
        contracts: CONTRACTS,
        slots: SLOTS_PER_CONTRACT,
        tail,
        dev: readFileSync(join(root, 'genesis', 'dev.json'), 'utf8'),
        version: (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
      }),
    )
    .digest('hex')
    .slice(0, 16)
  return join(os.tmpdir(), `nfc-bench-bigstate-${key}`)
}

/** the head of a data directory as this build opens it (throws when it does not open) */
async function openedHead(datadir: string, genesisFile: string): Promise<{ number: number; hash: string }> {
  const genesis = loadGenesisFile(genesisFile)
  const db = await openDatabase(join(datadir, 'chaindata'))
  try {
    const chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now: () => Date.now() })
    const head = { number: Number(chain.head.header.number), hash: bytesToHex(chain.head.hash) }
    await chain.close()
    return head
  } finally {
    await db.close()
  }
}

/**
 * The big-state chain with `tail` empty blocks after the state, from the cache when it is there
 * and still opens at its recorded head; otherwise built (from `base`, the same state with a
 * shorter tail, when given) into a scratch directory renamed into place once complete.
 */
async function cachedChain(tail: number, base: CachedChain | undefined): Promise<CachedChain> {
  const dir = cacheDir(tail)
  const datadir = join(dir, 'datadir')
  const genesisFile = join(dir, 'genesis.json')
  const markerFile = join(dir, 'built.json')
  const what = `${ACCOUNTS.toLocaleString('en-US')} accounts + ${tail.toLocaleString('en-US')} blocks`
  if (existsSync(markerFile)) {
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Marker
    try {
      const head = await openedHead(datadir, genesisFile)
      if (head.hash !== marker.head.hash) throw new Error(`its head is ${head.number} ${head.hash}, built as ${marker.head.number} ${marker.head.hash}`)
      process.stdout.write(`snap bench: reusing the cached chain (${what}, head ${head.number}) at ${dir}\n`)
      return { dir, datadir, genesisFile, head, tail, accounts: ACCOUNTS, buildSeconds: marker.buildSeconds, reused: true }
    } catch (e) {
      process.stdout.write(`snap bench: the cached chain at ${dir} does not open with this build (${(e as Error).message}): building it again\n`)
    }
  }
  rmSync(dir, { recursive: true, force: true })
  const scratch = `${dir}.building-${process.pid}`
  rmSync(scratch, { recursive: true, force: true })
  const started = performance.now()
  let head: { number: number; hash: string }
  if (base === undefined) {
    process.stdout.write(`snap bench: building the chain (${what}) into ${dir}\n`)
    const built = await buildBigState({
      mode: 'blocks',
      accounts: ACCOUNTS,
      contracts: CONTRACTS,
      slotsPerContract: SLOTS_PER_CONTRACT,
      tailBlocks: tail,
      dir: scratch,
      onProgress: progress,
    })
    head = { number: Number(built.head.number), hash: bytesToHex(built.head.hash) }
  } else {
    process.stdout.write(`snap bench: building the chain (${what}) from the cached one with ${base.tail} blocks, into ${dir}\n`)
    cpSync(base.dir, scratch, { recursive: true, filter: (src) => !src.endsWith('built.json') })
    const h = await extendBigState(join(scratch, 'datadir'), join(scratch, 'genesis.json'), tail - base.tail, progress)
    head = { number: Number(h.number), hash: bytesToHex(h.hash) }
  }
  const buildSeconds = (performance.now() - started) / 1000
  writeFileSync(join(scratch, 'built.json'), JSON.stringify({ head, buildSeconds } satisfies Marker))
  renameSync(scratch, dir)
  process.stdout.write(`snap bench: built in ${buildSeconds.toFixed(1)} s (head ${head.number}); cached for the next run\n`)
  return { dir, datadir, genesisFile, head, tail, accounts: ACCOUNTS, buildSeconds, reused: false }
}

/** one sync's figures */
interface SyncFigures {
  mode: 'snap' | 'full'
  tail: number
  seconds: number
  /** MB of P2P frames the syncing node received */
  megabytes: number
  head: number
  /** the node's own line: the snapshot's seconds, or the range sync's blocks/s */
  reported: string
  /** CPU seconds of the syncing node (start to head) and of the source meanwhile; NaN without /proc */
  cpu: { node: number; source: number }
}

/** clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux) */
const USER_HZ = 100

/** CPU seconds (user + system) a process has used, from /proc (undefined where there is none) */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ
  } catch {
    return undefined
  }
}

/** the sum of a counter's samples in a /metrics text */
function metricSum(text: string, metric: string): number {
  let sum = 0
  for (const m of text.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1])
  return sum
}

/** a JSON-RPC call retried while the node is busy or still starting (a progress poll must not fail the run) */
async function patientCall<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await call<T>(url, method, params)
    } catch (e) {
      if (tries >= 20) throw e
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/** the last `key=value` of a log line matching `line` */
function lastField(log: string, line: RegExp, key: string): string | undefined {
  const lines = log.split('\n').filter((l) => line.test(l))
  return new RegExp(`\\b${key}=(\\S+)`).exec(lines.at(-1) ?? '')?.[1]
}

/**
 * The synced node's state at the head against the source's: sampled balances (all funded), the
 * fan-out contract's code, and one slot of each storage contract. Throws on any difference.
 */
async function checkAgainstSource(synced: Proc, source: Proc, head: number): Promise<void> {
  const at = `0x${head.toString(16)}`
  const idx = Array.from({ length: SAMPLED_ACCOUNTS }, (_, k) => Math.floor((k * (ACCOUNTS - 1)) / (SAMPLED_ACCOUNTS - 1)))
  for (const i of idx) {
    const a = bigStateAccount(i).toString()
    const [x, y] = await Promise.all([patientCall<string>(source.url, 'eth_getBalance', [a, at]), patientCall<string>(synced.url, 'eth_getBalance', [a, at])])
    if (x !== y || BigInt(y) !== ACCOUNT_FUNDS_WEI) throw new Error(`account ${i} (${a}): the source holds ${x}, the synced node ${y}`)
  }
  const code = await patientCall<string>(synced.url, 'eth_getCode', [BIG_STATE_FANOUT.toString(), at])
  if (code === '0x' || code !== (await patientCall<string>(source.url, 'eth_getCode', [BIG_STATE_FANOUT.toString(), at]))) {
    throw new Error(`the fan-out contract's code differs on the synced node (${code.slice(0, 20)}…)`)
  }
  for (let c = 0; c < CONTRACTS; c++) {
    const j = (c * 97) % SLOTS_PER_CONTRACT
    const slot = bytesToHex(setLengthLeft(Uint8Array.of(j >> 8, j & 0xff), 32))
    const addr = bigStateContract(c).toString()
    const [x, y] = await Promise.all([
      patientCall<string>(source.url, 'eth_getStorageAt', [addr, slot, at]),
      patientCall<string>(synced.url, 'eth_getStorageAt', [addr, slot, at]),
    ])
    if (x !== y || BigInt(y) !== BigInt(j + 1)) throw new Error(`contract ${c} slot ${j}: the source holds ${x}, the synced node ${y}`)
  }
}

/** A fresh node syncs from the source with `--sync mode` until its head is the source's; timed from its start. */
async function syncOnce(chain: CachedChain, mode: 'snap' | 'full', source: Proc, sourceP2p: number, work: string): Promise<SyncFigures> {
  const label = `${mode} sync, +${chain.tail} blocks`
  const datadir = join(work, `${mode}-${chain.tail}`)
  const args = ['--genesis', chain.genesisFile, '--datadir', datadir, '--p2p', `127.0.0.1:${await freePort()}`]
  args.push('--peers', `ws://127.0.0.1:${sourceP2p}`, '--p2p-exempt', '127.0.0.1', '--sync', mode, '--rpc-max-lag', '0')
  const rpcPort = await freePort()
  const sourceCpu = cpuSeconds(source.child.pid)
  const started = performance.now()
  const node = await startNodeProcess(args, rpcPort, undefined, START_TIMEOUT_MS)
  try {
    let lastShown = 0
    for (;;) {
      const head = Number(await patientCall<string>(node.url, 'eth_blockNumber'))
      const elapsed = performance.now() - started
      if (head >= chain.head.number) break
      if (node.child.exitCode !== null) throw new Error(`${label}: the node exited\n${node.log().slice(-4000)}`)
      if (elapsed > SYNC_TIMEOUT_MS) throw new Error(`${label}: not at the head within ${SYNC_TIMEOUT_MS / 60_000} min\n${node.log().slice(-4000)}`)
      if (elapsed - lastShown >= 2_000) {
        lastShown = elapsed
        const state = lastField(node.log(), /snapshot sync: state/, 'accounts')
        const blocks = lastField(node.log(), /snapshot sync: blocks/, 'at')
        const what =
          mode === 'snap' && head === 0
            ? state !== undefined
              ? `${Number(state).toLocaleString('en-US')} accounts (${lastField(node.log(), /snapshot sync: state/, 'done')})`
              : `history to block ${blocks ?? 0}`
            : `block ${head}`
        progress(`storage: ${label}: ${what} of ${chain.head.number} blocks, ${(elapsed / 1000).toFixed(0)} s`)
      }
      await new Promise((r) => setTimeout(r, HEAD_POLL_MS))
    }
    const seconds = (performance.now() - started) / 1000
    const cpu = { node: cpuSeconds(node.child.pid) ?? NaN, source: (cpuSeconds(source.child.pid) ?? NaN) - (sourceCpu ?? NaN) }
    const metrics = await (await fetch(`${node.url}/metrics`)).text()
    const megabytes = metricSum(metrics, 'nfc_p2p_bytes_received_total') / 1e6
    const log = node.log()
    const snapped = /snapshot sync finished/.test(log)
    if (mode === 'snap' && !snapped) throw new Error(`${label}: the node reached the head without a snapshot sync\n${log.slice(-4000)}`)
    if (mode === 'full' && /snapshot sync started/.test(log)) throw new Error(`${label}: --sync full started a snapshot sync`)
    await checkAgainstSource(node, source, chain.head.number)
    const reported =
      mode === 'snap'
        ? `snapshot ${lastField(log, /snapshot sync finished/, 'seconds')} s, ${lastField(log, /snapshot sync finished/, 'megabytes')} MB of state`
        : `range sync ${lastField(log, /sync finished/, 'blocksPerSecond') ?? '?'} blocks/s`
    return { mode, tail: chain.tail, seconds, megabytes, head: chain.head.number, reported, cpu }
  } finally {
    await stopNodeProcess(node)
  }
}

/** The source node on a copy of the cached chain, a snap sync and a full sync from it. */
async function syncBoth(chain: CachedChain, work: string): Promise<{ snap: SyncFigures; full: SyncFigures | undefined }> {
  const sourceDir = join(work, `source-${chain.tail}`)
  cpSync(chain.dir, sourceDir, { recursive: true })
  const p2p = await freePort()
  progress(`storage: starting the source node (+${chain.tail} blocks)…`)
  const source = await startNodeProcess(
    ['--genesis', join(sourceDir, 'genesis.json'), '--datadir', join(sourceDir, 'datadir'), '--p2p', `127.0.0.1:${p2p}`, '--p2p-exempt', '127.0.0.1'],
    await freePort(),
    undefined,
    START_TIMEOUT_MS,
  )
  try {
    const head = Number(await patientCall<string>(source.url, 'eth_blockNumber'))
    if (head !== chain.head.number) throw new Error(`the source node's head is ${head}, the chain's ${chain.head.number}`)
    const snap = await syncOnce(chain, 'snap', source, p2p, work)
    const full = SNAP_ONLY ? undefined : await syncOnce(chain, 'full', source, p2p, work)
    return { snap, full }
  } finally {
    await stopNodeProcess(source)
  }
}

/**
 * Where the target would be met, from the two chains: full sync's time as a line through its two
 * figures (the cost of a block), snap's as the slower of its two (flat in chain length), and the
 * chain length at which full sync takes SPEEDUP_TARGET times snap's. An extrapolation, said so.
 */
function crossover(snapShort: SyncFigures, fullShort: SyncFigures, snapLong: SyncFigures, fullLong: SyncFigures): string {
  const perBlock = (fullLong.seconds - fullShort.seconds) / (fullLong.tail - fullShort.tail)
  const snap = Math.max(snapShort.seconds, snapLong.seconds)
  const head = `  full sync costs ${(perBlock * 1000).toFixed(1)} ms more per block; snap sync stays at ≤ ${snap.toFixed(1)} s`
  if (!(perBlock > 0)) return `${head}: no crossover can be read from this run\n`
  const tail = Math.max(0, Math.ceil(fullShort.tail + (SPEEDUP_TARGET * snap - fullShort.seconds) / perBlock))
  return `${head}: snap is ${SPEEDUP_TARGET}× faster from about +${tail.toLocaleString('en-US')} blocks on (extrapolated from the two chains, not measured)\n`
}

const load = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')

export async function snapSyncRun(): Promise<void> {
  if (BigInt(TAIL_SHORT) < SNAP_MIN_BLOCKS_AHEAD) {
    throw new Error(
      `NFC_BENCH_SNAP_TAIL_SHORT must be at least ${SNAP_MIN_BLOCKS_AHEAD} (a node snap-syncs only from a peer that far ahead), got ${TAIL_SHORT}`,
    )
  }
  if (TAIL_LONG <= TAIL_SHORT) throw new Error(`NFC_BENCH_SNAP_TAIL_LONG (${TAIL_LONG}) must be above NFC_BENCH_SNAP_TAIL_SHORT (${TAIL_SHORT})`)
  process.stdout.write(`snap bench: load average ${load()} at the start\n`)
  const short = await cachedChain(TAIL_SHORT, undefined)
  const long = await cachedChain(TAIL_LONG, short)
  const work = mkdtempSync(join(os.tmpdir(), 'nfc-bench-snap-'))
  const runs: SyncFigures[] = []
  try {
    for (const chain of [short, long]) {
      const { snap, full } = await syncBoth(chain, work)
      runs.push(snap)
      if (full !== undefined) runs.push(full)
      rmSync(join(work, `source-${chain.tail}`), { recursive: true, force: true })
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  const acc = ACCOUNTS.toLocaleString('en-US')
  process.stdout.write(
    `snapshot vs full sync of ${acc} accounts (+ ${CONTRACTS} contracts × ${SLOTS_PER_CONTRACT} slots) over P2P, start → head; load average ${load()}:\n`,
  )
  for (const r of runs) {
    const perSecond = Math.round(ACCOUNTS / r.seconds).toLocaleString('en-US')
    const cells = [
      `${r.mode.padEnd(4)} +${String(r.tail).padEnd(5)}`,
      `${r.seconds.toFixed(1).padStart(7)} s`,
      `${perSecond.padStart(7)} accounts/s`,
      `${(r.head / r.seconds).toFixed(1).padStart(7)} blocks/s`,
      `${r.megabytes.toFixed(1).padStart(6)} MB received`,
      `CPU ${r.cpu.node.toFixed(1)} s node + ${r.cpu.source.toFixed(1)} s source`,
      `(${r.reported})`,
    ]
    process.stdout.write(`  ${cells.join('  ')}\n`)
  }
  const cpuOf = (r: SyncFigures) => r.cpu.node + r.cpu.source
  /** snapshot sync, long chain vs short: the time (flat is the target) and the CPU */
  const flatRows = (snapShort: SyncFigures, snapLong: SyncFigures, cpu: boolean) => {
    row({
      name: `snap sync time, + ${TAIL_LONG} blocks (s, lower is better)`,
      value: snapLong.seconds,
      unit: 's',
      baseline: { name: `+ ${TAIL_SHORT} blocks`, value: snapShort.seconds },
      target: `flat: ≤ ${FLAT_TARGET}×`,
      met: snapLong.seconds <= snapShort.seconds * FLAT_TARGET,
    })
    if (cpu) {
      row({
        name: `snap sync CPU s, both nodes, + ${TAIL_LONG} blocks (lower is better)`,
        value: cpuOf(snapLong),
        unit: 's',
        baseline: { name: `+ ${TAIL_SHORT} blocks`, value: cpuOf(snapShort) },
      })
    }
  }
  if (SNAP_ONLY) {
    const [snapShort, snapLong] = runs as [SyncFigures, SyncFigures]
    flatRows(snapShort, snapLong, true)
    return
  }
  const [snapShort, fullShort, snapLong, fullLong] = runs as [SyncFigures, SyncFigures, SyncFigures, SyncFigures]
  for (const [snap, full] of [
    [snapShort, fullShort],
    [snapLong, fullLong],
  ] as const) {
    row({
      name: `snap sync, ${acc} accounts + ${snap.tail} blocks (accounts/s)`,
      value: ACCOUNTS / snap.seconds,
      unit: 'acc/s',
      baseline: { name: 'full sync, same chain', value: ACCOUNTS / full.seconds },
      target: `≥ ${SPEEDUP_TARGET}× full`,
      met: full.seconds >= snap.seconds * SPEEDUP_TARGET,
    })
  }
  if (runs.every((r) => Number.isFinite(cpuOf(r)))) {
    for (const [snap, full] of [
      [snapShort, fullShort],
      [snapLong, fullLong],
    ] as const) {
      row({
        name: `snap sync CPU s, both nodes, + ${snap.tail} blocks (lower is better)`,
        value: cpuOf(snap),
        unit: 's',
        baseline: { name: 'full sync, same chain', value: cpuOf(full) },
        target: `≤ 1/${SPEEDUP_TARGET} of full`,
        met: cpuOf(full) >= cpuOf(snap) * SPEEDUP_TARGET,
      })
    }
  }
  flatRows(snapShort, snapLong, false)
  process.stdout.write(crossover(snapShort, fullShort, snapLong, fullLong))
  row({
    name: `full sync time, + ${TAIL_LONG} blocks (s, lower is better)`,
    value: fullLong.seconds,
    unit: 's',
    baseline: { name: `+ ${TAIL_SHORT} blocks`, value: fullShort.seconds },
  })
}
