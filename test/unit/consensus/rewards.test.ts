import t from 'tap'
import {
  BLOCK_HALF_LIFE_MS,
  BLOCK_POOL_WEI,
  DEFAULT_BLOCK_REWARD_PARAMS,
  YEAR_MS,
  blockReward,
  cumulativeIssuance,
  slotRangeIssuance,
  splitBlockReward,
} from '../../../src/consensus/dpos/rewards.js'
import { isqrt } from '../../../src/consensus/fixedPoint.js'
import { isNfcError } from '../../../src/util/errors.js'
import { prng } from '../../helpers/prng.js'

const Pb = BLOCK_POOL_WEI
const H = BLOCK_HALF_LIFE_MS

// ---- independent reference: ⌊Pb(1 − 2^(−t/H))⌋ via a square-root chain (no ln2, no exp series) ----
const R = 400n
const K = 330
const CHAIN: bigint[] = (() => {
  const c: bigint[] = [0n]
  let s = 2n << R
  for (let i = 1; i <= K; i++) {
    s = isqrt(s << R)
    c.push((1n << (2n * R)) / s)
  }
  return c
})()
function refIssuance(tMs: bigint): bigint {
  const n = tMs / H
  const bits = ((tMs % H) << BigInt(K)) / H
  let v = 1n << R
  for (let i = 1; i <= K; i++) if ((bits >> BigInt(K - i)) & 1n) v = (v * CHAIN[i]!) >> R
  const scaledRemaining = Pb * v // remaining = scaledRemaining / 2^(R+n)
  const den = 1n << (R + n)
  return Pb - (scaledRemaining + den - 1n) / den
}
function randBig(rand: () => number, maxExclusive: bigint): bigint {
  let x = 0n
  for (let i = 0; i < 3; i++) x = (x << 32n) | BigInt(Math.floor(rand() * 4294967296))
  return x % maxExclusive
}

t.test('constants', async (t) => {
  t.equal(Pb, 336_000_000n * 10n ** 18n)
  t.equal(H, 43n * 31_536_000n * 1000n)
  t.equal(DEFAULT_BLOCK_REWARD_PARAMS.poolWei, Pb)
})

t.test('curve: exact points, cap, bad input', async (t) => {
  t.equal(cumulativeIssuance(0n), 0n)
  t.equal(cumulativeIssuance(H), Pb / 2n, 'half the pool after 43 years, exactly')
  t.equal(cumulativeIssuance(2n * H), (Pb * 3n) / 4n)
  t.equal(cumulativeIssuance(5n * H), Pb - Pb / 32n)
  t.ok(cumulativeIssuance(200n * H) < Pb)
  t.equal(cumulativeIssuance(1000n * H), Pb - 1n, 'never reaches Pb')
  const e = t.throws(() => cumulativeIssuance(-1n))
  t.ok(isNfcError(e) && e.code === 'DPOS_BAD_REWARD_INPUT')
  t.throws(() => blockReward(0n, 0n))
  t.throws(() => blockReward(-1n, 1000n))
  t.throws(() => cumulativeIssuance(0n, { poolWei: Pb, halfLifeMs: 0n }))
})

t.test('curve equals the floor of the real value (independent reference) at 1,500 points', async (t) => {
  const rand = prng(2024)
  const pts: bigint[] = [1n, 999n, 1000n, YEAR_MS, H - 1n, H + 1n, 2n * H - 1n, 10n * YEAR_MS, 42n * YEAR_MS]
  for (let i = 0; i < 1500 - pts.length; i++) pts.push(randBig(rand, i % 3 === 0 ? 4n * H : 100n * YEAR_MS))
  const bad: string[] = []
  for (const p of pts) if (cumulativeIssuance(p) !== refIssuance(p)) bad.push(p.toString())
  t.same(bad, [], 'no mismatch (a mismatch of 1 wei is allowed by the analysis only within 2^-165 wei of an integer)')
})

t.test('curve is monotone non-decreasing (dense per-ms windows and random pairs)', async (t) => {
  let bad = 0
  for (const start of [0n, YEAR_MS, 10n * YEAR_MS, H - 2000n, 2n * H - 2000n, 42n * YEAR_MS + 123n]) {
    let prev = cumulativeIssuance(start)
    for (let x = start + 1n; x < start + 4000n; x++) {
      const v = cumulativeIssuance(x)
      if (v < prev) bad++
      prev = v
    }
  }
  const rand = prng(9)
  for (let i = 0; i < 2000; i++) {
    const a = randBig(rand, 3n * H)
    const b = a + randBig(rand, i % 2 ? 10n : 10n ** 9n)
    if (cumulativeIssuance(b) < cumulativeIssuance(a)) bad++
  }
  t.equal(bad, 0)
})

t.test('block reward: per slot, missed slots never minted', async (t) => {
  const interval = 1000n
  t.equal(blockReward(0n, interval), cumulativeIssuance(1000n))
  // ≈ Pb·ln2/H per ms × 1000 ms ≈ 1.717e17 wei at genesis
  const r0 = blockReward(0n, interval)
  t.ok(r0 > 171_700_000_000_000_000n && r0 < 171_800_000_000_000_000n, `reward of slot 0: ${r0}`)
  // 100 slots, every 3rd missed: minted = Σ produced slots = curve difference − Σ missed slots
  let minted = 0n
  let missed = 0n
  for (let s = 0n; s < 100n; s++) {
    if (s % 3n === 2n) missed += blockReward(s, interval)
    else minted += blockReward(s, interval)
  }
  t.equal(minted + missed, slotRangeIssuance(0n, 100n, interval))
  t.ok(minted < cumulativeIssuance(100n * interval))
})

t.test('split: 10% pool (floor), 90% supervisory, bonus ratio to voters, remainder to witness', async (t) => {
  t.same(splitBlockReward(1000n, 2500n), { sharedPool: 100n, supervisory: 900n, voters: 225n, witness: 675n })
  t.same(splitBlockReward(19n, 5000), { sharedPool: 1n, supervisory: 18n, voters: 9n, witness: 9n })
  t.same(splitBlockReward(9n, 3333n), { sharedPool: 0n, supervisory: 9n, voters: 2n, witness: 7n })
  t.same(splitBlockReward(1001n, 0n), { sharedPool: 100n, supervisory: 901n, voters: 0n, witness: 901n })
  t.same(splitBlockReward(1001n, 10000n), { sharedPool: 100n, supervisory: 901n, voters: 901n, witness: 0n })
  const rand = prng(5)
  for (let i = 0; i < 500; i++) {
    const r = randBig(rand, 10n ** 18n)
    const bps = randBig(rand, 10001n)
    const s = splitBlockReward(r, bps)
    if (s.sharedPool + s.voters + s.witness !== r || s.sharedPool !== r / 10n || s.voters !== ((r - r / 10n) * bps) / 10000n) t.fail(`split ${r} ${bps}`)
  }
  for (const bad of [-1n, 10001n, 1.5, Number.NaN]) {
    const e = t.throws(() => splitBlockReward(100n, bad as bigint))
    t.ok(isNfcError(e) && e.code === 'DPOS_BAD_BONUS_RATIO')
  }
  t.throws(() => splitBlockReward(-1n, 0n))
})

t.test('every 1-s slot of a full day at years 0, 10 and 42 (259,200 slots)', async (t) => {
  const interval = 1000n
  const slotsPerDay = 86_400n
  for (const year of [0n, 10n, 42n]) {
    const first = (year * YEAR_MS) / interval
    let sum = 0n
    let prev = -1n
    let increases = 0
    let refMismatch = 0
    for (let s = first; s < first + slotsPerDay; s++) {
      const r = blockReward(s, interval)
      if (prev >= 0n && r > prev) increases++
      if (r <= 0n) increases++
      if ((s - first) % 3600n === 0n || s === first + slotsPerDay - 1n) {
        if (r !== refIssuance((s + 1n) * interval) - refIssuance(s * interval)) refMismatch++
      }
      sum += r
      prev = r
    }
    t.equal(sum, cumulativeIssuance((first + slotsPerDay) * interval) - cumulativeIssuance(first * interval), `year ${year}: Σ = curve difference`)
    t.equal(increases, 0, `year ${year}: per-slot rewards positive and non-increasing`)
    t.equal(refMismatch, 0, `year ${year}: 25 sampled slots equal the reference difference`)
  }
})

t.test('43 years of 1-hour blocks (376,680 blocks): Σ rewards = Pb/2 within one wei per block', async (t) => {
  const interval = 3_600_000n
  const blocks = H / interval
  t.equal(blocks, 376_680n)
  let sum = 0n
  let prev = -1n
  let increases = 0
  let refMismatch = 0
  for (let s = 0n; s < blocks; s++) {
    const r = blockReward(s, interval)
    if (prev >= 0n && r > prev) increases++
    if (s % 1000n === 0n || s === blocks - 1n) {
      if (r !== refIssuance((s + 1n) * interval) - refIssuance(s * interval)) refMismatch++
    }
    sum += r
    prev = r
  }
  const diff = sum > Pb / 2n ? sum - Pb / 2n : Pb / 2n - sum
  t.ok(diff <= blocks, `|Σ − Pb/2| = ${diff} wei ≤ ${blocks}`)
  t.equal(sum, Pb / 2n, 'in fact exact: the curve is exact at one half-life and the sum telescopes')
  t.equal(increases, 0, 'per-block rewards never increase')
  t.equal(refMismatch, 0, '378 sampled blocks equal the independent reference')
  const r0 = blockReward(0n, interval)
  t.ok(prev * 2n > r0 && prev * 2n < r0 + r0 / 1000n, 'last block reward ≈ half the first (slightly above)')
})
