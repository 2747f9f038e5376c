import t from 'tap'
import {
  EMPTY_INDEX,
  EMPTY_POSITION,
  REWARD_INDEX_SCALE as S,
  accumulate,
  claim,
  pendingReward,
  pendingScaled,
  unvote,
  vote,
  type RewardIndex,
  type VoterPosition,
} from '../../../src/consensus/dpos/voterIndex.js'
import { isNfcError } from '../../../src/util/errors.js'
import { prng } from '../../helpers/prng.js'

t.test('basic pro-rata and settle-before-change', async (t) => {
  let idx: RewardIndex = EMPTY_INDEX
  let a: VoterPosition = EMPTY_POSITION
  let b: VoterPosition = EMPTY_POSITION
  // no votes yet: the share is undistributed (goes to the witness)
  const r0 = accumulate(idx, 500n, 0n)
  t.equal(r0.undistributed, 500n)
  t.same(r0.index, EMPTY_INDEX)
  a = vote(idx, a, 100n).position
  b = vote(idx, b, 300n).position
  idx = accumulate(idx, 400n, 400n).index
  t.equal(pendingReward(a.votes, idx, a.debt), 100n)
  t.equal(pendingReward(b.votes, idx, b.debt), 300n)
  // a doubles its votes: settles 100 first, then earns on 200
  const va = vote(idx, a, 100n)
  t.equal(va.paid, 100n)
  a = va.position
  idx = accumulate(idx, 500n, 500n).index
  t.equal(pendingReward(a.votes, idx, a.debt), 200n)
  t.equal(pendingReward(b.votes, idx, b.debt), 600n)
  const ub = unvote(idx, b, 300n)
  t.equal(ub.paid, 600n)
  b = ub.position
  t.equal(b.votes, 0n)
  idx = accumulate(idx, 7n, 200n).index
  t.equal(pendingReward(b.votes, idx, b.debt), 0n)
  const ca = claim(idx, a)
  t.equal(ca.paid, 207n)
  const e = t.throws(() => unvote(idx, ca.position, 201n))
  t.ok(isNfcError(e) && e.code === 'DPOS_UNVOTE_EXCEEDS_VOTES')
  t.throws(() => accumulate(idx, -1n, 5n))
})

t.test('sub-wei amounts are carried, not lost: 1 wei over 3 votes, 3 times', async (t) => {
  let idx: RewardIndex = EMPTY_INDEX
  const ps = [vote(idx, EMPTY_POSITION, 1n).position, vote(idx, EMPTY_POSITION, 1n).position, vote(idx, EMPTY_POSITION, 1n).position]
  for (let i = 0; i < 3; i++) idx = accumulate(idx, 1n, 3n).index
  const paid = ps.map((p) => claim(idx, p).paid)
  t.equal(
    paid.reduce((x, y) => x + y, 0n),
    3n,
    'the 3 wei are paid in full',
  )
})

function rb(rand: () => number, bits: number): bigint {
  let x = 0n
  for (let i = 0; i < Math.ceil(bits / 32); i++) x = (x << 32n) | BigInt(Math.floor(rand() * 4294967296))
  return x % (1n << BigInt(bits))
}

t.test('conservation over a seeded random sequence (3 witnesses, 8 voters, 20,000 steps)', async (t) => {
  const rand = prng(1234)
  const W = 3
  const V = 8
  const IDEAL = 10n ** 60n // scale of the exact-entitlement reference
  const idx: RewardIndex[] = Array.from({ length: W }, () => EMPTY_INDEX)
  const total: bigint[] = Array(W).fill(0n)
  const pos: VoterPosition[][] = Array.from({ length: W }, () => Array.from({ length: V }, () => EMPTY_POSITION))
  const paid: bigint[][] = Array.from({ length: W }, () => Array(V).fill(0n))
  const ideal: bigint[][] = Array.from({ length: W }, () => Array(V).fill(0n))
  const allocated: bigint[] = Array(W).fill(0n)
  const undistributed: bigint[] = Array(W).fill(0n)
  let identityFailures = 0
  for (let step = 0; step < 20_000; step++) {
    const w = Math.floor(rand() * W)
    const v = Math.floor(rand() * V)
    const op = rand()
    if (op < 0.5) {
      const k = rand()
      const share = k < 0.3 ? rb(rand, 10) : k < 0.6 ? rb(rand, 40) : rb(rand, 58) // up to ~2.9e17 wei
      const r = accumulate(idx[w]!, share, total[w]!)
      idx[w] = r.index
      undistributed[w]! += r.undistributed
      if (total[w]! > 0n) {
        allocated[w]! += share
        for (let j = 0; j < V; j++) ideal[w]![j]! += (share * pos[w]![j]!.votes * IDEAL) / total[w]!
      }
    } else if (op < 0.7) {
      const amount = rand() < 0.3 ? 1n + rb(rand, 8) : 1n + rb(rand, 90) // 1 wei .. ~1.2e27
      const r = vote(idx[w]!, pos[w]![v]!, amount)
      pos[w]![v] = r.position
      paid[w]![v]! += r.paid
      total[w]! += amount
    } else if (op < 0.85) {
      const held = pos[w]![v]!.votes
      const amount = rand() < 0.3 ? held : held === 0n ? 0n : rb(rand, 96) % (held + 1n)
      const r = unvote(idx[w]!, pos[w]![v]!, amount)
      pos[w]![v] = r.position
      paid[w]![v]! += r.paid
      total[w]! -= amount
    } else {
      const r = claim(idx[w]!, pos[w]![v]!)
      pos[w]![v] = r.position
      paid[w]![v]! += r.paid
    }
    // exact identity: allocated·S = paid·S + carry + Σ pendingScaled
    const pend = pos[w]!.reduce((s, p) => s + pendingScaled(p.votes, idx[w]!, p.debt), 0n)
    const paidW = paid[w]!.reduce((s, x) => s + x, 0n)
    if (allocated[w]! * S !== paidW * S + idx[w]!.carry + pend) identityFailures++
  }
  t.equal(identityFailures, 0, 'Σ allocated = Σ paid + pending + carry, exactly, after every step')
  let fairnessFailures = 0
  for (let w = 0; w < W; w++) {
    for (let v = 0; v < V; v++) {
      const r = claim(idx[w]!, pos[w]![v]!)
      pos[w]![v] = r.position
      paid[w]![v]! += r.paid
      const exact = ideal[w]![v]! // × IDEAL
      const got = paid[w]![v]! * IDEAL
      const d = got > exact ? got - exact : exact - got
      if (d > IDEAL) fairnessFailures++ // within 1 wei of the exact pro-rata entitlement
    }
    const paidW = paid[w]!.reduce((s, x) => s + x, 0n)
    const dustScaled = allocated[w]! * S - paidW * S
    const residuals = pos[w]!.reduce((s, p) => s + pendingScaled(p.votes, idx[w]!, p.debt), 0n)
    t.equal(dustScaled, idx[w]!.carry + residuals, `witness ${w}: dust = carry + residuals`)
    t.ok(dustScaled >= 0n && dustScaled < BigInt(V + 1) * S, `witness ${w}: dust ${allocated[w]! - paidW} wei < ${V + 1}`)
    t.ok(allocated[w]! > 10n ** 18n, `witness ${w}: allocated ${allocated[w]} wei, undistributed ${undistributed[w]}`)
  }
  t.equal(fairnessFailures, 0, 'every voter within 1 wei of its exact pro-rata entitlement')
})
