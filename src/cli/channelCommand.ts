/**
 * `nfc flow channel open|topup|close|withdraw|show`: a consumer's NB payment channels
 * (PaymentChannels 0x…1005, DESIGN §13) over a node's JSON-RPC with ethers. The writing commands
 * sign with `--key FILE` (keyFile.ts), check what the chain would refuse before sending (the
 * contract's revert reason, from eth_estimateGas), print progress while the transaction waits for
 * its block, and end with one summary line. `show` only reads (flow_getChannel / flow_getChannels).
 */
import { parseArgs } from 'node:util'
import { Contract, formatUnits, parseUnits, Wallet, type InterfaceAbi, type TransactionReceipt } from 'ethers'
import { walletProvider } from '../util/walletProvider.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { systemAbiJson } from '../util/systemAbi.js'
import { loadKeyFile } from './keyFile.js'
import { progressLine, UsageError } from './io.js'
import { normalizeRpcUrl } from './statusCommand.js'
import { cliRpc, failureOf, reasonOf } from './rpcClient.js'

export const DEFAULT_CHANNEL_RPC = 'http://127.0.0.1:8545'
/** how long a sent transaction may wait for its block before the command gives up, ms */
const RECEIPT_TIMEOUT_MS = 120_000
const NB_DECIMALS = 18

const HELP = `nfc flow channel — NB payment channels (PaymentChannels 0x…1005)

Usage:
  nfc flow channel open --provider ADDRESS --amount NB --key FILE [--password-file FILE] [--rpc URL]
  nfc flow channel topup ID --amount NB --key FILE [--password-file FILE] [--rpc URL]
  nfc flow channel close ID --key FILE [--password-file FILE] [--rpc URL]
  nfc flow channel withdraw ID --key FILE [--password-file FILE] [--rpc URL]
  nfc flow channel show [ID | --address ADDRESS | --key FILE] [--json] [--rpc URL]

  open       locks NB of the key's account in a new channel to the provider; prints its id.
             The provider redeems the cumulative vouchers you sign (EIP-712) as fuel.
  topup      adds NB to an open channel of yours
  close      starts closing: the provider can still redeem during the challenge period
             (genesis channelChallengeSec, default 1 day)
  withdraw   after the challenge period: takes back what the provider did not redeem
  show       one channel (ID), or every channel an address is a party of (--address, or the
             key's own address with --key)

Options:
  --provider ADDRESS    (open) the provider's address
  --amount NB           (open, topup) NB to lock, in NB (decimals allowed: 2.5)
  --key FILE            the signing key: an Ethereum v3 keystore, or a file with a 0x-hex key
  --password-file FILE  the keystore's password: the first line of FILE (else it is asked)
  --address ADDRESS     (show) list this address's channels
  --json                (show) JSON instead of text
  --rpc URL             the node's JSON-RPC (default ${DEFAULT_CHANNEL_RPC})
  -h, --help            this text`

export const CHANNEL_ACTIONS = ['open', 'topup', 'close', 'withdraw', 'show'] as const
export type ChannelAction = (typeof CHANNEL_ACTIONS)[number]

export interface ChannelArgs {
  action: ChannelAction
  rpc: string
  id?: bigint
  provider?: string
  /** NB wei */
  amount?: bigint
  keyFile?: string
  passwordFile?: string
  address?: string
  json: boolean
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/

/** An amount of NB ("2", "2.5", up to 18 decimals) in NB wei; > 0. `flag` names it in errors. */
export function parseNbAmount(v: string, flag = 'amount'): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(v)) throw new UsageError(`--${flag} wants an amount of NB such as 2 or 2.5 (at most 18 decimals), got "${v}"`)
  const wei = parseUnits(v, NB_DECIMALS)
  if (wei === 0n) throw new UsageError(`--${flag} must be more than 0 NB`)
  return wei
}

function parseId(v: string | undefined, action: string): bigint {
  if (v === undefined) throw new UsageError(`nfc flow channel ${action} needs the channel ID (see \`nfc flow channel show --key FILE\`)`)
  if (!/^[1-9]\d{0,19}$/.test(v) || BigInt(v) >= 1n << 64n) throw new UsageError(`the channel ID is a positive integer below 2^64, got "${v}"`)
  return BigInt(v)
}

function parseAddress(flag: string, v: string): string {
  if (!ADDRESS_RE.test(v)) throw new UsageError(`--${flag} wants a 0x-prefixed 20-byte hex address, got "${v}"`)
  return v.toLowerCase()
}

/** The flags of one `nfc flow channel` command, validated (UsageError on anything wrong). */
export function parseChannelArgs(argv: string[]): ChannelArgs {
  const [action, ...rest] = argv
  if (!CHANNEL_ACTIONS.includes(action as ChannelAction)) {
    throw new UsageError(`unknown action "${action ?? ''}": one of ${CHANNEL_ACTIONS.join(', ')}`)
  }
  const a = action as ChannelAction
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      provider: { type: 'string' },
      amount: { type: 'string' },
      key: { type: 'string' },
      'password-file': { type: 'string' },
      address: { type: 'string' },
      json: { type: 'boolean' },
      rpc: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  if (positionals.length > 1) throw new UsageError(`one channel ID at most, got ${positionals.join(' ')}`)
  const allowed: Record<ChannelAction, readonly string[]> = {
    open: ['provider', 'amount', 'key', 'password-file', 'rpc'],
    topup: ['amount', 'key', 'password-file', 'rpc'],
    close: ['key', 'password-file', 'rpc'],
    withdraw: ['key', 'password-file', 'rpc'],
    show: ['address', 'key', 'password-file', 'json', 'rpc'],
  }
  for (const k of Object.keys(values)) if (!allowed[a].includes(k)) throw new UsageError(`--${k} does not apply to \`nfc flow channel ${a}\``)
  const out: ChannelArgs = { action: a, rpc: normalizeRpcUrl(values.rpc ?? DEFAULT_CHANNEL_RPC), json: values.json === true }
  if (values['password-file'] !== undefined && values.key === undefined) throw new UsageError('--password-file opens the --key keystore; give --key FILE too')
  if (values.key !== undefined) out.keyFile = values.key
  if (values['password-file'] !== undefined) out.passwordFile = values['password-file']
  if (a === 'show') {
    const ways = [positionals.length > 0, values.address !== undefined, values.key !== undefined].filter(Boolean).length
    if (ways !== 1) throw new UsageError('nfc flow channel show wants one of: a channel ID, --address ADDRESS, --key FILE')
    if (positionals[0] !== undefined) out.id = parseId(positionals[0], a)
    if (values.address !== undefined) out.address = parseAddress('address', values.address)
    return out
  }
  if (values.key === undefined) throw new UsageError(`nfc flow channel ${a} signs a transaction: give --key FILE`)
  if (a === 'open') {
    if (positionals.length > 0) throw new UsageError('nfc flow channel open takes no channel ID (the chain gives one)')
    if (values.provider === undefined) throw new UsageError('nfc flow channel open needs --provider ADDRESS')
    out.provider = parseAddress('provider', values.provider)
  } else {
    out.id = parseId(positionals[0], a)
  }
  if (a === 'open' || a === 'topup') {
    if (values.amount === undefined) throw new UsageError(`nfc flow channel ${a} needs --amount NB`)
    out.amount = parseNbAmount(values.amount)
  }
  return out
}

/** flow_getChannel's JSON (rpc/flow/channelJson.ts). */
interface ChannelJson {
  id: string
  consumer: string
  provider: string
  deposit: string
  redeemed: string
  available: string
  closeAt: string
  status: string
}

const nb = (wei: bigint | string): string => `${formatUnits(BigInt(wei), NB_DECIMALS)} NB`

/** One channel as a text line. */
export function formatChannel(c: ChannelJson): string {
  const closing = BigInt(c.closeAt) === 0n ? '' : `  closeAt ${new Date(Number(BigInt(c.closeAt))).toISOString()}`
  return (
    `channel ${BigInt(c.id)}  ${c.status}  consumer ${c.consumer}  provider ${c.provider}  ` +
    `deposit ${nb(c.deposit)}  redeemed ${nb(c.redeemed)}  available ${nb(c.available)}${closing}`
  )
}

async function show(args: ChannelArgs, address: string | undefined, out: (s: string) => void): Promise<number> {
  const rpc = cliRpc(args.rpc)
  if (args.id !== undefined) {
    const c = await rpc.call<ChannelJson | null>('flow_getChannel', [`0x${args.id.toString(16)}`])
    if (c === null) {
      process.stderr.write(`nfc flow channel show: no channel ${args.id}\n`)
      return 1
    }
    out(args.json ? JSON.stringify(c) : formatChannel(c))
    return 0
  }
  const all: ChannelJson[] = []
  for (;;) {
    const page = await rpc.call<{ total: string; channels: ChannelJson[] }>('flow_getChannels', [address, `0x${all.length.toString(16)}`])
    all.push(...page.channels)
    if (page.channels.length === 0 || BigInt(all.length) >= BigInt(page.total)) break
  }
  if (args.json) out(JSON.stringify(all))
  else {
    for (const c of all) out(formatChannel(c))
    out(`${all.length} channel${all.length === 1 ? '' : 's'} of ${address}`)
  }
  return 0
}

async function send(args: ChannelArgs, key: Uint8Array, out: (s: string) => void): Promise<number> {
  // one plain request first: an unreachable node is reported as such, not as a refusal
  const chainId = BigInt(await cliRpc(args.rpc).call<string>('eth_chainId', []))
  const provider = walletProvider(args.rpc, { chainId })
  try {
    const wallet = new Wallet(`0x${Buffer.from(key).toString('hex')}`, provider)
    const pc = new Contract(SYSTEM_CONTRACTS.paymentChannels, systemAbiJson('PaymentChannels') as InterfaceAbi, wallet)
    const call: [string, unknown[]] =
      args.action === 'open' ? ['open', [args.provider, args.amount]] : args.action === 'topup' ? ['topUp', [args.id, args.amount]] : [args.action, [args.id]]
    const [fn, params] = call
    const progress = progressLine()
    let receipt: TransactionReceipt | null
    try {
      progress.update(`checking ${args.action} with the node at ${args.rpc} …`)
      try {
        await pc.getFunction(fn).estimateGas(...params)
      } catch (e) {
        progress.done()
        process.stderr.write(`nfc flow channel ${args.action}: refused: ${reasonOf(e)}\n`)
        return 1
      }
      const tx = await pc.getFunction(fn).send(...params)
      progress.update(`sent ${tx.hash} from ${wallet.address.toLowerCase()}; waiting for its block …`)
      receipt = await tx.wait(1, RECEIPT_TIMEOUT_MS)
    } finally {
      progress.done()
    }
    if (receipt === null || receipt.status !== 1) {
      process.stderr.write(`nfc flow channel ${args.action}: the transaction failed (${receipt?.hash ?? 'no receipt'})\n`)
      return 1
    }
    const events = receipt.logs.map((l) => pc.interface.parseLog(l)).filter((p) => p !== null)
    const ev = (name: string) => events.find((p) => p.name === name)?.args
    const where = `(tx ${receipt.hash}, block ${receipt.blockNumber})`
    switch (args.action) {
      case 'open': {
        const opened = ev('ChannelOpened')!
        out(`opened channel ${opened[0]} to ${args.provider} with ${nb(opened[3] as bigint)} ${where}`)
        break
      }
      case 'topup': {
        const t = ev('ToppedUp')!
        out(`channel ${args.id}: added ${nb(t[1] as bigint)}, deposit now ${nb(t[2] as bigint)} ${where}`)
        break
      }
      case 'close': {
        const c = ev('CloseStarted')!
        out(`channel ${args.id} is closing: the provider can redeem until ${new Date(Number(c[1] as bigint)).toISOString()}; withdraw after that ${where}`)
        break
      }
      default: {
        const w = ev('ChannelWithdrawn')!
        out(`channel ${args.id} closed: ${nb(w[2] as bigint)} back to ${wallet.address.toLowerCase()} ${where}`)
      }
    }
    return 0
  } finally {
    provider.destroy()
  }
}

/** `nfc flow channel …`: returns the exit code (2: usage, 1: refused or failed). */
export async function channelCommand(argv: string[]): Promise<number> {
  if (argv.length === 0 || ['--help', '-h', 'help'].includes(argv[0]!) || argv.slice(1).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(HELP + '\n')
    return argv.length === 0 ? 2 : 0
  }
  let args: ChannelArgs
  let key: Uint8Array | undefined
  try {
    args = parseChannelArgs(argv)
    if (args.keyFile !== undefined) key = await loadKeyFile(args.keyFile, args.passwordFile)
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof TypeError)) throw e
    process.stderr.write(`nfc flow channel: ${(e as Error).message}\n\nRun \`nfc flow channel --help\` for the options.\n`)
    return 2
  }
  const out = (s: string) => process.stdout.write(s + '\n')
  try {
    if (args.action === 'show')
      return await show(args, args.address ?? (key === undefined ? undefined : new Wallet(`0x${Buffer.from(key).toString('hex')}`).address.toLowerCase()), out)
    return await send(args, key!, out)
  } catch (e) {
    process.stderr.write(`nfc flow channel ${args.action}: ${failureOf(e, args.rpc)}\n`)
    return 1
  }
}
