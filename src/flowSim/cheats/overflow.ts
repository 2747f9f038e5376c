/**
 * `nfc flow simulate --cheat overflow` (DESIGN §12 "Bounds", issue 16 E1): the receipts a key pair
 * nobody funded or pledged signs at both ends — running totals of 2^256−1 (which once made the
 * cycle's checkpoint build throw) and one past uint64, and a plausible one whose provider is not a
 * pledged node. Each must be refused at the edge; none may cost the honest traffic its checkpoint.
 * Every tick, alongside the honest traffic, the pair (fresh keys nobody funded or pledged) submits
 * them; the summary reports how many were accepted and what its provider key earned.
 */
import { keccak256 as keccakHex } from 'ethers'
import { MAX_FLOW_TOTAL, RECEIPT_DOMAIN_TAG, signReceipt, type FlowReceipt, type SignedReceipt } from '../../flow/receipt.js'
import { bytesOfHexLoose } from '../../util/bytes.js'
import { deriveKey, party } from '../node.js'
import { rewardsOf } from '../report.js'
import type { CheatContext, CheatRun } from './cheat.js'

/** the running totals the forger claims beyond the bound: 2^256−1, and one past uint64 */
export const FORGED_TOTALS = [2n ** 256n - 1n, MAX_FLOW_TOTAL + 1n] as const
/** and a plausible total (1 MiB), so the refusal of its unpledged provider shows too */
export const FORGED_PLAUSIBLE_BYTES = 1n << 20n

/** a key and its address (lowercase 0x hex) */
export interface Signer {
  key: Uint8Array
  address: string
}

const ZERO32 = new Uint8Array(32)

/**
 * The forger's receipts of one tick (FORGED_TOTALS, then FORGED_PLAUSIBLE_BYTES), each in a
 * session of its own with seq = tick + 1, signed by both of the forger's keys.
 */
export function forgedReceipts(
  at: { seed: number; tick: number; cycle: bigint; chainId: bigint; expiryHeight: bigint },
  consumer: Signer,
  provider: Signer,
): SignedReceipt[] {
  return [...FORGED_TOTALS, FORGED_PLAUSIBLE_BYTES].map((total, i) => {
    const r: FlowReceipt = {
      domainTag: RECEIPT_DOMAIN_TAG,
      chainId: at.chainId,
      sessionId: bytesOfHexLoose(keccakHex(Buffer.from(`nfc-flow-sim:${at.seed}:forged-session:${i}`))),
      consumer: consumer.address,
      provider: provider.address,
      relays: [],
      seq: BigInt(at.tick + 1),
      bytesUp: total,
      bytesDown: 0n,
      sampleRoot: ZERO32,
      prevReceiptHash: ZERO32,
      cycle: at.cycle,
      expiryHeight: at.expiryHeight,
    }
    return { ...r, consumerSignature: signReceipt(r, consumer.key), providerSignature: signReceipt(r, provider.key) }
  })
}

export function overflow(ctx: CheatContext): CheatRun {
  // never funded, never pledged: the set-up does not know them
  const consumer = party(deriveKey(ctx.opts.seed, 'forger-consumer', 0), ctx.provider)
  const provider = party(deriveKey(ctx.opts.seed, 'forger-provider', 0), ctx.provider)
  const forged = { submitted: 0, accepted: 0 }
  return {
    tick: async (at, submit) => {
      for (const r of forgedReceipts({ seed: ctx.opts.seed, ...at }, consumer, provider)) {
        forged.submitted++
        if (await submit(r)) forged.accepted++
      }
    },
    finish: async (summary) => {
      summary.forger = { address: provider.address, ...forged, rewards: await rewardsOf(ctx.rpc, provider.address) }
      return 0n
    },
  }
}
