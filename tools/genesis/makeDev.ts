/**
 * Generates genesis/dev.json (committed). Run: `npx tsx tools/genesis/makeDev.ts`
 * (or, without tsx: `node --import @tapjs/typescript/import tools/genesis/makeDev.ts`).
 *
 * Keys are derived here with ethers from the public test mnemonic and cross-checked against
 * the hardcoded src/node/devAccounts.ts, so the file, the constants and the mnemonic can never
 * silently disagree. The output is validated with parseGenesis before it is written.
 */
import { writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HDNodeWallet, Mnemonic } from 'ethers'
import { canonicalGenesisJson, parseGenesis } from '../../src/chain/genesis.js'
import { NFC, POOLS, TOTAL_SUPPLY } from '../../src/execution/systemAddresses.js'
import { DEV_ACCOUNTS, DEV_FOUNDATION_INDEX, DEV_HD_PATH_PREFIX, DEV_MNEMONIC, DEV_TEAM_INDEX } from '../../src/node/devAccounts.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const out = resolve(root, 'genesis/dev.json')

const mnemonic = Mnemonic.fromPhrase(DEV_MNEMONIC)
const derive = (i: number): string => {
  const w = HDNodeWallet.fromMnemonic(mnemonic, `${DEV_HD_PATH_PREFIX}${i}`)
  const c = DEV_ACCOUNTS[i]
  if (!c || c.address !== w.address || c.privateKey !== w.privateKey) {
    throw new Error(`src/node/devAccounts.ts disagrees with the mnemonic at index ${i} (${w.address})`)
  }
  return w.address
}

const DEV_BALANCE = 10_000n * NFC
const DEV_COUNT = 10
// DESIGN §6: foundation 5%, team 15%, block mining 16%, traffic mining 64%.
const FOUNDATION = 105_000_000n * NFC
const TEAM = 315_000_000n * NFC
const BLOCK_MINING = 336_000_000n * NFC
const TRAFFIC_MINING = 1_344_000_000n * NFC

const alloc: Record<string, { balance: string; label: string }> = {}
const put = (addr: string, balance: bigint, label: string): void => {
  alloc[addr] = { balance: balance.toString(), label }
}
for (let i = 0; i < DEV_COUNT; i++) put(derive(i), DEV_BALANCE, `dev account ${i}`)
put(derive(DEV_FOUNDATION_INDEX), FOUNDATION - BigInt(DEV_COUNT) * DEV_BALANCE, 'foundation (5%, less the dev accounts)')
put(derive(DEV_TEAM_INDEX), TEAM, 'team (15%; vesting schedule arrives with the token-economy issue)')
put(POOLS.blockMining, BLOCK_MINING, 'block-mining pool Pb (16%)')
put(POOLS.trafficMining, TRAFFIC_MINING, 'traffic-mining pool Pf (64%)')
put(POOLS.shared, 0n, 'shared pool')

const doc = {
  name: 'nfc-dev',
  chainId: 2100,
  timestamp: 0,
  // Devnet overrides (DESIGN §3/§4); every other parameter keeps its mainnet default.
  params: { blockIntervalMs: 1000, flowCycleSec: 300, electionCycleBlocks: 100 },
  totalSupply: TOTAL_SUPPLY.toString(),
  witnesses: [derive(0)],
  alloc,
}

const g = parseGenesis(doc) // throws on any mistake above, including the supply sum
writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`)
console.log(`wrote ${out} (${g.alloc.length} accounts, canonical form ${canonicalGenesisJson(g).length} bytes)`)
