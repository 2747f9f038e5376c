/**
 * `nfc flow provide`, `nfc flow consume` and `nfc flow providers`: the traffic agents
 * (src/flowAgent) from the command line — flags parsed and checked here, the chain reached over
 * `--rpc`, a progress line each second, and a summary when the agent stops (SIGINT / SIGTERM).
 */
import { isIP } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatEther } from 'ethers'
import { ConsumerAgent, type ConsumerStats } from '../flowAgent/consumer.js'
import { ProviderAgent, type ProviderStats } from '../flowAgent/provider.js'
import { ChainRpc, ROLES, RpcCallError, RpcProviderChain } from '../flowAgent/rpcChain.js'
import { ConsumerChannelPayment, ProviderChannelPayment, type ConsumerPaymentStats, type ProviderPaymentStats } from '../flowAgent/payment.js'
import { parseNbAmount } from './channelCommand.js'
import { SliceStore } from '../flowAgent/sliceStore.js'
import { addressOfKey } from '../crypto/keystore.js'
import { loadKeyFile } from './keyFile.js'
import { progressLine, UsageError } from './io.js'
import { isUnreachable } from './rpcClient.js'

/** the agents' usage lines of `nfc flow --help` */
export const AGENT_USAGE = `  nfc flow provide  --key FILE --listen HOST:PORT [--rpc URL] [--password-file FILE]
                    [--advertise URL] [--pledge] [--max-unpaid BYTES] [--data-dir DIR]
  nfc flow consume  --key FILE --provider ADDRESS|NAME|URL --listen 127.0.0.1:PORT [--rpc URL]
                    [--password-file FILE] [--channel-deposit NB]
  nfc flow providers [--rpc URL]`

/** the agents' part of `nfc flow --help`: what each does and its options */
export const AGENT_DETAILS = `  provide       an edge node's provider agent: consumers' tunnels on --listen (TCP), a SOCKS5
                proxy (CONNECT; IPv4, IPv6, domain names) for the streams inside; counts the bytes
                both ways with the WASM packet counter, has the consumer co-sign cumulative
                receipts in-band, submits them (flow_submitReceipt) and answers the slice
                challenges on them. Needs a pledged provider (NodeRegistry): --pledge pledges the
                edge-node minimum from the key's account if it is not. Advertises its endpoint on
                chain (a transaction to itself) unless that is already the newest advert.
  consume       a consumer's agent: a local SOCKS5 endpoint on --listen for any application
                (curl --socks5-hostname 127.0.0.1:PORT URL); co-signs only receipts its own counts
                cover. The provider is an address (its advertised endpoint is looked up), a
                registered name (nfc names: its owner; its record's endpoint when that is
                tcp://…) or tcp://HOST:PORT. Its fuel is paid through a payment channel to the
                provider (PaymentChannels): an open one is reused, else --channel-deposit opens
                one; each co-signature carries a cumulative voucher for the fuel of the bytes
                co-signed so far, which the provider redeems.
  providers     the pledged nodes and the endpoints they advertised

Agent options:
  --key FILE            the agent's account: a 0x-hex private key or an Ethereum v3 keystore
  --password-file FILE  the keystore's password is its first line (else asked on the terminal)
  --listen HOST:PORT    where to listen (PORT 0: any free port, printed at start)
  --provider A|N|URL    consume: the provider's address, a registered name, or tcp://HOST:PORT
  --advertise URL       provide: the endpoint advertised (default tcp://HOST:PORT of --listen;
                        required when --listen is a wildcard address)
  --pledge              provide: pledge as an edge node if the key's account is not pledged
  --max-unpaid BYTES    provide: bytes a consumer may take past its last co-signed receipt before
                        the provider stops sending and, 10 s later, closes the tunnel
                        (default 33554432, 32 MiB)
  --data-dir DIR        provide: keep the sampled slices of accepted receipts under DIR/slices, so
                        a restarted provider still answers the audits' openings; a session's
                        slices are removed 24 h after its last receipt (default: memory only)
  --channel-deposit NB  consume: open a payment channel to the provider with this much NB when
                        it has no open one (e.g. 0.5; the open channel with the most NB left is
                        reused otherwise)`

/** HOST:PORT or [IPv6]:PORT; `allowZero` for a port to listen on (0: any free one) */
export function parseHostPort(flag: string, v: string, allowZero: boolean): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(v) ?? /^([^:\s[\]]+):(\d+)$/.exec(v)
  const port = m === null ? NaN : Number(m[2])
  if (m === null || !Number.isInteger(port) || port > 65_535 || (port === 0 && !allowZero)) {
    throw new UsageError(`--${flag} wants HOST:PORT (IPv6 as [ADDR]:PORT, port 1–65535${allowZero ? ', or 0 for any' : ''}), got "${v}"`)
  }
  if (v.startsWith('[') && isIP(m[1]!) !== 6) throw new UsageError(`--${flag}: "${m[1]}" is not an IPv6 address`)
  return { host: m[1]!, port }
}

/** tcp://HOST:PORT */
export function parseTunnelUrl(flag: string, v: string): { host: string; port: number } {
  if (!v.startsWith('tcp://')) throw new UsageError(`--${flag} wants tcp://HOST:PORT, got "${v}"`)
  return parseHostPort(flag, v.slice('tcp://'.length), false)
}

function rpcUrl(v: string | undefined): string {
  const rpc = v ?? 'http://127.0.0.1:8545'
  if (!/^https?:\/\/[^\s]+$/.test(rpc)) throw new UsageError(`--rpc wants an http(s) URL, got "${rpc}"`)
  return rpc
}

function required(flag: string, v: string | undefined): string {
  if (v === undefined) throw new UsageError(`--${flag} is required`)
  return v
}

const AGENT_OPTIONS = {
  rpc: { type: 'string' },
  key: { type: 'string' },
  'password-file': { type: 'string' },
  listen: { type: 'string' },
  provider: { type: 'string' },
  advertise: { type: 'string' },
  pledge: { type: 'boolean' },
  'max-unpaid': { type: 'string' },
  'channel-deposit': { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** the options `sub` takes (the others are refused with a clear error) */
const ALLOWED: Record<string, string[]> = {
  provide: ['rpc', 'key', 'password-file', 'listen', 'advertise', 'pledge', 'max-unpaid', 'data-dir', 'help'],
  consume: ['rpc', 'key', 'password-file', 'listen', 'provider', 'channel-deposit', 'help'],
  providers: ['rpc', 'help'],
}

const mb = (b: bigint) => `${(Number(b) / 1e6).toFixed(2)} MB`

/** `nfc flow provide|consume|providers`; returns the exit code. */
export async function flowAgentCommand(sub: 'provide' | 'consume' | 'providers', argv: string[], help: string): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof AGENT_OPTIONS; strict: true }>>['values']
  try {
    values = parseArgs({ args: argv, options: AGENT_OPTIONS, strict: true }).values
    if (values.help) {
      process.stdout.write(help + '\n')
      return 0
    }
    for (const k of Object.keys(values)) if (!ALLOWED[sub]!.includes(k)) throw new UsageError(`--${k} is not an option of nfc flow ${sub}`)
  } catch (e) {
    process.stderr.write(`nfc flow ${sub}: ${(e as Error).message}\n\nRun \`nfc flow --help\` for the options.\n`)
    return 2
  }
  try {
    if (sub === 'providers') return await listProviders(rpcUrl(values.rpc))
    if (sub === 'provide') return await provide(values)
    return await consume(values)
  } catch (e) {
    const usage = e instanceof UsageError
    process.stderr.write(`nfc flow ${sub}: ${isUnreachable(e) ? `no node answers at ${values.rpc ?? 'http://127.0.0.1:8545'}` : (e as Error).message}\n`)
    return usage ? 2 : 1
  }
}

async function listProviders(url: string): Promise<number> {
  const rpc = await ChainRpc.connect(url)
  try {
    const nodes = await rpc.providers()
    if (nodes.length === 0) process.stdout.write('no pledged nodes\n')
    for (const n of nodes) {
      process.stdout.write(
        `${n.address}  ${ROLES[n.role as 1 | 2 | 3] ?? n.role}  pledge ${formatEther(n.pledge)} NFC  ${n.endpoint ?? '(no endpoint advertised)'}\n`,
      )
    }
    return 0
  } finally {
    rpc.close()
  }
}

type Values = Partial<Record<'rpc' | 'key' | 'password-file' | 'listen' | 'provider' | 'advertise' | 'max-unpaid' | 'channel-deposit' | 'data-dir', string>> & {
  pledge?: boolean
}

/** resolves when SIGINT or SIGTERM arrives */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig)
    process.once('SIGINT', on('SIGINT'))
    process.once('SIGTERM', on('SIGTERM'))
  })
}

async function provide(v: Values): Promise<number> {
  const listen = parseHostPort('listen', required('listen', v.listen), true)
  const wildcard = listen.host === '0.0.0.0' || listen.host === '::'
  if (v.advertise === undefined && wildcard)
    throw new UsageError(`--listen ${v.listen} is a wildcard address: give --advertise tcp://HOST:PORT, the address consumers reach`)
  if (v.advertise !== undefined) parseTunnelUrl('advertise', v.advertise)
  const maxUnpaid = v['max-unpaid']
  if (maxUnpaid !== undefined && (!/^\d+$/.test(maxUnpaid) || BigInt(maxUnpaid) < 65_536n)) {
    throw new UsageError(`--max-unpaid wants a byte count of at least 65536, got "${maxUnpaid}"`)
  }
  const url = rpcUrl(v.rpc)
  const key = await loadKeyFile(required('key', v.key), v['password-file'])
  const rpc = await ChainRpc.connect(url)
  const log = (l: string) => process.stdout.write(l + '\n')
  const agentAddress = addressOfKey(key).toLowerCase()
  const node = await rpc.nodeOf(agentAddress)
  if (node.role === 0 || node.exited) {
    if (v.pledge !== true) {
      const min = await rpc.minPledge(3)
      rpc.close()
      throw new Error(
        `${agentAddress} is not a pledged node${node.exited ? ' (it exited)' : ''}: receipts of an unpledged provider are refused. ` +
          `Pledge it with \`nfc flow provide --pledge …\` (${formatEther(min)} NFC from its account, the edge-node minimum) or NodeRegistry.pledge(3)`,
      )
    }
    log(`pledging ${agentAddress} as an edge node: ${formatEther(await rpc.pledge(key))} NFC`)
  }
  const chain = new RpcProviderChain(rpc, key, log)
  const slices = v['data-dir'] === undefined ? undefined : keptSlices(v['data-dir'], agentAddress, chain, log)
  const payment = new ProviderChannelPayment(rpc.chainId, agentAddress, rpc, (sv) => chain.redeem(sv), log)
  const agent = new ProviderAgent({
    key,
    host: listen.host,
    port: listen.port,
    chain,
    payment,
    log,
    ...(slices === undefined ? {} : { slices }),
    ...(maxUnpaid === undefined ? {} : { maxUnpaidBytes: BigInt(maxUnpaid) }),
  })
  const port = await agent.start()
  const endpoint = v.advertise ?? `tcp://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`
  log(`provider ${agent.address} listening on ${listen.host}:${port} (chain ${rpc.chainId})`)
  log((await rpc.advertise(key, endpoint)) ? `advertised ${endpoint} on chain` : `${endpoint} is already advertised on chain`)
  const progress = progressLine()
  let rewards = await rpc.rewardsOf(agent.address)
  const startRewards = rewards
  const ticker = setInterval(() => {
    progress.update(`providing: ${providerLine(agent.stats)}, ${earnedLine(payment.stats)}, rewards so far ${formatEther(rewards)} NFC`)
    void rpc.rewardsOf(agent.address).then(
      (r) => (rewards = r),
      () => {},
    )
    // a voucher is redeemed once its receipt's cycle is over, before that cycle's checkpoint burns the fuel
    void chain.position().then(
      (p) => payment.redeemDue(p.cycle),
      () => {},
    )
  }, 1000)
  const pruner = setInterval(() => slices?.prune(), SLICE_PRUNE_EVERY_MS)
  const sig = await untilSignal()
  clearInterval(ticker)
  clearInterval(pruner)
  progress.done()
  log(`${sig}: closing the tunnels (a last receipt each)`)
  await agent.stop()
  await payment.redeemAll()
  const audit = await chain.stop().catch((e: Error) => {
    log(`could not count the slice challenges from the chain: ${e.message}`)
    return chain.audit
  })
  rewards = await rpc.rewardsOf(agent.address).catch(() => rewards)
  rpc.close()
  const s = agent.stats
  log(
    [
      `summary: ${providerLine(s)}`,
      `  receipts rejected: ${s.receiptsRejected}${Object.entries(s.reasons)
        .map(([r, n]) => ` (${n}× ${r})`)
        .join('')}; drafted again at a cycle's end: ${s.receiptsRedrafted}; tunnels closed unpaid: ${s.closedUnpaid}`,
      `  channels: ${earnedLine(payment.stats)}, ${payment.stats.refused} refused (tunnel closed unpaid)`,
      `  slice challenges on its entries: ${audit.challenged}, answered ${audit.answered}, voided ${audit.voided}`,
      `  traffic rewards: ${formatEther(rewards)} NFC (+${formatEther(rewards - startRewards)} during this run; receipts of open cycles are paid after their checkpoint)`,
    ].join('\n'),
  )
  return 0
}

/** a session's slices are kept this long after its last accepted receipt (its cycle, ≤ 1 h by default, then the challenge window, ≤ 1 h) */
export const SLICE_RETENTION_MS = 24 * 3600_000
/** how often the provider removes slices past their retention */
const SLICE_PRUNE_EVERY_MS = 600_000

/** the slice store under DIR/slices: what outlived the retention is removed, the rest answers openings again */
function keptSlices(dir: string, provider: string, chain: RpcProviderChain, log: (line: string) => void): SliceStore {
  let store: SliceStore
  try {
    store = new SliceStore(join(dir, 'slices'), SLICE_RETENTION_MS)
  } catch (e) {
    throw new UsageError(`--data-dir ${dir}: cannot keep slices there (${(e as Error).message})`)
  }
  const pruned = store.prune()
  const sessions = store.load(provider)
  for (const s of sessions) chain.watch(s)
  log(`slices under ${join(dir, 'slices')}: ${sessions.length} sessions kept for their openings${pruned > 0 ? `, ${pruned} past the window removed` : ''}`)
  return store
}

const nbOf = (wei: bigint) => `${formatEther(wei)} NB`

function earnedLine(p: ProviderPaymentStats): string {
  return `${p.vouchers} vouchers, earned ${nbOf(p.redeemed)} redeemed (${p.redeems} redeems) + ${nbOf(p.held)} held`
}

function providerLine(s: ProviderStats): string {
  return (
    `${s.openTunnels} tunnels open (${s.tunnels} in all), ${s.streams} streams, carried ${mb(s.bytesDown)} down / ${mb(s.bytesUp)} up, ` +
    `${s.receiptsAccepted} receipts accepted (${mb(s.bytesReceipted)})`
  )
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/
/** a registered name (the Names contract's syntax: 3–32 of a-z, 0-9 and '-', not first or last) */
const PROVIDER_NAME = /^(?!0x)[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/

/** The owner and endpoint of a provider's name; a clear error when it has no live record. */
export async function resolveProviderName(rpc: ChainRpc, name: string): Promise<{ owner: string; endpoint: string }> {
  try {
    const r = await rpc.call<{ owner: string; endpoint: string }>('nfc_resolveName', [name])
    return { owner: r.owner.toLowerCase(), endpoint: r.endpoint }
  } catch (e) {
    if (e instanceof RpcCallError) throw new Error(`--provider ${name}: ${e.message} (nfc names resolve ${name})`, { cause: e })
    throw e
  }
}

async function consume(v: Values): Promise<number> {
  const listen = parseHostPort('listen', required('listen', v.listen), true)
  const deposit = v['channel-deposit'] === undefined ? undefined : parseNbAmount(v['channel-deposit'], 'channel-deposit')
  const given = required('provider', v.provider)
  const isName = PROVIDER_NAME.test(given)
  const direct = isName || ADDRESS.test(given) ? null : parseTunnelUrl('provider', given)
  const url = rpcUrl(v.rpc)
  const key = await loadKeyFile(required('key', v.key), v['password-file'])
  const rpc = await ChainRpc.connect(url)
  const log = (l: string) => process.stdout.write(l + '\n')
  try {
    // a name (the Names contract, nfc_resolveName) stands for its owner; its record's endpoint, when it is tcp://, is used as is
    const named = isName ? await resolveProviderName(rpc, given) : null
    if (named !== null) log(`name ${given} resolves to ${named.owner}${named.endpoint !== '' ? ` (endpoint ${named.endpoint})` : ''}`)
    const target = named?.owner ?? given
    const isAddress = ADDRESS.test(target)
    let endpoint = named !== null && named.endpoint.startsWith('tcp://') ? parseTunnelUrl('provider', named.endpoint) : direct
    if (isAddress && endpoint === null) {
      const advertised = await rpc.endpointOf(target.toLowerCase())
      if (advertised === null)
        throw new Error(`provider ${target} advertised no endpoint on chain (nfc flow providers lists those that did); give --provider tcp://HOST:PORT`)
      endpoint = parseTunnelUrl('provider', advertised)
      log(`provider ${target.toLowerCase()} advertises ${advertised}`)
    }
    // the provider's address known: its channel first (no channel, no tunnel); a tcp:// provider
    // answers with its address in WELCOME, and receipts co-signed before its channel is found wait for it
    const me = addressOfKey(key).toLowerCase()
    const early = isAddress ? await channelFor(rpc, key, me, target.toLowerCase(), deposit, log) : null
    let channelReady: (p: ConsumerChannelPayment) => void = () => {}
    const ready = new Promise<ConsumerChannelPayment>((r) => (channelReady = r))
    const agent = new ConsumerAgent({
      key,
      payment: {
        voucherFor: async (r) => (await ready).voucherFor(r),
        onVoucher: () => Promise.resolve(),
      },
      listenHost: listen.host,
      listenPort: listen.port,
      providerHost: endpoint!.host,
      providerPort: endpoint!.port,
      chainId: rpc.chainId,
      log,
      ...(isAddress ? { provider: target.toLowerCase() } : {}),
    })
    const port = await agent.start()
    const provider = agent.provider!
    log(`consumer ${agent.address}: SOCKS5 on ${listen.host}:${port}, through provider ${provider} (chain ${rpc.chainId})`)
    const paid =
      early ??
      (await channelFor(rpc, key, me, provider, deposit, log).catch(async (e: Error) => {
        await agent.stop()
        throw e
      }))
    channelReady(paid)
    const progress = progressLine()
    const ticker = setInterval(() => progress.update(`consuming: ${consumerLine(agent.stats)}, ${paidLine(paid.stats)}`), 1000)
    const sig = await untilSignal()
    clearInterval(ticker)
    progress.done()
    log(`${sig}: closing the tunnel (the provider's last receipt first)`)
    await agent.stop()
    log(`summary: ${consumerLine(agent.stats)}, ${paidLine(paid.stats)} on channel ${paid.channelId}`)
    return 0
  } finally {
    rpc.close()
  }
}

/**
 * The consumer's payment channel to `provider`: the open one with the most NB left, else a new
 * one with `deposit` NB wei; a clear error when there is neither.
 */
async function channelFor(
  rpc: ChainRpc,
  key: Uint8Array,
  consumer: string,
  provider: string,
  deposit: bigint | undefined,
  log: (line: string) => void,
): Promise<ConsumerChannelPayment> {
  const open = await rpc.openChannelOf(consumer, provider)
  let id: bigint
  if (open !== null && open.deposit > open.redeemed) {
    id = open.id
    log(`paying through channel ${id} to ${provider}: ${nbOf(open.deposit - open.redeemed)} left of ${nbOf(open.deposit)}`)
  } else if (deposit !== undefined) {
    const balance = await rpc.nbBalanceOf(consumer)
    if (balance < deposit) throw new Error(`--channel-deposit ${nbOf(deposit)}: ${consumer} holds only ${nbOf(balance)} (NB.convert buys NB with NFC)`)
    log(`opening a payment channel to ${provider} with ${nbOf(deposit)} …`)
    id = await rpc.openChannel(key, provider, deposit)
    log(`paying through channel ${id} to ${provider}: ${nbOf(deposit)}`)
  } else {
    throw new Error(
      `${consumer} has no open payment channel to ${provider} with NB left: give --channel-deposit NB to open one (or nfc flow channel open / topup)`,
    )
  }
  return new ConsumerChannelPayment(rpc.chainId, key, id, provider, rpc)
}

function paidLine(p: ConsumerPaymentStats): string {
  return `${p.vouchers} vouchers, paid ${nbOf(p.paid)}`
}

function consumerLine(s: ConsumerStats): string {
  return (
    `${s.tunnels} tunnels, ${s.streams} streams, received ${mb(s.bytesDown)}, sent ${mb(s.bytesUp)}, ` +
    `${s.receiptsCosigned} receipts co-signed (${mb(s.bytesCosigned)}), ${s.receiptsRefused} refused`
  )
}
