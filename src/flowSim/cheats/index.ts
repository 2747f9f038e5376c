/** The `--cheat` of a simulator run, made for it (each cheat's hooks in its own file, cheat.ts the interface). */
import { absentMember } from './absentMember.js'
import type { CheatContext, CheatRun } from './cheat.js'
import { crowdOut } from './crowdOut.js'
import { hopSelfDealing } from './hopSelfDealing.js'
import { inflate } from './inflate.js'
import { noOpenings } from './noOpenings.js'
import { overflow } from './overflow.js'
import { replay } from './replay.js'
import { selfDealing } from './selfDealing.js'
import { splitWithdrawals } from './splitWithdrawals.js'

/** The hooks of the run's cheat (ctx.opts.cheat); none for an honest run. */
export async function makeCheat(ctx: CheatContext): Promise<CheatRun> {
  switch (ctx.opts.cheat) {
    case undefined:
      return {}
    case 'self-dealing':
      return selfDealing(ctx)
    case 'hop-self-dealing':
      return hopSelfDealing(ctx)
    case 'replay':
      return replay()
    case 'inflate':
      return inflate()
    case 'split-withdrawals':
      return splitWithdrawals(ctx)
    case 'absent-member':
      return absentMember(ctx)
    case 'overflow':
      return overflow(ctx)
    case 'no-openings':
      return noOpenings()
    case 'crowd-out':
      return crowdOut(ctx)
  }
}
