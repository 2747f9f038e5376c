/**
 * `nfc genesis devnet` (the genesis of an N-node devnet, src/cli/devnetGenesis.ts), `nfc genesis
 * new` (a genesis for N fresh witness keys, kept as keystore files) and `nfc genesis check FILE`
 * (the node's own validation of a file, every problem at once).
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { formatNfc, loadGenesisFile, parseGenesis } from '../chain/genesis.js'
import { addressOfKey, encryptKeystore, KeystoreError, SCRYPT_LIGHT, SCRYPT_STANDARD, writeKeystoreFile, writeNewFile } from '../crypto/keystore.js'
import { isNfcError } from '../util/errors.js'
import { DEV_CHAIN_ID, DEV_PARAMS, devGenesisDoc, devnetGenesis, genesisFileText, MAX_DEVNET_NODES } from './devnetGenesis.js'
import { processIo, readPassword, UsageError, type CliIo } from './io.js'
import { freshKey } from './keysCommand.js'

const HELP = `nfc genesis — write and check genesis files

Usage:
  nfc genesis devnet --nodes N [--chain-id ID] [--timestamp MS] --out FILE [--force]
  nfc genesis new --witnesses N [--chain-id ID] [--timestamp MS] [--name NAME] --out FILE
                  [--keys-dir DIR] [--password-file FILE] [--light] [--insecure-plain-keys]
                  [--force]
  nfc genesis check FILE

  devnet            the genesis of an N-node devnet (what \`nfc devnet\` runs): name nfc-devnet-N,
                    one witness seat per node, 1 s blocks, 100-block election cycles; witness i
                    is dev account i (i < 10) or a fresh key, saved to FILE's .keys.json
                    (mode 0600) next to it

  new               a genesis whose N witnesses all have fresh keys (none of them a dev
                    account), each written as an encrypted keystore file (Ethereum v3, as
                    \`nfc keys\` and other wallets read) to --keys-dir; name nfc-chain-ID unless
                    given, W = N seats, the devnet parameters and the same DESIGN §6
                    allocation as \`genesis devnet\`: dev accounts 0–9 funded, foundation and
                    team addresses from the public dev mnemonic — keys anyone knows, so for
                    test networks only.
                    The file is validated by the node's parser before it is written. To produce
                    with witness i: nfc node --genesis FILE --witness-key <its keystore file>
                    [--password-file PWFILE]
  check FILE        validate FILE as the node does: prints "ok: NAME, chain id …, N witnesses,
                    total supply …" and exits 0, or every problem (one per line, each naming its
                    field) and exits 1

Options:
  --nodes N         (devnet) number of witnesses, 1 … ${MAX_DEVNET_NODES}
  --witnesses N     (new) number of witnesses, 1 … ${MAX_DEVNET_NODES}
  --chain-id ID     chain id (default ${DEV_CHAIN_ID})
  --timestamp MS    genesis time in ms since the Unix epoch (default 0: set when a data
                    directory is first created; \`nfc devnet\` sets it for all its nodes)
  --name NAME       (new) chain name (default nfc-chain-ID)
  --out FILE        where to write the genesis file
  --keys-dir DIR    (new) where the witness keys go (default: FILE without .json, plus .keys,
                    next to it); key files are never overwritten
  --password-file FILE  (new) password of the witness keystores: the first line of FILE;
                    without it, asked twice on the terminal
  --light           (new) scrypt n = 2^12 for the keystores: fast and weak, for tests and
                    throwaway devnets
  --insecure-plain-keys  (new) write each witness key unencrypted, as JSON
                    {"address", "privateKey"} (mode 0600), instead of a keystore: only for
                    throwaway devnets
  --force           overwrite FILE (and, for devnet, its keys file) if it exists
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

type Flags = Record<string, string | boolean | undefined>

/** --chain-id and --timestamp, shared by devnet and new. */
function chainFlags(values: Flags): { chainId: number; timestamp: number } {
  const chainIdFlag = values['chain-id'] as string | undefined
  const chainId = chainIdFlag === undefined ? DEV_CHAIN_ID : intFlag('chain-id', chainIdFlag, 1, Number.MAX_SAFE_INTEGER)
  let timestamp = 0
  if (typeof values.timestamp === 'string') {
    timestamp = intFlag('timestamp', values.timestamp, 0, Number.MAX_SAFE_INTEGER, 'ms since the Unix epoch (or 0), an integer')
    if (timestamp !== 0 && timestamp < 1e12) {
      throw new UsageError(`--timestamp ${timestamp} looks like seconds; genesis time is in milliseconds (e.g. ${timestamp * 1000}), or 0`)
    }
  }
  return { chainId, timestamp }
}

/** `<dir>/net.json` → `<dir>/net.keys`: where `genesis new` puts the witness keys by default. */
export function keysDirFor(genesisFile: string): string {
  return genesisFile.replace(/(\.json)?$/i, '.keys')
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/** `nfc genesis new`: N fresh witness keys, the dev allocation around them, validated, then written. */
async function newGenesis(values: Flags, io: CliIo): Promise<number> {
  for (const f of ['nodes']) if (values[f] !== undefined) throw new UsageError(`--${f} is for \`genesis devnet\`; \`genesis new\` takes --witnesses N`)
  if (values.witnesses === undefined) throw new UsageError('--witnesses N is required')
  const n = intFlag('witnesses', values.witnesses as string, 1, MAX_DEVNET_NODES)
  const { chainId, timestamp } = chainFlags(values)
  if (values.out === undefined) throw new UsageError('--out FILE is required')
  const out = resolve(values.out as string)
  if (existsSync(out) && !values.force) throw new UsageError(`${out} exists; use --force to overwrite it`)
  const keysDir = resolve((values['keys-dir'] as string | undefined) ?? keysDirFor(out))
  const plain = values['insecure-plain-keys'] === true
  if (plain && (values['password-file'] !== undefined || values.light === true)) {
    throw new UsageError('--insecure-plain-keys writes unencrypted keys: --password-file and --light do not apply')
  }
  const name = (values.name as string | undefined) ?? `nfc-chain-${chainId}`

  // Everything that can be refused is checked before a key is made or a file written.
  const password = plain
    ? ''
    : await readPassword({ file: values['password-file'] as string | undefined, confirm: true, what: 'password for the witness keystores' }, io)
  const keys = Array.from({ length: n }, () => freshKey())
  const addresses = keys.map(addressOfKey)
  const doc = devGenesisDoc({ name, chainId, timestamp, params: { ...DEV_PARAMS, witnessesPerRound: n }, witnesses: addresses })
  try {
    parseGenesis(doc)
  } catch (e) {
    // --name is the only free-form input; the rest is ours, so a problem here is a bug
    throw isNfcError(e) ? new UsageError(((e.meta.problems as string[] | undefined) ?? [e.message]).join('; ')) : e
  }

  mkdirSync(keysDir, { recursive: true, mode: 0o700 })
  const files: string[] = []
  for (let i = 0; i < n; i++) {
    if (plain) {
      const file = join(keysDir, `witness-${i}-${addresses[i]!.slice(2).toLowerCase()}.json`)
      writeNewFile(file, `${JSON.stringify({ address: addresses[i], privateKey: `0x${Buffer.from(keys[i]!).toString('hex')}` }, null, 2)}\n`)
      files.push(file)
    } else {
      const ks = await encryptKeystore(keys[i]!, password, { scrypt: values.light === true ? SCRYPT_LIGHT : SCRYPT_STANDARD })
      files.push(writeKeystoreFile(keysDir, ks, addresses[i]!))
    }
  }
  writeFileSync(out, genesisFileText(doc))
  const g = loadGenesisFile(out) // read back through the node's own loader
  io.out(`wrote ${out}: ${g.name}, chain id ${g.chainId}, ${plural(n, 'witness', 'witnesses')}, timestamp ${timestamp}\n`)
  io.out(
    `wrote ${plural(n, 'witness key', 'witness keys')} to ${keysDir} (${plain ? 'UNENCRYPTED JSON: throwaway devnets only' : 'v3 keystores; keep them with the genesis'}):\n`,
  )
  addresses.forEach((a, i) => io.out(`  witness ${i}  ${a}  ${files[i]}\n`))
  return 0
}

/** `nfc genesis check FILE`: ok line and 0, or every problem (one per line) and 1. */
function checkGenesis(args: string[], io: CliIo): number {
  if (args.length !== 1) throw new UsageError('check wants one FILE (nfc genesis check FILE)')
  const file = resolve(args[0]!)
  try {
    const g = loadGenesisFile(file)
    io.out(`ok: ${g.name}, chain id ${g.chainId}, ${plural(g.witnesses.length, 'witness', 'witnesses')}, total supply ${formatNfc(g.totalSupply)}\n`)
    return 0
  } catch (e) {
    if (!isNfcError(e)) throw e
    const problems = e.meta.problems
    if (Array.isArray(problems)) {
      io.err(`${file}: ${plural(problems.length, 'problem', 'problems')}\n`)
      for (const p of problems) io.out(`${String(p)}\n`)
    } else {
      io.out(`${e.message}\n`)
    }
    return 1
  }
}

export async function genesisCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let values, positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string' },
        witnesses: { type: 'string' },
        name: { type: 'string' },
        'keys-dir': { type: 'string' },
        'password-file': { type: 'string' },
        light: { type: 'boolean', default: false },
        'insecure-plain-keys': { type: 'boolean', default: false },
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
    io.err(`nfc genesis: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  if (values.help) {
    io.out(HELP + '\n')
    return 0
  }
  try {
    if (positionals[0] === 'check') return checkGenesis(positionals.slice(1), io)
    if (positionals[0] === 'new' && positionals.length === 1) return await newGenesis(values, io)
    if (positionals.length !== 1 || positionals[0] !== 'devnet') {
      throw new UsageError(
        positionals.length === 0
          ? 'which genesis? (nfc genesis devnet|new|check …)'
          : `unknown genesis command "${positionals.join(' ')}"; expected devnet, new or check`,
      )
    }
    if (values.nodes === undefined) throw new UsageError('--nodes N is required')
    const nodes = intFlag('nodes', values.nodes, 1, MAX_DEVNET_NODES)
    const { chainId, timestamp } = chainFlags(values)
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
    io.out(`wrote ${out}: ${doc.name}, chain id ${chainId}, ${nodes} witness${nodes === 1 ? '' : 'es'}, timestamp ${timestamp}\n`)
    if (freshKeys.length > 0) {
      io.out(`wrote ${keysFile}: the private keys of witnesses ${freshKeys[0]}…${freshKeys.at(-1)} (fresh keys; keep this file with the genesis)\n`)
    }
    return 0
  } catch (e) {
    if (e instanceof UsageError || e instanceof KeystoreError) {
      io.err(`nfc genesis: ${e.message}\n`)
      return 1
    }
    throw e
  }
}
