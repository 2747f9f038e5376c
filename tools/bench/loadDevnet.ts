/**
 * The 4-node devnet of the `load` bench: four `nfc node` processes on loopback (each its own
 * event loop, as on four hosts), the load's wallets funded in the devnet genesis (out of the
 * foundation's balance, so the supply stays whole). The load itself is run by load.ts against
 * node 0, the others only import and confirm.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import { devnetGenesis, genesisFileText } from '../../src/cli/devnetGenesis.js'
import { DEV_ACCOUNTS, DEV_FOUNDATION_INDEX } from '../../src/node/devAccounts.js'
import type { Account } from './blocks.js'
import { freePort, startNodeProcess, stopNodeProcess, type Proc } from './network.js'
import { progress } from './report.js'

const NODES = 4

export interface Devnet {
  chainId: bigint
  /** JSON-RPC of each node; node 0 takes the load */
  urls: string[]
  stop(): Promise<void>
}

export async function startLoadDevnet(wallets: Account[], funds: bigint): Promise<Devnet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-bench-load-devnet-'))
  const procs: Proc[] = []
  const stop = async () => {
    await Promise.all(procs.map(stopNodeProcess))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    // a few seconds ahead: four processes start before the first slot
    const genesisTime = (Math.floor(Date.now() / 1000) + 6) * 1000
    const { doc, witnessKeys } = devnetGenesis({ nodes: NODES, timestamp: genesisTime })
    const foundation = Object.keys(doc.alloc).find((a) => a.toLowerCase() === DEV_ACCOUNTS[DEV_FOUNDATION_INDEX]!.address.toLowerCase())
    if (foundation === undefined) throw new Error('the devnet genesis has no foundation account to fund the wallets from')
    doc.alloc[foundation]!.balance = (BigInt(doc.alloc[foundation]!.balance) - funds * BigInt(wallets.length)).toString()
    for (const w of wallets) doc.alloc[bytesToHex(w.address)] = { balance: funds.toString(), label: 'load wallet' }
    const genesisFile = path.join(dir, 'genesis.json')
    fs.writeFileSync(genesisFile, genesisFileText(doc))
    const p2p = await Promise.all(witnessKeys.map(() => freePort()))
    const rpcPorts = await Promise.all(witnessKeys.map(() => freePort()))
    for (let i = 0; i < NODES; i++) {
      progress(`load: starting devnet node ${i + 1}/${NODES}`)
      const datadir = path.join(dir, `node-${i}`)
      fs.mkdirSync(datadir)
      fs.writeFileSync(path.join(datadir, 'witness.key'), witnessKeys[i]!, { mode: 0o600 })
      const peers = p2p
        .filter((_, j) => j !== i)
        .map((p) => `ws://127.0.0.1:${p}`)
        .join(',')
      const args = ['--genesis', genesisFile, '--datadir', datadir, '--witness-key', path.join(datadir, 'witness.key')]
      args.push('--p2p', `127.0.0.1:${p2p[i]}`, '--peers', peers, '--log-level', 'warn')
      procs.push(await startNodeProcess(args, rpcPorts[i]!))
    }
    return { chainId: BigInt(doc.chainId), urls: procs.map((p) => p.url), stop }
  } catch (e) {
    await stop()
    throw e
  }
}
