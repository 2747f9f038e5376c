import t from 'tap'
import { PovfErrorCode } from '../../../../src/consensus/povf/errors.js'
import {
  MAX_LOCK_ENTRIES,
  addLock,
  coinSumsOf,
  coinTime,
  coinTimeBonus,
  accrueBonusIndex,
  EMPTY_BONUS_INDEX,
  MIN_INDEXED_COIN_TIME,
  lockBalances,
  placeLock,
  takeOldest,
  unlockedOf,
  type LockEntry,
} from '../../../../src/consensus/povf/locks.js'

const NFC = 10n ** 18n
const DAY = 86_400_000n
const LOCK = 30n * DAY
const UNLOCK = 180n * DAY

t.test('1000 NFC locked at day 0 (30-day lock, 180-day unlock): balances', async (t) => {
  const entries = addLock([], 1000n * NFC, 0n)
  const at = (d: bigint) => lockBalances(entries, d * DAY, LOCK, UNLOCK)
  t.same(at(0n), { locked: 1000n * NFC, unlocking: 0n, withdrawable: 0n, withdrawn: 0n }, 'day 0')
  t.same(at(29n), { locked: 1000n * NFC, unlocking: 0n, withdrawable: 0n, withdrawn: 0n }, 'day 29')
  t.same(at(30n), { locked: 0n, unlocking: 1000n * NFC, withdrawable: 0n, withdrawn: 0n }, 'day 30: unlocking starts')
  // day 31: ⌊1000·10^18 × 1/180⌋ = 5555555555555555555 wei
  t.same(at(31n), { locked: 0n, unlocking: 994_444_444_444_444_444_445n, withdrawable: 5_555_555_555_555_555_555n, withdrawn: 0n }, 'day 31')
  // day 209: ⌊1000·10^18 × 179/180⌋ = 994444444444444444444 wei
  t.same(at(209n), { locked: 0n, unlocking: 5_555_555_555_555_555_556n, withdrawable: 994_444_444_444_444_444_444n, withdrawn: 0n }, 'day 209')
  t.same(at(210n), { locked: 0n, unlocking: 0n, withdrawable: 1000n * NFC, withdrawn: 0n }, 'day 210: all')
  t.same(at(400n), { locked: 0n, unlocking: 0n, withdrawable: 1000n * NFC, withdrawn: 0n }, 'day 400')
  t.equal(unlockedOf(entries[0]!, 31n * DAY, LOCK, UNLOCK), 5_555_555_555_555_555_555n)
  t.equal(unlockedOf(entries[0]!, 31n * DAY, LOCK, 0n), 1000n * NFC, 'no unlock period: all at the lock end')
})

t.test('withdrawing at days 0, 29, 30, 31, 209, 210', async (t) => {
  const entries = addLock([], 1000n * NFC, 0n)
  const refuse = { code: PovfErrorCode.POVF_WITHDRAW_EXCEEDS_WITHDRAWABLE }
  t.throws(() => takeOldest(entries, 1n, 0n, LOCK, UNLOCK), refuse, 'day 0')
  t.throws(() => takeOldest(entries, 1n, 29n * DAY, LOCK, UNLOCK), refuse, 'day 29')
  t.throws(() => takeOldest(entries, 1n, 30n * DAY, LOCK, UNLOCK), refuse, 'day 30: nothing unlocked yet')
  const zero = takeOldest(entries, 0n, 30n * DAY, LOCK, UNLOCK)
  t.same(zero, { entries, parts: [] }, 'withdrawing 0 changes nothing')

  // day 31: all of 5555555555555555555, then not one wei more
  t.throws(() => takeOldest(entries, 5_555_555_555_555_555_556n, 31n * DAY, LOCK, UNLOCK), refuse)
  const d31 = takeOldest(entries, 5_555_555_555_555_555_555n, 31n * DAY, LOCK, UNLOCK)
  t.same(d31.parts, [{ startMs: 0n, amount: 5_555_555_555_555_555_555n, debt: 0n }])
  t.same(d31.entries, [{ amount: 1000n * NFC, startMs: 0n, withdrawn: 5_555_555_555_555_555_555n, debt: 0n }])
  t.same(lockBalances(d31.entries, 31n * DAY, LOCK, UNLOCK).withdrawable, 0n)

  // day 209: 994444444444444444444 − 5555555555555555555 = 988888888888888888889 more
  const b209 = lockBalances(d31.entries, 209n * DAY, LOCK, UNLOCK)
  t.equal(b209.withdrawable, 988_888_888_888_888_888_889n)
  t.equal(b209.withdrawn, 5_555_555_555_555_555_555n)
  const d209 = takeOldest(d31.entries, b209.withdrawable, 209n * DAY, LOCK, UNLOCK)
  t.same(d209.entries, [{ amount: 1000n * NFC, startMs: 0n, withdrawn: 994_444_444_444_444_444_444n, debt: 0n }])

  // day 210: the last 5555555555555555556; the entry is fully withdrawn and dropped
  const d210 = takeOldest(d209.entries, 5_555_555_555_555_555_556n, 210n * DAY, LOCK, UNLOCK)
  t.same(d210, { entries: [], parts: [{ startMs: 0n, amount: 5_555_555_555_555_555_556n, debt: 0n }] })
  t.same(lockBalances(d210.entries, 210n * DAY, LOCK, UNLOCK), { locked: 0n, unlocking: 0n, withdrawable: 0n, withdrawn: 0n })

  // all at once at day 210
  t.same(takeOldest(entries, 1000n * NFC, 210n * DAY, LOCK, UNLOCK), { entries: [], parts: [{ startMs: 0n, amount: 1000n * NFC, debt: 0n }] })
  t.same(entries, [{ amount: 1000n * NFC, startMs: 0n, withdrawn: 0n, debt: 0n }], 'the input is never mutated')
})

t.test('takeOldest takes the oldest entries first', async (t) => {
  let entries: LockEntry[] = []
  entries = addLock(entries, 180n, 0n)
  entries = addLock(entries, 360n, 10n * DAY)
  entries = addLock(entries, 90n, 100n * DAY)
  // day 100: entry 0 unlocked 70/180 → 70; entry 1 60/180·360 → 120; entry 2 locked
  t.same(lockBalances(entries, 100n * DAY, LOCK, UNLOCK), { locked: 90n, unlocking: 110n + 240n, withdrawable: 190n, withdrawn: 0n })
  const w = takeOldest(entries, 100n, 100n * DAY, LOCK, UNLOCK)
  t.same(w.parts, [
    { startMs: 0n, amount: 70n, debt: 0n },
    { startMs: 10n * DAY, amount: 30n, debt: 0n },
  ])
  t.same(w.entries, [
    { amount: 180n, startMs: 0n, withdrawn: 70n, debt: 0n },
    { amount: 360n, startMs: 10n * DAY, withdrawn: 30n, debt: 0n },
    { amount: 90n, startMs: 100n * DAY, withdrawn: 0n, debt: 0n },
  ])
  // unwithdrawn coin sums: c = 110, 330, 90
  t.same(coinSumsOf(w.entries), { sumC: 530n, sumCS: 330n * 10n * DAY + 90n * 100n * DAY })
})

t.test('addLock merges equal starts and caps the entries at 64', async (t) => {
  let entries: LockEntry[] = []
  entries = addLock(entries, 5n, 100n)
  entries = addLock(entries, 7n, 100n)
  t.same(entries, [{ amount: 12n, startMs: 100n, withdrawn: 0n, debt: 0n }], 'same start: merged')
  entries = addLock(entries, 3n, 50n)
  t.same(
    entries.map((e) => e.startMs),
    [50n, 100n],
    'kept in start order',
  )
  t.same(addLock(entries, 0n, 999n), entries, 'amount 0: unchanged')

  let many: LockEntry[] = []
  for (let i = 0; i < MAX_LOCK_ENTRIES; i++) many = addLock(many, 1n, BigInt(i) * DAY)
  t.equal(many.length, 64)
  const placed = placeLock(many, 10n, 1000n * DAY)
  t.equal(placed.entries.length, 64, 'the 65th reward does not add an entry')
  t.same(placed.entries[63], { amount: 11n, startMs: 63n * DAY, withdrawn: 0n, debt: 0n }, 'it merges into the newest')
  t.equal(placed.startMs, 63n * DAY, 'and is recorded with the newest entry start (for the coin-time sums)')
  t.equal(placeLock(many, 10n, 5n * DAY).startMs, 5n * DAY, 'an existing start still merges in place')
  t.equal(many[63]!.amount, 1n, 'the input is never mutated')
  t.throws(() => addLock([], -1n, 0n), { code: PovfErrorCode.POVF_BAD_ARG })
})

t.test('coin-time bonus index, hand-computed', async (t) => {
  // A locks 100 NFC at day 0, B locks 300 NFC at day 10 (the pool empty then); at day 40 the
  // shared pool holds 1000 NFC. Network sums: Σc = 400 NFC, Σcs = 3000 NFC·d.
  let index = accrueBonusIndex(EMPTY_BONUS_INDEX, 0n, 0n, 0n)
  let a = placeLock([], 100n * NFC, 0n, index).entries
  index = accrueBonusIndex(index, 0n, 1000n * NFC * DAY, 10n * DAY)
  t.same(index, EMPTY_BONUS_INDEX, 'no growth of the pool: nothing accrued')
  let b = placeLock([], 300n * NFC, 10n * DAY, index).entries
  const sumC = 400n * NFC
  const sumCS = 3000n * NFC * DAY
  t.same(coinSumsOf(a), { sumC: 100n * NFC, sumCS: 0n })
  t.same(coinSumsOf(b), { sumC: 300n * NFC, sumCS: 3000n * NFC * DAY })

  // Day 40: T = 40·400 − 3000 = 13000 NFC·d; half the pool's growth, 500 NFC, is indexed:
  // a = ⌊500·40/13000 × 10^30⌋ (per wei, ×10^36), b = ⌈500/(13000 d) × 10^30⌉.
  const t40 = 40n * DAY
  const T40 = coinTime(sumC, sumCS, t40)
  t.equal(T40, 13_000n * NFC * DAY)
  t.equal(T40, coinTime(coinSumsOf(a).sumC, coinSumsOf(a).sumCS, t40) + coinTime(coinSumsOf(b).sumC, coinSumsOf(b).sumCS, t40), 'network = Σ addresses')
  index = accrueBonusIndex(index, 1000n * NFC, T40, t40)
  t.equal(index.a, 1_538_461_538_461_538_461_538_461_538_461_538_461n)
  t.equal(index.seen, 1000n * NFC)
  // A takes 5 of its ⌊100·10/180⌋ ≈ 5.56 withdrawable NFC: owed per wei = a − 0·b + 0;
  // bonus = ⌊5 NFC × a / 10^36⌋ = ⌊7.6923…⌋ NFC = 7692307692307692307 wei (5·500·40/13000)
  const wa = takeOldest(a, 5n * NFC, t40, LOCK, UNLOCK)
  const bonusA = coinTimeBonus(wa.parts, index)
  t.equal(bonusA, 7_692_307_692_307_692_307n)
  a = wa.entries
  t.same(coinSumsOf(a), { sumC: 95n * NFC, sumCS: 0n })
  index = { ...index, seen: index.seen - bonusA }

  // Day 50, no growth since: B takes 15 NFC, owed per wei = a − 10 d·b = 500·30/13000 (rounded
  // down): bonus ⌊15 × 500 × 30 / 13000⌋ NFC = 17.307692307692307692 NFC
  const t50 = 50n * DAY
  index = accrueBonusIndex(index, 1000n * NFC - bonusA, coinTime(sumC - 5n * NFC, sumCS, t50), t50)
  const wb = takeOldest(b, 15n * NFC, t50, LOCK, UNLOCK)
  t.equal(coinTimeBonus(wb.parts, index), 17_307_692_307_692_307_692n)
  b = wb.entries
  t.equal(coinSumsOf(b).sumC, 285n * NFC)

  t.equal(coinTimeBonus([], index), 0n, 'no parts: no bonus')
  t.same(
    accrueBonusIndex(EMPTY_BONUS_INDEX, 1000n, MIN_INDEXED_COIN_TIME - 1n, 5n),
    { a: 0n, b: 0n, seen: 1000n },
    'T below the minimum: the growth stays in the pool unindexed',
  )
  t.same(accrueBonusIndex({ a: 7n, b: 8n, seen: 1000n }, 10n, T40, t40), { a: 7n, b: 8n, seen: 10n }, 'a pool below what was seen resets seen')
  t.throws(() => accrueBonusIndex(EMPTY_BONUS_INDEX, -1n, 1n, 1n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => accrueBonusIndex(EMPTY_BONUS_INDEX, 1n, -1n, 1n), { code: PovfErrorCode.POVF_BAD_ARG })
})

t.test('an entry absorbing a later reward (65th-entry rule) keeps its debt averaged: the later amount owes what accrued before it', async (t) => {
  const idx = { a: 10n ** 40n, b: 10n ** 25n, seen: 0n }
  const many = Array.from({ length: MAX_LOCK_ENTRIES }, (_, i) => ({ amount: NFC, startMs: BigInt(i) * DAY, withdrawn: 0n, debt: 0n }))
  const placed = placeLock(many, NFC, 1000n * DAY, idx)
  const newest = placed.entries[MAX_LOCK_ENTRIES - 1]!
  // (1 NFC × 0 + 1 NFC × (63 d·b − a)) / 2 NFC, rounded down (negative here)
  const s = BigInt(MAX_LOCK_ENTRIES - 1) * DAY
  const d = s * idx.b - idx.a
  t.equal(newest.debt, d % 2n === 0n ? d / 2n : (d - 1n) / 2n)
  t.equal(newest.amount, 2n * NFC)
})
