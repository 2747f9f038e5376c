/** The traffic simulator's options, cheats and summary (`nfc flow simulate`, simulate.ts). */
import type { ProviderAudit } from '../flow/sliceAnswers.js'

export type Cheat =
  'self-dealing' | 'hop-self-dealing' | 'replay' | 'inflate' | 'split-withdrawals' | 'absent-member' | 'overflow' | 'no-openings' | 'crowd-out'

/** Every cheat `--cheat` takes, in the order the help lists them. */
export const CHEATS: readonly Cheat[] = [
  'self-dealing',
  'hop-self-dealing',
  'replay',
  'inflate',
  'split-withdrawals',
  'absent-member',
  'overflow',
  'no-openings',
  'crowd-out',
]

export interface SimOptions {
  rpc: string
  consumers: number
  providers: number
  seconds: number
  cheat?: Cheat
  /** 0x private key that pays for the set-up */
  funderKey: string
  seed: number
  /** payload bytes per session per tick (default 256 KiB) */
  bytesPerTick?: number
  /** wait until the cycle's checkpoint is applied and report the rewards (default true) */
  waitRewards?: boolean
  /** give up waiting for rewards after this many seconds (default 600) */
  waitLimitSec?: number
  log?: (line: string) => void
  progress?: (line: string) => void
}

export interface SimSummary {
  bytes: { providerSent: bigint; consumerReceived: bigint; receipted: bigint; wire: number }
  receipts: { submitted: number; accepted: number; rejected: number; reasons: Record<string, number> }
  cycle: bigint | null
  rewards: Rewards[]
  rewardsApplied: boolean
  /** `--cheat absent-member`: the pledged member that never signed, its pledge before and after (wei) */
  absent?: { address: string; pledgeBefore: bigint; pledgeAfter: bigint }
  /** the run's strategy against the fuel it burned */
  economics: Economics
  /** `--cheat overflow`: the forging pair's receipts and what its provider key earned */
  forger?: { address: string; submitted: number; accepted: number; rewards: Rewards }
  /** `--cheat crowd-out`: the extra sessions provider 0 tried to open, and how many were taken */
  crowd?: { provider: string; submitted: number; accepted: number }
  /** per provider: the slice challenges on its entries, the ones it answered, and its entries voided */
  audits: ProviderAudit[]
}

/** What a strategy earned against what its fuel was worth (NFC wei; NB wei for the fuel). */
export interface Economics {
  strategy: string
  /** NB its consumers' fuel escrows lost to the engine */
  fuelBurnedNb: bigint
  /** that fuel in NFC at the oracle price, × capFactor: the most the rules let it earn */
  limitNfc: bigint
  /** traffic rewards of its providers (locked, unlocking, withdrawable and withdrawn) */
  rewardsNfc: bigint
  /** coin-time bonus its providers were paid by their withdrawals */
  bonusNfc: bigint
  /** rewards + bonus ≤ limit */
  ok: boolean
}

export interface Rewards {
  address: string
  locked: bigint
  unlocking: bigint
  withdrawable: bigint
}

export type { ProviderAudit } from '../flow/sliceAnswers.js'
