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
 */
import { PovfError, PovfErrorCode, requireNonNegative } from './errors.js'

export interface LockEntry {
  amount: bigint
  startMs: bigint
  withdrawn: bigint
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
 * amount 0 changes nothing.
 */
export function placeLock(entries: readonly LockEntry[], amount: bigint, startMs: bigint): { entries: LockEntry[]; startMs: bigint } {
  requireNonNegative('amount', amount)
  const out = entries.map((e) => ({ ...e }))
  if (amount === 0n) return { entries: out, startMs }
  const same = out.find((e) => e.startMs === startMs)
  if (same) {
    same.amount += amount
    return { entries: out, startMs }
  }
  if (out.length >= MAX_LOCK_ENTRIES) {
    const newest = out[out.length - 1]!
    newest.amount += amount
    return { entries: out, startMs: newest.startMs }
  }
  let i = out.length
  while (i > 0 && out[i - 1]!.startMs > startMs) i--
  out.splice(i, 0, { amount, startMs, withdrawn: 0n })
  return { entries: out, startMs }
}

/** placeLock without the recorded start: the entries after a reward of `amount` at `startMs`. */
export function addLock(entries: readonly LockEntry[], amount: bigint, startMs: bigint): LockEntry[] {
  return placeLock(entries, amount, startMs).entries
}

export interface LockPart {
  startMs: bigint
  amount: bigint
}

/**
 * Withdraws `amount` from the unlocked, not yet withdrawn parts of the entries, oldest first.
 * Returns the new entries (an entry whose withdrawn reaches its amount is dropped) and the
 * parts taken per entry start (for withdrawalCoinTime and the coin-time sums).
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
    if (take > 0n) parts.push({ startMs: e.startMs, amount: take })
    const withdrawn = e.withdrawn + take
    if (withdrawn < e.amount) out.push({ amount: e.amount, startMs: e.startMs, withdrawn })
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

/** ct = Σ aᵢ·(t − sᵢ): the coin-time a withdrawal carries, over the parts it took. */
export function withdrawalCoinTime(parts: readonly LockPart[], t: bigint): bigint {
  let ct = 0n
  for (const p of parts) ct += p.amount * (t - p.startMs)
  return ct
}

/**
 * Bonus paid from the shared pool with a withdrawal: ⌊shared × ct / (2 × T)⌋, T the network
 * coin-time at t BEFORE removing the withdrawal (0 when T = 0). Since ct ≤ T, the bonus is at
 * most half the pool, so the pool never empties.
 */
export function coinTimeBonus(sharedPoolBalance: bigint, ct: bigint, networkCoinTime: bigint): bigint {
  requireNonNegative('sharedPoolBalance', sharedPoolBalance)
  requireNonNegative('ct', ct)
  requireNonNegative('networkCoinTime', networkCoinTime)
  if (networkCoinTime === 0n) return 0n
  return (sharedPoolBalance * ct) / (2n * networkCoinTime)
}
