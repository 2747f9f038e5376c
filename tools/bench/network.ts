/**
 * Network benchmarks (DESIGN §8 "finality within 2 block intervals of production"), with real
 * `nfc node` processes on loopback:
 *
 * - finality: a 4-witness devnet runs for ~25 slots while one node is polled every 10 ms; for each
 *   block, production (its slot start) → final on that node, next to the baseline production →
 *   the block is at that node (gossip + import), measured in the same run.
 * - late joiner: 2,000 blocks are made in process, served by a witness process; a fresh process
 *   joins and range-syncs them; blocks/s next to the baseline of importing the same blocks in
 *   process from memory (validation and execution without the network).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { hexToBytes } from '@ethereumjs/util'
import { devnetGenesis, genesisFileText, type GenesisDoc } from '../../src/cli/devnetGenesis.js'
import { openDatabase } from '../../src/chain/blockStore.js'
import type { Block } from '../../src/chain/block.js'
import { loadGenesisFile } from '../../src/chain/genesis.js'
import { makeCommon } from '../../src/execution/common.js'
import { Blockchain } from '../../src/node/blockchain.js'
import { Node } from '../../src/node/node.js'
import { silentLogger } from '../../src/util/logger.js'
import { progress, row } from './report.js'

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/bin/nfc.js')

/** A TCP port nobody listens on right now (the network tests use it too). */
/**
 * Ports handed out are below the kernel's ephemeral range (32768–60999 by default): a port the
 * kernel picked for us is free only until the kernel picks it again — for the outgoing
 * connection of some node dialing its peers, say — and a 21-node devnet allocates 42 ports
 * before the last node binds them. Each process walks its own sequence through the range, and
 * each candidate is bound once to check it is free.
 */
const PORT_RANGE_START = 20_000
const PORT_RANGE_SIZE = 12_000
let portCursor = (process.pid * 7_919) % PORT_RANGE_SIZE

function tryPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_RANGE_SIZE; tries++) {
    const port = PORT_RANGE_START + portCursor
    portCursor = (portCursor + 1) % PORT_RANGE_SIZE
    if (await tryPort(port)) return port
  }
  throw new Error(`no free port in ${PORT_RANGE_START}–${PORT_RANGE_START + PORT_RANGE_SIZE - 1}`)
}

export async function call<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}

export interface Proc {
  child: ChildProcess
  url: string
  log: () => string
}

/**
 * Extra Node.js flags for every node process a bench starts, from NFC_BENCH_NODE_FLAGS (split at
 * spaces), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them (NODE_OPTIONS refuses --cpu-prof).
 */
const NODE_FLAGS = (process.env.NFC_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')

/** Starts `nfc node …` (of this build, or the `nfc.js` at `cli`) and resolves once its JSON-RPC answers. */
export async function startNodeProcess(args: string[], rpcPort: number, cli = CLI, startTimeoutMs = 30_000): Promise<Proc> {
  const child = spawn(process.execPath, ['--max-semi-space-size=64', ...NODE_FLAGS, cli, 'node', '--rpc', `127.0.0.1:${rpcPort}`, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log += d
    if (log.length > 1_000_000) log = log.slice(-500_000)
  })
  const url = `http://127.0.0.1:${rpcPort}`
  const deadline = Date.now() + startTimeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited at start-up:\n${log}`)
    try {
      await call(url, 'eth_blockNumber')
      return { child, url, log: () => log }
    } catch {
      if (Date.now() > deadline) throw new Error(`node did not serve within ${startTimeoutMs / 1000} s:\n${log}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

export async function stopNodeProcess(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return
  const done = new Promise((r) => p.child.once('exit', r))
  p.child.kill('SIGINT')
  const hard = setTimeout(() => p.child.kill('SIGKILL'), 15_000)
  await done
  clearTimeout(hard)
}

/**
 * A devnet's `nfc node` processes on loopback: the genesis `doc` written into `dir`, node i with
 * witness key i and a data directory of its own, every other node as a peer. Each process is
 * pushed to `procs` as soon as it answers, so the caller stops what started even when a later
 * one fails.
 */
export async function startDevnetProcesses(
  dir: string,
  doc: GenesisDoc,
  witnessKeys: string[],
  procs: Proc[],
  logLevel: 'warn' | 'info' = 'warn',
): Promise<void> {
  const genesisFile = path.join(dir, 'genesis.json')
  fs.writeFileSync(genesisFile, genesisFileText(doc))
  const p2p = await Promise.all(witnessKeys.map(() => freePort()))
  const rpcPorts = await Promise.all(witnessKeys.map(() => freePort()))
  for (let i = 0; i < witnessKeys.length; i++) {
    const datadir = path.join(dir, `node-${i}`)
    fs.mkdirSync(datadir)
    fs.writeFileSync(path.join(datadir, 'witness.key'), witnessKeys[i]!, { mode: 0o600 })
    const peers = p2p
      .filter((_, j) => j !== i)
      .map((p) => `ws://127.0.0.1:${p}`)
      .join(',')
    const args = ['--genesis', genesisFile, '--datadir', datadir, '--witness-key', path.join(datadir, 'witness.key')]
    args.push('--p2p', `127.0.0.1:${p2p[i]}`, '--peers', peers, '--log-level', logLevel)
    procs.push(await startNodeProcess(args, rpcPorts[i]!))
  }
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function finality(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-bench-devnet-'))
  const procs: Proc[] = []
  try {
    const genesisTime = (Math.floor(Date.now() / 1000) + 5) * 1000
    const { doc, witnessKeys } = devnetGenesis({ nodes: 4, timestamp: genesisTime })
    progress('network: starting a 4-witness devnet…')
    await startDevnetProcesses(dir, doc, witnessKeys, procs)
    const url = procs[0]!.url
    const seen = new Map<number, number>()
    const final = new Map<number, number>()
    const SLOTS = 25
    const end = genesisTime + (SLOTS + 2) * 1000
    while (Date.now() < end) {
      const [head, fin] = await Promise.all([call<string>(url, 'eth_blockNumber'), call<{ number: string }>(url, 'dpos_getFinalized')])
      const now = Date.now()
      for (let n = 1; n <= Number(head); n++) if (!seen.has(n)) seen.set(n, now)
      for (let n = 1; n <= Number(fin.number); n++) if (!final.has(n)) final.set(n, now)
      progress(`network: devnet slot ${Math.max(0, Math.floor((now - genesisTime) / 1000))}/${SLOTS}, head ${Number(head)}, final ${Number(fin.number)}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    const toFinal: number[] = []
    const toSeen: number[] = []
    for (const [n, at] of final) {
      // blocks already final when first seen (the start-up) say nothing about latency
      if (!seen.has(n) || n < 3) continue
      const b = await call<{ timestampMs: string }>(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
      toFinal.push(at - Number(b.timestampMs))
      toSeen.push(seen.get(n)! - Number(b.timestampMs))
    }
    if (toFinal.length === 0) throw new Error('no block became final during the run')
    const med = quantile(toFinal, 0.5)
    const p90 = quantile(toFinal, 0.9)
    row({
      name: `finality: production → final, median (${toFinal.length} blocks, ms, lower is better)`,
      value: med,
      unit: 'ms',
      baseline: { name: 'production → block at the node', value: quantile(toSeen, 0.5) },
      target: '≤ 2,000 ms (2 intervals)',
      met: med <= 2000,
    })
    row({
      name: 'finality: production → final, 90th percentile (ms)',
      value: p90,
      unit: 'ms',
      baseline: { name: 'production → block at the node', value: quantile(toSeen, 0.9) },
      target: '≤ 2,000 ms (2 intervals)',
      met: p90 <= 2000,
    })
  } finally {
    await Promise.all(procs.map(stopNodeProcess))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function lateJoiner(): Promise<void> {
  const BLOCKS = 2000
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-bench-sync-'))
  const procs: Proc[] = []
  try {
    const genesisTime = (Math.floor(Date.now() / 1000) - BLOCKS - 120) * 1000
    const { doc, witnessKeys } = devnetGenesis({ nodes: 1, timestamp: genesisTime })
    const genesisFile = path.join(dir, 'genesis.json')
    fs.writeFileSync(genesisFile, genesisFileText(doc))
    const keyFile = path.join(dir, 'witness.key')
    fs.writeFileSync(keyFile, witnessKeys[0]!, { mode: 0o600 })
    const genesis = loadGenesisFile(genesisFile)
    const aDir = path.join(dir, 'a')
    const builder = await Node.init({ genesis, datadir: aDir, logger: silentLogger, recoverThreads: 1 })
    const key = hexToBytes(witnessKeys[0]! as `0x${string}`)
    const blocks: Block[] = []
    for (let i = 1; i <= BLOCKS; i++) {
      blocks.push((await builder.chain.produceBlock(key, BigInt(genesisTime) + BigInt(i) * 1000n, [])).block)
      if (i % 200 === 0) progress(`network: built ${i}/${BLOCKS} blocks`)
    }
    await builder.close()

    // baseline: the same blocks validated and executed in process, no network
    const db = await openDatabase(path.join(dir, 'baseline', 'chaindata'))
    const chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now: Date.now })
    const t0 = performance.now()
    for (let i = 0; i < blocks.length; i++) {
      await chain.importBlock(blocks[i]!, BigInt(Date.now()))
      if ((i + 1) % 200 === 0) progress(`network: baseline import ${i + 1}/${BLOCKS}`)
    }
    const localRate = (BLOCKS * 1000) / (performance.now() - t0)
    await chain.close()
    await db.close()

    const aP2p = await freePort()
    progress('network: starting the serving witness…')
    procs.push(
      await startNodeProcess(
        ['--genesis', genesisFile, '--datadir', aDir, '--witness-key', keyFile, '--p2p', `127.0.0.1:${aP2p}`, '--log-level', 'warn'],
        await freePort(),
      ),
    )
    const start = performance.now()
    const b = await startNodeProcess(
      ['--genesis', genesisFile, '--datadir', path.join(dir, 'b'), '--p2p', `127.0.0.1:${await freePort()}`, '--peers', `ws://127.0.0.1:${aP2p}`],
      await freePort(),
    )
    procs.push(b)
    for (;;) {
      const h = Number(await call<string>(b.url, 'eth_blockNumber'))
      progress(`network: late joiner at block ${h}/${BLOCKS}`)
      if (h >= BLOCKS) break
      if (performance.now() - start > 300_000) throw new Error('the late joiner did not catch up within 5 minutes')
      await new Promise((r) => setTimeout(r, 50))
    }
    const rate = (BLOCKS * 1000) / (performance.now() - start)
    // the node logs its own rate when the sync run ends, a moment after the head is in
    for (let i = 0; i < 40 && !/sync finished/.test(b.log()); i++) await new Promise((r) => setTimeout(r, 50))
    const reported = [...b.log().matchAll(/sync finished[^\n]*blocksPerSecond=(\d+)/g)].map((m) => Number(m[1]))
    if (reported.length > 0) {
      row({
        name: `late joiner: range sync as the node reports it (excl. start-up)`,
        value: Math.max(...reported),
        unit: 'blocks/s',
        baseline: { name: 'same blocks imported in process', value: localRate },
      })
    }
    row({
      name: `late joiner: range sync of ${BLOCKS} empty blocks over P2P (incl. start-up)`,
      value: rate,
      unit: 'blocks/s',
      baseline: { name: 'same blocks imported in process', value: localRate },
    })
  } finally {
    await Promise.all(procs.map(stopNodeProcess))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(): Promise<void> {
  await finality()
  await lateJoiner()
}
