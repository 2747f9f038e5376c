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
 *   rnPledge           the minimum pledge of a root node (NodeRegistry.pledge, Staking.registerCandidate,
 *                      the flow engine's committee and auditors, and the DPoS election; the seats
 *                      in effect keep the minimum they were elected under: dpos/engine.ts)
 * Each stays within [genesis ÷ govRangeFactor, genesis × govRangeFactor] (nfcPriceNb at least 1).
 */
import type { DposConfig } from '../dpos/engine.js'
import type { StateAccess } from '../dpos/store.js'
import { DEFAULT_FLOW_CONFIG, type FlowConfig } from '../povf/params.js'
import { GovStore, PARAM_RN_PLEDGE } from './store.js'

/** the flow part of a config (dpos/engine.ts flowOf, not imported: the DPoS engine imports this module's store) */
const flowOf = (cfg: DposConfig): FlowConfig => cfg.flow ?? DEFAULT_FLOW_CONFIG

/** One governable parameter: its genesis name, where it sits in the chain config. */
export interface GovernedParam {
  /** its index: the bit of the override mask and the key of its words (never reordered) */
  readonly id: number
  /** the genesis `params` name */
  readonly name: string
  /** smallest value a genesis value allows before the range factor (nfcPriceNb: 1) */
  readonly floor: bigint
  read(cfg: DposConfig): bigint
  /** sets it in `cfg`, a copy whose `flow` is a copy too */
  write(cfg: DposConfig, value: bigint): void
}

const flowParam = (
  id: number,
  name: string,
  floor: bigint,
  key: 'fuelPricePerGb' | 'capFactorBps' | 'nfcPriceNb' | 'cnPledge' | 'enPledge',
): GovernedParam => ({
  id,
  name,
  floor,
  read: (c) => flowOf(c)[key],
  write: (c, v) => void (flowOf(c)[key] = v),
})

/** The governable parameters, in id order (append only: ids are storage keys). */
export const GOVERNED_PARAMS: readonly GovernedParam[] = [
  flowParam(0, 'fuelPricePerGb', 0n, 'fuelPricePerGb'),
  flowParam(1, 'flowCapFactorBps', 0n, 'capFactorBps'),
  flowParam(2, 'nfcPriceNb', 1n, 'nfcPriceNb'),
  flowParam(3, 'cnPledge', 0n, 'cnPledge'),
  flowParam(4, 'enPledge', 0n, 'enPledge'),
  { id: PARAM_RN_PLEDGE, name: 'rnPledge', floor: 0n, read: (c) => c.rnPledge, write: (c, v) => void (c.rnPledge = v) },
]

export const PARAM_NFC_PRICE = 2

/** The parameter named `name`, or undefined. */
export function governedParam(name: string): GovernedParam | undefined {
  return GOVERNED_PARAMS.find((p) => p.name === name)
}

/** The values a proposal may set `p` to: [genesis ÷ f, genesis × f], never below p.floor. */
export function boundsOf(p: GovernedParam, genesis: DposConfig): { min: bigint; max: bigint } {
  const g = p.read(genesis)
  const f = flowOf(genesis).gov.rangeFactor
  const min = g / f
  return { min: min < p.floor ? p.floor : min, max: g * f < p.floor ? p.floor : g * f }
}

/** Why `value` cannot be proposed for `name` (null: it can). */
export function paramRefusal(name: string, value: bigint, genesis: DposConfig): string | null {
  const p = governedParam(name)
  if (p === undefined) return `unknown parameter "${name}" (governable: ${GOVERNED_PARAMS.map((x) => x.name).join(', ')})`
  const { min, max } = boundsOf(p, genesis)
  if (value < min || value > max)
    return `${name} must be between ${min} and ${max} (genesis ${p.read(genesis)} ÷/× ${flowOf(genesis).gov.rangeFactor}), got ${value}`
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
  const out: DposConfig = { ...cfg, flow: { ...flowOf(cfg) } }
  for (const p of GOVERNED_PARAMS) if ((mask >> BigInt(p.id)) & 1n) p.write(out, await gs.override(p.id))
  return out
}
