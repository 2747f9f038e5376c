/**
 * The frame every native system contract runs in: selector dispatch, gas, the call checks, ABI
 * decoding and encoding, events, and the translation of a refusal into an EVM REVERT carrying
 * Error(string) — the reason wallets and `eth_call` show.
 *
 * Order of the checks for every call (the first that fails decides):
 *   1. MIN_GAS (2,600) — below it: out of gas;
 *   2. DELEGATECALL / CALLCODE → revert (a system contract's state and balance are its own);
 *   3. empty calldata (a plain NFC transfer) or an unknown selector → revert;
 *   4. the function's fixed cost — below it: out of gas;
 *   5. msg.value ≠ 0 for a function that is not payable → revert "function is not payable";
 *   6. a function that writes, inside a STATICCALL → revert "state change in a static call";
 *   7. calldata that does not decode (abi.ts) → revert "invalid calldata";
 *   8. the function itself: its refusals revert; loops charge per item before they run.
 * Out of gas consumes the whole gas limit, like any EVM frame; a revert consumes what was charged.
 *
 * Config: `ctx.cfg` is the chain config in force in the state the call runs on (the genesis config
 * with the parameters governance changed, `governedConfig`), read once per call.
 *
 * State: every read and write goes through `input._EVM.stateManager`, the state manager the EVM
 * journal checkpoints around each message, so a revert (here or in any caller up the stack)
 * undoes it. Payouts are plain balance credits of the payee (no code runs at the payee, as with a
 * SELFDESTRUCT beneficiary): a system contract never calls out, so it cannot be re-entered.
 *
 * An unexpected exception inside a function (a bug, never a user error) fails the call with the
 * EVM's "internal error", consuming all its gas: deterministic on every node, and the EVM journal
 * stays balanced (a throw would unwind through runCall without reverting its checkpoint).
 */
import { EVMError, type ExecResult, type Log, type PrecompileInput } from '@ethereumjs/evm'
import { Account, bytesToHex, hexToBytes, type Address } from '@ethereumjs/util'
import type { DposConfig } from '../../consensus/dpos/engine.js'
import { DposStore, type Addr, type StateAccess } from '../../consensus/dpos/store.js'
import {
  AbiError,
  decode,
  encode,
  encodeError,
  parseType,
  isDynamic,
  selectorOf,
  signatureOf,
  topicOf,
  type AbiValue,
  type ValueOf,
  type ValuesOf,
} from './abi.js'
import { systemCallOf, type SystemCall } from './hooks.js'
import { governedConfig } from '../../consensus/gov/params.js'

/** The least any call to a system contract costs (a cold SLOAD's worth). */
export const MIN_GAS = 2_600n

/** A refusal: the call reverts with Error(reason). */
export class Revert extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'Revert'
  }
}

class OutOfGas extends Error {}

export function ensure(cond: boolean, reason: string): asserts cond {
  if (!cond) throw new Revert(reason)
}

export class GasMeter {
  used = 0n
  constructor(readonly limit: bigint) {}
  use(amount: bigint): void {
    this.used += amount
    if (this.used > this.limit) throw new OutOfGas()
  }
}

// --- events -----------------------------------------------------------------------------------

export interface EventParam {
  readonly name: string
  readonly type: string
  readonly indexed?: boolean
}

export interface EventSpec<P extends readonly EventParam[] = readonly EventParam[]> {
  readonly name: string
  readonly params: P
  readonly signature: string
  readonly topic: Uint8Array
}

type EventValues<P extends readonly EventParam[]> = { -readonly [K in keyof P]: ValueOf<P[K]['type']> }

export function event<const P extends readonly EventParam[]>(name: string, params: P): EventSpec<P> {
  for (const p of params) if (p.indexed === true && isDynamic(parseType(p.type))) throw new TypeError(`indexed ${p.type} unsupported`)
  const signature = signatureOf(
    name,
    params.map((p) => p.type),
  )
  return { name, params, signature, topic: topicOf(signature) }
}

// --- functions --------------------------------------------------------------------------------

export type Mutability = 'view' | 'nonpayable' | 'payable'

/** The state a system contract runs on: the store's operations plus code (the EVM's state manager has both). */
export interface SystemState extends StateAccess {
  putCode(address: Address, code: Uint8Array): Promise<void>
}

/** PUSH1 0 PUSH1 0 REVERT: the code the system accounts carry (see the header of index.ts). */
export const SYSTEM_CONTRACT_CODE = hexToBytes('0x60006000fd')

/**
 * Makes `address` a system account as genesis does: nonce ≥ 1 (an account with nonce 0, no code
 * and no balance is "empty" and EIP-161 deletes it, storage and all, once touched) and
 * SYSTEM_CONTRACT_CODE; the balance is kept. A contract added after genesis (Names) calls it
 * before its first write, so chains started before it existed keep their genesis hash.
 */
export async function ensureSystemAccount(sm: SystemState, address: Address): Promise<void> {
  const acc = (await sm.getAccount(address)) ?? new Account()
  if (acc.nonce !== 0n) return
  acc.nonce = 1n
  await sm.putAccount(address, acc)
  await sm.putCode(address, SYSTEM_CONTRACT_CODE)
}

/** What a function body gets. */
export interface CallContext {
  call: SystemCall
  /** msg.sender, lowercase hex */
  sender: Addr
  sm: SystemState
  store: DposStore
  /** the config in force in this state: the genesis one with governance's overrides (consensus/gov/params.ts) */
  cfg: DposConfig
  /** the genesis config (governance's bounds are relative to it) */
  genesisCfg: DposConfig
  gas: GasMeter
  emit<P extends readonly EventParam[]>(ev: EventSpec<P>, values: EventValues<P>): void
}

export interface FunctionSpec<I extends readonly string[], O extends readonly string[]> {
  readonly name: string
  readonly inputs: I
  readonly outputs: O
  readonly mutability: Mutability
  /** fixed gas cost (loops charge more per item through ctx.gas) */
  readonly gas: bigint
  run(ctx: CallContext, args: ValuesOf<I>): Promise<ValuesOf<O>>
}

/** A function with its types erased (what the dispatcher and the ABI tests see). */
export interface SystemFunction {
  readonly name: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly mutability: Mutability
  readonly gas: bigint
  readonly signature: string
  readonly selector: string
  run(ctx: CallContext, args: AbiValue[]): Promise<AbiValue[]>
}

export function fn<const I extends readonly string[], const O extends readonly string[]>(spec: FunctionSpec<I, O>): SystemFunction {
  const signature = signatureOf(spec.name, spec.inputs)
  for (const t of [...spec.inputs, ...spec.outputs]) parseType(t) // fail at load on a typo
  return {
    name: spec.name,
    inputs: spec.inputs,
    outputs: spec.outputs,
    mutability: spec.mutability,
    gas: spec.gas,
    signature,
    selector: bytesToHex(selectorOf(signature)),
    run: (ctx, args) => spec.run(ctx, args as ValuesOf<I>) as Promise<AbiValue[]>,
  }
}

export interface SystemContract {
  readonly name: string
  readonly address: Address
  readonly functions: readonly SystemFunction[]
  readonly events: readonly EventSpec[]
}

// --- the precompile ---------------------------------------------------------------------------

function revertResult(reason: string, gasUsed: bigint): ExecResult {
  return { returnValue: encodeError(reason), executionGasUsed: gasUsed, exceptionError: new EVMError(EVMError.errorMessages.REVERT) }
}

function failResult(gasLimit: bigint, error: EVMError): ExecResult {
  return { returnValue: new Uint8Array(0), executionGasUsed: gasLimit, exceptionError: error }
}

export interface PrecompileOptions {
  /** told about unexpected exceptions (bugs) that failed a call with "internal error" */
  onInternalError?: (error: unknown, contract: string) => void
}

/** The precompile function of a contract. */
export function precompileOf(contract: SystemContract, cfg: DposConfig, opts: PrecompileOptions = {}): (input: PrecompileInput) => Promise<ExecResult> {
  const bySelector = new Map(contract.functions.map((f) => [f.selector, f]))
  if (bySelector.size !== contract.functions.length) throw new TypeError(`${contract.name}: selector clash`)
  return async (input) => {
    // outside the try: a VM without the hooks must fail loudly, not revert
    const call = systemCallOf(input._EVM, input.data)
    const gas = new GasMeter(input.gasLimit)
    const logs: Log[] = []
    try {
      gas.use(MIN_GAS)
      ensure(!call.delegatecall, `${contract.name} cannot be called with DELEGATECALL`)
      ensure(call.codeAddress.equals(call.to), `${contract.name} cannot be called with CALLCODE`)
      const data = input.data
      ensure(data.length > 0, `${contract.name} does not accept plain transfers`)
      ensure(data.length >= 4, 'invalid calldata')
      const f = bySelector.get(bytesToHex(data.subarray(0, 4)))
      ensure(f !== undefined, `${contract.name}: unknown function selector`)
      gas.use(f.gas - MIN_GAS)
      ensure(call.value === 0n || f.mutability === 'payable', 'function is not payable')
      ensure(!call.isStatic || f.mutability === 'view', 'state change in a static call')
      let args: AbiValue[]
      try {
        args = decode(f.inputs, data.subarray(4))
      } catch (e) {
        if (e instanceof AbiError) throw new Revert('invalid calldata')
        throw e
      }
      const sm = input._EVM.stateManager
      const ctx: CallContext = {
        call,
        sender: call.caller.toString(),
        sm,
        store: new DposStore(sm),
        cfg: await governedConfig(sm, cfg),
        genesisCfg: cfg,
        gas,
        emit(ev, values) {
          const topics = [ev.topic]
          const data: AbiValue[] = []
          const types: string[] = []
          ev.params.forEach((p, i) => {
            const v = (values as readonly AbiValue[])[i]!
            if (p.indexed === true) topics.push(encode([p.type], [v]))
            else {
              types.push(p.type)
              data.push(v)
            }
          })
          logs.push([contract.address.bytes, topics, encode(types, data)])
        },
      }
      const out = await f.run(ctx, args)
      return { returnValue: encode(f.outputs, out), executionGasUsed: gas.used, logs }
    } catch (e) {
      if (e instanceof Revert) return revertResult(e.reason, gas.used)
      if (e instanceof OutOfGas) return failResult(input.gasLimit, new EVMError(EVMError.errorMessages.OUT_OF_GAS))
      opts.onInternalError?.(e, contract.name)
      return failResult(input.gasLimit, new EVMError(EVMError.errorMessages.INTERNAL_ERROR))
    }
  }
}
