/**
 * The state trie's node database: a `DB` for @ethereumjs/mpt backed by classic-level under
 * the `s` prefix. Writes are held in memory until the block that made them is committed —
 * `drain()` hands them to the block's single atomic batch — so a crash never leaves half a
 * state on disk. `overlay()` gives read-only users (eth_call, estimateGas, proofs) a store whose
 * writes stay private and are thrown away.
 */
import type { BatchDBOp, DB } from '@ethereumjs/util'
import { hexToBytes } from '@ethereumjs/util'
import { KeySpace } from '../chain/db/keys.js'
import { hexNoPrefix } from '../util/bytes.js'
import type { BatchOp, Db } from '../chain/db/level.js'

const PREFIX = KeySpace.trie // 's'
/** trie nodes kept in memory per generation (two generations: up to twice this many) */
const CACHE_GENERATION = 100_000

type Value = string | Uint8Array

/**
 * The database key of a node key (hex, as the trie gives it): the key space byte, then its bytes.
 * Buffer's native hex decoding, no 0x string and no second copy (every node read and write pays it).
 */
function dbKey(k: string): Uint8Array {
  const b = Buffer.allocUnsafe(1 + (k.length >> 1))
  b[0] = PREFIX
  b.write(k, 1, 'hex')
  return b
}

/** dbKey of a node key given as its hash bytes (no hex made) */
function dbKeyOfHash(hash: Uint8Array): Uint8Array {
  const b = Buffer.allocUnsafe(1 + hash.length)
  b[0] = PREFIX
  b.set(hash, 1)
  return b
}

function toBytes(v: Value): Uint8Array {
  return typeof v === 'string' ? hexToBytes(`0x${v}`) : v
}

export class TrieNodeStore implements DB<string, Value> {
  /** node key (hex, as the trie gives it) → bytes, or null for a deletion */
  private readonly pending = new Map<string, Uint8Array | null>()
  /**
   * Committed nodes recently written or read. The next block touches mostly the same paths, and
   * ethereumjs gives storage tries no cache of their own, so without this every block re-reads
   * its upper trie levels from LevelDB. Two generations: a hit in the old one is promoted, and
   * when the young one fills up the old one is dropped whole (cheap LRU).
   */
  private young = new Map<string, Uint8Array>()
  private old = new Map<string, Uint8Array>()
  /** the writes handed out by the last drain(), until committed() or discard() */
  private drained: Map<string, Uint8Array | null> | undefined
  /** keys of the nodes committed since `trackWrites()` (the pruner's insertion check), else undefined */
  private written: Set<string> | undefined

  constructor(
    private readonly db: Db,
    private readonly parent?: TrieNodeStore,
  ) {}

  async get(k: string): Promise<Uint8Array | undefined> {
    const local = this.pending.get(k)
    if (local !== undefined) return local ?? undefined
    if (this.parent !== undefined) return this.parent.get(k)
    const cached = this.young.get(k) ?? this.old.get(k)
    if (cached !== undefined) {
      this.remember(k, cached)
      return cached
    }
    const value = await this.db.get(dbKey(k))
    if (value !== undefined) this.remember(k, value)
    return value
  }

  /**
   * Many nodes at once (snapshot sync's range reads: a round of the frontier): pending writes and
   * the cache first, the rest in one LevelDB `getMany` (one trip through its thread pool instead of
   * one per node). What is read from disk is not remembered: a range read walks a whole trie once
   * and would push the blocks' working set out of the cache.
   */
  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (this.parent !== undefined && this.pending.size === 0) return this.parent.getMany(keys)
    const out: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(keys.length)
    const fromDisk: number[] = []
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      const local = this.pending.get(k)
      if (local !== undefined) out[i] = local ?? undefined
      else if (this.parent !== undefined) fromDisk.push(i)
      else {
        const cached = this.young.get(k) ?? this.old.get(k)
        if (cached !== undefined) out[i] = cached
        else fromDisk.push(i)
      }
    }
    if (fromDisk.length === 0) return out
    const read =
      this.parent !== undefined ? await this.parent.getMany(fromDisk.map((i) => keys[i]!)) : await this.db.getMany(fromDisk.map((i) => dbKey(keys[i]!)))
    fromDisk.forEach((i, j) => (out[i] = read[j] ?? undefined))
    return out
  }

  /**
   * getMany for nodes named by their hash bytes (a range read's rounds): with no pending writes
   * and no parent (a serving node between blocks), one LevelDB `getMany` on the hashes as they
   * are, no hex made and none parsed back (that round trip was a tenth of a range read); else
   * `getMany`. The node cache is not consulted: it holds what the disk holds, and a range read
   * hits it only at the top of a trie.
   */
  async getManyByHash(hashes: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (this.parent !== undefined || this.pending.size > 0) return this.getMany(hashes.map((h) => hexNoPrefix(h)))
    return this.db.getMany(hashes.map(dbKeyOfHash))
  }

  private remember(k: string, v: Uint8Array): void {
    this.young.set(k, v)
    if (this.young.size >= CACHE_GENERATION) {
      this.old = this.young
      this.young = new Map()
    }
  }

  async put(k: string, v: Value): Promise<void> {
    this.pending.set(k, toBytes(v))
  }

  async del(k: string): Promise<void> {
    this.pending.set(k, null)
  }

  async batch(ops: BatchDBOp<string, Value>[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.pending.set(op.key, toBytes(op.value))
      else this.pending.set(op.key, null)
    }
  }

  /** Storage tries share the account trie's store: the same pending writes, the same batch. */
  shallowCopy(): TrieNodeStore {
    return this
  }

  async open(): Promise<void> {}

  /** A child store that reads through this one and keeps its own writes to itself. */
  overlay(): TrieNodeStore {
    return new TrieNodeStore(this.db, this)
  }

  get pendingCount(): number {
    return this.pending.size
  }

  /**
   * The pending writes as batch operations, and forget them (the caller commits them, then calls
   * `committed()` so the node cache learns them only once they are really on disk).
   */
  drain(): BatchOp[] {
    const ops: BatchOp[] = []
    this.drained = this.pending.size === 0 ? undefined : new Map(this.pending)
    for (const [k, v] of this.pending) {
      const at = dbKey(k)
      ops.push(v === null ? { type: 'del', key: at } : { type: 'put', key: at, value: v })
    }
    this.pending.clear()
    return ops
  }

  /** The batch of the last drain() is on disk: keep its nodes in the cache. */
  committed(): void {
    for (const [k, v] of this.drained ?? []) {
      if (v === null) {
        this.young.delete(k)
        this.old.delete(k)
      } else {
        this.remember(k, v)
        this.written?.add(k)
      }
    }
    this.drained = undefined
  }

  /**
   * From now on remember the key of every node committed, until `takeWrites()`. The pruner marks
   * what the retained roots reach while blocks go on committing; a node it found unreachable but
   * that a later block wrote again (identical subtrees share hashes) must not be deleted.
   */
  trackWrites(): void {
    this.written = new Set()
  }

  /** The keys committed since `trackWrites()`, and stop tracking. */
  takeWrites(): Set<string> {
    const written = this.written ?? new Set<string>()
    this.written = undefined
    return written
  }

  /** Nodes deleted from disk by the pruner leave the cache too. */
  forget(keys: Iterable<string>): void {
    for (const k of keys) {
      this.young.delete(k)
      this.old.delete(k)
    }
  }

  /** Drops pending writes of a block that was abandoned. */
  discard(): void {
    this.pending.clear()
    this.drained = undefined
  }
}

/**
 * Snapshot sync's store for the tries it rebuilds (`RangeTrieBuilder`): nodes are written to the
 * database at each `flush()` and not cached for long. A rebuild writes every node of the state
 * once and reads back only the right edge of what it built (the next range is added there), so
 * the nodes of the last two flushes are kept in memory and anything older is read from disk;
 * TrieNodeStore's cache would hold hundreds of thousands of nodes the rebuild never reads again
 * (the garbage collector walks them all the same).
 */
export class TrieBuildStore {
  private pending = new Map<string, Uint8Array>()
  /**
   * putWritten's nodes since the last flush, straight into LevelDB's batch (a chained batch: each
   * put goes to the native batch at once; an array of operations costs a third more to hand over)
   */
  private batch: ReturnType<Db['batch']> | undefined
  private recent = new Map<string, Uint8Array>()
  private older = new Map<string, Uint8Array>()

  constructor(private readonly db: Db) {}

  async get(k: string): Promise<Uint8Array | undefined> {
    return this.pending.get(k) ?? this.recent.get(k) ?? this.older.get(k) ?? (await this.db.get(dbKey(k)))
  }

  async put(k: string, v: Uint8Array): Promise<void> {
    this.pending.set(k, v)
  }

  /**
   * A node the rebuild never reads back before this store's next flush (a closed subtree's):
   * written with the next batch under its hash, no hex key made and no map entry. Once flushed it
   * is read from disk like any other.
   */
  putWritten(hash: Uint8Array, v: Uint8Array): void {
    ;(this.batch ??= this.db.batch()).put(dbKeyOfHash(hash), v)
  }

  /** nodes put since the last flush */
  get pendingCount(): number {
    return this.pending.size + (this.batch?.length ?? 0)
  }

  /** the batch of the last flush while LevelDB writes it */
  private writing: Promise<void> = Promise.resolve()

  /**
   * Starts writing the nodes put since the last flush in one batch, after the previous flush's batch
   * is written (waited for here): the rebuild goes on while LevelDB writes, and the nodes of a batch
   * in flight are still read from memory (`recent`). `settle()` waits for the last one.
   */
  async flush(): Promise<void> {
    if (this.pending.size === 0 && this.batch === undefined) return
    await this.writing
    const batch = this.batch ?? this.db.batch()
    this.batch = undefined
    for (const [k, v] of this.pending) batch.put(dbKey(k), v)
    this.older = this.recent
    this.recent = this.pending
    this.pending = new Map()
    const written = batch.write()
    // a failed write fails the next flush or settle (the rebuild stops there)
    this.writing = written
    written.catch(() => {})
  }

  /** resolves once every flushed node is on disk (throws what a write threw) */
  async settle(): Promise<void> {
    await this.writing
  }
}
