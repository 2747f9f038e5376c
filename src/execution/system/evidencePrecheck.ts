/**
 * The pool's pre-check of evidence (DESIGN §12: "the first valid evidence is applied; duplicates
 * are refused in the pool before execution"). A transaction to the Evidence contract whose
 * offence was already penalised at the head can only revert, and a reverted transaction still
 * costs its sender the gas: the pool refuses it instead ("evidence already applied"), so a
 * late or second submitter — a fallback witness, a second watcher — spends nothing.
 *
 * Refused only where execution would certainly revert at the head state:
 *  - submitDoubleProduction(a, b) / submitInvalidBlock(h): the (producer, slot) of the first
 *    header is marked used (DposStore.evidenceUsed; the slot by evidence.ts evidenceSlotOf, the
 *    contract's own key) — whatever else is wrong with the call, the contract reverts then;
 *  - submitFraudProof(p): the entry the proof names is already voided.
 * Anything that does not decode is let through: the contract gives it its precise revert reason.
 * A duplicate that meets its original in the same block still reverts there (the pool sees only
 * the head).
 */
import { decodeHeader } from '../../chain/header.js'
import type { DposConfig } from '../../consensus/dpos/engine.js'
import { DposStore, type StateAccess } from '../../consensus/dpos/store.js'
import { EntryStatus, FlowStore } from '../../consensus/povf/store.js'
import { decodeFraudProof } from '../../flow/fraudProof.js'
import { bytesToHex } from '@ethereumjs/util'
import { decode } from './abi.js'
import type { SystemFunction } from './contract.js'
import { evidence, evidenceSlotOf } from './evidence.js'

/** The pool's reason for refusing a duplicate (also what eth_sendRawTransaction answers). */
export const EVIDENCE_ALREADY_APPLIED = 'evidence already applied'

const SELECTOR_BYTES = 4

function functionOf(data: Uint8Array): SystemFunction | undefined {
  if (data.length < SELECTOR_BYTES) return undefined
  const selector = bytesToHex(data.subarray(0, SELECTOR_BYTES))
  return evidence.functions.find((f) => f.selector === selector)
}

/** decodes, or undefined when the input does not (the contract will say why) */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch {
    return undefined
  }
}

/**
 * Why the pool refuses the call `data` to the Evidence contract at the state `sm` (the head), or
 * undefined when it may go in.
 */
export async function evidenceRefusal(sm: StateAccess, data: Uint8Array, cfg: DposConfig): Promise<string | undefined> {
  const f = functionOf(data)
  if (f === undefined) return undefined
  const args = attempt(() => decode(f.inputs, data.subarray(SELECTOR_BYTES)))
  if (args === undefined) return undefined
  if (f.name === 'submitDoubleProduction' || f.name === 'submitInvalidBlock') {
    const h = attempt(() => decodeHeader(args[0] as Uint8Array))
    if (h === undefined) return undefined
    const used = await new DposStore(sm).evidenceUsed(bytesToHex(h.producer), evidenceSlotOf(h.timestamp, cfg))
    return used ? EVIDENCE_ALREADY_APPLIED : undefined
  }
  if (f.name === 'submitFraudProof') {
    const p = attempt(() => decodeFraudProof(args[0] as Uint8Array))
    if (p === undefined) return undefined
    const voided = (await new FlowStore(sm).entryStatus(p.cycle, BigInt(p.entryIndex))) === EntryStatus.Voided
    return voided ? EVIDENCE_ALREADY_APPLIED : undefined
  }
  return undefined
}
