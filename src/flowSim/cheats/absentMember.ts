/**
 * `--cheat absent-member`: pledges one more central node whose key signs nothing (no node runs
 * it) and runs the traffic in a cycle whose committee holds it: the cycle must be checkpointed
 * anyway (≥ 2/3 sign, the absent one is skipped at the signing deadline, DESIGN §12) and the absent
 * member loses a pledge slice; its pledge before and after is reported. The chain needs enough
 * signing committee members for that (a devnet of 2 or more witnesses).
 */
import { Contract } from 'ethers'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { abi, deriveKey, party, waitAll, type Rpc } from '../node.js'
import { GAS_NFC } from '../setUp.js'
import type { CheatContext, CheatRun } from './cheat.js'

/** NodeRegistry role of a central node (a committee candidate) */
const CN_ROLE = 2
/** flow cycles to wait for the absent member to be drawn into a committee */
const DRAW_WAIT_CYCLES = 3

export async function absentMember(ctx: CheatContext): Promise<CheatRun> {
  const absent = party(deriveKey(ctx.opts.seed, 'absent', 0), ctx.provider)
  const registry = new Contract(SYSTEM_CONTRACTS.nodeRegistry, abi('NodeRegistry'), ctx.provider)
  const pledgeOf = async (a: string) => ((await registry.getFunction('nodeOf')(a)) as [bigint, bigint])[1]
  const fund = ((await registry.getFunction('minPledge')(CN_ROLE)) as bigint) + GAS_NFC
  let pledgeBefore = 0n
  return {
    extraNeed: { nfc: fund, note: ', the absent member as a central node' },
    beforeFunding: async (s) => {
      await waitAll([s.funder.sendTransaction({ to: absent.address, value: fund })], 'funding the absent member', s.progress)
      await waitAll(
        [(registry.connect(absent.wallet) as Contract).getFunction('pledge')(CN_ROLE, { value: fund - GAS_NFC })],
        'pledging the absent member as a central node (its key signs nothing)',
        s.progress,
      )
    },
    start: async () => {
      pledgeBefore = await pledgeOf(absent.address)
      await untilDrawn(ctx.rpc, absent.address, ctx.progress)
    },
    finish: async (summary) => {
      summary.absent = { address: absent.address, pledgeBefore, pledgeAfter: await pledgeOf(absent.address) }
      return 0n
    },
  }
}

/** Waits until the current cycle's committee holds `member` (drawn at the first block of a cycle after its pledge). */
async function untilDrawn(rpc: Rpc, member: string, progress: (s: string) => void): Promise<void> {
  let first: bigint | null = null
  for (;;) {
    const side = await rpc.call<{ cycle: string; committee: string[] } | null>('flow_getSideChain', [])
    if (side !== null) {
      const cycle = BigInt(side.cycle)
      if (side.committee.map((a) => a.toLowerCase()).includes(member)) return
      first ??= cycle
      if (cycle - first >= BigInt(DRAW_WAIT_CYCLES)) {
        throw new Error(`the absent member ${member} was not drawn into a committee in ${DRAW_WAIT_CYCLES} cycles (flowCommitteeSize below the candidates?)`)
      }
      progress(`waiting for a committee that holds the absent member ${member} (cycle ${cycle})`)
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}
