/**
 * nfc_getTransactionsByAddress(address[, {limit, cursor}]): the canonical transactions an account
 * sent or received (or whose creation made it), newest first, one page at a time — the account
 * history of the explorer. Served from the block store's address index (`A` prefix).
 *
 * `cursor` is the `next` of the previous page: "0x" + u64be block number + u32be tx index of the
 * last entry shown (24 hex digits); clients should treat it as opaque. `next` is null on the last
 * page (one extra entry is read to know).
 */
import type { Block } from '../../src/chain/block.js'
import { AddressTxFlag, type AddressTx } from '../../src/chain/blockStore.js'
import type { TxReceipt } from '../../src/chain/receipt.js'
import { InvalidParamsError } from '../errors.js'
import { hex, hexQ } from '../format.js'
import { addressBytes, defineMethod, optional, required, type Validator } from '../params.js'

export const DEFAULT_LIMIT = 25
export const MAX_LIMIT = 100

export interface HistoryOptions {
  limit: number
  /** the position the page starts below (exclusive); undefined = the newest */
  before?: { block: bigint; index: number }
}

export interface HistoryEntry {
  hash: string
  blockNumber: string
  transactionIndex: string
  from: string
  to: string | null
  contractAddress: string | null
  direction: 'in' | 'out' | 'self'
}

const CURSOR = /^0x[0-9a-fA-F]{24}$/

export function encodeCursor(block: bigint, index: number): string {
  return '0x' + block.toString(16).padStart(16, '0') + index.toString(16).padStart(8, '0')
}

function decodeCursor(v: unknown): { block: bigint; index: number } {
  if (typeof v !== 'string' || !CURSOR.test(v)) {
    throw new InvalidParamsError('field "cursor": not a cursor of this method (pass the `next` of the previous page, or null)')
  }
  return { block: BigInt('0x' + v.slice(2, 18)), index: parseInt(v.slice(18), 16) }
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
}

/** `{limit?: 1..100, cursor?: string | null}`; unknown fields are ignored, as in the other methods. */
export const historyOptions: Validator<HistoryOptions> = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InvalidParamsError(`cannot unmarshal ${kind(v)} into options object {limit, cursor}`)
  }
  const o = v as Record<string, unknown>
  const out: HistoryOptions = { limit: DEFAULT_LIMIT }
  if (Object.hasOwn(o, 'limit') && o.limit !== null) {
    const limit = o.limit
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidParamsError(`field "limit": want an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`)
    }
    out.limit = limit
  }
  if (Object.hasOwn(o, 'cursor') && o.cursor !== null) out.before = decodeCursor(o.cursor)
  return out
}

function direction(flags: number): HistoryEntry['direction'] {
  if ((flags & AddressTxFlag.from) !== 0) return (flags & AddressTxFlag.to) !== 0 ? 'self' : 'out'
  return 'in'
}

export const nfc_getTransactionsByAddress = defineMethod(
  'nfc_getTransactionsByAddress',
  [required(addressBytes), optional(historyOptions)],
  async ([address, opts = { limit: DEFAULT_LIMIT }], ctx) => {
    const store = ctx.node.chain.store
    const found = await store.transactionsOf(address, {
      beforeBlock: opts.before?.block,
      beforeIndex: opts.before?.index,
      limit: opts.limit + 1,
    })
    const page = found.slice(0, opts.limit)
    // the transactions of one block are read once per page
    const blocks = new Map<bigint, { block: Block; receipts: TxReceipt[] } | undefined>()
    const load = async (n: bigint) => {
      if (!blocks.has(n)) {
        const hash = await store.getHashByNumber(n)
        const block = hash === undefined ? undefined : await store.getBlock(hash)
        const receipts = block === undefined ? undefined : await store.getReceipts(block.hash)
        blocks.set(n, block === undefined || receipts === undefined ? undefined : { block, receipts })
      }
      return blocks.get(n)
    }
    const transactions: HistoryEntry[] = []
    for (const e of page) {
      const entry = formatEntry(e, await load(e.blockNumber))
      // undefined: a reorg replaced the block between the index scan and this read; the entry is
      // no longer canonical, so it is left out (the next page starts below it all the same)
      if (entry !== undefined) transactions.push(entry)
    }
    const last = page[page.length - 1]
    return {
      transactions,
      next: found.length > opts.limit && last !== undefined ? encodeCursor(last.blockNumber, last.txIndex) : null,
    }
  },
)

function formatEntry(e: AddressTx, at: { block: Block; receipts: TxReceipt[] } | undefined): HistoryEntry | undefined {
  const tx = at?.block.transactions[e.txIndex]
  if (at === undefined || tx === undefined) return undefined
  const txHash = tx.hash()
  if (hex(txHash) !== hex(e.hash)) return undefined
  const created = at.receipts[e.txIndex]?.contractAddress
  return {
    hash: hex(txHash),
    blockNumber: hexQ(e.blockNumber),
    transactionIndex: hexQ(e.txIndex),
    from: tx.getSenderAddress().toString(),
    to: tx.to?.toString() ?? null,
    contractAddress: tx.to === undefined && created !== undefined && created.length === 20 ? hex(created) : null,
    direction: direction(e.flags),
  }
}
