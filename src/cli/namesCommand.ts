/**
 * `nfc names`: the Names system contract (0x…1007, DESIGN §14) from the command line, against a
 * running node's JSON-RPC — reads through nfc_resolveName / nfc_listNames, writes as signed
 * transactions (ethers) from the key of `--key FILE`. Names and flags are checked here with the
 * contract's own rules before anything is sent; a refusal by the contract prints its reason.
 */
import { parseArgs } from 'node:util'
import { bytesToHex } from '@ethereumjs/util'
import { Contract, isAddress, Wallet, ZeroHash, type InterfaceAbi } from 'ethers'
import { walletProvider } from '../util/walletProvider.js'
import namesAbi from '../execution/system/abi/INames.json' with { type: 'json' }
import { formatNfc } from '../chain/genesis.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { endpointProblem, nameProblem } from '../consensus/names/rules.js'
import { processIo, UsageError, type CliIo } from './io.js'
import { loadKeyFile } from './keyFile.js'
import { cliRpc, reasonOf, RpcFailure, RpcUnreachable } from './rpcClient.js'
import { normalizeRpcUrl, DEFAULT_STATUS_RPC } from './statusCommand.js'
import type { NameRecord } from '../explorer/queries.js'

const HELP = `nfc names — names on chain: name → owner, node id, endpoint (DESIGN §14)

Usage:
  nfc names register NAME --key FILE [--term DURATION] [--node-id HEX] [--endpoint URL]
  nfc names renew NAME --key FILE [--term DURATION]
  nfc names set NAME --key FILE [--node-id HEX] [--endpoint URL]
  nfc names transfer NAME --to ADDRESS --key FILE
  nfc names release NAME --key FILE
  nfc names resolve NAME [--json]
  nfc names list [--owner ADDRESS] [--json]
  (every one also takes --rpc URL; the writes take --password-file FILE)

  register   a free or expired name for a term; locks NFC for it (the chain's price per year,
             pro rata: shown before sending). The lock comes back at release, or when the name
             has expired and someone registers it again
  renew      the owner moves the expiry one more term later, locking that term's NFC too
  set        the owner changes the node id and endpoint (both are replaced; left out = empty)
  transfer   the owner hands the name, its record and its lock to ADDRESS
  release    the owner deletes the record and gets the whole lock back (also after expiry)
  resolve    the live record of NAME (exit 1 for an unknown or expired name)
  list       every record, live and expired (--owner: only that owner's)

A name is 3 to 32 characters of a-z, 0-9 and -, not starting or ending with -.

Options:
  --rpc URL             the node's JSON-RPC (default ${DEFAULT_STATUS_RPC}; HOST:PORT works too)
  --key FILE            the owner's key: an Ethereum v3 keystore (nfc keys new), a hex private key,
                        or the plain JSON of nfc genesis new --insecure-plain-keys
  --password-file FILE  the keystore's password (first line); else asked on the terminal
  --term DURATION       how long: a whole number and a unit s, m, h, d or y (365 d), e.g. 90d,
                        1y (default 1y); the chain sets the shortest and longest term
  --node-id HEX         32 bytes (64 hex digits, 0x optional), e.g. the node's P2P id; default none
  --endpoint URL        where the node answers, e.g. ws://203.0.113.5:30303 (printable ASCII
                        without spaces, at most 256 characters); default none
  --to ADDRESS          transfer: the new owner
  --owner ADDRESS       list: only this owner's names
  --json                resolve, list: the JSON-RPC result as JSON
  -h, --help            this text`

const SUBCOMMANDS = ['register', 'renew', 'set', 'transfer', 'release', 'resolve', 'list'] as const
type Sub = (typeof SUBCOMMANDS)[number]

/** The flags each subcommand takes besides --rpc and --help. */
const FLAGS_OF: Record<Sub, readonly string[]> = {
  register: ['key', 'password-file', 'term', 'node-id', 'endpoint'],
  renew: ['key', 'password-file', 'term'],
  set: ['key', 'password-file', 'node-id', 'endpoint'],
  transfer: ['key', 'password-file', 'to'],
  release: ['key', 'password-file'],
  resolve: ['json'],
  list: ['owner', 'json'],
}

const DAY_MS = 86_400_000n
const UNIT_MS: Record<string, bigint> = { s: 1000n, m: 60_000n, h: 3_600_000n, d: DAY_MS, y: 365n * DAY_MS }
const MAX_UINT64 = 2n ** 64n - 1n
/** list pages asked of nfc_listNames */
const LIST_PAGE = 100

/** `--term`: a whole number and a unit (s, m, h, d, y = 365 d), in ms. */
export function parseTerm(v: string): bigint {
  const m = /^(\d{1,15})([smhdy])$/.exec(v)
  if (m === null) throw new UsageError(`--term wants a whole number and a unit s, m, h, d or y (e.g. 90d, 1y), got "${v}"`)
  const ms = BigInt(m[1]!) * UNIT_MS[m[2]!]!
  if (ms === 0n || ms > MAX_UINT64) throw new UsageError(`--term must be above 0 and at most 2^64 − 1 ms, got "${v}"`)
  return ms
}

/** `--node-id`: 32 bytes of hex (0x optional), as a 0x bytes32. */
export function parseNodeId(v: string): string {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(v)) throw new UsageError(`--node-id wants 32 bytes as 64 hex digits (0x optional), got "${v}"`)
  return `0x${v.replace(/^0x/, '').toLowerCase()}`
}

function parseName(v: string | undefined, sub: Sub): string {
  if (v === undefined) throw new UsageError(`nfc names ${sub} needs a NAME`)
  const problem = nameProblem(v)
  if (problem !== undefined) throw new UsageError(`${problem} ("${v}")`)
  return v
}

function parseAddress(flag: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined
  if (!isAddress(v)) throw new UsageError(`--${flag} wants an address (0x + 40 hex digits), got "${v}"`)
  return v.toLowerCase()
}

interface NamesOpts {
  sub: Sub
  rpc: string
  name?: string
  keyFile?: string
  passwordFile?: string
  termMs: bigint
  nodeId: string
  endpoint: string
  to?: string
  owner?: string
  json: boolean
}

/** Parses and checks the arguments after `nfc names SUB`. */
export function parseNamesArgs(sub: Sub, args: string[]): NamesOpts {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      rpc: { type: 'string' },
      key: { type: 'string' },
      'password-file': { type: 'string' },
      term: { type: 'string' },
      'node-id': { type: 'string' },
      endpoint: { type: 'string' },
      to: { type: 'string' },
      owner: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  for (const flag of Object.keys(values)) {
    if (flag !== 'rpc' && !FLAGS_OF[sub].includes(flag)) throw new UsageError(`--${flag} is not an option of nfc names ${sub}`)
  }
  const wantsName = sub !== 'list'
  if (positionals.length > (wantsName ? 1 : 0)) throw new UsageError(`unexpected argument "${positionals[wantsName ? 1 : 0]}"`)
  const endpoint = values.endpoint ?? ''
  const problem = endpointProblem(endpoint)
  if (problem !== undefined) throw new UsageError(`--endpoint: ${problem.replace(/^invalid endpoint: /, '')}`)
  const opts: NamesOpts = {
    sub,
    rpc: normalizeRpcUrl(values.rpc ?? DEFAULT_STATUS_RPC),
    termMs: values.term === undefined ? UNIT_MS.y! : parseTerm(values.term),
    nodeId: values['node-id'] === undefined ? ZeroHash : parseNodeId(values['node-id']),
    endpoint,
    json: values.json === true,
  }
  if (wantsName) opts.name = parseName(positionals[0], sub)
  if (FLAGS_OF[sub].includes('key')) {
    if (values.key === undefined) throw new UsageError(`nfc names ${sub} signs a transaction: give --key FILE`)
    opts.keyFile = values.key
    if (values['password-file'] !== undefined) opts.passwordFile = values['password-file']
  }
  const to = parseAddress('to', values.to)
  if (sub === 'transfer' && to === undefined) throw new UsageError('nfc names transfer needs --to ADDRESS')
  if (to !== undefined) opts.to = to
  const owner = parseAddress('owner', values.owner)
  if (owner !== undefined) opts.owner = owner
  return opts
}

const dateOf = (msHex: string | bigint): string => new Date(Number(BigInt(msHex))).toISOString().replace('.000Z', 'Z')

function formatRecord(r: NameRecord): string {
  return [
    r.name,
    `  owner     ${r.owner}`,
    `  node id   ${r.nodeId === ZeroHash ? 'none' : r.nodeId}`,
    `  endpoint  ${r.endpoint === '' ? 'none' : r.endpoint}`,
    `  expires   ${dateOf(r.expiresAt)}${r.status === 'expired' ? ' (expired)' : ''}`,
    `  lock      ${formatNfc(BigInt(r.lock))}`,
  ].join('\n')
}

async function resolve(o: NamesOpts, io: CliIo): Promise<number> {
  const r = await cliRpc(o.rpc).call<NameRecord>('nfc_resolveName', [o.name])
  io.out((o.json ? JSON.stringify(r) : formatRecord(r)) + '\n')
  return 0
}

async function list(o: NamesOpts, io: CliIo): Promise<number> {
  const all: NameRecord[] = []
  let cursor: string | null = null
  do {
    const opts: Record<string, unknown> = { limit: LIST_PAGE, cursor }
    if (o.owner !== undefined) opts.owner = o.owner
    const page = await cliRpc(o.rpc).call<{ names: NameRecord[]; next: string | null }>('nfc_listNames', [opts])
    all.push(...page.names)
    cursor = page.next
  } while (cursor !== null)
  if (o.json) {
    io.out(JSON.stringify(all) + '\n')
    return 0
  }
  const width = Math.max(4, ...all.map((r) => r.name.length))
  if (all.length > 0) io.out(`${'NAME'.padEnd(width)}  ${'OWNER'.padEnd(42)}  ${'EXPIRES'.padEnd(20)}  STATUS   ENDPOINT\n`)
  for (const r of all) {
    io.out(`${r.name.padEnd(width)}  ${r.owner}  ${dateOf(r.expiresAt).padEnd(20)}  ${r.status.padEnd(7)}  ${r.endpoint}\n`)
  }
  const expired = all.filter((r) => r.status === 'expired').length
  io.out(
    `${all.length} name${all.length === 1 ? '' : 's'}${expired > 0 ? ` (${expired} expired)` : ''}${o.owner === undefined ? '' : ` owned by ${o.owner}`}\n`,
  )
  return 0
}

async function write(o: NamesOpts, io: CliIo): Promise<number> {
  const chainId = BigInt(await cliRpc(o.rpc).call<string>('eth_chainId', []))
  const key = await loadKeyFile(o.keyFile!, o.passwordFile, io, '--key')
  const provider = walletProvider(o.rpc, { chainId })
  try {
    const wallet = new Wallet(bytesToHex(key), provider)
    const names = new Contract(SYSTEM_CONTRACTS.names, namesAbi as InterfaceAbi, wallet)
    const name = o.name!
    let value = 0n
    if (o.sub === 'register' || o.sub === 'renew') {
      value = (await names.getFunction('lockFor')(o.termMs)) as bigint
      io.err(`${o.sub} ${name} for ${o.termMs / 1000n} s: locks ${formatNfc(value)} from ${wallet.address}\n`)
    }
    const before = o.sub === 'release' ? ((await names.getFunction('recordOf')(name)) as unknown[]) : undefined
    let tx
    try {
      if (o.sub === 'register') tx = await names.getFunction('register')(name, o.termMs, o.nodeId, o.endpoint, { value })
      else if (o.sub === 'renew') tx = await names.getFunction('renew')(name, o.termMs, { value })
      else if (o.sub === 'set') tx = await names.getFunction('setRecord')(name, o.nodeId, o.endpoint)
      else if (o.sub === 'transfer') tx = await names.getFunction('transfer')(name, o.to)
      else tx = await names.getFunction('release')(name)
    } catch (e) {
      io.err(`nfc names ${o.sub}: refused: ${reasonOf(e)}\n`)
      return 1
    }
    io.err(`sent ${tx.hash}; waiting for its block…\n`)
    const receipt = await tx.wait()
    if (receipt === null || receipt.status !== 1) {
      io.err(`nfc names ${o.sub}: transaction ${tx.hash} failed in block ${receipt?.blockNumber ?? '?'}\n`)
      return 1
    }
    const where = `(tx ${tx.hash}, block ${receipt.blockNumber})`
    if (o.sub === 'register' || o.sub === 'renew') {
      const rec = (await names.getFunction('recordOf')(name)) as [string, string, string, bigint, bigint]
      io.out(`${o.sub === 'register' ? 'registered' : 'renewed'} ${name} until ${dateOf(rec[3])}; ${formatNfc(rec[4])} locked ${where}\n`)
    } else if (o.sub === 'set') {
      io.out(`set ${name}: node id ${o.nodeId === ZeroHash ? 'none' : o.nodeId}, endpoint ${o.endpoint === '' ? 'none' : o.endpoint} ${where}\n`)
    } else if (o.sub === 'transfer') {
      io.out(`transferred ${name} to ${o.to} ${where}\n`)
    } else {
      io.out(`released ${name}; ${formatNfc(before![4] as bigint)} returned to ${wallet.address} ${where}\n`)
    }
    return 0
  } finally {
    provider.destroy()
  }
}

export async function namesCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(HELP + '\n')
    return sub === undefined ? 2 : 0
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    io.err(`nfc names: unknown subcommand "${sub}"\n\n${HELP}\n`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP + '\n')
    return 0
  }
  let opts: NamesOpts
  try {
    opts = parseNamesArgs(sub as Sub, rest)
  } catch (e) {
    io.err(`nfc names ${sub}: ${(e as Error).message}\n\nRun \`nfc names --help\` for the options.\n`)
    return 2
  }
  try {
    if (opts.sub === 'resolve') return await resolve(opts, io)
    if (opts.sub === 'list') return await list(opts, io)
    return await write(opts, io)
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nfc names ${sub}: ${e.message}\n`)
      return 2
    }
    if (e instanceof RpcFailure || e instanceof RpcUnreachable) {
      io.err(`nfc names ${sub}: ${e.message}\n`)
      return 1
    }
    io.err(`nfc names ${sub}: ${reasonOf(e)}\n`)
    return 1
  }
}
