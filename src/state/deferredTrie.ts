/**
 * The account trie of the live state: `put`/`del` only record the update, and
 * `applyPending()` writes them all at once through MptBatch (each changed node encoded, hashed
 * and stored once per block instead of once per account). Reads see the recorded updates.
 * MerkleStateManager writes to the trie only when it flushes its caches at the end of a block,
 * outside any checkpoint; a checkpoint taken with updates pending would make a later revert
 * unsound, so it is refused loudly rather than silently mishandled.
 */
import { MerklePatriciaTrie, type MPTOpts } from '@ethereumjs/mpt'
import { MerkleStateManager, type MerkleStateManagerOpts } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import { MptBatch, type NodeStore } from './mptBatch.js'

export class DeferredTrie extends MerklePatriciaTrie {
  private readonly pending = new Map<string, [Uint8Array, Uint8Array | null]>()
  private readonly updater: MptBatch

  constructor(opts: MPTOpts, store: NodeStore, keccak: (data: Uint8Array) => Uint8Array) {
    super(opts)
    this.updater = new MptBatch(store, keccak, this.EMPTY_TRIE_ROOT)
  }

  override async put(key: Uint8Array, value: Uint8Array | null, skipKeyTransform = false): Promise<void> {
    if (this.hasCheckpoints()) return super.put(key, value, skipKeyTransform)
    const k = skipKeyTransform ? key : this.appliedKey(key)
    this.pending.set(bytesToHex(k), [k, value === null || value.length === 0 ? null : value])
  }

  override async del(key: Uint8Array, skipKeyTransform = false): Promise<void> {
    if (this.hasCheckpoints()) return super.del(key, skipKeyTransform)
    const k = skipKeyTransform ? key : this.appliedKey(key)
    this.pending.set(bytesToHex(k), [k, null])
  }

  override async get(key: Uint8Array, throwIfMissing = false): Promise<Uint8Array | null> {
    if (this.pending.size > 0) {
      const hit = this.pending.get(bytesToHex(this.appliedKey(key)))
      if (hit !== undefined) return hit[1]
    }
    return super.get(key, throwIfMissing)
  }

  override checkpoint(): void {
    if (this.pending.size > 0) throw new Error('DeferredTrie: checkpoint with unapplied updates')
    super.checkpoint()
  }

  get pendingUpdates(): number {
    return this.pending.size
  }

  async applyPending(): Promise<void> {
    if (this.pending.size === 0) return
    const root = await this.updater.apply(this.root(), this.pending.values())
    this.pending.clear()
    this.root(root)
  }

  discardPending(): void {
    this.pending.clear()
  }
}

/** The live state manager: its account trie is a DeferredTrie, applied when the root is asked for. */
export class LiveStateManager extends MerkleStateManager {
  private readonly deferred: DeferredTrie

  constructor(opts: MerkleStateManagerOpts & { trie: DeferredTrie }) {
    super(opts)
    this.deferred = opts.trie
  }

  override async getStateRoot(): Promise<Uint8Array> {
    await this.flush()
    await this.deferred.applyPending()
    return super.getStateRoot()
  }

  override async setStateRoot(stateRoot: Uint8Array, clearCache = true): Promise<void> {
    // switching roots (a rollback) abandons whatever the caches flush into the trie
    await this.flush()
    this.deferred.discardPending()
    return super.setStateRoot(stateRoot, clearCache)
  }
}
