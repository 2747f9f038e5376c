/**
 * Error codes of name lookups outside the contract (nfc_resolveName, `nfc names resolve`). The
 * contract's own refusals are EVM reverts with an Error(string) reason, never these.
 */
export const NameErrorCode = {
  /** no record: never registered, or released */
  Unknown: 'NAME_UNKNOWN',
  /** a record past its expiry (anyone may register the name again) */
  Expired: 'NAME_EXPIRED',
} as const
export type NameErrorCode = (typeof NameErrorCode)[keyof typeof NameErrorCode]
