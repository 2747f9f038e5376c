/**
 * What a `--cheat` changes in a simulator run (simulate.ts): one object of optional hooks, each
 * called by the main loop at its point — the set-up (setUp.ts), the traffic loop, the end of the
 * run. A run without a cheat has none. Each cheat lives in its own file here; index.ts makes one.
 */
import type { JsonRpcProvider, NonceManager } from 'ethers'
import type { SignedReceipt } from '../../flow/receipt.js'
import type { Party, Rpc, Session } from '../node.js'
import type { SimOptions, SimSummary } from '../types.js'

/** Submits a receipt and counts it in the run's summary; true when the node accepted it. */
export type Submit = (r: SignedReceipt) => Promise<boolean>

/** What a cheat is made with: the run's options, the node and the parties. */
export interface CheatContext {
  opts: SimOptions
  rpc: Rpc
  provider: JsonRpcProvider
  consumers: Party[]
  providers: Party[]
  log: (line: string) => void
  progress: (line: string) => void
}

/** The set-up as a cheat's set-up hooks see it. */
export interface SetUpContext {
  provider: JsonRpcProvider
  funder: NonceManager
  funderAddress: string
  consumers: Party[]
  providers: Party[]
  progress: (line: string) => void
}

/** A tick of the traffic loop, for receipts a cheat signs itself. */
export interface TickInfo {
  tick: number
  cycle: bigint
  chainId: bigint
  expiryHeight: bigint
}

export interface CheatRun {
  /** set-up: NFC each provider is funded with beyond its pledge and gas */
  providerExtraNfc?: bigint
  /** set-up: NFC the funder needs beyond the parties' funds, and what the shortfall message names */
  extraNeed?: { nfc: bigint; note: string }
  /** set-up: more parties funded with gas alongside the providers and consumers */
  gasParties?: readonly Party[]
  /** set-up: before the providers and consumers are funded */
  beforeFunding?(s: SetUpContext): Promise<void>
  /** set-up: puts the consumers' fuel in escrow in its own way (instead of the consumers buying it); each consumer's escrow */
  fuel?(s: SetUpContext): Promise<bigint[]>
  /** after the set-up, before the traffic */
  start?(): Promise<void>
  /** does provider `i` leave slice challenges unanswered? */
  silent?(i: number): boolean
  /** each honest receipt of a session, before it is submitted */
  beforeReceipt?(s: Session, honest: SignedReceipt, submit: Submit): Promise<void>
  /** each accepted honest receipt of a session; `previous` the session's last accepted one */
  afterAccepted?(s: Session, previous: SignedReceipt | null, submit: Submit): Promise<void>
  /** once per tick, after the sessions */
  tick?(at: TickInfo, submit: Submit): Promise<void>
  /** after the rewards are applied: adds its figures to the summary; the coin-time bonus its withdrawals were paid */
  finish?(summary: SimSummary): Promise<bigint>
}
