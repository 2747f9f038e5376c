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
import { devnetGenesis } from '../../src/cli/devnetGenesis.js'
import { DEV_ACCOUNTS, DEV_FOUNDATION_INDEX } from '../../src/node/devAccounts.js'
import type { Account } from './blocks.js'
import { startDevnetProcesses, stopNodeProcess, type Proc } from './network.js'
import { progress } from './report.js'

const NODES = 4

export interface Devnet {
  chainId: bigint
  /** JSON-RPC of each node; node 0 takes the load */
  urls: string[]
  stop(): Promise<void>
}

/** Gives each wallet `funds` in a genesis alloc, out of the foundation's balance (the supply stays whole). */
export function fundWallets(alloc: Record<string, { balance: string; label?: string }>, wallets: Account[], funds: bigint): void {
  const foundation = Object.keys(alloc).find((a) => a.toLowerCase() === DEV_ACCOUNTS[DEV_FOUNDATION_INDEX]!.address.toLowerCase())
  if (foundation === undefined) throw new Error('the genesis has no foundation account to fund the wallets from')
  alloc[foundation]!.balance = (BigInt(alloc[foundation]!.balance) - funds * BigInt(wallets.length)).toString()
  for (const w of wallets) alloc[bytesToHex(w.address)] = { balance: funds.toString(), label: 'load wallet' }
}

/**
 * NFC_LOAD_DEVNET_LOGS=DIR: the devnet's nodes log at `info` (each block produced with its lateness
 * and build time, side blocks, reorgs, held and missed slots), and each node's log is written to
 * DIR/node-<i>.log when the devnet stops; otherwise they log at `warn` and nothing is kept.
 */
const LOGS_DIR = process.env.NFC_LOAD_DEVNET_LOGS

export async function startLoadDevnet(wallets: Account[], funds: bigint): Promise<Devnet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-bench-load-devnet-'))
  const procs: Proc[] = []
  const stop = async () => {
    if (LOGS_DIR !== undefined && procs.length > 0) {
      fs.mkdirSync(LOGS_DIR, { recursive: true })
      procs.forEach((p, i) => fs.writeFileSync(path.join(LOGS_DIR, `node-${i}.log`), p.log()))
      progress(`load: the devnet nodes' logs are in ${LOGS_DIR}`)
    }
    await Promise.all(procs.map(stopNodeProcess))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    // a few seconds ahead: four processes start before the first slot
    const genesisTime = (Math.floor(Date.now() / 1000) + 6) * 1000
    const { doc, witnessKeys } = devnetGenesis({ nodes: NODES, timestamp: genesisTime })
    fundWallets(doc.alloc, wallets, funds)
    progress(`load: starting a ${NODES}-node devnet`)
    await startDevnetProcesses(dir, doc, witnessKeys, procs, LOGS_DIR === undefined ? 'warn' : 'info')
    return { chainId: BigInt(doc.chainId), urls: procs.map((p) => p.url), stop }
  } catch (e) {
    await stop()
    throw e
  }
}
