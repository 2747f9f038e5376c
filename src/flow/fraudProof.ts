/**
 * Fraud proofs against a pending checkpoint entry (Evidence.submitFraudProof): encodings and the
 * pure check of whether a proof proves fraud. Slice mismatch is not here: it is a
 * challenge-response on chain (Evidence.challengeSlice / FlowRewards.openSlice, sampling.ts).
 *
 * `checkFraud` never throws on adversarial input: an undecodable or malformed receipt simply
 * proves nothing ({proven: false, reason}).
 */
import type { CheckpointEntry } from './checkpoint.js'
import { badFormat } from './errors.js'
import {
  bytesEqual,
  hexOf,
  receiptHash,
  receiptOfRlp,
  receiptRlpFields,
  receiptTotal,
  recoverAddress,
  recoverReceiptSigners,
  rlpDecode,
  rlpEncode,
  rlpList,
  rlpUint,
  u32be,
  uintOfRlp,
  checkUint,
  type SignedReceipt,
} from './receipt.js'

export const FraudKind = { BadSignature: 1, DuplicateSeq: 2, Inflated: 3 } as const
export type FraudKind = (typeof FraudKind)[keyof typeof FraudKind]

export interface FraudProof {
  kind: FraudKind
  /** cycle of the checkpoint holding the entry */
  cycle: bigint
  /** index of the entry in that checkpoint */
  entryIndex: number
  /** the receipt the entry was built from (its receiptHash) */
  receipt: SignedReceipt
  /** DuplicateSeq only: the conflicting receipt signed by the consumer */
  second?: SignedReceipt
}

export type FraudVerdict = { proven: true } | { proven: false; reason: string }

const KINDS: readonly number[] = Object.values(FraudKind)

function checkShape(p: FraudProof): void {
  if (typeof p !== 'object' || p === null) throw badFormat('fraudProof', 'expected an object')
  if (!KINDS.includes(p.kind)) throw badFormat('kind', `unknown fraud kind ${String(p.kind)}`)
  checkUint(p.cycle, 64, 'cycle')
  u32be(p.entryIndex, 'entryIndex')
  const wantsSecond = p.kind === FraudKind.DuplicateSeq
  if (wantsSecond !== (p.second !== undefined)) {
    throw badFormat('second', wantsSecond ? 'DuplicateSeq needs a second receipt' : 'only DuplicateSeq carries a second receipt')
  }
}

/** RLP([kind, cycle, entryIndex, receipt, second?]) with receipts as their nested RLP field lists */
export function encodeFraudProof(p: FraudProof): Uint8Array {
  checkShape(p)
  const items: unknown[] = [rlpUint(BigInt(p.kind)), rlpUint(p.cycle), rlpUint(BigInt(p.entryIndex)), receiptRlpFields(p.receipt)]
  if (p.second !== undefined) items.push(receiptRlpFields(p.second))
  return rlpEncode(items)
}

export function decodeFraudProof(bytes: Uint8Array): FraudProof {
  const l = rlpList(rlpDecode(bytes, 'fraudProof'), 'fraudProof')
  if (l.length !== 4 && l.length !== 5) throw badFormat('fraudProof', `expected 4 or 5 fields, got ${l.length}`)
  const kind = Number(uintOfRlp(l[0], 64, 'kind')) as FraudKind
  const entryIndex = uintOfRlp(l[2], 64, 'entryIndex')
  if (entryIndex > 0xffff_ffffn) throw badFormat('entryIndex', 'not a uint32')
  const p: FraudProof = {
    kind,
    cycle: uintOfRlp(l[1], 64, 'cycle'),
    entryIndex: Number(entryIndex),
    receipt: receiptOfRlp(l[3], 'receipt'),
  }
  if (l.length === 5) p.second = receiptOfRlp(l[4], 'second')
  checkShape(p)
  return p
}

const no = (reason: string): FraudVerdict => ({ proven: false, reason })

/**
 * Whether `proof` proves fraud in `entry` (the entry at proof.cycle / proof.entryIndex; the
 * caller looks it up). Pure.
 * - BadSignature: the entry's receipt (hash matches) whose signatures do not both recover to
 *   entry.consumer / entry.provider.
 * - DuplicateSeq: the entry's receipt plus a second one with the same session and seq (and
 *   chain), validly signed by entry.consumer, whose bytesUp or bytesDown differ.
 * - Inflated: the entry's receipt, validly signed by its own consumer and provider, whose total,
 *   session, seq, consumer, provider, relays or sampleRoot differ from the entry's.
 */
export function checkFraud(proof: FraudProof, entry: CheckpointEntry): FraudVerdict {
  try {
    checkShape(proof)
    const r = proof.receipt
    if (!bytesEqual(receiptHash(r), entry.receiptHash)) return no("the receipt is not the entry's receipt (hash differs)")
    switch (proof.kind) {
      case FraudKind.BadSignature: {
        const got = recoverReceiptSigners(r)
        if (got.consumer === entry.consumer && got.provider === entry.provider) return no('both signatures are valid')
        return { proven: true }
      }
      case FraudKind.DuplicateSeq: {
        const s = proof.second!
        if (!bytesEqual(s.sessionId, entry.sessionId)) return no('the second receipt is for another session')
        if (s.seq !== entry.seq) return no('the second receipt has another seq')
        if (s.chainId !== r.chainId || !bytesEqual(s.domainTag, r.domainTag)) return no('the second receipt is for another chain')
        if (recoverAddress(receiptHash(s), s.consumerSignature) !== entry.consumer) {
          return no('the second receipt is not signed by the consumer')
        }
        if (s.bytesUp === r.bytesUp && s.bytesDown === r.bytesDown) return no('the second receipt has the same totals')
        return { proven: true }
      }
      case FraudKind.Inflated: {
        const got = recoverReceiptSigners(r)
        if (got.consumer !== r.consumer || got.provider !== r.provider) {
          return no('the receipt signatures are invalid (prove BadSignature instead)')
        }
        return entryDiffers(r, entry) ? { proven: true } : no('the entry matches its receipt')
      }
    }
    return no('unknown kind')
  } catch (e) {
    return no(`malformed: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** whether the entry claims anything its receipt does not say (what Inflated proves, signatures apart) */
export function entryDiffers(r: SignedReceipt, entry: CheckpointEntry): boolean {
  return (
    receiptTotal(r) !== entry.total ||
    !bytesEqual(r.sessionId, entry.sessionId) ||
    r.seq !== entry.seq ||
    r.consumer !== entry.consumer ||
    r.provider !== entry.provider ||
    r.relays.join() !== entry.relays.join() ||
    !bytesEqual(r.sampleRoot, entry.sampleRoot)
  )
}

/** Hex id of a proof's target, for logs and de-duplication. */
export function fraudTarget(p: FraudProof): string {
  return `${p.cycle}/${p.entryIndex}/${hexOf(receiptHash(p.receipt))}`
}
