/**
 * The `load` group (DESIGN §9, issue 14): wallets by the thousand against a node, next to Anvil
 * (Foundry's dev node, the optional npm dependency @foundry-rs/anvil-linux-amd64) in the same run.
 *
 * The load: NFC_LOAD_WALLETS (150) funded wallets × NFC_LOAD_TXS (60) presigned value transfers
 * over HTTP — even wallets in JSON-RPC batches of 20, odd ones one request each — then each wallet
 * polls eth_getTransactionReceipt for its transactions until they are mined (loadClient.ts, in a
 * worker thread). Printed for both nodes: end-to-end tx/s (first send → last receipt seen),
 * inclusion tx/s (first send → the last block holding one of them seen as the head), p50/p99
 * receipt latency (send answered → receipt seen); for ours also the own slots missed during the
 * run and the block start lateness, from the node's own /metrics (src/node/slotMetrics.ts).
 *
 * Ours: the dev genesis with the wallets funded from the foundation, its default block gas limit,
 * one witness, started in-process through src/cli/start.ts (the wallets run in a worker thread).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { parseGenesis, type Genesis } from '../../src/chain/genesis.js'
import { startNode } from '../../src/cli/start.js'
import { makeCommon } from '../../src/execution/common.js'
import { DEV_WITNESS_KEY } from '../../src/node/devAccounts.js'
import { silentLogger } from '../../src/util/logger.js'
import { deriveAccounts, type Account } from './blocks.js'
import { fundWallets, startLoadDevnet } from './loadDevnet.js'
import type { LoadClientInput, LoadClientResult } from './loadClient.js'
import { call } from './network.js'
import { progress, row } from './report.js'
import { ANVIL_CHAIN_ID, anvilBinary, rpc, startAnvil } from './anvil.js'

const envInt = (name: string, def: number): number => {
  const v = process.env[name]
  const n = v === undefined ? def : Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`)
  return n
}

const WALLETS = envInt('NFC_LOAD_WALLETS', 150)
const TXS = envInt('NFC_LOAD_TXS', 60)
const BATCH = envInt('NFC_LOAD_BATCH', 20)
const POLL_MS = 250
const TIMEOUT_MS = 180_000
const STALL_MS = 15_000
const GWEI = 10n ** 9n
const NFC = 10n ** 18n
const FUNDS = 100n * NFC

interface Figures {
  txs: number
  mined: number
  e2ePerSec: number
  inclusionPerSec: number
  /** transfers whose eth_sendRawTransaction was answered, per second of the sending (first send to last answer) */
  acceptPerSec: number
  p50Ms: number
  p99Ms: number
  blocks: number
  requests: number
  retries: number
  errors: string[]
  stalled: boolean
}

interface SlotFigures {
  ownSlots: number
  missed: number
  /** missed slots by the producer's reason (skipped, failed, preempted, held) */
  missedBy: Record<string, number>
  latenessMaxMs: number
  latenessP99Ms: number
  buildMaxMs: number
}

function signAll(chainId: bigint, wallets: Account[], recipients: Uint8Array[], maxFee: bigint): string[][] {
  const common = makeCommon(chainId)
  return wallets.map((w, i) =>
    Array.from({ length: TXS }, (_, nonce) =>
      bytesToHex(
        createFeeMarket1559Tx(
          {
            chainId,
            nonce: BigInt(nonce),
            maxFeePerGas: maxFee,
            maxPriorityFeePerGas: GWEI,
            gasLimit: 21_000n,
            to: new Address(recipients[(i * 7 + nonce) % recipients.length]!),
            value: 1_000_000_000_000n,
          },
          { common },
        )
          .sign(w.key)
          .serialize(),
      ),
    ),
  )
}

function runClient(input: LoadClientInput): Promise<LoadClientResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./loadClient.js', import.meta.url), { workerData: input })
    worker.on('message', (m: { progress?: string; result?: LoadClientResult; error?: string }) => {
      if (m.progress !== undefined) progress(m.progress)
      if (m.result !== undefined) resolve(m.result)
      if (m.error !== undefined) reject(new Error(`load client: ${m.error}`))
    })
    worker.on('error', reject)
    worker.on('exit', (code) => (code !== 0 ? reject(new Error(`load client exited with ${code}`)) : undefined))
  })
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!
}

function figuresOf(r: LoadClientResult): Figures {
  const txs = r.sentMs.length
  const lat: number[] = []
  let lastReceipt = r.startMs
  let lastInclusion = r.startMs
  let mined = 0
  const blocks = new Set<number>()
  for (let i = 0; i < txs; i++) {
    if (r.receiptMs[i]! < 0) continue
    mined++
    lat.push(r.receiptMs[i]! - r.sentMs[i]!)
    if (r.receiptMs[i]! > lastReceipt) lastReceipt = r.receiptMs[i]!
    const b = r.block[i]!
    blocks.add(b)
    // the block as the head watcher first saw it (or a later head), else when its receipt was seen
    const seen = r.heads.find(([n]) => n >= b)?.[1] ?? r.receiptMs[i]!
    if (seen > lastInclusion) lastInclusion = seen
  }
  lat.sort((a, b) => a - b)
  const lastSent = r.sentMs.reduce((m, x) => (x > m ? x : m), r.startMs)
  return {
    txs,
    mined,
    e2ePerSec: (mined * 1000) / (lastReceipt - r.startMs),
    inclusionPerSec: (mined * 1000) / (lastInclusion - r.startMs),
    acceptPerSec: (r.sentMs.filter((x) => x >= 0).length * 1000) / (lastSent - r.startMs),
    p50Ms: quantile(lat, 0.5),
    p99Ms: quantile(lat, 0.99),
    blocks: blocks.size,
    requests: r.requests,
    retries: r.retries,
    errors: r.errors,
    stalled: r.stalled,
  }
}

function describe(name: string, f: Figures): string {
  return (
    `  ${name}: ${f.mined}/${f.txs} mined in ${f.blocks} blocks; end to end ${Math.round(f.e2ePerSec)} tx/s, inclusion ${Math.round(f.inclusionPerSec)} tx/s, sends answered ${Math.round(f.acceptPerSec)} tx/s, ` +
    `receipt latency p50 ${f.p50Ms.toFixed(0)} ms, p99 ${f.p99Ms.toFixed(0)} ms; ${f.requests} HTTP requests, ${f.retries} calls retried after -32005` +
    (f.stalled ? `; STALLED: no receipt for ${STALL_MS / 1000} s with transfers pending` : '') +
    (f.errors.length > 0 ? `; errors (first ${f.errors.length}): ${f.errors.slice(0, 3).join(' | ')}` : '') +
    '\n'
  )
}

/** genesis/dev.json with the wallets funded from the foundation. */
function loadGenesis(wallets: Account[]): Genesis {
  const json = JSON.parse(readFileSync(new URL('../../../genesis/dev.json', import.meta.url), 'utf8')) as {
    timestamp: number
    alloc: Record<string, { balance: string; label?: string }>
  }
  fundWallets(json.alloc, wallets, FUNDS)
  json.timestamp = 0
  return parseGenesis(json)
}

/** The producer series of a /metrics text. */
async function slotFigures(url: string): Promise<SlotFigures> {
  const text = await (await fetch(url.replace(/\/?$/, '/metrics'))).text()
  const sum = (prefix: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
  return {
    ownSlots: sum('nfc_producer_own_slots_total '),
    missed: sum('nfc_producer_missed_slots_total{'),
    missedBy: Object.fromEntries([...text.matchAll(/^nfc_producer_missed_slots_total\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])])),
    latenessMaxMs: sum('nfc_producer_block_start_lateness_ms{stat="max"}'),
    latenessP99Ms: sum('nfc_producer_block_start_lateness_ms{stat="p99"}'),
    buildMaxMs: sum('nfc_producer_block_build_ms{stat="max"}'),
  }
}

async function runAnvil(wallets: Account[], recipients: Uint8Array[]): Promise<Figures | string> {
  if (process.env.NFC_LOAD_ANVIL === '0') return 'NFC_LOAD_ANVIL=0'
  const bin = anvilBinary()
  if ('skip' in bin) return bin.skip
  progress('load: starting Anvil')
  const { params } = loadGenesis(wallets)
  const anvil = await startAnvil(bin.path, Math.max(1, Math.round(params.blockIntervalMs / 1000)), params.blockGasLimit)
  try {
    for (const w of wallets) await rpc(anvil.url, 'anvil_setBalance', [bytesToHex(w.address), `0x${FUNDS.toString(16)}`])
    progress('load: signing for Anvil')
    const raws = signAll(ANVIL_CHAIN_ID, wallets, recipients, 100n * GWEI)
    const r = await runClient({ url: anvil.url, wallets: raws, batchSize: BATCH, pollMs: POLL_MS, timeoutMs: TIMEOUT_MS, stallMs: STALL_MS, label: 'Anvil' })
    return figuresOf(r)
  } finally {
    await anvil.stop()
  }
}

/**
 * CPU time (user + system, ms) of this process's main thread — the in-process node's, which the
 * load bench finds the busiest — from Linux's /proc (10 ms ticks); undefined elsewhere.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    // the fields after the command name (which may hold spaces) start at its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return undefined
  }
}
/** USER_HZ: 100 on every Linux build the bench runs on */
const CLOCK_TICKS = 100

async function runOurs(
  wallets: Account[],
  recipients: Uint8Array[],
): Promise<{ f: Figures; slots: SlotFigures; before: SlotFigures; gasLimit: bigint; mainCpuMs: number | undefined }> {
  const genesis = loadGenesis(wallets)
  // signed before the node starts: signing 9,000 transfers holds this thread (the node's) for
  // seconds, which the node counted as a missed slot of its own
  progress('load: signing for our node')
  const raws = signAll(genesis.chainId, wallets, recipients, 2n * GWEI)
  const datadir = mkdtempSync(join(os.tmpdir(), 'nfc-bench-load-'))
  progress('load: starting our dev node (in-process)')
  const running = await startNode({
    genesis,
    datadir,
    rpc: { host: '127.0.0.1', port: 0 },
    witnessKey: hexToBytes(DEV_WITNESS_KEY as `0x${string}`),
    logger: silentLogger,
  })
  try {
    const url = running.rpc!.url
    // wait for the first block of our own, so the node is in its stride
    await new Promise<void>((resolve) => running.node.producer!.once('slot', () => resolve()))
    const before = await slotFigures(url)
    const cpu0 = mainThreadCpuMs()
    const r = await runClient({ url, wallets: raws, batchSize: BATCH, pollMs: POLL_MS, timeoutMs: TIMEOUT_MS, stallMs: STALL_MS, label: 'ours' })
    const cpu1 = mainThreadCpuMs()
    const after = await slotFigures(url)
    return {
      f: figuresOf(r),
      slots: after,
      before,
      gasLimit: genesis.params.blockGasLimit,
      mainCpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
    }
  } finally {
    await running.close()
    rmSync(datadir, { recursive: true, force: true })
  }
}

interface DevnetFigures {
  f: Figures
  /** per node, during the run: own slots, missed, and the max block start lateness since its start */
  nodes: { owned: number; missed: number; missedBy: string; latenessMaxMs: number }[]
  /** each node's head and final block at the end, and the pairs of nodes whose final blocks conflict */
  finality: FinalityView
}

interface FinalityView {
  nodes: { head: number; final: number; finalHash: string }[]
  /** "i–j": node j's chain does not hold node i's final block (a split the network does not heal by itself) */
  conflicts: string[]
}

/**
 * Every node's final block, and whether each node's chain holds the others' final blocks. Nodes
 * that disagree on a final block each ignore the other side's blocks from then on: the network
 * runs split, each side at its share of the slots (issue 14's devnet run found this under load).
 */
async function finalityView(urls: string[]): Promise<FinalityView> {
  const nodes = await Promise.all(
    urls.map(async (u) => {
      const f = await call<{ number: string; hash: string; head: string }>(u, 'dpos_getFinalized', [])
      return { head: Number(f.head), final: Number(f.number), finalHash: f.hash }
    }),
  )
  const conflicts: string[] = []
  for (let i = 0; i < nodes.length; i++) {
    for (let j = 0; j < nodes.length; j++) {
      if (i === j || nodes[i]!.final > nodes[j]!.head) continue
      const b = await call<{ hash: string } | null>(urls[j]!, 'eth_getBlockByNumber', [`0x${nodes[i]!.final.toString(16)}`, false])
      if (b?.hash !== nodes[i]!.finalHash) conflicts.push(`${i}–${j}`)
    }
  }
  return { nodes, conflicts }
}

/**
 * NFC_LOAD_TIMELINE=1: each second from the first send, every devnet node's head and pool
 * (pending/queued), printed after the run with the blocks made meanwhile (producer, count).
 */
const TIMELINE = process.env.NFC_LOAD_TIMELINE === '1'

function sampleTimeline(urls: string[], t0: number, into: string[]): () => Promise<void> {
  let done = false
  const loop = (async () => {
    while (!done) {
      const cells = await Promise.all(
        urls.map(async (u) => {
          try {
            const [h, s] = await Promise.all([call<string>(u, 'eth_blockNumber', []), call<{ pending: string; queued: string }>(u, 'txpool_status', [])])
            return `${Number(h)}:${Number(s.pending)}/${Number(s.queued)}`
          } catch {
            return 'unreachable'
          }
        }),
      )
      into.push(`    ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${cells.map((c) => c.padEnd(16)).join('')}`)
      await new Promise((r) => setTimeout(r, 1000))
    }
  })()
  return async () => {
    done = true
    await loop
  }
}

/** The same load against node 0 of a 4-node devnet of real processes; every node's slots counted. */
async function runDevnet(wallets: Account[], recipients: Uint8Array[]): Promise<DevnetFigures | string> {
  if (process.env.NFC_LOAD_DEVNET === '0') return 'NFC_LOAD_DEVNET=0'
  const devnet = await startLoadDevnet(wallets, FUNDS)
  try {
    // every witness has had a slot before the load starts
    const until = performance.now() + 60_000
    while (Number(await rpc(devnet.urls[0]!, 'eth_blockNumber')) < 5) {
      if (performance.now() > until) throw new Error('the devnet made no blocks within 60 s')
      progress(`load: waiting for the devnet's first blocks`)
      await new Promise((r) => setTimeout(r, 200))
    }
    progress('load: signing for the devnet')
    const raws = signAll(devnet.chainId, wallets, recipients, 2n * GWEI)
    const before = await Promise.all(devnet.urls.map(slotFigures))
    const timeline: string[] = []
    const stopTimeline = TIMELINE ? sampleTimeline(devnet.urls, performance.now(), timeline) : async () => undefined
    const firstBlock = TIMELINE ? Number(await call<string>(devnet.urls[0]!, 'eth_blockNumber', [])) + 1 : 0
    const r = await runClient({
      url: devnet.urls[0]!,
      wallets: raws,
      batchSize: BATCH,
      pollMs: POLL_MS,
      timeoutMs: TIMEOUT_MS,
      stallMs: STALL_MS,
      label: 'devnet',
    })
    await stopTimeline()
    const after = await Promise.all(devnet.urls.map(slotFigures))
    if (TIMELINE) {
      process.stdout.write(`  devnet timeline (head:pending/queued of nodes 0–3, each second from the first send):\n${timeline.join('\n')}\n`)
      const head = Number(await call<string>(devnet.urls[0]!, 'eth_blockNumber', []))
      for (let n = firstBlock; n <= head; n++) {
        const b = await call<{ miner: string; transactions: string[] }>(devnet.urls[0]!, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
        process.stdout.write(`    block ${n} (node 0's chain): producer ${b.miner.slice(0, 10)}, ${b.transactions.length} transactions\n`)
      }
    }
    return {
      finality: await finalityView(devnet.urls),
      f: figuresOf(r),
      nodes: after.map((a, i) => ({
        owned: a.ownSlots - before[i]!.ownSlots,
        missed: a.missed - before[i]!.missed,
        missedBy: Object.entries(a.missedBy)
          .map(([reason, n]) => [reason, n - (before[i]!.missedBy[reason] ?? 0)] as const)
          .filter(([, n]) => n > 0)
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', '),
        latenessMaxMs: a.latenessMaxMs,
      })),
    }
  } finally {
    await devnet.stop()
  }
}

export async function run(): Promise<void> {
  progress(`load: deriving ${WALLETS} wallet keys`)
  const wallets = deriveAccounts('nfc-load-wallet', WALLETS)
  const recipients = deriveAccounts('nfc-load-recipient', 64).map((a) => a.address)
  process.stdout.write(
    `  load: ${WALLETS} wallets × ${TXS} presigned transfers (even wallets: batches of ${BATCH}; odd: single requests), ` +
      `receipts polled every ${POLL_MS} ms per wallet; a call refused with -32005 retried with a backoff, as viem does; clients in a worker thread\n`,
  )
  const anvil = await runAnvil(wallets, recipients)
  if (typeof anvil === 'string') process.stdout.write(`  Anvil skipped: ${anvil}\n`)
  else process.stdout.write(describe('Anvil', anvil))
  const ours = await runOurs(wallets, recipients)
  progress('')
  process.stdout.write(describe('ours (dev node, 1 witness)', ours.f))
  const missed = ours.slots.missed - ours.before.missed
  const owned = ours.slots.ownSlots - ours.before.ownSlots
  process.stdout.write(
    `  ours: block gas limit ${ours.gasLimit.toLocaleString('en-US')} (${ours.gasLimit / 21_000n} transfers); own slots during the run ${owned}, ` +
      `missed ${missed}; block start lateness max ${ours.slots.latenessMaxMs} ms, p99 ${ours.slots.latenessP99Ms} ms (recent blocks); ` +
      `build time max ${ours.slots.buildMaxMs} ms` +
      (ours.mainCpuMs === undefined
        ? ''
        : `; node main thread ${ours.mainCpuMs.toFixed(0)} ms CPU, ${((ours.mainCpuMs * 1000) / ours.f.txs).toFixed(0)} µs per transfer`) +
      '\n',
  )
  const base = (pick: (f: Figures) => number) => (typeof anvil === 'string' ? { name: 'Anvil skipped', value: 0 } : { name: 'Anvil', value: pick(anvil) })
  const anvilE2e = typeof anvil === 'string' ? 0 : anvil.e2ePerSec
  row({
    name: `load: end-to-end transfers/s (${WALLETS}×${TXS})`,
    value: ours.f.e2ePerSec,
    unit: 'tx/s',
    baseline: base((f) => f.e2ePerSec),
    target: '≥ Anvil (goal); ≥ 0.5× Anvil and ≥ 2,000/s',
    met: ours.f.mined === ours.f.txs && ours.f.e2ePerSec >= 2000 && ours.f.e2ePerSec >= 0.5 * anvilE2e,
  })
  row({ name: 'load: inclusion transfers/s', value: ours.f.inclusionPerSec, unit: 'tx/s', baseline: base((f) => f.inclusionPerSec) })
  row({ name: 'load: sends answered/s', value: ours.f.acceptPerSec, unit: 'tx/s', baseline: base((f) => f.acceptPerSec) })
  row({
    name: 'load: own slots missed during the run',
    value: missed,
    unit: 'slots',
    baseline: { name: 'own slots during the run', value: owned },
    target: '0',
    met: missed === 0,
  })
  row({
    name: 'load: block start lateness, max',
    value: ours.slots.latenessMaxMs,
    unit: 'ms',
    baseline: { name: 'the 100 ms bound', value: 100 },
    target: '≤ 100 ms',
    met: ours.slots.latenessMaxMs <= 100,
  })

  const devnet = await runDevnet(wallets, recipients)
  progress('')
  if (typeof devnet === 'string') {
    process.stdout.write(`  4-node devnet skipped: ${devnet}\n`)
    return
  }
  process.stdout.write(describe('ours (4-node devnet, load on node 0)', devnet.f))
  devnet.nodes.forEach((n, i) =>
    process.stdout.write(
      `  devnet node ${i}${i === 0 ? ' (takes the load)' : ''}: own slots during the run ${n.owned}, missed ${n.missed}` +
        `${n.missedBy === '' ? '' : ` (${n.missedBy})`}; ` +
        `block start lateness max ${n.latenessMaxMs} ms\n`,
    ),
  )
  const fin = devnet.finality
  process.stdout.write(
    `  devnet at the end: ${fin.nodes.map((n, i) => `node ${i} head ${n.head}, final ${n.final} (${n.finalHash.slice(0, 10)})`).join('; ')}` +
      (fin.conflicts.length > 0
        ? `; FINALITY SPLIT: a node's final block is not on another's chain (${fin.conflicts.join(', ')}; "i–j": node j lacks node i's final block)\n`
        : '; every final block is on every chain\n'),
  )
  const devMissed = devnet.nodes.reduce((m, n) => m + n.missed, 0)
  row({
    name: `load: 4-node devnet end-to-end transfers/s`,
    value: devnet.f.e2ePerSec,
    unit: 'tx/s',
    baseline: base((f) => f.e2ePerSec),
    target: '≥ 0.5× Anvil',
    met: devnet.f.mined === devnet.f.txs && devnet.f.e2ePerSec >= 0.5 * anvilE2e,
  })
  row({
    name: 'load: 4-node devnet, own slots missed (all nodes)',
    value: devMissed,
    unit: 'slots',
    baseline: { name: 'own slots during the run', value: devnet.nodes.reduce((m, n) => m + n.owned, 0) },
    target: '0',
    met: devMissed === 0,
  })
}
