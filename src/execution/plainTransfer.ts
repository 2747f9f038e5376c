/**
 * A plain value transfer run without the EVM: the same state changes, in the same order and
 * through the same journal, as @ethereumjs/vm `runTx` (Cancun) makes for it, without the
 * machinery a transfer never uses (messages, interpreter set-up, warm sets, intrinsic-gas
 * dimensions, a receipt and bloom we would throw away). Most of a wallet's load is transfers;
 * `runTx` was about half of their build time (docs/decisions.md, "Plain transfers skip the EVM").
 *
 * Plain: type 0, 1 or 2 with no access list, a recipient, no calldata, a recipient that is neither
 * a precompile nor a system contract (ours are precompiles) nor holds code, a sender without code,
 * the right nonce and the funds. Anything else — and any transaction whose checks would fail —
 * goes to `runTx`, so its refusals keep ethereumjs' words.
 */
import type { EVM } from '@ethereumjs/evm'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Account, KECCAK256_NULL, MAX_INTEGER, equalsBytes, type Address } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'

/** intrinsic gas of a call without calldata or access list (the Yellow Paper's G_transaction) */
export const TRANSFER_GAS = 21000n

/** What the block executor reads of a transaction's run (of `runTx`'s result, the same fields). */
export interface TransferRun {
  totalGasSpent: bigint
  /** the producer's part as runTx computes it: gas × the priority fee per gas */
  minerValue: bigint
}

/** The checks that need no state: the transaction's shape and the block's base fee. */
export function isPlainTransfer(vm: VM, tx: TypedTransaction, baseFee: bigint): boolean {
  if (tx.type > 2 || tx.to === undefined || tx.data.length !== 0 || tx.gasLimit < TRANSFER_GAS) return false
  if (tx.type !== 0 && (tx as { accessList: unknown[] }).accessList.length !== 0) return false
  if (maxFeeOf(tx) < baseFee) return false
  return (vm.evm as EVM).getPrecompile(tx.to) === undefined
}

/**
 * Runs `tx` (isPlainTransfer) as runTx would; undefined, with nothing changed, when the state
 * makes it not plain (code at either end, wrong nonce, short of funds): the caller runs runTx.
 */
export async function runPlainTransfer(vm: VM, tx: TypedTransaction, coinbase: Address, baseFee: bigint): Promise<TransferRun | undefined> {
  const sm = vm.stateManager
  const journal = vm.evm.journal
  const caller = tx.getSenderAddress()
  const to = tx.to!
  // runTx: the previous transaction's touched empty accounts go (EIP-161), then its checkpoint
  await journal.cleanup()
  await journal.checkpoint()
  try {
    const sender = (await sm.getAccount(caller)) ?? new Account()
    const recipient = await sm.getAccount(to)
    const inclusionFee = inclusionFeeOf(tx, baseFee)
    const gasPrice = inclusionFee + baseFee
    const upFront = tx.gasLimit * gasPrice + tx.value
    const maxCost = tx.value + (tx.type === 2 ? tx.gasLimit * maxFeeOf(tx) : 0n)
    const plain =
      equalsBytes(sender.codeHash, KECCAK256_NULL) &&
      (recipient === undefined || equalsBytes(recipient.codeHash, KECCAK256_NULL)) &&
      sender.nonce === tx.nonce &&
      sender.balance >= upFront &&
      sender.balance >= maxCost &&
      (recipient?.balance ?? 0n) + tx.value <= MAX_INTEGER
    if (!plain) {
      await journal.revert()
      return undefined
    }
    // runTx: the whole gas limit at the gas price up front, and the nonce; then its call moves the
    // value (runCall → _executeCall, inside a checkpoint that a plain transfer never reverts): one
    // write of the sender for both, then the recipient read after it (sending to oneself is right)
    const txCost = tx.gasLimit * gasPrice
    sender.balance -= txCost + tx.value
    sender.nonce += 1n
    await journal.putAccount(caller, sender)
    const dest = (await sm.getAccount(to)) ?? new Account()
    dest.balance += tx.value
    await journal.putAccount(to, dest)
    // runTx: the unused gas back to the sender, the priority fee to the coinbase
    const refunded = (await sm.getAccount(caller)) ?? new Account()
    refunded.balance += txCost - TRANSFER_GAS * gasPrice
    await journal.putAccount(caller, refunded)
    const miner = (await sm.getAccount(coinbase)) ?? new Account()
    const minerValue = TRANSFER_GAS * inclusionFee
    miner.balance += minerValue
    await journal.putAccount(coinbase, miner)
    // runTx: touched empty accounts go (a zero-value transfer to nobody creates nobody), then its commit
    await journal.cleanup()
    sm.originalStorageCache.clear()
    await journal.commit()
    return { totalGasSpent: TRANSFER_GAS, minerValue }
  } catch (e) {
    await journal.revert()
    throw e
  } finally {
    journal.cleanJournal()
    sm.originalStorageCache.clear()
  }
}

function maxFeeOf(tx: TypedTransaction): bigint {
  return tx.type === 2 ? (tx as { maxFeePerGas: bigint }).maxFeePerGas : (tx as { gasPrice: bigint }).gasPrice
}

/** EIP-1559's effective priority fee; a legacy or access-list transaction's gas price above the base fee */
function inclusionFeeOf(tx: TypedTransaction, baseFee: bigint): bigint {
  if (tx.type !== 2) return (tx as { gasPrice: bigint }).gasPrice - baseFee
  const { maxFeePerGas, maxPriorityFeePerGas } = tx as { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  const room = maxFeePerGas - baseFee
  return maxPriorityFeePerGas < room ? maxPriorityFeePerGas : room
}
