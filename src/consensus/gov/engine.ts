/**
 * Governance rules (DESIGN §14): who may propose and vote, when a proposal passes, and its
 * execution, which the node runs at the start of every block (`govBeginBlock`, before the flow
 * engine, so a change executed in a block is in force for that whole block).
 *
 * - Stake: the NFC an address has voted in Staking (Σ of its positions), read when it proposes or
 *   votes. Only an address with stake proposes or votes; one vote per address per proposal,
 *   weighted by its stake then. A vote locks the voter's stake in Staking until the vote ends:
 *   stake it unvotes meanwhile cannot be withdrawn before then (`releaseAfterVotes`), so the
 *   same NFC cannot be moved to a second address and counted again on that proposal (the
 *   unbonding delay alone is shorter than the vote).
 * - Passing: with `stake` the total staked NFC when the proposal was made,
 *     (yes + no) × 10,000 ≥ quorumBps × stake   and   yes × 10,000 > majorityBps × (yes + no).
 * - Execution: at the first block of a flow cycle (a block whose cycle is above its parent's)
 *   whose time is at least endsMs + timelockMs, the oldest open proposals are settled in id
 *   order (their ends only grow with the id: one voting period for all), at most
 *   MAX_SETTLE_PER_BLOCK per block: a passing parameter change is written as an override (and, for
 *   nfcPriceNb, as NB's live price); a passing grant moves NFC from the shared pool to its
 *   recipient, or fails (nothing paid) when the pool holds less than the grant by then; a
 *   proposal that does not pass is rejected. A block before the timelock settles nothing.
 *
 * Determinism: bigint math, proposals in id order, parameters in id order; no clock reads (times
 * are the block's).
 */
import { flowOf, type BlockInfo, type DposConfig } from '../dpos/engine.js'
import { DposStore, SHARED_POOL, addressOfHex, type Addr, type StateAccess } from '../dpos/store.js'
import { flowCycleAt } from '../povf/engine.js'
import { NbStore } from '../povf/nbStore.js'
import type { GovConfig } from '../povf/params.js'
import { PARAM_NFC_PRICE } from './params.js'
import { GovStore, ProposalKind, ProposalStatus, type ProposalRecord } from './store.js'

/** Proposals settled per block at most (the rest wait for the next boundary, in order). */
export const MAX_SETTLE_PER_BLOCK = 16n

/** The NFC `voter` has staked: Σ votes of its Staking positions, wei. */
export async function stakeOf(store: DposStore, voter: Addr): Promise<bigint> {
  let sum = 0n
  for (const c of await store.voterCandidates(voter).all()) sum += (await store.getPosition(voter, c)).votes
  return sum
}

/**
 * When an unbonding entry of a voter may be withdrawn: its own release time, or the end of the
 * latest vote the voter took part in (`GovStore.voteLockUntil`) if that is later.
 */
export function releaseAfterVotes(releaseTime: bigint, voteLockUntilMs: bigint): bigint {
  return voteLockUntilMs > releaseTime ? voteLockUntilMs : releaseTime
}

/** All NFC staked: Σ votes of the candidates (= Σ of every position), wei. */
export async function totalStake(store: DposStore): Promise<bigint> {
  let sum = 0n
  for (const c of await store.candidates.all()) sum += await store.getCandidateField(c, 'votes')
  return sum
}

/** Does a proposal with these votes pass (quorum and majority, see the file header)? */
export function passes(p: Pick<ProposalRecord, 'yes' | 'no' | 'stake'>, gov: Pick<GovConfig, 'quorumBps' | 'majorityBps'>): boolean {
  const cast = p.yes + p.no
  if (cast === 0n) return false
  return cast * 10_000n >= gov.quorumBps * p.stake && p.yes * 10_000n > gov.majorityBps * cast
}

/** When a proposal may be executed, ms: the end of its vote plus the timelock. */
export function executableAtMs(p: Pick<ProposalRecord, 'endsMs'>, gov: Pick<GovConfig, 'timelockMs'>): bigint {
  return p.endsMs + gov.timelockMs
}

/** Why `p` cannot be executed at block time `t` (null: it can, or it is due to be settled). */
export function executionRefusal(p: ProposalRecord, t: bigint, gov: GovConfig): string | null {
  if (p.status !== ProposalStatus.Open) return 'already settled'
  if (t < p.endsMs) return `the vote is still open until ${p.endsMs} ms`
  const at = executableAtMs(p, gov)
  if (t < at) return `the timelock runs until ${at} ms`
  return null
}

/** The first block of a flow cycle: its cycle is above its parent's (the genesis block's child included). */
export function isCycleBoundary(info: Pick<BlockInfo, 'timestamp' | 'parentTimestamp'>, cfg: DposConfig): boolean {
  return flowCycleAt(info.timestamp, cfg) > flowCycleAt(info.parentTimestamp, cfg)
}

export interface Settled {
  id: bigint
  status: number
}

/** Before the block's transactions, after the DPoS beginBlock: the execution rule of the header. */
export async function govBeginBlock(sm: StateAccess, info: BlockInfo, cfg: DposConfig): Promise<Settled[]> {
  const gs = new GovStore(sm)
  const count = await gs.count()
  let cursor = await gs.cursor()
  if (cursor >= count || !isCycleBoundary(info, cfg)) return []
  const gov = flowOf(cfg).gov
  const out: Settled[] = []
  while (cursor < count && BigInt(out.length) < MAX_SETTLE_PER_BLOCK) {
    const p = await gs.getProposal(cursor)
    if (executionRefusal(p, info.timestamp, gov) !== null) break
    const status = passes(p, gov) ? await execute(sm, gs, cursor, p, info.number) : ProposalStatus.Rejected
    await gs.putProposal(cursor, { status, settledBlock: info.number })
    out.push({ id: cursor, status })
    cursor++
  }
  await gs.setCursor(cursor)
  return out
}

async function execute(sm: StateAccess, gs: GovStore, id: bigint, p: ProposalRecord, block: bigint): Promise<number> {
  if (p.kind === ProposalKind.Param) {
    const param = Number(p.param)
    await gs.setOverride(param, { block, proposal: id, value: p.value })
    if (param === PARAM_NFC_PRICE) await new NbStore(sm).setPrice(p.value)
    return ProposalStatus.Executed
  }
  const store = new DposStore(sm)
  if ((await store.balanceOf(SHARED_POOL)) < p.value) return ProposalStatus.Failed
  await store.transfer(SHARED_POOL, addressOfHex(p.to), p.value)
  return ProposalStatus.Executed
}
