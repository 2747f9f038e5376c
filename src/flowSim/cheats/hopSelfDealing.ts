/**
 * `--cheat hop-self-dealing`: self-dealing with the hand-over hidden behind one intermediate
 * address per provider (provider → X → consumer). DESIGN §12: the funding graph within 2 hops
 * still catches it, and the pair earns nothing.
 */
import { deriveKey, party } from '../node.js'
import { GAS_NFC } from '../setUp.js'
import type { CheatContext, CheatRun } from './cheat.js'
import { handOverFuel, selfDealing } from './selfDealing.js'

export function hopSelfDealing(ctx: CheatContext): CheatRun {
  const intermediates = Array.from({ length: ctx.opts.providers }, (_, i) => party(deriveKey(ctx.opts.seed, 'intermediate', i), ctx.provider))
  return {
    ...selfDealing(ctx),
    gasParties: intermediates,
    extraNeed: { nfc: GAS_NFC * BigInt(intermediates.length), note: '' },
    fuel: (s) => handOverFuel(s, intermediates),
  }
}
