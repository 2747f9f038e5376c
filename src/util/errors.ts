/**
 * One base class for every error the node raises on purpose. `code` is stable (tests and the
 * RPC edge match on it, never on the message); `meta` carries the values that explain it.
 * Each domain keeps its codes in its own `errors.ts`; `rpc/errors.ts` maps codes to JSON-RPC.
 */
export class NfcError<C extends string = string> extends Error {
  readonly code: C
  readonly meta: Record<string, unknown>

  constructor(code: C, message: string, meta: Record<string, unknown> = {}) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.meta = meta
  }
}

export function isNfcError(e: unknown): e is NfcError {
  return e instanceof NfcError
}
