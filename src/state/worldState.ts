/**
 * Account state: an Ethereum-compatible Merkle Patricia Trie (secure keys) over classic-level,
 * driven by @ethereumjs/statemanager. One live state manager follows the head and is used only by
 * block execution (under the node's chain lock); readers get their own view at any root.
 */
import { createRequire } from 'node:module'
import type { Common } from '@ethereumjs/common'
import { createMPT } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import type { Db } from '../chain/db/level.js'
import { core } from '../core/index.js'
import { DeferredTrie, LiveStateManager } from './deferredTrie.js'
import { TrieNodeStore } from './trieNodeStore.js'

// @ethereumjs makes a `debug` logger for every trie, cache and state manager it builds, and each
// asks isatty(stderr) whether to colour its output: a syscall per state view (~4% of an eth_call's
// CPU in the rpc bench). Decide once, the same way; DEBUG_COLORS in the environment still wins.
const debugOptions = (createRequire(import.meta.url)('debug') as { inspectOpts: Record<string, unknown> }).inspectOpts
if (!('colors' in debugOptions)) debugOptions.colors = process.stderr.isTTY === true

export class WorldState {
  private constructor(
    private readonly common: Common,
    /** the state manager block execution mutates; always at the head root between blocks */
    readonly live: MerkleStateManager,
    readonly store: TrieNodeStore,
  ) {}

  static async open(db: Db, common: Common, root?: Uint8Array): Promise<WorldState> {
    const store = new TrieNodeStore(db)
    const live = await makeStateManager(store, common, root, true)
    return new WorldState(common, live, store)
  }

  /** A private view of the state at `root`; its writes never reach the database. */
  async at(root: Uint8Array): Promise<MerkleStateManager> {
    return makeStateManager(this.store.overlay(), this.common, root, false)
  }

  async hasRoot(root: Uint8Array): Promise<boolean> {
    return this.live.hasStateRoot(root)
  }
}

async function makeStateManager(store: TrieNodeStore, common: Common, root: Uint8Array | undefined, live: boolean): Promise<MerkleStateManager> {
  const trieOpts = {
    db: store,
    valueEncoding: 'view' as const,
    useKeyHashing: true,
    useKeyHashingFunction: core.keccak256,
    common,
    root,
  }
  // Caches hold writes in memory until flush; with the block-wide journal checkpoint of
  // executeBlock, the flush happens once per block, at its state root. The live account trie
  // then applies the block's account updates in one pass (DeferredTrie); views only read.
  if (live) {
    const trie = new DeferredTrie({ ...trieOpts, cacheSize: 50_000 }, store, core.keccak256)
    const caches = new Caches({ account: { size: 200_000 }, storage: { size: 200_000 }, code: { size: 2_000 } })
    return new LiveStateManager({ trie, common, caches, prefixCodeHashes: true, prefixStorageTrieKeys: false })
  }
  const trie = await createMPT(trieOpts)
  return new MerkleStateManager({ trie, common, caches: new Caches(), prefixCodeHashes: true, prefixStorageTrieKeys: false })
}
