/**
 * Read-only views of governance for the RPC layer (nfc_getParams): every governed parameter's
 * value in a state, its bounds and its history of changes, and the governance rules themselves.
 */
import { flowOf, type DposConfig } from '../dpos/engine.js'
import type { StateAccess } from '../dpos/store.js'
import { NbStore } from '../povf/nbStore.js'
import type { GovConfig } from '../povf/params.js'
import { boundsOf, GOVERNED_PARAMS, governedConfig, PARAM_NFC_PRICE } from './params.js'
import { GovStore, type ParamChange } from './store.js'

export interface ParamView {
  name: string
  /** the value in force in this state */
  value: bigint
  genesis: bigint
  min: bigint
  max: bigint
  /** executed changes, oldest first */
  history: ParamChange[]
}

export interface ParamsView {
  params: ParamView[]
  rules: GovConfig
  /** proposals made so far */
  proposals: bigint
}

/** Every governed parameter in state `sm` of a chain whose genesis config is `cfg`. */
export async function readParams(sm: StateAccess, cfg: DposConfig): Promise<ParamsView> {
  const now = await governedConfig(sm, cfg)
  const gs = new GovStore(sm)
  const params: ParamView[] = []
  for (const p of GOVERNED_PARAMS) {
    // the NB price is a live word the foundation may set too: what NB reads is what is in force
    const value = p.id === PARAM_NFC_PRICE ? await new NbStore(sm).price(flowOf(now)) : p.read(now)
    params.push({ name: p.name, value, genesis: p.read(cfg), ...boundsOf(p, cfg), history: await gs.history(p.id) })
  }
  return { params, rules: flowOf(cfg).gov, proposals: await gs.count() }
}
