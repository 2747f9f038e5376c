// Long on purpose (448 lines): one simulation read top to bottom (set-up transactions, traffic, receipts, cheats, the report); splitting it would scatter one story.
/**
 * The traffic simulator behind `nfc flow simulate`: C consumers and P providers exchange real byte
 * streams (traffic.ts) for S seconds against a running node, sign cumulative receipts at both ends
 * and submit them with `flow_submitReceipt`; then it reports bytes counted, receipts accepted and
 * rejected (by reason) and the rewards the providers earned.
 *
 * Set-up on chain, from a funded key (default: dev account 0 of the dev chain): each provider gets
 * NFC and pledges as an edge node (NodeRegistry.pledge(3)); each consumer gets NFC, converts some
 * to NB for its fuel (NB.convert needs a balance above 1,000 NFC) and escrows all of it for its
 * provider (NB.escrow: the engine burns the pair's fuel from the escrow first). With `--cheat
 * self-dealing` the provider buys the NB and hands it to its consumer instead, which makes the
 * pair self-dealing (NB.funder(consumer) == provider): its traffic is accepted and earns nothing.
 * `--cheat replay` resubmits every receipt once more; `--cheat inflate` has the provider double
 * its claim after the consumer signed — both must be rejected by the side-chain.
 *
 * Slice audits (DESIGN §12): while the run lasts and until its checkpoints are settled, the
 * providers watch their checkpoints' entries (flow_getCheckpoint: seedHash, each entry's challenge
 * state) and answer every open slice challenge on their sessions with FlowRewards.openSlice (the
 * opening of the leaf the seed picks, traffic.ts openingFor). With `--cheat no-openings` provider 0
 * never answers: the auditors' challenges on its entries stay open and the engine voids them when
 * the window ends, so it is not paid for them, while the other providers answer and are paid.
 */
import { Contract, JsonRpcProvider, NonceManager, Wallet, parseEther, formatEther, type InterfaceAbi, type TransactionResponse } from 'ethers'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { keccak256 as keccakHex } from 'ethers'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { packageRoot } from '../core/index.js'
import { RECEIPT_DOMAIN_TAG, receiptHash, receiptToJson, signReceipt, type FlowReceipt, type SignedReceipt } from '../flow/receipt.js'
import { sampleRootOfSlices } from '../flow/sampling.js'
import { bytesOfHexLoose } from '../util/bytes.js'
import { Auditor, type ProviderAudit } from './audits.js'
import { newStream, packedSlices, Rng, sendBurst, type Stream } from './traffic.js'

export type Cheat = 'self-dealing' | 'replay' | 'inflate' | 'no-openings'

export interface SimOptions {
  rpc: string
  consumers: number
  providers: number
  seconds: number
  cheat?: Cheat
  /** 0x private key that pays for the set-up */
  funderKey: string
  seed: number
  /** payload bytes per session per tick (default 256 KiB) */
  bytesPerTick?: number
  /** wait until the cycle's checkpoint is applied and report the rewards (default true) */
  waitRewards?: boolean
  /** give up waiting for rewards after this many seconds (default 600) */
  waitLimitSec?: number
  log?: (line: string) => void
  progress?: (line: string) => void
}

export interface SimSummary {
  bytes: { providerSent: bigint; consumerReceived: bigint; receipted: bigint; wire: number }
  receipts: { submitted: number; accepted: number; rejected: number; reasons: Record<string, number> }
  cycle: bigint | null
  rewards: { address: string; locked: bigint; unlocking: bigint; withdrawable: bigint }[]
  rewardsApplied: boolean
  /** per provider: the slice challenges on its entries, the ones it answered, and its entries voided */
  audits: ProviderAudit[]
}

export type { ProviderAudit } from './audits.js'

const ZERO32 = new Uint8Array(32)
const TICK_MS = 250
const SAMPLE_RATE = Math.floor(2 ** 32 / 64)
const SLICE_LEN = 64

/** A system contract's ABI as shipped in src/execution/system/abi (`IName.json`). */
function abi(name: string): InterfaceAbi {
  const text = readFileSync(join(packageRoot() ?? '.', 'src', 'execution', 'system', 'abi', `I${name}.json`), 'utf8')
  const doc = JSON.parse(text) as InterfaceAbi | { abi: InterfaceAbi }
  return Array.isArray(doc) ? doc : (doc as { abi: InterfaceAbi }).abi
}

const hexToBytes = bytesOfHexLoose

class Rpc {
  private id = 0
  constructor(readonly url: string) {}
  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
    })
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } }
    if (body.error) throw new RpcFailure(body.error.code, body.error.message, body.error.data)
    return body.result as T
  }
}

export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

interface Party {
  wallet: Wallet
  key: Uint8Array
  address: string
}

interface Session {
  id: Uint8Array
  consumer: Party
  provider: Party
  down: Stream
  up: Stream
  seq: bigint
  bytesUp: bigint
  bytesDown: bigint
  prevHash: Uint8Array
  last: SignedReceipt | null
  /** seq → how many sampled slices its receipt's sampleRoot commits to (what an opening of it needs) */
  sliceCounts: Map<bigint, number>
}

function party(key: string, provider: JsonRpcProvider): Party {
  const wallet = new Wallet(key, provider)
  return { wallet, key: hexToBytes(key), address: wallet.address.toLowerCase() }
}

function deriveKey(seed: number, role: string, i: number): string {
  return keccakHex(Buffer.from(`nfc-flow-sim:${seed}:${role}:${i}`))
}

async function waitAll(txs: Promise<TransactionResponse>[], what: string, progress: (s: string) => void): Promise<void> {
  const sent = await Promise.all(txs)
  let done = 0
  await Promise.all(
    sent.map(async (tx) => {
      const r = await tx.wait()
      if (r === null || r.status !== 1) throw new Error(`${what}: transaction ${tx.hash} failed`)
      progress(`${what}: ${++done}/${sent.length} mined`)
    }),
  )
}

/** The set-up transactions: fund, pledge, convert and escrow (or the self-dealing hand-over). */
async function setUp(opts: SimOptions, provider: JsonRpcProvider, consumers: Party[], providers: Party[], progress: (s: string) => void): Promise<void> {
  const funder = new NonceManager(new Wallet(opts.funderKey, provider))
  const registry = new Contract(SYSTEM_CONTRACTS.nodeRegistry, abi('NodeRegistry'), provider)
  const enPledge = (await registry.getFunction('minPledge')(3)) as bigint
  const gas = parseEther('10')
  const fuelNfc = parseEther('50')
  const consumerFund = parseEther('1001') + fuelNfc + gas
  const selfDealing = opts.cheat === 'self-dealing'
  const providerFund = enPledge + gas + (selfDealing ? parseEther('1001') + fuelNfc * BigInt(consumers.length) : 0n)
  const funderAddress = await funder.getAddress()
  const need = providerFund * BigInt(providers.length) + consumerFund * BigInt(consumers.length) + gas
  const has = await provider.getBalance(funderAddress)
  if (has < need) {
    throw new Error(
      `the funder ${funderAddress} holds ${formatEther(has)} NFC but the set-up needs about ${formatEther(need)} ` +
        '(each consumer must hold more than 1,000 NFC to buy NB, each provider pledges as an edge node; ' +
        'the NFC above the fuel is sent back after the conversion): use fewer parties or another --funder-key',
    )
  }
  await waitAll(
    [
      ...providers.map((p) => funder.sendTransaction({ to: p.address, value: providerFund })),
      ...consumers.map((c) => funder.sendTransaction({ to: c.address, value: consumerFund })),
    ],
    'funding',
    progress,
  )
  await waitAll(
    providers.map((p) => (registry.connect(p.wallet) as Contract).getFunction('pledge')(3, { value: enPledge })),
    'pledging providers as edge nodes',
    progress,
  )
  const nb = new Contract(SYSTEM_CONTRACTS.nb, abi('NB'), provider)
  if (!selfDealing) {
    await waitAll(
      consumers.map((c) => (nb.connect(c.wallet) as Contract).getFunction('convert')({ value: fuelNfc })),
      'consumers buying NB fuel',
      progress,
    )
    // each consumer escrows its fuel for the provider its session uses (providers[i % P])
    const fuel = await Promise.all(consumers.map((c) => nb.getFunction('balanceOf')(c.address) as Promise<bigint>))
    await waitAll(
      consumers.map((c, i) => (nb.connect(c.wallet) as Contract).getFunction('escrow')(providers[i % providers.length]!.address, fuel[i]!)),
      `consumers escrowing ${formatEther(fuel.reduce((a, b) => a + b, 0n))} NB fuel for their providers`,
      progress,
    )
    await refund([...consumers], funderAddress, provider, progress)
    return
  }
  // self-dealing: each provider buys the fuel and hands it to its own consumers
  await waitAll(
    providers.map((p) => (nb.connect(p.wallet) as Contract).getFunction('convert')({ value: fuelNfc * BigInt(consumers.length) })),
    'providers buying NB for their consumers',
    progress,
  )
  const transfers: Promise<TransactionResponse>[] = []
  for (const p of providers) {
    const mine = consumers.filter((_, i) => providers[i % providers.length] === p)
    if (mine.length === 0) continue
    const balance = (await nb.getFunction('balanceOf')(p.address)) as bigint
    const each = balance / BigInt(mine.length)
    const signer = new NonceManager(p.wallet)
    for (const c of mine) transfers.push((nb.connect(signer) as Contract).getFunction('transfer')(c.address, each))
  }
  await waitAll(transfers, 'providers handing NB to their consumers', progress)
  // the committee admits only pairs with fuel in escrow: the consumers escrow what they were handed
  const escrows = await Promise.all(consumers.map((c) => nb.getFunction('balanceOf')(c.address) as Promise<bigint>))
  await waitAll(
    consumers.map((c, i) => (nb.connect(c.wallet) as Contract).getFunction('escrow')(providers[i % providers.length]!.address, escrows[i]!)),
    'consumers escrowing the NB they were handed',
    progress,
  )
  await refund([...consumers, ...providers], funderAddress, provider, progress)
}

/** Sends back what the parties no longer need (they keep 5 NFC for gas). */
async function refund(parties: Party[], to: string, provider: JsonRpcProvider, progress: (s: string) => void): Promise<void> {
  const keep = parseEther('5')
  const fee = 21_000n * 10n ** 10n
  const txs: Promise<TransactionResponse>[] = []
  for (const p of parties) {
    const balance = await provider.getBalance(p.address)
    if (balance > keep + fee)
      txs.push(p.wallet.sendTransaction({ to, value: balance - keep - fee, gasLimit: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 0n }))
  }
  await waitAll(txs, 'returning unused NFC to the funder', progress)
}

function receiptOf(s: Session, cycle: bigint, chainId: bigint, expiryHeight: bigint): FlowReceipt {
  const { sampleRoot, count } = sampleRootOfSlices(packedSlices(s.down))
  s.sliceCounts.set(s.seq, count)
  return {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId,
    sessionId: s.id,
    consumer: s.consumer.address,
    provider: s.provider.address,
    relays: [],
    seq: s.seq,
    bytesUp: s.bytesUp,
    bytesDown: s.bytesDown,
    sampleRoot,
    prevReceiptHash: s.prevHash,
    cycle,
    expiryHeight,
  }
}

function signed(r: FlowReceipt, consumerKey: Uint8Array, providerKey: Uint8Array): SignedReceipt {
  return { ...r, consumerSignature: signReceipt(r, consumerKey), providerSignature: signReceipt(r, providerKey) }
}

function reasonOf(e: unknown): string {
  if (e instanceof RpcFailure) {
    const code = (e.data as { code?: string } | undefined)?.code
    return code ?? e.message.replace(/^receipt rejected: /, '')
  }
  return (e as Error).message
}

export async function simulate(opts: SimOptions): Promise<SimSummary> {
  const log = opts.log ?? (() => {})
  const progress = opts.progress ?? (() => {})
  const rpc = new Rpc(opts.rpc)
  const provider = new JsonRpcProvider(opts.rpc, undefined, { staticNetwork: true, pollingInterval: 200 })
  const chainId = BigInt(await rpc.call<string>('eth_chainId'))
  const consumers = Array.from({ length: opts.consumers }, (_, i) => party(deriveKey(opts.seed, 'consumer', i), provider))
  const providers = Array.from({ length: opts.providers }, (_, i) => party(deriveKey(opts.seed, 'provider', i), provider))
  log(`chain ${chainId}: ${consumers.length} consumers, ${providers.length} providers${opts.cheat ? `, cheating: ${opts.cheat}` : ''}`)

  await setUp(opts, provider, consumers, providers, progress)
  const finalized = await rpc.call<{ hash: string }>('eth_getBlockByNumber', ['finalized', false])
  const sample = { seed: hexToBytes(finalized.hash), rate: SAMPLE_RATE, sliceLen: SLICE_LEN }
  const sessions: Session[] = consumers.map((c, i) => ({
    id: hexToBytes(keccakHex(Buffer.from(`session:${opts.seed}:${c.address}:${i}`))),
    consumer: c,
    provider: providers[i % providers.length]!,
    down: newStream(),
    up: newStream(),
    seq: 0n,
    bytesUp: 0n,
    bytesDown: 0n,
    prevHash: ZERO32,
    last: null,
    sliceCounts: new Map(),
  }))

  const summary: SimSummary = {
    bytes: { providerSent: 0n, consumerReceived: 0n, receipted: 0n, wire: 0 },
    receipts: { submitted: 0, accepted: 0, rejected: 0, reasons: {} },
    cycle: null,
    rewards: [],
    rewardsApplied: false,
    audits: providers.map((p, i) => ({ address: p.address, cheater: opts.cheat === 'no-openings' && i === 0, challenged: 0, answered: 0, voided: 0 })),
  }
  const auditor = new Auditor(
    (method, params) => rpc.call(method, params),
    sessions,
    summary.audits,
    providers.map((p) => p.address),
    providers.map((p) => new NonceManager(p.wallet)),
    new Contract(SYSTEM_CONTRACTS.flowRewards, abi('FlowRewards'), provider),
    log,
  )
  const reject = (reason: string) => {
    summary.receipts.rejected++
    summary.receipts.reasons[reason] = (summary.receipts.reasons[reason] ?? 0) + 1
  }
  /** null = accepted, else the rejection reason (not yet counted) */
  const send = async (r: SignedReceipt): Promise<string | null> => {
    try {
      await rpc.call('flow_submitReceipt', [receiptToJson(r)])
      return null
    } catch (e) {
      return reasonOf(e)
    }
  }
  const count = (reason: string | null): boolean => {
    summary.receipts.submitted++
    if (reason === null) summary.receipts.accepted++
    else reject(reason)
    return reason === null
  }
  const submit = async (r: SignedReceipt): Promise<boolean> => count(await send(r))

  const rng = new Rng(opts.seed)
  const perTick = opts.bytesPerTick ?? 256 * 1024
  const end = Date.now() + opts.seconds * 1000
  let ticks = 0
  while (Date.now() < end) {
    const tickStart = Date.now()
    const side = await rpc.call<{ cycle: string }>('flow_getSideChain', [])
    const cycle = BigInt(side.cycle)
    summary.cycle = cycle
    const head = BigInt(await rpc.call<string>('eth_blockNumber'))
    for (const s of sessions) {
      const down = sendBurst(s.down, rng, perTick, sample, 100)
      const up = sendBurst(s.up, rng, Math.max(64, perTick >> 6), sample, 0)
      summary.bytes.providerSent += down.sent + up.received
      summary.bytes.consumerReceived += down.received + up.sent
      summary.bytes.wire += down.wireBytes + up.wireBytes
      // the consumer acknowledges what it received; the provider what it received upstream
      const ackDown = down.received < down.sent ? down.received : down.sent
      const ackUp = up.received < up.sent ? up.received : up.sent
      s.bytesDown += ackDown
      s.bytesUp += ackUp
      s.seq++
      let honest = signed(receiptOf(s, cycle, chainId, head + 10_000n), s.consumer.key, s.provider.key)
      if (opts.cheat === 'inflate' && s.seq % 2n === 0n) {
        // the provider doubles its claim after the consumer signed the true totals
        const inflated = { ...honest, bytesDown: honest.bytesDown * 2n }
        await submit({ ...inflated, providerSignature: signReceipt(inflated, s.provider.key) })
      }
      let reason = await send(honest)
      for (let retry = 0; reason === 'FLOW_WRONG_CYCLE' && retry < 3; retry++) {
        // the counting cycle ended between our read and the node's check: sign for the new one,
        // once the node reports it (give it up to ~5 s to follow its head into the new cycle)
        let fresh = honest.cycle
        for (let i = 0; i < 20 && fresh === honest.cycle; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 250))
          fresh = BigInt((await rpc.call<{ cycle: string }>('flow_getSideChain', [])).cycle)
        }
        if (summary.cycle === null || fresh > summary.cycle) summary.cycle = fresh
        honest = signed(receiptOf(s, fresh, chainId, head + 10_000n), s.consumer.key, s.provider.key)
        reason = await send(honest)
      }
      if (count(reason)) {
        summary.bytes.receipted += ackDown + ackUp
        s.prevHash = receiptHash(honest)
        if (opts.cheat === 'replay' && s.last !== null) await submit(s.last)
        s.last = honest
      } else {
        // a rejected honest receipt would break the chain of prevReceiptHash: roll the totals back
        s.bytesDown -= ackDown
        s.bytesUp -= ackUp
        s.seq--
      }
    }
    ticks++
    await auditor.poll(summary.cycle)
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000))
    progress(
      `traffic: ${(Number(summary.bytes.receipted) / 1e6).toFixed(1)} MB receipted, ` +
        `${summary.receipts.accepted} receipts accepted, ${summary.receipts.rejected} rejected, ${left}s left`,
    )
    const wait = TICK_MS - (Date.now() - tickStart)
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  }
  log(`traffic done: ${ticks} ticks`)

  if (opts.waitRewards !== false && summary.cycle !== null && summary.receipts.accepted > 0) {
    summary.rewardsApplied = await waitApplied(rpc, summary.cycle, opts.waitLimitSec ?? 600, progress, () => auditor.poll(summary.cycle))
  }
  await auditor.tally()
  for (const p of providers) {
    const r = await rpc.call<{ locked: string; unlocking: string; withdrawable: string }>('flow_getRewards', [p.address])
    summary.rewards.push({ address: p.address, locked: BigInt(r.locked), unlocking: BigInt(r.unlocking), withdrawable: BigInt(r.withdrawable) })
  }
  provider.destroy()
  return summary
}

/** Waits for the checkpoint of `cycle` (and any later one holding this traffic) to be applied. */
async function waitApplied(rpc: Rpc, cycle: bigint, limitSec: number, progress: (s: string) => void, eachSecond: () => Promise<void>): Promise<boolean> {
  const deadline = Date.now() + limitSec * 1000
  while (Date.now() < deadline) {
    await eachSecond()
    const cp = await rpc.call<{ status: string; challengeEndsAt?: string } | null>('flow_getCheckpoint', [`0x${cycle.toString(16)}`])
    const side = await rpc.call<{ cycle: string }>('flow_getSideChain', [])
    if (cp?.status === 'applied') return true
    if (cp?.status === 'voided') return false
    const what =
      cp === null
        ? `cycle ${cycle} running (now ${BigInt(side.cycle)}): waiting for its checkpoint`
        : `checkpoint of cycle ${cycle} ${cp.status}: waiting for the challenge window`
    progress(`${what}, ${Math.ceil((deadline - Date.now()) / 1000)}s before giving up`)
    await new Promise((r) => setTimeout(r, 1000))
  }
  return false
}

export function formatSummary(s: SimSummary): string {
  const mb = (b: bigint) => `${(Number(b) / 1e6).toFixed(2)} MB`
  const lines = [
    `bytes: provider counted ${mb(s.bytes.providerSent)}, consumer counted ${mb(s.bytes.consumerReceived)}, receipted (min of both) ${mb(s.bytes.receipted)}, on the wire ${(s.bytes.wire / 1e6).toFixed(2)} MB`,
    `receipts: ${s.receipts.submitted} submitted, ${s.receipts.accepted} accepted, ${s.receipts.rejected} rejected`,
    ...Object.entries(s.receipts.reasons)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `  rejected ${n}× ${reason}`),
    s.rewardsApplied ? `rewards (checkpoint of cycle ${s.cycle} applied):` : `rewards (checkpoint of cycle ${s.cycle ?? '—'} not applied yet; figures so far):`,
    ...s.rewards.map(
      (r) => `  ${r.address}: locked ${formatEther(r.locked)} NFC, unlocking ${formatEther(r.unlocking)}, withdrawable ${formatEther(r.withdrawable)}`,
    ),
    'slice audits (entries challenged / answered / voided):',
    ...s.audits.map((a) => `  ${a.address}${a.cheater ? ' (never answers)' : ''}: ${a.challenged} / ${a.answered} / ${a.voided}`),
  ]
  return lines.join('\n')
}
