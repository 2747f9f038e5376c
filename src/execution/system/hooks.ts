/**
 * What a system contract needs to know about the call it serves, and @ethereumjs/evm v10 does not
 * pass to a precompile: the caller, the value, static/delegate/callcode, the depth and the block.
 *
 * `installSystemHooks(evm)` wraps the EVM instance's `_executeCall(message)` to remember each
 * message in a WeakMap keyed by `message.data`: `_executeCall` hands that very Uint8Array to
 * `runPrecompile(code, message.data, gas)`, which becomes the precompile's `input.data`. Between
 * the wrapper recording a message and its precompile running, the EVM starts no other message
 * (it only reads state), so the entry found for `input.data` is the message being served even
 * when several messages share one data object (e.g. the EVM's shared empty calldata). One map
 * per EVM instance: two VMs running at once never see each other's messages.
 *
 * Block context comes from `evm._block` (set by every top-level runCall / runTx). Its timestamp
 * is in SECONDS (blockExecutor.evmBlock divides the chain's ms timestamp by 1000), so evmBlock
 * records the exact ms time beside it (`setBlockTimeMs`) and the system contracts read that; an
 * EVM block built elsewhere falls back to `timestamp · 1000`.
 */
import type { Block } from '@ethereumjs/block'
import type { EVMInterface, EVMResult, Message } from '@ethereumjs/evm'
import type { Address } from '@ethereumjs/util'
import { NfcError } from '../../util/errors.js'
import { SystemErrorCode } from './errors.js'

/** The call a system contract is serving. */
export interface SystemCall {
  caller: Address
  /** the account whose context runs (≠ codeAddress for DELEGATECALL and CALLCODE) */
  to: Address
  /** the address whose code runs: the system contract */
  codeAddress: Address
  value: bigint
  isStatic: boolean
  delegatecall: boolean
  /** 0 for a transaction's own call */
  depth: number
  blockNumber: bigint
  /** the block time in ms (the EVM block's seconds · 1000) */
  blockTimeMs: bigint
}

/** The parts of the EVM class the hooks touch (protected members, reached at run time). */
interface HookableEvm {
  _executeCall(message: Message): Promise<EVMResult>
  _block?: Block
}

const messagesOf = new WeakMap<object, WeakMap<Uint8Array, Message>>()

/** The chain's own block time in ms, per EVM block object (the EVM header only has seconds). */
const blockTimesMs = new WeakMap<object, bigint>()

/**
 * Records the exact block time (ms) of an EVM block built for the chain (blockExecutor.evmBlock),
 * so system contracts see the same time as the consensus engine even when blocks are not on
 * whole seconds (blockIntervalMs < 1000, or a genesis time off the second): a lock credited by
 * the engine at X.500 s must not be "in the future" for a withdrawal in the same second.
 */
export function setBlockTimeMs(block: object, ms: bigint): void {
  blockTimesMs.set(block, ms)
}

function hookable(evm: unknown): evm is HookableEvm {
  return typeof evm === 'object' && evm !== null && typeof (evm as { _executeCall?: unknown })._executeCall === 'function'
}

/**
 * Makes the EVM record each message for the system contracts. Idempotent (a second call on the
 * same EVM does nothing). Throws if `evm` is not an @ethereumjs/evm EVM.
 */
export function installSystemHooks(evm: EVMInterface): void {
  if (messagesOf.has(evm)) return
  if (!hookable(evm)) {
    throw new NfcError(SystemErrorCode.HooksMissing, 'installSystemHooks: not an @ethereumjs/evm EVM (no _executeCall)')
  }
  const messages = new WeakMap<Uint8Array, Message>()
  const original = evm._executeCall
  evm._executeCall = function (this: HookableEvm, message: Message): Promise<EVMResult> {
    messages.set(message.data, message)
    return original.call(this, message)
  }
  messagesOf.set(evm, messages)
}

export function hooksInstalled(evm: EVMInterface): boolean {
  return messagesOf.has(evm)
}

/**
 * The call whose precompile input data is `data`. Throws SYSTEM_HOOKS_MISSING when the EVM was
 * not hooked: a node wired without the hooks must fail loudly, not run system calls blind.
 */
export function systemCallOf(evm: EVMInterface, data: Uint8Array): SystemCall {
  const message = messagesOf.get(evm)?.get(data)
  if (message === undefined || message.to === undefined) {
    throw new NfcError(SystemErrorCode.HooksMissing, 'system contract called on an EVM without installSystemHooks (see src/execution/system/index.ts)')
  }
  const header = (evm as unknown as HookableEvm)._block?.header
  return {
    caller: message.caller,
    to: message.to,
    codeAddress: message.codeAddress,
    value: message.value,
    isStatic: message.isStatic,
    delegatecall: message.delegatecall,
    depth: message.depth,
    blockNumber: header?.number ?? 0n,
    blockTimeMs: ((evm as unknown as HookableEvm)._block && blockTimesMs.get((evm as unknown as HookableEvm)._block!)) ?? (header?.timestamp ?? 0n) * 1000n,
  }
}
