/**
 * P2P gossip cost (DESIGN §11 "Gossip cost", issue 15): devnets of real `nfc node` processes on
 * loopback, every node dialing every other (full mesh), no transactions. For 4, 8 and 21 nodes:
 *
 * - P2P bytes per empty block, all nodes together (each byte counted once, as sent) and per node
 *   (what one node sends plus receives), from every node's `nfc_p2p_bytes_*` counters (/metrics)
 *   read once the chain runs and again `MEASURED_BLOCKS` blocks later;
 * - finality lag on node 0 over the same blocks: production (the block's slot time) → final;
 * - the gossip above the blocks' own floor: every node must receive each block once (and on
 *   average send it once), and a block carries about one confirmation per other witness, so the
 *   floor grows with the witness count; what is above it is the gossip's own cost.
 *
 * Baselines: the per-node figure is printed next to the 4-node one (target: ≤ 2× at 21 nodes); the
 * totals next to the same devnet run by another build when `NFC_BENCH_P2P_BEFORE` names its
 * `dist/src/bin/nfc.js` (`dist/src/cli/nfc.js` for a build before the bundle; e.g. a worktree of
 * main before the gossip change), else next to the 4-node total grown linearly.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { devnetGenesis, genesisFileText } from '../../src/cli/devnetGenesis.js'
import { call, freePort, quantile, startNodeProcess, stopNodeProcess, type Proc } from './network.js'
import { progress, row } from './report.js'

/** devnet sizes measured, smallest first (the first is the per-node baseline); NFC_BENCH_P2P_SIZES=4,8 for a shorter run */
const SIZES = (process.env.NFC_BENCH_P2P_SIZES ?? '4,8,21').split(',').map(Number)
/** blocks that pass before the first reading (start-up, first connections) */
const WARMUP_BLOCKS = 4
/** blocks between the two readings */
const MEASURED_BLOCKS = 12
/** how long a devnet may take to reach the end of the measurement, per block */
const BLOCK_DEADLINE_MS = 5_000
/** processes started at once (more at once, on two shared cores, may not answer within the start-up limit) */
const START_AT_ONCE = 2
/** how long one process may take to answer at start-up (21 processes on two shared cores are slow) */
const START_TIMEOUT_MS = 90_000
/** the total target at 21 nodes */
const TOTAL_TARGET_BYTES = 150_000
/** DESIGN §8: final within 2 intervals of production (devnet interval: 1 s) */
const FINALITY_TARGET_MS = 2_000

interface Figures {
  nodes: number
  /** bytes sent by all nodes together per block */
  totalPerBlock: number
  /** bytes one node sends plus receives per block, averaged over the nodes */
  perNodePerBlock: number
  /** bytes per block by message type, all nodes, sent */
  byType: Record<string, number>
  /** mean encoded size of the measured blocks (header + body: the witness confirmations they carry) */
  blockBytes: number
  /** what the blocks alone cost per node: each node receives each block once and, on average,
   *  sends it once (2 × blockBytes × (n−1)/n); gossip cannot go below it */
  floorPerNode: number
  /** fewest and most peers a node had at the end (a full mesh: n − 1 both) */
  peers: [number, number]
  finalityMedianMs: number
  finalityBlocks: number
}

/** the sum of a counter's samples in a /metrics text, by its `type` label */
function sumByType(text: string, metric: string): Record<string, number> {
  const out: Record<string, number> = {}
  const re = new RegExp(`^${metric}\\{type="([^"]+)"\\} (\\S+)$`, 'gm')
  for (const m of text.matchAll(re)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2])
  return out
}

async function readTraffic(procs: Proc[]): Promise<{ sent: Record<string, number>; received: number }> {
  const texts = await Promise.all(procs.map(async (p) => (await fetch(`${p.url}/metrics`)).text()))
  const sent: Record<string, number> = {}
  let received = 0
  for (const t of texts) {
    for (const [type, v] of Object.entries(sumByType(t, 'nfc_p2p_bytes_sent_total'))) sent[type] = (sent[type] ?? 0) + v
    for (const v of Object.values(sumByType(t, 'nfc_p2p_bytes_received_total'))) received += v
  }
  if (Object.keys(sent).length === 0) throw new Error('the nodes export no nfc_p2p_bytes_sent_total (a build without P2P traffic counters?)')
  return { sent, received }
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0)

async function startAll(dir: string, nodes: number, cli: string | undefined, procs: Proc[]): Promise<number> {
  // every process starts before the first slot (two shared cores start about one process a second)
  const genesisTime = (Math.floor(Date.now() / 1000) + 10 + nodes * 3) * 1000
  const { doc, witnessKeys } = devnetGenesis({ nodes, timestamp: genesisTime })
  const genesisFile = path.join(dir, 'genesis.json')
  fs.writeFileSync(genesisFile, genesisFileText(doc))
  const p2p = await Promise.all(witnessKeys.map(() => freePort()))
  const rpc = await Promise.all(witnessKeys.map(() => freePort()))
  const start = async (key: string, i: number) => {
    const datadir = path.join(dir, `node-${i}`)
    fs.mkdirSync(datadir)
    fs.writeFileSync(path.join(datadir, 'witness.key'), key, { mode: 0o600 })
    const peers = p2p
      .filter((_, j) => j !== i)
      .map((p) => `ws://127.0.0.1:${p}`)
      .join(',')
    const args = ['--genesis', genesisFile, '--datadir', datadir, '--witness-key', path.join(datadir, 'witness.key')]
    // every node dials from 127.0.0.1: exempt it from the per-address caps (as `nfc devnet` does), or
    // the 4-connections-per-address cap would make the "full mesh" a sparse one
    args.push('--p2p', `127.0.0.1:${p2p[i]}`, '--peers', peers, '--p2p-exempt', '127.0.0.1', '--log-level', 'error')
    procs.push(await startNodeProcess(args, rpc[i]!, cli, START_TIMEOUT_MS))
  }
  for (let i = 0; i < nodes; i += START_AT_ONCE) await Promise.all(witnessKeys.slice(i, i + START_AT_ONCE).map((k, j) => start(k, i + j)))
  return genesisTime
}

async function measure(nodes: number, label: string, cli: string | undefined): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-bench-p2p-'))
  const procs: Proc[] = []
  try {
    progress(`p2p (${label}): starting ${nodes} nodes…`)
    await startAll(dir, nodes, cli, procs)
    const url = procs[0]!.url
    const head = async () => Number(await call<string>(url, 'eth_blockNumber'))
    const deadline = Date.now() + (WARMUP_BLOCKS + MEASURED_BLOCKS + 20) * BLOCK_DEADLINE_MS
    while ((await head()) < WARMUP_BLOCKS) {
      if (Date.now() > deadline) throw new Error(`${nodes}-node devnet did not reach block ${WARMUP_BLOCKS}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const from = await head()
    const before = await readTraffic(procs)
    const seen = new Map<number, number>()
    const final = new Map<number, number>()
    let h = from
    while (h < from + MEASURED_BLOCKS) {
      if (Date.now() > deadline) throw new Error(`${nodes}-node devnet stalled at block ${h}`)
      const [hx, fin] = await Promise.all([call<string>(url, 'eth_blockNumber'), call<{ number: string }>(url, 'dpos_getFinalized')])
      const now = Date.now()
      h = Number(hx)
      for (let n = from; n <= h; n++) if (!seen.has(n)) seen.set(n, now)
      for (let n = from; n <= Number(fin.number); n++) if (!final.has(n)) final.set(n, now)
      progress(`p2p (${label}): ${nodes} nodes, block ${h - from}/${MEASURED_BLOCKS}, final ${Number(fin.number)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    const after = await readTraffic(procs)
    const to = await head()
    // the blocks in between, including any made while the counters were read
    const blocks = Math.max(1, to - from)
    const byType: Record<string, number> = {}
    for (const [type, v] of Object.entries(after.sent)) byType[type] = (v - (before.sent[type] ?? 0)) / blocks
    const totalPerBlock = sum(byType)
    const perNodePerBlock = (totalPerBlock + (after.received - before.received) / blocks) / nodes
    // a short wait for the last blocks to become final
    for (let i = 0; i < 30 && final.size < seen.size; i++) {
      const fin = Number((await call<{ number: string }>(url, 'dpos_getFinalized')).number)
      for (let n = from; n <= fin; n++) if (!final.has(n)) final.set(n, Date.now())
      await new Promise((r) => setTimeout(r, 100))
    }
    const lags: number[] = []
    for (const [n, at] of final) {
      if (!seen.has(n)) continue
      const b = await call<{ timestampMs: string }>(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
      lags.push(at - Number(b.timestampMs))
    }
    let sizes = 0
    for (let n = from + 1; n <= to; n++) sizes += Number((await call<{ size: string }>(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).size)
    const blockBytes = sizes / blocks
    const peerCounts = await Promise.all(procs.map(async (p) => Number(await call<string>(p.url, 'net_peerCount'))))
    return {
      nodes,
      totalPerBlock,
      perNodePerBlock,
      byType,
      blockBytes,
      floorPerNode: (2 * blockBytes * (nodes - 1)) / nodes,
      peers: [Math.min(...peerCounts), Math.max(...peerCounts)],
      finalityMedianMs: lags.length > 0 ? quantile(lags, 0.5) : NaN,
      finalityBlocks: lags.length,
    }
  } finally {
    await Promise.all(procs.map(stopNodeProcess))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function describe(f: Figures): string {
  const parts = Object.entries(f.byType)
    .filter(([, v]) => v >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([t, v]) => `${t} ${Math.round(v).toLocaleString('en-US')}`)
  return `   ${f.nodes} nodes, sent bytes per block by type: ${parts.join(', ')}; mean block ${Math.round(f.blockBytes).toLocaleString('en-US')} B; peers per node ${f.peers[0]}–${f.peers[1]}\n`
}

export async function run(): Promise<void> {
  const beforeCli = process.env.NFC_BENCH_P2P_BEFORE
  const after: Figures[] = []
  const before = new Map<number, Figures>()
  for (const n of SIZES) {
    const f = await measure(n, 'this build', undefined)
    after.push(f)
    process.stdout.write(describe(f))
    if (beforeCli) {
      const b = await measure(n, 'before', beforeCli)
      before.set(n, b)
      process.stdout.write(describe(b).replace('nodes,', 'nodes (before),'))
    }
  }
  const small = after[0]!
  for (const f of after) {
    const b = before.get(f.nodes)
    const isLargest = f.nodes === SIZES[SIZES.length - 1]
    row({
      name: `p2p: bytes per empty block, all ${f.nodes} nodes`,
      value: f.totalPerBlock,
      unit: 'B',
      baseline: b
        ? { name: 'build before', value: b.totalPerBlock }
        : { name: `${small.nodes}-node total × ${f.nodes}/${small.nodes}`, value: (small.totalPerBlock * f.nodes) / small.nodes },
      ...(isLargest ? { target: '≤ 150 KB', met: f.totalPerBlock <= TOTAL_TARGET_BYTES } : {}),
    })
    row({
      name: `p2p: bytes per empty block per node, ${f.nodes} nodes (sent + received)`,
      value: f.perNodePerBlock,
      unit: 'B',
      baseline: { name: `${small.nodes} nodes`, value: small.perNodePerBlock },
      ...(isLargest ? { target: `≤ 2× the ${small.nodes}-node figure`, met: f.perNodePerBlock <= 2 * small.perNodePerBlock } : {}),
    })
    row({
      name: `p2p: gossip bytes per node above the blocks' own floor, ${f.nodes} nodes (per node − 2 × block × (n−1)/n)`,
      value: f.perNodePerBlock - f.floorPerNode,
      unit: 'B',
      baseline: { name: `${small.nodes} nodes`, value: small.perNodePerBlock - small.floorPerNode },
    })
    row({
      name: `p2p: finality lag, median, ${f.nodes} nodes (${f.finalityBlocks} blocks, ms)`,
      value: f.finalityMedianMs,
      unit: 'ms',
      baseline: b ? { name: 'build before', value: b.finalityMedianMs } : { name: 'target', value: FINALITY_TARGET_MS },
      target: '≤ 2,000 ms (2 intervals)',
      met: f.finalityMedianMs <= FINALITY_TARGET_MS,
    })
  }
}
