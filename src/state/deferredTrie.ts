/**
 * The tries of the live state (the account trie and, through `shallowCopy`, every storage trie):
 * `put`/`del` only record the update, and `applyPending()` writes them all at once through
 * MptBatch (each changed node encoded, hashed and stored once per block instead of once per key).
 * Reads see the recorded updates. MerkleStateManager writes to its tries only when it flushes its
 * caches at the end of a block, outside any checkpoint; a checkpoint taken with updates pending
 * would make a later revert unsound, so it is refused loudly rather than silently mishandled.
 */
import { MerklePatriciaTrie, type MPTNode, type MPTOpts } from '@ethereumjs/mpt'
import { MerkleStateManager, type MerkleStateManagerOpts } from '@ethereumjs/statemanager'
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { MptBatch, type NodeStore } from './mptBatch.js'

/**
 * Decoded trie nodes by hash (hex), shared by the live account trie and the storage tries copied
 * from it. ethereumjs decodes a node from its bytes at every lookup: each account read of a block
 * walks from the root, so the top branch nodes were decoded again for every account touched
 * (~5% of a block of transfers). Content-addressed, so a hit is the node those bytes decode to;
 * bounded (oldest first out) like the trie's own cache of node bytes. Nodes handed out from here are
 * only read: ethereumjs' `put`/`del` mutate the nodes of the path they look up, so lookups made while
 * a write runs (DeferredTrie writes through under a checkpoint) bypass it, as does `checkRoot`,
 * which must see the database.
 */
class DecodedNodes {
  private readonly map = new Map<string, MPTNode>()

  constructor(private readonly max: number) {}

  get(key: string): MPTNode | undefined {
    return this.map.get(key)
  }

  set(key: string, node: MPTNode): void {
    this.map.set(key, node)
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string)
  }
}

/** decoded nodes kept for the live tries (a branch node decoded is ~1–2 KB) */
const DECODED_NODES = 30_000

export class DeferredTrie extends MerklePatriciaTrie {
  private readonly pending = new Map<string, [Uint8Array, Uint8Array | null]>()
  private readonly updater: MptBatch
  private decoded = new DecodedNodes(DECODED_NODES)
  /** writes through ethereumjs (under a checkpoint) or a root check running: no decoded-node cache */
  private bypass = 0

  constructor(
    opts: MPTOpts,
    private readonly store: NodeStore,
    private readonly keccak: (data: Uint8Array) => Uint8Array,
  ) {
    super(opts)
    // MptBatch addresses nodes by their bare hash
    if (opts.keyPrefix !== undefined) throw new Error('DeferredTrie: key prefixes are not supported')
    this.updater = new MptBatch(store, keccak, this.EMPTY_TRIE_ROOT)
  }

  /** Storage tries are made by copying the account trie: they defer their updates too. */
  override shallowCopy(includeCheckpoints = true, opts?: MPTOpts): DeferredTrie {
    const copy = new DeferredTrie({ ...this._opts, db: this._db.db.shallowCopy(), root: this.root(), cacheSize: 0, ...(opts ?? {}) }, this.store, this.keccak)
    if (includeCheckpoints && this.hasCheckpoints()) copy._db.setCheckpoints(this._db.checkpoints)
    copy.decoded = this.decoded
    return copy
  }

  override async lookupNode(node: Uint8Array | Uint8Array[]): Promise<MPTNode> {
    // embedded (raw) nodes are decoded in place; by hash: the cache unless a write is running
    if (Array.isArray(node) || this.bypass > 0) return super.lookupNode(node)
    const key = bytesToHex(node)
    const hit = this.decoded.get(key)
    if (hit !== undefined) return hit
    const found = await super.lookupNode(node)
    if (this.bypass === 0) this.decoded.set(key, found)
    return found
  }

  override async checkRoot(root: Uint8Array): Promise<boolean> {
    this.bypass++
    try {
      return await super.checkRoot(root)
    } finally {
      this.bypass--
    }
  }

  /** ethereumjs' own write (it mutates the nodes of the path it looks up): fresh nodes only */
  private async writeThrough(fn: () => Promise<void>): Promise<void> {
    this.bypass++
    try {
      await fn()
    } finally {
      this.bypass--
    }
  }

  /** Setting a root (a cleared storage, a reset) abandons the updates recorded against the old one. */
  override root(value?: Uint8Array | null): Uint8Array {
    // (the base constructor sets the root before this class's fields exist)
    if (value !== undefined && this.pending !== undefined) this.pending.clear()
    return super.root(value)
  }

  override async put(key: Uint8Array, value: Uint8Array | null, skipKeyTransform = false): Promise<void> {
    if (this.hasCheckpoints()) return this.writeThrough(() => super.put(key, value, skipKeyTransform))
    const k = skipKeyTransform ? key : this.appliedKey(key)
    this.pending.set(bytesToHex(k), [k, value === null || value.length === 0 ? null : value])
  }

  override async del(key: Uint8Array, skipKeyTransform = false): Promise<void> {
    if (this.hasCheckpoints()) return this.writeThrough(() => super.del(key, skipKeyTransform))
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
    this.root(root) // (clears pending)
  }

  discardPending(): void {
    this.pending.clear()
  }
}

/**
 * The live state manager: its tries are DeferredTries, applied when the state root is asked for —
 * storage tries first, then their accounts' `storageRoot`s are set, then the account trie.
 */
export class LiveStateManager extends MerkleStateManager {
  private readonly deferred: DeferredTrie
  /**
   * The account each RLP in the account cache encodes, by that array. ethereumjs' account cache
   * keeps accounts RLP-encoded and decodes one at every `getAccount` (several per transaction:
   * runTx, the EVM, the journal's cleanup, the fee settlement): ~4% of a block. The cache's arrays
   * are never written to, and an entry's account is copied out (callers mutate what they get), so
   * a hit returns what decoding that RLP would.
   */
  private readonly decodedAccounts = new WeakMap<Uint8Array, Account>()

  constructor(opts: MerkleStateManagerOpts & { trie: DeferredTrie }) {
    super(opts)
    this.deferred = opts.trie
    const cache = this._caches?.account
    if (cache !== undefined) {
      const put = cache.put.bind(cache)
      cache.put = (address: Address, account: Account | undefined, couldBePartialAccount = false): void => {
        put(address, account, couldBePartialAccount)
        if (account === undefined || couldBePartialAccount) return
        const rlp = cache.get(address)?.accountRLP
        if (rlp !== undefined) this.decodedAccounts.set(rlp, copyAccount(account))
      }
    }
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    const elem = this._caches?.account?.get(address)
    if (elem !== undefined) {
      if (elem.accountRLP === undefined) return undefined
      const known = this.decodedAccounts.get(elem.accountRLP)
      if (known !== undefined) return copyAccount(known)
    }
    return super.getAccount(address)
  }

  /**
   * Storage tries with recorded updates, by account. ethereumjs files every storage trie it
   * modifies under the plain address (40 hex digits) besides the hashed one it looks up by.
   */
  private modifiedStorage(): [Address, DeferredTrie][] {
    const out: [Address, DeferredTrie][] = []
    for (const [key, trie] of Object.entries(this._storageTries)) {
      if (key.length === 40 && trie instanceof DeferredTrie && trie.pendingUpdates > 0) {
        out.push([new Address(hexToBytes(`0x${key}`)), trie])
      }
    }
    return out.sort(([a], [b]) => (a.toString() < b.toString() ? -1 : 1))
  }

  override async getStateRoot(): Promise<Uint8Array> {
    await this.flush()
    const storage = this.modifiedStorage()
    for (const [address, trie] of storage) {
      await trie.applyPending()
      const account = await this.getAccount(address)
      if (account === undefined) continue // destroyed in this block: its storage is gone with it
      account.storageRoot = trie.root()
      await this.putAccount(address, account)
    }
    if (storage.length > 0) await this.flush()
    await this.deferred.applyPending()
    return super.getStateRoot()
  }

  override async setStateRoot(stateRoot: Uint8Array, clearCache = true): Promise<void> {
    // switching roots (a rollback) abandons whatever the caches flush into the tries
    await this.flush()
    for (const [, trie] of this.modifiedStorage()) trie.discardPending()
    this.deferred.discardPending()
    return super.setStateRoot(stateRoot, clearCache)
  }
}

/** The fields an account's RLP holds (what `createAccountFromRLP` would give), in a new object. */
function copyAccount(a: Account): Account {
  return new Account(a.nonce, a.balance, a.storageRoot, a.codeHash)
}
