/**
 * The PoVF state transition of the main chain (DESIGN §5.6–§5.9): what every node runs at the
 * start of every block, after the DPoS beginBlock and on the same BlockInfo. Pure in the sense of
 * STYLE §3: the state (a StateAccess), the block's fields and the config in, state writes out.
 * The per-transaction rules (submitCheckpoint, openSlice, withdraw, fraud proofs) are in the
 * FlowRewards and Evidence system contracts; the pure formulas in curve/valuing/split/locks.
 *
 * Per block, in this order:
 * 0. Bonus accrual. The shared pool's growth since the last accrual (the DPoS beginBlock has just
 *    paid this block's share into it) is indexed at the block's time (locks.ts accrueBonusIndex):
 *    an inflow is shared by the coin-time held when it arrived, whoever acts later. Accrued only
 *    when coins changed, the same inflow was shared by the weights at the next credit or
 *    withdrawal, and a holder could pick that time to raise its share (issue 16: withdrawing in
 *    parts over time paid up to 1.5% more than one withdrawal at the end).
 * 1. Committee. At the first block whose flow cycle c = ⌊(t − genesisTime)/cycleMs⌋ is above the
 *    last drawn cycle: list = nodes with role RN or CN, not exited, pledge ≥ their role minimum
 *    (rnPledge / cnPledge), sorted by address; committee(c) = shuffle(parentHash, list) cut to
 *    committeeSize. A cycle without any block gets no committee (its checkpoint cannot be
 *    submitted; its receipts roll into a later cycle's checkpoint through the running totals).
 * 1b. Redraw (DESIGN §12 "Committee liveness"). A cycle's first draw records its seed. An ended
 *    cycle without a checkpoint whose committee round r has not signed by cycle end + (r + 1) ×
 *    signDeadlineMs gets a new round: the next committeeSize in its draw order, wrapping around
 *    (redrawCommittee; at most MAX_REDRAWS). A checkpoint is accepted with ≥ 2/3 of any round.
 * 2. Sample seeds. For each pending checkpoint (oldest MAX_PENDING_SCAN) with committedAt + k + 1
 *    == number: record parentHash (the hash of block committedAt + k) as its seed hash. Stored in
 *    state rather than read through the EVM's BLOCKHASH source: a block being imported on a side
 *    branch must see ITS ancestors' hashes, and the canonical-number index of the block store
 *    may point to the other branch while it executes; the parent hash in the BlockInfo is
 *    always that block's own ancestry.
 * 3. Application. Oldest pending checkpoints first (FIFO: challengeEnds grows with submission),
 *    at most MAX_APPLY_PER_BLOCK per block, each one whose challengeEndsMs ≤ t:
 *    - entries with an unanswered slice challenge are voided (session rolled back);
 *    - entries whose total exceeds uint64, and every entry of a pair whose provider byte total
 *      would overflow its storage word, are voided too (`outOfBounds`): a checkpoint's content
 *      never fails a block (DESIGN §12);
 *    - entries that claim bytes (total > 0) with EMPTY_SAMPLE_ROOT, a receipt that commits to
 *      no sampled slice, are voided too (`outOfBounds`): the sampling floor — such an entry could
 *      never answer a slice challenge, so it never counts, whether an auditor drew it or not;
 *    - live entries grouped by (consumer, provider), pairs in ascending (consumer, provider);
 *      counted = Σ(total − prevTotal); relays = sorted union of the entries' relays;
 *    - value = valueBytes(counted, L), 0 when self-dealing (valuing.ts isSelfDealing with the
 *      consumer's Staking position on the provider, NB's funder of the consumer and its funding
 *      sources within 2 hops during the last selfDealingWindowCycles cycles before the
 *      checkpoint's cycle, NbStore.fundingSourcesOf);
 *    - fuel = fuelOwed(counted) NB wei, burned from the pair's NB escrow first (a pending release
 *      does not protect it), the rest from the consumer's balance (what each allows);
 *      fuelBurned = the sum;
 *    - reward = min(M(B + value) − M(B), rewardCap(fuelBurned), traffic pool balance); B += value;
 *    - split: provider and relays are credited lock entries at t (NFC moves from the traffic pool
 *      to the FlowRewards account), the shared part goes to the shared pool; each credited
 *      address's coin-time bonus budget grows by its share of cap − reward (locks.ts bonusBudgetOf);
 *    - provider totals (counted bytes, provider reward) and the traffic totals are updated.
 *
 * Parameters: the config in force (`governedConfig`: genesis plus governance's overrides, read
 * once at the start of the block) — fuel price, cap factor, CN/EN pledges may have been changed.
 *
 * Determinism: bigint math, entries in index order, pairs sorted, no map iteration for results.
 */
import { DposStore, Role, SHARED_POOL, addressOfHex, type Addr, type StateAccess } from '../dpos/store.js'
import { flowOf, type BlockInfo, type DposConfig } from '../dpos/engine.js'
import { shuffle } from '../dpos/shuffle.js'
import { POOLS } from '../../chain/systemAddresses.js'
import { core } from '../../core/index.js'
import { bytesEqual } from '../../util/bytes.js'
import { NbStore } from './nbStore.js'
import { governedConfig } from '../gov/params.js'
import { trafficReward } from './curve.js'
import { fuelOwed } from '../../flow/fuel.js'
import { isSelfDealing, rewardCap, valueBytes } from './valuing.js'
import { splitTrafficReward } from './split.js'
import { accrueBonusIndex, bonusBudgetOf, coinTime, placeLock, type BonusIndex } from './locks.js'
import { Challenge, CpStatus, EntryStatus, FLOW_REWARDS, FlowStore, type EntryRecord } from './store.js'

export const TRAFFIC_POOL_ACCOUNT = addressOfHex(POOLS.trafficMining)

/** Checkpoints applied per block at most (the rest wait for the next blocks, in order). */
export const MAX_APPLY_PER_BLOCK = 4n
/** Pending checkpoints scanned per block for their seed block. */
export const MAX_PENDING_SCAN = 64n

/** The flow cycle of a time (ms); times before genesis are cycle 0. */
export function flowCycleAt(t: bigint, cfg: DposConfig): bigint {
  if (t <= cfg.genesisTime) return 0n
  return (t - cfg.genesisTime) / flowOf(cfg).cycleMs
}

export interface PairReward {
  consumer: Addr
  provider: Addr
  relays: Addr[]
  counted: bigint
  value: bigint
  selfDealing: boolean
  fuelOwed: bigint
  fuelBurned: bigint
  /** min(curve reward, cap, pool) */
  reward: bigint
  provided: bigint
  perRelay: bigint
  shared: bigint
}

export interface AppliedCheckpoint {
  cycle: bigint
  /** entries voided now for an unanswered slice challenge */
  voided: bigint[]
  /**
   * entries voided now because applying them would break a bound (DESIGN §12): a total above
   * uint64, or a provider total that would overflow its storage word; or because they claim bytes
   * and commit to no sampled slice (the sampling floor). One checkpoint's content
   * never fails a block: the offending entries earn nothing, the rest apply (the node logs these).
   */
  outOfBounds: { index: bigint; reason: string }[]
  pairs: PairReward[]
}

export interface FlowBeginResult {
  cycle: bigint
  /** the committee drawn in this block, or null */
  committee: Addr[] | null
  /** committees of ended cycles redrawn in this block (their deadline passed without a checkpoint) */
  redrawn: { cycle: bigint; committee: Addr[] }[]
  /** cycles whose seed hash was recorded in this block */
  seeded: bigint[]
  applied: AppliedCheckpoint[]
}

/** Nodes eligible for a committee: RN or CN, not exited, pledge ≥ the role's minimum. Sorted. */
export async function committeeCandidates(store: DposStore, cfg: DposConfig): Promise<Addr[]> {
  const out: Addr[] = []
  for (const a of await store.nodes.all()) if (await isPledgedNode(store, a, [Role.RN, Role.CN], cfg)) out.push(a)
  return out.sort()
}

/**
 * `a` is a node of one of `roles` that has not exited and whose pledge is at least its role's
 * minimum (DESIGN §6: joining traffic mining needs a pledge).
 */
export async function isPledgedNode(store: DposStore, a: Addr, roles: readonly number[], cfg: DposConfig): Promise<boolean> {
  const n = await store.getNode(a)
  if (n.exitTime !== 0n || !roles.includes(n.role)) return false
  const flow = flowOf(cfg)
  const min = n.role === Role.RN ? cfg.rnPledge : n.role === Role.CN ? flow.cnPledge : flow.enPledge
  return n.pledge >= min
}

/** Who may earn traffic rewards: providers any pledged node, relays the RN/CN on the path. */
export const PROVIDER_ROLES = [Role.EN, Role.CN, Role.RN] as const
const RELAY_ROLES = [Role.RN, Role.CN] as const

/** The committee rule of §1 (pure given the candidate list). */
export function drawCommittee(parentHash: Uint8Array, candidates: readonly Addr[], size: number): Addr[] {
  return shuffle(parentHash, [...candidates].sort()).slice(0, size)
}

/** Quorum of a committee of n: at least 2/3 of it, ⌈2n/3⌉ (DESIGN §12 "Committee liveness"). */
export function quorumOf(n: bigint): bigint {
  return (2n * n + 2n) / 3n
}

/** A cycle's committee is redrawn at most this many times. */
export const MAX_REDRAWS = 3n
/** Ended cycles (before the current one) looked at for a redraw, per block. */
export const REDRAW_SCAN_CYCLES = 4n

/** End (ms) of a flow cycle: the start of the next one. */
export function cycleEndMs(cycle: bigint, cfg: DposConfig): bigint {
  return cfg.genesisTime + (cycle + 1n) * flowOf(cfg).cycleMs
}

/**
 * When the committee of `cycle`, after `lapses` deadlines passed without a checkpoint, has to
 * have signed: the cycle's end + (lapses + 1) signing deadlines. Past it, the absent are skipped (and penalised
 * by FlowRewards.submitCheckpoint); a committee with fewer than 2/3 signing is redrawn.
 */
export function signDeadlineMs(cycle: bigint, lapses: bigint, cfg: DposConfig): bigint {
  return cycleEndMs(cycle, cfg) + (lapses + 1n) * flowOf(cfg).signDeadlineMs
}

/**
 * Redraw (DESIGN §12): round r of a cycle's committee is the next committeeSize nodes of its draw
 * order (the shuffle of the current candidates with the first draw's seed) after round r − 1's,
 * wrapping around: order[(r × size + i) mod m], i < min(size, m). A redrawn committee is as large
 * as the first (one key never signs alone where the first draw needed several). Returns it, or
 * null when it would be the current round again (m ≤ size: nobody else to draw).
 */
export async function redrawCommittee(sm: StateAccess, fs: FlowStore, cycle: bigint, cfg: DposConfig): Promise<Addr[] | null> {
  const order = drawCommittee(await fs.drawSeed(cycle), await committeeCandidates(new DposStore(sm), cfg), Number.MAX_SAFE_INTEGER)
  const size = Math.min(flowOf(cfg).committeeSize, order.length)
  const round = Number((await fs.redraws(cycle)) + 1n)
  const next: Addr[] = []
  for (let i = 0; i < size; i++) next.push(order[(round * flowOf(cfg).committeeSize + i) % order.length]!)
  const current = await fs.currentCommittee(cycle)
  if (next.length === 0 || [...next].sort().join() === [...current].sort().join()) return null
  await fs.addRound(cycle, next)
  return next
}

/**
 * The nodes a redraw of `cycle` can bring in (rounds 1 … MAX_REDRAWS of redrawCommittee, as the
 * candidates stand now), without the current round: they keep the cycle's receipts so that a
 * redrawn committee can build and sign its checkpoint. Sorted.
 */
export async function reserveOf(sm: StateAccess, cycle: bigint, cfg: DposConfig): Promise<Addr[]> {
  const fs = new FlowStore(sm)
  if ((await fs.committee(cycle).length()) === 0n) return []
  const order = drawCommittee(await fs.drawSeed(cycle), await committeeCandidates(new DposStore(sm), cfg), Number.MAX_SAFE_INTEGER)
  const size = flowOf(cfg).committeeSize
  const current = new Set(await fs.currentCommittee(cycle))
  const out = new Set<Addr>()
  for (let i = size; i < size * (Number(MAX_REDRAWS) + 1) && i < size + order.length; i++) out.add(order[i % order.length]!)
  return [...out].filter((a) => !current.has(a)).sort()
}

/**
 * Rule 1b: every ended cycle of the last REDRAW_SCAN_CYCLES after the last checkpointed one,
 * with a committee and no checkpoint, whose current deadline passed, is redrawn (at most
 * MAX_REDRAWS deadlines). A cycle without traffic is redrawn too (the chain cannot tell it from a
 * silent committee); it costs a few words and penalises no one.
 */
async function redrawLate(sm: StateAccess, fs: FlowStore, cycle: bigint, t: bigint, cfg: DposConfig): Promise<{ cycle: bigint; committee: Addr[] }[]> {
  const out: { cycle: bigint; committee: Addr[] }[] = []
  const last = await fs.lastCycle()
  let from = cycle > REDRAW_SCAN_CYCLES ? cycle - REDRAW_SCAN_CYCLES : 0n
  if (from <= last) from = last + 1n
  for (let c = from; c < cycle; c++) {
    if ((await fs.committee(c).length()) === 0n || (await fs.checkpointStatus(c)) !== CpStatus.None) continue
    const lapses = await fs.lapses(c)
    if (lapses >= MAX_REDRAWS || t < signDeadlineMs(c, lapses, cfg)) continue
    // nobody left to draw: the round stays, the next deadline is one later all the same
    await fs.setLapses(c, lapses + 1n)
    const committee = await redrawCommittee(sm, fs, c, cfg)
    if (committee !== null) out.push({ cycle: c, committee })
  }
  return out
}

/** Is `a` an active RN or CN (fraud proofs and slice challenges come from these)? */
export async function isActiveAuditor(store: DposStore, a: Addr, cfg: DposConfig): Promise<boolean> {
  const n = await store.getNode(a)
  if (n.exitTime !== 0n) return false
  if (n.role === Role.RN) return n.pledge >= cfg.rnPledge
  if (n.role === Role.CN) return n.pledge >= flowOf(cfg).cnPledge
  return false
}

/**
 * Accrues the shared pool's growth into the coin-time bonus index at t (locks.ts
 * accrueBonusIndex), before any coin changes at t, and returns the stored index. Called by every
 * lock credit and withdrawal.
 */
export async function accrueBonus(fs: FlowStore, t: bigint): Promise<BonusIndex> {
  const pool = (await fs.sm.getAccount(SHARED_POOL))?.balance ?? 0n
  const net = await fs.networkSums()
  const index = accrueBonusIndex(await fs.bonusIndex(), pool, coinTime(net.sc, net.scs, t), t)
  await fs.setBonusIndex(index)
  return index
}

/**
 * Credits a lock entry of `amount` at `t` to `a` and keeps the coin-time sums exact: a reward
 * merged into the newest entry (the 65th-entry rule of locks.ts placeLock) is counted at that
 * entry's start, so a later withdrawal removes exactly what was added. `bonusBudget` (locks.ts
 * bonusBudgetOf) is added to the address's coin-time bonus budget.
 * The NFC itself must already sit in the FlowRewards account (the caller moves it).
 */
export async function creditLock(fs: FlowStore, a: Addr, amount: bigint, t: bigint, bonusBudget: bigint): Promise<void> {
  if (amount === 0n) return
  const index = await accrueBonus(fs, t)
  const placed = placeLock(await fs.getLocks(a), amount, t, index)
  await fs.setLocks(a, placed.entries)
  const dScs = amount * placed.startMs
  const net = await fs.networkSums()
  await fs.setNetworkSums({ sc: net.sc + amount, scs: net.scs + dScs })
  const own = await fs.addressSums(a)
  await fs.setAddressSums(a, { sc: own.sc + amount, scs: own.scs + dScs, withdrawn: own.withdrawn })
  if (bonusBudget > 0n) await fs.setBonusBudget(a, (await fs.bonusBudget(a)) + bonusBudget)
}

/**
 * Voids entry i of cycle c: no reward; the session's settled (seq, total) go back to what they
 * were before the entry — only while they are still the entry's own (a later checkpoint that
 * built on it has its own prevTotal and keeps counting from there).
 */
export async function voidEntry(fs: FlowStore, cycle: bigint, i: bigint, e: EntryRecord): Promise<void> {
  await fs.setEntryField(cycle, i, 'status', EntryStatus.Voided)
  const s = await fs.getSession(e.sessionId)
  if (s.seq === e.seq && s.total === e.total) await fs.putSession(e.sessionId, { seq: e.prevSeq, total: e.prevTotal })
}

interface Pair {
  consumer: Addr
  provider: Addr
  relays: Set<Addr>
  counted: bigint
  /** the live entries that make it (voided together if the pair breaks a bound) */
  entries: { index: bigint; record: EntryRecord }[]
}

/**
 * keccak256(32 zero bytes ‖ u32be(0)): the sampleRoot of a receipt that committed to no sampled
 * slice (flow/sampling.ts EMPTY_SAMPLE_ROOT, pinned equal by a test; consensus does not import
 * flow). An entry claiming bytes with it is voided at application (the sampling floor).
 */
export const EMPTY_SAMPLE_ROOT: Uint8Array = core.keccak256(new Uint8Array(36))

/** the largest storage word: a provider's byte total must stay at or below it */
const MAX_WORD = (1n << 256n) - 1n
/** the uint64 bound on a session's running total (flow/receipt.ts MAX_FLOW_TOTAL; consensus does not import flow) */
export const MAX_ENTRY_TOTAL = (1n << 64n) - 1n

async function applyCheckpoint(sm: StateAccess, fs: FlowStore, cycle: bigint, t: bigint, cfg: DposConfig): Promise<AppliedCheckpoint> {
  const flow = flowOf(cfg)
  const store = new DposStore(sm)
  const nb = new NbStore(sm)
  const cp = await fs.getCheckpoint(cycle)
  const voided: bigint[] = []
  const outOfBounds: { index: bigint; reason: string }[] = []
  const pairs = new Map<string, Pair>()
  for (let i = 0n; i < cp.entryCount; i++) {
    const e = await fs.getEntry(cycle, i)
    if (e.status !== EntryStatus.Live) continue
    if (e.challenge === Challenge.Open) {
      await voidEntry(fs, cycle, i, e)
      voided.push(i)
      continue
    }
    if (e.total > MAX_ENTRY_TOTAL) {
      await voidEntry(fs, cycle, i, e)
      outOfBounds.push({ index: i, reason: `total ${e.total} exceeds the uint64 bound` })
      continue
    }
    if (e.total > 0n && bytesEqual(e.sampleRoot, EMPTY_SAMPLE_ROOT)) {
      await voidEntry(fs, cycle, i, e)
      outOfBounds.push({ index: i, reason: `claims ${e.total} bytes but its receipt commits to no sampled slice` })
      continue
    }
    const key = `${e.consumer}${e.provider}`
    let p = pairs.get(key)
    if (p === undefined) pairs.set(key, (p = { consumer: e.consumer, provider: e.provider, relays: new Set(), counted: 0n, entries: [] }))
    for (const r of e.relays) p.relays.add(r)
    p.counted += e.total - e.prevTotal
    p.entries.push({ index: i, record: e })
  }

  const price = await nb.price(flow)
  let { cumulativeBytes: B, minted } = await fs.totals()
  const out: PairReward[] = []
  for (const key of [...pairs.keys()].sort()) {
    const p = pairs.get(key)!
    // a provider total that would overflow its word (a chain that applied an unbounded total
    // before the bound existed): the pair's entries are voided, the block goes on
    if ((await fs.providerTotals(p.provider)).bytes > MAX_WORD - p.counted) {
      for (const { index, record } of p.entries) {
        await voidEntry(fs, cycle, index, record)
        outOfBounds.push({ index, reason: `provider ${p.provider}'s byte total would overflow` })
      }
      continue
    }
    const relays = [...p.relays].sort()
    const votes = (await store.getPosition(p.consumer, p.provider)).votes
    const funder = await nb.funderOf(p.consumer)
    const fundingSources = await nb.fundingSourcesOf(p.consumer, { cycle, windowCycles: flow.selfDealingWindowCycles })
    const selfDealing = isSelfDealing({
      consumer: p.consumer,
      provider: p.provider,
      relays,
      consumerVotesOnProvider: votes,
      funderOfConsumer: funder,
      fundingSources,
    })
    // a provider that is not (or no longer) a pledged node earns nothing, like self-dealing
    const eligible = await isPledgedNode(store, p.provider, PROVIDER_ROLES, cfg)
    const value = selfDealing || !eligible ? 0n : valueBytes(p.counted, flow.logThresholdBytes)
    const owed = fuelOwed(p.counted, flow.fuelPricePerGb)
    const fromEscrow = await nb.burnEscrow(p.consumer, p.provider, owed)
    const burned = fromEscrow + (await nb.burnFrom(p.consumer, owed - fromEscrow))
    const cap = rewardCap(burned, flow.capFactorBps, price)
    const pool = await store.balanceOf(TRAFFIC_POOL_ACCOUNT)
    let reward = trafficReward(B, value)
    if (cap < reward) reward = cap
    if (pool < reward) reward = pool
    B += value
    minted += reward
    const split = splitTrafficReward(reward, relays.length)
    // a relay that is not a pledged RN/CN node: its share goes to the shared pool
    const paidRelays: Addr[] = []
    for (const r of relays) if (await isPledgedNode(store, r, RELAY_ROLES, cfg)) paidRelays.push(r)
    const shared = split.shared + split.perRelay * BigInt(relays.length - paidRelays.length)
    await store.transfer(TRAFFIC_POOL_ACCOUNT, FLOW_REWARDS, reward - shared)
    await store.transfer(TRAFFIC_POOL_ACCOUNT, SHARED_POOL, shared)
    await creditLock(fs, p.provider, split.provider, t, bonusBudgetOf(cap, reward, split.provider))
    for (const r of paidRelays) await creditLock(fs, r, split.perRelay, t, bonusBudgetOf(cap, reward, split.perRelay))
    await fs.addProviderTotals(p.provider, p.counted, split.provider)
    out.push({
      consumer: p.consumer,
      provider: p.provider,
      relays: paidRelays,
      counted: p.counted,
      value,
      selfDealing,
      fuelOwed: owed,
      fuelBurned: burned,
      reward,
      provided: split.provider,
      perRelay: split.perRelay,
      shared,
    })
  }
  await fs.setTotals({ cumulativeBytes: B, minted })
  await fs.putCheckpoint(cycle, { status: CpStatus.Applied })
  outOfBounds.sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0))
  return { cycle, voided, outOfBounds, pairs: out }
}

/** Before the block's transactions, after the DPoS beginBlock: rules 0–3 of the header. */
export async function flowBeginBlock(sm: StateAccess, info: BlockInfo, genesisCfg: DposConfig): Promise<FlowBeginResult> {
  // the parameters governance changed are in force from the block that executed them
  const cfg = await governedConfig(sm, genesisCfg)
  const flow = flowOf(cfg)
  const fs = new FlowStore(sm)
  const cycle = flowCycleAt(info.timestamp, cfg)
  await fs.ensureAccount()
  // rule 0: the shared pool's growth up to this block (the DPoS block reward included) is indexed now
  await accrueBonus(fs, info.timestamp)

  let committee: Addr[] | null = null
  if ((await fs.drawnCycle()) < cycle) {
    committee = drawCommittee(info.parentHash, await committeeCandidates(new DposStore(sm), cfg), flow.committeeSize)
    const list = fs.committee(cycle)
    for (const a of committee) await list.add(a)
    await fs.setDrawSeed(cycle, info.parentHash)
    await fs.setDrawnCycle(cycle)
  }
  const redrawn = await redrawLate(sm, fs, cycle, info.timestamp, cfg)

  const seeded: bigint[] = []
  const pending = await fs.pending(MAX_PENDING_SCAN)
  for (const c of pending) {
    const at = await fs.committedAt(c)
    if (at + flow.sampleLagBlocks + 1n === info.number) {
      await fs.putCheckpoint(c, { seedHash: info.parentHash })
      seeded.push(c)
    }
  }

  const applied: AppliedCheckpoint[] = []
  for (const c of pending.slice(0, Number(MAX_APPLY_PER_BLOCK))) {
    const cp = await fs.getCheckpoint(c)
    if (cp.challengeEndsMs > info.timestamp) break
    applied.push(await applyCheckpoint(sm, fs, c, info.timestamp, cfg))
    await fs.dequeue()
  }
  return { cycle, committee, redrawn, seeded, applied }
}
