/**
 * The body checks of a block that need nothing but the block itself (and, after execution, the
 * execution's results): roots, confirmation signatures, execution results against the header.
 * Pure: no database, clock or network. Whether a confirmation's block is an ancestor needs the
 * store and stays with the import.
 */
import { bytesToHex } from '@ethereumjs/util'
import { transactionsRoot, type Block } from '../block.js'
import { confirmationsRoot, recoverConfirmer, type Confirmation } from '../confirmation.js'
import { BlockErrorCode } from '../errors.js'
import { equalBytes } from '../header.js'
import { receiptsRoot, type TxReceipt } from '../receipt.js'
import { invalidBlock } from './verifyHeader.js'

/** Throws a BlockError when the header's transactions or confirmations root does not match the body. */
export function verifyBodyRoots(block: Block): void {
  const h = block.header
  if (!equalBytes(transactionsRoot(block.transactions), h.transactionsRoot)) {
    throw invalidBlock(h, block.hash, BlockErrorCode.TransactionsRootMismatch, 'transactionsRoot does not match the transactions')
  }
  if (!equalBytes(confirmationsRoot(block.confirmations), h.confirmationsRoot)) {
    throw invalidBlock(h, block.hash, BlockErrorCode.ConfirmationsRootMismatch, 'confirmationsRoot does not match the confirmations')
  }
}

/** The signer (witness address, 0x hex) of `c`, a confirmation in `block`; throws a BlockError on a bad signature. */
export function confirmationSigner(chainId: bigint, block: Block, c: Confirmation): string {
  const signer = recoverConfirmer(chainId, c)
  if (signer === null) throw invalidBlock(block.header, block.hash, BlockErrorCode.BadConfirmationSignature, 'a confirmation signature is invalid')
  return bytesToHex(signer)
}

/** What executing a block produced (the fields its header commits to). */
export interface ExecutionResult {
  gasUsed: bigint
  stateRoot: Uint8Array
  receipts: TxReceipt[]
  logsBloom: Uint8Array
}

/** Throws a BlockError when the execution's gas, state root, receipts root or bloom differ from the header. */
export function verifyExecutionResult(block: Block, exec: ExecutionResult): void {
  const h = block.header
  const invalid = (code: BlockErrorCode, reason: string) => invalidBlock(h, block.hash, code, reason)
  if (exec.gasUsed !== h.gasUsed) throw invalid(BlockErrorCode.GasUsedMismatch, `gas used is ${exec.gasUsed}, the header says ${h.gasUsed}`)
  if (!equalBytes(exec.stateRoot, h.stateRoot)) throw invalid(BlockErrorCode.StateRootMismatch, 'state root does not match the execution')
  if (!equalBytes(receiptsRoot(exec.receipts, block.transactions), h.receiptsRoot))
    throw invalid(BlockErrorCode.ReceiptsRootMismatch, 'receiptsRoot does not match the execution')
  if (!equalBytes(exec.logsBloom, h.logsBloom)) throw invalid(BlockErrorCode.LogsBloomMismatch, 'logsBloom does not match the execution')
}
