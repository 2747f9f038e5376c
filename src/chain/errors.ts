import { NfcError } from '../util/errors.js'

/** Error codes of the chain module: block encoding, the block store, the data directory. */
export const ChainErrorCode = {
  BadEncoding: 'CHAIN_BAD_ENCODING',
  BadSignature: 'CHAIN_BAD_SIGNATURE',
  /** a block breaks a rule; `BlockError.reason` says which (a `BlockErrorCode`) */
  InvalidBlock: 'CHAIN_INVALID_BLOCK',
  /** produceBlock for a slot another witness owns */
  NotMySlot: 'CHAIN_NOT_MY_SLOT',
  BlockNotFound: 'CHAIN_BLOCK_NOT_FOUND',
  DatadirForeign: 'CHAIN_DATADIR_FOREIGN',
  DatadirCorrupt: 'CHAIN_DATADIR_CORRUPT',
  DatadirLocked: 'CHAIN_DATADIR_LOCKED',
  /** the database no longer holds a block the node had called final (lost writes: power loss) */
  DatadirLostWrites: 'CHAIN_DATADIR_LOST_WRITES',
} as const
export type ChainErrorCode = (typeof ChainErrorCode)[keyof typeof ChainErrorCode]

/**
 * One stable code per reason a block is refused (Lodestar's `BlockErrorCode`), documented in
 * docs/errors.md. A `BlockError` keeps `code` = CHAIN_INVALID_BLOCK (what callers and the RPC
 * edge have always matched on) and carries the reason in `reason` (and `meta.reason`).
 */
export const BlockErrorCode = {
  /** header number is not its parent's + 1 */
  BadNumber: 'BLOCK_BAD_NUMBER',
  /** timestamp is not after the parent's */
  TimestampNotAfterParent: 'BLOCK_TIMESTAMP_NOT_AFTER_PARENT',
  /** timestamp is not genesis time + k × block interval */
  TimestampOffSlot: 'BLOCK_TIMESTAMP_OFF_SLOT',
  /** timestamp further ahead of the local clock than the allowed skew (15 s) */
  TimestampTooFarInFuture: 'BLOCK_TIMESTAMP_TOO_FAR_IN_FUTURE',
  /** gas limit is not the chain's */
  BadGasLimit: 'BLOCK_BAD_GAS_LIMIT',
  /** baseFeePerGas is not the chain minimum gas price */
  BadBaseFee: 'BLOCK_BAD_BASE_FEE',
  /** header gasUsed above its gas limit */
  GasUsedAboveLimit: 'BLOCK_GAS_USED_ABOVE_LIMIT',
  /** a non-zero flowRoot (flow checkpoints are not accepted yet) */
  FlowRootNotAccepted: 'BLOCK_FLOW_ROOT_NOT_ACCEPTED',
  /** the header signature is not the producer's */
  BadSignature: 'BLOCK_BAD_SIGNATURE',
  /** transactionsRoot does not match the body's transactions */
  TransactionsRootMismatch: 'BLOCK_TRANSACTIONS_ROOT_MISMATCH',
  /** confirmationsRoot does not match the body's confirmations */
  ConfirmationsRootMismatch: 'BLOCK_CONFIRMATIONS_ROOT_MISMATCH',
  /** a confirmation in the body has an unrecoverable signature */
  BadConfirmationSignature: 'BLOCK_BAD_CONFIRMATION_SIGNATURE',
  /** a confirmation in the body is for a block that is not an ancestor on the block's branch */
  ConfirmationNotAncestor: 'BLOCK_CONFIRMATION_NOT_ANCESTOR',
  /** executed gas differs from the header's gasUsed */
  GasUsedMismatch: 'BLOCK_GAS_USED_MISMATCH',
  /** executed state root differs from the header's */
  StateRootMismatch: 'BLOCK_STATE_ROOT_MISMATCH',
  /** executed receipts root differs from the header's */
  ReceiptsRootMismatch: 'BLOCK_RECEIPTS_ROOT_MISMATCH',
  /** executed logs bloom differs from the header's */
  LogsBloomMismatch: 'BLOCK_LOGS_BLOOM_MISMATCH',
  /** a confirmation in a gossiped message names another number than its block has */
  ConfirmationWrongNumber: 'BLOCK_CONFIRMATION_WRONG_NUMBER',
  /** local: a reorg would drop the last final block (fork choice should have refused it first) */
  ReorgBelowFinal: 'BLOCK_REORG_BELOW_FINAL',
  /** local: produceBlock was asked for a timestamp not after the head's */
  ProduceTimestampNotAfterParent: 'BLOCK_PRODUCE_TIMESTAMP_NOT_AFTER_PARENT',
  /** local: produceBlock was asked for a timestamp that is not the start of a slot */
  ProduceTimestampOffSlot: 'BLOCK_PRODUCE_TIMESTAMP_OFF_SLOT',
} as const
export type BlockErrorCode = (typeof BlockErrorCode)[keyof typeof BlockErrorCode]

/** A block that breaks a rule (or a block this node was asked to build that would). */
export class BlockError extends NfcError<typeof ChainErrorCode.InvalidBlock> {
  readonly reason: BlockErrorCode

  constructor(reason: BlockErrorCode, message: string, meta: Record<string, unknown> = {}) {
    super(ChainErrorCode.InvalidBlock, message, { ...meta, reason })
    this.reason = reason
  }
}

/** reasons that are this node's own state or request, never proof that a peer sent a bad block */
const LOCAL_REASONS: ReadonlySet<string> = new Set<BlockErrorCode>([
  BlockErrorCode.ReorgBelowFinal,
  BlockErrorCode.ProduceTimestampNotAfterParent,
  BlockErrorCode.ProduceTimestampOffSlot,
])

/**
 * Whether `e` proves that the bytes a peer sent are an invalid block or message of the chain
 * module: a rule-breaking block (`BlockError`, except the local reasons), or bytes that do not
 * decode or whose signature is wrong. Anything else (a database error, a full disk, a bug) is a
 * local fault.
 */
export function isInvalidChainData(e: unknown): boolean {
  if (e instanceof BlockError) return !LOCAL_REASONS.has(e.reason)
  if (!(e instanceof NfcError)) return false
  return e.code === ChainErrorCode.BadEncoding || e.code === ChainErrorCode.BadSignature
}
