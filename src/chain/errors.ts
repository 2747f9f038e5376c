/** Error codes of the chain module: block encoding, the block store, the data directory. */
export const ChainErrorCode = {
  BadEncoding: 'CHAIN_BAD_ENCODING',
  BadSignature: 'CHAIN_BAD_SIGNATURE',
  InvalidBlock: 'CHAIN_INVALID_BLOCK',
  /** produceBlock for a slot another witness owns */
  NotMySlot: 'CHAIN_NOT_MY_SLOT',
  BlockNotFound: 'CHAIN_BLOCK_NOT_FOUND',
  DatadirForeign: 'CHAIN_DATADIR_FOREIGN',
  DatadirCorrupt: 'CHAIN_DATADIR_CORRUPT',
  DatadirLocked: 'CHAIN_DATADIR_LOCKED',
} as const
export type ChainErrorCode = (typeof ChainErrorCode)[keyof typeof ChainErrorCode]
