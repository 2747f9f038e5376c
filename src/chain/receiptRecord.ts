/**
 * A receipt record: one transaction's receipt with everything eth_getTransactionReceipt shows
 * that would otherwise need the whole block — the transaction's hash, type, sender and
 * recipient, and the block-wide index of its first log. Stored one per transaction
 * (`R ‖ block hash ‖ u32 index`, see blockStore.ts), so a receipt is one small read and one
 * small decode whatever the size of its block (DESIGN §9). `cumulativeGasUsed` is in the
 * receipt itself.
 *
 *   RLP [txHash, type, from, to (empty: a creation), status, cumulativeGasUsed, gasUsed,
 *        effectiveGasPrice, contractAddress, firstLogIndex, logs]
 */
import { RLP } from '@ethereumjs/rlp'
import { bytesToBigInt } from '@ethereumjs/util'
import { unpaddedBytes } from '../util/bytes.js'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Block } from './block.js'
import { NfcError } from '../util/errors.js'
import { ChainErrorCode } from './errors.js'
import type { TxReceipt } from './receipt.js'
import { encodeRlp } from '../util/rlpView.js'

export interface ReceiptRecord {
  txHash: Uint8Array
  type: number
  from: Uint8Array
  /** the recipient; undefined for a creation */
  to: Uint8Array | undefined
  receipt: TxReceipt
  /** logIndex of this receipt's first log: the number of logs of the block's earlier receipts */
  firstLogIndex: number
}

const int = (n: number | bigint): Uint8Array => unpaddedBytes(BigInt(n))

export function encodeReceiptRecord(rec: ReceiptRecord): Uint8Array {
  const r = rec.receipt
  return encodeRlp([
    rec.txHash,
    int(rec.type),
    rec.from,
    rec.to ?? new Uint8Array(0),
    int(r.status),
    int(r.cumulativeGasUsed),
    int(r.gasUsed),
    int(r.effectiveGasPrice),
    r.contractAddress,
    int(rec.firstLogIndex),
    r.logs.map((l) => [l.address, l.topics, l.data]),
  ])
}

function bad(reason: string): NfcError {
  return new NfcError(ChainErrorCode.BadEncoding, `invalid receipt record: ${reason}`)
}

function bytesAt(f: unknown[], i: number, name: string, len?: number): Uint8Array {
  const v = f[i]
  if (!(v instanceof Uint8Array) || (len !== undefined && v.length !== len)) throw bad(`bad ${name}`)
  return v
}

export function decodeReceiptRecord(bytes: Uint8Array): ReceiptRecord {
  let f: unknown
  try {
    f = RLP.decode(bytes)
  } catch (e) {
    throw bad(`rlp: ${(e as Error).message}`)
  }
  if (!Array.isArray(f) || f.length !== 11 || !Array.isArray(f[10])) throw bad('want 11 fields, the last the logs')
  const to = bytesAt(f, 3, 'to')
  if (to.length !== 0 && to.length !== 20) throw bad('bad to')
  const num = (i: number, name: string) => bytesToBigInt(bytesAt(f as unknown[], i, name))
  return {
    txHash: bytesAt(f, 0, 'txHash', 32),
    type: Number(num(1, 'type')),
    from: bytesAt(f, 2, 'from', 20),
    to: to.length === 0 ? undefined : to,
    receipt: {
      status: num(4, 'status') === 1n ? 1 : 0,
      cumulativeGasUsed: num(5, 'cumulativeGasUsed'),
      gasUsed: num(6, 'gasUsed'),
      effectiveGasPrice: num(7, 'effectiveGasPrice'),
      contractAddress: bytesAt(f, 8, 'contractAddress'),
      logs: (f[10] as unknown[]).map((l) => {
        if (!Array.isArray(l) || l.length !== 3 || !Array.isArray(l[1])) throw bad('bad log shape')
        return { address: l[0] as Uint8Array, topics: l[1] as Uint8Array[], data: l[2] as Uint8Array }
      }),
    },
    firstLogIndex: Number(num(9, 'firstLogIndex')),
  }
}

/** The record of transaction `index` of `block`; `receipts` are the block's (for the log index). */
export function receiptRecordOf(block: Block, receipts: readonly TxReceipt[], index: number): ReceiptRecord {
  let firstLogIndex = 0
  for (let i = 0; i < index; i++) firstLogIndex += receipts[i].logs.length
  return recordOf(block, receipts[index], index, firstLogIndex)
}

/** The records of every transaction of `block`, in order. */
export function receiptRecordsOf(block: Block, receipts: readonly TxReceipt[]): ReceiptRecord[] {
  // a caller's bug, not bad data: every executed block has one receipt per transaction
  if (receipts.length !== block.transactions.length) throw new RangeError(`${block.transactions.length} transactions but ${receipts.length} receipts`)
  let firstLogIndex = 0
  return block.transactions.map((_, i) => {
    const rec = recordOf(block, receipts[i], i, firstLogIndex)
    firstLogIndex += receipts[i].logs.length
    return rec
  })
}

/**
 * The sender's address. A commit needs the sender of each of 4,000 transactions twice (these
 * records and the address index): ethereumjs hashes the cached public key again on every
 * getSenderAddress, but the node patches it to hash once per transaction object
 * (execution/senderAddress.ts, installed by the executor and the decoder), so this asks it.
 */
export function senderOf(tx: TypedTransaction): Uint8Array {
  return tx.getSenderAddress().bytes
}

function recordOf(block: Block, receipt: TxReceipt, index: number, firstLogIndex: number): ReceiptRecord {
  const tx = block.transactions[index]
  return { txHash: tx.hash(), type: tx.type, from: senderOf(tx), to: tx.to?.bytes, receipt, firstLogIndex }
}
