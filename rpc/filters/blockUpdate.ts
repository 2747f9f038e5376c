/**
 * One block as filters and subscriptions see it: its header JSON and its logs, each formatted
 * once however many filters and subscriptions read them.
 */
import type { Log } from '../../src/chain/receipt.js'
import type { NewBlockEvent } from '../../src/node/interface.js'
import { formatBlock, formatLog } from '../format.js'

export interface BlockLog {
  log: Log
  /** as eth_getLogs returns it, with `removed` set */
  json: Record<string, unknown>
}

export interface BlockUpdate {
  hash: Uint8Array
  number: bigint
  /** true when the block left the canonical chain (a reorg) */
  removed: boolean
  /** the newHeads payload */
  header(): Record<string, unknown>
  logs(): BlockLog[]
}

/**
 * The header fields geth's newHeads carries: a block's JSON without what describes the body
 * (`transactions`, `uncles`, `size`), so a head notification stays small however full the
 * block is.
 */
export function headerJson(ev: NewBlockEvent): Record<string, unknown> {
  const { transactions: _txs, uncles: _uncles, size: _size, ...header } = formatBlock(ev.block, false)
  return header
}

export function blockUpdate(ev: NewBlockEvent, removed: boolean): BlockUpdate {
  let header: Record<string, unknown> | undefined
  let logs: BlockLog[] | undefined
  const { block, receipts } = ev
  return {
    hash: block.hash,
    number: block.header.number,
    removed,
    header: () => (header ??= headerJson(ev)),
    logs() {
      if (logs !== undefined) return logs
      logs = []
      let logIndex = 0
      receipts.forEach((r, txIndex) => {
        const txHash = block.transactions[txIndex]!.hash()
        for (const log of r.logs) {
          const json = formatLog(log, { blockHash: block.hash, blockNumber: block.header.number, txHash, txIndex, logIndex: logIndex++ })
          json.removed = removed
          logs!.push({ log, json })
        }
      })
      return logs
    },
  }
}
