/**
 * The blocks the explorer has already seen, kept between heads so a new head costs one request
 * (the new block) instead of the whole page again. Blocks are headers with transaction hashes
 * (eth_getBlockByNumber with `false`); the dashboard and the Blocks tab read them from here.
 * A block that does not link to its cached neighbours (a reorg) empties the cache, and the
 * next read fetches what it needs again.
 */
import { RpcError, type RpcClient } from './rpcClient.js'

export type Block = Record<string, any> & { number: string; hash: string; transactions: any[] }

export interface RpcCall {
  method: string
  params?: unknown[]
}

/** blocks kept at most (the lowest numbers go first): a few pages of the Blocks tab */
export const MAX_CACHED_BLOCKS = 512

/** the transactions root of a block without transactions (the root of an empty trie) */
export const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'

export const hexQ = (n: bigint | number): string => `0x${BigInt(n).toString(16)}`

export interface ChainCache {
  /**
   * The blocks numbered `numbers` (in that order; those the node does not have are left out):
   * the cached ones as they are, the rest in one batch together with `extra` calls, whose
   * answers (result or RpcError each) come back in `extra`.
   */
  blocks(numbers: bigint[], extra?: RpcCall[]): Promise<{ blocks: Block[]; extra: unknown[] }>
  /**
   * A header pushed by newHeads: kept as its block when the header shows the block has no
   * transactions (the empty transactions root), so an idle chain's heads cost no request; a block
   * with transactions is fetched when a view asks for it (the header does not list them).
   */
  offerHeader(header: Record<string, unknown>): void
  /** block `n` if it is kept (no request) */
  peek(n: bigint): Block | undefined
  /** how many blocks are kept now */
  size(): number
}

const isBlock = (b: unknown): b is Block => b !== null && typeof b === 'object' && !(b instanceof RpcError)

export function createChainCache(client: RpcClient, capacity = MAX_CACHED_BLOCKS): ChainCache {
  const byNumber = new Map<bigint, Block>()

  /** Whether `b` (block `n`) contradicts a cached neighbour that is not in `fresh`: then one of them is on another fork. */
  const conflicts = (n: bigint, b: Block, fresh: Map<bigint, Block>): boolean => {
    const cached = (m: bigint) => (fresh.has(m) ? undefined : byNumber.get(m))
    const below = cached(n - 1n)
    const above = cached(n + 1n)
    const same = cached(n)
    return (
      (below !== undefined && b.parentHash !== undefined && below.hash !== b.parentHash) ||
      (above !== undefined && above.parentHash !== undefined && above.parentHash !== b.hash) ||
      (same !== undefined && same.hash !== b.hash)
    )
  }

  /** Fetches `missing` with `extra` in one batch; the blocks by number and the extra answers. */
  const fetch = async (missing: bigint[], extra: RpcCall[]) => {
    const answers = await client.batch([...missing.map((n) => ({ method: 'eth_getBlockByNumber', params: [hexQ(n), false] })), ...extra])
    const fresh = new Map<bigint, Block>()
    missing.forEach((n, i) => {
      const b = answers[i]
      if (isBlock(b)) fresh.set(n, b)
    })
    return { fresh, extra: answers.slice(missing.length) }
  }

  const prune = (keep: Set<bigint>) => {
    if (byNumber.size <= capacity) return
    const numbers = [...byNumber.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for (const n of numbers) {
      if (byNumber.size <= capacity) break
      if (!keep.has(n)) byNumber.delete(n)
    }
  }

  return {
    async blocks(numbers, extra = []) {
      const wanted = numbers.filter((n) => n >= 0n)
      const first = await fetch(
        wanted.filter((n) => !byNumber.has(n)),
        extra,
      )
      let fresh = first.fresh
      if ([...fresh].some(([n, b]) => conflicts(n, b, fresh))) {
        // a reorg under the cached blocks: forget them all and read the wanted ones again
        byNumber.clear()
        fresh = (await fetch(wanted, [])).fresh
      }
      for (const [n, b] of fresh) byNumber.set(n, b)
      prune(new Set(wanted))
      return { blocks: wanted.map((n) => byNumber.get(n)).filter((b): b is Block => b !== undefined), extra: first.extra }
    },
    offerHeader(header) {
      if (header.transactionsRoot !== EMPTY_TRIE_ROOT || typeof header.number !== 'string' || typeof header.hash !== 'string') return
      const n = BigInt(header.number)
      const b: Block = { ...header, number: header.number, hash: header.hash, transactions: [] }
      if (conflicts(n, b, new Map())) byNumber.clear()
      byNumber.set(n, b)
      prune(new Set([n]))
    },
    peek: (n) => byNumber.get(n),
    size: () => byNumber.size,
  }
}
