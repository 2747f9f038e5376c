// Long on purpose (~400 lines): eth_call, eth_estimateGas (binary search) and the call environment they share.
/**
 * eth_call and eth_estimateGas: the request runs as a real transaction (`runTx`: intrinsic gas,
 * access lists, refunds exactly as in a block) from an impersonated sender, on a private state
 * view that is thrown away. Nonce and balance are not checked, as geth does for calls.
 */
import type { Block as EthBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerklePatriciaTrie } from '@ethereumjs/mpt'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { createFeeMarket1559Tx, type AccessList, type FeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex, bytesToUnprefixedHex, equalsBytes } from '@ethereumjs/util'
import { createNodeVm } from './vmFactory.js'
import { callInterpreter } from './callInterpreter.js'
import { CallState, SharedReads, type RootReads } from './callState.js'
import type { DposConfig } from '../consensus/dpos/engine.js'
import { runTx, type VM } from '@ethereumjs/vm'
import { NfcError } from '../util/errors.js'
import { evmBlock, type BlockContext } from './blockExecutor.js'
import { ExecErrorCode } from './errors.js'

export interface CallRequest {
  from?: Uint8Array
  /** null or absent: contract creation */
  to?: Uint8Array | null
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  data?: Uint8Array
  accessList?: AccessList
}

export interface CallEnv {
  common: Common
  ctx: BlockContext
  /** a fresh private state view per run (runs modify the state they are given) */
  freshState: () => Promise<MerkleStateManager>
  /** the BLOCKHASH source */
  blockchain: unknown
  /**
   * Work reused across runs on this block (a VM pool and read caches, see CallCaches); absent:
   * every run builds its own VM on a `freshState()` view. Results are the same either way.
   */
  reuse?: BlockCallCache
  /** the chain's consensus parameters: VMs get the native system contracts */
  dpos?: DposConfig
}

export interface CallOutcome {
  ok: boolean
  returnValue: Uint8Array
  gasUsed: bigint
  /** the EVM's reason when not ok: 'revert', 'out of gas', 'invalid opcode', … */
  error?: string
}

const ERROR_SELECTOR = '0x08c379a0'

/** geth's message for a revert: "execution reverted" plus the Error(string) reason if any. */
export function revertError(returnValue: Uint8Array): NfcError {
  const hex = bytesToHex(returnValue)
  let reason: string | undefined
  if (hex.startsWith(ERROR_SELECTOR) && returnValue.length >= 68) {
    try {
      const body = returnValue.subarray(4)
      const offset = Number(BigInt(bytesToHex(body.subarray(0, 32))))
      const len = Number(BigInt(bytesToHex(body.subarray(offset, offset + 32))))
      if (offset + 32 + len <= body.length) reason = new TextDecoder().decode(body.subarray(offset + 32, offset + 32 + len))
    } catch {
      reason = undefined
    }
  }
  return new NfcError(ExecErrorCode.REVERTED, reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`, { data: hex })
}

/** runTx options of every call-style run: no nonce, balance, block-gas or hardfork checks. */
export const CALL_RUN_OPTS = {
  skipNonce: true,
  skipBalance: true,
  skipBlockGasLimitValidation: true,
  skipHardForkValidation: true,
} as const

/**
 * The transaction an eth_call-style request runs as (eth_call, eth_estimateGas,
 * eth_createAccessList, debug_traceCall): type 2 at the requested price, the sender impersonated
 * (a call carries no signature).
 * @param txCommon the Common the tx is built with (the reused path passes one that copies cheaply)
 */
export function callTransaction(
  req: CallRequest,
  ctx: BlockContext,
  gasLimit: bigint,
  txCommon: Common,
  accessList: AccessList = req.accessList ?? [],
): FeeMarket1559Tx {
  const price = req.gasPrice ?? req.maxFeePerGas ?? ctx.baseFeePerGas
  if (req.maxPriorityFeePerGas !== undefined && req.maxPriorityFeePerGas > price) {
    // ethereumjs would refuse to build the transaction with a plain Error (an internal error)
    throw new NfcError(ExecErrorCode.CallFailed, `maxFeePerGas (${price}) < maxPriorityFeePerGas (${req.maxPriorityFeePerGas})`)
  }
  const tx = createFeeMarket1559Tx(
    {
      to: req.to ?? undefined,
      data: req.data ?? new Uint8Array(0),
      value: req.value ?? 0n,
      gasLimit,
      maxFeePerGas: price,
      maxPriorityFeePerGas: req.maxPriorityFeePerGas ?? (price > ctx.baseFeePerGas ? price - ctx.baseFeePerGas : 0n),
      accessList,
    },
    { common: txCommon, freeze: false },
  )
  const from = new Address(req.from ?? new Uint8Array(20))
  tx.getSenderAddress = () => from
  return tx
}

async function run(env: CallEnv, req: CallRequest, gasLimit: bigint): Promise<CallOutcome> {
  const { common, ctx } = env
  // the reused path hands the constructor a Common whose copy is itself (see txCommon)
  const tx = callTransaction(req, ctx, gasLimit, env.reuse === undefined ? common : txCommon(common))
  const reuse = env.reuse
  const slot = reuse === undefined ? undefined : await reuse.acquire(env)
  const vm = slot?.vm ?? (await createNodeVm({ common, stateManager: await env.freshState(), blockchain: env.blockchain, dpos: env.dpos }))
  // a pooled VM runs inside one outer checkpoint that is reverted afterwards: nothing of the
  // run survives it (nor reaches the view's trie, which is flushed only at checkpoint depth 0)
  if (slot !== undefined) await slot.state.checkpoint()
  try {
    const result = await runTx(vm, {
      tx,
      block: reuse === undefined ? evmBlock(ctx, common) : reuse.evmBlock(ctx, common),
      ...CALL_RUN_OPTS,
    })
    const err = result.execResult.exceptionError
    return {
      ok: err === undefined,
      returnValue: result.execResult.returnValue,
      gasUsed: result.totalGasSpent,
      error: err?.error,
    }
  } catch (e) {
    // runTx refuses before executing: intrinsic gas too low, fee below the base fee, …
    throw new NfcError(ExecErrorCode.CallFailed, gethWording((e as Error).message))
  } finally {
    if (slot !== undefined) await reuse!.release(slot)
  }
}

/** ethereumjs' refusal, in geth's words where geth has them (wallets match on those). */
export function gethWording(message: string): string {
  const plain = message.replace(/\s*\(vm hf=.*$/s, '').replace(/ -> .*$/s, '')
  const intrinsic = /tx gas limit (\d+) is lower than the minimum gas limit of (\d+)/.exec(plain)
  if (intrinsic !== null) return `intrinsic gas too low: have ${intrinsic[1]}, want ${intrinsic[2]}`
  const lowFee = /is less than the block's baseFeePerGas \((\d+)\)/.exec(plain)
  if (lowFee !== null) return `max fee per gas less than block base fee: baseFee: ${lowFee[1]}`
  return plain
}

/** eth_call: the return data, or a revert / EVM error. */
export async function call(env: CallEnv, req: CallRequest): Promise<Uint8Array> {
  const out = await run(env, req, req.gas ?? env.ctx.gasLimit)
  if (out.ok) return out.returnValue
  if (out.error === 'revert') throw revertError(out.returnValue)
  throw new NfcError(ExecErrorCode.CallFailed, out.error ?? 'execution failed')
}

/**
 * eth_estimateGas: the smallest gas limit (within 1.5%, as geth) at which the request succeeds,
 * found by bisection between the gas it used and the cap.
 */
export async function estimateGas(env: CallEnv, req: CallRequest): Promise<bigint> {
  const cap = req.gas ?? env.ctx.gasLimit
  const first = await run(env, req, cap)
  if (!first.ok) {
    if (first.error === 'revert') throw revertError(first.returnValue)
    if (first.error === 'out of gas') {
      throw new NfcError(ExecErrorCode.GasRequiredExceedsAllowance, `gas required exceeds allowance (${cap})`)
    }
    throw new NfcError(ExecErrorCode.CallFailed, first.error ?? 'execution failed')
  }
  // no limit below the gas used can succeed, so a success AT the gas used is the exact minimum
  // (a plain transfer estimates to 21000, as in geth)
  if (first.gasUsed < cap && (await run(env, req, first.gasUsed)).ok) return first.gasUsed
  let lo = first.gasUsed - 1n
  let hi = cap
  // most calls succeed with what they used plus the 63/64 reserve of EIP-150: try that first
  const optimistic = (first.gasUsed * 64n) / 63n + 2300n
  if (optimistic < hi) {
    if ((await run(env, req, optimistic)).ok) hi = optimistic
    else lo = optimistic
  }
  while (hi - lo > 1n && (hi - lo) * 1000n > hi * 15n) {
    const mid = (lo + hi) / 2n
    if ((await run(env, req, mid)).ok) hi = mid
    else lo = mid
  }
  return hi
}

// ---------------------------------------------------------------------------------------------
// Reuse across calls. Building a VM (EVM, opcode table, precompiles, a Common copy with its
// parameter cache) cost more than running a view call, and every run re-read the same accounts,
// code and slots through the trie. CallCaches keeps, per node:
//  - a pool of VMs, each on its own CallState (callState.ts: a view of the trie under an overlay),
//    moved from block to block by setting its trie root; a run borrows one, runs inside an outer
//    checkpoint, reverts it, and returns it only if it is back exactly at its root;
//  - reads that are true whatever the run does, shared by all VMs: accounts per state root,
//    storage slots per storage-trie root, code per code hash (all keyed by content, so a run's
//    own writes — held in its overlay, looked up first — can never be answered from them);
//  - the EVM block of each recent block and a Common for call transactions.

interface Slot {
  vm: VM
  state: CallState
}

/** What reuse keeps for one block: its state root's account reads and its EVM block. */
export class BlockCallCache {
  readonly at: RootReads
  private block: EthBlock | undefined

  constructor(
    private readonly pool: CallCaches,
    root: Uint8Array,
  ) {
    this.at = { root, accounts: new Map() }
  }

  /** The EVM block runs see (the same for every run on this block: built once). */
  evmBlock(ctx: BlockContext, common: Common): EthBlock {
    this.block ??= evmBlock(ctx, common)
    return this.block
  }

  acquire(env: CallEnv): Promise<Slot> {
    return this.pool.acquire(env, this)
  }

  release(slot: Slot): Promise<void> {
    return this.pool.release(slot)
  }
}

export interface CallCachesOptions {
  /** blocks whose reads and EVM block are kept (default 8) */
  blocks?: number
  /** idle VMs kept for reuse (default 16) */
  vms?: number
  /**
   * runs in progress at once (default 2); more wait their turn. Runs are CPU work: letting dozens
   * interleave only keeps each one's garbage alive longer (old-space GC) and costs throughput.
   */
  concurrent?: number
}

export class CallCaches {
  private readonly blocks = new Map<string, BlockCallCache>()
  private readonly idle: Slot[] = []
  private readonly shared = new SharedReads()
  private readonly maxBlocks: number
  private readonly maxIdle: number
  private readonly maxActive: number
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(opts: CallCachesOptions = {}) {
    this.maxBlocks = opts.blocks ?? 8
    this.maxIdle = opts.vms ?? 16
    this.maxActive = opts.concurrent ?? 2
  }

  /** The cache of the block `hash` whose state root is `stateRoot`. */
  forBlock(hash: Uint8Array, stateRoot: Uint8Array): BlockCallCache {
    const k = bytesToUnprefixedHex(hash)
    let c = this.blocks.get(k)
    if (c !== undefined) return c
    c = new BlockCallCache(this, stateRoot)
    this.blocks.set(k, c)
    if (this.blocks.size > this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value!)
    return c
  }

  async acquire(env: CallEnv, block: BlockCallCache): Promise<Slot> {
    if (this.active >= this.maxActive) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await this.slotFor(env, block)
    } catch (e) {
      this.nextTurn()
      throw e
    }
  }

  /** A run is over: the next waiting run takes its turn (the count of active runs is unchanged). */
  private nextTurn(): void {
    const next = this.waiting.shift()
    if (next !== undefined) next()
    else this.active--
  }

  private async slotFor(env: CallEnv, block: BlockCallCache): Promise<Slot> {
    // prefer a VM already at this root (same root: nothing to reset)
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const s = this.idle[i]!
      if (equalsBytes(s.state.at.root, block.at.root)) {
        this.idle.splice(i, 1)
        if (s.state.at !== block.at) s.state.retarget(block.at)
        return s
      }
    }
    const s = this.idle.pop()
    if (s !== undefined) {
      s.state.retarget(block.at)
      return s
    }
    const view = (await env.freshState()) as unknown as { _trie: MerklePatriciaTrie; _prefixCodeHashes: boolean; _prefixStorageTrieKeys: boolean }
    const state = new CallState(
      { trie: view._trie, common: env.common, prefixCodeHashes: view._prefixCodeHashes, prefixStorageTrieKeys: view._prefixStorageTrieKeys },
      block.at,
      this.shared,
    )
    const vm = await createNodeVm({ common: env.common, stateManager: state, blockchain: env.blockchain, dpos: env.dpos })
    await callInterpreter(vm.evm)
    return { vm, state }
  }

  async release(slot: Slot): Promise<void> {
    try {
      await slot.state.revert()
      if (slot.state.pristine() && this.idle.length < this.maxIdle) this.idle.push(slot)
    } catch {
      // a VM in an unknown state is dropped
    } finally {
      this.nextTurn()
    }
  }
}

/**
 * Call transactions are built with this Common: a copy of the chain's with the transaction
 * parameters merged once, whose `copy()` is itself and `updateParams()` a no-op — what every
 * transaction constructor does to the Common it is given (copy, merge the same parameters) was
 * most of the cost of building one. Nothing in a call run changes a transaction's Common.
 */
const txCommons = new WeakMap<Common, Common>()
function txCommon(common: Common): Common {
  let c = txCommons.get(common)
  if (c === undefined) {
    const probe = createFeeMarket1559Tx({}, { common, freeze: false })
    const own = probe.common
    Object.defineProperty(own, 'copy', { value: () => own })
    Object.defineProperty(own, 'updateParams', { value: () => own })
    c = own
    txCommons.set(common, c)
  }
  return c
}

const owners = new WeakMap<object, CallCaches>()

/** The CallCaches of `owner` (a node's chain), created on first use. */
export function callCachesOf(owner: object, opts?: CallCachesOptions): CallCaches {
  let c = owners.get(owner)
  if (c === undefined) {
    c = new CallCaches(opts)
    owners.set(owner, c)
  }
  return c
}
