/**
 * The per-block rule of storage deals (DESIGN §14): before the block's transactions, after the
 * governance rule, on the same BlockInfo. At the first block of period q (q above the period of
 * the last block the rule saw, P):
 *   1. every active deal, in active-list order, is settled for the move P → q (rules.ts `settle`):
 *      period P proved → its price (NB) to the provider; P in the term and not proved → slashed:
 *      collateral × storageSlashBps / 10⁴ to the client, the rest of the collateral to the
 *      provider, the rest of the escrow to the client, status Slashed; periods P+1 … q−1 had no
 *      block → their price back to the client; a deal whose last period is before q completes:
 *      the collateral back to the provider, any escrow left to the client, status Completed.
 *   2. the seed hash of q is recorded: the parent hash of q's first block. It is not known before
 *      q starts (the block that fixes it is the last of P). Why not the newest final block: a
 *      block's finality is the node's bookkeeping of confirmations, not part of the state a block
 *      executes on, and a block imported on a side branch must see its own ancestry — the parent
 *      hash in the BlockInfo is always that (as the flow engine's sample seeds, povf/engine.ts).
 * The work is bounded by storageMaxActiveDeals (accept refuses beyond it). Nothing runs before the
 * StorageDeals account exists (its first post creates it and records the period it ran in), so
 * chains that never use it keep their state roots. Deterministic: the active list is a stored, ordered list; bigint arithmetic.
 */
import { Account } from '@ethereumjs/util'
import { dealsOf, type BlockInfo, type DposConfig } from '../dpos/engine.js'
import { addressOfHex, DposStore, type Addr, type StateAccess } from '../dpos/store.js'
import { NbStore } from '../povf/nbStore.js'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { DealStatus, periodAt, settle, slashOf, type DealsConfig } from './rules.js'
import { DealsStore, STORAGE_DEALS, type DealRecord } from './store.js'

const SELF: Addr = SYSTEM_CONTRACTS.storageDeals

/** What one block's settlement did (for logs and tests). */
export interface DealSettled {
  id: bigint
  paid: bigint
  refunded: bigint
  /** NFC wei paid to the client from the collateral (missed proof) */
  slashed: bigint
  /** the status after settlement */
  status: number
}

/** moves NB wei from this account's NB balance to `to` */
async function payNb(nb: NbStore, to: Addr, amount: bigint): Promise<void> {
  if (amount !== 0n) await nb.move(SELF, to, amount)
}

/**
 * Ends a deal: `slash` wei of the collateral to the client, the rest to the provider, the escrow
 * left to the client; the deal leaves the active list. Returns the NB given back.
 */
async function endDeal(sm: StateAccess, store: DealsStore, d: DealRecord, status: number, slash: bigint, period: bigint): Promise<bigint> {
  const nfc = new DposStore(sm)
  await nfc.transfer(STORAGE_DEALS, addressOfHex(d.client), slash)
  await nfc.transfer(STORAGE_DEALS, addressOfHex(d.provider), d.collateral - slash)
  const left = d.price - d.paid - d.refunded
  await payNb(new NbStore(sm), d.client, left)
  await store.putDeal(d.id, { status, slashed: slash, refunded: d.refunded + left, endedPeriod: period })
  await store.active().remove(d.id)
  return left
}

async function settleDeal(sm: StateAccess, store: DealsStore, d: DealRecord, prev: bigint, now: bigint, cfg: DealsConfig): Promise<DealSettled> {
  const s = settle({ firstPeriod: d.firstPeriod, periods: d.periods, provedPeriod: d.provedPeriod, perPeriod: d.price / d.periods }, prev, now)
  if (s.missed) {
    const slash = slashOf(d.collateral, cfg)
    const left = await endDeal(sm, store, d, DealStatus.Slashed, slash, now)
    return { id: d.id, paid: 0n, refunded: left, slashed: slash, status: DealStatus.Slashed }
  }
  const nb = new NbStore(sm)
  await payNb(nb, d.provider, s.pay)
  await payNb(nb, d.client, s.refund)
  d.paid += s.pay
  d.refunded += s.refund
  await store.putDeal(d.id, { paid: d.paid, refunded: d.refunded })
  if (!s.ended) return { id: d.id, paid: s.pay, refunded: s.refund, slashed: 0n, status: DealStatus.Active }
  const left = await endDeal(sm, store, d, DealStatus.Completed, 0n, now)
  return { id: d.id, paid: s.pay, refunded: s.refund + left, slashed: 0n, status: DealStatus.Completed }
}

/** Before the block's transactions, after the governance rule: the settlement rule of the header. */
export async function dealsBeginBlock(sm: StateAccess, info: BlockInfo, cfg: DposConfig): Promise<DealSettled[]> {
  const acc: Account | undefined = await sm.getAccount(STORAGE_DEALS)
  if (acc === undefined || acc.nonce === 0n) return []
  const deals = dealsOf(cfg)
  const store = new DealsStore(sm)
  const now = periodAt(info.timestamp, deals)
  const prev = await store.lastPeriod()
  if (now <= prev) return []
  const out: DealSettled[] = []
  if (prev > 0n) {
    // a copy: settling removes ended deals from the list (the last one moves into the freed place)
    for (const id of await store.active().all()) {
      const d = (await store.getDeal(id))!
      out.push(await settleDeal(sm, store, d, prev, now, deals))
    }
  }
  await store.setSeed(now, info.parentHash)
  await store.setLastPeriod(now)
  return out
}
