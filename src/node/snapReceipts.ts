/**
 * The receipts of snapshot sync's history (DESIGN §10). Blocks below the pivot are never executed
 * here, so their receipts come from a peer (GetReceipts) — as geth's snap sync downloads them — and
 * a block's receipts are taken only when they are exactly what executing the block would have
 * stored:
 *
 *   - the consensus part (status, cumulative gas, logs; the bloom derived from the logs) hashes to
 *     the header's receiptsRoot, which the producer signed, and the last cumulative gas is the
 *     header's gasUsed;
 *   - the node's own additions are derived, not trusted: gasUsed from the cumulative gas, the
 *     effective price from the transaction and the block's base fee, the created address from the
 *     sender and its nonce (a creation's receipt names it or, as a failed one may, nothing; any
 *     other transaction's names nothing).
 *
 * Anything else throws a ReceiptsRefused naming the block and the reason (the caller bans the peer).
 */
import { bigIntToUnpaddedBytes, generateAddress } from '@ethereumjs/util'
import type { Block } from '../chain/block.js'
import { equalBytes } from '../chain/header.js'
import { decodeReceipts, receiptsRoot, type TxReceipt } from '../chain/receipt.js'
import { senderOf } from '../chain/receiptRecord.js'
import { effectiveGasPrice } from '../execution/blockExecutor.js'

/** a peer's receipts that are not the block's */
export class ReceiptsRefused extends Error {}

/** `encoded` (the block store's encoding of a block's receipt list) checked against `block`; throws ReceiptsRefused */
export function checkedReceipts(block: Block, encoded: Uint8Array): TxReceipt[] {
  const { header, transactions } = block
  const refuse = (why: string): never => {
    throw new ReceiptsRefused(`receipts of block ${header.number}: ${why}`)
  }
  let receipts: TxReceipt[] = []
  try {
    receipts = decodeReceipts(encoded)
  } catch (e) {
    refuse((e as Error).message)
  }
  if (receipts.length !== transactions.length) refuse(`${receipts.length} receipts for ${transactions.length} transactions`)
  if (!equalBytes(receiptsRoot(receipts, transactions), header.receiptsRoot)) refuse('they do not hash to the header’s receiptsRoot')
  let cumulative = 0n
  receipts.forEach((r, i) => {
    const tx = transactions[i]!
    if (r.gasUsed !== r.cumulativeGasUsed - cumulative) refuse(`receipt ${i}: gasUsed ${r.gasUsed} is not its share of the cumulative gas`)
    cumulative = r.cumulativeGasUsed
    if (r.effectiveGasPrice !== effectiveGasPrice(tx, header.baseFeePerGas))
      refuse(`receipt ${i}: effective gas price ${r.effectiveGasPrice} is not the transaction's`)
    if (r.contractAddress.length === 0) return
    const created = tx.to === undefined ? generateAddress(senderOf(tx), bigIntToUnpaddedBytes(tx.nonce)) : undefined
    if (created === undefined || !equalBytes(r.contractAddress, created)) refuse(`receipt ${i}: contract address is not the one the transaction creates`)
  })
  if (receipts.length > 0 && cumulative !== header.gasUsed) refuse(`cumulative gas ${cumulative} is not the header's gasUsed ${header.gasUsed}`)
  return receipts
}
