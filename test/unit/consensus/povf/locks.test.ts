import t from 'tap'
import { PovfErrorCode } from '../../../../src/consensus/povf/errors.js'
import {
  MAX_LOCK_ENTRIES,
  addLock,
  coinSumsOf,
  coinTime,
  coinTimeBonus,
  lockBalances,
  placeLock,
  takeOldest,
  unlockedOf,
  withdrawalCoinTime,
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
  t.same(d31.parts, [{ startMs: 0n, amount: 5_555_555_555_555_555_555n }])
  t.same(d31.entries, [{ amount: 1000n * NFC, startMs: 0n, withdrawn: 5_555_555_555_555_555_555n }])
  t.same(lockBalances(d31.entries, 31n * DAY, LOCK, UNLOCK).withdrawable, 0n)

  // day 209: 994444444444444444444 − 5555555555555555555 = 988888888888888888889 more
  const b209 = lockBalances(d31.entries, 209n * DAY, LOCK, UNLOCK)
  t.equal(b209.withdrawable, 988_888_888_888_888_888_889n)
  t.equal(b209.withdrawn, 5_555_555_555_555_555_555n)
  const d209 = takeOldest(d31.entries, b209.withdrawable, 209n * DAY, LOCK, UNLOCK)
  t.same(d209.entries, [{ amount: 1000n * NFC, startMs: 0n, withdrawn: 994_444_444_444_444_444_444n }])

  // day 210: the last 5555555555555555556; the entry is fully withdrawn and dropped
  const d210 = takeOldest(d209.entries, 5_555_555_555_555_555_556n, 210n * DAY, LOCK, UNLOCK)
  t.same(d210, { entries: [], parts: [{ startMs: 0n, amount: 5_555_555_555_555_555_556n }] })
  t.same(lockBalances(d210.entries, 210n * DAY, LOCK, UNLOCK), { locked: 0n, unlocking: 0n, withdrawable: 0n, withdrawn: 0n })

  // all at once at day 210
  t.same(takeOldest(entries, 1000n * NFC, 210n * DAY, LOCK, UNLOCK), { entries: [], parts: [{ startMs: 0n, amount: 1000n * NFC }] })
  t.same(entries, [{ amount: 1000n * NFC, startMs: 0n, withdrawn: 0n }], 'the input is never mutated')
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
    { startMs: 0n, amount: 70n },
    { startMs: 10n * DAY, amount: 30n },
  ])
  t.same(w.entries, [
    { amount: 180n, startMs: 0n, withdrawn: 70n },
    { amount: 360n, startMs: 10n * DAY, withdrawn: 30n },
    { amount: 90n, startMs: 100n * DAY, withdrawn: 0n },
  ])
  // unwithdrawn coin sums: c = 110, 330, 90
  t.same(coinSumsOf(w.entries), { sumC: 530n, sumCS: 330n * 10n * DAY + 90n * 100n * DAY })
})

t.test('addLock merges equal starts and caps the entries at 64', async (t) => {
  let entries: LockEntry[] = []
  entries = addLock(entries, 5n, 100n)
  entries = addLock(entries, 7n, 100n)
  t.same(entries, [{ amount: 12n, startMs: 100n, withdrawn: 0n }], 'same start: merged')
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
  t.same(placed.entries[63], { amount: 11n, startMs: 63n * DAY, withdrawn: 0n }, 'it merges into the newest')
  t.equal(placed.startMs, 63n * DAY, 'and is recorded with the newest entry start (for the coin-time sums)')
  t.equal(placeLock(many, 10n, 5n * DAY).startMs, 5n * DAY, 'an existing start still merges in place')
  t.equal(many[63]!.amount, 1n, 'the input is never mutated')
  t.throws(() => addLock([], -1n, 0n), { code: PovfErrorCode.POVF_BAD_ARG })
})

t.test('coin-time bonus, hand-computed', async (t) => {
  // A locks 100 NFC at day 0, B locks 300 NFC at day 10; the shared pool holds 1000 NFC.
  // Network sums: Σc = 400 NFC, Σcs = 100·0 + 300·(10 d) = 3000 NFC·d.
  let a = addLock([], 100n * NFC, 0n)
  let b = addLock([], 300n * NFC, 10n * DAY)
  let sumC = 400n * NFC
  let sumCS = 3000n * NFC * DAY
  t.same(coinSumsOf(a), { sumC: 100n * NFC, sumCS: 0n })
  t.same(coinSumsOf(b), { sumC: 300n * NFC, sumCS: 3000n * NFC * DAY })
  let shared = 1000n * NFC

  // Day 40: T = 40·400 − 3000 = 13000 NFC·d. A has ⌊100·10/180⌋ ≈ 5.56 NFC withdrawable, takes 5.
  const t40 = 40n * DAY
  const T40 = coinTime(sumC, sumCS, t40)
  t.equal(T40, 13_000n * NFC * DAY)
  t.equal(T40, coinTime(coinSumsOf(a).sumC, coinSumsOf(a).sumCS, t40) + coinTime(coinSumsOf(b).sumC, coinSumsOf(b).sumCS, t40), 'network = Σ addresses')
  const wa = takeOldest(a, 5n * NFC, t40, LOCK, UNLOCK)
  // ct = 5 NFC × 40 d = 200 NFC·d; bonus = ⌊1000 × 200 / (2 × 13000)⌋ NFC = ⌊7.692307692307692307692…⌋ = 7692307692307692307 wei
  const ctA = withdrawalCoinTime(wa.parts, t40)
  t.equal(ctA, 200n * NFC * DAY)
  const bonusA = coinTimeBonus(shared, ctA, T40)
  t.equal(bonusA, 7_692_307_692_307_692_307n)
  a = wa.entries
  shared -= bonusA // 992.307692307692307693 NFC
  sumC -= 5n * NFC // 395 NFC; Σcs −= 5·0
  t.same(coinSumsOf(a), { sumC: 95n * NFC, sumCS: 0n })

  // Day 50: T = 50·395 − 3000 = 16750 NFC·d. B has ⌊300·10/180⌋ ≈ 16.67 NFC withdrawable, takes 15.
  // ct = 15 NFC × (50 − 10) d = 600 NFC·d; bonus = ⌊992307692307692307693 × 600 / 33500⌋
  //    = ⌊5953846153846153846158 / 335⌋ = ⌊17772675086107921928.83…⌋ = 17772675086107921928 wei
  const t50 = 50n * DAY
  const T50 = coinTime(sumC, sumCS, t50)
  t.equal(T50, 16_750n * NFC * DAY)
  const wb = takeOldest(b, 15n * NFC, t50, LOCK, UNLOCK)
  const ctB = withdrawalCoinTime(wb.parts, t50)
  t.equal(ctB, 600n * NFC * DAY)
  t.equal(coinTimeBonus(shared, ctB, T50), 17_772_675_086_107_921_928n)
  b = wb.entries
  sumC -= 15n * NFC
  sumCS -= 15n * NFC * 10n * DAY
  t.same({ sumC, sumCS }, { sumC: coinSumsOf(a).sumC + coinSumsOf(b).sumC, sumCS: coinSumsOf(a).sumCS + coinSumsOf(b).sumCS }, 'O(1) sums match the entries')

  t.equal(coinTimeBonus(shared, 0n, 0n), 0n, 'T = 0: no bonus')
  t.equal(coinTimeBonus(1000n, 10n, 10n), 500n, 'a withdrawal carrying all coin-time gets half the pool')
  t.throws(() => coinTimeBonus(-1n, 1n, 1n), { code: PovfErrorCode.POVF_BAD_ARG })
})
