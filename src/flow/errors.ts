/**
 * Error codes of the flow (PoVF) formats: receipts, openings, checkpoints and fraud proofs.
 * `rpc/errors.ts` maps them; flow_submitReceipt rejections carry the code in `data.code`.
 */
import { NfcError } from '../util/errors.js'

export const FlowErrorCode = {
  /** a signature that is malformed or does not recover to the party it claims (meta.side) */
  FLOW_BAD_SIGNATURE: 'FLOW_BAD_SIGNATURE',
  /** a receipt whose (session, seq) is not above the last one accepted */
  FLOW_REPLAY: 'FLOW_REPLAY',
  /** bytes, JSON or values that break the encoding rules (meta.field names the culprit) */
  FLOW_BAD_FORMAT: 'FLOW_BAD_FORMAT',
  /** a receipt or checkpoint for another chain id or domain tag */
  FLOW_WRONG_CHAIN: 'FLOW_WRONG_CHAIN',
  /** a receipt past its expiryHeight */
  FLOW_EXPIRED: 'FLOW_EXPIRED',
  /** a receipt whose cycle is not the side-chain's cycle */
  FLOW_WRONG_CYCLE: 'FLOW_WRONG_CYCLE',
  /** a checkpoint signature by someone outside the cycle's committee */
  FLOW_NOT_COMMITTEE: 'FLOW_NOT_COMMITTEE',
  /** a slice opening that does not verify against the sample root */
  FLOW_BAD_OPENING: 'FLOW_BAD_OPENING',
  /** two entries, leaves or receipts for the same session/seq/address where one is allowed */
  FLOW_DUPLICATE_SEQ: 'FLOW_DUPLICATE_SEQ',
  /** more than MAX_RELAYS relays */
  FLOW_TOO_MANY_RELAYS: 'FLOW_TOO_MANY_RELAYS',
  /** totals that go backwards (total < prevTotal, a running total below the last one) */
  FLOW_TOTAL_DECREASED: 'FLOW_TOTAL_DECREASED',
  /** a checkpoint whose totalsRoot, totalBytes or sideChainId does not match its entries */
  FLOW_BAD_CHECKPOINT: 'FLOW_BAD_CHECKPOINT',
  /** a fraud proof that is malformed (not one that merely fails to prove fraud) */
  FLOW_BAD_PROOF: 'FLOW_BAD_PROOF',
  /** a running total above the uint64 bound, an increment above what the session could carry, or a session past a full checkpoint */
  FLOW_OUT_OF_BOUNDS: 'FLOW_OUT_OF_BOUNDS',
  /** a receipt whose provider is not a pledged node on the main chain */
  FLOW_NOT_PLEDGED: 'FLOW_NOT_PLEDGED',
  /** a receipt whose consumer holds no NB escrow for its provider (nothing pays its fuel) */
  FLOW_NO_ESCROW: 'FLOW_NO_ESCROW',
  /** a payment-channel voucher for another channel or provider than the one it is checked against (voucher.ts) */
  FLOW_VOUCHER_WRONG_CHANNEL: 'FLOW_VOUCHER_WRONG_CHANNEL',
  /** a voucher whose signature does not recover to the channel's consumer (also: another chain id) */
  FLOW_VOUCHER_BAD_SIGNATURE: 'FLOW_VOUCHER_BAD_SIGNATURE',
  /** a voucher whose cumulative amount is not above what the channel already redeemed (stale or replayed) */
  FLOW_VOUCHER_STALE: 'FLOW_VOUCHER_STALE',
  /** a voucher whose cumulative amount is above the channel's deposit */
  FLOW_VOUCHER_ABOVE_DEPOSIT: 'FLOW_VOUCHER_ABOVE_DEPOSIT',
} as const
export type FlowErrorCode = (typeof FlowErrorCode)[keyof typeof FlowErrorCode]

export class FlowError extends NfcError<FlowErrorCode> {}

/** FLOW_BAD_FORMAT naming the field, the shape every decoder throws. */
export function badFormat(field: string, why: string, meta: Record<string, unknown> = {}): FlowError {
  return new FlowError(FlowErrorCode.FLOW_BAD_FORMAT, `${field}: ${why}`, { field, ...meta })
}
