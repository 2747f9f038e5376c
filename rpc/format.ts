/**
 * JSON shapes of the execution-apis specification: quantities as minimal hex, data as 0x bytes,
 * null for what does not exist. Timestamps are seconds, as every Ethereum tool expects; blocks
 * also carry `timestampMs`, the slot time the chain itself uses.
 */
import { Capability, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { Block } from '../src/chain/block.js'
import { encodeBody } from '../src/chain/block.js'
import { BLOOM_BYTES, bloomOfLogs } from '../src/chain/bloom.js'
import { encodeHeader } from '../src/chain/header.js'
import type { Log, TxReceipt } from '../src/chain/receipt.js'
import { receiptRecordOf, type ReceiptRecord } from '../src/chain/receiptRecord.js'
import { effectiveGasPrice } from '../src/execution/blockExecutor.js'
import type { AccessListItem, CallRequest as RpcCallRequest } from './params.js'
import type { CallRequest } from '../src/execution/call.js'

export const hexQ = (n: bigint | number): string => `0x${n.toString(16)}`
export const hex = bytesToHex

/** keccak256(rlp([])): the uncles hash of a block without uncles */
const EMPTY_UNCLES = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'

export interface TxLocation {
  blockHash: Uint8Array
  blockNumber: bigint
  index: number
  baseFee: bigint
}

export function formatTx(tx: TypedTransaction, at: TxLocation | null): Record<string, unknown> {
  const json = tx.toJSON() as Record<string, unknown>
  const out: Record<string, unknown> = {
    blockHash: at ? hex(at.blockHash) : null,
    blockNumber: at ? hexQ(at.blockNumber) : null,
    transactionIndex: at ? hexQ(at.index) : null,
    hash: hex(tx.hash()),
    from: tx.getSenderAddress().toString(),
    to: tx.to?.toString() ?? null,
    nonce: hexQ(tx.nonce),
    value: hexQ(tx.value),
    gas: hexQ(tx.gasLimit),
    input: hex(tx.data),
    type: hexQ(tx.type),
    v: hexQ(tx.v ?? 0n),
    r: hexQ(tx.r ?? 0n),
    s: hexQ(tx.s ?? 0n),
  }
  if (tx.type === TransactionType.Legacy) {
    out.gasPrice = hexQ((tx as { gasPrice: bigint }).gasPrice)
    if (tx.supports(Capability.EIP155ReplayProtection)) out.chainId = hexQ(tx.common.chainId())
  } else {
    out.chainId = json.chainId
    out.accessList = json.accessList ?? []
    out.yParity = hexQ(tx.v ?? 0n)
    if (tx.type === TransactionType.FeeMarketEIP1559) {
      const t = tx as unknown as { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
      out.maxFeePerGas = hexQ(t.maxFeePerGas)
      out.maxPriorityFeePerGas = hexQ(t.maxPriorityFeePerGas)
      // mined: the price actually paid; pending: the cap (as geth)
      out.gasPrice = hexQ(at ? effectiveGasPrice(tx, at.baseFee) : t.maxFeePerGas)
    } else {
      out.gasPrice = hexQ((tx as { gasPrice: bigint }).gasPrice)
    }
  }
  return out
}

export function formatBlock(block: Block, fullTx: boolean): Record<string, unknown> {
  const h = block.header
  const size = encodeHeader(h).length + encodeBody(block.transactions, block.confirmations).length
  return {
    number: hexQ(h.number),
    hash: hex(block.hash),
    parentHash: hex(h.parentHash),
    nonce: '0x0000000000000000',
    sha3Uncles: EMPTY_UNCLES,
    logsBloom: hex(h.logsBloom),
    transactionsRoot: hex(h.transactionsRoot),
    stateRoot: hex(h.stateRoot),
    receiptsRoot: hex(h.receiptsRoot),
    miner: hex(h.producer),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: '0x',
    size: hexQ(size),
    gasLimit: hexQ(h.gasLimit),
    gasUsed: hexQ(h.gasUsed),
    timestamp: hexQ(h.timestamp / 1000n),
    timestampMs: hexQ(h.timestamp),
    baseFeePerGas: hexQ(h.baseFeePerGas),
    mixHash: hex(h.parentHash),
    flowRoot: hex(h.flowRoot),
    confirmationsRoot: hex(h.confirmationsRoot),
    signature: hex(h.signature),
    uncles: [],
    transactions: block.transactions.map((tx, i) =>
      fullTx ? formatTx(tx, { blockHash: block.hash, blockNumber: h.number, index: i, baseFee: h.baseFeePerGas }) : hex(tx.hash()),
    ),
  }
}

export function formatLog(
  log: Log,
  at: { blockHash: Uint8Array; blockNumber: bigint; txHash: Uint8Array; txIndex: number; logIndex: number },
): Record<string, unknown> {
  return logJson(log, blockFields(at), hex(at.txHash), hexQ(at.txIndex), at.logIndex)
}

/** One log, the block's and the transaction's fields already formatted (shared by a receipt's logs). */
function logJson(log: Log, block: BlockFields, txHash: string, txIndex: string, logIndex: number): Record<string, unknown> {
  return {
    address: hex(log.address),
    topics: log.topics.map(hex),
    data: hex(log.data),
    blockNumber: block.blockNumber,
    blockHash: block.blockHash,
    transactionHash: txHash,
    transactionIndex: txIndex,
    logIndex: hexQ(logIndex),
    removed: false,
  }
}

/** Receipt `index` of a block; `receipts` are all of the block's receipts (for log indexes). */
export function formatReceipt(block: Block, receipts: TxReceipt[], index: number): Record<string, unknown> {
  return formatReceiptRecord({ blockHash: block.hash, blockNumber: block.header.number }, index, receiptRecordOf(block, receipts, index))
}

/** Receipt `index` of block (`blockHash`, `blockNumber`) from its record alone: no block is read. */
export function formatReceiptRecord(at: { blockHash: Uint8Array; blockNumber: bigint }, index: number, rec: ReceiptRecord): Record<string, unknown> {
  return receiptJson(blockFields(at), index, rec, new Uint8Array(BLOOM_BYTES))
}

/**
 * Every receipt of a block (eth_getBlockReceipts), the same JSON as formatReceiptRecord for each.
 * A 4,000-receipt answer was ~135 µs a receipt, most of it garbage: the block's hash and number
 * formatted again for every receipt and log, and a bloom computed, hex-encoded and allocated for
 * receipts without logs. Here the block's fields are formatted once and shared, a receipt without
 * logs gets the one zero-bloom string, and blooms are computed in one scratch buffer.
 */
export function formatReceiptRecords(at: { blockHash: Uint8Array; blockNumber: bigint }, records: readonly ReceiptRecord[]): Record<string, unknown>[] {
  const block = blockFields(at)
  const scratch = new Uint8Array(BLOOM_BYTES)
  return records.map((rec, i) => receiptJson(block, i, rec, scratch))
}

/** A block's fields as every receipt and log of it shows them (formatted once per answer). */
interface BlockFields {
  blockHash: string
  blockNumber: string
}

const blockFields = (at: { blockHash: Uint8Array; blockNumber: bigint }): BlockFields => ({ blockHash: hex(at.blockHash), blockNumber: hexQ(at.blockNumber) })

/** logsBloom of a receipt without logs */
const ZERO_BLOOM_HEX = hex(new Uint8Array(BLOOM_BYTES))

/** One receipt; `scratch` is a BLOOM_BYTES buffer the bloom is computed in (its content is overwritten). */
function receiptJson(block: BlockFields, index: number, rec: ReceiptRecord, scratch: Uint8Array<ArrayBuffer>): Record<string, unknown> {
  const r = rec.receipt
  const txHash = hex(rec.txHash)
  const txIndex = hexQ(index)
  return {
    transactionHash: txHash,
    transactionIndex: txIndex,
    blockHash: block.blockHash,
    blockNumber: block.blockNumber,
    from: hex(rec.from),
    to: rec.to === undefined ? null : hex(rec.to),
    cumulativeGasUsed: hexQ(r.cumulativeGasUsed),
    gasUsed: hexQ(r.gasUsed),
    effectiveGasPrice: hexQ(r.effectiveGasPrice),
    contractAddress: r.contractAddress.length === 20 ? hex(r.contractAddress) : null,
    logs: r.logs.map((log, i) => logJson(log, block, txHash, txIndex, rec.firstLogIndex + i)),
    logsBloom: r.logs.length === 0 ? ZERO_BLOOM_HEX : hex(bloomOfLogs(r.logs, scratch.fill(0))),
    status: hexQ(r.status),
    type: hexQ(rec.type),
  }
}

/** RPC call object (hex strings) → the execution layer's request (bytes). */
export function toCallRequest(c: RpcCallRequest): CallRequest {
  return {
    from: c.from === undefined ? undefined : hexToBytes(c.from as `0x${string}`),
    to: c.to === undefined ? null : hexToBytes(c.to as `0x${string}`),
    gas: c.gas,
    gasPrice: c.gasPrice,
    maxFeePerGas: c.maxFeePerGas,
    maxPriorityFeePerGas: c.maxPriorityFeePerGas,
    value: c.value,
    data: c.data,
    accessList: c.accessList?.map((a: AccessListItem) => ({ address: a.address as `0x${string}`, storageKeys: a.storageKeys as `0x${string}`[] })),
  }
}
