/**
 * Read helpers over the flow store for the RPC (flow_getStats, flow_getRewards,
 * flow_getCheckpoint, flow_getSession) and the FlowRewards views. Read-only; any state (head or
 * archive) works. A view that reads a governed parameter (the RN/CN/EN minimum pledges) takes the
 * genesis config and applies governance's overrides in that state itself (`governedConfig`), so
 * no caller can show the genesis value once a change has executed.
 */
import { bytesToHex } from '@ethereumjs/util'
import { POOLS } from '../../chain/systemAddresses.js'
import { addressOfHex, DposStore, type Addr, type StateAccess } from '../dpos/store.js'
import { flowOf, type DposConfig } from '../dpos/engine.js'
import { governedConfig } from '../gov/params.js'
import { isActiveAuditor, isPledgedNode, PROVIDER_ROLES, reserveOf } from './engine.js'
import { currentEb, rewardPerGb } from './curve.js'
import { coinTime, lockBalances } from './locks.js'
import { CpStatus, EntryStatus, FlowStore, type EntryRecord } from './store.js'
import { NbStore } from './nbStore.js'
import { ChannelStatus, ChannelStore, type Channel } from './channelStore.js'

export interface RewardsView {
  locked: bigint
  unlocking: bigint
  withdrawable: bigint
  /** Σ withdrawn over the address's life (fully withdrawn entries included) */
  withdrawn: bigint
  /** the address's coin-time at t (amount·ms) */
  coinTime: bigint
}

export async function readRewards(sm: StateAccess, address: Addr, t: bigint, cfg: DposConfig): Promise<RewardsView> {
  const fs = new FlowStore(sm)
  const a = address.toLowerCase()
  const { lockMs, unlockMs } = flowOf(cfg)
  const b = lockBalances(await fs.getLocks(a), t, lockMs, unlockMs)
  const sums = await fs.addressSums(a)
  return { locked: b.locked, unlocking: b.unlocking, withdrawable: b.withdrawable, withdrawn: sums.withdrawn, coinTime: coinTime(sums.sc, sums.scs, t) }
}

/** The network coin-time at t. */
export async function readNetworkCoinTime(sm: StateAccess, t: bigint): Promise<bigint> {
  const s = await new FlowStore(sm).networkSums()
  return coinTime(s.sc, s.scs, t)
}

export type CheckpointStatusName = 'pending' | 'applied' | 'voided'

export interface EntryView extends Omit<EntryRecord, 'status'> {
  status: 'live' | 'voided'
}

export interface CheckpointView {
  sideChainId: string
  cycle: bigint
  checkpointHash: string
  status: CheckpointStatusName
  totalBytes: bigint
  totalsRoot: string
  signers: Addr[]
  committedAt: bigint
  challengeEndsAt: bigint
  seedHash: string
  entries: EntryView[]
}

/**
 * The checkpoint of `cycle`, or null. Status 'voided' = every entry voided (a checkpoint as a
 * whole is never voided on chain: its fraud proofs void entries).
 */
export async function readCheckpoint(sm: StateAccess, cycle: bigint, opts: { entries?: boolean } = {}): Promise<CheckpointView | null> {
  const fs = new FlowStore(sm)
  const cp = await fs.getCheckpoint(cycle)
  if (cp.status === CpStatus.None) return null
  const entries: EntryView[] = []
  let live = 0n
  for (let i = 0n; i < cp.entryCount; i++) {
    const e = await fs.getEntry(cycle, i)
    if (e.status === EntryStatus.Live) live++
    if (opts.entries !== false) entries.push({ ...e, status: e.status === EntryStatus.Live ? 'live' : 'voided' })
  }
  const status: CheckpointStatusName = cp.entryCount > 0n && live === 0n ? 'voided' : cp.status === CpStatus.Applied ? 'applied' : 'pending'
  return {
    sideChainId: bytesToHex(cp.sideChainId),
    cycle,
    checkpointHash: bytesToHex(cp.hash),
    status,
    totalBytes: cp.totalBytes,
    totalsRoot: bytesToHex(cp.totalsRoot),
    signers: await fs.signers(cycle).all(),
    committedAt: cp.committedAt,
    challengeEndsAt: cp.challengeEndsMs,
    seedHash: bytesToHex(cp.seedHash),
    entries,
  }
}

/** Settled (seq, total) of a session (zeros when never settled). */
export function readSession(sm: StateAccess, sessionId: Uint8Array): Promise<{ seq: bigint; total: bigint }> {
  return new FlowStore(sm).getSession(sessionId)
}

/**
 * What the flow edge checks of a receipt's parties before it costs a committee any work (DESIGN
 * §12): whether the provider is a pledged node, and what backs the pair's fuel (NB wei): its NB
 * fuel escrow plus the funds still in its payment channels (ChannelStore.pairFunds), since a
 * redeemed voucher moves channel NB into that escrow before the checkpoint burns it (DESIGN §13).
 */
export async function readReceiptParties(
  sm: StateAccess,
  consumer: Addr,
  provider: Addr,
  cfg: DposConfig,
): Promise<{ providerPledged: boolean; escrow: bigint }> {
  return {
    providerPledged: await isPledgedNode(new DposStore(sm), provider, PROVIDER_ROLES, await governedConfig(sm, cfg)),
    escrow: (await new NbStore(sm).escrowOf(consumer, provider)).amount + (await new ChannelStore(sm).pairFunds(consumer, provider)),
  }
}

/** The NB fuel escrow of a (consumer, provider) pair: amount (NB wei) and releaseAt (ms, 0 = none requested). */
export function readEscrow(sm: StateAccess, consumer: Addr, provider: Addr): Promise<{ amount: bigint; releaseAt: bigint }> {
  return new NbStore(sm).escrowOf(consumer, provider)
}

/** The committee of `cycle`'s current round: the first draw, or the last redraw (empty when none was drawn). */
export function readCommittee(sm: StateAccess, cycle: bigint): Promise<Addr[]> {
  return new FlowStore(sm).currentCommittee(cycle)
}

/** The nodes a redraw of `cycle` can bring in (engine.ts reserveOf): they keep its receipts. */
export async function readReserve(sm: StateAccess, cycle: bigint, cfg: DposConfig): Promise<Addr[]> {
  return reserveOf(sm, cycle, await governedConfig(sm, cfg))
}

/** Is `a` an active RN or CN at the minimum pledges in force (Evidence's rule for its senders)? */
export async function readIsActiveAuditor(sm: StateAccess, a: Addr, cfg: DposConfig): Promise<boolean> {
  return isActiveAuditor(new DposStore(sm), a, await governedConfig(sm, cfg))
}

export interface FlowStats {
  cumulativeBytes: bigint
  currentEB: bigint
  rewardPerGB: bigint
  minted: bigint
  trafficPoolRemaining: bigint
  checkpoints: bigint
  topProviders: { address: Addr; bytes: bigint; rewards: bigint }[]
}

/**
 * Traffic totals and the top `top` providers by reward (then bytes, then address). Reads every
 * provider's totals: fine for an RPC view, never called by consensus code.
 */
export async function readFlowStats(sm: StateAccess, top = 10): Promise<FlowStats> {
  const fs = new FlowStore(sm)
  const { cumulativeBytes, minted } = await fs.totals()
  const providers: FlowStats['topProviders'] = []
  for (const a of await fs.providers.all()) providers.push({ address: a, ...(await fs.providerTotals(a)) })
  providers.sort((x, y) =>
    x.rewards !== y.rewards ? (y.rewards > x.rewards ? 1 : -1) : x.bytes !== y.bytes ? (y.bytes > x.bytes ? 1 : -1) : x.address < y.address ? -1 : 1,
  )
  return {
    cumulativeBytes,
    currentEB: currentEb(cumulativeBytes),
    rewardPerGB: rewardPerGb(cumulativeBytes),
    minted,
    trafficPoolRemaining: await new DposStore(sm).balanceOf(addressOfHex(POOLS.trafficMining)),
    checkpoints: await fs.checkpointCount(),
    topProviders: providers.slice(0, top),
  }
}

/** A payment channel (DESIGN §13) with what it can still pay: deposit − redeemed until withdrawn. */
export interface ChannelView extends Channel {
  available: bigint
}

function channelView(c: Channel): ChannelView {
  return { ...c, available: c.status === ChannelStatus.Closed ? 0n : c.deposit - c.redeemed }
}

/** The payment channel `id` (null: no such channel). */
export async function readChannel(sm: StateAccess, id: bigint): Promise<ChannelView | null> {
  const c = await new ChannelStore(sm).get(id)
  return c === null ? null : channelView(c)
}

/** How many channels `address` is a party of, and those at positions start … start + max − 1 (opening order). */
export async function readChannelsOf(sm: StateAccess, address: Addr, start: bigint, max: bigint): Promise<{ total: bigint; channels: ChannelView[] }> {
  const store = new ChannelStore(sm)
  const total = await store.idCount(address)
  const channels: ChannelView[] = []
  for (const id of await store.ids(address, start, start + max)) channels.push(channelView((await store.get(id))!))
  return { total, channels }
}
