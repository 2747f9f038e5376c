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
}

/** The last entry of the sender's executable run (evicting it never opens a gap in the run). */
export function pendingTail(acct: Account): Entry | undefined {
  return acct.pending === 0 ? undefined : acct.txs.get(acct.stateNonce + BigInt(acct.pending) - 1n)
}

/** The sender's highest-nonce entry, a queued one whenever the sender has any queued. */
export function lastEntry(acct: Account): Entry | undefined {
  let tail: Entry | undefined
  for (const e of acct.txs.values()) if (tail === undefined || e.nonce > tail.nonce) tail = e
  return tail
}

/** Eviction order: the lowest effective tip goes first; among equals, the most recent arrival. */
export function evictsBefore(a: Entry, b: Entry): boolean {
  return a.tip < b.tip || (a.tip === b.tip && a.seq > b.seq)
}

/** Block order: the highest effective tip first; among equals, the earliest arrival. */
export function minesBefore(a: Entry, b: Entry): boolean {
  return a.tip > b.tip || (a.tip === b.tip && a.seq < b.seq)
}
