/** `nfc genesis devnet`: write the genesis file of an N-node devnet (src/cli/devnetGenesis.ts). */
import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEV_CHAIN_ID, devnetGenesis, genesisFileText, MAX_DEVNET_NODES } from './devnetGenesis.js'
import { UsageError } from './nodeCommand.js'

const HELP = `nfc genesis — write genesis files

Usage:
  nfc genesis devnet --nodes N [--chain-id ID] [--timestamp MS] --out FILE [--force]

  devnet            the genesis of an N-node devnet (what \`nfc devnet\` runs): name nfc-devnet-N,
                    one witness seat per node, 1 s blocks, 100-block election cycles; witness i
                    is dev account i (i < 10) or a fresh key, saved to FILE's .keys.json
                    (mode 0600) next to it

Options:
  --nodes N         number of witnesses, 1 … ${MAX_DEVNET_NODES}
  --chain-id ID     chain id (default ${DEV_CHAIN_ID})
  --timestamp MS    genesis time in ms since the Unix epoch (default 0: set when a data
                    directory is first created; \`nfc devnet\` sets it for all its nodes)
  --out FILE        where to write the genesis file
  --force           overwrite FILE (and its keys file) if it exists
  -h, --help        this text`

/** Strictly an integer in [min, max], from a flag value. */
export function intFlag(flag: string, value: string, min: number, max: number, what = 'an integer'): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} wants ${what} from ${min} to ${max}, got "${value}"`)
  }
  return n
}

/** `<dir>/devnet.json` → `<dir>/devnet.keys.json`: where the fresh witness keys of a file go. */
export function keysFileFor(genesisFile: string): string {
  return genesisFile.replace(/(\.json)?$/i, '.keys.json')
}

export async function genesisCommand(argv: string[]): Promise<number> {
  let values, positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string' },
        'chain-id': { type: 'string' },
        timestamp: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    }))
  } catch (e) {
    process.stderr.write(`nfc genesis: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  try {
    if (positionals.length !== 1 || positionals[0] !== 'devnet') {
      throw new UsageError(positionals.length === 0 ? 'which genesis? (nfc genesis devnet …)' : `unknown genesis kind "${positionals.join(' ')}"; only "devnet" is known`)
    }
    if (values.nodes === undefined) throw new UsageError('--nodes N is required')
    const nodes = intFlag('nodes', values.nodes, 1, MAX_DEVNET_NODES)
    const chainId = values['chain-id'] === undefined ? DEV_CHAIN_ID : intFlag('chain-id', values['chain-id'], 1, Number.MAX_SAFE_INTEGER)
    let timestamp = 0
    if (values.timestamp !== undefined) {
      timestamp = intFlag('timestamp', values.timestamp, 0, Number.MAX_SAFE_INTEGER, 'ms since the Unix epoch (or 0), an integer')
      if (timestamp !== 0 && timestamp < 1e12) {
        throw new UsageError(`--timestamp ${timestamp} looks like seconds; genesis time is in milliseconds (e.g. ${timestamp * 1000}), or 0`)
      }
    }
    if (values.out === undefined) throw new UsageError('--out FILE is required')
    const out = resolve(values.out)
    const { doc, witnessKeys, freshKeys } = devnetGenesis({ nodes, chainId, timestamp })
    const keysFile = keysFileFor(out)
    for (const f of freshKeys.length > 0 ? [out, keysFile] : [out]) {
      if (existsSync(f) && !values.force) throw new UsageError(`${f} exists; use --force to overwrite it`)
    }
    if (freshKeys.length > 0) {
      const keys = Object.fromEntries(freshKeys.map((i) => [doc.witnesses[i]!.address, witnessKeys[i]!]))
      writeFileSync(keysFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 })
      chmodSync(keysFile, 0o600) // mode applies only when the file is created
    }
    writeFileSync(out, genesisFileText(doc))
    process.stdout.write(`wrote ${out}: ${doc.name}, chain id ${chainId}, ${nodes} witness${nodes === 1 ? '' : 'es'}, timestamp ${timestamp}\n`)
    if (freshKeys.length > 0) {
      process.stdout.write(`wrote ${keysFile}: the private keys of witnesses ${freshKeys[0]}…${freshKeys.at(-1)} (fresh keys; keep this file with the genesis)\n`)
    }
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`nfc genesis: ${e.message}\n`)
      return 1
    }
    throw e
  }
}
