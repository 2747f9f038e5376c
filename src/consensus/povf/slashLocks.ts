/**
 * Slashing reaches locked traffic rewards (DESIGN §12 "Slashing reaches"): a penalty takes the
 * same share of every unwithdrawn lock entry of the offender — still locked, unlocking, or
 * unlocked and not yet withdrawn — and moves it from the FlowRewards account to the shared pool.
 *
 * Each entry is scaled as a whole: amount' = amount − ⌊amount·bps/10⁴⌋ and
 * withdrawn' = withdrawn − ⌈withdrawn·bps/10⁴⌉, so what is left to pay, amount' − withdrawn',
 * is (1 − bps/10⁴) of what was left (to the wei, rounded in the offender's disfavour by at most
 * one wei the other way round) and keeps the entry's own unlock schedule: the part still to unlock
 * and the part already withdrawable shrink alike, and unlocked' ≥ withdrawn' holds at every time
 * (a slash never makes a withdrawable balance negative). What was paid stays paid: the address's
 * Σ withdrawn (FlowStore.addressSums) is untouched.
 *
 * Coin-time: the sums Σc and Σc·s (per address and network-wide) lose exactly the slashed part of
 * each entry at that entry's start, which is what a later withdrawal of it would have removed.
 * The bonus index debt (locks.ts) is per wei, so a scaled entry keeps its own. The offender's
 * coin-time bonus budget (locks.ts "Bonus budget") loses the same share, rounded up. The index is not
 * accrued here: the next credit or withdrawal shares the pool's growth (the slashed NFC included)
 * by the coin-time then held, which the slash has already lowered — what is shared stays within
 * the pool's growth.
 */
import { DposStore, SHARED_POOL, type Addr } from '../dpos/store.js'
import type { LockEntry, LockPart } from './locks.js'
import { FLOW_REWARDS, FlowStore } from './store.js'

const BPS = 10_000n

/**
 * The entries after a slash of `bps` basis points, and the part taken from each (by start).
 * Entries left with nothing to pay are dropped. Pure; the inputs are not mutated.
 */
export function slashLockEntries(entries: readonly LockEntry[], bps: bigint): { entries: LockEntry[]; parts: LockPart[] } {
  const out: LockEntry[] = []
  const parts: LockPart[] = []
  for (const e of entries) {
    const amount = e.amount - (e.amount * bps) / BPS
    const withdrawn = e.withdrawn - (e.withdrawn * bps + BPS - 1n) / BPS
    const taken = e.amount - e.withdrawn - (amount - withdrawn)
    // the bonus index debt is per wei: a scaled entry keeps it
    if (taken > 0n) parts.push({ startMs: e.startMs, amount: taken, debt: e.debt ?? 0n })
    if (withdrawn < amount) out.push({ amount, startMs: e.startMs, withdrawn, ...(e.debt === undefined ? {} : { debt: e.debt }) })
  }
  return { entries: out, parts }
}

/**
 * Slashes `bps` of `offender`'s unwithdrawn traffic rewards to the shared pool; returns the NFC
 * taken (0 when it holds none). Writes the locks, the coin-time sums and the two balances.
 */
export async function slashLockedRewards(fs: FlowStore, offender: Addr, bps: bigint): Promise<bigint> {
  const locks = await fs.getLocks(offender)
  if (locks.length === 0 || bps <= 0n) return 0n
  const r = slashLockEntries(locks, bps)
  let taken = 0n
  let dScs = 0n
  for (const p of r.parts) {
    taken += p.amount
    dScs += p.amount * p.startMs
  }
  if (taken === 0n) return 0n
  await fs.setLocks(offender, r.entries)
  const net = await fs.networkSums()
  await fs.setNetworkSums({ sc: net.sc - taken, scs: net.scs - dScs })
  const own = await fs.addressSums(offender)
  await fs.setAddressSums(offender, { sc: own.sc - taken, scs: own.scs - dScs, withdrawn: own.withdrawn })
  const budget = await fs.bonusBudget(offender)
  const cut = (budget * bps + BPS - 1n) / BPS
  if (budget > 0n) await fs.setBonusBudget(offender, cut < budget ? budget - cut : 0n)
  await new DposStore(fs.sm).transfer(FLOW_REWARDS, SHARED_POOL, taken)
  return taken
}
