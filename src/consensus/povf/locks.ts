/**
 * Locked traffic rewards (DESIGN §6), pure: the flow store keeps the entries and the coin-time
 * sums; these functions say what they are worth at a time t and how a reward or a withdrawal
 * changes them. Every function returns new arrays and entries (the inputs are never mutated).
 *
 * A reward is a lock entry {amount, startMs, withdrawn}:
 *   unlocked(t) = 0                                                        if t < start + lockMs
 *               = ⌊amount × min(t − start − lockMs, unlockMs) / unlockMs⌋  otherwise
 * (unlockMs = 0 ⇒ all of it at start + lockMs). An address's entries are sorted by startMs,
 * oldest first, with distinct startMs, at most MAX_LOCK_ENTRIES of them.
 *
 * Coin-time: T(t) = t·Σc − Σ(c·s) over unwithdrawn amounts c = amount − withdrawn with start s,
 * kept as the two sums (Σc, Σcs) network-wide and per address, so it is O(1) at any t.
 *
 * Coin-time bonus (DESIGN §5.9 as hardened by §12: path-independent), an accrual index like the
 * voter reward index: whenever the shared pool has grown by R since the last accrual (read at
 * every block, and at a withdrawal or a new lock before either changes the coins: engine.ts rule
 * 0, so an inflow is shared by the weights of when it came, not of when someone acts), half of
 * R (BONUS_SHARE_BPS) is shared among the unwithdrawn coins in proportion to their coin-time at
 * that time τ: a coin with start s gets R/2 · (τ − s) / T(τ). Two indexes carry every accrual in
 * O(1):
 *   a += R/2 · τ / T(τ),  b += R/2 / T(τ)          (fixed point ×BONUS_INDEX_SCALE)
 * so a coin with start s is owed  a(t) − s·b(t) − (a(s₀) − s·b(s₀))  per wei at t, s₀ the time its
 * entry was credited; the entry stores the per-wei `debt` s·b(s₀) − a(s₀). The bonus of a
 * withdrawal is ⌊Σ parts amount × owed / scale⌋: linear in the amount, so k parts withdrawn at one
 * time never pay more than one (floors only lose), and a part withdrawn earlier only misses later
 * accruals. Σ of everything owed ≤ Σ R/2 ≤ what the pool received: the pool never pays out more
 * than it holds. a is rounded down, b up, debts of merged entries down: every rounding underpays.
 *
 * Bonus budget (issue 16, the economic bound): the index alone is not bounded by the fuel behind
 * a lock (block rewards fill the pool every block). So each lock, when a checkpoint credits it,
 * adds to its address's bonus budget its share of the pair's headroom under the fuel cap,
 *   budget += ⌊(cap − reward) × amount / reward⌋   (0 when reward ≥ cap; bonusBudgetOf),
 * cap = capFactor × the pair's fuel in NFC (valuing.ts rewardCap), reward the pair's whole reward,
 * amount this lock's part of it: Σ over the pair's locks of amount + budget ≤ cap. A withdrawal is
 * paid min(what the index owes its parts, the address's budget left, the pool) (budgetedBonus) and
 * spends that from the budget, so an address's rewards + bonuses never exceed capFactor × the fuel
 * burned for them. Per address, not per entry, to stay path-independent: parts withdrawn over time
 * are owed together at most what one withdrawal at the end is owed (above), and
 * Σ min(owedᵢ, budget left) = min(Σ owedᵢ, budget); a per-entry budget is not (an early part that
 * empties an old entry makes the newer entries' share of later inflows larger, and a budget that
 * binds on the old entry in one withdrawal does not bind it in parts).
 */
import { PovfError, PovfErrorCode, requireNonNegative } from './errors.js'

export interface LockEntry {
  amount: bigint
  startMs: bigint
  withdrawn: bigint
  /** per-wei bonus index debt s·b − a at crediting (×BONUS_INDEX_SCALE, may be negative); 0 when absent */
  debt?: bigint
}

/** At most this many live entries per address; a reward that would make one more merges into the newest. */
export const MAX_LOCK_ENTRIES = 64

/** ⌊amount × min(t − start − lockMs, unlockMs) / unlockMs⌋, 0 while still in the lock period. */
export function unlockedOf(e: LockEntry, t: bigint, lockMs: bigint, unlockMs: bigint): bigint {
  const end = e.startMs + lockMs
  if (t < end) return 0n
  if (unlockMs === 0n) return e.amount
  const elapsed = t - end < unlockMs ? t - end : unlockMs
  return (e.amount * elapsed) / unlockMs
}

export interface LockBalances {
  /** Σ amount of entries still in their lock period (t < start + lockMs) */
  locked: bigint
  /** Σ (amount − unlocked) of entries past their lock period */
  unlocking: bigint
  /** Σ unlocked − Σ withdrawn */
  withdrawable: bigint
  /** Σ withdrawn of the live entries (fully withdrawn entries are dropped, see takeOldest) */
  withdrawn: bigint
}

/** The four balances of an address at t; locked + unlocking + withdrawable + withdrawn = Σ amount. */
export function lockBalances(entries: readonly LockEntry[], t: bigint, lockMs: bigint, unlockMs: bigint): LockBalances {
  let locked = 0n
  let unlocking = 0n
  let unlocked = 0n
  let withdrawn = 0n
  for (const e of entries) {
    withdrawn += e.withdrawn
    if (t < e.startMs + lockMs) {
      locked += e.amount
      continue
    }
    const u = unlockedOf(e, t, lockMs, unlockMs)
    unlocking += e.amount - u
    unlocked += u
  }
  return { locked, unlocking, withdrawable: unlocked - withdrawn, withdrawn }
}

/**
 * Adds a reward of `amount` starting at `startMs` and says which start it was recorded with
 * (the caller adds amount·start to the coin-time sums with that start, so that a later
 * withdrawal removes exactly what was added):
 *  - an entry with the same startMs absorbs it;
 *  - else, with MAX_LOCK_ENTRIES entries already, the newest entry absorbs it (the reward then
 *    unlocks on the newest entry's schedule — at most one reward interval early; this bounds the
 *    storage and the work of a withdrawal per address);
 *  - else it becomes a new entry, inserted in startMs order.
 * The new amount's bonus index debt is lockDebt(index, recorded start); an entry that absorbs it
 * keeps the debt averaged over its unwithdrawn amount (rounded down: the holder is never overpaid).
 * amount 0 changes nothing.
 */
export function placeLock(
  entries: readonly LockEntry[],
  amount: bigint,
  startMs: bigint,
  index: BonusIndex = EMPTY_BONUS_INDEX,
): { entries: LockEntry[]; startMs: bigint } {
  requireNonNegative('amount', amount)
  const out = entries.map((e) => ({ ...e }))
  if (amount === 0n) return { entries: out, startMs }
  const absorb = (e: LockEntry): { entries: LockEntry[]; startMs: bigint } => {
    const left = e.amount - e.withdrawn
    e.debt = floorDiv(left * (e.debt ?? 0n) + amount * lockDebt(index, e.startMs), left + amount)
    e.amount += amount
    return { entries: out, startMs: e.startMs }
  }
  const same = out.find((e) => e.startMs === startMs)
  if (same) return absorb(same)
  if (out.length >= MAX_LOCK_ENTRIES) return absorb(out[out.length - 1]!)
  let i = out.length
  while (i > 0 && out[i - 1]!.startMs > startMs) i--
  out.splice(i, 0, { amount, startMs, withdrawn: 0n, debt: lockDebt(index, startMs) })
  return { entries: out, startMs }
}

/** placeLock without the recorded start: the entries after a reward of `amount` at `startMs`. */
export function addLock(entries: readonly LockEntry[], amount: bigint, startMs: bigint): LockEntry[] {
  return placeLock(entries, amount, startMs).entries
}

export interface LockPart {
  startMs: bigint
  amount: bigint
  /** the entry's bonus index debt (LockEntry.debt) */
  debt: bigint
}

/**
 * Withdraws `amount` from the unlocked, not yet withdrawn parts of the entries, oldest first.
 * Returns the new entries (an entry whose withdrawn reaches its amount is dropped) and the
 * parts taken per entry start (for the coin-time bonus and the coin-time sums).
 * Throws POVF_WITHDRAW_EXCEEDS_WITHDRAWABLE when amount > withdrawable at t.
 */
export function takeOldest(
  entries: readonly LockEntry[],
  amount: bigint,
  t: bigint,
  lockMs: bigint,
  unlockMs: bigint,
): { entries: LockEntry[]; parts: LockPart[] } {
  requireNonNegative('amount', amount)
  const { withdrawable } = lockBalances(entries, t, lockMs, unlockMs)
  if (amount > withdrawable) {
    throw new PovfError(PovfErrorCode.POVF_WITHDRAW_EXCEEDS_WITHDRAWABLE, `withdraw ${amount} exceeds withdrawable ${withdrawable}`, {
      amount,
      withdrawable,
    })
  }
  const out: LockEntry[] = []
  const parts: LockPart[] = []
  let rest = amount
  for (const e of entries) {
    const free = unlockedOf(e, t, lockMs, unlockMs) - e.withdrawn
    const take = rest < free ? rest : free > 0n ? free : 0n
    rest -= take
    if (take > 0n) parts.push({ startMs: e.startMs, amount: take, debt: e.debt ?? 0n })
    const withdrawn = e.withdrawn + take
    if (withdrawn < e.amount) out.push({ ...e, withdrawn })
  }
  return { entries: out, parts }
}

/** (Σc, Σcs) of an address's unwithdrawn amounts c = amount − withdrawn with start s. */
export function coinSumsOf(entries: readonly LockEntry[]): { sumC: bigint; sumCS: bigint } {
  let sumC = 0n
  let sumCS = 0n
  for (const e of entries) {
    const c = e.amount - e.withdrawn
    sumC += c
    sumCS += c * e.startMs
  }
  return { sumC, sumCS }
}

/** T(t) = t·Σc − Σcs = Σ c·(t − s): coin-time of unwithdrawn amounts at t (amount·ms). */
export function coinTime(sumC: bigint, sumCS: bigint, t: bigint): bigint {
  return t * sumC - sumCS
}

/** Fixed-point scale of the bonus index (per wei of a lock). */
export const BONUS_INDEX_SCALE = 10n ** 36n
/** Share of each shared-pool inflow the bonus index hands out, in basis points (§5.9's 50%). */
export const BONUS_SHARE_BPS = 5_000n
const BPS = 10_000n
/**
 * Below this network coin-time (wei·ms; 0.001 NFC for 1 s) an inflow is not indexed but stays in
 * the pool: dividing by a tiny T would make the index grow past a storage word. Bound: a ≤ Σ R·τ ×
 * 10^36 / T ≤ 10^28 (more than every NFC) × 10^13 (ms, year 2286) × 10^36 / 10^15 = 10^62 < 2^255.
 */
export const MIN_INDEXED_COIN_TIME = 10n ** 15n

/** The bonus accrual index (see the module comment): a rounded down, b rounded up, seen = pool balance accounted for. */
export interface BonusIndex {
  a: bigint
  b: bigint
  /** the shared pool's balance after the last accrual and the bonuses paid since */
  seen: bigint
}

export const EMPTY_BONUS_INDEX: BonusIndex = { a: 0n, b: 0n, seen: 0n }

/** ⌊x / y⌋ for y > 0 and any sign of x (bigint division truncates towards zero). */
function floorDiv(x: bigint, y: bigint): bigint {
  const q = x / y
  return q * y > x ? q - 1n : q
}

/** ⌈x / y⌉ for x ≥ 0, y > 0. */
function ceilDiv(x: bigint, y: bigint): bigint {
  return (x + y - 1n) / y
}

/**
 * The index after the shared pool was read at `poolBalance` at time t, the network coin-time
 * being T(t) (before any coin changes at t). Growth since `seen` is accrued (its BONUS_SHARE_BPS
 * part shared by coin-time); with T below MIN_INDEXED_COIN_TIME it stays in the pool unindexed.
 * A balance below `seen` (nothing but bonuses leaves the pool; kept for safety) just resets it.
 */
export function accrueBonusIndex(index: BonusIndex, poolBalance: bigint, networkCoinTime: bigint, t: bigint): BonusIndex {
  requireNonNegative('poolBalance', poolBalance)
  requireNonNegative('networkCoinTime', networkCoinTime)
  const grown = poolBalance - index.seen
  if (grown <= 0n || networkCoinTime < MIN_INDEXED_COIN_TIME) return { ...index, seen: poolBalance }
  const shared = (grown * BONUS_SHARE_BPS) / BPS
  return {
    a: index.a + (shared * t * BONUS_INDEX_SCALE) / networkCoinTime,
    b: index.b + ceilDiv(shared * BONUS_INDEX_SCALE, networkCoinTime),
    seen: poolBalance,
  }
}

/** Per-wei debt of an amount credited now with recorded start s: s·b − a (×BONUS_INDEX_SCALE). */
export function lockDebt(index: BonusIndex, startMs: bigint): bigint {
  return startMs * index.b - index.a
}

/**
 * The coin-time bonus of a withdrawal: ⌊Σ parts amount × max(0, a − s·b + debt) / scale⌋ with the
 * index accrued at the withdrawal's time (accrueBonusIndex first). Linear in the parts: withdrawing
 * in k parts never pays more than in one.
 */
export function coinTimeBonus(parts: readonly LockPart[], index: BonusIndex): bigint {
  let scaled = 0n
  for (const p of parts) {
    const owed = index.a - p.startMs * index.b + p.debt
    if (owed > 0n) scaled += p.amount * owed
  }
  return scaled / BONUS_INDEX_SCALE
}

/**
 * A lock's bonus budget (see "Bonus budget" in the module comment): ⌊(cap − reward) × amount / reward⌋,
 * 0 when reward ≥ cap or reward = 0. cap = rewardCap of the pair's fuel, reward the pair's whole
 * reward, amount the part of it this lock is credited (provider or relay share).
 */
export function bonusBudgetOf(cap: bigint, reward: bigint, amount: bigint): bigint {
  requireNonNegative('cap', cap)
  requireNonNegative('reward', reward)
  requireNonNegative('amount', amount)
  if (reward === 0n || cap <= reward) return 0n
  return ((cap - reward) * amount) / reward
}

/**
 * The bonus a withdrawal pays (see "Bonus budget" in the module comment): what the index owes its
 * parts (coinTimeBonus, at the index accrued at the withdrawal's time), at most the address's
 * budget left and what the shared pool holds. The caller spends it from the budget.
 */
export function budgetedBonus(parts: readonly LockPart[], index: BonusIndex, budget: bigint, pool: bigint): bigint {
  requireNonNegative('budget', budget)
  requireNonNegative('pool', pool)
  let bonus = coinTimeBonus(parts, index)
  if (bonus > budget) bonus = budget
  return bonus < pool ? bonus : pool
}
