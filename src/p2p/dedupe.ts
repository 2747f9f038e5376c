import { hexNoPrefix } from '../util/bytes.js'

/**
 * A set of string keys that forgets its oldest entries beyond a capacity: the "seen" list of
 * gossip ids and each peer's "known" list. Re-adding a key makes it the newest again, so an
 * item that keeps circulating is not forgotten and re-relayed.
 */
export class BoundedSet {
  private readonly items = new Set<string>()
  /**
   * A live iterator that only ever passes evicted entries: its next value is the oldest key. A
   * fresh `values().next()` would walk the deleted slots a Set keeps at its front until it rehashes
   * (refreshes and evictions leave them), which made each add O(capacity) at 32,768 keys.
   */
  private oldest: IterableIterator<string> = this.items.values()

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('BoundedSet capacity must be positive')
  }

  get size(): number {
    return this.items.size
  }

  has(key: string): boolean {
    return this.items.has(key)
  }

  /** true if the key was not there */
  add(key: string): boolean {
    const fresh = !this.items.delete(key)
    this.items.add(key)
    if (this.items.size > this.capacity) {
      let next = this.oldest.next()
      if (next.done === true) {
        // an iterator that ran to the end stays done: start again from the front
        this.oldest = this.items.values()
        next = this.oldest.next()
      }
      this.items.delete(next.value as string)
    }
    return fresh
  }

  delete(key: string): boolean {
    return this.items.delete(key)
  }

  keys(): IterableIterator<string> {
    return this.items.values()
  }
}

const hex = hexNoPrefix

/** gossip ids: one namespace per item kind so a tx hash never collides with a block hash */
export const blockKey = (hash: Uint8Array): string => `b${hex(hash)}`
export const txKey = (hash: Uint8Array): string => `t${hex(hash)}`
export const confirmationKey = (hash: Uint8Array): string => `c${hex(hash)}`
export const flowReceiptKey = (hash: Uint8Array): string => `f${hex(hash)}`
export const flowSignatureKey = (hash: Uint8Array): string => `g${hex(hash)}`
