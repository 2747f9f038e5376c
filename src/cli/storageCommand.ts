/**
 * `nfc storage`: storage deals (the StorageDeals contract 0x…1008, DESIGN §14) from the command
 * line — `provide` runs the provider's agent (src/dealAgent/provider.ts: uploads, downloads, a
 * proof each period), `put` posts a deal on a file and uploads it, `get` downloads a deal's file
 * checked against its root, `deals` and `offers` list. Flags are parsed and checked here; the
 * chain is reached over `--rpc` (src/dealAgent/rpcDeals.ts).
 */
import { statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { formatEther, formatUnits, isAddress, parseEther } from 'ethers'
import { addressOfKey } from '../crypto/keystore.js'
import { ChunkStore } from '../dealAgent/chunkStore.js'
import { type ChainDeal, type StorageOffer } from '../dealAgent/chain.js'
import { downloadFile, uploadFile } from '../dealAgent/client.js'
import { DealAgentError } from '../dealAgent/errors.js'
import { DealProvider, type DealProviderStats } from '../dealAgent/provider.js'
import { DealsRpc } from '../dealAgent/rpcDeals.js'
import { DEAL_MAX_FILE_BYTES, treeOfFile } from '../deals/fileTree.js'
import { ChainRpc } from '../flowAgent/rpcChain.js'
import { hexOf } from '../util/bytes.js'
import { parseNbAmount } from './channelCommand.js'
import { parseHostPort, resolveProviderName } from './flowAgentCommand.js'
import { progressLine, UsageError } from './io.js'
import { loadKeyFile } from './keyFile.js'
import { DEFAULT_STATUS_RPC, normalizeRpcUrl } from './statusCommand.js'
import { isUnreachable } from './rpcClient.js'

const HELP = `nfc storage — storage deals with proofs of possession (DESIGN §14)

Usage:
  nfc storage provide --dir DIR --key FILE --listen HOST:PORT [--advertise URL] [--price NB]
                      [--max-bytes N] [--collateral NFC] [--pledge]
  nfc storage put FILE --key FILE [--provider ADDRESS|NAME] [--days N | --periods N]
  nfc storage get DEAL --out FILE
  nfc storage deals [--provider ADDRESS | --client ADDRESS]
  nfc storage offers
  (every one also takes --rpc URL; provide and put take --password-file FILE)

  provide   the provider's agent: publishes (or keeps) its offer (endpoint http://HOST:PORT of
            --listen, --price, --max-bytes), serves uploads of deals posted to it on --listen —
            checked against the deal's root as they arrive, stored as 4 KiB chunk files under
            DIR/<deal>/, then accepted on chain with --collateral — and downloads; each period it
            proves the challenged chunks of every deal it holds. A chunk missing or corrupt on
            disk is logged as an ERROR (no proof is sent; the chain slashes the deal at the next
            period). Ctrl-C stops it with a summary; a restart carries on from DIR and the chain.
            The account must be pledged in NodeRegistry (--pledge pledges the edge-node minimum).
  put       computes FILE's root, picks the provider's offer (--provider; without it the
            cheapest offer that takes FILE's size), shows the price, posts the deal (its NB go
            into escrow), uploads FILE with progress and waits until the provider accepts.
            Prints the deal id. An upload the provider refuses cancels the deal (NB refunded)
  get       downloads a deal's file from its provider's endpoint into --out, every chunk checked
            against the deal's root as it arrives; a mismatch is refused and leaves no file
  deals     the deals on chain (--provider / --client: only theirs)
  offers    the providers' offers, cheapest first

Options:
  --rpc URL             the node's JSON-RPC (default ${DEFAULT_STATUS_RPC}; HOST:PORT works too)
  --key FILE            the account: a 0x-hex private key or an Ethereum v3 keystore
  --password-file FILE  the keystore's password (first line); else asked on the terminal
  --dir DIR             provide: where the chunks are stored (created if missing)
  --listen HOST:PORT    provide: where the HTTP server listens (PORT 0: any free port)
  --advertise URL       provide: the offer's endpoint, http://HOST:PORT (default that of --listen;
                        required when --listen is a wildcard address)
  --price NB            provide: NB per MiB per period (default 1; decimals allowed: 0.5)
  --max-bytes N         provide: the largest file taken, bytes (default 1073741824, 1 GiB)
  --collateral NFC      provide: NFC put up with each accept (default: the chain's least,
                        genesis storageCollateral; more is allowed)
  --pledge              provide: pledge as an edge node if the account is not pledged
  --provider A|NAME     put: the provider's address or registered name (nfc names); deals: only its
  --days N              put: the term in days (whole, 1 or more), rounded up to whole periods
  --periods N           put: the term in periods (1–100000); default: --days 30
  --out FILE            get: where the file is written (replaced if it exists)
  --client ADDRESS      deals: only this client's deals
  -h, --help            this text`

const SUBCOMMANDS = ['provide', 'put', 'get', 'deals', 'offers'] as const
type Sub = (typeof SUBCOMMANDS)[number]

/** the flags each subcommand takes besides --rpc and --help */
const FLAGS_OF: Record<Sub, readonly string[]> = {
  provide: ['dir', 'key', 'password-file', 'listen', 'advertise', 'price', 'max-bytes', 'collateral', 'pledge'],
  put: ['key', 'password-file', 'provider', 'days', 'periods'],
  get: ['out'],
  deals: ['provider', 'client'],
  offers: [],
}

const OPTIONS = {
  rpc: { type: 'string' },
  dir: { type: 'string' },
  key: { type: 'string' },
  'password-file': { type: 'string' },
  listen: { type: 'string' },
  advertise: { type: 'string' },
  price: { type: 'string' },
  'max-bytes': { type: 'string' },
  collateral: { type: 'string' },
  pledge: { type: 'boolean' },
  provider: { type: 'string' },
  days: { type: 'string' },
  periods: { type: 'string' },
  out: { type: 'string' },
  client: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const DEFAULT_MAX_BYTES = 1 << 30
const DEFAULT_DAYS = 30
/** the longest term (the contract's MAX_DEAL_PERIODS) */
const MAX_PERIODS = 100_000
const DAY_SEC = 86_400
/** how long `put` waits for the provider's accept to show on chain after the upload */
const ACCEPT_WAIT_MS = 60_000
/** a registered name (the Names contract's syntax), as `nfc flow consume --provider` reads it */
const PROVIDER_NAME = /^(?!0x)[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/

/** `put`'s upload failed (the deal was cancelled or the attempt reported) */
class NotStored extends Error {}

type Values = Partial<Record<Exclude<keyof typeof OPTIONS, 'pledge' | 'help'>, string>> & { pledge?: boolean }

/** the parsed arguments of one subcommand */
export interface StorageArgs {
  sub: Sub
  rpc: string
  values: Values
  positional?: string
}

function required(flag: string, v: string | undefined, sub: Sub): string {
  if (v === undefined) throw new UsageError(`nfc storage ${sub} needs --${flag}`)
  return v
}

function parseAddress(flag: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined
  if (!isAddress(v)) throw new UsageError(`--${flag} wants an address (0x + 40 hex digits), got "${v}"`)
  return v.toLowerCase()
}

/** `--max-bytes`: a whole number of bytes, 1 to the file tree's largest file */
export function parseMaxBytes(v: string): number {
  if (!/^\d{1,16}$/.test(v) || Number(v) < 1 || Number(v) > DEAL_MAX_FILE_BYTES) {
    throw new UsageError(`--max-bytes wants a whole number of bytes from 1 to ${DEAL_MAX_FILE_BYTES}, got "${v}"`)
  }
  return Number(v)
}

/** `--collateral`: NFC, decimals allowed, above 0 */
export function parseCollateral(v: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(v) || parseEther(v) === 0n) throw new UsageError(`--collateral wants an amount of NFC above 0 such as 100 or 2.5, got "${v}"`)
  return parseEther(v)
}

/** `--days` / `--periods`: the term, as days or periods (exactly one kind) */
export function parseTerm(values: Values): { days: number } | { periods: number } {
  if (values.days !== undefined && values.periods !== undefined) throw new UsageError('give --days or --periods, not both')
  if (values.periods !== undefined) {
    if (!/^\d{1,6}$/.test(values.periods) || Number(values.periods) < 1 || Number(values.periods) > MAX_PERIODS) {
      throw new UsageError(`--periods wants a whole number from 1 to ${MAX_PERIODS}, got "${values.periods}"`)
    }
    return { periods: Number(values.periods) }
  }
  if (values.days !== undefined) {
    if (!/^\d{1,5}$/.test(values.days) || Number(values.days) < 1) throw new UsageError(`--days wants a whole number of days, 1 or more, got "${values.days}"`)
    return { days: Number(values.days) }
  }
  return { days: DEFAULT_DAYS }
}

/** Parses and checks the arguments after `nfc storage SUB` (every value checked before anything runs). */
export function parseStorageArgs(sub: Sub, args: string[]): StorageArgs {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const { values, positionals } = parsed
  for (const k of Object.keys(values)) {
    if (k !== 'rpc' && k !== 'help' && !FLAGS_OF[sub].includes(k)) throw new UsageError(`--${k} is not an option of nfc storage ${sub}`)
  }
  const wantsPositional = sub === 'put' || sub === 'get'
  if (positionals.length > (wantsPositional ? 1 : 0)) throw new UsageError(`unexpected argument "${positionals[wantsPositional ? 1 : 0]}"`)
  const v = values as Values
  const out: StorageArgs = { sub, rpc: normalizeRpcUrl(v.rpc ?? DEFAULT_STATUS_RPC), values: v }
  if (sub === 'provide') {
    required('dir', v.dir, sub)
    required('key', v.key, sub)
    const listen = parseHostPort('listen', required('listen', v.listen, sub), true)
    if (v.advertise === undefined && (listen.host === '0.0.0.0' || listen.host === '::')) {
      throw new UsageError(`--listen ${v.listen} is a wildcard address: give --advertise http://HOST:PORT, the address clients reach`)
    }
    if (v.advertise !== undefined && !/^http:\/\/([a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\]):\d{1,5}$/.test(v.advertise)) {
      throw new UsageError(`--advertise wants http://HOST:PORT, got "${v.advertise}"`)
    }
    if (v.price !== undefined) parseNbAmount(v.price, 'price')
    if (v['max-bytes'] !== undefined) parseMaxBytes(v['max-bytes'])
    if (v.collateral !== undefined) parseCollateral(v.collateral)
  }
  if (sub === 'put') {
    if (positionals[0] === undefined) throw new UsageError('nfc storage put needs the FILE to store')
    required('key', v.key, sub)
    parseTerm(v)
    if (v.provider !== undefined && !isAddress(v.provider) && !PROVIDER_NAME.test(v.provider)) {
      throw new UsageError(`--provider wants an address (0x + 40 hex digits) or a registered name, got "${v.provider}"`)
    }
  }
  if (sub === 'get') {
    if (positionals[0] === undefined) throw new UsageError('nfc storage get needs the DEAL id')
    if (!/^[1-9]\d{0,19}$/.test(positionals[0])) throw new UsageError(`the DEAL id is a whole number from 1, got "${positionals[0]}"`)
    required('out', v.out, sub)
  }
  if (sub === 'deals') {
    if (v.provider !== undefined && v.client !== undefined) throw new UsageError('give --provider or --client, not both')
    parseAddress('provider', v.provider)
    parseAddress('client', v.client)
  }
  if (positionals[0] !== undefined) out.positional = positionals[0]
  return out
}

/** `nfc storage …`; returns the exit code. */
export async function storageCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(HELP + '\n')
    return sub === undefined ? 1 : 0
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    process.stderr.write(`nfc storage: unknown subcommand "${sub}"\n\n${HELP}\n`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  let args: StorageArgs
  try {
    args = parseStorageArgs(sub as Sub, rest)
  } catch (e) {
    process.stderr.write(`nfc storage ${sub}: ${(e as Error).message}\n\nRun \`nfc storage --help\` for the options.\n`)
    return 2
  }
  try {
    if (args.sub === 'provide') return await provide(args)
    if (args.sub === 'put') return await put(args)
    if (args.sub === 'get') return await get(args)
    if (args.sub === 'deals') return await listDeals(args)
    return await listOffers(args)
  } catch (e) {
    // an unreachable node; not a provider that could not be reached (NotStored says so itself)
    const refused = !(e instanceof NotStored) && !(e instanceof DealAgentError) && isUnreachable(e)
    process.stderr.write(`nfc storage ${sub}: ${refused ? `no node answers at ${args.rpc}` : (e as Error).message}\n`)
    return e instanceof UsageError ? 2 : 1
  }
}

const log = (line: string): void => void process.stdout.write(line + '\n')
const nb = (wei: bigint): string => `${formatUnits(wei, 18)} NB`
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`

/** resolves when SIGINT or SIGTERM arrives */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig)
    process.once('SIGINT', on('SIGINT'))
    process.once('SIGTERM', on('SIGTERM'))
  })
}

// --- provide --------------------------------------------------------------------------------------

async function provide(a: StorageArgs): Promise<number> {
  const v = a.values
  const listen = parseHostPort('listen', v.listen!, true)
  const price = v.price === undefined ? parseNbAmount('1', 'price') : parseNbAmount(v.price, 'price')
  const maxBytes = v['max-bytes'] === undefined ? DEFAULT_MAX_BYTES : parseMaxBytes(v['max-bytes'])
  const key = await loadKeyFile(v.key!, v['password-file'])
  const me = addressOfKey(key).toLowerCase()
  await ensurePledged(a.rpc, key, me, v.pledge === true)
  const chain = await DealsRpc.connect(a.rpc, key)
  chain.collateralWei = v.collateral === undefined ? (await chain.params()).collateral : parseCollateral(v.collateral)
  const store = new ChunkStore(v.dir!)
  const agent = new DealProvider({ store, chain, host: listen.host, port: listen.port, maxBytes, log })
  const port = await agent.start()
  try {
    const endpoint = v.advertise ?? `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`
    log(`storage provider ${me} listening on ${listen.host}:${port} (chain ${chain.chainId}), chunks in ${store.dir}`)
    const held = store.list()
    if (held.length > 0) log(`holding ${held.length} deals from before (${mb(store.bytesStored())}): ${held.map((d) => d.id).join(', ')}`)
    const offer = await chain.offerOf(me)
    if (offer !== null && offer.endpoint === endpoint && offer.pricePerMiBPeriod === price && offer.maxBytes === maxBytes) {
      log(`offer kept: ${endpoint}, ${nb(price)} per MiB per period, files up to ${maxBytes} bytes`)
    } else {
      await chain.setOffer(endpoint, price, maxBytes)
      log(`offer set: ${endpoint}, ${nb(price)} per MiB per period, files up to ${maxBytes} bytes`)
    }
  } catch (e) {
    await agent.stop()
    chain.close()
    throw e
  }
  const progress = progressLine()
  const ticker = setInterval(() => progress.update(`providing storage: ${providerLine(agent.stats)}`), 1000)
  const sig = await untilSignal()
  clearInterval(ticker)
  progress.done()
  log(`${sig}: stopping`)
  await agent.stop()
  chain.close()
  const s = agent.stats
  log(`summary: ${providerLine(s)}; uploads accepted ${s.uploadsAccepted}, refused ${s.uploadsRefused}; periods not proven ${s.proofsMissed}`)
  return 0
}

function providerLine(s: DealProviderStats): string {
  return `${s.deals} deals active, ${mb(s.bytesStored)} stored, ${s.proofsSent} proofs sent, ${nb(s.nbEarned)} earned`
}

/** the account must be pledged in NodeRegistry for setOffer: pledges it with --pledge, else says how */
async function ensurePledged(url: string, key: Uint8Array, me: string, pledge: boolean): Promise<void> {
  const rpc = await ChainRpc.connect(url)
  try {
    const node = await rpc.nodeOf(me)
    if (node.role !== 0 && !node.exited) return
    if (!pledge) {
      throw new Error(
        `${me} is not a pledged node${node.exited ? ' (it exited)' : ''}: StorageDeals takes offers only from pledged providers. ` +
          `Give --pledge (${formatEther(await rpc.minPledge(3))} NFC from its account, the edge-node minimum) or pledge with NodeRegistry.pledge`,
      )
    }
    log(`pledging ${me} as an edge node: ${formatEther(await rpc.pledge(key))} NFC`)
  } finally {
    rpc.close()
  }
}

// --- put --------------------------------------------------------------------------------------------

/** the offer `put` uses: --provider's (an address or a name), else the cheapest that takes `size` */
async function pickOffer(chain: DealsRpc, url: string, given: string | undefined, size: number): Promise<StorageOffer> {
  if (given === undefined) {
    const offers = await chain.offers()
    const fits = offers.filter((o) => o.maxBytes >= size)
    if (fits[0] === undefined) {
      throw new Error(
        offers.length === 0
          ? 'no provider has a storage offer (nfc storage offers)'
          : `no offer takes a file of ${size} bytes (the largest taken: ${Math.max(...offers.map((o) => o.maxBytes))} bytes)`,
      )
    }
    return fits[0]
  }
  let provider = given.toLowerCase()
  if (!isAddress(given)) {
    const rpc = await ChainRpc.connect(url)
    try {
      provider = (await resolveProviderName(rpc, given)).owner
      process.stderr.write(`name ${given} resolves to ${provider}\n`)
    } finally {
      rpc.close()
    }
  }
  const offer = await chain.offerOf(provider)
  if (offer === null) throw new Error(`provider ${provider} has no storage offer (nfc storage offers lists those that do)`)
  if (offer.maxBytes < size) throw new Error(`the file is ${size} bytes; provider ${provider} takes files of at most ${offer.maxBytes} bytes`)
  return offer
}

async function put(a: StorageArgs): Promise<number> {
  const v = a.values
  const file = a.positional!
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new Error('not a regular file')
    size = st.size
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`)
  }
  if (size === 0) throw new UsageError(`${file} is empty: an empty file has no tree to prove`)
  if (size > DEAL_MAX_FILE_BYTES) throw new UsageError(`${file} is ${size} bytes, above the ${DEAL_MAX_FILE_BYTES} a deal takes`)
  const term = parseTerm(v)
  const key = await loadKeyFile(v.key!, v['password-file'])
  const chain = await DealsRpc.connect(a.rpc, key)
  try {
    const { periodSec } = await chain.params()
    let periods: number
    if ('periods' in term) periods = term.periods
    else {
      periods = Math.ceil((term.days * DAY_SEC) / periodSec)
      if (periods > MAX_PERIODS)
        throw new UsageError(`--days ${term.days} is ${periods} periods of ${periodSec} s, above the longest term of ${MAX_PERIODS} periods`)
    }
    const offer = await pickOffer(chain, a.rpc, v.provider, size)
    const progress = progressLine()
    process.stderr.write(`computing the root of ${file} (${mb(size)})\n`)
    const tree = await treeOfFile(file)
    const root = hexOf(tree.root)
    const price = await chain.priceOf(offer.provider, size, periods)
    process.stderr.write(
      `deal: ${size} bytes, root ${root}, ${periods} periods of ${periodSec} s with ${offer.provider} at ${nb(offer.pricePerMiBPeriod)} per MiB per period: price ${nb(price)}\n`,
    )
    const balance = await chain.nbBalance(chain.address)
    if (balance < price) throw new Error(`the deal costs ${nb(price)}; ${chain.address} holds ${nb(balance)} (buy NB with NB.convert)`)
    const id = await chain.post(offer.provider, root, size, periods)
    process.stderr.write(`posted deal ${id} (${nb(price)} in escrow); uploading to ${offer.endpoint}\n`)
    try {
      await uploadFile(offer.endpoint, id, file, (n) => progress.update(`uploading: ${mb(n)} of ${mb(size)}`))
    } catch (e) {
      progress.done()
      process.stderr.write(`the upload failed: ${(e as Error).message}\ncancelling deal ${id}\n`)
      await chain.cancel(id).then(
        () => process.stderr.write(`deal ${id} cancelled: its ${nb(price)} came back\n`),
        (c: Error) => process.stderr.write(`could not cancel deal ${id}: ${c.message} (nfc storage deals --client ${chain.address})\n`),
      )
      throw new NotStored(`deal ${id} not stored: ${(e as Error).message}`)
    }
    progress.done()
    const deal = await waitForStatus(chain, id, 'active')
    process.stderr.write(
      `deal ${id} accepted by ${deal.provider}: collateral ${formatEther(deal.collateral)} NFC, proofs due in periods ${deal.startPeriod}–${deal.startPeriod! + BigInt(deal.periods) - 1n}\n`,
    )
    process.stdout.write(`${id}\n`)
    return 0
  } finally {
    chain.close()
  }
}

async function waitForStatus(chain: DealsRpc, id: string, status: ChainDeal['status']): Promise<ChainDeal> {
  const deadline = Date.now() + ACCEPT_WAIT_MS
  for (;;) {
    const d = await chain.deal(id)
    if (d !== null && d.status === status) return d
    if (Date.now() > deadline) throw new Error(`deal ${id} is ${d?.status ?? 'missing'} ${ACCEPT_WAIT_MS / 1000} s after the upload, not ${status}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

// --- get, deals, offers -------------------------------------------------------------------------------

async function get(a: StorageArgs): Promise<number> {
  const id = a.positional!
  const out = a.values.out!
  const chain = await DealsRpc.connect(a.rpc, null)
  try {
    const deal = await chain.deal(id)
    if (deal === null) throw new Error(`there is no deal ${id} on chain (nfc storage deals lists them)`)
    if (deal.status === 'posted' || deal.status === 'cancelled') throw new Error(`deal ${id} is ${deal.status}: its provider never stored the file`)
    const offer = await chain.offerOf(deal.provider)
    if (offer === null) throw new Error(`deal ${id}'s provider ${deal.provider} has no offer now, so no endpoint to download from`)
    const progress = progressLine()
    process.stderr.write(`downloading deal ${id} (${mb(deal.size)}, root ${deal.root}) from ${offer.endpoint}\n`)
    await downloadFile(offer.endpoint, deal, out, (n) => progress.update(`downloading: ${mb(n)} of ${mb(deal.size)}`))
    progress.done()
    log(`wrote ${out}: ${deal.size} bytes, every chunk checked against the deal's root ${deal.root}`)
    return 0
  } finally {
    chain.close()
  }
}

async function listDeals(a: StorageArgs): Promise<number> {
  const provider = parseAddress('provider', a.values.provider)
  const client = parseAddress('client', a.values.client)
  const chain = await DealsRpc.connect(a.rpc, null)
  try {
    const rows = await chain.listDeals({ ...(provider === undefined ? {} : { provider }), ...(client === undefined ? {} : { client }) })
    if (rows.length > 0)
      log(`${'ID'.padStart(5)}  STATUS     ${'CLIENT'.padEnd(42)}  ${'PROVIDER'.padEnd(42)}  ${'BYTES'.padStart(12)}  PERIODS  PROVEN     PAID / PRICE`)
    for (const d of rows) {
      log(
        `${d.id.padStart(5)}  ${d.status.padEnd(9)}  ${d.client}  ${d.provider}  ${String(d.size).padStart(12)}  ${String(d.periods).padStart(7)}  ${String(d.lastProvenPeriod ?? '-').padStart(6)}  ${nb(d.paid)} / ${nb(d.price)}`,
      )
    }
    log(
      `${rows.length} deal${rows.length === 1 ? '' : 's'}${provider !== undefined ? ` with provider ${provider}` : client !== undefined ? ` of client ${client}` : ''}`,
    )
    return 0
  } finally {
    chain.close()
  }
}

async function listOffers(a: StorageArgs): Promise<number> {
  const chain = await DealsRpc.connect(a.rpc, null)
  try {
    const offers = await chain.offers()
    for (const o of offers) log(`${o.provider}  ${nb(o.pricePerMiBPeriod)} per MiB per period  files up to ${o.maxBytes} bytes  ${o.endpoint}`)
    log(`${offers.length} offer${offers.length === 1 ? '' : 's'}`)
    return 0
  } finally {
    chain.close()
  }
}
