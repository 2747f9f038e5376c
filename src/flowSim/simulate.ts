// Long on purpose (677 lines): one simulation read top to bottom (set-up transactions, traffic, receipts, cheats, the report); splitting it would scatter one story.
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
 * `--cheat hop-self-dealing` hides the hand-over behind one intermediate address per provider
 * (provider → X → consumer, DESIGN §12: the funding graph within 2 hops still catches it).
 * `--cheat replay` resubmits every receipt once more; `--cheat inflate` has the provider double
 * its claim after the consumer signed — both must be rejected by the side-chain. `--cheat
 * absent-member` pledges one more central node whose key signs nothing (no node runs it) and
 * runs the traffic in a cycle whose committee holds it: the cycle must be checkpointed anyway
 * (≥ 2/3 sign, the absent one is skipped at the signing deadline, DESIGN §12) and the absent
 * member loses a pledge slice; its pledge before and after is reported. The chain needs enough
 * signing committee members for that (a devnet of 2 or more witnesses).
 * `--cheat split-withdrawals` is honest traffic whose providers then withdraw what they can in
 * SPLIT_PARTS transactions, to farm the coin-time bonus (path-independent: no gain).
 *
 * Every run ends with the economics of its strategy: the NFC its providers earned (rewards and
 * coin-time bonus) against the NB fuel its consumers burned, valued in NFC at the oracle price
 * × capFactor; a strategy earning more prints a FAIL line.
 *
 * `--cheat overflow` (DESIGN §12 "Bounds") adds a pair of fresh keys nobody funded or pledged: every tick, alongside
 * the honest traffic, it submits receipts it signed at both ends whose running totals are 2^256−1
 * and 2^64 (one past uint64), and one of a plausible size — all must be refused at the edge (the
 * bound, then the unpledged provider), the honest providers paid and the forger earn nothing.

 *
 * Slice audits (DESIGN §12): while the run lasts and until its checkpoints are settled, the
 * providers watch their checkpoints' entries (flow_getCheckpoint: seedHash, each entry's challenge
 * state) and answer every open slice challenge on their sessions with FlowRewards.openSlice (the
 * opening of the leaf the seed picks, traffic.ts openingFor). With `--cheat no-openings` provider 0
 * never answers: the auditors' challenges on its entries stay open and the engine voids them when
 * the window ends, so it is not paid for them, while the other providers answer and are paid.
 */
import { Contract, JsonRpcProvider, NonceManager, Wallet, parseEther, formatEther, type InterfaceAbi, type TransactionResponse } from 'ethers'
import { keccak256 as keccakHex } from 'ethers'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { RECEIPT_DOMAIN_TAG, receiptHash, receiptToJson, signReceipt, type FlowReceipt, type SignedReceipt } from '../flow/receipt.js'
import { sampleRootOfSlices } from '../flow/sampling.js'
import { bytesOfHexLoose } from '../util/bytes.js'
import { systemAbiJson } from '../util/systemAbi.js'
import { Auditor, type ProviderAudit } from './audits.js'
import { newStream, packedSlices, Rng, sendBurst, type Stream } from './traffic.js'
import { forgedReceipts } from './overflowCheat.js'

export type Cheat = 'self-dealing' | 'hop-self-dealing' | 'replay' | 'inflate' | 'split-withdrawals' | 'absent-member' | 'overflow' | 'no-openings'

/** Every cheat `--cheat` takes, in the order the help lists them. */
export const CHEATS: readonly Cheat[] = [
  'self-dealing',
  'hop-self-dealing',
  'replay',
  'inflate',
  'split-withdrawals',
  'absent-member',
  'overflow',
  'no-openings',
]

/** `--cheat split-withdrawals`: each provider withdraws in this many transactions. */
export const SPLIT_PARTS = 5n
/** capFactor the economic check applies (the genesis default, 1×: the simulator cannot read the chain's) */
export const CAP_FACTOR_BPS = 10_000n

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
  rewards: Rewards[]
  rewardsApplied: boolean
  /** `--cheat absent-member`: the pledged member that never signed, its pledge before and after (wei) */
  absent?: { address: string; pledgeBefore: bigint; pledgeAfter: bigint }
  /** the run's strategy against the fuel it burned */
  economics: Economics
  /** `--cheat overflow`: the forging pair's receipts and what its provider key earned */
  forger?: { address: string; submitted: number; accepted: number; rewards: Rewards }
  /** per provider: the slice challenges on its entries, the ones it answered, and its entries voided */
  audits: ProviderAudit[]
}

/** What a strategy earned against what its fuel was worth (NFC wei; NB wei for the fuel). */
export interface Economics {
  strategy: string
  /** NB its consumers' fuel escrows lost to the engine */
  fuelBurnedNb: bigint
  /** that fuel in NFC at the oracle price, × capFactor: the most the rules let it earn */
  limitNfc: bigint
  /** traffic rewards of its providers (locked, unlocking, withdrawable and withdrawn) */
  rewardsNfc: bigint
  /** coin-time bonus its providers were paid by their withdrawals */
  bonusNfc: bigint
  /** rewards + bonus ≤ limit */
  ok: boolean
}

export interface Rewards {
  address: string
  locked: bigint
  unlocking: bigint
  withdrawable: bigint
}

export type { ProviderAudit } from './audits.js'

const ZERO32 = new Uint8Array(32)
const TICK_MS = 250
const SAMPLE_RATE = Math.floor(2 ** 32 / 64)
const SLICE_LEN = 64

/** A system contract's ABI as shipped in src/execution/system/abi (`IName.json`). */
function abi(name: string): InterfaceAbi {
  return systemAbiJson(name) as InterfaceAbi
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

/**
 * The set-up transactions: fund, pledge, convert and escrow (or the self-dealing hand-over,
 * through `intermediates` for hop-self-dealing). Returns the NB each consumer escrowed.
 */
async function setUp(
  opts: SimOptions,
  provider: JsonRpcProvider,
  consumers: Party[],
  providers: Party[],
  absent: Party | null,
  intermediates: Party[],
  progress: (s: string) => void,
): Promise<bigint[]> {
  const funder = new NonceManager(new Wallet(opts.funderKey, provider))
  const registry = new Contract(SYSTEM_CONTRACTS.nodeRegistry, abi('NodeRegistry'), provider)
  const enPledge = (await registry.getFunction('minPledge')(3)) as bigint
  const gas = parseEther('10')
  const fuelNfc = parseEther('50')
  const consumerFund = parseEther('1001') + fuelNfc + gas
  const selfDealing = opts.cheat === 'self-dealing' || opts.cheat === 'hop-self-dealing'
  const absentFund = absent === null ? 0n : ((await registry.getFunction('minPledge')(CN_ROLE)) as bigint) + gas
  const providerFund = enPledge + gas + (selfDealing ? parseEther('1001') + fuelNfc * BigInt(consumers.length) : 0n)
  const funderAddress = await funder.getAddress()
  const need = providerFund * BigInt(providers.length) + consumerFund * BigInt(consumers.length) + absentFund + gas * BigInt(1 + intermediates.length)
  const has = await provider.getBalance(funderAddress)
  if (has < need) {
    throw new Error(
      `the funder ${funderAddress} holds ${formatEther(has)} NFC but the set-up needs about ${formatEther(need)} ` +
        '(each consumer must hold more than 1,000 NFC to buy NB, each provider pledges as an edge node' +
        `${absent === null ? '' : ', the absent member as a central node'}; ` +
        'the NFC above the fuel is sent back after the conversion): use fewer parties or another --funder-key',
    )
  }
  if (absent !== null) {
    await waitAll([funder.sendTransaction({ to: absent.address, value: absentFund })], 'funding the absent member', progress)
    await waitAll(
      [(registry.connect(absent.wallet) as Contract).getFunction('pledge')(CN_ROLE, { value: absentFund - gas })],
      'pledging the absent member as a central node (its key signs nothing)',
      progress,
    )
  }
  await waitAll(
    [
      ...providers.map((p) => funder.sendTransaction({ to: p.address, value: providerFund })),
      ...consumers.map((c) => funder.sendTransaction({ to: c.address, value: consumerFund })),
      ...intermediates.map((x) => funder.sendTransaction({ to: x.address, value: gas })),
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
    return fuel
  }
  // self-dealing: each provider buys the fuel and hands it to its own consumers
  await waitAll(
    providers.map((p) => (nb.connect(p.wallet) as Contract).getFunction('convert')({ value: fuelNfc * BigInt(consumers.length) })),
    'providers buying NB for their consumers',
    progress,
  )
  if (intermediates.length > 0) {
    // hop-self-dealing: each provider's NB goes through its own intermediate address first
    await waitAll(
      providers.map(async (p, j) =>
        (nb.connect(p.wallet) as Contract).getFunction('transfer')(intermediates[j]!.address, (await nb.getFunction('balanceOf')(p.address)) as bigint),
      ),
      'providers handing NB to their intermediate addresses',
      progress,
    )
  }
  const holders = intermediates.length > 0 ? intermediates : providers
  const transfers: Promise<TransactionResponse>[] = []
  for (let j = 0; j < providers.length; j++) {
    const mine = consumers.filter((_, i) => i % providers.length === j)
    if (mine.length === 0) continue
    const h = holders[j]!
    const balance = (await nb.getFunction('balanceOf')(h.address)) as bigint
    const each = balance / BigInt(mine.length)
    const signer = new NonceManager(h.wallet)
    for (const c of mine) transfers.push((nb.connect(signer) as Contract).getFunction('transfer')(c.address, each))
  }
  await waitAll(transfers, intermediates.length > 0 ? 'intermediates handing NB to the consumers' : 'providers handing NB to their consumers', progress)
  // the committee admits only pairs with fuel in escrow: the consumers escrow what they were handed
  const escrows = await Promise.all(consumers.map((c) => nb.getFunction('balanceOf')(c.address) as Promise<bigint>))
  await waitAll(
    consumers.map((c, i) => (nb.connect(c.wallet) as Contract).getFunction('escrow')(providers[i % providers.length]!.address, escrows[i]!)),
    'consumers escrowing the NB they were handed',
    progress,
  )
  await refund([...consumers, ...providers, ...intermediates], funderAddress, provider, progress)
  return escrows
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

async function rewardsOf(rpc: Rpc, address: string): Promise<Rewards> {
  const r = await rpc.call<{ locked: string; unlocking: string; withdrawable: string }>('flow_getRewards', [address])
  return { address, locked: BigInt(r.locked), unlocking: BigInt(r.unlocking), withdrawable: BigInt(r.withdrawable) }
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

  const absent = opts.cheat === 'absent-member' ? party(deriveKey(opts.seed, 'absent', 0), provider) : null
  const intermediates =
    opts.cheat === 'hop-self-dealing' ? Array.from({ length: opts.providers }, (_, i) => party(deriveKey(opts.seed, 'intermediate', i), provider)) : []
  const escrowed = await setUp(opts, provider, consumers, providers, absent, intermediates, progress)
  const registry = new Contract(SYSTEM_CONTRACTS.nodeRegistry, abi('NodeRegistry'), provider)
  const pledgeOf = async (a: string) => ((await registry.getFunction('nodeOf')(a)) as [bigint, bigint])[1]
  const pledgeBefore = absent === null ? 0n : await pledgeOf(absent.address)
  if (absent !== null) await untilDrawn(rpc, absent.address, progress)
  // never funded, never pledged: the set-up does not know them
  const forger =
    opts.cheat === 'overflow'
      ? { consumer: party(deriveKey(opts.seed, 'forger-consumer', 0), provider), provider: party(deriveKey(opts.seed, 'forger-provider', 0), provider) }
      : null
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
    economics: { strategy: opts.cheat ?? 'honest', fuelBurnedNb: 0n, limitNfc: 0n, rewardsNfc: 0n, bonusNfc: 0n, ok: true },
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
  const forged = { submitted: 0, accepted: 0 }

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
    if (forger !== null) {
      for (const r of forgedReceipts({ seed: opts.seed, tick: ticks, cycle, chainId, expiryHeight: head + 10_000n }, forger.consumer, forger.provider)) {
        forged.submitted++
        if (await submit(r)) forged.accepted++
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
  if (absent !== null) summary.absent = { address: absent.address, pledgeBefore, pledgeAfter: await pledgeOf(absent.address) }
  const bonus = opts.cheat === 'split-withdrawals' ? await splitWithdrawals(rpc, provider, providers, progress) : 0n
  let rewardsNfc = 0n
  for (const p of providers) {
    const r = await rpc.call<{ locked: string; unlocking: string; withdrawable: string; withdrawn: string }>('flow_getRewards', [p.address])
    summary.rewards.push({ address: p.address, locked: BigInt(r.locked), unlocking: BigInt(r.unlocking), withdrawable: BigInt(r.withdrawable) })
    rewardsNfc += BigInt(r.locked) + BigInt(r.unlocking) + BigInt(r.withdrawable) + BigInt(r.withdrawn)
  }
  if (forger !== null) summary.forger = { address: forger.provider.address, ...forged, rewards: await rewardsOf(rpc, forger.provider.address) }
  summary.economics = await economicsOf(summary.economics.strategy, provider, sessions, escrowed, rewardsNfc, bonus)
  provider.destroy()
  return summary
}

/** NodeRegistry role of a central node (a committee candidate) */
const CN_ROLE = 2
/** flow cycles to wait for the absent member to be drawn into a committee */
const DRAW_WAIT_CYCLES = 3

/** Waits until the current cycle's committee holds `member` (drawn at the first block of a cycle after its pledge). */
async function untilDrawn(rpc: Rpc, member: string, progress: (s: string) => void): Promise<void> {
  let first: bigint | null = null
  for (;;) {
    const side = await rpc.call<{ cycle: string; committee: string[] } | null>('flow_getSideChain', [])
    if (side !== null) {
      const cycle = BigInt(side.cycle)
      if (side.committee.map((a) => a.toLowerCase()).includes(member)) return
      first ??= cycle
      if (cycle - first >= BigInt(DRAW_WAIT_CYCLES)) {
        throw new Error(`the absent member ${member} was not drawn into a committee in ${DRAW_WAIT_CYCLES} cycles (flowCommitteeSize below the candidates?)`)
      }
      progress(`waiting for a committee that holds the absent member ${member} (cycle ${cycle})`)
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}

/**
 * `--cheat split-withdrawals`: each provider withdraws what is withdrawable in SPLIT_PARTS
 * transactions (one after the other); returns the coin-time bonus all of them were paid.
 */
async function splitWithdrawals(rpc: Rpc, provider: JsonRpcProvider, providers: Party[], progress: (s: string) => void): Promise<bigint> {
  const flow = new Contract(SYSTEM_CONTRACTS.flowRewards, abi('FlowRewards'), provider)
  let bonus = 0n
  for (const p of providers) {
    const w = BigInt((await rpc.call<{ withdrawable: string }>('flow_getRewards', [p.address])).withdrawable)
    if (w < SPLIT_PARTS) continue
    for (let i = 0n; i < SPLIT_PARTS; i++) {
      const amount = i < SPLIT_PARTS - 1n ? w / SPLIT_PARTS : w - (w / SPLIT_PARTS) * (SPLIT_PARTS - 1n)
      const tx = (await (flow.connect(p.wallet) as Contract).getFunction('withdraw')(amount)) as TransactionResponse
      const r = await tx.wait()
      if (r === null || r.status !== 1) throw new Error(`withdraw: transaction ${tx.hash} failed`)
      for (const log of r.logs) {
        const ev = flow.interface.parseLog(log)
        if (ev?.name === 'Withdrawn') bonus += ev.args.getValue('bonus') as bigint
      }
      progress(`split withdrawals: ${p.address} part ${i + 1n}/${SPLIT_PARTS}`)
    }
  }
  return bonus
}

/** The economics of a run: what its fuel escrows lost, valued at the oracle price × capFactor, against what its providers earned. */
async function economicsOf(
  strategy: string,
  provider: JsonRpcProvider,
  sessions: Session[],
  escrowed: bigint[],
  rewardsNfc: bigint,
  bonusNfc: bigint,
): Promise<Economics> {
  const nb = new Contract(SYSTEM_CONTRACTS.nb, abi('NB'), provider)
  let fuelBurnedNb = 0n
  for (let i = 0; i < sessions.length; i++) {
    const [left] = (await nb.getFunction('escrowOf')(sessions[i]!.consumer.address, sessions[i]!.provider.address)) as [bigint, bigint]
    fuelBurnedNb += escrowed[i]! - left
  }
  const price = (await nb.getFunction('price')()) as bigint
  const limitNfc = (fuelBurnedNb * CAP_FACTOR_BPS * 10n ** 18n) / (price * 10_000n)
  return { strategy, fuelBurnedNb, limitNfc, rewardsNfc, bonusNfc, ok: rewardsNfc + bonusNfc <= limitNfc }
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
  const reward = (r: Rewards) =>
    `  ${r.address}: locked ${formatEther(r.locked)} NFC, unlocking ${formatEther(r.unlocking)}, withdrawable ${formatEther(r.withdrawable)}`
  const f = s.forger
  const lines = [
    `bytes: provider counted ${mb(s.bytes.providerSent)}, consumer counted ${mb(s.bytes.consumerReceived)}, receipted (min of both) ${mb(s.bytes.receipted)}, on the wire ${(s.bytes.wire / 1e6).toFixed(2)} MB`,
    `receipts: ${s.receipts.submitted} submitted, ${s.receipts.accepted} accepted, ${s.receipts.rejected} rejected`,
    ...Object.entries(s.receipts.reasons)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `  rejected ${n}× ${reason}`),
    s.rewardsApplied ? `rewards (checkpoint of cycle ${s.cycle} applied):` : `rewards (checkpoint of cycle ${s.cycle ?? '—'} not applied yet; figures so far):`,
    ...s.rewards.map(reward),
    ...(s.absent === undefined
      ? []
      : [
          `absent committee member ${s.absent.address}: pledge ${formatEther(s.absent.pledgeBefore)} → ${formatEther(s.absent.pledgeAfter)} NFC ` +
            `(slashed ${formatEther(s.absent.pledgeBefore - s.absent.pledgeAfter)})`,
        ]),
    ...(f === undefined
      ? []
      : [
          `forger (unfunded, unpledged; totals 2^256−1, 2^64 and 1 MiB): ${f.submitted} receipts submitted, ${f.accepted} accepted, ${f.submitted - f.accepted} refused`,
          reward(f.rewards),
        ]),
    'slice audits (entries challenged / answered / voided):',
    ...s.audits.map((a) => `  ${a.address}${a.cheater ? ' (never answers)' : ''}: ${a.challenged} / ${a.answered} / ${a.voided}`),
    ...formatEconomics([s.economics]),
  ]
  return lines.join('\n')
}

/**
 * The economic table: per strategy, the NB fuel burned, what it may earn (its NFC value × capFactor)
 * and what it earned (rewards + coin-time bonus); a FAIL line for each strategy that earned more.
 */
export function formatEconomics(rows: readonly Economics[]): string[] {
  const nfc = (w: bigint) => formatEther(w)
  const lines = [
    `economics (capFactor ${Number(CAP_FACTOR_BPS) / 10_000}×): strategy | NB fuel burned | may earn (NFC) | rewards (NFC) | bonus (NFC) | check`,
    ...rows.map((r) => `  ${r.strategy} | ${nfc(r.fuelBurnedNb)} | ${nfc(r.limitNfc)} | ${nfc(r.rewardsNfc)} | ${nfc(r.bonusNfc)} | ${r.ok ? 'ok' : 'FAIL'}`),
  ]
  for (const r of rows) {
    if (!r.ok) lines.push(`FAIL: ${r.strategy} earned ${nfc(r.rewardsNfc + r.bonusNfc)} NFC, more than its fuel allows (${nfc(r.limitNfc)} NFC)`)
  }
  return lines
}
