/**
 * eth_call and eth_estimateGas: the request runs as a real transaction (`runTx`: intrinsic gas,
 * access lists, refunds exactly as in a block) from an impersonated sender, on a private state
 * view that is thrown away. Nonce and balance are not checked, as geth does for calls.
 */
import type { Common } from '@ethereumjs/common'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import type { AccessList } from '@ethereumjs/tx'
import { Address, bytesToHex } from '@ethereumjs/util'
import { createVM, runTx } from '@ethereumjs/vm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
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
  return new NfcError(
    ExecErrorCode.REVERTED,
    reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`,
    { data: hex },
  )
}

async function run(env: CallEnv, req: CallRequest, gasLimit: bigint): Promise<CallOutcome> {
  const { common, ctx } = env
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
      accessList: req.accessList ?? [],
    },
    { common, freeze: false },
  )
  const from = new Address(req.from ?? new Uint8Array(20))
  tx.getSenderAddress = () => from
  const vm = await createVM({ common, stateManager: await env.freshState(), blockchain: env.blockchain as never })
  try {
    const result = await runTx(vm, {
      tx,
      block: evmBlock(ctx, common),
      skipNonce: true,
      skipBalance: true,
      skipBlockGasLimitValidation: true,
      skipHardForkValidation: true,
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
