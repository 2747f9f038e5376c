/**
 * The coin-time bonus accrual index (locks.ts, DESIGN §12 "path-independent"), as properties over
 * seeded random histories: rewards credited to several addresses at random times, the shared pool
 * growing between them, withdrawals in random parts and orders. A model of the FlowRewards state
 * (creditLock / withdraw of engine.ts and flowRewards.ts, on the pure rules) is cloned so the same
 * history is played once with one withdrawal and once with k parts.
 */
import t from 'tap'
import {
  accrueBonusIndex,
  coinTime,
  budgetedBonus,
  EMPTY_BONUS_INDEX,
  lockBalances,
  placeLock,
  takeOldest,
  type BonusIndex,
  type LockEntry,
} from '../../../../src/consensus/povf/locks.js'
import { prng } from '../../../helpers/prng.js'

const NFC = 10n ** 18n
const SECOND_MS = 1_000n
const GENESIS_MS = 1_700_000_000_000n
const ADDRESSES = 5
const HISTORIES = 40

/** FlowRewards' coin state with no lock period (everything withdrawable at once). */
class Model {
  locks = new Map<number, LockEntry[]>()
  sc = 0n
  scs = 0n
  index: BonusIndex = EMPTY_BONUS_INDEX
  pool = 0n
  inflow = 0n
  paid = 0n
  /** per address: Σ budgets credited, the budget left and Σ bonuses paid */
  budgets = new Map<number, bigint>()
  budgetLeft = new Map<number, bigint>()
  bonuses = new Map<number, bigint>()

  clone(): Model {
    const m = new Model()
    for (const [a, e] of this.locks)
      m.locks.set(
        a,
        e.map((x) => ({ ...x })),
      )
    Object.assign(m, { sc: this.sc, scs: this.scs, index: { ...this.index }, pool: this.pool, inflow: this.inflow, paid: this.paid })
    m.budgets = new Map(this.budgets)
    m.budgetLeft = new Map(this.budgetLeft)
    m.bonuses = new Map(this.bonuses)
    return m
  }
  private accrue(t: bigint): void {
    this.index = accrueBonusIndex(this.index, this.pool, coinTime(this.sc, this.scs, t), t)
  }
  /** the pool receives r at t: indexed at once (the engine's rule 0 at every block) */
  grow(r: bigint, t: bigint): void {
    this.pool += r
    this.inflow += r
    this.accrue(t)
  }
  credit(a: number, amount: bigint, t: bigint, budget: bigint): void {
    this.accrue(t)
    this.budgets.set(a, (this.budgets.get(a) ?? 0n) + budget)
    this.budgetLeft.set(a, (this.budgetLeft.get(a) ?? 0n) + budget)
    const placed = placeLock(this.locks.get(a) ?? [], amount, t, this.index)
    this.locks.set(a, placed.entries)
    this.sc += amount
    this.scs += amount * placed.startMs
  }
  withdrawable(a: number, t: bigint): bigint {
    return lockBalances(this.locks.get(a) ?? [], t, 0n, 0n).withdrawable
  }
  /** the bonus paid */
  withdraw(a: number, amount: bigint, t: bigint): bigint {
    const taken = takeOldest(this.locks.get(a) ?? [], amount, t, 0n, 0n)
    this.accrue(t)
    const bonus = budgetedBonus(taken.parts, this.index, this.budgetLeft.get(a) ?? 0n, this.pool)
    this.budgetLeft.set(a, (this.budgetLeft.get(a) ?? 0n) - bonus)
    this.pool -= bonus
    this.paid += bonus
    this.bonuses.set(a, (this.bonuses.get(a) ?? 0n) + bonus)
    this.index = { ...this.index, seen: this.index.seen - bonus }
    this.locks.set(a, taken.entries)
    this.sc -= amount
    this.scs -= taken.parts.reduce((s, p) => s + p.amount * p.startMs, 0n)
    return bonus
  }
}

type Rand = () => number
const pick = (rand: Rand, n: number): number => Math.floor(rand() * n)
const nfcs = (rand: Rand, max: number): bigint => (BigInt(Math.floor(rand() * max * 1000)) * NFC) / 1000n + 1n

/** a credit's bonus budget: none, small (binds against a pool of hundreds of NFC) or large (does not) */
function budgetOf(rand: Rand): bigint {
  const r = rand()
  return r < 0.15 ? 0n : r < 0.6 ? nfcs(rand, 20) : nfcs(rand, 100_000)
}

/** A random history of credits and pool growth; returns the model and the time it ends at. */
function history(rand: Rand): { m: Model; t: bigint } {
  const m = new Model()
  let t = GENESIS_MS
  for (let i = 0; i < 30; i++) {
    t += BigInt(1 + pick(rand, 3_600)) * SECOND_MS
    if (rand() < 0.4) m.grow(nfcs(rand, 500), t)
    else m.credit(pick(rand, ADDRESSES), nfcs(rand, 1_000), t, budgetOf(rand))
    if (rand() < 0.2) {
      const a = pick(rand, ADDRESSES)
      const w = m.withdrawable(a, t)
      if (w > 0n) m.withdraw(a, w / 2n + 1n, t)
    }
  }
  return { m, t: t + 60n * SECOND_MS }
}

/** `amount` in k random positive parts */
function split(rand: Rand, amount: bigint, k: number): bigint[] {
  const parts: bigint[] = []
  let rest = amount
  for (let i = 1; i < k && rest > 1n; i++) {
    const p = 1n + (rest * BigInt(pick(rand, 1000))) / 2000n
    parts.push(p)
    rest -= p
  }
  parts.push(rest)
  return parts
}

t.test('k parts at one time, in random orders among other withdrawals, never pay more than one withdrawal', async (t) => {
  const rand = prng(16_003)
  let gained = 0
  for (let h = 0; h < HISTORIES; h++) {
    const { m, t: at } = history(rand)
    const x = pick(rand, ADDRESSES)
    const w = m.withdrawable(x, at)
    if (w === 0n) continue
    const others = [0, 1, 2, 3, 4].filter((a) => a !== x && m.withdrawable(a, at) > 0n)
    const one = m.clone()
    const single = one.withdraw(x, w, at)
    for (const a of others) one.withdraw(a, one.withdrawable(a, at), at)
    const many = m.clone()
    const steps: (bigint | number)[] = [...split(rand, w, 2 + pick(rand, 9)), ...others]
    for (let i = steps.length - 1; i > 0; i--) {
      const j = pick(rand, i + 1)
      ;[steps[i], steps[j]] = [steps[j]!, steps[i]!]
    }
    let parts = 0n
    for (const s of steps) {
      if (typeof s === 'bigint') parts += many.withdraw(x, s, at)
      else many.withdraw(s, many.withdrawable(s, at), at)
    }
    if (parts > single) gained++
    t.ok(many.paid <= many.inflow && one.paid <= one.inflow, `history ${h}: paid ≤ what the pool received`)
  }
  t.equal(gained, 0, `no history where the parts paid more (${HISTORIES} histories)`)
})

t.test('parts withdrawn over time, with credits and pool growth between, never pay more than one withdrawal at the end', async (t) => {
  const rand = prng(16_004)
  let gained = 0
  let compared = 0
  for (let h = 0; h < HISTORIES; h++) {
    const { m, t: start } = history(rand)
    const x = pick(rand, ADDRESSES)
    const w = m.withdrawable(x, start)
    if (w === 0n) continue
    const parts = split(rand, w, 2 + pick(rand, 5))
    // the same events between the parts in both worlds
    const events = parts.map(() => ({
      dt: BigInt(1 + pick(rand, 86_400)) * SECOND_MS,
      grow: nfcs(rand, 300),
      a: pick(rand, ADDRESSES),
      credit: nfcs(rand, 200),
      budget: budgetOf(rand),
    }))
    const one = m.clone()
    const many = m.clone()
    let t0 = start
    let paidParts = 0n
    for (let i = 0; i < parts.length; i++) {
      paidParts += many.withdraw(x, parts[i]!, t0)
      const e = events[i]!
      t0 += e.dt
      for (const world of [one, many]) {
        world.grow(e.grow, t0)
        if (e.a !== x) world.credit(e.a, e.credit, t0, e.budget)
      }
    }
    const single = one.withdraw(x, w, t0)
    compared++
    if (paidParts > single) gained++
  }
  t.ok(compared > HISTORIES / 2, `${compared} histories compared`)
  t.equal(gained, 0, 'no history where withdrawing early in parts paid more than waiting and withdrawing once')
})

t.test('everyone withdrawing everything: the bonuses paid never exceed half of what the pool received', async (t) => {
  const rand = prng(16_005)
  for (let h = 0; h < HISTORIES; h++) {
    const { m, t: at } = history(rand)
    m.grow(nfcs(rand, 1_000), at)
    for (let a = 0; a < ADDRESSES; a++) {
      const w = m.withdrawable(a, at)
      if (w > 0n) m.withdraw(a, w, at)
    }
    if (m.paid > m.inflow / 2n) t.fail(`history ${h}: paid ${m.paid} > half of ${m.inflow}`)
    t.equal(m.sc, 0n, `history ${h}: no coins left`)
  }
  t.pass(`${HISTORIES} histories`)
})

t.test('no address is ever paid more bonus than the budgets it was credited; some budgets bind', async (t) => {
  const rand = prng(16_006)
  let bound = 0
  for (let h = 0; h < HISTORIES; h++) {
    const { m, t: at } = history(rand)
    m.grow(nfcs(rand, 1_000), at)
    for (let a = 0; a < ADDRESSES; a++) {
      const w = m.withdrawable(a, at)
      if (w > 0n) m.withdraw(a, w, at)
    }
    for (let a = 0; a < ADDRESSES; a++) {
      const paid = m.bonuses.get(a) ?? 0n
      const budget = m.budgets.get(a) ?? 0n
      if (paid > budget) t.fail(`history ${h}, address ${a}: bonus ${paid} > budgets ${budget}`)
      if (budget > 0n && paid === budget) bound++
    }
  }
  t.ok(bound > 0, `the budget bound ${bound} addresses' bonuses (the check can fail)`)
})
