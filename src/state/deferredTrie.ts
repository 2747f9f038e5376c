/**
 * The tries of the live state (the account trie and, through `shallowCopy`, every storage trie):
 * `put`/`del` only record the update, and `applyPending()` writes them all at once through
 * MptBatch (each changed node encoded, hashed and stored once per block instead of once per key).
 * Reads see the recorded updates. MerkleStateManager writes to its tries only when it flushes its
 * caches at the end of a block, outside any checkpoint; a checkpoint taken with updates pending
 * would make a later revert unsound, so it is refused loudly rather than silently mishandled.
 */
import { BranchMPTNode, ExtensionMPTNode, LeafMPTNode, MerklePatriciaTrie, type MPTNode, type MPTOpts } from '@ethereumjs/mpt'
import { MerkleStateManager, type MerkleStateManagerOpts } from '@ethereumjs/statemanager'
import { Account, Address, bytesToHex, bytesToUnprefixedHex, createAccountFromRLP, equalsBytes as equalBytes, hexToBytes } from '@ethereumjs/util'
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
    const k = this.appliedKey(key)
    if (this.pending.size > 0) {
      const hit = this.pending.get(bytesToHex(k))
      if (hit !== undefined) return hit[1]
    }
    if (this.bypass > 0) return super.get(key, throwIfMissing)
    try {
      return await this.walk(k)
    } catch (e) {
      // as ethereumjs' findPath: a missing node reads as no value unless asked to throw
      if ((e as Error).message !== 'Missing node in DB' || throwIfMissing) throw e
      return null
    }
  }

  /**
   * The value at a (hashed) key, walking from the root one node after another: what ethereumjs'
   * `get` finds (its `findPath`, rule for rule), without its walk controller (a task queue, a
   * promise and closures per node: ~4% of a block of transfers, which reads ~4,000 accounts).
   */
  private async walk(k: Uint8Array): Promise<Uint8Array | null> {
    const root = this.root()
    if (equalBytes(root, this.EMPTY_TRIE_ROOT)) return null
    const keyLen = k.length * 2
    const nibble = (i: number): number | undefined => (i < keyLen ? ((i & 1) === 0 ? k[i >> 1]! >> 4 : k[i >> 1]! & 15) : undefined)
    let node = await this.lookupNode(root)
    let at = 0
    for (;;) {
      if (node instanceof BranchMPTNode) {
        if (at === keyLen) return node.value()
        const child = node.getBranch(nibble(at)!)
        if (child === null || child === undefined) return null
        at++
        node = await this.lookupNode(child)
      } else if (node instanceof LeafMPTNode) {
        const nibbles = node.key()
        if (keyLen - at > nibbles.length) return null
        for (const n of nibbles) if (n !== nibble(at++)) return null
        return node.value()
      } else if (node instanceof ExtensionMPTNode) {
        for (const n of node.key()) if (n !== nibble(at++)) return null
        node = await this.lookupNode(node.value())
      } else {
        return null
      }
    }
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
 * An account cache entry of the live state: the account itself (a private copy, never handed out)
 * and its RLP, encoded only when asked for. ethereumjs' cache encodes an account at every `put`
 * (several per transaction: the sender's nonce and balance, the recipient, the producer's fee, our
 * fee settlement) and decodes it at every `getAccount`; only the last `put` of a block is ever
 * written to the trie (at the flush), so most encodings were thrown away (~10% of a block of
 * transfers). Everything ethereumjs reads from an entry is `accountRLP`: the getter gives the bytes
 * its own `put` would have stored.
 */
class AccountEntry {
  private rlp: Uint8Array | undefined

  constructor(readonly account: Account) {}

  get accountRLP(): Uint8Array {
    return (this.rlp ??= this.account.serialize())
  }
}

/**
 * The map ethereumjs' caches keep their entries in, as a hash map: its default (ORDERED_MAP) is a
 * red-black tree keyed by 40-hex-digit strings, ~17 string comparisons per lookup at 100,000
 * accounts (~3% of a block). The caches only look up, set, erase, count and clear by key (never in
 * key order), which a Map does in O(1).
 */
class HashMapCache<V> {
  private readonly map = new Map<string, V>()

  getElementByKey(key: string): V | undefined {
    return this.map.get(key)
  }

  setElement(key: string, value: V): number {
    this.map.set(key, value)
    return this.map.size
  }

  eraseElementByKey(key: string): boolean {
    return this.map.delete(key)
  }

  size(): number {
    return this.map.size
  }

  clear(): void {
    this.map.clear()
  }
}

/** The parts of ethereumjs' AccountCache (statemanager 10.x) the live state replaces or calls. */
interface AccountCacheInternals {
  _orderedMapCache?: unknown
  _lruCache?: unknown
  _saveCachePreState(addressHex: string): void
  _stats: { writes: number }
  put(address: Address, account: Account | undefined, couldBePartialAccount?: boolean): void
  get(address: Address): { accountRLP: Uint8Array | undefined } | undefined
}

/**
 * The live state manager: its tries are DeferredTries, applied when the state root is asked for —
 * storage tries first, then their accounts' `storageRoot`s are set, then the account trie. Its
 * caches are hash maps, and its account cache keeps accounts decoded (`AccountEntry`).
 */
export class LiveStateManager extends MerkleStateManager {
  private readonly deferred: DeferredTrie

  constructor(opts: MerkleStateManagerOpts & { trie: DeferredTrie }) {
    super(opts)
    this.deferred = opts.trie
    const caches = this._caches as unknown as Record<'account' | 'storage' | 'code', { _orderedMapCache?: unknown } | undefined> | undefined
    for (const kind of ['account', 'storage', 'code'] as const) {
      const cache = caches?.[kind]
      if (cache === undefined) continue
      if (cache._orderedMapCache === undefined) throw new Error(`LiveStateManager: the ${kind} cache must be ethereumjs' ORDERED_MAP kind`)
      cache._orderedMapCache = new HashMapCache()
    }
    const cache = this._caches?.account as unknown as AccountCacheInternals | undefined
    if (cache !== undefined) {
      if (typeof cache._saveCachePreState !== 'function' || typeof cache._stats !== 'object') {
        throw new Error('LiveStateManager: ethereumjs AccountCache internals changed (_saveCachePreState, _stats)')
      }
      const map = cache._orderedMapCache as HashMapCache<unknown>
      const put = cache.put.bind(cache)
      // ethereumjs' AccountCache.put, with the entry an AccountEntry (what it stores, minus the encoding)
      cache.put = (address: Address, account: Account | undefined, couldBePartialAccount = false): void => {
        if (account === undefined || couldBePartialAccount) return put(address, account, couldBePartialAccount)
        const addressHex = bytesToUnprefixedHex(address.bytes)
        cache._saveCachePreState(addressHex)
        map.setElement(addressHex, new AccountEntry(copyAccount(account)))
        cache._stats.writes += 1
      }
    }
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    const cache = this._caches?.account
    const elem = cache?.get(address)
    if (elem instanceof AccountEntry) return copyAccount(elem.account)
    if (elem !== undefined || cache === undefined) return super.getAccount(address)
    // not cached: ethereumjs' own miss path (trie read, decode, cache put) without its second cache lookup
    const rlp = await this._trie.get(address.bytes)
    const account = rlp === null ? undefined : createAccountFromRLP(rlp)
    cache.put(address, account)
    return account
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
