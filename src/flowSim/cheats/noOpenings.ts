/**
 * `--cheat no-openings`: provider 0 never answers a slice challenge (audits.ts): the auditors'
 * challenges on its entries stay open and the engine voids them when the window ends, so it is
 * not paid for them, while the other providers answer and are paid.
 */
import type { CheatRun } from './cheat.js'

export function noOpenings(): CheatRun {
  return { silent: (i) => i === 0 }
}
