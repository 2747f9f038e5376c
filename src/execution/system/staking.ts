/**
 * Staking (0x…1000, DESIGN §4): candidates, votes, unbonding and reward claims.
 *
 * Decisions:
 *  - vote(candidate, amount) is payable and msg.value must equal amount: the EVM has already
 *    moved the NFC from the voter to this account when the call runs, so a wallet shows the NFC
 *    leaving the voter's balance like any payment; a revert gives it back.
 *  - Every vote change settles the position first (voterIndex): pending voter rewards are PAID
 *    OUT to the voter at once, from this account (which the engine funds with each block's
 *    supervisory share), and a RewardsClaimed event says so. Nothing is kept "owed" aside.
 *  - A position unvoted to zero is closed: the voter leaves the candidate's voter list and the
 *    sub-wei residual the index kept for it is dropped (< 1 wei stays in this account as dust).
 *    So claimRewards and votesOf only ever walk open positions.
 *  - Votes go only to a registered candidate whose node has not exited (an exited node can never
 *    be elected: votes for it would earn nothing). Unvote works for any position.
 *  - Payouts are balance credits (no code runs at the payee): no re-entrancy, and Σ balances is
 *    unchanged by every call (value only moves between accounts).
 *  - claimRewards reverts "nothing to claim" when there is nothing (saves a useless tx).
 *  - `removed` in candidate() is "removed for the rest of the cycle in force"
 *    (removedInCycle = cycle + 1, as engine.ts writes it).
 *  - An address that voted on a governance proposal withdraws unbonded stake only once that vote
 *    has ended (consensus/gov/engine.ts `releaseAfterVotes`): the same NFC cannot vote twice.
 */
import { INITIAL_TRUST } from '../../consensus/dpos/params.js'
import { MAX_UNBONDING_ENTRIES, Role, STAKING, type Addr, type DposStore, type UnbondingEntry } from '../../consensus/dpos/store.js'
import { releaseAfterVotes } from '../../consensus/gov/engine.js'
import { GovStore } from '../../consensus/gov/store.js'
import { pendingReward, settle, unvote as unvoteIndex, vote as voteIndex, type RewardIndex } from '../../consensus/dpos/voterIndex.js'
import { ensure, event, fn, type CallContext, type SystemContract } from './contract.js'

/** Gas (fixed part; loops add the per-item part before they run). */
export const STAKING_GAS = {
  registerCandidate: 60_000n,
  /** per 32-byte word of the url */
  registerCandidatePerUrlWord: 5_000n,
  setBonusRatio: 20_000n,
  vote: 50_000n,
  unvote: 50_000n,
  /** includes the governance vote lock read (GovStore.voteLockUntil) */
  withdrawUnbonded: 30_000n,
  /** per unbonding entry (read, and rewritten or cleared) */
  withdrawUnbondedPerEntry: 5_000n,
  claimRewards: 30_000n,
  /** per open position (settle and rewrite) */
  claimRewardsPerPosition: 10_000n,
  view: 2_600n,
  /** candidate(): the record and its url */
  candidate: 5_000n,
  /** per address in a returned list */
  perListItem: 200n,
  /** votesOf / pendingRewards: per position read */
  perPosition: 2_100n,
} as const

export const MAX_URL_BYTES = 256
export const MAX_BONUS_BPS = 10_000n

export const CandidateRegistered = event('CandidateRegistered', [
  { name: 'candidate', type: 'address', indexed: true },
  { name: 'bonusRatioBps', type: 'uint16' },
  { name: 'url', type: 'string' },
] as const)
export const BonusRatioSet = event('BonusRatioSet', [
  { name: 'candidate', type: 'address', indexed: true },
  { name: 'bps', type: 'uint16' },
] as const)
export const Voted = event('Voted', [
  { name: 'voter', type: 'address', indexed: true },
  { name: 'candidate', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
] as const)
export const Unvoted = event('Unvoted', [
  { name: 'voter', type: 'address', indexed: true },
  { name: 'candidate', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
  { name: 'releaseTime', type: 'uint256' },
] as const)
export const Withdrawn = event('Withdrawn', [
  { name: 'voter', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
] as const)
export const RewardsClaimed = event('RewardsClaimed', [
  { name: 'account', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
] as const)

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000'

async function indexOf(store: DposStore, candidate: Addr): Promise<RewardIndex> {
  const c = await store.getCandidate(candidate)
  return { acc: c.acc, carry: c.carry }
}

async function pay(ctx: CallContext, amount: bigint): Promise<void> {
  if (amount === 0n) return
  ensure((await ctx.store.balanceOf(STAKING)) >= amount, 'Staking balance short')
  await ctx.store.transfer(STAKING, ctx.call.caller, amount)
}

async function registerCandidate(ctx: CallContext, bps: bigint, url: string): Promise<[]> {
  const { store, sender } = ctx
  ensure(bps <= MAX_BONUS_BPS, 'bonus ratio above 10000 bps')
  const urlBytes = new TextEncoder().encode(url).length
  ensure(urlBytes <= MAX_URL_BYTES, 'url longer than 256 bytes')
  ctx.gas.use(BigInt(Math.ceil(urlBytes / 32)) * STAKING_GAS.registerCandidatePerUrlWord)
  const node = await store.getNode(sender)
  ensure(node.role === Role.RN, 'only a pledged RN can register: pledge(1) on NodeRegistry first')
  ensure(node.exitTime === 0n, 'node has exited')
  ensure(node.pledge >= ctx.cfg.rnPledge, 'pledge below the RN minimum')
  ensure(!(await store.getCandidateField(sender, 'registered')), 'already registered')
  await store.putCandidate(sender, { registered: true, bonusBps: bps, pendingBonusBps: bps, trust: INITIAL_TRUST })
  await store.setUrl(sender, url)
  await store.candidates.add(sender)
  ctx.emit(CandidateRegistered, [sender, bps, url])
  return []
}

async function setBonusRatio(ctx: CallContext, bps: bigint): Promise<[]> {
  ensure(bps <= MAX_BONUS_BPS, 'bonus ratio above 10000 bps')
  ensure(await ctx.store.getCandidateField(ctx.sender, 'registered'), 'not a candidate')
  await ctx.store.putCandidate(ctx.sender, { pendingBonusBps: bps })
  ctx.emit(BonusRatioSet, [ctx.sender, bps])
  return []
}

async function vote(ctx: CallContext, candidate: Addr, amount: bigint): Promise<[]> {
  const { store, sender } = ctx
  ensure(amount > 0n, 'vote amount must be positive')
  ensure(ctx.call.value === amount, 'msg.value must equal amount')
  const c = await store.getCandidate(candidate)
  ensure(c.registered, 'not a candidate')
  ensure((await store.getNode(candidate)).exitTime === 0n, 'candidate has exited')
  const r = voteIndex({ acc: c.acc, carry: c.carry }, await store.getPosition(sender, candidate), amount)
  await store.putPosition(sender, candidate, r.position)
  await store.putCandidate(candidate, { votes: c.votes + amount })
  await store.voterCandidates(sender).add(candidate)
  await pay(ctx, r.paid)
  ctx.emit(Voted, [sender, candidate, amount])
  if (r.paid > 0n) ctx.emit(RewardsClaimed, [sender, r.paid])
  return []
}

async function unvote(ctx: CallContext, candidate: Addr, amount: bigint): Promise<[]> {
  const { store, sender } = ctx
  ensure(amount > 0n, 'unvote amount must be positive')
  const pos = await store.getPosition(sender, candidate)
  ensure(amount <= pos.votes, 'unvote exceeds your votes')
  const entries = await store.getUnbonding(sender)
  ensure(entries.length < MAX_UNBONDING_ENTRIES, 'too many pending unbondings: withdrawUnbonded first')
  const c = await store.getCandidate(candidate)
  const r = unvoteIndex({ acc: c.acc, carry: c.carry }, pos, amount)
  if (r.position.votes === 0n) {
    await store.putPosition(sender, candidate, { votes: 0n, debt: 0n })
    await store.voterCandidates(sender).remove(candidate)
  } else {
    await store.putPosition(sender, candidate, r.position)
  }
  await store.putCandidate(candidate, { votes: c.votes - amount })
  const releaseTime = ctx.call.blockTimeMs + ctx.cfg.unbondingDelayMs
  await store.setUnbonding(sender, [...entries, { amount, releaseTime }])
  await pay(ctx, r.paid)
  ctx.emit(Unvoted, [sender, candidate, amount, releaseTime])
  if (r.paid > 0n) ctx.emit(RewardsClaimed, [sender, r.paid])
  return []
}

async function withdrawUnbonded(ctx: CallContext): Promise<[]> {
  const { store, sender } = ctx
  // at most MAX_UNBONDING_ENTRIES: reading them all before charging is bounded
  const entries = await store.getUnbonding(sender)
  ctx.gas.use(BigInt(entries.length) * STAKING_GAS.withdrawUnbondedPerEntry)
  ensure(entries.length > 0, 'nothing unbonding')
  const now = ctx.call.blockTimeMs
  const lockMs = await new GovStore(ctx.sm).voteLockUntil(sender)
  let amount = 0n
  const rest: UnbondingEntry[] = []
  for (const e of entries) {
    if (releaseAfterVotes(e.releaseTime, lockMs) <= now) amount += e.amount
    else rest.push(e)
  }
  const lockedByVote = lockMs > now && entries.some((e) => e.releaseTime <= now)
  ensure(
    amount > 0n,
    lockedByVote
      ? `nothing to withdraw yet (unbonded stake that voted on a proposal stays locked until its vote ends at ${lockMs} ms)`
      : 'nothing to withdraw yet',
  )
  await store.setUnbonding(sender, rest)
  ensure((await store.balanceOf(STAKING)) >= amount, 'Staking balance short')
  await store.transfer(STAKING, ctx.call.caller, amount)
  ctx.emit(Withdrawn, [sender, amount])
  return []
}

async function claimRewards(ctx: CallContext): Promise<[]> {
  const { store, sender } = ctx
  const list = store.voterCandidates(sender)
  ctx.gas.use((await list.length()) * STAKING_GAS.claimRewardsPerPosition)
  let total = 0n
  for (const candidate of await list.all()) {
    const r = settle(await indexOf(store, candidate), await store.getPosition(sender, candidate))
    if (r.paid === 0n) continue
    await store.putPosition(sender, candidate, r.position)
    total += r.paid
  }
  const own = await store.getCandidateField(sender, 'witnessBalance')
  if (own > 0n) {
    await store.putCandidate(sender, { witnessBalance: 0n })
    total += own
  }
  ensure(total > 0n, 'nothing to claim')
  await pay(ctx, total)
  ctx.emit(RewardsClaimed, [sender, total])
  return []
}

/** Voter rewards over every open position plus the witness balance. */
async function pendingOf(ctx: CallContext, account: Addr): Promise<bigint> {
  const { store } = ctx
  const list = store.voterCandidates(account)
  ctx.gas.use((await list.length()) * STAKING_GAS.perPosition)
  let total = await store.getCandidateField(account, 'witnessBalance')
  for (const candidate of await list.all()) {
    const p = await store.getPosition(account, candidate)
    total += pendingReward(p.votes, await indexOf(store, candidate), p.debt)
  }
  return total
}

export const staking: SystemContract = {
  name: 'Staking',
  address: STAKING,
  events: [CandidateRegistered, BonusRatioSet, Voted, Unvoted, Withdrawn, RewardsClaimed],
  functions: [
    fn({
      name: 'registerCandidate',
      inputs: ['uint16', 'string'],
      outputs: [],
      mutability: 'nonpayable',
      gas: STAKING_GAS.registerCandidate,
      run: (ctx, [bps, url]) => registerCandidate(ctx, bps, url),
    }),
    fn({
      name: 'setBonusRatio',
      inputs: ['uint16'],
      outputs: [],
      mutability: 'nonpayable',
      gas: STAKING_GAS.setBonusRatio,
      run: (ctx, [bps]) => setBonusRatio(ctx, bps),
    }),
    fn({
      name: 'vote',
      inputs: ['address', 'uint256'],
      outputs: [],
      mutability: 'payable',
      gas: STAKING_GAS.vote,
      run: (ctx, [candidate, amount]) => vote(ctx, candidate, amount),
    }),
    fn({
      name: 'unvote',
      inputs: ['address', 'uint256'],
      outputs: [],
      mutability: 'nonpayable',
      gas: STAKING_GAS.unvote,
      run: (ctx, [candidate, amount]) => unvote(ctx, candidate, amount),
    }),
    fn({
      name: 'withdrawUnbonded',
      inputs: [],
      outputs: [],
      mutability: 'nonpayable',
      gas: STAKING_GAS.withdrawUnbonded,
      run: (ctx) => withdrawUnbonded(ctx),
    }),
    fn({
      name: 'claimRewards',
      inputs: [],
      outputs: [],
      mutability: 'nonpayable',
      gas: STAKING_GAS.claimRewards,
      run: (ctx) => claimRewards(ctx),
    }),
    fn({
      name: 'getCandidates',
      inputs: [],
      outputs: ['address[]'],
      mutability: 'view',
      gas: STAKING_GAS.view,
      run: async (ctx) => {
        ctx.gas.use((await ctx.store.candidates.length()) * STAKING_GAS.perListItem)
        return [await ctx.store.candidates.all()]
      },
    }),
    fn({
      name: 'candidate',
      inputs: ['address'],
      outputs: ['bool', 'uint256', 'int256', 'uint16', 'uint16', 'bool', 'string'],
      mutability: 'view',
      gas: STAKING_GAS.candidate,
      run: async (ctx, [a]) => {
        const c = await ctx.store.getCandidate(a)
        const removed = c.removedInCycle !== 0n && c.removedInCycle === (await ctx.store.getCycle()) + 1n
        return [c.registered, c.votes, c.trust, c.bonusBps, c.pendingBonusBps, removed, await ctx.store.getUrl(a)]
      },
    }),
    fn({
      name: 'getWitnesses',
      inputs: [],
      outputs: ['address[]'],
      mutability: 'view',
      gas: STAKING_GAS.view,
      run: async (ctx) => {
        const seats = await ctx.store.getSeats()
        ctx.gas.use(BigInt(seats.length) * STAKING_GAS.perListItem)
        return [seats.map((s) => s ?? ZERO_ADDRESS)]
      },
    }),
    fn({
      name: 'getStandby',
      inputs: [],
      outputs: ['address[]'],
      mutability: 'view',
      gas: STAKING_GAS.view,
      run: async (ctx) => {
        const standby = await ctx.store.getStandby()
        ctx.gas.use(BigInt(standby.length) * STAKING_GAS.perListItem)
        return [standby]
      },
    }),
    fn({
      name: 'votesOf',
      inputs: ['address'],
      outputs: ['address[]', 'uint256[]'],
      mutability: 'view',
      gas: STAKING_GAS.view,
      run: async (ctx, [voter]) => {
        const list = ctx.store.voterCandidates(voter)
        ctx.gas.use((await list.length()) * STAKING_GAS.perPosition)
        const candidates = await list.all()
        const amounts: bigint[] = []
        for (const c of candidates) amounts.push((await ctx.store.getPosition(voter, c)).votes)
        return [candidates, amounts]
      },
    }),
    fn({
      name: 'pendingRewards',
      inputs: ['address'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: STAKING_GAS.view,
      run: async (ctx, [account]) => [await pendingOf(ctx, account)],
    }),
    fn({
      name: 'unbonding',
      inputs: ['address'],
      outputs: ['uint256', 'uint256'],
      mutability: 'view',
      gas: STAKING_GAS.view,
      run: async (ctx, [voter]) => {
        const entries = await ctx.store.getUnbonding(voter) // ≤ MAX_UNBONDING_ENTRIES
        ctx.gas.use(BigInt(entries.length) * STAKING_GAS.perListItem)
        const lockMs = await new GovStore(ctx.sm).voteLockUntil(voter)
        let locked = 0n
        let withdrawable = 0n
        for (const e of entries) {
          if (releaseAfterVotes(e.releaseTime, lockMs) <= ctx.call.blockTimeMs) withdrawable += e.amount
          else locked += e.amount
        }
        return [locked, withdrawable]
      },
    }),
  ],
}
