/**
 * Error codes of the storage-deal reads outside the contract (nfc_getDealChallenge and the agents
 * through it). The contract's own refusals are EVM reverts with an Error(string) reason, never these.
 */
export const StorageErrorCode = {
  /** no deal with this id */
  UnknownDeal: 'STORAGE_UNKNOWN_DEAL',
  /** the deal was never accepted (posted or cancelled): it has no challenges */
  NotAccepted: 'STORAGE_NOT_ACCEPTED',
  /** the period is after the period of the block read: its seed does not exist yet */
  PeriodNotStarted: 'STORAGE_PERIOD_NOT_STARTED',
  /** the period started while no deal was live, so no seed was recorded for it */
  NoSeed: 'STORAGE_NO_SEED',
} as const
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode]
