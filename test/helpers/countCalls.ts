/**
 * Counts the calls of one method of an object — a class's prototype, to count what every instance
 * does — by wrapping it until `stop()` or the end of the test. The wrapper calls the original.
 */
import type { Test } from 'tap'

export interface CallCount {
  /** calls since the wrapping (or since `count` was last set) */
  count: number
  /** puts the original method back (also done when the test ends) */
  stop(): void
}

export function countCalls<T extends object>(t: Test, target: T, method: keyof T & string): CallCount {
  const holder = target as Record<string, unknown>
  const original = holder[method] as (...args: unknown[]) => unknown
  const counter: CallCount = {
    count: 0,
    stop: () => void (holder[method] = original),
  }
  holder[method] = function (this: unknown, ...args: unknown[]) {
    counter.count++
    return original.apply(this, args)
  }
  t.teardown(counter.stop)
  return counter
}
