/** The pool's records: one `Entry` per transaction, one `Account` per sender with pooled txs. */
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address } from '@ethereumjs/util'

export interface Entry {
  tx: TypedTransaction
  hash: Uint8Array
  /** hash as 0x-hex, the key of `byHash` */
  key: string
  sender: Address
  senderKey: string
  nonce: bigint
  feeCap: bigint
  tipCap: bigint
  /** effective tip over minGasPrice; constant because minGasPrice never changes */
  tip: bigint
  cost: bigint
  /** arrival order, the tie-breaker everywhere */
  seq: number
  pending: boolean
}

export interface Account {
  address: Address
  key: string
  txs: Map<bigint, Entry>
  /** state nonce at the current head */
  stateNonce: bigint
  /** executable entries: the run stateNonce … stateNonce + pending − 1 */
  pending: number
  /** entries behind a nonce gap */
  queued: number
  /**
   * the highest-nonce entry (a queued one whenever the sender has any queued), kept by the pool at
   * every insert and removal (`noteInserted`, `noteRemoved`): eviction asks every sender for it
   * when the queue is full
   */
  last: Entry | undefined
}

/** The last entry of the sender's executable run (evicting it never opens a gap in the run). */
export function pendingTail(acct: Account): Entry | undefined {
  return acct.pending === 0 ? undefined : acct.txs.get(acct.stateNonce + BigInt(acct.pending) - 1n)
}

/** `e` was just put in `acct.txs`. */
export function noteInserted(acct: Account, e: Entry): void {
  if (acct.last === undefined || e.nonce > acct.last.nonce) acct.last = e
}

/**
 * `e` was just taken out of `acct.txs`: when it was the last, the next highest is found by one pass
 * over this sender's entries (a pass over every sender's, each time the queue was full, cost a
 * newcomer O(pool): ~30 µs at geth's default sizes, more with bigger ones).
 */
export function noteRemoved(acct: Account, e: Entry): void {
  if (acct.last !== e) return
  let last: Entry | undefined
  for (const x of acct.txs.values()) if (last === undefined || x.nonce > last.nonce) last = x
  acct.last = last
}

/** Eviction order: the lowest effective tip goes first; among equals, the most recent arrival. */
export function evictsBefore(a: Entry, b: Entry): boolean {
  return a.tip < b.tip || (a.tip === b.tip && a.seq > b.seq)
}

/** Block order: the highest effective tip first; among equals, the earliest arrival. */
export function minesBefore(a: Entry, b: Entry): boolean {
  return a.tip > b.tip || (a.tip === b.tip && a.seq < b.seq)
}
