/**
 * `--cheat inflate`: on every second receipt of a session the provider doubles its downstream
 * claim after the consumer signed the true totals, and submits that first; the consumer's
 * signature no longer matches, so the side-chain must reject it (FLOW_BAD_SIGNATURE).
 */
import { signReceipt } from '../../flow/receipt.js'
import type { CheatRun } from './cheat.js'

export function inflate(): CheatRun {
  return {
    beforeReceipt: async (s, honest, submit) => {
      if (s.seq % 2n !== 0n) return
      const inflated = { ...honest, bytesDown: honest.bytesDown * 2n }
      await submit({ ...inflated, providerSignature: signReceipt(inflated, s.provider.key) })
    },
  }
}
