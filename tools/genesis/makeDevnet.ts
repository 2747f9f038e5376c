/**
 * Generates genesis/devnet-<N>.json (committed for N = 4). Run:
 * `npx tsx tools/genesis/makeDevnet.ts [N]` (default 4).
 *
 * Same generator as `nfc genesis devnet` and `nfc devnet` (src/cli/devnetGenesis.ts). Only up to
 * 10 nodes here: beyond that witnesses get fresh random keys, which a committed file could not
 * keep; use `nfc genesis devnet --nodes N --out FILE`, which saves them beside the file.
 */
import { writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEV_ACCOUNT_COUNT, devnetGenesis, genesisFileText } from '../../src/cli/devnetGenesis.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const nodes = Number(process.argv[2] ?? 4)
if (!Number.isInteger(nodes) || nodes < 1 || nodes > DEV_ACCOUNT_COUNT) {
  throw new Error(`N must be 1 to ${DEV_ACCOUNT_COUNT} (dev-account witnesses only), got ${process.argv[2]}`)
}
const out = resolve(root, `genesis/devnet-${nodes}.json`)
writeFileSync(out, genesisFileText(devnetGenesis({ nodes }).doc))
console.log(`wrote ${out}`)
