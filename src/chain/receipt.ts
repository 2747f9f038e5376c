/**
 * Transaction receipts as the node stores them: the consensus part (status, cumulative gas,
 * logs) plus what RPC needs without re-executing (gas used, effective price, created address).
 */
import { RLP } from '@ethereumjs/rlp'
import { bytesToBigInt } from '@ethereumjs/util'
import { unpaddedBytes } from '../util/bytes.js'
import { NfcError } from '../util/errors.js'
import { BLOOM_BYTES, bloomOfLogs } from './bloom.js'
import { ChainErrorCode } from './errors.js'
import { orderedTrieRoot } from './orderedTrie.js'
import { encodeRlp, type RlpItem } from '../util/rlpView.js'

export interface Log {
  address: Uint8Array // 20
  topics: Uint8Array[] // 32 each, at most 4
  data: Uint8Array
}

export interface TxReceipt {
  status: 0 | 1
  cumulativeGasUsed: bigint
  gasUsed: bigint
  effectiveGasPrice: bigint
  /** address of the contract a creation made; empty otherwise */
  contractAddress: Uint8Array
  logs: Log[]
}

function receiptFields(r: TxReceipt): RlpItem[] {
  return [
    unpaddedBytes(BigInt(r.status)),
    unpaddedBytes(r.cumulativeGasUsed),
    unpaddedBytes(r.gasUsed),
    unpaddedBytes(r.effectiveGasPrice),
    r.contractAddress,
    r.logs.map((l) => [l.address, l.topics, l.data]),
  ]
}

export function encodeReceipt(r: TxReceipt): Uint8Array {
  return encodeRlp(receiptFields(r))
}

export function encodeReceipts(rs: TxReceipt[]): Uint8Array {
  return encodeRlp(rs.map(receiptFields))
}

function bad(reason: string): NfcError {
  return new NfcError(ChainErrorCode.BadEncoding, `invalid receipts: ${reason}`)
}

export function decodeReceipts(bytes: Uint8Array): TxReceipt[] {
  let list: unknown
  try {
    list = RLP.decode(bytes)
  } catch (e) {
    throw bad(`rlp: ${(e as Error).message}`)
  }
  if (!Array.isArray(list)) throw bad('not a list')
  return list.map((f: any) => {
    if (!Array.isArray(f) || f.length !== 6 || !Array.isArray(f[5])) throw bad('bad receipt shape')
    return {
      status: Number(bytesToBigInt(f[0])) === 1 ? 1 : 0,
      cumulativeGasUsed: bytesToBigInt(f[1]),
      gasUsed: bytesToBigInt(f[2]),
      effectiveGasPrice: bytesToBigInt(f[3]),
      contractAddress: f[4],
      logs: f[5].map((l: any) => {
        if (!Array.isArray(l) || l.length !== 3 || !Array.isArray(l[1])) throw bad('bad log shape')
        return { address: l[0], topics: l[1], data: l[2] }
      }),
    }
  })
}

/** the bloom of a receipt without logs (only read: RLP copies it) */
const NO_LOGS_BLOOM = new Uint8Array(BLOOM_BYTES)

/**
 * The receipt as Ethereum's consensus encodes it (EIP-2718): RLP [status, cumulativeGasUsed,
 * logsBloom, logs], behind the transaction's type byte for a typed transaction. The leaf of the
 * receipts trie; gasUsed, the price and the created address are the node's own additions and
 * are not committed to, as on Ethereum.
 */
export function encodeConsensusReceipt(r: TxReceipt, txType: number): Uint8Array {
  const body = encodeRlp([
    unpaddedBytes(BigInt(r.status)),
    unpaddedBytes(r.cumulativeGasUsed),
    r.logs.length === 0 ? NO_LOGS_BLOOM : bloomOfLogs(r.logs),
    r.logs.map((l) => [l.address, l.topics, l.data]),
  ])
  if (txType === 0) return body
  const out = new Uint8Array(1 + body.length)
  out[0] = txType
  out.set(body, 1)
  return out
}

/**
 * receiptsRoot: Ethereum's ordered trie of RLP(i) → the consensus encoding of receipt i;
 * `txs[i]` is the transaction receipt i belongs to (its type prefixes the leaf).
 */
export function receiptsRoot(rs: readonly TxReceipt[], txs: readonly { readonly type: number }[]): Uint8Array {
  if (txs.length !== rs.length) throw new RangeError(`${rs.length} receipts but ${txs.length} transactions`)
  return orderedTrieRoot(rs.map((r, i) => encodeConsensusReceipt(r, txs[i]!.type)))
}
