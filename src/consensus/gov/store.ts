/**
 * Governance records (DESIGN §14): storage words of the Governance account (0x…1006). This file
 * only reads and writes; the rules are in engine.ts (per block) and the Governance system
 * contract (src/execution/system/governance.ts).
 *
 * Layout (slotOf(tag, …) words of the Governance account):
 *   gov.count                          proposals made so far (ids 0 … count − 1)
 *   gov.p.<field> ‖ u64 id             a proposal's fields (ProposalRecord)
 *   gov.voted ‖ u64 id ‖ addr          1 when `addr` voted on the proposal
 *   gov.lock ‖ addr                    the latest vote end of the proposals `addr` voted on, ms
 *                                      (its unbonded stake stays in Staking until then, engine.ts)
 *   gov.cursor                         the oldest proposal not yet settled (executed or rejected)
 *   gov.mask                           bit i set: governed parameter i has an override
 *   gov.val ‖ u8 i                     the override of parameter i
 *   gov.h.n ‖ u8 i                     how many times parameter i was changed
 *   gov.h.{block,id,value} ‖ u8 i ‖ u64 k   change k: the block that executed it, the proposal, the value
 *
 * The account is created (nonce 1, no code) by the first write (`ensureAccount`): the genesis
 * state does not hold it, so genesis hashes of existing chains stay as they were.
 */
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { fromAddr, slotOf, toAddr, u64b, Words, type Addr, type StateAccess } from '../dpos/store.js'

export const GOVERNANCE = new Address(hexToBytes(SYSTEM_CONTRACTS.governance))

/** The governed parameter id of rnPledge (params.ts GOVERNED_PARAMS): the DPoS engine reads its override here. */
export const PARAM_RN_PLEDGE = 5

/** What a proposal asks for. */
export const ProposalKind = { Param: 1, Grant: 2 } as const

/** A proposal's stored outcome; Open until the engine settles it after its timelock. */
export const ProposalStatus = { Open: 0, Executed: 1, Rejected: 2, Failed: 3 } as const

/** A status's name for people ("executed"); the number itself when unknown. */
export function proposalStatusName(status: number): string {
  const found = Object.entries(ProposalStatus).find(([, v]) => v === status)
  return found === undefined ? String(status) : found[0].toLowerCase()
}

export interface ProposalRecord {
  proposer: Addr
  kind: number
  /** the governed parameter's id (ProposalKind.Param) */
  param: bigint
  /** the grant's recipient (ProposalKind.Grant), else the zero address */
  to: Addr
  /** the parameter's new value, or the grant in wei */
  value: bigint
  /** votes are accepted while the block time is below this, ms */
  endsMs: bigint
  yes: bigint
  no: bigint
  /** all NFC staked when it was proposed (the quorum's base), wei */
  stake: bigint
  status: number
  /** the block that settled it (0: not yet) */
  settledBlock: bigint
}

const FIELDS = ['proposer', 'kind', 'param', 'to', 'value', 'endsMs', 'yes', 'no', 'stake', 'status', 'settledBlock'] as const
const ADDRESS_FIELDS = new Set<string>(['proposer', 'to'])
const ZERO: Addr = '0x0000000000000000000000000000000000000000'

/** One change of a governed parameter. */
export interface ParamChange {
  block: bigint
  proposal: bigint
  value: bigint
}

const key = (a: Addr): Uint8Array => hexToBytes(a as `0x${string}`)
const u8 = (i: number): Uint8Array => Uint8Array.of(i)

export class GovStore {
  readonly w: Words

  constructor(readonly sm: StateAccess) {
    this.w = new Words(sm, GOVERNANCE)
  }

  /**
   * Storage can only be written to an existing account: the first write creates it with nonce 1.
   * Inside a call the EVM has already put an empty account here (the callee it credits with the
   * call's value), which the end-of-transaction cleanup (EIP-161) would delete with its storage:
   * a nonce of 1 makes it stay.
   */
  async ensureAccount(): Promise<void> {
    const acc = (await this.sm.getAccount(GOVERNANCE)) ?? new Account()
    if (acc.nonce !== 0n) return
    acc.nonce = 1n
    await this.sm.putAccount(GOVERNANCE, acc)
  }

  count(): Promise<bigint> {
    return this.w.get(slotOf('gov.count'))
  }
  setCount(v: bigint): Promise<void> {
    return this.w.set(slotOf('gov.count'), v)
  }

  async getProposal(id: bigint): Promise<ProposalRecord> {
    const out: Record<string, bigint | Addr> = {}
    for (const f of FIELDS) {
      const v = await this.w.get(slotOf(`gov.p.${f}`, u64b(id)))
      out[f] = ADDRESS_FIELDS.has(f) ? (toAddr(v) ?? ZERO) : v
    }
    const r = out as unknown as ProposalRecord
    return { ...r, kind: Number(out.kind), status: Number(out.status) }
  }

  async putProposal(id: bigint, fields: Partial<ProposalRecord>): Promise<void> {
    for (const f of FIELDS) {
      const v = fields[f]
      if (v === undefined) continue
      await this.w.set(slotOf(`gov.p.${f}`, u64b(id)), typeof v === 'string' ? fromAddr(v) : BigInt(v))
    }
  }

  async hasVoted(id: bigint, voter: Addr): Promise<boolean> {
    return (await this.w.get(slotOf('gov.voted', u64b(id), key(voter)))) !== 0n
  }
  markVoted(id: bigint, voter: Addr): Promise<void> {
    return this.w.set(slotOf('gov.voted', u64b(id), key(voter)), 1n)
  }

  /** Until when `voter`'s unbonded stake stays locked by its votes, ms (0: never voted). */
  voteLockUntil(voter: Addr): Promise<bigint> {
    return this.w.get(slotOf('gov.lock', key(voter)))
  }
  /** Extends `voter`'s lock to `untilMs` (never shortens it). */
  async extendVoteLock(voter: Addr, untilMs: bigint): Promise<void> {
    if ((await this.voteLockUntil(voter)) < untilMs) await this.w.set(slotOf('gov.lock', key(voter)), untilMs)
  }

  cursor(): Promise<bigint> {
    return this.w.get(slotOf('gov.cursor'))
  }
  setCursor(v: bigint): Promise<void> {
    return this.w.set(slotOf('gov.cursor'), v)
  }

  overrideMask(): Promise<bigint> {
    return this.w.get(slotOf('gov.mask'))
  }
  override(param: number): Promise<bigint> {
    return this.w.get(slotOf('gov.val', u8(param)))
  }
  /** the override of `param`, or undefined when governance never changed it */
  async overrideOf(param: number): Promise<bigint | undefined> {
    return ((await this.overrideMask()) >> BigInt(param)) & 1n ? this.override(param) : undefined
  }

  /** Sets parameter `param` to `value` and appends the change to its history. */
  async setOverride(param: number, change: ParamChange): Promise<void> {
    await this.w.set(slotOf('gov.mask'), (await this.overrideMask()) | (1n << BigInt(param)))
    await this.w.set(slotOf('gov.val', u8(param)), change.value)
    const n = await this.w.get(slotOf('gov.h.n', u8(param)))
    await this.w.set(slotOf('gov.h.block', u8(param), u64b(n)), change.block)
    await this.w.set(slotOf('gov.h.id', u8(param), u64b(n)), change.proposal)
    await this.w.set(slotOf('gov.h.value', u8(param), u64b(n)), change.value)
    await this.w.set(slotOf('gov.h.n', u8(param)), n + 1n)
  }

  /** Every change of parameter `param`, oldest first. */
  async history(param: number): Promise<ParamChange[]> {
    const n = await this.w.get(slotOf('gov.h.n', u8(param)))
    const out: ParamChange[] = []
    for (let k = 0n; k < n; k++) {
      out.push({
        block: await this.w.get(slotOf('gov.h.block', u8(param), u64b(k))),
        proposal: await this.w.get(slotOf('gov.h.id', u8(param), u64b(k))),
        value: await this.w.get(slotOf('gov.h.value', u8(param), u64b(k))),
      })
    }
    return out
  }
}
