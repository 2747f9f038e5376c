/**
 * The state a pooled call VM runs on (eth_call, eth_estimateGas): the state at one root, read
 * through the trie and the reads shared by the pool, under an in-memory overlay that holds the
 * run's writes with an undo log for checkpoints. Nothing it holds ever reaches the trie or the
 * database: a call's writes are thrown away, so there is nothing to flush.
 *
 * It answers as ethereumjs' MerkleStateManager does (the reused-vs-fresh test runs every case on
 * both), without its write machinery: the MerkleStateManager keeps written accounts as RLP (an
 * encode per put: sender, recipient and coinbase are put several times per run), keeps storage
 * in ordered maps with a copy per checkpoint level, and checkpoints its trie as well — ~15% of a
 * warm ERC-20 `balanceOf` call and a good part of its garbage (docs/decisions.md). Here a put
 * stores four fields and a checkpoint is one number.
 *
 * Reads that are true whatever a run does are kept beside the view and shared by the pool's VMs:
 * accounts per state root (decoded once), storage slots per storage-trie root, code per code hash
 * (all keyed by content, so a run's own writes — looked up first in the overlay — are never
 * answered from them).
 */
import type { Common } from '@ethereumjs/common'
import type { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { OriginalStorageCache } from '@ethereumjs/statemanager'
import { Account, KECCAK256_RLP, bytesToUnprefixedHex, concatBytes, createAccountFromRLP, equalsBytes, unpadBytes, type Address } from '@ethereumjs/util'
import { core } from '../core/index.js'
import { NfcError } from '../util/errors.js'
import { immutableCode } from './callInterpreter.js'
import { ExecErrorCode } from './errors.js'

type AccountFields = [nonce: bigint, balance: bigint, storageRoot: Uint8Array, codeHash: Uint8Array]

/** A state root and the accounts read at it (decoded; null: no account), shared by the pool. */
export interface RootReads {
  root: Uint8Array
  accounts: Map<string, AccountFields | null>
}

/** entries per shared map before it is emptied (a cheap bound: the maps refill from the trie) */
const MAX_SHARED_ENTRIES = 200_000
const MAX_SHARED_CODE_BYTES = 64 * 1024 * 1024
/** storage tries a view keeps between runs before it starts over */
const MAX_KEPT_TRIES = 4_096

/** Reads shared by every view of a pool: storage by storage-trie root, code by code hash. */
export class SharedReads {
  /** storage-trie root ‖ slot (hex) → the slot's value (unpadded; empty when unset) */
  readonly storage = new Map<string, Uint8Array>()
  /** code hash (hex) → code */
  readonly code = new Map<string, Uint8Array>()
  private codeBytes = 0

  setStorage(k: string, v: Uint8Array): void {
    if (this.storage.size >= MAX_SHARED_ENTRIES) this.storage.clear()
    this.storage.set(k, v)
  }

  setCode(k: string, v: Uint8Array): void {
    if (this.codeBytes + v.length > MAX_SHARED_CODE_BYTES || this.code.size >= MAX_SHARED_ENTRIES) {
      this.code.clear()
      this.codeBytes = 0
    }
    this.code.set(k, v)
    this.codeBytes += v.length
  }
}

/**
 * An account's storage as the run wrote it: the slots written, over the trie's unless cleared. A
 * clear replaces the object (its undo brings the old one back, whose own slot writes are undone
 * in turn: the undo log is strictly last-in first-out).
 */
interface StorageOverlay {
  cleared: boolean
  slots: Map<string, Uint8Array>
}

/** One undo entry: `map` had `prev` under `key` (absent when `had` is false). */
interface Undo {
  map: Map<string, unknown>
  key: string
  had: boolean
  prev: unknown
}

const EMPTY = new Uint8Array(0)
const CODEHASH_PREFIX = new TextEncoder().encode('c')

export interface CallStateOptions {
  /** the state trie (its root is moved to each view's root; the view never writes to it) */
  trie: MerklePatriciaTrie
  common: Common
  /** key layout of the node's trie database (as its MerkleStateManager has them) */
  prefixCodeHashes: boolean
  prefixStorageTrieKeys: boolean
}

export class CallState {
  /** the root this view reads at, with the accounts read there */
  at: RootReads
  /** SSTORE's "original value" (EIP-2200): the value at the transaction's start, as ethereumjs keeps it */
  readonly originalStorageCache: OriginalStorageCache
  readonly common: Common
  private readonly trie: MerklePatriciaTrie
  private readonly keccak: (b: Uint8Array) => Uint8Array
  private readonly prefixCodeHashes: boolean
  private readonly prefixStorageTrieKeys: boolean
  /** storage tries opened at their account's storage root (by hashed address, hex) */
  private readonly keptTries = new Map<string, MerklePatriciaTrie>()

  // the overlay: what the run wrote (null: no account), and how to undo it
  private readonly accounts = new Map<string, AccountFields | null>()
  private readonly code = new Map<string, Uint8Array>()
  private readonly storage = new Map<string, StorageOverlay>()
  private readonly undo: Undo[] = []
  private readonly marks: number[] = []

  constructor(
    opts: CallStateOptions,
    at: RootReads,
    private readonly shared: SharedReads,
  ) {
    this.trie = opts.trie
    this.common = opts.common
    this.keccak = opts.common.customCrypto.keccak256 ?? core.keccak256
    this.prefixCodeHashes = opts.prefixCodeHashes
    this.prefixStorageTrieKeys = opts.prefixStorageTrieKeys
    this.at = at
    this.trie.root(at.root)
    this.originalStorageCache = new OriginalStorageCache(this.getStorage.bind(this))
  }

  /** Moves this (idle) view to another state root. */
  retarget(at: RootReads): void {
    if (!equalsBytes(this.trie.root(), at.root)) this.trie.root(at.root)
    this.keptTries.clear()
    this.at = at
  }

  /** Idle: no checkpoint open and nothing written. */
  pristine(): boolean {
    return this.marks.length === 0 && this.undo.length === 0
  }

  // --- accounts

  async getAccount(address: Address): Promise<Account | undefined> {
    const k = bytesToUnprefixedHex(address.bytes)
    let f = this.accounts.get(k)
    if (f === undefined) f = await this.baseAccount(k, address)
    // a fresh object on every read: runTx and the EVM change what they read before putting it
    return f === null ? undefined : new Account(f[0], f[1], f[2], f[3])
  }

  private async baseAccount(k: string, address: Address): Promise<AccountFields | null> {
    let f = this.at.accounts.get(k)
    if (f === undefined) {
      const rlp = await this.trie.get(address.bytes)
      if (rlp === null) f = null
      else {
        const a = createAccountFromRLP(rlp)
        f = [a.nonce, a.balance, a.storageRoot, a.codeHash]
      }
      if (this.at.accounts.size >= MAX_SHARED_ENTRIES) this.at.accounts.clear()
      this.at.accounts.set(k, f)
    }
    return f
  }

  async putAccount(address: Address, account: Account | undefined): Promise<void> {
    this.write(
      this.accounts,
      bytesToUnprefixedHex(address.bytes),
      account === undefined ? null : [account.nonce, account.balance, account.storageRoot, account.codeHash],
    )
  }

  /** As ethereumjs: the account, its code and its storage are gone. */
  async deleteAccount(address: Address): Promise<void> {
    const k = bytesToUnprefixedHex(address.bytes)
    this.write(this.accounts, k, null)
    this.write(this.code, k, EMPTY)
    this.write(this.storage, k, { cleared: true, slots: new Map() })
  }

  async modifyAccountFields(address: Address, fields: Partial<Pick<Account, 'nonce' | 'balance' | 'storageRoot' | 'codeHash'>>): Promise<void> {
    const a = (await this.getAccount(address)) ?? new Account()
    a.nonce = fields.nonce ?? a.nonce
    a.balance = fields.balance ?? a.balance
    a.storageRoot = fields.storageRoot ?? a.storageRoot
    a.codeHash = fields.codeHash ?? a.codeHash
    await this.putAccount(address, a)
  }

  // --- code

  async getCode(address: Address): Promise<Uint8Array> {
    const k = bytesToUnprefixedHex(address.bytes)
    const written = this.code.get(k)
    if (written !== undefined) return written
    const account = await this.getAccount(address)
    if (account === undefined || !account.isContract()) return EMPTY
    const h = bytesToUnprefixedHex(account.codeHash)
    let code = this.shared.code.get(h)
    if (code === undefined) {
      const key = this.prefixCodeHashes ? concatBytes(CODEHASH_PREFIX, account.codeHash) : account.codeHash
      code = ((await this.trie.database().get(key)) as Uint8Array | undefined) ?? EMPTY
      immutableCode(code)
      this.shared.setCode(h, code)
    }
    return code
  }

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.write(this.code, bytesToUnprefixedHex(address.bytes), value)
    if ((await this.getAccount(address)) === undefined) await this.putAccount(address, new Account())
    await this.modifyAccountFields(address, { codeHash: this.keccak(value) })
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length
  }

  // --- storage

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    if (key.length !== 32) throw new Error('Storage key must be 32 bytes long')
    const k = bytesToUnprefixedHex(address.bytes)
    const written = this.storage.get(k)
    const slot = bytesToUnprefixedHex(key)
    if (written !== undefined) {
      const v = written.slots.get(slot)
      if (v !== undefined) return v
      if (written.cleared) return EMPTY
    }
    const account = await this.getAccount(address)
    if (account === undefined) return EMPTY
    const trie = this.storageTrie(address, account.storageRoot)
    // keyed by the root of the trie read: a slot of another version of the storage is another key
    const sk = bytesToUnprefixedHex(account.storageRoot) + slot
    let value = this.shared.storage.get(sk)
    if (value === undefined) {
      const rlp = await trie.get(key)
      value = rlp === null ? EMPTY : (RLP.decode(rlp) as Uint8Array)
      this.shared.setStorage(sk, value)
    }
    return value
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    if (key.length !== 32) throw new Error('Storage key must be 32 bytes long')
    if (value.length > 32) throw new Error('Storage value cannot be longer than 32 bytes')
    if ((await this.getAccount(address)) === undefined) throw new Error('putStorage() called on non-existing account')
    const k = bytesToUnprefixedHex(address.bytes)
    let written = this.storage.get(k)
    if (written === undefined) {
      written = { cleared: false, slots: new Map() }
      this.write(this.storage, k, written)
    }
    this.write(written.slots, bytesToUnprefixedHex(key), unpadBytes(value).slice())
  }

  /** As ethereumjs: no slot is left, and the account (created if absent) has the empty storage root. */
  async clearStorage(address: Address): Promise<void> {
    const a = (await this.getAccount(address)) ?? new Account()
    this.write(this.storage, bytesToUnprefixedHex(address.bytes), { cleared: true, slots: new Map() })
    a.storageRoot = KECCAK256_RLP
    await this.putAccount(address, a)
  }

  /** The storage trie of `address` at `root`: kept across runs (a read-only trie at a root answers as a fresh copy). */
  private storageTrie(address: Address, root: Uint8Array): MerklePatriciaTrie {
    const hashed = this.keccak(address.bytes)
    const k = bytesToUnprefixedHex(hashed)
    const kept = this.keptTries.get(k)
    if (kept !== undefined && equalsBytes(kept.root(), root)) return kept
    const trie = this.trie.shallowCopy(false, { keyPrefix: this.prefixStorageTrieKeys ? hashed.slice(0, 7) : undefined })
    trie.root(root)
    trie.flushCheckpoints()
    if (this.keptTries.size >= MAX_KEPT_TRIES) this.keptTries.clear()
    this.keptTries.set(k, trie)
    return trie
  }

  // --- checkpoints

  async checkpoint(): Promise<void> {
    this.marks.push(this.undo.length)
  }

  /** The writes since the checkpoint now belong to the one before (an outer revert still undoes them). */
  async commit(): Promise<void> {
    if (this.marks.pop() === undefined) throw new NfcError(ExecErrorCode.CallFailed, 'call state: commit without a checkpoint')
  }

  async revert(): Promise<void> {
    const mark = this.marks.pop()
    if (mark === undefined) throw new NfcError(ExecErrorCode.CallFailed, 'call state: revert without a checkpoint')
    for (let i = this.undo.length - 1; i >= mark; i--) {
      const u = this.undo[i]!
      if (u.had) u.map.set(u.key, u.prev)
      else u.map.delete(u.key)
    }
    this.undo.length = mark
  }

  private write<V>(map: Map<string, V>, key: string, value: V): void {
    const had = map.has(key)
    this.undo.push({ map: map as Map<string, unknown>, key, had, prev: had ? map.get(key) : undefined })
    map.set(key, value)
  }

  // --- what a call never needs (no flush: its writes are thrown away)

  async flush(): Promise<void> {}

  clearCaches(): void {}

  /** The root read at while nothing is written; a call's own post-state root is never computed. */
  async getStateRoot(): Promise<Uint8Array> {
    if (this.undo.length > 0) throw new NfcError(ExecErrorCode.CallFailed, 'call state: no state root for the writes of a call')
    return this.at.root
  }

  async setStateRoot(): Promise<void> {
    throw new NfcError(ExecErrorCode.CallFailed, 'call state: a call view stays at its root')
  }

  async hasStateRoot(): Promise<boolean> {
    throw new NfcError(ExecErrorCode.CallFailed, 'call state: a call view stays at its root')
  }

  shallowCopy(): never {
    throw new NfcError(ExecErrorCode.CallFailed, 'call state: a call view is not copied')
  }
}
