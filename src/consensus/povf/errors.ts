/**
 * Error codes of the pure PoVF rules (curve, valuing, split, locks, vesting). These rules only
 * throw on inputs outside their domain (a caller bug) and on a withdrawal above what is
 * withdrawable (a user error the FlowRewards contract turns into a revert).
 */
import { NfcError } from '../../util/errors.js'

export const PovfErrorCode = {
  /** a negative amount, a zero divisor, a non-integer count… (meta names the argument) */
  POVF_BAD_ARG: 'POVF_BAD_ARG',
  /** a withdrawal of more than the address's withdrawable amount (meta.amount, meta.withdrawable) */
  POVF_WITHDRAW_EXCEEDS_WITHDRAWABLE: 'POVF_WITHDRAW_EXCEEDS_WITHDRAWABLE',
} as const
export type PovfErrorCode = (typeof PovfErrorCode)[keyof typeof PovfErrorCode]

export class PovfError extends NfcError<PovfErrorCode> {}

/** POVF_BAD_ARG naming the argument. */
export function badArg(arg: string, why: string, meta: Record<string, unknown> = {}): PovfError {
  return new PovfError(PovfErrorCode.POVF_BAD_ARG, `${arg}: ${why}`, { arg, ...meta })
}

/** Throws POVF_BAD_ARG unless `v` is a bigint ≥ 0. */
export function requireNonNegative(arg: string, v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n) throw badArg(arg, 'must be a bigint ≥ 0', { value: v })
}

/** Throws POVF_BAD_ARG unless `v` is a bigint > 0. */
export function requirePositive(arg: string, v: bigint): void {
  if (typeof v !== 'bigint' || v <= 0n) throw badArg(arg, 'must be a bigint > 0', { value: v })
}
