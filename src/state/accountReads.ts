/**
 * One state view's account reads, each account read from the trie once: the state under a root
 * never changes, so an answer is kept with no invalidation (past MAX_ACCOUNTS the map starts over:
 * wallet traffic is mostly the same few addresses). Concurrent misses for one account share one
 * trie walk; a failed read is not kept, so the next asker tries again. Serves the RPC's reads per
 * state root (rpc/stateReads.ts) and the pool's view of the head (node.ts `poolView`). Read from the
 * view only: whoever writes to a state view builds its own.
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, hexToBytes, type Account } from '@ethereumjs/util'

/** accounts kept per view */
const MAX_ACCOUNTS = 100_000

export class AccountReads {
  private readonly accounts = new Map<string, Promise<Account | undefined>>()

  constructor(private readonly view: Promise<MerkleStateManager>) {}

  /** The account `addr` (lowercase 0x hex) in the view; undefined when it does not exist. */
  get(addr: string): Promise<Account | undefined> {
    let account = this.accounts.get(addr)
    if (account === undefined) {
      if (this.accounts.size >= MAX_ACCOUNTS) this.accounts.clear()
      account = this.view.then((view) => view.getAccount(new Address(hexToBytes(addr as `0x${string}`))))
      const entry = account
      entry.catch(() => {
        if (this.accounts.get(addr) === entry) this.accounts.delete(addr)
      })
      this.accounts.set(addr, entry)
    }
    return account
  }
}
