/**
 * State pruning (DESIGN §10): a pruning node keeps the state of the last `STATE_BLOCKS_KEPT`
 * canonical blocks, of every block from the last final one up (a branch above it can still be
 * adopted) — but when that would pass `STATE_BLOCKS_KEPT_MAX` blocks (finality stalled), of the
 * last `STATE_BLOCKS_KEPT` and the final block only — and of the side blocks stored above the final
 * one (recorded in the database, so across restarts too); the trie nodes none of those roots
 * reaches are deleted by a periodic mark and sweep (docs/decisions.md):
 *
 *   1. under the chain's lock: read the retained roots, start recording every node committed;
 *   2. without the lock: mark every node the roots reach (account and storage tries), then list
 *      the stored node keys that are not marked;
 *   3. under the lock: drop from that list every key committed since step 1 (a block may write a
 *      node again — identical subtrees share hashes), delete the rest in one batch.
 *
 * A node is deleted only when no root retained at step 1 reaches it and no block since wrote it;
 * every root retained at step 3 was retained at step 1 or was built since from such a root plus
 * written nodes, so it stays complete — and a kill at any instant leaves either the whole batch
 * or none of it. Cost of one pass: a read of every node the retained roots reach (≈ the live
 * state plus 128 blocks of changes) and a scan of the keys of key space `s`; it runs every
 * `PRUNE_INTERVAL_BLOCKS` blocks, holding the lock only for steps 1 and 3.
 */
import { bytesToBigInt, bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@ethereumjs/util'
import type { BlockStore } from '../chain/blockStore.js'
import { KeySpace, key, u64 } from '../chain/db/keys.js'
import type { BatchOp, Db } from '../chain/db/level.js'
import type { BlockHeader } from '../chain/header.js'
import { prunedStateError } from '../state/errors.js'
import { bytesEqual } from '../util/bytes.js'
import { markState } from '../state/trieWalk.js'
import type { TrieNodeStore } from '../state/trieNodeStore.js'
import type { Logger } from '../util/logger.js'
import { SerialQueue } from '../util/serialQueue.js'

/** canonical blocks whose state a pruning node keeps, counting the head */
export const STATE_BLOCKS_KEPT = 128n
/**
 * canonical blocks whose state a pruning node keeps at most while finality lags: past it (no final
 * block for this long) only the newest STATE_BLOCKS_KEPT and the last final block keep their state,
 * so disk stays bounded when finality stalls (docs/decisions.md)
 */
export const STATE_BLOCKS_KEPT_MAX = 1_024n
/** blocks between two mark-and-sweep passes */
export const PRUNE_INTERVAL_BLOCKS = 128n
/** a trie node's key: its keccak256 (longer keys in key space `s` are contract code, never pruned) */
const NODE_KEY_BYTES = 32
/** key of the record of a side block's state root: `M ‖ SIDE_STATE_META ‖ block hash` → u64 number ‖ state root */
const SIDE_STATE_META = utf8ToBytes('prunerSide:')
const U64_BYTES = 8
/** deletions per batch written */
const DELETE_BATCH_KEYS = 10_000

/** What the pruner reads of the chain and how it takes the chain's lock. */
export interface PrunerHost {
  head(): BlockHeader
  finalized(): BlockHeader
  /** runs `fn` under the chain's lock (no block commits meanwhile) */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
  /** the lowest block that has state at all (a snapshot-synced chain's pivot; absent: genesis) */
  stateFloor?(): bigint
}

/** One pass's figures. */
export interface PruneResult {
  /** state roots kept */
  roots: number
  /** trie nodes they reach */
  reachable: number
  /** trie nodes deleted */
  deleted: number
}

/** Finality lags so far behind the head that keeping every block from the final one up would pass `maxKept` blocks. */
export function finalityStalled(head: bigint, finalized: bigint, maxKept = STATE_BLOCKS_KEPT_MAX): boolean {
  return head - finalized + 1n > maxKept
}

/**
 * The lowest block of the contiguous range whose state a pruning node keeps, given its head and
 * last final block: the last `blocksKept` blocks, down to the final block unless finality stalled
 * (`finalityStalled`): then the last `blocksKept` only, and the final block's state apart.
 */
export function oldestStateKept(head: bigint, finalized: bigint, blocksKept = STATE_BLOCKS_KEPT, maxKept = STATE_BLOCKS_KEPT_MAX): bigint {
  const window = head - blocksKept + 1n
  const low = window < finalized || finalityStalled(head, finalized, maxKept) ? window : finalized
  return low < 0n ? 0n : low
}

const sideKey = (hash: Uint8Array): Uint8Array => key(KeySpace.meta, SIDE_STATE_META, hash)

export class StatePruner {
  /** side blocks stored above the final one (recorded on disk, loaded by `load`): state root (hex) by block hash, with the block number */
  private readonly sideRoots = new Map<string, { number: bigint; root: string }>()
  /** one pass at a time (a pass owns the node store's write tracking) */
  private readonly passes = new SerialQueue()
  /** the background pass afterBlock started, until it ends */
  private running: Promise<void> | undefined
  private closing = false
  /** the finality-stalled warning was logged (once per stall) */
  private warnedStall = false

  constructor(
    private readonly db: Db,
    private readonly nodes: TrieNodeStore,
    private readonly store: BlockStore,
    private readonly host: PrunerHost,
    private readonly logger: Logger,
    /** canonical blocks whose state is kept, and blocks between passes (tests shrink both) */
    private readonly blocksKept = STATE_BLOCKS_KEPT,
    /** blocks kept at most while finality lags (tests shrink it) */
    private readonly maxKept = STATE_BLOCKS_KEPT_MAX,
  ) {}

  /** The lowest block of the contiguous range whose state is kept now (the final block's is kept too). */
  oldestKept(): bigint {
    const low = oldestStateKept(this.host.head().number, this.host.finalized().number, this.blocksKept, this.maxKept)
    const floor = this.host.stateFloor?.() ?? 0n
    return low > floor ? low : floor
  }

  /** Throws STATE_PRUNED when the state at `header` is older than what is kept (the last final block's always is). */
  checkAvailable(header: BlockHeader): void {
    const oldest = this.oldestKept()
    if (header.number < oldest && !bytesEqual(header.stateRoot, this.host.finalized().stateRoot)) throw prunedStateError(header.number, oldest)
  }

  /** Reads the side blocks recorded by earlier runs (`keepSide`), so a restart does not collect their state. */
  async load(): Promise<void> {
    const prefix = key(KeySpace.meta, SIDE_STATE_META)
    for await (const [k, v] of this.db.iterator({ gt: prefix, lt: concatBytes(prefix, Uint8Array.of(0xff)) })) {
      const number = bytesToBigInt(v.subarray(0, U64_BYTES))
      this.sideRoots.set(bytesToHex(k.subarray(prefix.length)), { number, root: bytesToHex(v.subarray(U64_BYTES)).slice(2) })
    }
  }

  /** A side block was stored with its state: keep it (recorded on disk) while it is above the final block. */
  async keepSide(hash: Uint8Array, header: BlockHeader): Promise<void> {
    this.sideRoots.set(bytesToHex(hash), { number: header.number, root: bytesToHex(header.stateRoot).slice(2) })
    await this.db.put(sideKey(hash), concatBytes(u64(header.number), header.stateRoot))
  }

  /** After each canonical block: every PRUNE_INTERVAL_BLOCKS blocks, a pass in the background. */
  afterBlock(number: bigint): void {
    if (number % (this.blocksKept < PRUNE_INTERVAL_BLOCKS ? this.blocksKept : PRUNE_INTERVAL_BLOCKS) !== 0n || this.running !== undefined || this.closing)
      return
    this.running = this.collect()
      .then((r) => this.logger.info('pruned state', { ...r }))
      .catch((e: unknown) => this.logger.error('state pruning failed (nothing was deleted)', { error: e instanceof Error ? e.message : String(e) }))
      .finally(() => (this.running = undefined))
  }

  /** One mark-and-sweep pass (the module comment), after any running one; resolves with its figures. */
  collect(): Promise<PruneResult> {
    return this.passes.run(() => this.pass())
  }

  private async pass(): Promise<PruneResult> {
    const roots = await this.host.exclusive(async () => {
      this.nodes.trackWrites()
      return this.retainedRoots()
    })
    try {
      const marked = new Set<string>()
      const read = (k: string) => this.db.get(key(KeySpace.trie, hexToBytes(`0x${k}`)))
      for (const root of roots) {
        if (this.closing) return { roots: roots.size, reachable: marked.size, deleted: 0 }
        await markState(read, root, marked)
      }
      const garbage = await this.unmarked(marked)
      const deleted = await this.host.exclusive(async () => {
        const written = this.nodes.takeWrites()
        const doomed = garbage.filter((k) => !written.has(k))
        await this.deleteNodes(doomed)
        return doomed.length
      })
      return { roots: roots.size, reachable: marked.size, deleted }
    } finally {
      this.nodes.takeWrites()
    }
  }

  /** Waits for the passes running or queued (they stop early) so the database can close. */
  async close(): Promise<void> {
    this.closing = true
    await this.running
    await this.passes.run(async () => undefined)
  }

  /**
   * The state roots (hex) of the canonical blocks from oldestStateKept to the head, of the last
   * final block, and of the side blocks above the final one.
   */
  private async retainedRoots(): Promise<Set<string>> {
    const head = this.host.head()
    const final = this.host.finalized()
    const finalNumber = final.number
    this.noteStall(head.number, finalNumber)
    const roots = new Set<string>([bytesToHex(head.stateRoot).slice(2), bytesToHex(final.stateRoot).slice(2)])
    for (let n = this.oldestKept(); n < head.number; n++) {
      const hash = await this.store.getHashByNumber(n)
      const header = hash === undefined ? undefined : await this.store.getHeader(hash)
      if (header !== undefined) roots.add(bytesToHex(header.stateRoot).slice(2))
    }
    const settled: BatchOp[] = []
    for (const [hash, side] of this.sideRoots) {
      if (side.number > finalNumber) roots.add(side.root)
      else {
        this.sideRoots.delete(hash)
        settled.push({ type: 'del', key: sideKey(hexToBytes(hash as `0x${string}`)) })
      }
    }
    if (settled.length > 0) await this.db.batch(settled)
    return roots
  }

  /** Logs once per stall that finality lags past `maxKept` blocks and the blocks between lose their state. */
  private noteStall(head: bigint, finalized: bigint): void {
    if (!finalityStalled(head, finalized, this.maxKept)) {
      this.warnedStall = false
      return
    }
    if (this.warnedStall) return
    this.warnedStall = true
    this.logger.warn(
      `finality stalled: no final block for ${head - finalized} blocks; keeping the state of the newest ${this.blocksKept} blocks and of the final block ${finalized} only ` +
        `(a branch forking between them can no longer be executed; run with --archive to keep all)`,
      { head, finalized, maxKept: this.maxKept },
    )
  }

  /** The stored trie node keys (hex) not in `marked`. */
  private async unmarked(marked: Set<string>): Promise<string[]> {
    const out: string[] = []
    const range = { gt: Uint8Array.of(KeySpace.trie), lt: Uint8Array.of(KeySpace.trie + 1) }
    for await (const k of this.db.keys(range)) {
      if (k.length !== 1 + NODE_KEY_BYTES) continue
      const hex = bytesToHex(k.subarray(1)).slice(2)
      if (!marked.has(hex)) out.push(hex)
    }
    return out
  }

  private async deleteNodes(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH_KEYS) {
      const part = keys.slice(i, i + DELETE_BATCH_KEYS)
      const ops: BatchOp[] = part.map((k) => ({ type: 'del', key: key(KeySpace.trie, hexToBytes(`0x${k}`)) }))
      await this.db.batch(ops)
      this.nodes.forget(part)
    }
  }
}
