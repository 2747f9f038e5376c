/**
 * A running lab: the namespaces of netns.ts with one `nfc node` process in each (a witness of a
 * devnet genesis from src/cli/devnetGenesis.ts, as `nfc devnet` makes it), listening for peers on
 * its data address and for JSON-RPC on its management address, every node a static peer of every
 * other. With latency and no netem, each namespace also runs a relay.ts process.
 *
 * `destroy()` is synchronous (it runs from exit and signal handlers too): it kills the processes
 * and removes the namespaces and bridges.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { devnetGenesis, genesisFileText } from '../../src/cli/devnetGenesis.js'
import type { BadPeerConfig, BadPeerReport } from './badPeer.js'
import * as netns from './netns.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
/** the repository root, from dist/tools/lab (built) or tools/lab (the tests run the sources) */
const REPO_ROOT = path.resolve(HERE, HERE.split(path.sep).includes('dist') ? '../../..' : '../..')
/** the processes in the namespaces always run the build: `npm run build` first */
const CLI = path.join(REPO_ROOT, 'dist/src/bin/nfc.js')
const RELAY = path.join(REPO_ROOT, 'dist/tools/lab/relay.js')
const BAD_PEER = path.join(REPO_ROOT, 'dist/tools/lab/badPeer.js')
export const P2P_PORT = 30303
export const RPC_PORT = 8545
export const BLOCK_INTERVAL_MS = 1000
/** generous: four nodes loading at once on a small shared machine took ~30 s */
const START_TIMEOUT_MS = 120_000
const LISTENING = /JSON-RPC listening http=(\S+)/
const RPC_TIMEOUT_MS = 5_000

export interface LabOptions {
  nodes: number
  impairment: netns.Impairment
  /** slots between the lab's start and genesis, so every node is up before slot 1 */
  startInMs?: number
  /** progress lines */
  log(msg: string): void
}

/** One node of the lab. */
export interface LabNode {
  host: netns.Host
  datadir: string
  url: string
  proc: ChildProcess | undefined
}

export class Lab {
  readonly hosts: netns.Host[]
  readonly nodes: LabNode[] = []
  readonly dir: string
  readonly genesisTime: number
  readonly netem: boolean
  private readonly genesisFile: string
  private readonly relays: ChildProcess[] = []
  private stranger: { host: netns.Host; proc: ChildProcess | undefined } | undefined
  private destroyed = false
  /** tears the lab down however the process ends (process.exit from a signal handler included) */
  private readonly onExit = () => this.destroy()

  private constructor(private readonly o: LabOptions) {
    process.once('exit', this.onExit)
    const removed = netns.cleanStale()
    if (removed.length > 0) o.log(`removed leftovers of an earlier run: ${removed.join(', ')}`)
    this.netem = netns.hasNetem()
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-lab-'))
    this.hosts = netns.createTopology(o.nodes)
    this.genesisTime = (Math.floor(Date.now() / BLOCK_INTERVAL_MS) + 1) * BLOCK_INTERVAL_MS + (o.startInMs ?? 6000)
    const { doc, witnessKeys } = devnetGenesis({ nodes: o.nodes, timestamp: this.genesisTime })
    this.genesisFile = path.join(this.dir, 'genesis.json')
    fs.writeFileSync(this.genesisFile, genesisFileText(doc))
    for (const host of this.hosts) {
      const datadir = path.join(this.dir, `node-${host.index}`)
      fs.mkdirSync(datadir, { recursive: true })
      fs.writeFileSync(path.join(datadir, 'witness.key'), witnessKeys[host.index]! + '\n', { mode: 0o600 })
      this.nodes.push({ host, datadir, url: `http://${host.mgmtIp}:${RPC_PORT}`, proc: undefined })
    }
  }

  /** Builds the network, applies the impairment and starts every node (torn down again if that fails). */
  static async start(o: LabOptions): Promise<Lab> {
    let lab: Lab | undefined
    try {
      lab = new Lab(o)
      const imp = o.impairment
      o.log(
        `${o.nodes} namespaces up (data 10.77.0.0/24, rpc 10.78.0.0/24); links: ${imp.delayMs} ms ± ${imp.jitterMs} ms, ` +
          `${imp.lossPerMille / 10}% loss, via ${lab.netem ? 'tc netem' : 'nftables loss + delay relay'}`,
      )
      await lab.impair(imp)
      await Promise.all(lab.nodes.map((n) => lab!.startNode(n.host.index)))
      const toGenesis = lab.genesisTime - Date.now()
      o.log(
        `${o.nodes} nodes serving; genesis ${toGenesis >= 0 ? `in ${toGenesis} ms` : `was ${-toGenesis} ms ago (slots before the nodes served stay empty)`}`,
      )
      return lab
    } catch (e) {
      lab?.destroy()
      throw e
    }
  }

  private async impair(imp: netns.Impairment): Promise<void> {
    for (const h of this.hosts) {
      if (this.netem) {
        netns.setNetem(h, imp)
        continue
      }
      netns.setLoss(h, imp.lossPerMille)
      if (imp.delayMs > 0 || imp.jitterMs > 0) {
        await this.startRelay(h, imp)
        netns.setRelayRedirect(h, this.hosts, P2P_PORT)
      }
    }
  }

  private startRelay(h: netns.Host, imp: netns.Impairment): Promise<void> {
    const cfg = {
      bindIp: h.dataIp,
      sourcePorts: [netns.RELAY_SOURCE_PORT_FIRST, netns.RELAY_SOURCE_PORT_LAST],
      delayMs: imp.delayMs,
      jitterMs: imp.jitterMs,
      routes: this.hosts.filter((r) => r !== h).map((r) => ({ listenPort: netns.RELAY_LISTEN_PORT_BASE + r.index, host: r.dataIp, port: P2P_PORT })),
    }
    const proc = spawn('ip', ['netns', 'exec', h.ns, process.execPath, RELAY, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.relays.push(proc)
    return new Promise((resolve, reject) => {
      let err = ''
      proc.stderr!.on('data', (c: Buffer) => (err += c.toString()))
      proc.stdout!.on('data', (c: Buffer) => {
        if (c.toString().includes('relay ready')) resolve()
      })
      proc.once('close', (code) => reject(new Error(`the relay in ${h.ns} exited (code ${code}): ${err.trim()}`)))
    })
  }

  /** Starts (or restarts, on the same datadir) node `i` and waits until its JSON-RPC serves. */
  async startNode(i: number): Promise<LabNode> {
    const n = this.nodes[i]!
    const peers = this.hosts.filter((h) => h.index !== i).map((h) => `ws://${h.dataIp}:${P2P_PORT}`)
    const args = ['node', '--genesis', this.genesisFile, '--datadir', n.datadir, '--witness-key', path.join(n.datadir, 'witness.key')]
    args.push('--p2p', `${n.host.dataIp}:${P2P_PORT}`, '--rpc', `${n.host.mgmtIp}:${RPC_PORT}`, '--peers', peers.join(','), '--log-level', 'info')
    const log = fs.createWriteStream(path.join(n.datadir, 'node.log'), { flags: 'a' })
    const proc = spawn('ip', ['netns', 'exec', n.host.ns, process.execPath, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    n.proc = proc
    let err = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${i} did not serve within ${START_TIMEOUT_MS} ms\n${err}`)), START_TIMEOUT_MS)
      proc.once('close', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`node ${i} exited before serving (code ${code}, signal ${signal})\n${err}`))
      })
      proc.stderr!.on('data', (c: Buffer) => {
        log.write(c)
        if (err.length < 1_000_000) err += c.toString()
        if (LISTENING.test(err)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    return n
  }

  /** kill -9 node `i`; resolves when it is gone. */
  async crash(i: number): Promise<void> {
    const proc = this.nodes[i]!.proc
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
    const gone = new Promise((resolve) => proc.once('close', resolve))
    proc.kill('SIGKILL')
    await gone
  }

  /** Splits the data plane into `groups` (every host in exactly one); `heal()` joins it again. */
  partition(groups: number[][]): void {
    for (const g of groups) {
      const others = this.hosts.filter((h) => !g.includes(h.index))
      for (const i of g) netns.setPartition(this.hosts[i]!, others)
    }
  }

  heal(): void {
    for (const h of this.hosts) netns.setPartition(h, [])
  }

  /** A JSON-RPC call to node `i` over the management plane. */
  async rpc<T>(i: number, method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.nodes[i]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
    })
    const body = (await res.json()) as { result?: T; error?: { message: string } }
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
    return body.result as T
  }

  /**
   * Runs badPeer.ts from a namespace of its own (made on first use, with the links' loss) against
   * every node; resolves with its report per node.
   */
  async runBadPeer(cfg: Omit<BadPeerConfig, 'targets'>): Promise<BadPeerReport[]> {
    if (this.stranger === undefined) {
      const host = netns.createStranger()
      this.stranger = { host, proc: undefined }
      if (!this.netem) netns.setLoss(host, this.o.impairment.lossPerMille)
      else netns.setNetem(host, this.o.impairment)
    }
    const full: BadPeerConfig = { ...cfg, targets: this.hosts.map((h) => `ws://${h.dataIp}:${P2P_PORT}`) }
    const proc = spawn('ip', ['netns', 'exec', this.stranger.host.ns, process.execPath, BAD_PEER, JSON.stringify(full)], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.stranger.proc = proc
    let out = ''
    let err = ''
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()))
    const code = await new Promise<number | null>((resolve) => proc.once('close', resolve))
    if (code !== 0) throw new Error(`the bad peer exited with code ${code}: ${err.trim()}`)
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as BadPeerReport)
  }

  /** Wire bytes of every host's data link so far. */
  wireBytes(): { sent: bigint; received: bigint }[] {
    return this.hosts.map(netns.wireBytes)
  }

  /**
   * Kills every process and removes the namespaces and bridges; idempotent and synchronous.
   * `keepLogs`: leave the data directories (each node's node.log) in `dir` for a post-mortem.
   */
  destroy(keepLogs = false): void {
    if (this.destroyed) return
    this.destroyed = true
    process.removeListener('exit', this.onExit)
    for (const p of [...this.nodes.map((n) => n.proc), ...this.relays, this.stranger?.proc]) {
      if (p !== undefined && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
    }
    netns.destroyTopology(this.stranger === undefined ? this.hosts : [...this.hosts, this.stranger.host])
    if (!keepLogs) fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
