/**
 * The parameters governance may change (DESIGN §14), and the one function through which the
 * chain reads them: `governedConfig(sm, cfg)` — the genesis config with the overrides executed
 * proposals left in the Governance account's storage (store.ts). The flow engine (per block) and
 * every system contract call (contract.ts) read the config through it, so an executed change
 * takes effect for both from the block that executed it.
 *
 * The governable set is small on purpose (docs/decisions.md, issue 20): the parameters whose
 * every read already goes through the flow config —
 *   fuelPricePerGb     NB wei per 10^9 bytes of counted traffic (the fuel burned at checkpoints)
 *   flowCapFactorBps   a pair's reward ≤ this × the NFC value of the fuel it burned
 *   nfcPriceNb         the NB oracle price (NB wei per NFC); executing it also writes NB's live
 *                      price word, which is what conversions and the reward cap read
 *   cnPledge, enPledge the minimum pledge of a central / edge node (NodeRegistry.pledge and the
 *                      committee and provider eligibility of the flow engine)
 * Each stays within [genesis ÷ govRangeFactor, genesis × govRangeFactor] (nfcPriceNb at least 1).
 */
import type { DposConfig } from '../dpos/engine.js'
import { flowOf } from '../dpos/engine.js'
import type { StateAccess } from '../dpos/store.js'
import type { FlowConfig } from '../povf/params.js'
import { GovStore } from './store.js'

/** One governable parameter: its genesis name, where it sits in the flow config. */
export interface GovernedParam {
  /** its index: the bit of the override mask and the key of its words (never reordered) */
  readonly id: number
  /** the genesis `params` name */
  readonly name: string
  /** smallest value a genesis value allows before the range factor (nfcPriceNb: 1) */
  readonly floor: bigint
  read(flow: FlowConfig): bigint
  write(flow: FlowConfig, value: bigint): void
}

/** The governable parameters, in id order (append only: ids are storage keys). */
export const GOVERNED_PARAMS: readonly GovernedParam[] = [
  { id: 0, name: 'fuelPricePerGb', floor: 0n, read: (f) => f.fuelPricePerGb, write: (f, v) => void (f.fuelPricePerGb = v) },
  { id: 1, name: 'flowCapFactorBps', floor: 0n, read: (f) => f.capFactorBps, write: (f, v) => void (f.capFactorBps = v) },
  { id: 2, name: 'nfcPriceNb', floor: 1n, read: (f) => f.nfcPriceNb, write: (f, v) => void (f.nfcPriceNb = v) },
  { id: 3, name: 'cnPledge', floor: 0n, read: (f) => f.cnPledge, write: (f, v) => void (f.cnPledge = v) },
  { id: 4, name: 'enPledge', floor: 0n, read: (f) => f.enPledge, write: (f, v) => void (f.enPledge = v) },
]

export const PARAM_NFC_PRICE = 2

/** The parameter named `name`, or undefined. */
export function governedParam(name: string): GovernedParam | undefined {
  return GOVERNED_PARAMS.find((p) => p.name === name)
}

/** The values a proposal may set `p` to: [genesis ÷ f, genesis × f], never below p.floor. */
export function boundsOf(p: GovernedParam, genesisFlow: FlowConfig): { min: bigint; max: bigint } {
  const g = p.read(genesisFlow)
  const f = genesisFlow.gov.rangeFactor
  const min = g / f
  return { min: min < p.floor ? p.floor : min, max: g * f < p.floor ? p.floor : g * f }
}

/** Why `value` cannot be proposed for `name` (null: it can). */
export function paramRefusal(name: string, value: bigint, genesisFlow: FlowConfig): string | null {
  const p = governedParam(name)
  if (p === undefined) return `unknown parameter "${name}" (governable: ${GOVERNED_PARAMS.map((x) => x.name).join(', ')})`
  const { min, max } = boundsOf(p, genesisFlow)
  if (value < min || value > max)
    return `${name} must be between ${min} and ${max} (genesis ${p.read(genesisFlow)} ÷/× ${genesisFlow.gov.rangeFactor}), got ${value}`
  return null
}

/**
 * The chain config in force in state `sm`: `cfg` (the genesis config) with every executed
 * override applied, in id order. One storage read when nothing was ever governed.
 */
export async function governedConfig(sm: StateAccess, cfg: DposConfig): Promise<DposConfig> {
  const gs = new GovStore(sm)
  const mask = await gs.overrideMask()
  if (mask === 0n) return cfg
  const flow: FlowConfig = { ...flowOf(cfg) }
  for (const p of GOVERNED_PARAMS) if ((mask >> BigInt(p.id)) & 1n) p.write(flow, await gs.override(p.id))
  return { ...cfg, flow }
}
