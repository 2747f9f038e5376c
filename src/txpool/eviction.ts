/**
 * Who makes room when the pool is full (geth's accountslots / globalslots / accountqueue /
 * globalqueue). Only tails are candidates — the last of a sender's executable run, or its
 * highest queued nonce — so an eviction never opens a nonce gap inside anyone's executable run.
 * Among candidates the lowest effective tip goes first, then the most recent arrival
 * (`evictsBefore`); the caller refuses a newcomer that does not pay strictly more than the victim.
 */
import { type Account, type Entry, evictsBefore, pendingTail } from './entry.js'

export interface PoolLimits {
  /** executable slots guaranteed to each sender (not a ceiling) */
  accountSlots: number
  /** executable txs in the whole pool */
  globalSlots: number
  /** queued txs per sender (a ceiling) */
  accountQueue: number
  /** queued txs in the whole pool */
  globalQueue: number
}

/** geth's defaults (core/txpool/legacypool DefaultConfig). */
export const defaultPoolLimits: Readonly<PoolLimits> = { accountSlots: 16, globalSlots: 5120, accountQueue: 64, globalQueue: 1024 }

/** The cheapest executable tail among senders holding more than their guaranteed slots. */
export function overQuotaTail(accounts: ReadonlyMap<string, Account>, accountSlots: number, skip: (acct: Account, tail: Entry) => boolean): Entry | undefined {
  let victim: Entry | undefined
  for (const acct of accounts.values()) {
    if (acct.pending <= accountSlots) continue
    const tail = pendingTail(acct)!
    if (skip(acct, tail)) continue
    if (victim === undefined || evictsBefore(tail, victim)) victim = tail
  }
  return victim
}

/**
 * The victim for an executable newcomer from `sender` when every executable slot is taken.
 * Senders above their guarantee give way first; only when nobody else is, and the newcomer's
 * sender is still within its own guarantee, may it take the cheapest tail of a sender that is
 * within its guarantee too (a slot for a slot, decided by fee). The newcomer's own sender is
 * never a candidate: its tail is the newcomer's predecessor.
 */
export function pendingVictim(accounts: ReadonlyMap<string, Account>, sender: string, accountSlots: number): Entry | undefined {
  const over = overQuotaTail(accounts, accountSlots, (acct) => acct.key === sender)
  if (over !== undefined) return over
  if ((accounts.get(sender)?.pending ?? 0) >= accountSlots) return undefined
  let victim: Entry | undefined
  for (const acct of accounts.values()) {
    if (acct.key === sender) continue
    const tail = pendingTail(acct)
    if (tail !== undefined && (victim === undefined || evictsBefore(tail, victim))) victim = tail
  }
  return victim
}

/**
 * The victim for a queued newcomer when the global queue is full: the cheapest highest-nonce
 * queued tx of any sender. The newcomer's own sender qualifies only with a tail above the
 * newcomer (dropping a lower one to queue a higher one gains nothing).
 */
export function queuedVictim(accounts: ReadonlyMap<string, Account>, sender: string, nonce: bigint): Entry | undefined {
  let victim: Entry | undefined
  for (const acct of accounts.values()) {
    if (acct.queued === 0) continue
    const tail = acct.last!
    if (acct.key === sender && tail.nonce < nonce) continue
    if (victim === undefined || evictsBefore(tail, victim)) victim = tail
  }
  return victim
}
