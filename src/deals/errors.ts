/**
 * Error codes of the storage-deal file tree (src/deals/fileTree.ts), shared by the chain side and
 * the deal agents. The StorageDeals contract's own refusals are EVM reverts, never these.
 */
import { NfcError } from '../util/errors.js'

export const DealErrorCode = {
  /** a size that is not a whole number of bytes ≥ 1 (a 0-byte file has no tree) */
  BadSize: 'DEAL_BAD_SIZE',
  /** a leaf index outside the file's leaves */
  BadIndex: 'DEAL_BAD_INDEX',
  /** a file tree fed more or fewer bytes than announced, or fed after it finished */
  BadStream: 'DEAL_BAD_STREAM',
} as const
export type DealErrorCode = (typeof DealErrorCode)[keyof typeof DealErrorCode]

export class DealError extends NfcError<DealErrorCode> {}
