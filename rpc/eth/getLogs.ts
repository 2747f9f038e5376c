/**
 * eth_getLogs(filter): logs of canonical blocks matching address and topic filters, served from
 * the log index (src/chain/logIndex.ts): one ordered scan of the range's block blooms, then only
 * blocks whose bloom may match are read (their receipts, and their transaction hashes from the
 * index rather than the decoded body). Ranges wider than `maxBlockRange` blocks are refused with
 * geth's wording, results beyond `maxResults` too.
 */
import { hexToBytes } from '@ethereumjs/util'
import { NfcError } from '../../src/util/errors.js'
import { bloomMayContain } from '../../src/chain/bloom.js'
import { ChainErrorCode } from '../../src/chain/errors.js'
import { indexedBlocks, indexedTxHashes } from '../../src/chain/logIndex.js'
import type { Log } from '../../src/chain/receipt.js'
import { findBlock } from '../blocks.js'
import { rpcError, RpcErrorCode } from '../errors.js'
import { formatLog, hex } from '../format.js'
import { defineMethod, logFilter, required, type LogFilter } from '../params.js'
import type { NodeApi } from '../../src/node/interface.js'

export const MAX_LOG_RESULTS = 10_000
/** default widest fromBlock..toBlock range of one query (geth-like providers use the same) */
export const MAX_LOG_BLOCK_RANGE = 10_000

export interface LogQueryLimits {
  /** widest block range of one query, in blocks (default MAX_LOG_BLOCK_RANGE) */
  maxBlockRange?: number
  /** most logs one query returns (default MAX_LOG_RESULTS) */
  maxResults?: number
}

/** A filter with its addresses and topics as bytes, for the bloom tests. */
interface BloomFilter {
  addresses: Uint8Array[]
  topics: (Uint8Array[] | null)[]
}

function bloomFilter(f: LogFilter): BloomFilter {
  return {
    addresses: f.addresses.map((a) => hexToBytes(a as `0x${string}`)),
    topics: f.topics.map((alts) => (alts === null ? null : alts.map((t) => hexToBytes(t as `0x${string}`)))),
  }
}

function bloomMatches(bloom: Uint8Array, f: BloomFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.some((a) => bloomMayContain(bloom, a))) return false
  return f.topics.every((alts) => alts === null || alts.some((t) => bloomMayContain(bloom, t)))
}

export function logMatches(log: Log, f: LogFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.includes(hex(log.address))) return false
  if (f.topics.length > log.topics.length) return false
  return f.topics.every((alts, i) => alts === null || alts.includes(hex(log.topics[i])))
}

/** Appends the matching logs of one block (whose bloom may match) to `out`. */
async function logsOfBlock(node: NodeApi, hash: Uint8Array, number: bigint, f: LogFilter, out: unknown[], maxResults: number): Promise<void> {
  const store = node.chain.store
  const receipts = (await store.getReceipts(hash)) ?? []
  if (!receipts.some((r) => r.logs.length > 0)) return
  const txHashes = (await indexedTxHashes(store.db, hash)) ?? ((await store.getTransactions(hash)) ?? []).map((tx) => tx.hash())
  let logIndex = 0
  receipts.forEach((r, txIndex) => {
    for (const log of r.logs) {
      if (logMatches(log, f)) {
        if (out.length >= maxResults) {
          throw rpcError(RpcErrorCode.Limit, `query returned more than ${maxResults} results`)
        }
        out.push(formatLog(log, { blockHash: hash, blockNumber: number, txHash: txHashes[txIndex]!, txIndex, logIndex }))
      }
      logIndex++
    }
  })
}

/**
 * The logs of canonical blocks `from`..`to` (inclusive, already clamped to the head) matching
 * `f`, in chain order. Shared by eth_getLogs and the log filters.
 */
export async function logsInRange(node: NodeApi, f: LogFilter, from: bigint, to: bigint, limits: LogQueryLimits = {}): Promise<unknown[]> {
  const maxResults = limits.maxResults ?? MAX_LOG_RESULTS
  const out: unknown[] = []
  const bf = bloomFilter(f)
  const store = node.chain.store
  // numbers the index does not hold (blocks from before it existed) are read the old way
  const unindexed = async (lo: bigint, hi: bigint) => {
    for (let n = lo; n <= hi; n++) {
      const found = await node.chain.headerByNumber(n)
      if (found !== undefined && bloomMatches(found.header.logsBloom, bf)) {
        await logsOfBlock(node, found.hash, n, f, out, maxResults)
      }
    }
  }
  let next = from
  for await (const b of indexedBlocks(store.db, from, to)) {
    if (b.number > next) await unindexed(next, b.number - 1n)
    next = b.number + 1n
    if (b.bloom !== undefined && bloomMatches(b.bloom, bf)) await logsOfBlock(node, b.hash, b.number, f, out, maxResults)
  }
  if (next <= to) await unindexed(next, to)
  return out
}

/** eth_getLogs with the given limits (the default export below uses the defaults). */
export function makeGetLogs(limits: LogQueryLimits = {}) {
  const maxBlockRange = limits.maxBlockRange ?? MAX_LOG_BLOCK_RANGE
  return defineMethod('eth_getLogs', [required(logFilter)], async ([f], ctx) => {
    const node = ctx.node
    if (f.blockHash !== undefined) {
      const header = await node.chain.store.getHeader(f.blockHash)
      if (header === undefined) throw new NfcError(ChainErrorCode.BlockNotFound, 'unknown block')
      const out: unknown[] = []
      if (bloomMatches(header.logsBloom, bloomFilter(f))) {
        await logsOfBlock(node, f.blockHash, header.number, f, out, limits.maxResults ?? MAX_LOG_RESULTS)
      }
      return out
    }
    const head = node.head.header.number
    const numberOf = async (ref: LogFilter['fromBlock']) => {
      if (ref === undefined) return head
      if ('number' in ref) return ref.number
      return (await findBlock(node, ref))?.header.number ?? head
    }
    const from = await numberOf(f.fromBlock)
    let to = await numberOf(f.toBlock)
    if (from > to && f.toBlock !== undefined) throw new NfcError('RPC_INVALID_BLOCK_RANGE', 'invalid block range params')
    if (to > head) to = head
    if (to >= from && to - from + 1n > BigInt(maxBlockRange)) {
      throw rpcError(RpcErrorCode.Limit, `query exceeds max block range ${maxBlockRange}`, {
        from: from.toString(),
        to: to.toString(),
        maxBlockRange,
      })
    }
    return logsInRange(node, f, from, to, limits)
  })
}

export const eth_getLogs = makeGetLogs()
