/**
 * Fee arithmetic shared by the pool and block production. The chain has a fixed protocol
 * minimum gas price (reported as baseFeePerGas), so a tx's effective price and tip never change
 * while it sits in the pool and can be computed once.
 */
import { TransactionType, type TypedTransaction } from '@ethereumjs/tx'

/** The fee cap and tip cap as geth defines them: legacy/2930 use gasPrice for both. */
export function feeCaps(tx: TypedTransaction): { feeCap: bigint; tipCap: bigint } {
  if (tx.type === TransactionType.FeeMarketEIP1559) {
    return { feeCap: tx.maxFeePerGas, tipCap: tx.maxPriorityFeePerGas }
  }
  if (tx.type === TransactionType.Legacy || tx.type === TransactionType.AccessListEIP2930) {
    return { feeCap: tx.gasPrice, tipCap: tx.gasPrice }
  }
  throw new Error(`unsupported tx type ${tx.type}`)
}

/** legacy/2930: gasPrice; 1559: min(maxFeePerGas, minGasPrice + maxPriorityFeePerGas). */
export function effectiveGasPrice(tx: TypedTransaction, minGasPrice: bigint): bigint {
  const { feeCap, tipCap } = feeCaps(tx)
  if (tx.type !== TransactionType.FeeMarketEIP1559) return feeCap
  const capped = minGasPrice + tipCap
  return capped < feeCap ? capped : feeCap
}

/** Effective gas price minus the protocol minimum; negative only for underpriced txs. */
export function effectiveTip(tx: TypedTransaction, minGasPrice: bigint): bigint {
  return effectiveGasPrice(tx, minGasPrice) - minGasPrice
}

/** Worst-case cost the sender must hold: gasLimit × feeCap + value (geth's tx.Cost()). */
export function maxCost(tx: TypedTransaction): bigint {
  return tx.gasLimit * feeCaps(tx).feeCap + tx.value
}
