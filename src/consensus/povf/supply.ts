/**
 * Where the fixed NFC supply is (DESIGN §6), read from the balances of the protocol's fixed
 * accounts in one state (nfc_getSupply, the explorer, the supply-invariant tests).
 *
 * NFC is never created after genesis: block and traffic rewards move NFC out of the mining
 * pools, burns move it to BURN_ADDRESS, conversions to NB move it to BURN_ADDRESS or the
 * foundation. So Σ of every balance is TOTAL_SUPPLY in every state; `sumOfBalances` over all the
 * accounts a test touched checks that.
 */
import { Address, hexToBytes } from '@ethereumjs/util'
import { BURN_ADDRESS, NFC, POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../chain/systemAddresses.js'
import type { StateAccess } from '../dpos/store.js'
import type { FlowConfig } from './params.js'

const at = (a: string): Address => new Address(hexToBytes(a as `0x${string}`))

/** Pb + Pf at genesis (DESIGN §6: 16% + 64% of the supply). */
export const GENESIS_MINING_POOLS = (336_000_000n + 1_344_000_000n) * NFC

export interface Supply {
  /** the fixed supply, TOTAL_SUPPLY (genesis refuses any other) */
  total: bigint
  /** balance of BURN_ADDRESS (0x0): gas-fee burns and NFC converted to NB below the burn cap */
  burned: bigint
  /** balances of the pool accounts */
  pools: { shared: bigint; blockMining: bigint; trafficMining: bigint; teamVesting: bigint }
  /**
   * balances of the system contracts that hold other people's NFC: Staking 0x…1000 (votes,
   * unbonding, unclaimed voter rewards), NodeRegistry 0x…1001 (pledges) and FlowRewards
   * 0x…1002 (traffic rewards under lock), Names 0x…1007 (the locks of registered names),
   * StorageDeals 0x…1008 (the providers' collateral of accepted deals; the escrow is NB). `other`:
   * NB 0x…1003 (holds no NFC after a call: a conversion passes it on), Evidence 0x…1004,
   * PaymentChannels 0x…1005 (channels hold NB, in NB's records) and Governance 0x…1006 (a grant
   * goes from the shared pool straight to its recipient) hold none, so a stray balance still shows,
   * plus the caller's `extraLocked` accounts.
   */
  locked: { staking: bigint; pledges: bigint; flowRewards: bigint; names: bigint; storageDeals: bigint; other: bigint }
  /** total − burned − Σ pools − Σ locked: what accounts can spend */
  circulating: bigint
  /**
   * NFC released by the mining pools since genesis: genesisMiningPools − (blockMining +
   * trafficMining now). Counts block rewards (producers, voters, shared-pool share) and traffic
   * rewards including those still locked in FlowRewards; it is not reduced by later burns.
   */
  issued: bigint
}

export interface SupplyOptions {
  /** Pb + Pf in the genesis alloc (default GENESIS_MINING_POOLS, the mainnet allocation) */
  genesisMiningPools?: bigint
  /** more accounts whose NFC is held for others (counted in locked.other) */
  extraLocked?: readonly Address[]
}

/** Σ balances of `addresses` (each counted once). */
export async function sumOfBalances(sm: StateAccess, addresses: readonly (Address | string)[]): Promise<bigint> {
  const seen = new Set<string>()
  let sum = 0n
  for (const a of addresses) {
    const addr = typeof a === 'string' ? at(a) : a
    const k = addr.toString()
    if (seen.has(k)) continue
    seen.add(k)
    sum += (await sm.getAccount(addr))?.balance ?? 0n
  }
  return sum
}

/**
 * The supply breakdown of one state. `cfg` is the chain's flow configuration (its parameters
 * do not enter these sums today; it is taken so the breakdown can follow the chain's rules).
 */
export async function supplyOf(sm: StateAccess, cfg: FlowConfig, opts: SupplyOptions = {}): Promise<Supply> {
  void cfg
  const bal = async (a: string): Promise<bigint> => (await sm.getAccount(at(a)))?.balance ?? 0n
  const pools = {
    shared: await bal(POOLS.shared),
    blockMining: await bal(POOLS.blockMining),
    trafficMining: await bal(POOLS.trafficMining),
    teamVesting: await bal(POOLS.teamVesting),
  }
  const other =
    (await bal(SYSTEM_CONTRACTS.nb)) +
    (await bal(SYSTEM_CONTRACTS.evidence)) +
    (await bal(SYSTEM_CONTRACTS.governance)) +
    (await bal(SYSTEM_CONTRACTS.paymentChannels)) +
    (await sumOfBalances(sm, opts.extraLocked ?? []))
  const locked = {
    staking: await bal(SYSTEM_CONTRACTS.staking),
    pledges: await bal(SYSTEM_CONTRACTS.nodeRegistry),
    flowRewards: await bal(SYSTEM_CONTRACTS.flowRewards),
    names: await bal(SYSTEM_CONTRACTS.names),
    storageDeals: await bal(SYSTEM_CONTRACTS.storageDeals),
    other,
  }
  const burned = await bal(BURN_ADDRESS)
  const total = TOTAL_SUPPLY
  const pooled = pools.shared + pools.blockMining + pools.trafficMining + pools.teamVesting
  const held = locked.staking + locked.pledges + locked.flowRewards + locked.names + locked.storageDeals + locked.other
  const genesisMining = opts.genesisMiningPools ?? GENESIS_MINING_POOLS
  return {
    total,
    burned,
    pools,
    locked,
    circulating: total - burned - pooled - held,
    issued: genesisMining - pools.blockMining - pools.trafficMining,
  }
}
