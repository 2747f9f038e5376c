/**
 * `--cheat split-withdrawals`: honest traffic whose providers then withdraw what they can in
 * SPLIT_PARTS transactions, one after the other, to farm the coin-time bonus (path-independent
 * and bounded by each address's bonus budget: no gain). Needs a chain with a short flowLockSec.
 */
import { Contract, type TransactionResponse } from 'ethers'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { abi } from '../node.js'
import type { CheatContext, CheatRun } from './cheat.js'

/** `--cheat split-withdrawals`: each provider withdraws in this many transactions. */
export const SPLIT_PARTS = 5n

export function splitWithdrawals(ctx: CheatContext): CheatRun {
  return { finish: () => withdrawInParts(ctx) }
}

/** Each provider withdraws what is withdrawable in SPLIT_PARTS transactions; the coin-time bonus all of them were paid. */
async function withdrawInParts(ctx: CheatContext): Promise<bigint> {
  const flow = new Contract(SYSTEM_CONTRACTS.flowRewards, abi('FlowRewards'), ctx.provider)
  let bonus = 0n
  for (const p of ctx.providers) {
    const w = BigInt((await ctx.rpc.call<{ withdrawable: string }>('flow_getRewards', [p.address])).withdrawable)
    if (w < SPLIT_PARTS) continue
    for (let i = 0n; i < SPLIT_PARTS; i++) {
      const amount = i < SPLIT_PARTS - 1n ? w / SPLIT_PARTS : w - (w / SPLIT_PARTS) * (SPLIT_PARTS - 1n)
      const tx = (await (flow.connect(p.wallet) as Contract).getFunction('withdraw')(amount)) as TransactionResponse
      const r = await tx.wait()
      if (r === null || r.status !== 1) throw new Error(`withdraw: transaction ${tx.hash} failed`)
      for (const log of r.logs) {
        const ev = flow.interface.parseLog(log)
        if (ev?.name === 'Withdrawn') bonus += ev.args.getValue('bonus') as bigint
      }
      ctx.progress(`split withdrawals: ${p.address} part ${i + 1n}/${SPLIT_PARTS}`)
    }
  }
  return bonus
}
