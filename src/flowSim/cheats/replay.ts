/** `--cheat replay`: every receipt the node accepted is submitted once more; the side-chain must reject each (FLOW_REPLAY). */
import type { CheatRun } from './cheat.js'

export function replay(): CheatRun {
  return {
    afterAccepted: async (_s, previous, submit) => {
      if (previous !== null) await submit(previous)
    },
  }
}
