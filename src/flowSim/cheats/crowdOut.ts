/**
 * `--cheat crowd-out` (issue 16): provider 0 and its consumer 0 try to take every session slot
 * of the cycle's checkpoint (4,096 entries), which would lock the other providers out: every tick
 * they sign CROWD_SESSIONS_PER_TICK receipts of fresh sessions (1 KiB each, seq 1) and submit
 * them alongside the honest traffic. The edge refuses the sessions of one provider past its
 * genesis share (`flowProviderSessionShareBps`, FLOW_OUT_OF_BOUNDS); the other providers' sessions
 * are still taken and paid. Needs --providers 2 or more.
 */
import { keccak256 as keccakHex } from 'ethers'
import { RECEIPT_DOMAIN_TAG, signReceipt, type FlowReceipt } from '../../flow/receipt.js'
import { hexToBytes } from '../node.js'
import type { CheatContext, CheatRun } from './cheat.js'

/** fresh sessions provider 0 opens every tick */
export const CROWD_SESSIONS_PER_TICK = 8
/** what each of them claims: 1 KiB downstream */
const CROWD_BYTES = 1024n
const ZERO32 = new Uint8Array(32)

export function crowdOut(ctx: CheatContext): CheatRun {
  const provider = ctx.providers[0]!
  const consumer = ctx.consumers[0]!
  const crowd = { provider: provider.address, submitted: 0, accepted: 0 }
  return {
    tick: async (at, submit) => {
      // the cycle now: the honest sessions of the tick may have taken long enough to end the tick's
      const cycle = BigInt((await ctx.rpc.call<{ cycle: string }>('flow_getSideChain', [])).cycle)
      for (let i = 0; i < CROWD_SESSIONS_PER_TICK; i++) {
        const r: FlowReceipt = {
          domainTag: RECEIPT_DOMAIN_TAG,
          chainId: at.chainId,
          sessionId: hexToBytes(keccakHex(Buffer.from(`nfc-flow-sim:${ctx.opts.seed}:crowd-session:${at.tick}:${i}`))),
          consumer: consumer.address,
          provider: provider.address,
          relays: [],
          seq: 1n,
          bytesUp: 0n,
          bytesDown: CROWD_BYTES,
          sampleRoot: ZERO32,
          prevReceiptHash: ZERO32,
          cycle,
          expiryHeight: at.expiryHeight,
        }
        crowd.submitted++
        if (await submit({ ...r, consumerSignature: signReceipt(r, consumer.key), providerSignature: signReceipt(r, provider.key) })) crowd.accepted++
      }
    },
    finish: async (summary) => {
      summary.crowd = crowd
      return 0n
    },
  }
}
