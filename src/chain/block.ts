/**
 * A block: signed header plus body [transactions, confirmations, flow checkpoints] (checkpoints
 * arrive with the PoVF issue and are an empty list until then). On the wire (P2P gossip and
 * range sync) a block is RLP [header fields…, body].
 */
import { RLP } from '@ethereumjs/rlp'
import type { Common } from '@ethereumjs/common'
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { core } from '../core/index.js'
import { NfcError } from '../util/errors.js'
import { ChainErrorCode } from './errors.js'
import { confirmationFields, confirmationFromFields, type Confirmation } from './confirmation.js'
import { orderedTrieRoot } from './orderedTrie.js'
import { nodeTxCache, patchFrozenTxs, txCommon } from './txCommon.js'
import { headerFromFields, headerHash, headerToFields, type BlockHeader } from './header.js'
import { encodeRlp, listHeader, listPayload, type RlpItem } from '../util/rlpView.js'

export interface Block {
  header: BlockHeader
  transactions: TypedTransaction[]
  /** witness confirmations of earlier blocks, included by the producer */
  confirmations: Confirmation[]
  hash: Uint8Array
}

export interface BlockBody {
  transactions: TypedTransaction[]
  confirmations: Confirmation[]
}

export function makeBlock(header: BlockHeader, transactions: TypedTransaction[], confirmations: Confirmation[] = []): Block {
  return { header, transactions, confirmations, hash: headerHash(header) }
}

/**
 * transactionsRoot: Ethereum's ordered trie of RLP(i) → the transaction's canonical form (the
 * typed envelope for typed transactions), so a standard MPT proof of a transaction verifies.
 */
export function transactionsRoot(txs: readonly TypedTransaction[]): Uint8Array {
  return orderedTrieRoot(txs.map(serializedTx))
}

/**
 * `tx.serialize()`, once per frozen transaction object (a block's transactions are serialized for
 * its transactionsRoot, then again for its body on disk and on the wire; ethereumjs re-encodes
 * each time). A transaction that is not frozen could change: it is encoded every time.
 */
export function serializedTx(tx: TypedTransaction): Uint8Array {
  if (!Object.isFrozen(tx)) return tx.serialize()
  const cache = nodeTxCache(tx)
  return (cache.serialized ??= tx.serialize())
}

/**
 * Records `bytes` as the canonical form of `tx`, for a frozen transaction decoded from exactly those
 * bytes (execution/txDecode.ts: the RLP was checked canonical, so encoding the fields again gives
 * the same bytes). Its hash and its place in a block then cost no second encoding.
 */
export function rememberSerialized(tx: TypedTransaction, bytes: Uint8Array): void {
  if (Object.isFrozen(tx)) nodeTxCache(tx).serialized = bytes
}

interface HashedTx {
  cache: { hash?: Uint8Array }
  isSigned(): boolean
  hash(): Uint8Array
}

let hashesInstalled = false

/**
 * Patches the transaction classes once (idempotent) so that a frozen transaction's `hash()` is
 * the keccak of `serializedTx` (WASM core), kept in ethereumjs' own `tx.cache.hash` as its `hash()`
 * keeps it. ethereumjs hashes `tx.serialize()`, which encodes the transaction again: with the
 * transactionsRoot and the stored body, each transaction of a block was encoded three times. Same
 * bytes, same hash; an unsigned transaction still throws in ethereumjs' code, and a transaction
 * that is not frozen takes ethereumjs' path every time.
 */
export function cacheTxHashes(): void {
  if (hashesInstalled) return
  hashesInstalled = true
  patchFrozenTxs<HashedTx, Uint8Array>('hash', (tx, own) => {
    const known = tx.cache.hash
    if (known !== undefined) return known
    if (!tx.isSigned()) return own.call(tx)
    return (tx.cache.hash = core.keccak256(serializedTx(tx as unknown as TypedTransaction)))
  })
}
cacheTxHashes()

function bodyFields(txs: TypedTransaction[], confirmations: readonly Confirmation[]): RlpItem[] {
  return [txs.map(serializedTx), confirmations.map(confirmationFields), []]
}

export function encodeBody(txs: TypedTransaction[], confirmations: readonly Confirmation[] = []): Uint8Array {
  return encodeRlp(bodyFields(txs, confirmations))
}

export function decodeBody(bytes: Uint8Array, common: Common): BlockBody {
  let list: unknown
  try {
    list = RLP.decode(bytes)
  } catch (e) {
    throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: rlp: ${(e as Error).message}`)
  }
  return bodyFromFields(list, common)
}

/** The wire form of a whole block: RLP [header fields…, body]. */
export function encodeBlock(block: Block): Uint8Array {
  return encodeRlp([...headerToFields(block.header), bodyFields(block.transactions, block.confirmations)])
}

/**
 * The wire form of a block (encodeBlock's bytes) from its stored header (encodeHeader: the list of
 * 14 fields) and body (encodeBody): the header's items and the body under one list header. Nothing
 * is decoded or re-encoded (serving GetBlocks: history downloads, range and snapshot sync).
 */
export function encodeBlockFromStored(storedHeader: Uint8Array, storedBody: Uint8Array): Uint8Array {
  let fields: Uint8Array
  try {
    fields = listPayload(storedHeader)
  } catch (e) {
    throw new NfcError(ChainErrorCode.BadEncoding, `invalid stored header: ${(e as Error).message}`)
  }
  const head = listHeader(fields.length + storedBody.length)
  const out = new Uint8Array(head.length + fields.length + storedBody.length)
  out.set(head, 0)
  out.set(fields, head.length)
  out.set(storedBody, head.length + fields.length)
  return out
}

function blockFields(bytes: Uint8Array): unknown[] {
  let list: unknown
  try {
    list = RLP.decode(bytes)
  } catch (e) {
    throw new NfcError(ChainErrorCode.BadEncoding, `invalid block: rlp: ${(e as Error).message}`)
  }
  if (!Array.isArray(list) || list.length !== 15) throw new NfcError(ChainErrorCode.BadEncoding, 'invalid block: want [14 header fields, body]')
  return list
}

/**
 * A transaction already decoded from these exact bytes, if the caller holds one (the pool: what
 * came by gossip comes again in a block). Same bytes, same transaction: reusing it saves decoding
 * (the tx constructor's checks), encoding it again for its hash, and recovering its sender.
 */
export type KnownTx = (raw: Uint8Array) => TypedTransaction | undefined

export function decodeBlock(bytes: Uint8Array, common: Common, known?: KnownTx): Block {
  const list = blockFields(bytes)
  const header = headerFromFields(list.slice(0, 14))
  const { transactions, confirmations } = bodyFromFields(list[14], common, known)
  return makeBlock(header, transactions, confirmations)
}

/** Only the header of a wire-encoded block (gossip dedupe needs its hash before any validation). */
export function decodeBlockHeader(bytes: Uint8Array): BlockHeader {
  return headerFromFields(blockFields(bytes).slice(0, 14))
}

function bodyFromFields(list: unknown, common: Common, known?: KnownTx): BlockBody {
  if (!Array.isArray(list) || list.length !== 3 || !Array.isArray(list[0]) || !Array.isArray(list[1]) || !Array.isArray(list[2])) {
    throw new NfcError(ChainErrorCode.BadEncoding, 'invalid block body: want [txs, confirmations, checkpoints]')
  }
  if (list[2].length !== 0) throw new NfcError(ChainErrorCode.BadEncoding, 'invalid block body: flow checkpoints are not accepted yet')
  const confirmations = list[1].map((f: unknown) => confirmationFromFields(f))
  const transactions = list[0].map((raw: unknown, i: number) => {
    if (!(raw instanceof Uint8Array)) {
      throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: transaction ${i} is not a byte string`)
    }
    const held = known?.(raw)
    if (held !== undefined) return held
    try {
      return createTxFromRLP(raw, { common: txCommon(common) })
    } catch (e) {
      throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: transaction ${i}: ${(e as Error).message}`)
    }
  })
  return { transactions, confirmations }
}

/** The payload [start, end) of the RLP item at `at` and whether it is a list. */
function rlpItem(bytes: Uint8Array, at: number): { start: number; end: number; list: boolean } {
  if (at >= bytes.length) throw new NfcError(ChainErrorCode.BadEncoding, 'invalid block body: truncated')
  const b = bytes[at]
  let start: number
  let len: number
  if (b < 0x80) return { start: at, end: at + 1, list: false }
  if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
    start = at + 1
    len = b - (b < 0xc0 ? 0x80 : 0xc0)
  } else {
    const ll = b - (b < 0xc0 ? 0xb7 : 0xf7)
    start = at + 1 + ll
    len = 0
    for (let i = at + 1; i < start; i++) len = len * 256 + (bytes[i] ?? 0)
  }
  const end = start + len
  if (end > bytes.length) throw new NfcError(ChainErrorCode.BadEncoding, 'invalid block body: an item runs past the end')
  return { start, end, list: b >= 0xc0 }
}

/**
 * Transaction `index` of an encoded body, decoded alone: the items before it are skipped by
 * their length prefixes, not decoded, so one transaction of a 4,000-transaction block costs one
 * decode instead of 4,000. Undefined when the body has no such transaction.
 */
export function decodeBodyTransaction(body: Uint8Array, index: number, common: Common): TypedTransaction | undefined {
  const outer = rlpItem(body, 0)
  const txs = outer.list ? rlpItem(body, outer.start) : undefined
  if (txs === undefined || !txs.list) throw new NfcError(ChainErrorCode.BadEncoding, 'invalid block body: want [txs, confirmations, checkpoints]')
  let at = txs.start
  for (let i = 0; at < txs.end; i++) {
    const it = rlpItem(body, at)
    if (i === index) {
      if (it.list) throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: transaction ${i} is not a byte string`)
      try {
        return createTxFromRLP(body.subarray(it.start, it.end), { common: txCommon(common) })
      } catch (e) {
        throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: transaction ${i}: ${(e as Error).message}`)
      }
    }
    at = it.end
  }
  return undefined
}
