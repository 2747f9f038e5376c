/**
 * Stable error codes of the transaction pool. Messages follow geth's txpool/core errors because
 * wallets (ethers, MetaMask) match on them, e.g. "nonce too low", "replacement transaction
 * underpriced", "insufficient funds for gas * price + value". RPC maps TXPOOL_* to -32000.
 */
export const TxPoolErrorCode = {
  ALREADY_KNOWN: 'TXPOOL_ALREADY_KNOWN',
  TX_TYPE_NOT_SUPPORTED: 'TXPOOL_TX_TYPE_NOT_SUPPORTED',
  GAS_LIMIT: 'TXPOOL_GAS_LIMIT',
  INTRINSIC_GAS: 'TXPOOL_INTRINSIC_GAS',
  TIP_ABOVE_FEE_CAP: 'TXPOOL_TIP_ABOVE_FEE_CAP',
  UNDERPRICED: 'TXPOOL_UNDERPRICED',
  NONCE_TOO_LOW: 'TXPOOL_NONCE_TOO_LOW',
  INSUFFICIENT_FUNDS: 'TXPOOL_INSUFFICIENT_FUNDS',
  REPLACEMENT_UNDERPRICED: 'TXPOOL_REPLACEMENT_UNDERPRICED',
  ACCOUNT_LIMIT: 'TXPOOL_ACCOUNT_LIMIT',
  FULL: 'TXPOOL_FULL',
  /** the head state's pre-check says the call can only revert (PoolStateView.precheck), e.g. "evidence already applied" */
  PRECHECK_REFUSED: 'TXPOOL_PRECHECK_REFUSED',
} as const

export type TxPoolErrorCode = (typeof TxPoolErrorCode)[keyof typeof TxPoolErrorCode]
