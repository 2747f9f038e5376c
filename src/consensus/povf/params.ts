/**
 * The PoVF and token-economy parameters of a chain (DESIGN §5, §6), in the units consensus code
 * uses: wei, bytes, ms. Built once per chain from the genesis (`flowConfigOf`) and carried in
 * `DposConfig.flow`, so the engine and every system contract see the same values.
 */
import type { Genesis, GenesisParams, VestingGrant } from '../../chain/genesisSchema.js'
import { DEFAULT_PARAMS } from '../../chain/genesisSchema.js'

export type { VestingGrant } from '../../chain/genesisSchema.js'

export interface FlowConfig {
  cnPledge: bigint
  enPledge: bigint
  /** counting cycle (DESIGN §3), ms */
  cycleMs: bigint
  committeeSize: number
  challengeMs: bigint
  /** how long after a cycle ended its committee has to sign before the absent are skipped, and between redraws (DESIGN §12) */
  signDeadlineMs: bigint
  sampleLagBlocks: bigint
  /** share of a pending checkpoint's entries each RN/CN challenges by itself, basis points (a node policy: the chain does not enforce it) */
  auditBps: number
  /** `L`, bytes */
  logThresholdBytes: bigint
  capFactorBps: bigint
  /** the most one session can carry, bytes/s: the edge's bound on a receipt's increment (DESIGN §12) */
  maxRateBytesPerSec: bigint
  /** `N`: funding edges older than this many flow cycles no longer make a pair self-dealing (DESIGN §12) */
  selfDealingWindowCycles: bigint
  /** the share of a cycle's checkpoint entries one provider may take at the edge, basis points (issue 16 crowd-out) */
  providerSessionShareBps: number
  /** NB wei per 10^9 bytes */
  fuelPricePerGb: bigint
  /** NB wei per NFC (genesis value of the oracle; the live value is in NB's storage) */
  nfcPriceNb: bigint
  nbConvertMinBalance: bigint
  nbBurnCap: bigint
  lockMs: bigint
  unlockMs: bigint
  /** a payment channel's challenge period, ms: the provider can still redeem this long after the consumer starts closing (DESIGN §13) */
  channelChallengeMs: bigint
  /** lowercase 0x address (or null): receives converted NFC after the burn cap; sets the oracle price */
  foundation: string | null
  /** team vesting grants, paid from POOLS.teamVesting */
  vesting: readonly VestingGrant[]
  /** governance (DESIGN §14, src/consensus/gov): carried here so every holder of the flow config has it */
  gov: GovConfig
}

/** The governance rules of a chain, from its genesis (ms and basis points). */
export interface GovConfig {
  votingMs: bigint
  timelockMs: bigint
  quorumBps: bigint
  majorityBps: bigint
  /** a governed value stays within [genesis ÷ rangeFactor, genesis × rangeFactor] */
  rangeFactor: bigint
}

export function flowConfigFromParams(p: GenesisParams, foundation: string | null = null, vesting: readonly VestingGrant[] = []): FlowConfig {
  return {
    cnPledge: p.cnPledge,
    enPledge: p.enPledge,
    cycleMs: BigInt(p.flowCycleSec) * 1000n,
    committeeSize: p.flowCommitteeSize,
    challengeMs: BigInt(p.flowChallengeSec) * 1000n,
    signDeadlineMs: BigInt(p.flowSignDeadlineSec) * 1000n,
    sampleLagBlocks: BigInt(p.flowSampleLagBlocks),
    auditBps: p.flowAuditBps,
    logThresholdBytes: p.flowLogThresholdBytes,
    capFactorBps: BigInt(p.flowCapFactorBps),
    maxRateBytesPerSec: p.flowMaxRateBytesPerSec,
    selfDealingWindowCycles: BigInt(p.flowSelfDealingWindowCycles),
    providerSessionShareBps: p.flowProviderSessionShareBps,
    fuelPricePerGb: p.fuelPricePerGb,
    nfcPriceNb: p.nfcPriceNb,
    nbConvertMinBalance: p.nbConvertMinBalance,
    nbBurnCap: p.nbBurnCap,
    lockMs: BigInt(p.flowLockSec) * 1000n,
    unlockMs: BigInt(p.flowUnlockSec) * 1000n,
    channelChallengeMs: BigInt(p.channelChallengeSec) * 1000n,
    foundation,
    vesting,
    gov: {
      votingMs: BigInt(p.govVotingSec) * 1000n,
      timelockMs: BigInt(p.govTimelockSec) * 1000n,
      quorumBps: BigInt(p.govQuorumBps),
      majorityBps: BigInt(p.govMajorityBps),
      rangeFactor: BigInt(p.govRangeFactor),
    },
  }
}

/** The mainnet defaults (for harnesses that build a DposConfig by hand). */
export const DEFAULT_FLOW_CONFIG: FlowConfig = Object.freeze(flowConfigFromParams(DEFAULT_PARAMS))

/** The flow parameters of a genesis, with its foundation and vesting grants. */
export function flowConfigOf(genesis: Genesis): FlowConfig {
  return flowConfigFromParams(genesis.params, genesis.foundation, genesis.vesting)
}
