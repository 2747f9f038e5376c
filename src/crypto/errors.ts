/**
 * Error codes of the crypto domain. Invalid *signatures* are not errors here (recovery returns
 * null, or throws ethereumjs' own error where we stand in for `@ethereumjs/util`); these codes are
 * for misuse and for the worker pool.
 */
import { NfcError } from '../util/errors.js'

export type CryptoErrorCode =
  /** a recovery worker thread died (crash, OOM, failed to load); its pending batch is lost */
  | 'CRYPTO_WORKER_FAILED'
  /** the pool was closed while work was pending, or used after close() */
  | 'CRYPTO_POOL_CLOSED'
  /** wrong argument shape (e.g. a 31-byte hash): a caller bug, not a bad signature */
  | 'CRYPTO_BAD_INPUT'

export class CryptoError extends NfcError<CryptoErrorCode> {}
