/**
 * Account state: an Ethereum-compatible Merkle Patricia Trie (secure keys) over classic-level,
 * driven by @ethereumjs/statemanager. One live state manager follows the head and is used only by
 * block execution (under the node's chain lock); readers get their own view at any root.
 */
import type { Common } from '@ethereumjs/common'
import { createMPT } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import type { Db } from '../chain/blockStore.js'
import { core } from '../core/index.js'
import { TrieNodeStore } from './trieNodeStore.js'

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

async function makeStateManager(
  store: TrieNodeStore,
  common: Common,
  root: Uint8Array | undefined,
  bigCaches: boolean,
): Promise<MerkleStateManager> {
  const trie = await createMPT({
    db: store,
    valueEncoding: 'view',
    useKeyHashing: true,
    useKeyHashingFunction: core.keccak256,
    common,
    root,
    cacheSize: bigCaches ? 50_000 : 0,
  })
  // Caches hold writes in memory until flush; with the block-wide journal checkpoint of
  // executeBlock, the flush (and so the trie work) happens once per block, at its state root.
  const caches = new Caches(
    bigCaches ? { account: { size: 200_000 }, storage: { size: 200_000 }, code: { size: 2_000 } } : {},
  )
  return new MerkleStateManager({ trie, common, caches, prefixCodeHashes: true, prefixStorageTrieKeys: false })
}
