import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address } from '@ethereumjs/util'
import type { Logger } from '../util/logger.js'

/** The head state the pool validates against; swapped on every new head. */
export interface PoolStateView {
  getNonce(address: Address): Promise<bigint>
  getBalance(address: Address): Promise<bigint>
  /**
   * Why `tx` can only revert at this head, so the pool refuses it before it costs its sender gas
   * (TXPOOL_PRECHECK_REFUSED with this message), or undefined. The node checks calls to the
   * system contracts here (duplicate evidence: execution/system/evidencePrecheck.ts).
   */
  precheck?(tx: TypedTransaction): Promise<string | undefined>
}

export interface TxPoolOptions {
  common: Common
  /** protocol minimum gas price (wei), reported by blocks as baseFeePerGas */
  minGasPrice: bigint
  blockGasLimit: bigint
  /** executable txs guaranteed to each sender, not a ceiling (geth --txpool.accountslots); default 16 */
  accountSlots?: number
  /** executable txs in the whole pool (geth --txpool.globalslots); default 5120 */
  globalSlots?: number
  /** queued txs (behind a nonce gap) per sender, a ceiling (geth --txpool.accountqueue); default 64 */
  accountQueue?: number
  /** queued txs in the whole pool (geth --txpool.globalqueue); default 1024 */
  globalQueue?: number
  /** a same-nonce replacement must raise fee cap and tip by this many percent; default 10 */
  priceBumpPercent?: number
  /** where a throwing event listener gets reported; default silent */
  logger?: Logger
}

export type TxStatus = 'pending' | 'queued'

export type RemovalReason =
  /** nonce fell below the sender's state nonce (included in a block, or superseded) */
  | 'stale'
  /** the sender's balance no longer covers gasLimit × feeCap + value */
  | 'unaffordable'
  /** replaced by a same-nonce tx paying at least priceBumpPercent more */
  | 'replaced'
  /** evicted to make room for a better-paying tx when the pool was full */
  | 'evicted'
  /** removed through TxPool.remove (e.g. block production found it invalid) */
  | 'dropped'

export interface TxPoolEvents {
  /** a tx entered the pool (either status) */
  added: { tx: TypedTransaction; hash: Uint8Array; sender: Address; status: TxStatus }
  /** a tx became executable: on add as pending, or promoted from queued when its gap filled.
   *  This is what newPendingTransactions subscriptions should stream. */
  pending: { tx: TypedTransaction; hash: Uint8Array; sender: Address }
  removed: { tx: TypedTransaction; hash: Uint8Array; sender: Address; reason: RemovalReason }
}

export type TxPoolEvent = keyof TxPoolEvents
