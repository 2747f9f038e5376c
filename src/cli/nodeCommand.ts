/** `nfc node`: run a node until SIGINT/SIGTERM, then stop cleanly at a committed head. */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { join, resolve } from 'node:path'
import { hexToBytes } from '@ethereumjs/util'
import { loadGenesisFile, type Genesis } from '../chain/genesis.js'
import { DEV_WITNESS_KEY } from '../node/devAccounts.js'
import { startNode, type RunningNode } from './start.js'
import { MAX_DB_CACHE_BYTES, openDatabase } from '../chain/db/level.js'
import { ChainErrorCode } from '../chain/errors.js'
import { CHAIN_DATA_FILES, chaindataDir, removeChainData } from '../node/datadir.js'
import { isNfcError } from '../util/errors.js'
import { packageRoot } from '../util/packageRoot.js'
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../util/logger.js'
import { loadSettings } from './config.js'
import { processIo, UsageError, type CliIo } from './io.js'
import { loadKeyFile, readHexKeyFile } from './keyFile.js'
import { defaultPoolLimits, type P2pOptions, type PoolLimits, type SyncMode } from '../node/node.js'
import { parseAddressRules } from '../p2p/connectionGate.js'

const HELP = `nfc node — run a NetFlowCoin node

Options:
  --config FILE         settings from a TOML file, one key per flag: its name without --
                        (max-peers = 50; peers = ["ws://10.0.0.2:30303", …]); or NFC_CONFIG=FILE
  --dev                 the dev chain: genesis/dev.json, ./data/dev, RPC 127.0.0.1:8545, and
                        dev account 0 (the genesis witness) as the producing key
  --genesis FILE        genesis file (required without --dev)
  --datadir DIR         data directory (default ./data/<genesis name>)
  --rpc HOST:PORT       JSON-RPC over HTTP and WebSocket (default 127.0.0.1:8545; "off" disables)
  --rpc-batch-limit N   most requests in one JSON-RPC batch (default 1000)
  --rpc-max-body SIZE   largest HTTP body / WS message, bytes or with KiB/MiB (default 5MiB)
  --rpc-max-response SIZE
                        largest response or batch of responses (default 25MiB)
  --rpc-ws-max-subscriptions N
                        most eth_subscribe subscriptions per WS connection (default 128)
  --rpc-max-filters N   most installed filters on the node (default 1000)
  --rpc-max-inflight N  most JSON-RPC calls in flight, HTTP and WS, each call of a batch
                        counting (default 4096; 0: no bound); past it calls get -32005
  --rpc-max-lag MS      event-loop lag past which new calls get -32005 (default 250; 0: off)
  --rpc-ws-max-buffered SIZE
                        unread output a WS client may leave before it is cut off (default 32MiB)
  --rpc-cors ORIGINS    comma-separated browser origins allowed (CORS, WS Origin); "*" for any
                        (default none: no CORS header, WS from localhost pages only, like geth)
  --rpc-vhosts HOSTS    comma-separated names accepted in the Host header, "*" for any; IP
                        addresses are always accepted (default localhost, like geth)
  --witness-key FILE    the key of the witness to produce as: an Ethereum v3 keystore file
                        (nfc keys new, nfc genesis new, geth, MetaMask) or a file holding the
                        0x-hex private key
  --password-file FILE  the keystore's password is the first line of FILE (without it, it is
                        asked on the terminal)
  --p2p HOST:PORT|off   listen for peers (ws) on HOST:PORT (default off with --dev, 0.0.0.0:30303
                        otherwise)
  --peers URL[,URL…]    static peers to dial, ws:// or wss:// urls (e.g. ws://10.0.0.2:30303)
  --node-key FILE       the node's ed25519 P2P key (default <datadir>/nodekey; created if missing)
  --max-peers N         most connected peers, at most two thirds of them inbound (default 50)
  --p2p-max-per-ip N    most open inbound connections from one address (default 4)
  --p2p-exempt ADDRS    comma-separated addresses and CIDR ranges (127.0.0.1,10.0.0.0/8,fd00::/8)
                        free of the per-address limits and address bans (default none: loopback
                        counts like any address)
  --p2p-ban-ms MS       how long a misbehaving peer (its node id and address) is refused
                        (default 600000: 10 min)
  --txpool-accountslots N
                        executable transactions guaranteed to each sender, not a ceiling
                        (default 16)
  --txpool-globalslots N
                        executable transactions in the whole pool (default 5120)
  --txpool-accountqueue N
                        most queued (nonce-gapped) transactions per sender (default 64)
  --txpool-globalqueue N
                        queued transactions in the whole pool (default 1024)
  --db-cache SIZE       LevelDB's block cache, bytes or with KiB/MiB/GiB (default 64MiB)
  --archive             keep the state of every block (default: the state of the last 128
                        blocks and of the last final block; older state queries answer
                        -32000 "historical state unavailable (pruned)")
  --sync MODE           snap | full: how a node catches up with its peers. snap (the default on
                        an empty data directory): when the first peer is 128+ blocks ahead,
                        download the state at a recent final block with Merkle proofs, then
                        go on block by block; full: replay every block from genesis
  --reset               remove the chain data first (the chain starts over from genesis): the
                        database, FINAL and the local transaction journal; the node key and
                        keystores (and SIGNED, the witness's highest vote) are kept. Asks on a terminal unless --yes
  --yes                 --reset without asking
  --log-level LEVEL     debug | info | warn | error (default info)
  --log-format FORMAT   text (default) | json: one JSON object a line (time, level, module, msg,
                        fields; bytes as 0x hex, big numbers as decimal strings) for log shippers
  -h, --help            this text

Every flag can also be set by an environment variable: NFC_ and its name in upper case with _
for - (NFC_MAX_PEERS=50, NFC_DEV=true). A flag wins over a variable, a variable over the config
file, the file over the default. An unknown NFC_* variable or file key is an error.`

export function parseHostPort(value: string, flag = 'rpc', example = '127.0.0.1:8545'): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value)
  const port = m === null ? NaN : Number(m[2])
  if (m === null || m[1] === '' || port > 65535) {
    throw new UsageError(`--${flag} wants HOST:PORT (e.g. ${example}), got "${value}"`)
  }
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port }
}

/** `--sync snap|full` (undefined: the default, snap on an empty data directory). */
export function parseSyncFlag(value: string | undefined): SyncMode | undefined {
  if (value === undefined) return undefined
  if (value !== 'snap' && value !== 'full') throw new UsageError(`--sync must be snap or full, got "${value}"`)
  return value
}

/** A non-negative integer flag value. */
export function nonNegativeInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag} wants a non-negative integer, got "${value}"`)
  }
  return Number(value)
}

export function positiveInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${flag} wants a positive integer, got "${value}"`)
  }
  return Number(value)
}

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
}

/** A byte size: "5242880", "512KiB", "5MiB", "1g" (binary units). */
export function parseByteSize(flag: string, value: string): number {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value)
  const unit = m ? sizeUnits[m[2]!.toLowerCase()] : undefined
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${flag} wants a size in bytes (e.g. 5242880 or 5MiB), got "${value}"`)
  }
  return n
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')

/** The --rpc-* limit, CORS and vhost flags; absent flags are left to the node's (geth's) defaults. */
export function parseRpcFlags(opts: Record<string, string | boolean | undefined>) {
  const str = (name: string) => (typeof opts[name] === 'string' ? (opts[name] as string) : undefined)
  const out: {
    maxBatch?: number
    maxBodyBytes?: number
    maxResponseBytes?: number
    maxSubscriptionsPerConnection?: number
    maxFilters?: number
    maxInflight?: number
    maxLagMs?: number
    wsMaxBufferedBytes?: number
    cors?: string[]
    vhosts?: string[]
  } = {}
  const v = (name: string, set: (value: string) => void) => {
    const value = str(name)
    if (value !== undefined) set(value)
  }
  v('rpc-batch-limit', (x) => (out.maxBatch = positiveInt('rpc-batch-limit', x)))
  v('rpc-max-body', (x) => (out.maxBodyBytes = parseByteSize('rpc-max-body', x)))
  v('rpc-max-response', (x) => (out.maxResponseBytes = parseByteSize('rpc-max-response', x)))
  v('rpc-ws-max-subscriptions', (x) => (out.maxSubscriptionsPerConnection = positiveInt('rpc-ws-max-subscriptions', x)))
  v('rpc-max-filters', (x) => (out.maxFilters = positiveInt('rpc-max-filters', x)))
  v('rpc-max-inflight', (x) => (out.maxInflight = nonNegativeInt('rpc-max-inflight', x)))
  v('rpc-max-lag', (x) => (out.maxLagMs = nonNegativeInt('rpc-max-lag', x)))
  v('rpc-ws-max-buffered', (x) => (out.wsMaxBufferedBytes = parseByteSize('rpc-ws-max-buffered', x)))
  v('rpc-cors', (x) => (out.cors = list(x)))
  v('rpc-vhosts', (x) => (out.vhosts = list(x)))
  return out
}

/** --db-cache SIZE: LevelDB's block cache, at most what classic-level takes (a 32-bit count of bytes) */
export function parseDbCache(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const bytes = parseByteSize('db-cache', value)
  if (bytes > MAX_DB_CACHE_BYTES) throw new UsageError(`--db-cache is at most 4GiB − 1 byte (${MAX_DB_CACHE_BYTES}), got "${value}"`)
  return bytes
}

/** The --txpool-* limits (geth's --txpool.* names and defaults); absent flags are left to the pool's defaults. */
export function parseTxPoolFlags(opts: Record<string, string | boolean | undefined>): Partial<PoolLimits> {
  const out: Partial<PoolLimits> = {}
  const flags: Array<[string, keyof PoolLimits]> = [
    ['txpool-accountslots', 'accountSlots'],
    ['txpool-globalslots', 'globalSlots'],
    ['txpool-accountqueue', 'accountQueue'],
    ['txpool-globalqueue', 'globalQueue'],
  ]
  for (const [flag, field] of flags) {
    const value = opts[flag]
    if (typeof value === 'string') out[field] = positiveInt(flag, value)
  }
  if (out.accountSlots !== undefined && out.accountSlots > (out.globalSlots ?? defaultPoolLimits.globalSlots)) {
    throw new UsageError(`--txpool-accountslots (${out.accountSlots}) cannot exceed --txpool-globalslots (${out.globalSlots ?? defaultPoolLimits.globalSlots})`)
  }
  return out
}

/** what the P2P flags give the node (src/node/node.ts `P2pOptions`) */
export type P2pFlags = P2pOptions

/** the connection flags that need P2P on */
const P2P_CONNECTION_FLAGS = ['max-peers', 'p2p-max-per-ip', 'p2p-exempt', 'p2p-ban-ms'] as const

type P2pFlagValues = { p2p?: string; peers?: string; 'node-key'?: string } & Partial<Record<(typeof P2P_CONNECTION_FLAGS)[number], string>>

/** --max-peers, --p2p-max-per-ip, --p2p-exempt, --p2p-ban-ms; absent flags are left out */
function parseP2pConnectionFlags(opts: P2pFlagValues): Pick<P2pFlags, 'maxPeers' | 'maxConnectionsPerIp' | 'exempt' | 'banMs'> {
  const out: Pick<P2pFlags, 'maxPeers' | 'maxConnectionsPerIp' | 'exempt' | 'banMs'> = {}
  if (opts['max-peers'] !== undefined) out.maxPeers = positiveInt('max-peers', opts['max-peers'])
  if (opts['p2p-max-per-ip'] !== undefined) out.maxConnectionsPerIp = positiveInt('p2p-max-per-ip', opts['p2p-max-per-ip'])
  if (opts['p2p-ban-ms'] !== undefined) out.banMs = nonNegativeInt('p2p-ban-ms', opts['p2p-ban-ms'])
  if (opts['p2p-exempt'] !== undefined) {
    const exempt = list(opts['p2p-exempt'])
    if (exempt.length === 0) throw new UsageError(`--p2p-exempt wants addresses or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8), got "${opts['p2p-exempt']}"`)
    try {
      parseAddressRules(exempt)
    } catch (e) {
      throw new UsageError(`--p2p-exempt: ${(e as Error).message} (e.g. 127.0.0.1,10.0.0.0/8)`)
    }
    out.exempt = exempt
  }
  return out
}

/** A static peer: a ws:// or wss:// url with a host and an explicit port. */
function parsePeerUrl(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  const explicitPort = /^wss?:\/\/(?:\[[^\]]*\]|[^/:@]+):\d{1,5}(?:\/.*)?$/i.test(value)
  if (
    url === undefined ||
    (url.protocol !== 'ws:' && url.protocol !== 'wss:') ||
    url.hostname === '' ||
    !explicitPort ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new UsageError(`--peers wants ws:// or wss:// urls with a host and port (e.g. ws://10.0.0.2:30303), got "${value}"`)
  }
  return value
}

/**
 * --p2p, --peers and --node-key. P2P is off by default on the single-node dev chain (there is no
 * one to talk to) and on for any other chain. Null: no P2P.
 */
export function parseP2pFlags(opts: P2pFlagValues, dev: boolean, datadir: string): P2pFlags | null {
  const listen = opts.p2p ?? (dev ? 'off' : '0.0.0.0:30303')
  if (listen === 'off') {
    if (opts.peers !== undefined)
      throw new UsageError('--peers needs P2P, but --p2p is off' + (dev && opts.p2p === undefined ? ' (the default with --dev; give --p2p HOST:PORT)' : ''))
    if (opts['node-key'] !== undefined)
      throw new UsageError('--node-key needs P2P, but --p2p is off' + (dev && opts.p2p === undefined ? ' (the default with --dev; give --p2p HOST:PORT)' : ''))
    for (const flag of P2P_CONNECTION_FLAGS) {
      if (opts[flag] !== undefined)
        throw new UsageError(`--${flag} needs P2P, but --p2p is off` + (dev && opts.p2p === undefined ? ' (the default with --dev; give --p2p HOST:PORT)' : ''))
    }
    return null
  }
  const { host, port } = parseHostPort(listen, 'p2p', '0.0.0.0:30303, or off')
  const peers = opts.peers === undefined ? [] : [...new Set(list(opts.peers).map(parsePeerUrl))]
  if (opts.peers !== undefined && peers.length === 0) throw new UsageError(`--peers wants one or more ws:// or wss:// urls, got "${opts.peers}"`)
  const nodeKeyFile = resolve(opts['node-key'] ?? join(datadir, 'nodekey'))
  if (opts['node-key'] !== undefined) {
    // created when missing (by the P2P layer); an existing file must be what it expects
    let st
    try {
      st = statSync(nodeKeyFile)
    } catch {
      st = undefined
    }
    if (st?.isDirectory()) throw new UsageError(`--node-key ${nodeKeyFile} is a directory; expected a key file (created if missing)`)
    if (st !== undefined) {
      let text: string
      try {
        text = readFileSync(nodeKeyFile, 'utf8').trim()
      } catch (e) {
        throw new UsageError(`cannot read --node-key ${nodeKeyFile}: ${(e as Error).message}`)
      }
      if (!/^[0-9a-fA-F]{64}$/.test(text)) {
        throw new UsageError(`--node-key ${nodeKeyFile} must hold a 32-byte ed25519 seed as 64 hex characters (or not exist: it is created then)`)
      }
    }
  }
  return { host, port, peers, nodeKeyFile, ...parseP2pConnectionFlags(opts) }
}

/** The witness key of `--witness-key FILE` (keyFile.ts: hex, a v3 keystore, or the plain JSON of `genesis new`). */
export function loadWitnessKey(file: string, passwordFile: string | undefined, io: CliIo = processIo()): Promise<Uint8Array> {
  return loadKeyFile(file, passwordFile, io, '--witness-key')
}

/** A witness key file in hex (the devnet writes these for its nodes). */
export function readWitnessKey(file: string): Uint8Array {
  return readHexKeyFile(file, '--witness-key')
}

/** Asks on the terminal before `--reset` removes anything (y or yes; anything else keeps the data). */
async function confirmReset(datadir: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`Remove the chain data in ${datadir} (${CHAIN_DATA_FILES.join(', ')})? The node key and keystores are kept. [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/**
 * The chain of `--genesis FILE` / `--dev` and its data directory (`--datadir`, default
 * ./data/<genesis name>, ./data/dev for the dev chain): what `nfc node`, `nfc export` and
 * `nfc import` open.
 */
export function chainOfFlags(opts: { dev?: boolean; genesis?: string; datadir?: string }): { genesisFile: string; genesis: Genesis; datadir: string } {
  const genesisFile = opts.genesis ?? (opts.dev === true ? resolve(packageRoot()!, 'genesis/dev.json') : undefined)
  if (genesisFile === undefined) throw new UsageError('--genesis FILE is required (or --dev for the dev chain)')
  const genesis = loadGenesisFile(genesisFile)
  const datadir = resolve(opts.datadir ?? `data/${genesis.name === 'nfc-dev' ? 'dev' : genesis.name}`)
  return { genesisFile, genesis, datadir }
}

/** `--reset` must never pull the data out from under a running node: take its lock first. */
export async function refuseIfInUse(datadir: string): Promise<void> {
  if (!existsSync(chaindataDir(datadir))) return
  try {
    const db = await openDatabase(chaindataDir(datadir))
    await db.close()
  } catch (e) {
    // a damaged directory may be reset; one in use by a running node may not
    if (isNfcError(e) && e.code === ChainErrorCode.DatadirLocked) {
      throw new UsageError(`--reset refused: ${e.message}; stop that node first`)
    }
  }
}

/** The flags of `nfc node`; each can also come from NFC_* variables and the --config file. */
export const NODE_OPTIONS = {
  config: { type: 'string' },
  dev: { type: 'boolean', default: false },
  genesis: { type: 'string' },
  datadir: { type: 'string' },
  rpc: { type: 'string' },
  'rpc-batch-limit': { type: 'string' },
  'rpc-max-body': { type: 'string' },
  'rpc-max-response': { type: 'string' },
  'rpc-ws-max-subscriptions': { type: 'string' },
  'rpc-max-filters': { type: 'string' },
  'rpc-max-inflight': { type: 'string' },
  'rpc-max-lag': { type: 'string' },
  'rpc-ws-max-buffered': { type: 'string' },
  'rpc-cors': { type: 'string' },
  'rpc-vhosts': { type: 'string' },
  'witness-key': { type: 'string' },
  'password-file': { type: 'string' },
  p2p: { type: 'string' },
  peers: { type: 'string' },
  'node-key': { type: 'string' },
  'max-peers': { type: 'string' },
  'p2p-max-per-ip': { type: 'string' },
  'p2p-exempt': { type: 'string' },
  'p2p-ban-ms': { type: 'string' },
  'txpool-accountslots': { type: 'string' },
  'txpool-globalslots': { type: 'string' },
  'txpool-accountqueue': { type: 'string' },
  'txpool-globalqueue': { type: 'string' },
  archive: { type: 'boolean', default: false },
  'db-cache': { type: 'string' },
  sync: { type: 'string' },
  reset: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'info' },
  'log-format': { type: 'string', default: 'text' },
  help: { type: 'boolean', short: 'h', default: false },
} as const

/** the comma-separated list flags: a config file may give them as TOML arrays */
export const NODE_LIST_FLAGS = ['peers', 'rpc-cors', 'rpc-vhosts', 'p2p-exempt'] as const

export async function nodeCommand(argv: string[]): Promise<number> {
  let settings
  try {
    settings = loadSettings({ command: 'node', argv, options: NODE_OPTIONS, lists: NODE_LIST_FLAGS })
  } catch (e) {
    process.stderr.write(e instanceof UsageError ? `nfc node: ${e.message}\n` : `nfc node: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  const opts = settings.values
  if (opts.help) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  const level = opts['log-level'] as LogLevel
  if (!LOG_LEVELS.includes(level)) {
    process.stderr.write(`nfc node: ${settings.explain(`--log-level must be debug, info, warn or error, got "${level}"`)}\n`)
    return 2
  }
  const format = opts['log-format'] as LogFormat
  if (!LOG_FORMATS.includes(format)) {
    process.stderr.write(`nfc node: ${settings.explain(`--log-format must be text or json, got "${format}"`)}\n`)
    return 2
  }
  const logger = createLogger({ level, format })
  let node: RunningNode | undefined
  try {
    const { genesisFile, genesis, datadir } = chainOfFlags(opts)
    const rpc = opts.rpc === 'off' ? null : { ...parseHostPort(opts.rpc ?? '127.0.0.1:8545'), ...parseRpcFlags(opts) }
    const p2p = parseP2pFlags(opts, opts.dev === true, datadir)
    const txpool = parseTxPoolFlags(opts)
    const dbCacheBytes = parseDbCache(opts['db-cache'])
    const sync = parseSyncFlag(opts.sync)
    if (sync === 'snap' && p2p === null) {
      throw new UsageError(
        '--sync snap needs P2P, but --p2p is off' + (opts.dev === true && opts.p2p === undefined ? ' (the default with --dev; give --p2p HOST:PORT)' : ''),
      )
    }
    if (opts['password-file'] !== undefined && opts['witness-key'] === undefined)
      throw new UsageError('--password-file opens the --witness-key keystore; give --witness-key FILE too')
    const witnessKey =
      opts['witness-key'] !== undefined
        ? await loadWitnessKey(opts['witness-key'], opts['password-file'])
        : opts.dev
          ? hexToBytes(DEV_WITNESS_KEY as `0x${string}`)
          : undefined
    if (opts.reset) {
      await refuseIfInUse(datadir)
      if (!opts.yes && process.stdin.isTTY && !(await confirmReset(datadir))) {
        process.stderr.write('nfc node: --reset cancelled, nothing was removed\n')
        return 1
      }
      const removed = removeChainData(datadir)
      logger.info('reset: removed the chain data (the node key and keystores are kept)', { datadir, removed: removed.join(', ') || 'nothing' })
    }
    logger.info('starting', {
      genesis: genesisFile,
      datadir,
      chainId: genesis.chainId,
      state: opts.archive === true ? 'archive' : 'pruned',
      ...(settings.configFile === undefined ? {} : { config: resolve(settings.configFile) }),
    })
    // /health: a networked node without peers is not healthy; the dev chain needs none
    const rpcWithHealth = rpc === null ? null : { ...rpc, healthRequiresPeers: p2p !== null && opts.dev !== true }
    node = await startNode({ genesis, datadir, rpc: rpcWithHealth, p2p, witnessKey, logger, txpool, archive: opts.archive === true, dbCacheBytes, sync })
    if (node.rpc !== null) logger.info('JSON-RPC listening', { http: node.rpc.url, ws: node.rpc.wsUrl })
  } catch (e) {
    if (e instanceof UsageError || isNfcError(e)) {
      process.stderr.write(`nfc node: ${settings.explain(e.message)}\n`)
      return 1
    }
    throw e
  }
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await node.close()
  return 0
}
