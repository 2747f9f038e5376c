/**
 * Account reads for eth_getBalance / eth_getTransactionCount / eth_getCode / eth_getStorageAt,
 * the hot read path of wallets. Before, each call built a fresh state view (a trie, a cache set,
 * an overlay store: ~8% of the CPU of an eth_getBalance in the profile, plus the garbage) and
 * walked the trie from its root.
 *
 * An account at a given state root never changes, so answers are cached per root without any
 * invalidation: a new head simply has a new root, and old roots fall out (the last MAX_ROOTS are
 * kept, each with its `AccountReads`, src/state/accountReads.ts: one trie walk per account, shared
 * by concurrent misses). Views are shared by readers only: eth_call and tracing, which write to their view, keep
 * building their own through `chain.stateAt`.
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex, type Account } from '@ethereumjs/util'
import type { BlockHeader } from '../src/chain/header.js'
import type { ChainApi } from '../src/node/interface.js'
import { AccountReads } from '../src/state/accountReads.js'

/** state roots whose reads are kept (the head and the few before it, which wallets still ask about) */
const MAX_ROOTS = 4

interface RootReads {
  view: Promise<MerkleStateManager>
  accounts: AccountReads
}

interface ChainReads {
  /** by state root (hex), oldest first */
  roots: Map<string, RootReads>
  /** the header of the last lookup and its entry: the head is asked about again and again */
  last?: { header: BlockHeader; reads: RootReads }
}

const byChain = new WeakMap<ChainApi, ChainReads>()

function readsAt(chain: ChainApi, header: BlockHeader): RootReads {
  let c = byChain.get(chain)
  if (c === undefined) {
    c = { roots: new Map() }
    byChain.set(chain, c)
  }
  if (c.last?.header === header) return c.last.reads
  const root = bytesToHex(header.stateRoot)
  let reads = c.roots.get(root)
  if (reads === undefined) {
    const view = chain.stateAt(header)
    const entry: RootReads = { view, accounts: new AccountReads(view) }
    reads = entry
    // a view that failed to open (state pruned, db closing) is not kept
    const chainReads = c
    entry.view.catch(() => {
      if (chainReads.roots.get(root) === entry) chainReads.roots.delete(root)
      if (chainReads.last?.reads === entry) chainReads.last = undefined
    })
    c.roots.set(root, reads)
    if (c.roots.size > MAX_ROOTS) c.roots.delete(c.roots.keys().next().value!)
  }
  c.last = { header, reads }
  return reads
}

/** The state view at `header`, shared with other readers: read from it, never write to it. */
export function sharedStateAt(chain: ChainApi, header: BlockHeader): Promise<MerkleStateManager> {
  return readsAt(chain, header).view
}

/** The account `addr` (lowercase 0x hex) at `header`'s state; undefined when it does not exist. */
export function accountAt(chain: ChainApi, header: BlockHeader, addr: string): Promise<Account | undefined> {
  return readsAt(chain, header).accounts.get(addr)
}
