/**
 * Every VM of the node is made here, so each one has the native system contracts (Staking,
 * NodeRegistry, Evidence at their fixed addresses): block execution, eth_call/estimateGas,
 * access lists and traces all see the same EVM.
 */
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { CallState } from './callState.js'
import { createVM, type VM } from '@ethereumjs/vm'
import type { DposConfig } from '../consensus/dpos/engine.js'
import { installSystemHooks, systemPrecompiles } from './system/index.js'

export interface VmParts {
  common: Common
  /** a MerkleStateManager, or for pooled call VMs their CallState (execution/callState.ts) */
  stateManager: MerkleStateManager | CallState
  /** the BLOCKHASH source */
  blockchain: unknown
  /** the chain's consensus parameters (the system contracts need them); absent: no system contracts */
  dpos?: DposConfig
}

export async function createNodeVm(p: VmParts): Promise<VM> {
  if (p.dpos === undefined) return createVM({ common: p.common, stateManager: p.stateManager as MerkleStateManager, blockchain: p.blockchain as never })
  const vm = await createVM({
    common: p.common,
    // CallState implements what the VM, the EVM and the system contracts call (not the whole interface)
    stateManager: p.stateManager as MerkleStateManager,
    blockchain: p.blockchain as never,
    evmOpts: { customPrecompiles: systemPrecompiles(p.dpos) },
  })
  installSystemHooks(vm.evm)
  return vm
}
