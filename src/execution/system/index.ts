/**
 * The native system contracts (DESIGN §7): Staking 0x…1000, NodeRegistry 0x…1001, NB 0x…1003, Evidence
 * 0x…1004, PaymentChannels 0x…1005 (DESIGN §13), Governance 0x…1006, Names 0x…1007 and StorageDeals
 * 0x…1008 (DESIGN §14),
 * run as @ethereumjs/evm custom precompiles with Solidity ABIs (sol/*.sol, abi/*.json),
 * so wallets call them with ordinary signed transactions and contracts with ordinary CALLs.
 *
 * Wiring a VM (blockchain.ts makeVm, call.ts — every VM that runs transactions or calls):
 *
 *     const vm = await createSystemVm(cfg, { common, stateManager, blockchain })
 *
 * or, when the VM is built elsewhere:
 *
 *     const vm = await createVM({ common, stateManager, blockchain,
 *                                 evmOpts: { customPrecompiles: systemPrecompiles(cfg) } })
 *     installSystemHooks(vm.evm)          // REQUIRED: the contracts read caller/value through it
 *
 * A VM with the precompiles but without the hooks throws SYSTEM_HOOKS_MISSING on the first system
 * call (a wiring bug must not pass silently). Build the precompile list once per config and reuse
 * it for every VM: it holds no state.
 *
 * Genesis: the system accounts must exist with nonce ≥ 1 (genesisState.ts does that) AND should
 * carry SYSTEM_CONTRACT_CODE: Solidity checks `extcodesize(target) > 0` before a high-level call
 * to a function that returns nothing (vote, pledge, …), so without code a contract calling
 * `IStaking(0x…1000).vote{value: v}(c, v)` reverts before reaching the precompile. The code is
 * never run where the precompiles are wired (the EVM looks precompiles up first); on a VM wired
 * without them it REVERTs, so NFC sent there bounces instead of being swallowed.
 * `prepareSystemAccounts(sm)` writes both.
 *
 * Gas table (fixed cost per function; "+ n·x" is charged before the loop over n items):
 *
 *   any call (minimum, also for refused DELEGATECALL/CALLCODE/unknown selector)      2,600
 *   Staking.registerCandidate         60,000 + 5,000 per 32-byte word of url (≤ 8 words)
 *   Staking.setBonusRatio             20,000
 *   Staking.vote / unvote             50,000
 *   Staking.withdrawUnbonded          30,000 + 5,000 per unbonding entry (≤ 32)
 *   Staking.claimRewards              30,000 + 10,000 per open position
 *   Staking.getCandidates / getWitnesses / getStandby     2,600 + 200 per address
 *   Staking.candidate                  5,000
 *   Staking.votesOf / pendingRewards   2,600 + 2,100 per open position
 *   Staking.unbonding                  2,600 + 200 per entry
 *   NodeRegistry.pledge               40,000
 *   NodeRegistry.exit                 25,000
 *   NodeRegistry.withdrawPledge       30,000
 *   NodeRegistry.nodeOf / rnPledge / minPledge     2,600
 *   NodeRegistry.nodesByRole           2,600 + 400 per listed node
 *   FlowRewards.submitCheckpoint      80,000 + 25,000 per entry + 5,000 per signature + 6 per 32-byte word
 *   FlowRewards.openSlice             40,000 + 6 per 32-byte word of slice and per proof node
 *   FlowRewards.withdraw              40,000 + 5,000 per lock entry of the caller (≤ 64)
 *   FlowRewards.claimVested           30,000
 *   FlowRewards views (rewardsOf, networkCoinTime, checkpointOf, sessionOf, stats, vestingOf) 2,600
 *   FlowRewards.committeeOf            2,600 + 200 per member
 *   NB.transfer 30,000 · approve 25,000 · transferFrom 35,000 · convert 60,000 · setPrice 25,000
 *     · escrow 45,000 · requestRelease 25,000 · withdrawEscrow 45,000
 *   NB views (name, symbol, decimals, totalSupply, balanceOf, allowance, price, burnedNfc, funder,
 *     escrowOf, escrowCount) 2,600
 *   NB.escrowsOf                       2,600 + 6,300 per escrow returned (≤ 256)
 *   Evidence.submitDoubleProduction   60,000 + 6 per 32-byte word of header bytes
 *   Evidence.submitInvalidBlock       50,000 + 6 per 32-byte word of header bytes
 *   Evidence.submitFraudProof         80,000 + 6 per 32-byte word + 30,000 per signer penalised
 *   Evidence.challengeSlice           30,000
 *   Governance.proposeParam / proposeGrant   80,000 + 2,100 per Staking position of the caller + 2,100 per candidate
 *   Governance.vote                    40,000 + 2,100 per Staking position of the caller
 *   Governance views (proposalCount, proposal, settledBlock, hasVoted, paramValue)   2,600
 *   Names.register                    80,000 + 5,000 per 32-byte word of endpoint (≤ 8)
 *   Names.renew 30,000 · transfer 25,000 · setRecord 30,000 + 5,000 per endpoint word
 *   Names.release                     45,000 + 5,000 per endpoint word
 *   Names.resolve / recordOf           5,000 + 5,000 per endpoint word
 *   Names.lockFor / nameCount          2,600
 *   PaymentChannels.open 70,000 · topUp 30,000 · redeem 60,000 · close 25,000 · withdraw 40,000
 *   PaymentChannels views (channel, channelCount, channelCountOf, challengePeriod) 2,600
 *   PaymentChannels.channelsOf         2,600 + 200 per id returned (≤ 256)
 *   StorageDeals.setOffer             50,000 + 5,000 per 32-byte word of endpoint (≤ 7)
 *   StorageDeals.removeOffer 30,000 · post 90,000 · accept 60,000 · cancel 40,000
 *   StorageDeals.prove                40,000 + 2,000 per chunk + 60 per proof node
 *   StorageDeals.challenge             5,000
 *   StorageDeals views (offerOf, deal, dealCount, activeDealCount, priceOf, currentPeriod) 2,600
 *
 * A call whose gas is below what it must be charged fails with out of gas (all its gas used).
 */
import type { AddPrecompile } from '@ethereumjs/evm'
import { Account, type Address } from '@ethereumjs/util'
import { createVM, type VM, type VMOpts } from '@ethereumjs/vm'
import type { DposConfig } from '../../consensus/dpos/engine.js'
import { EVIDENCE, NODE_REGISTRY, STAKING } from '../../consensus/dpos/store.js'
import { precompileOf, SYSTEM_CONTRACT_CODE, type PrecompileOptions, type SystemContract } from './contract.js'
import { evidence } from './evidence.js'
import { flowRewards } from './flowRewards.js'
import { FLOW_REWARDS } from '../../consensus/povf/store.js'
import { installSystemHooks } from './hooks.js'
import { nodeRegistry } from './nodeRegistry.js'
import { nb } from './nb.js'
import { NB } from '../../consensus/povf/nbStore.js'
import { staking } from './staking.js'
import { governance } from './governance.js'
import { names } from './names.js'
import { paymentChannels } from './paymentChannels.js'
import { PAYMENT_CHANNELS } from '../../consensus/povf/channelStore.js'
import { GOVERNANCE } from '../../consensus/gov/store.js'
import { NAMES } from '../../consensus/names/store.js'
import { storageDeals } from './storageDeals.js'

export { installSystemHooks, hooksInstalled, systemCallOf, type SystemCall } from './hooks.js'
export { MIN_GAS, type SystemContract, type SystemFunction, type PrecompileOptions } from './contract.js'
export { staking, STAKING_GAS } from './staking.js'
export { nodeRegistry, NODE_REGISTRY_GAS, withdrawableOf } from './nodeRegistry.js'
export { evidence, EVIDENCE_GAS, EvidenceKind } from './evidence.js'
export { evidenceRefusal, EVIDENCE_ALREADY_APPLIED } from './evidencePrecheck.js'
export { flowRewards, FLOW_REWARDS_GAS } from './flowRewards.js'
export { nb, NB_GAS } from './nb.js'
export { governance, GOVERNANCE_GAS } from './governance.js'

export { names, NAMES_GAS } from './names.js'

export { paymentChannels, PAYMENT_CHANNELS_GAS } from './paymentChannels.js'

export { storageDeals, STORAGE_DEALS_GAS } from './storageDeals.js'

/** Every native system contract, in address order. */
export const SYSTEM_CONTRACT_LIST: readonly SystemContract[] = [
  staking,
  nodeRegistry,
  flowRewards,
  nb,
  evidence,
  paymentChannels,
  governance,
  names,
  storageDeals,
]

export { SYSTEM_CONTRACT_CODE } from './contract.js'

/** The `customPrecompiles` of a VM/EVM running this chain. */
export function systemPrecompiles(cfg: DposConfig, opts: PrecompileOptions = {}): AddPrecompile[] {
  return SYSTEM_CONTRACT_LIST.map((c) => ({ address: c.address, function: precompileOf(c, cfg, opts) }))
}

/** A VM with the system contracts wired in and the hooks installed. */
export async function createSystemVm(cfg: DposConfig, opts: VMOpts = {}, precompileOpts: PrecompileOptions = {}): Promise<VM> {
  const evmOpts = opts.evmOpts ?? {}
  const vm = await createVM({
    ...opts,
    evmOpts: { ...evmOpts, customPrecompiles: [...(evmOpts.customPrecompiles ?? []), ...systemPrecompiles(cfg, precompileOpts)] },
  })
  installSystemHooks(vm.evm)
  return vm
}

interface CodeState {
  getAccount(address: Address): Promise<Account | undefined>
  putAccount(address: Address, account: Account | undefined): Promise<void>
  putCode(address: Address, code: Uint8Array): Promise<void>
}

/** Genesis: the system accounts exist with nonce ≥ 1 and SYSTEM_CONTRACT_CODE (balances kept). */
export async function prepareSystemAccounts(sm: CodeState): Promise<void> {
  for (const a of [STAKING, NODE_REGISTRY, FLOW_REWARDS, NB, EVIDENCE, PAYMENT_CHANNELS, GOVERNANCE, NAMES]) {
    const acc = (await sm.getAccount(a)) ?? new Account()
    if (acc.nonce === 0n) {
      acc.nonce = 1n
      await sm.putAccount(a, acc)
    }
    await sm.putCode(a, SYSTEM_CONTRACT_CODE)
  }
}
