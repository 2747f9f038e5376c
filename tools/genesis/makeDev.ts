/**
 * Generates genesis/dev.json (committed). Run: `npx tsx tools/genesis/makeDev.ts`.
 *
 * Keys are derived here with ethers from the public test mnemonic and cross-checked against
 * the hardcoded src/node/devAccounts.ts, so the file, the constants and the mnemonic can never
 * silently disagree. The allocation itself is src/cli/devnetGenesis.ts (shared with the devnets);
 * the output is validated with parseGenesis before it is written.
 */
import { writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HDNodeWallet, Mnemonic } from 'ethers'
import { canonicalGenesisJson, parseGenesis } from '../../src/chain/genesis.js'
import { devChainGenesisDoc, genesisFileText } from '../../src/cli/devnetGenesis.js'
import { DEV_ACCOUNTS, DEV_HD_PATH_PREFIX, DEV_MNEMONIC } from '../../src/node/devAccounts.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const out = resolve(root, 'genesis/dev.json')

const mnemonic = Mnemonic.fromPhrase(DEV_MNEMONIC)
for (let i = 0; i < DEV_ACCOUNTS.length; i++) {
  const w = HDNodeWallet.fromMnemonic(mnemonic, `${DEV_HD_PATH_PREFIX}${i}`)
  const c = DEV_ACCOUNTS[i]!
  if (c.address !== w.address || c.privateKey !== w.privateKey) {
    throw new Error(`src/node/devAccounts.ts disagrees with the mnemonic at index ${i} (${w.address})`)
  }
}

// single witness: dev account 0, pledging params.rnPledge (100,000 NFC) with 1,000,000 NFC of self-votes
const doc = devChainGenesisDoc()

const g = parseGenesis(doc) // throws on any mistake, including the supply sum
writeFileSync(out, genesisFileText(doc))
console.log(`wrote ${out} (${g.alloc.length} accounts, canonical form ${canonicalGenesisJson(g).length} bytes)`)
