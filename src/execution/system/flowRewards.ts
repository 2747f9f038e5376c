/**
 * FlowRewards (0x…1002, DESIGN §5.7–§5.9): checkpoints of the flow side-chains, slice openings,
 * locked traffic rewards with the coin-time bonus, and (vestingFunctions.ts) team vesting. The
 * per-block rules (committee draw, application of matured checkpoints) are in
 * src/consensus/povf/engine.ts; the records in src/consensus/povf/store.ts. This account's
 * balance holds every locked and unlocking traffic reward.
 *
 *  submitCheckpoint(bytes) — any sender; RLP([fields…, entries…, signatures…]) (flow/checkpoint.ts).
 *    Refused unless, in this order: it decodes; its cycle has ended (c < current flow cycle) and
 *    is above the last submitted one; the cycle has a committee; not yet submitted; sideChainId
 *    is sideChainIdOf(cycle); prevCheckpoint = the last submitted checkpoint hash (zero for the
 *    first); the signatures recover to distinct members of the cycle's committee (any round), and
 *    at least ⌈2n/3⌉ of them are of one round (n its size; a redraw adds a round, DESIGN §12);
 *    totalBytes = Σ(total − prevTotal) with total ≥ prevTotal; totalsRoot recomputed; per entry
 *    in order: prevTotal = the session's settled total and seq > its settled seq ("replayed
 *    receipt"). Then: entries stored, sessions settled, status pending, challengeEndsMs =
 *    block time + challengeMs, committedAt = block number, queued for the engine. Submitted past
 *    the signing deadline (cycle end + signDeadlineMs), every member of every round that did not
 *    sign is penalised as a violation (penalizeAbsent).
 *  openSlice(cycle, entry, pktSeq, slice, merkleRoot, count, proof) — answers an open slice
 *    challenge before the window ends: the leaf index is openingIndex(seed, count) with seed =
 *    openingSeed(hash of block committedAt + k, sessionId, seq); valid iff verifyOpening. Any
 *    sender may answer (the opening proves itself); a wrong one reverts.
 *  withdraw(amount) — pays `amount` of the caller's unlocked rewards (oldest entries first) and
 *    the coin-time bonus from the shared pool: the pool's growth is accrued into the bonus index
 *    first, then the parts taken are paid what the index owes them, at most the caller's bonus
 *    budget left (locks.ts budgetedBonus; path-independent; rewards + bonuses ≤ capFactor × fuel).
 *  views: rewardsOf, networkCoinTime, checkpointOf, committeeOf, sessionOf, stats.
 *
 * Chain id: the checkpoint digest is EIP-712 with the chain id in its domain. The precompile
 * frame does not pass the chain id, so it is read from the state manager's Common
 * (MerkleStateManager.common — every VM of this node runs on one).
 */
import { bytesToHex } from '@ethereumjs/util'
import { flowOf, penalizeViolation } from '../../consensus/dpos/engine.js'
import type { Addr, StateAccess } from '../../consensus/dpos/store.js'
import { rewardPerGb } from '../../consensus/povf/curve.js'
import { accrueBonus, flowCycleAt, quorumOf, signDeadlineMs } from '../../consensus/povf/engine.js'
import { budgetedBonus, coinTime, lockBalances, takeOldest } from '../../consensus/povf/locks.js'
import { Challenge, CpStatus, EntryStatus, FLOW_REWARDS, FlowStore } from '../../consensus/povf/store.js'
import { readRewards } from '../../consensus/povf/views.js'
import { SHARED_POOL } from '../../consensus/dpos/store.js'
import { checkpointHash, decodeCheckpointCall, providerTotalsOf, recoverCheckpointSigners, sideChainIdOf } from '../../flow/checkpoint.js'
import { totalsRootOf } from '../../flow/sumTree.js'
import { FlowError } from '../../flow/errors.js'
import { openingIndex, openingSeed, verifyOpening } from '../../flow/sampling.js'
import { ensure, event, fn, Revert, type CallContext, type SystemContract } from './contract.js'
import { vestingEvents, vestingFunctions } from './vestingFunctions.js'

export const FLOW_REWARDS_GAS = {
  submitCheckpoint: 80_000n,
  /** per entry: the checks and ~15 storage words */
  perEntry: 25_000n,
  /** per signature: ecrecover and the committee lookup */
  perSignature: 5_000n,
  /** per absent committee member penalised (trust and pledge records) */
  perAbsent: 20_000n,
  /** per 32-byte word of calldata bytes (RLP decoding, hashing) */
  perWord: 6n,
  openSlice: 40_000n,
  withdraw: 40_000n,
  /** per lock entry of the caller (read and rewritten) */
  perLock: 5_000n,
  view: 2_600n,
  /** per item of a returned list or lock entry read by a view */
  perItem: 200n,
} as const

export const CheckpointSubmitted = event('CheckpointSubmitted', [
  { name: 'sideChainId', type: 'bytes32', indexed: true },
  { name: 'cycle', type: 'uint64', indexed: true },
  { name: 'checkpointHash', type: 'bytes32' },
] as const)
/** a committee member that had not signed the cycle's checkpoint by the signing deadline, penalised */
export const MemberAbsent = event('MemberAbsent', [
  { name: 'cycle', type: 'uint64', indexed: true },
  { name: 'member', type: 'address', indexed: true },
  { name: 'slashed', type: 'uint256' },
] as const)
export const SliceOpened = event('SliceOpened', [
  { name: 'cycle', type: 'uint64', indexed: true },
  { name: 'entryIndex', type: 'uint256', indexed: true },
  { name: 'leafIndex', type: 'uint32' },
] as const)
export const Withdrawn = event('Withdrawn', [
  { name: 'account', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
  { name: 'bonus', type: 'uint256' },
] as const)

/** The chain id of the state manager's Common (see the file header). */
export function chainIdOf(sm: StateAccess): bigint {
  const common = (sm as { common?: { chainId(): bigint } }).common
  if (common === undefined || typeof common.chainId !== 'function') throw new TypeError('FlowRewards: the state manager carries no Common (chain id)')
  return common.chainId()
}

const words = (b: Uint8Array): bigint => BigInt(Math.ceil(b.length / 32))

/** runs a flow-format decoder; its FlowError becomes a revert naming the reason */
function decoded<T>(what: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof FlowError) throw new Revert(`invalid ${what}: ${e.message}`)
    throw e
  }
}

/**
 * Past the cycle's first signing deadline, every member of every round that did not sign gets
 * what a proven violation gets (−100 trust, evidenceSlashBps of its pledge: dpos engine
 * penalizeViolation), once, in address order, with a MemberAbsent event. Before the deadline a
 * quorum may go without the rest and no one is penalised: a member had until then to sign.
 */
async function penalizeAbsent(ctx: CallContext, cycle: bigint, rounds: readonly Addr[][], signed: ReadonlySet<Addr>): Promise<void> {
  if (ctx.call.blockTimeMs < signDeadlineMs(cycle, 0n, ctx.cfg)) return
  const absent = [...new Set(rounds.flat())].filter((a) => !signed.has(a)).sort()
  ctx.gas.use(BigInt(absent.length) * FLOW_REWARDS_GAS.perAbsent)
  for (const a of absent) {
    const r = await penalizeViolation(ctx.sm, a, ctx.genesisCfg)
    ctx.emit(MemberAbsent, [cycle, a, r.slashed])
  }
}

async function submitCheckpoint(ctx: CallContext, bytes: Uint8Array): Promise<[]> {
  ctx.gas.use(words(bytes) * FLOW_REWARDS_GAS.perWord)
  const { checkpoint: cp, signatures } = decoded('checkpoint', () => decodeCheckpointCall(bytes))
  ctx.gas.use(BigInt(cp.entries.length) * FLOW_REWARDS_GAS.perEntry + BigInt(signatures.length) * FLOW_REWARDS_GAS.perSignature)
  const flow = flowOf(ctx.cfg)
  const fs = new FlowStore(ctx.sm)
  const t = ctx.call.blockTimeMs

  ensure(cp.cycle < flowCycleAt(t, ctx.cfg), 'cycle has not ended')
  ensure(cp.cycle > (await fs.lastCycle()), 'a later cycle is already checkpointed')
  const committee = fs.committee(cp.cycle)
  ensure((await committee.length()) > 0n, 'no committee for this cycle')
  ensure((await fs.checkpointStatus(cp.cycle)) === CpStatus.None, 'checkpoint already submitted')
  ensure(bytesToHex(cp.sideChainId) === bytesToHex(sideChainIdOf(cp.cycle)), 'wrong side-chain id')
  ensure(bytesToHex(cp.prevCheckpoint) === bytesToHex(await fs.lastCheckpoint()), 'wrong prevCheckpoint')

  const chainId = chainIdOf(ctx.sm)
  const hash = checkpointHash(cp, chainId)
  const signers = decoded('signatures', () => recoverCheckpointSigners(cp, chainId, signatures))
  const seen = new Set<Addr>()
  for (const s of signers) {
    ensure(s !== null, 'invalid signature')
    ensure(!seen.has(s), 'duplicate signer')
    ensure(await fs.inAnyRound(cp.cycle, s), 'signer is not in the committee')
    seen.add(s)
  }
  const rounds = await fs.committeeRounds(cp.cycle)
  ensure(
    rounds.some((r) => BigInt(r.filter((a) => seen.has(a)).length) >= quorumOf(BigInt(r.length))),
    'no quorum of the committee',
  )

  let counted = 0n
  for (const e of cp.entries) {
    ensure(e.total >= e.prevTotal, 'entry total below its prevTotal')
    counted += e.total - e.prevTotal
  }
  ensure(counted === cp.totalBytes, 'totalBytes does not match the entries')
  ensure(bytesToHex(totalsRootOf(providerTotalsOf(cp.entries))) === bytesToHex(cp.totalsRoot), 'totalsRoot does not match the entries')

  for (let i = 0; i < cp.entries.length; i++) {
    const e = cp.entries[i]!
    const s = await fs.getSession(e.sessionId)
    ensure(e.seq > s.seq, 'replayed receipt')
    ensure(e.prevTotal === s.total, 'prevTotal is not the settled total')
    await fs.putEntry(cp.cycle, BigInt(i), {
      sessionId: e.sessionId,
      consumer: e.consumer,
      provider: e.provider,
      relays: e.relays,
      seq: e.seq,
      prevTotal: e.prevTotal,
      total: e.total,
      prevSeq: s.seq,
      sampleRoot: e.sampleRoot,
      receiptHash: e.receiptHash,
      status: EntryStatus.Live,
      challenge: Challenge.None,
    })
    await fs.putSession(e.sessionId, { seq: e.seq, total: e.total })
  }
  const sig = fs.signers(cp.cycle)
  for (const s of [...seen].sort()) await sig.add(s)
  await fs.putCheckpoint(cp.cycle, {
    hash,
    status: CpStatus.Pending,
    committedAt: ctx.call.blockNumber,
    challengeEndsMs: t + flow.challengeMs,
    totalBytes: cp.totalBytes,
    totalsRoot: cp.totalsRoot,
    sideChainId: cp.sideChainId,
    entryCount: BigInt(cp.entries.length),
  })
  await penalizeAbsent(ctx, cp.cycle, rounds, seen)
  await fs.enqueue(cp.cycle)
  await fs.setLastCheckpoint(hash)
  await fs.setLastCycle(cp.cycle)
  await fs.setCheckpointCount((await fs.checkpointCount()) + 1n)
  ctx.emit(CheckpointSubmitted, [cp.sideChainId, cp.cycle, hash])
  return []
}

async function openSlice(
  ctx: CallContext,
  cycle: bigint,
  entryIndex: bigint,
  pktSeq: bigint,
  slice: Uint8Array,
  merkleRoot: Uint8Array,
  count: bigint,
  proof: Uint8Array[],
): Promise<[]> {
  ctx.gas.use((words(slice) + BigInt(proof.length)) * FLOW_REWARDS_GAS.perWord)
  const fs = new FlowStore(ctx.sm)
  const cp = await fs.getCheckpoint(cycle)
  ensure(cp.status === CpStatus.Pending, 'checkpoint is not pending')
  ensure(ctx.call.blockTimeMs < cp.challengeEndsMs, 'challenge window is over')
  ensure(entryIndex < cp.entryCount, 'no such entry')
  const e = await fs.getEntry(cycle, entryIndex)
  ensure(e.status === EntryStatus.Live, 'entry is voided')
  ensure(e.challenge === Challenge.Open, 'no open challenge on this entry')
  ensure(count >= 1n, 'count must be at least 1')
  const index = openingIndex(openingSeed(cp.seedHash, e.sessionId, e.seq), Number(count))
  const ok = verifyOpening(e.sampleRoot, index, { pktSeq: Number(pktSeq), slice, merkleRoot, count: Number(count), proof })
  ensure(ok, 'opening does not match the sample root')
  await fs.setEntryField(cycle, entryIndex, 'challenge', Challenge.Answered)
  ctx.emit(SliceOpened, [cycle, entryIndex, BigInt(index)])
  return []
}

async function withdraw(ctx: CallContext, amount: bigint): Promise<[]> {
  ensure(amount > 0n, 'amount must be positive')
  const { lockMs, unlockMs } = flowOf(ctx.cfg)
  const fs = new FlowStore(ctx.sm)
  const a = ctx.sender
  const t = ctx.call.blockTimeMs
  const locks = await fs.getLocks(a)
  ctx.gas.use(BigInt(locks.length) * FLOW_REWARDS_GAS.perLock)
  ensure(amount <= lockBalances(locks, t, lockMs, unlockMs).withdrawable, 'amount exceeds withdrawable')
  const taken = takeOldest(locks, amount, t, lockMs, unlockMs)
  const index = await accrueBonus(fs, t)
  const shared = await ctx.store.balanceOf(SHARED_POOL)
  const budget = await fs.bonusBudget(a)
  const bonus = budgetedBonus(taken.parts, index, budget, shared)
  await fs.setBonusIndex({ ...index, seen: index.seen - bonus })
  if (bonus > 0n) await fs.setBonusBudget(a, budget - bonus)
  const net = await fs.networkSums()
  const dScs = taken.parts.reduce((s, p) => s + p.amount * p.startMs, 0n)
  await fs.setLocks(a, taken.entries)
  await fs.setNetworkSums({ sc: net.sc - amount, scs: net.scs - dScs })
  const own = await fs.addressSums(a)
  await fs.setAddressSums(a, { sc: own.sc - amount, scs: own.scs - dScs, withdrawn: own.withdrawn + amount })
  await ctx.store.transfer(FLOW_REWARDS, ctx.call.caller, amount)
  await ctx.store.transfer(SHARED_POOL, ctx.call.caller, bonus)
  ctx.emit(Withdrawn, [a, amount, bonus])
  return []
}

export const flowRewards: SystemContract = {
  name: 'FlowRewards',
  address: FLOW_REWARDS,
  events: [CheckpointSubmitted, MemberAbsent, SliceOpened, Withdrawn, ...vestingEvents],
  functions: [
    fn({
      name: 'submitCheckpoint',
      inputs: ['bytes'],
      outputs: [],
      mutability: 'nonpayable',
      gas: FLOW_REWARDS_GAS.submitCheckpoint,
      run: (ctx, [b]) => submitCheckpoint(ctx, b),
    }),
    fn({
      name: 'openSlice',
      inputs: ['uint64', 'uint256', 'uint32', 'bytes', 'bytes32', 'uint32', 'bytes32[]'],
      outputs: [],
      mutability: 'nonpayable',
      gas: FLOW_REWARDS_GAS.openSlice,
      run: (ctx, [c, i, pktSeq, slice, root, count, proof]) => openSlice(ctx, c, i, pktSeq, slice, root, count, proof),
    }),
    fn({
      name: 'withdraw',
      inputs: ['uint256'],
      outputs: [],
      mutability: 'nonpayable',
      gas: FLOW_REWARDS_GAS.withdraw,
      run: (ctx, [amount]) => withdraw(ctx, amount),
    }),
    fn({
      name: 'rewardsOf',
      inputs: ['address'],
      outputs: ['uint256', 'uint256', 'uint256', 'uint256', 'uint256'],
      mutability: 'view',
      gas: FLOW_REWARDS_GAS.view,
      run: async (ctx, [a]) => {
        const r = await readRewards(ctx.sm, a, ctx.call.blockTimeMs, ctx.cfg)
        return [r.locked, r.unlocking, r.withdrawable, r.withdrawn, r.coinTime]
      },
    }),
    fn({
      name: 'networkCoinTime',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: FLOW_REWARDS_GAS.view,
      run: async (ctx) => {
        const s = await new FlowStore(ctx.sm).networkSums()
        return [coinTime(s.sc, s.scs, ctx.call.blockTimeMs)]
      },
    }),
    fn({
      name: 'checkpointOf',
      inputs: ['uint64'],
      outputs: ['bytes32', 'uint8', 'uint256', 'uint256', 'uint256'],
      mutability: 'view',
      gas: FLOW_REWARDS_GAS.view,
      run: async (ctx, [c]) => {
        const cp = await new FlowStore(ctx.sm).getCheckpoint(c)
        return [cp.hash, cp.status, cp.committedAt, cp.challengeEndsMs, cp.entryCount]
      },
    }),
    fn({
      name: 'committeeOf',
      inputs: ['uint64'],
      outputs: ['address[]'],
      mutability: 'view',
      gas: FLOW_REWARDS_GAS.view,
      run: async (ctx, [c]) => {
        const list = new FlowStore(ctx.sm).committee(c)
        ctx.gas.use((await list.length()) * FLOW_REWARDS_GAS.perItem)
        return [await list.all()]
      },
    }),
    fn({
      name: 'sessionOf',
      inputs: ['bytes32'],
      outputs: ['uint64', 'uint256'],
      mutability: 'view',
      gas: FLOW_REWARDS_GAS.view,
      run: async (ctx, [id]) => {
        const s = await new FlowStore(ctx.sm).getSession(id)
        return [s.seq, s.total]
      },
    }),
    fn({
      name: 'stats',
      inputs: [],
      outputs: ['uint256', 'uint256', 'uint256'],
      mutability: 'view',
      gas: FLOW_REWARDS_GAS.view,
      run: async (ctx) => {
        const tot = await new FlowStore(ctx.sm).totals()
        return [tot.cumulativeBytes, tot.minted, rewardPerGb(tot.cumulativeBytes)]
      },
    }),
    ...vestingFunctions,
  ],
}
