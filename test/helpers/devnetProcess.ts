/**
 * Test fixture: an N-witness devnet of real `nfc node` processes on loopback, wired over real
 * P2P sockets (full mesh of static peers unless a topology is given). Genesis comes from the
 * same generator `nfc devnet` uses, with a genesis time a few seconds ahead so every node
 * starts before slot 1.
 */
import fs from 'node:fs'
import path from 'node:path'
import { devnetGenesis, genesisFileText } from '../../src/cli/devnetGenesis.js'
import { rpc, startNode, tempDir, waitFor, type NodeProcess } from './nodeProcess.js'
import { freePort } from '../../tools/bench/network.js'

export interface DevnetNode {
  index: number
  datadir: string
  p2pPort: number
  address: string
  proc: NodeProcess | undefined
  url: string
}

export interface Devnet {
  dir: string
  genesisFile: string
  genesisTime: number
  nodes: DevnetNode[]
  start(i: number, peers?: number[]): Promise<DevnetNode>
  stopAll(): Promise<void>
}

export { freePort } from '../../tools/bench/network.js'

export async function makeDevnet(
  t: { teardown(fn: () => unknown): void },
  opts: { nodes: number; startInMs?: number; params?: Record<string, number | string> },
): Promise<Devnet> {
  const dir = tempDir(t, 'nfc-devnet-')
  const interval = 1000
  const genesisTime = (Math.floor(Date.now() / interval) + 1) * interval + (opts.startInMs ?? 4000)
  const { doc, witnessKeys } = devnetGenesis({ nodes: opts.nodes, timestamp: genesisTime })
  Object.assign(doc.params, opts.params ?? {})
  const genesisFile = path.join(dir, 'genesis.json')
  fs.writeFileSync(genesisFile, genesisFileText(doc))
  const nodes: DevnetNode[] = []
  for (let i = 0; i < opts.nodes; i++) {
    const datadir = path.join(dir, `node-${i}`)
    fs.mkdirSync(datadir, { recursive: true })
    fs.writeFileSync(path.join(datadir, 'witness.key'), witnessKeys[i]! + '\n', { mode: 0o600 })
    nodes.push({
      index: i,
      datadir,
      p2pPort: await freePort(),
      address: (doc.witnesses[i] as { address: string }).address.toLowerCase(),
      proc: undefined,
      url: '',
    })
  }
  const devnet: Devnet = {
    dir,
    genesisFile,
    genesisTime,
    nodes,
    async start(i, peers) {
      const n = nodes[i]!
      const others = (peers ?? nodes.map((x) => x.index).filter((j) => j !== i)).map((j) => `ws://127.0.0.1:${nodes[j]!.p2pPort}`)
      const extra = ['--witness-key', path.join(n.datadir, 'witness.key'), '--p2p', `127.0.0.1:${n.p2pPort}`, '--log-level', 'info']
      if (others.length > 0) extra.push('--peers', others.join(','))
      n.proc = await startNode({ dev: false, datadir: n.datadir, genesis: genesisFile, extraArgs: extra })
      n.url = n.proc.url
      return n
    },
    async stopAll() {
      await Promise.all(nodes.map(async (n) => (n.proc !== undefined && n.proc.proc.exitCode === null ? n.proc.stop().catch(() => undefined) : undefined)))
    },
  }
  t.teardown(() => devnet.stopAll())
  return devnet
}

export async function headOf(url: string): Promise<number> {
  return Number(await rpc<string>(url, 'eth_blockNumber'))
}

export async function hashAt(url: string, n: number): Promise<string | null> {
  const b = await rpc<{ hash: string } | null>(url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
  return b?.hash ?? null
}

/** Waits until every url's head is at least `n`. */
export async function waitHeads(urls: string[], n: number, timeoutMs: number): Promise<void> {
  await waitFor(async () => (await Promise.all(urls.map(headOf))).every((h) => h >= n), timeoutMs, `heads ≥ ${n}`)
}
