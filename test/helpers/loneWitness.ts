/**
 * A lone witness for the P2P attack tests (fuzzer, garbage flood, strangers, bad peers): a one-witness devnet
 * genesis, its key, P2P on a free loopback port. Every slot is the witness's own, so
 * /metrics nfc_producer_missed_slots_total counts every slot the attack cost it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { hexToBytes } from '@ethereumjs/util'
import { devnetGenesis, genesisFileText } from '../../src/cli/devnetGenesis.js'
import { freePort, headOf } from './devnetProcess.js'
import { rpc, startNode, waitFor, type NodeProcess } from './nodeProcess.js'

export interface LoneWitness {
  node: NodeProcess
  p2pPort: number
  /** ws://127.0.0.1:<p2pPort> */
  p2pUrl: string
  genesisFile: string
  genesisHash: Uint8Array
  chainId: bigint
}

/**
 * A one-witness chain in `dir`, starting 2 s from now: its genesis file, the witness key file and
 * the key (hex), and the chain id.
 */
export function oneWitnessChain(dir: string): { genesisFile: string; keyFile: string; key: string; chainId: bigint } {
  const { doc, witnessKeys } = devnetGenesis({ nodes: 1, timestamp: (Math.floor(Date.now() / 1000) + 2) * 1000 })
  const genesisFile = path.join(dir, 'genesis.json')
  fs.writeFileSync(genesisFile, genesisFileText(doc))
  const keyFile = path.join(dir, 'witness.key')
  fs.writeFileSync(keyFile, witnessKeys[0]!, { mode: 0o600 })
  return { genesisFile, keyFile, key: witnessKeys[0]!, chainId: BigInt(doc.chainId as number | string) }
}

/** Starts the witness in `dir` and waits for its second block; stopped at teardown. */
export async function startLoneWitness(t: { teardown(fn: () => unknown): void }, dir: string): Promise<LoneWitness> {
  const { genesisFile, keyFile, chainId } = oneWitnessChain(dir)
  const p2pPort = await freePort()
  const node = await startNode({
    dev: false,
    datadir: path.join(dir, 'witness'),
    genesis: genesisFile,
    extraArgs: ['--witness-key', keyFile, '--p2p', `127.0.0.1:${p2pPort}`],
  })
  t.teardown(() => node.stop().catch(() => node.kill('SIGKILL')))
  await waitFor(async () => (await headOf(node.url)) >= 2, 30_000, 'the witness makes blocks')
  const genesisHash = hexToBytes((await rpc<{ hash: string }>(node.url, 'eth_getBlockByNumber', ['0x0', false])).hash as `0x${string}`)
  return { node, p2pPort, p2pUrl: `ws://127.0.0.1:${p2pPort}`, genesisFile, genesisHash, chainId }
}

/** the sum of the /metrics lines that start with `prefix` (all labels of a counter with `name{`) */
export async function metric(url: string, prefix: string): Promise<number> {
  const text = await (await fetch(url.replace(/\/?$/, '/metrics'))).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

/** the own slots and missed slots the witness counted so far */
export async function slotCounts(url: string): Promise<{ own: number; missed: number }> {
  return { own: await metric(url, 'nfc_producer_own_slots_total'), missed: await metric(url, 'nfc_producer_missed_slots_total{') }
}
