/**
 * Stable error codes of the execution domain. `TX_*` are raised while decoding/validating a
 * raw transaction (eth_sendRawTransaction, gossip); the RPC layer maps them to -32000 with the
 * message, which follows geth's wording because wallets match on it.
 * Plain const object so further codes (EXEC_*) can be appended without touching call sites.
 */
export const TxErrorCode = {
  /** raw bytes larger than the configured max transaction size ("oversized data") */
  OVERSIZED: 'TX_OVERSIZED',
  /** bad RLP, bad envelope, unknown/unsupported type byte ("rlp: …", "transaction type not supported") */
  MALFORMED: 'TX_MALFORMED',
  /** unsigned, r/s zero or ≥ n, high-s, bad y-parity ("invalid sender: invalid transaction v, r, s values") */
  INVALID_SIG: 'TX_INVALID_SIG',
  /** chain id of the tx differs from ours ("invalid chain id for signer: have X want Y") */
  WRONG_CHAIN: 'TX_WRONG_CHAIN',
  /** legacy tx without EIP-155 replay protection */
  UNPROTECTED: 'TX_UNPROTECTED',
  /** public key recovery failed ("invalid sender") */
  INVALID_SENDER: 'TX_INVALID_SENDER',
  /** 1559 tx with maxPriorityFeePerGas > maxFeePerGas (ethereumjs refuses to build such a tx) */
  TIP_ABOVE_FEE_CAP: 'TX_TIP_ABOVE_FEE_CAP',
  /** contract creation whose init code exceeds EIP-3860's limit ("max initcode size exceeded") */
  INITCODE_TOO_LARGE: 'TX_INITCODE_TOO_LARGE',
} as const

export type TxErrorCode = (typeof TxErrorCode)[keyof typeof TxErrorCode]

/** Codes of block and call execution (the lead's part of this file). */
export const ExecErrorCode = {
  /** a call or transaction reverted; meta.data holds the revert bytes (RPC: code 3) */
  REVERTED: 'EXEC_REVERTED',
  /** a transaction in an imported block cannot run (bad nonce, funds, …) */
  InvalidTransaction: 'EXEC_INVALID_TRANSACTION',
  /** the block's gas limit is reached */
  BlockGasExceeded: 'EXEC_BLOCK_GAS_EXCEEDED',
  /** eth_call / eth_estimateGas failed for a reason other than a revert */
  CallFailed: 'EXEC_CALL_FAILED',
  /** eth_estimateGas: no gas limit up to the cap makes the call succeed */
  GasRequiredExceedsAllowance: 'EXEC_GAS_REQUIRED_EXCEEDS_ALLOWANCE',
} as const
