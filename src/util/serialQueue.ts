/**
 * One call at a time, in call order: each `run` starts when every earlier one has settled
 * (resolved or rejected). A failure is returned to its own caller and never blocks the queue.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn)
    this.tail = next.catch(() => undefined)
    return next
  }

  /** resolves when every call queued so far has settled (never rejects) */
  idle(): Promise<void> {
    return this.tail.then(() => undefined)
  }
}
