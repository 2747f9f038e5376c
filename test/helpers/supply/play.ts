/**
 * What the supply run (test/helpers/supplyRun.ts) and its actor modules (governance.ts,
 * channels.ts beside this file) share: a planned transaction, the planner's `tx` function, the
 * run's random draws, and what an included transaction did.
 */
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address } from '@ethereumjs/util'
import type { Actor } from '../supplyChain.js'

export interface Planned {
  kind: string
  from: Actor
  tx: TypedTransaction
  /** the planner knows the call is refused (bad input): its success fails the run */
  mustRevert?: boolean
  /** the planner knows the call is valid: its revert fails the run */
  mustSucceed?: boolean
  onOk?: () => void
}

/** Signs a transaction of `from` (its nonce in the block's parent state), marks it busy and plans it. */
export type TxFn = (kind: string, from: Actor, to: Address, data: string, value?: bigint, gasLimit?: bigint) => Promise<Planned>

/** The run's seeded draws (one PRNG: a seed replays the whole run). */
export interface Draws {
  int(n: number): number
  pick<T>(xs: readonly T[]): T
  chance(p: number): boolean
  /** a random amount in [lo, hi] NFC with 6 random decimals */
  nfc(lo: number, hi: number): bigint
}

export interface TxLog {
  /** lowercase 0x */
  address: string
  topics: string[]
  data: string
}

/** An included transaction: whether it succeeded, the NFC its sender paid for gas, its logs. */
export interface Outcome {
  p: Planned
  ok: boolean
  /** gasUsed × effectiveGasPrice, wei */
  fee: bigint
  logs: TxLog[]
}

/** Records a failure of the invariant at block `number` (the run stops after the block). */
export type Fail = (number: bigint, msg: string) => void

/** Σ of a list of bigints. */
export const sum = (xs: Iterable<bigint>): bigint => {
  let s = 0n
  for (const x of xs) s += x
  return s
}
