/** Asserts that `f` throws the CLI's UsageError with a message matching `message`. */
import type { Test } from 'tap'
import { UsageError } from '../../src/cli/io.js'

export function expectUsageError(t: Test, f: () => unknown, message: RegExp): void {
  let err: unknown
  try {
    f()
  } catch (e) {
    err = e
  }
  t.ok(err instanceof UsageError, `a UsageError (${String(message)})`)
  t.match((err as Error | undefined)?.message ?? '', message)
}
