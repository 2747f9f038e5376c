/**
 * The seam where payment channels (issue 19, branch i19-channels) plug into the agents: the
 * consumer attaches a voucher to each co-signature (COSIGN's optional `voucher`, tunnel.ts) and
 * the provider sees it with the co-signed receipt. Until channels exist, `NO_PAYMENT` attaches
 * nothing and accepts everything: fuel is paid from the consumer's NB escrow (DESIGN §5.1).
 */
import type { SignedReceipt } from '../flow/receipt.js'
import type { VoucherJson } from './tunnel.js'

export interface PaymentHook {
  /** consumer: the voucher to send with its co-signature of `receipt` (undefined: none) */
  voucherFor(receipt: SignedReceipt): Promise<VoucherJson | undefined>
  /** provider: `receipt` was co-signed with `voucher`; throw to refuse it (the tunnel is closed as unpaid) */
  onVoucher(receipt: SignedReceipt, voucher: VoucherJson | undefined): Promise<void>
}

/** No channel: no voucher sent, none required. */
export const NO_PAYMENT: PaymentHook = {
  voucherFor: () => Promise.resolve(undefined),
  onVoucher: () => Promise.resolve(),
}
