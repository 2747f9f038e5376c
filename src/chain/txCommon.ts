/**
 * The Common every decoded transaction shares. @ethereumjs/tx copies the Common it is given for
 * each transaction it builds and merges its tx params into the copy (a JSON round trip and a
 * rebuilt params cache): ~0.15 ms per transaction, about a tenth of the node's main thread under
 * wallet load (CPU profile of `npm run bench -- load`), plus the garbage. Our chains run one
 * hardfork with fixed params for their whole life, so every transaction can share one copy that
 * already holds the tx params: its `copy` returns itself and its `updateParams` accepts only
 * those same params (anything else would change every transaction's view, so it throws).
 */
import type { Common } from '@ethereumjs/common'
import { paramsTx } from '@ethereumjs/tx'

const shared = new WeakMap<Common, Common>()

export function txCommon(common: Common): Common {
  let c = shared.get(common)
  if (c === undefined) {
    const copy = common.copy()
    copy.updateParams(paramsTx)
    copy.copy = () => copy
    copy.updateParams = (params) => {
      if (params !== paramsTx) throw new Error('the shared transaction Common takes no other params')
    }
    copy.setHardfork = (hardfork) => {
      if (hardfork !== copy.hardfork()) throw new Error('the shared transaction Common keeps its hardfork')
    }
    shared.set(common, copy)
    c = copy
  }
  return c
}
