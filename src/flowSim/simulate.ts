/**
 * The traffic simulator behind `nfc flow simulate`: C consumers and P providers exchange real byte
 * streams (traffic.ts) for S seconds against a running node, sign cumulative receipts at both ends
 * and submit them with `flow_submitReceipt`; then it reports bytes counted, receipts accepted and
 * rejected (by reason) and the rewards the providers earned (report.ts).
 *
 * The run: the set-up transactions (setUp.ts: fund, pledge, buy and escrow the fuel), the traffic
 * loop (one tick every TICK_MS: each session sends, signs and submits its receipt), then waiting
 * for the cycle's checkpoint to be applied and the report. `--cheat NAME` runs the hooks of
 * cheats/NAME.ts at their points (cheats/cheat.ts: the set-up, each receipt, each tick, the end).
 *
 * Every run ends with the economics of its strategy: the NFC its providers earned (rewards and
 * coin-time bonus) against the NB fuel its consumers burned, valued in NFC at the oracle price
 * × capFactor; a strategy earning more prints a FAIL line.
 *
 * Slice audits (DESIGN §12): while the run lasts and until its checkpoints are settled, the
 * providers watch their checkpoints' entries (flow_getCheckpoint: seedHash, each entry's challenge
 * state) and answer every open slice challenge on their sessions with FlowRewards.openSlice
 * (audits.ts; a silent provider of `--cheat no-openings` does not).
 */
import { Contract, NonceManager, keccak256 as keccakHex } from 'ethers'
import { walletProvider } from '../util/walletProvider.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { RECEIPT_DOMAIN_TAG, receiptHash, receiptToJson, signReceipt, type FlowReceipt, type SignedReceipt } from '../flow/receipt.js'
import { sampleRootOfSlices } from '../flow/sampling.js'
import { Auditor } from '../flow/sliceAnswers.js'
import { makeCheat } from './cheats/index.js'
import { abi, deriveKey, hexToBytes, party, reasonOf, Rpc, type Session } from './node.js'
import { economicsOf } from './report.js'
import { setUp } from './setUp.js'
import { newStream, packedSlices } from '../flow/sampledStream.js'
import { Rng, sendBurst } from './traffic.js'
import type { SimOptions, SimSummary } from './types.js'

export { CHEATS, type Cheat, type Economics, type ProviderAudit, type Rewards, type SimOptions, type SimSummary } from './types.js'
export { CAP_FACTOR_BPS, formatEconomics, formatSummary } from './report.js'
export { SPLIT_PARTS } from './cheats/splitWithdrawals.js'
export { CROWD_SESSIONS_PER_TICK } from './cheats/crowdOut.js'
export { RpcFailure } from './node.js'

const ZERO32 = new Uint8Array(32)
const TICK_MS = 250
const SAMPLE_RATE = Math.floor(2 ** 32 / 64)
const SLICE_LEN = 64

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

/** One run: set-up, traffic for opts.seconds, the wait for its checkpoint, the summary (see the module comment). */
export async function simulate(opts: SimOptions): Promise<SimSummary> {
  const log = opts.log ?? (() => {})
  const progress = opts.progress ?? (() => {})
  const rpc = new Rpc(opts.rpc)
  const provider = walletProvider(opts.rpc, { pollingInterval: 200 })
  const chainId = BigInt(await rpc.call<string>('eth_chainId'))
  const consumers = Array.from({ length: opts.consumers }, (_, i) => party(deriveKey(opts.seed, 'consumer', i), provider))
  const providers = Array.from({ length: opts.providers }, (_, i) => party(deriveKey(opts.seed, 'provider', i), provider))
  log(`chain ${chainId}: ${consumers.length} consumers, ${providers.length} providers${opts.cheat ? `, cheating: ${opts.cheat}` : ''}`)

  const cheat = await makeCheat({ opts, rpc, provider, consumers, providers, log, progress })
  const escrowed = await setUp(opts.funderKey, provider, consumers, providers, cheat, progress)
  await cheat.start?.()
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
    audits: providers.map((p, i) => ({ address: p.address, cheater: cheat.silent?.(i) ?? false, challenged: 0, answered: 0, voided: 0 })),
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
      await cheat.beforeReceipt?.(s, honest, submit)
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
        await cheat.afterAccepted?.(s, s.last, submit)
        s.last = honest
      } else {
        // a rejected honest receipt would break the chain of prevReceiptHash: roll the totals back
        s.bytesDown -= ackDown
        s.bytesUp -= ackUp
        s.seq--
      }
    }
    await cheat.tick?.({ tick: ticks, cycle, chainId, expiryHeight: head + 10_000n }, submit)
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
  const bonus = (await cheat.finish?.(summary)) ?? 0n
  let rewardsNfc = 0n
  for (const p of providers) {
    const r = await rpc.call<{ locked: string; unlocking: string; withdrawable: string; withdrawn: string }>('flow_getRewards', [p.address])
    summary.rewards.push({ address: p.address, locked: BigInt(r.locked), unlocking: BigInt(r.unlocking), withdrawable: BigInt(r.withdrawable) })
    rewardsNfc += BigInt(r.locked) + BigInt(r.unlocking) + BigInt(r.withdrawable) + BigInt(r.withdrawn)
  }
  summary.economics = await economicsOf(summary.economics.strategy, provider, sessions, escrowed, rewardsNfc, bonus)
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
