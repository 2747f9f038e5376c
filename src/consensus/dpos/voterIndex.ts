/**
 * Cumulative reward-per-vote index per witness (DESIGN §4 "Voter pay"), MasterChef/Synthetix
 * style: a claim costs O(1) whatever the number of blocks, cycles or voters.
 *
 * Per witness:  index = { acc, carry }
 *   acc   — Σ over blocks of ⌊(voterShare·SCALE + carry) / totalVotes⌋: reward per vote, scaled
 *   carry — the remainder of that division (0 ≤ carry < totalVotes), in wei·SCALE, carried into
 *           the next block so the index itself never loses or creates value.
 * Per (voter, witness):  position = { votes, debt }
 *   pendingScaled = votes·acc − debt   (wei·SCALE)
 *   pending       = ⌊pendingScaled / SCALE⌋ wei
 *   A settle (claim, or before any vote change) pays `pending` and keeps the sub-wei residual
 *   (pendingScaled mod SCALE) in the position by setting debt = votes·acc − residual; so debt
 *   is a SIGNED value ≥ −(SCALE−1) (negative only when votes = 0 and a residual is kept).
 *
 * Conservation (exact, checked by the tests): for one witness,
 *   Σ allocated·SCALE = Σ paid·SCALE + carry + Σ_voters pendingScaled
 * provided the chain passes, at every block, totalVotes = Σ votes of the positions.
 * After everyone has settled, the undistributed dust is (carry + Σ residual)/SCALE
 * < 1 + (number of voters of that witness) wei in total — over the whole history, not per
 * block, because residuals and the carry are kept, never dropped. Each voter's total pay is
 * within 1 wei (plus a sub-wei share of earlier carries) of its exact pro-rata entitlement.
 *
 * A block whose witness has no votes (totalVotes = 0) cannot pay voters: accumulate returns
 * the whole voter share as `undistributed`, which the chain credits to the witness.
 */
import { NfcError } from '../../util/errors.js'
import { DposError } from './errors.js'

/** Fixed-point scale of the reward-per-vote index. */
export const REWARD_INDEX_SCALE = 10n ** 36n

export interface RewardIndex {
  /** Cumulative reward per vote × SCALE. Never decreases. */
  readonly acc: bigint
  /** Division remainder carried to the next block, in wei × SCALE; 0 ≤ carry. */
  readonly carry: bigint
}

export interface VoterPosition {
  /** The voter's votes for this witness (wei of NFC locked). */
  readonly votes: bigint
  /** votes·acc at the last settle minus the kept sub-wei residual (signed, wei × SCALE). */
  readonly debt: bigint
}

export const EMPTY_INDEX: RewardIndex = Object.freeze({ acc: 0n, carry: 0n })
export const EMPTY_POSITION: VoterPosition = Object.freeze({ votes: 0n, debt: 0n })

function nonNegative(name: string, v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n) throw new NfcError(DposError.BAD_INDEX_INPUT, `${name} must be a non-negative bigint`, { [name]: v })
}

/**
 * Adds one block's voter share to a witness's index. `totalVotes` is the witness's total
 * votes at that block (Σ of its voters' positions). Returns the new index and the part that
 * could not be distributed (the whole share when totalVotes = 0; otherwise 0).
 */
export function accumulate(index: RewardIndex, voterShare: bigint, totalVotes: bigint): { index: RewardIndex; undistributed: bigint } {
  nonNegative('voterShare', voterShare)
  nonNegative('totalVotes', totalVotes)
  if (totalVotes === 0n || voterShare === 0n) return { index, undistributed: totalVotes === 0n ? voterShare : 0n }
  const numerator = voterShare * REWARD_INDEX_SCALE + index.carry
  return {
    index: { acc: index.acc + numerator / totalVotes, carry: numerator % totalVotes },
    undistributed: 0n,
  }
}

/** Pending reward of a position, in scaled units (wei × SCALE). */
export function pendingScaled(voterVotes: bigint, index: RewardIndex, voterDebt: bigint): bigint {
  return voterVotes * index.acc - voterDebt
}

/** Pending reward of a position in wei: ⌊(votes·acc − debt) / SCALE⌋. */
export function pendingReward(voterVotes: bigint, index: RewardIndex, voterDebt: bigint): bigint {
  const p = pendingScaled(voterVotes, index, voterDebt)
  if (p < 0n) throw new NfcError(DposError.BAD_INDEX_INPUT, 'inconsistent position (negative pending)', { p })
  return p / REWARD_INDEX_SCALE
}

/**
 * Settles a position against the index: returns the wei to pay (the whole-wei pending) and
 * the position with its sub-wei residual kept. Used by claim and before every vote change.
 */
export function settle(index: RewardIndex, position: VoterPosition): { position: VoterPosition; paid: bigint } {
  const p = pendingScaled(position.votes, index, position.debt)
  if (p < 0n) throw new NfcError(DposError.BAD_INDEX_INPUT, 'inconsistent position (negative pending)', { p })
  const paid = p / REWARD_INDEX_SCALE
  const residual = p - paid * REWARD_INDEX_SCALE
  return { position: { votes: position.votes, debt: position.votes * index.acc - residual }, paid }
}

/** Claim = settle: pays the pending whole wei, keeps the residual. */
export const claim = settle

/**
 * Changes a position's votes to `newVotes` after settling the pending amount first
 * (the caller pays `paid` and adjusts the witness's totalVotes by newVotes − old votes).
 */
export function setVotes(index: RewardIndex, position: VoterPosition, newVotes: bigint): { position: VoterPosition; paid: bigint } {
  nonNegative('newVotes', newVotes)
  const s = settle(index, position)
  const residual = s.position.votes * index.acc - s.position.debt
  return { position: { votes: newVotes, debt: newVotes * index.acc - residual }, paid: s.paid }
}

/** vote(amount): settle, then votes += amount. */
export function vote(index: RewardIndex, position: VoterPosition, amount: bigint): { position: VoterPosition; paid: bigint } {
  nonNegative('amount', amount)
  return setVotes(index, position, position.votes + amount)
}

/** unvote(amount): settle, then votes −= amount (throws DPOS_UNVOTE_EXCEEDS_VOTES if more than held). */
export function unvote(index: RewardIndex, position: VoterPosition, amount: bigint): { position: VoterPosition; paid: bigint } {
  nonNegative('amount', amount)
  if (amount > position.votes)
    throw new NfcError(DposError.UNVOTE_EXCEEDS_VOTES, 'unvote exceeds the votes held', {
      amount,
      votes: position.votes,
    })
  return setVotes(index, position, position.votes - amount)
}
