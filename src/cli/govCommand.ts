/**
 * `nfc gov propose|vote|list`: governance (DESIGN §14) against a running node over JSON-RPC
 * (ethers): proposals of a governed parameter or a shared-pool grant, stake-weighted votes, and
 * the list of proposals with the parameters in force (nfc_getParams). Transactions are signed
 * with the key of `--key FILE` (hex, a v3 keystore with `--password-file` or a prompt).
 */
import { parseArgs } from 'node:util'
import { Contract, JsonRpcProvider, Wallet, formatEther, parseEther, type InterfaceAbi } from 'ethers'
import { walletProvider } from '../util/walletProvider.js'
import { bytesToHex } from '@ethereumjs/util'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import governanceAbi from '../execution/system/abi/IGovernance.json' with { type: 'json' }
import { processIo, progressLine, UsageError, type CliIo } from './io.js'
import { loadKeyFile } from './keyFile.js'
import { proposalCall, proposalOf, type ParamsJson, type Proposal } from '../explorer/govQueries.js'
import { normalizeRpcUrl } from './statusCommand.js'
import { cliRpc, failureOf } from './rpcClient.js'

const DEFAULT_RPC = 'http://127.0.0.1:8545'

const HELP = `nfc gov — governance: proposals and stake-weighted votes (DESIGN §14)

Usage:
  nfc gov propose --param NAME --value N --key FILE [--password-file FILE] [--rpc URL]
  nfc gov propose --grant ADDRESS --amount NFC --key FILE [--password-file FILE] [--rpc URL]
  nfc gov vote ID yes|no --key FILE [--password-file FILE] [--rpc URL]
  nfc gov list [--rpc URL] [--json]

  propose   a change of a governed parameter (fuelPricePerGb, flowCapFactorBps, nfcPriceNb,
            cnPledge, enPledge, rnPledge; N in the parameter's own unit: wei, NB wei or basis points,
            within the bounds \`nfc gov list\` shows) or a grant of NFC from the shared pool to
            ADDRESS. The key's address must have NFC staked (voted) in Staking.
  vote      one vote per address and proposal while its vote is open, weighted by the NFC the
            key's address has staked
  list      the governed parameters (value in force, bounds, changes) and every proposal with
            its votes and status. An approved proposal is executed by the chain at the first
            flow-cycle boundary after its vote and timelock; list shows the block that did it.

Options:
  --rpc URL             the node's JSON-RPC (default ${DEFAULT_RPC})
  --key FILE            the signing key: a 0x-hex private key, an Ethereum v3 keystore (nfc keys new)
  --password-file FILE  the keystore's password (first line); asked on the terminal otherwise
  --param NAME          the parameter to change (propose)
  --value N             its new value, a decimal integer (propose)
  --grant ADDRESS       the grant's recipient (propose)
  --amount NFC          the grant in NFC, decimals allowed, e.g. 1000 or 0.5 (propose)
  --json                list: one JSON document instead of the table
  -h, --help            this text`

interface Flags {
  rpc?: string
  key?: string
  'password-file'?: string
  param?: string
  value?: string
  grant?: string
  amount?: string
  json?: boolean
  help?: boolean
}

function parse(argv: string[]): { sub: string | undefined; args: string[]; flags: Flags } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      rpc: { type: 'string' },
      key: { type: 'string' },
      'password-file': { type: 'string' },
      param: { type: 'string' },
      value: { type: 'string' },
      grant: { type: 'string' },
      amount: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  })
  const [sub, ...args] = positionals
  return { sub, args, flags: values }
}

/** Flags a subcommand does not take are refused, not ignored. */
function only(sub: string, flags: Flags, allowed: readonly (keyof Flags)[]): void {
  for (const k of Object.keys(flags) as (keyof Flags)[]) {
    if (flags[k] !== undefined && k !== 'help' && !allowed.includes(k)) throw new UsageError(`nfc gov ${sub} does not take --${k}`)
  }
}

function requireKey(flags: Flags): string {
  if (flags.key === undefined) throw new UsageError('--key FILE is required: the key that signs the transaction')
  return flags.key
}

/** A proposal as the chain answers Governance.proposal(id), and the block that settled it (0 while open). */
export interface ProposalRow extends Proposal {
  settledBlock: bigint
}

const governanceOf = (runner: JsonRpcProvider | Wallet): Contract => new Contract(SYSTEM_CONTRACTS.governance, governanceAbi as InterfaceAbi, runner)

async function wallet(flags: Flags, io: CliIo, provider: JsonRpcProvider): Promise<Wallet> {
  const key = await loadKeyFile(requireKey(flags), flags['password-file'], io, '--key')
  return new Wallet(bytesToHex(key), provider)
}

async function send(io: CliIo, what: string, tx: () => Promise<{ hash: string; wait(): Promise<unknown> }>): Promise<{ hash: string; receipt: unknown }> {
  const progress = progressLine({ write: (s) => io.err(s) })
  progress.update(`${what}: sending…`)
  try {
    const sent = await tx()
    progress.update(`${what}: waiting for ${sent.hash} to be included…`)
    const receipt = await sent.wait()
    return { hash: sent.hash, receipt }
  } finally {
    progress.done()
  }
}

async function propose(flags: Flags, io: CliIo, provider: JsonRpcProvider): Promise<number> {
  only('propose', flags, ['rpc', 'key', 'password-file', 'param', 'value', 'grant', 'amount'])
  const isParam = flags.param !== undefined || flags.value !== undefined
  const isGrant = flags.grant !== undefined || flags.amount !== undefined
  if (isParam === isGrant) throw new UsageError('propose wants either --param NAME --value N or --grant ADDRESS --amount NFC')
  let call: (c: Contract) => Promise<{ hash: string; wait(): Promise<unknown> }>
  let what: string
  if (isParam) {
    if (flags.param === undefined || flags.value === undefined) throw new UsageError('--param and --value go together')
    if (!/^\d+$/.test(flags.value)) throw new UsageError(`--value wants a decimal integer in the parameter's unit, got "${flags.value}"`)
    const value = BigInt(flags.value)
    what = `set ${flags.param} to ${value}`
    call = (c) => c.getFunction('proposeParam')(flags.param, value)
  } else {
    if (flags.grant === undefined || flags.amount === undefined) throw new UsageError('--grant and --amount go together')
    if (!/^0x[0-9a-fA-F]{40}$/.test(flags.grant)) throw new UsageError(`--grant wants an address (0x + 40 hex digits), got "${flags.grant}"`)
    if (!/^\d+(\.\d{1,18})?$/.test(flags.amount) || parseEther(flags.amount) === 0n)
      throw new UsageError(`--amount wants a positive amount of NFC (up to 18 decimals), got "${flags.amount}"`)
    const amount = parseEther(flags.amount)
    what = `grant ${formatEther(amount)} NFC to ${flags.grant}`
    call = (c) => c.getFunction('proposeGrant')(flags.grant, amount)
  }
  const gov = governanceOf(await wallet(flags, io, provider))
  const id = (await gov.getFunction('proposalCount')()) as bigint
  const { hash } = await send(io, `proposal ${id}`, () => call(gov))
  const p = await readProposal(provider, id)
  io.out(
    `proposal ${id}: ${what}\n  votes until ${new Date(Number(p.endsMs)).toISOString()}, executable from ${new Date(Number(p.executableAtMs)).toISOString()}\n  tx ${hash}\n`,
  )
  return 0
}

async function vote(args: string[], flags: Flags, io: CliIo, provider: JsonRpcProvider): Promise<number> {
  only('vote', flags, ['rpc', 'key', 'password-file'])
  if (args.length !== 2) throw new UsageError(`vote wants ID and yes|no, got ${args.length === 0 ? 'nothing' : `"${args.join(' ')}"`}`)
  const [idText, choice] = args as [string, string]
  if (!/^\d+$/.test(idText)) throw new UsageError(`the proposal ID is a decimal integer, got "${idText}"`)
  if (choice !== 'yes' && choice !== 'no') throw new UsageError(`vote wants yes or no, got "${choice}"`)
  const id = BigInt(idText)
  const gov = governanceOf(await wallet(flags, io, provider))
  const { hash } = await send(io, `vote on ${id}`, () => gov.getFunction('vote')(id, choice === 'yes'))
  const p = await readProposal(provider, id)
  io.out(
    `voted ${choice} on proposal ${id}: yes ${formatEther(p.yes)} NFC, no ${formatEther(p.no)} NFC of ${formatEther(p.stake)} staked (${p.passing ? 'passing' : 'not passing'})\n  tx ${hash}\n`,
  )
  return 0
}

async function readProposal(provider: JsonRpcProvider, id: bigint): Promise<ProposalRow> {
  const [data, settledBlock] = await Promise.all([
    provider.call(proposalCall(id).params[0] as { to: string; data: string }),
    governanceOf(provider).getFunction('settledBlock')(id) as Promise<bigint>,
  ])
  return { ...proposalOf(id, data), settledBlock }
}

/** What `list` shows: the status a reader cares about, from the stored one and the time. */
function shownStatus(p: ProposalRow, nowMs: bigint): string {
  if (p.status !== 'open') return `${p.status} at block ${p.settledBlock}`
  if (nowMs < p.endsMs) return 'voting'
  return p.passing ? 'approved (awaiting execution)' : 'defeated (awaiting settlement)'
}

async function list(flags: Flags, io: CliIo, provider: JsonRpcProvider, url: string): Promise<number> {
  only('list', flags, ['rpc', 'json'])
  const params = await cliRpc(url).call<ParamsJson>('nfc_getParams', [])
  const proposals: ProposalRow[] = []
  for (let id = 0n; id < BigInt(params.proposals); id++) proposals.push(await readProposal(provider, id))
  const head = await provider.getBlock('latest')
  const nowMs = BigInt(head?.timestamp ?? 0) * 1000n
  if (flags.json === true) {
    const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)
    io.out(JSON.stringify({ ...params, proposals: proposals.map((p) => ({ ...p, shownStatus: shownStatus(p, nowMs) })) }, big) + '\n')
    return 0
  }
  const r = params.rules
  const lines = [
    `rules      vote ${r.votingSec} s, timelock ${r.timelockSec} s, quorum ${r.quorumBps / 100}%, majority > ${r.majorityBps / 100}%, range ÷/× ${r.rangeFactor}`,
    'parameters',
  ]
  for (const p of params.params) {
    const changes = p.history.map((h) => `#${BigInt(h.block)} by proposal ${BigInt(h.proposal)}`).join(', ')
    lines.push(
      `  ${p.name.padEnd(17)} ${BigInt(p.value).toString().padStart(28)}  [${BigInt(p.min)} … ${BigInt(p.max)}]${changes === '' ? '' : `  changed ${changes}`}`,
    )
  }
  lines.push(proposals.length === 0 ? 'proposals  none' : 'proposals')
  for (const p of proposals) {
    const what = p.kind === 'param' ? `set ${p.param} to ${p.value}` : `grant ${formatEther(p.value)} NFC to ${p.to}`
    lines.push(
      `  ${String(p.id).padStart(3)}  ${what}  yes ${formatEther(p.yes)} / no ${formatEther(p.no)} of ${formatEther(p.stake)} NFC  ${shownStatus(p, nowMs)}`,
    )
  }
  io.out(lines.join('\n') + '\n')
  return 0
}

export async function govCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let parsed
  try {
    parsed = parse(argv)
  } catch (e) {
    io.err(`nfc gov: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  const { sub, args, flags } = parsed
  if (sub === undefined || sub === 'help' || flags.help === true) {
    ;(sub === undefined && flags.help !== true ? io.err : io.out)(HELP + '\n')
    return sub === undefined && flags.help !== true ? 2 : 0
  }
  let url = DEFAULT_RPC
  try {
    url = normalizeRpcUrl(flags.rpc ?? DEFAULT_RPC)
    if (sub !== 'vote' && args.length > 0) throw new UsageError(`nfc gov ${sub} takes no arguments, got "${args.join(' ')}"`)
    const provider = walletProvider(url, { pollingInterval: 200 })
    try {
      if (sub === 'propose') return await propose(flags, io, provider)
      if (sub === 'vote') return await vote(args, flags, io, provider)
      if (sub === 'list') return await list(flags, io, provider, url)
      throw new UsageError(`unknown subcommand "${sub}" (propose, vote or list)`)
    } finally {
      provider.destroy()
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nfc gov: ${e.message}\n\nRun \`nfc gov --help\` for the options.\n`)
      return 2
    }
    io.err(`nfc gov ${sub}: ${failureOf(e, url)}\n`)
    return 1
  }
}
