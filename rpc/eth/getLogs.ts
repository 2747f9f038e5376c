/**
 * eth_getLogs(filter): logs of canonical blocks matching address and topic filters. Each block's
 * header bloom is checked first, so only blocks that may match are read from disk.
 */
import { hexToBytes } from '@ethereumjs/util'
import { NfcError } from '../../src/util/errors.js'
import { bloomMayContain } from '../../src/chain/bloom.js'
import { ChainErrorCode } from '../../src/chain/errors.js'
import type { BlockHeader } from '../../src/chain/header.js'
import type { Log } from '../../src/chain/receipt.js'
import { findBlock } from '../blocks.js'
import { rpcError, RpcErrorCode } from '../errors.js'
import { formatLog, hex } from '../format.js'
import { defineMethod, logFilter, required, type LogFilter } from '../params.js'
import type { NodeApi } from '../../src/node/interface.js'

export const MAX_LOG_RESULTS = 10_000

function bloomMatches(bloom: Uint8Array, f: LogFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.some((a) => bloomMayContain(bloom, hexToBytes(a as `0x${string}`)))) return false
  return f.topics.every((alts) => alts === null || alts.some((t) => bloomMayContain(bloom, hexToBytes(t as `0x${string}`))))
}

export function logMatches(log: Log, f: LogFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.includes(hex(log.address))) return false
  if (f.topics.length > log.topics.length) return false
  return f.topics.every((alts, i) => alts === null || alts.includes(hex(log.topics[i])))
}

async function logsOfBlock(node: NodeApi, hash: Uint8Array, header: BlockHeader, f: LogFilter, out: unknown[]): Promise<void> {
  if (!bloomMatches(header.logsBloom, f)) return
  const receipts = (await node.chain.store.getReceipts(hash)) ?? []
  const txs = (await node.chain.store.getTransactions(hash)) ?? []
  let logIndex = 0
  receipts.forEach((r, txIndex) => {
    for (const log of r.logs) {
      if (logMatches(log, f)) {
        if (out.length >= MAX_LOG_RESULTS) {
          throw rpcError(RpcErrorCode.Limit, `query returned more than ${MAX_LOG_RESULTS} results`)
        }
        out.push(formatLog(log, { blockHash: hash, blockNumber: header.number, txHash: txs[txIndex].hash(), txIndex, logIndex }))
      }
      logIndex++
    }
  })
}

export const eth_getLogs = defineMethod('eth_getLogs', [required(logFilter)], async ([f], ctx) => {
  const node = ctx.node as NodeApi
  const out: unknown[] = []
  if (f.blockHash !== undefined) {
    const header = await node.chain.store.getHeader(f.blockHash)
    if (header === undefined) throw new NfcError(ChainErrorCode.BlockNotFound, 'unknown block')
    await logsOfBlock(node, f.blockHash, header, f, out)
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
  for (let n = from; n <= to; n++) {
    const found = await node.chain.headerByNumber(n)
    if (found !== undefined) await logsOfBlock(node, found.hash, found.header, f, out)
  }
  return out
})
