/**
 * Raw transaction decoding for eth_sendRawTransaction (and gossip). Every failure leaves as an
 * NfcError with a TX_* code and geth's message: wallets (ethers, MetaMask) match on the text.
 *
 * We inspect the RLP ourselves before handing the fields to @ethereumjs/tx because its
 * constructors reject several cases (foreign chain id, high-s on typed txs, tip > fee cap) with
 * ad-hoc messages, and because it decodes legacy v=27/28 without complaint. Decoding once and
 * building from the byte array also avoids a second RLP pass on the hot path.
 * Sender recovery is deliberately NOT done here: it is the expensive part and a worker pool
 * pre-fills `tx.cache.senderPubKey`; call `recoverSender` when the sender is needed.
 */
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import {
  FeeMarket1559Tx,
  TransactionType,
  create1559FeeMarketTxFromBytesArray,
  createAccessList2930TxFromBytesArray,
  createLegacyTxFromBytesArray,
  paramsTx,
  type TypedTransaction,
} from '@ethereumjs/tx'
import { Address, SECP256K1_ORDER, SECP256K1_ORDER_DIV_2 } from '@ethereumjs/util'
import { cacheTxHashes, rememberSerialized } from '../chain/block.js'
import { nodeTxCache, patchFrozenTxs, txCommon } from '../chain/txCommon.js'
import { core } from '../core/index.js'
import { concatList, unpaddedBytes } from '../util/bytes.js'
import { NfcError } from '../util/errors.js'
import { encodeRlp } from '../util/rlpView.js'
import { TxErrorCode } from './errors.js'
import { cacheSenderAddresses } from './senderAddress.js'

// every decoded transaction is frozen: its sender address is hashed once (senderAddress.ts), and
// its hash is the keccak of the bytes its block encodes once (chain/block.ts serializedTx)
cacheSenderAddresses()
cacheTxHashes()

/**
 * The hash a decoded transaction's signature signs, computed from its raw bytes at decoding
 * (`signingHashOf`), kept in its cache (chain/txCommon.ts nodeTxCache). ethereumjs' `getMessageToVerifySignature`
 * encodes the unsigned fields again for it, and the sender recovery asks it of every transaction
 * that arrives (crypto/recoverPool.ts senderRecoverItem).
 */
patchFrozenTxs<{ cache: object }, Uint8Array>('getMessageToVerifySignature', (tx, own) => nodeTxCache(tx).signingHash ?? own.call(tx))

export interface DecodeOptions {
  common: Common
  /** bytes; default chain value is 128 KiB */
  maxTxSize: number
}

type NestedBytes = Uint8Array | NestedBytes[]

/** Field layout per supported type: geth struct name (for rlp messages) and field indexes. */
interface Layout {
  name: string
  unsignedLen: number
  signedLen: number
  /** indexes of scalar integer fields (must be byte strings without leading zeros) */
  ints: number[]
  to: number
  data: number
  accessList?: number
  chainId?: number
  tip?: number
  feeCap?: number
}

const LEGACY: Layout = { name: 'types.LegacyTx', unsignedLen: 6, signedLen: 9, ints: [0, 1, 2, 4, 6, 7, 8], to: 3, data: 5 }
const ACCESS_LIST: Layout = {
  name: 'types.AccessListTx',
  unsignedLen: 8,
  signedLen: 11,
  ints: [0, 1, 2, 3, 5, 8, 9, 10],
  to: 4,
  data: 6,
  accessList: 7,
  chainId: 0,
}
const DYNAMIC_FEE: Layout = {
  name: 'types.DynamicFeeTx',
  unsignedLen: 9,
  signedLen: 12,
  ints: [0, 1, 2, 3, 4, 6, 9, 10, 11],
  to: 5,
  data: 7,
  accessList: 8,
  chainId: 0,
  tip: 2,
  feeCap: 3,
}

function malformed(message: string, meta: Record<string, unknown> = {}): NfcError {
  return new NfcError(TxErrorCode.MALFORMED, message, meta)
}

const invalidSig = (meta: Record<string, unknown>) => new NfcError(TxErrorCode.INVALID_SIG, 'invalid sender: invalid transaction v, r, s values', meta)

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Translate @ethereumjs/rlp's wording into geth's "rlp: …" messages where an equivalent exists. */
function rlpMessage(reason: string): string {
  if (reason.includes('remainder must be zero')) return 'rlp: input contains more than one value'
  if (reason.includes('extra zeros') || reason.includes('leading zero')) {
    return 'rlp: non-canonical integer (leading zero bytes)'
  }
  if (reason.includes('out-of-bounds') || reason.includes('larger than the data') || reason.includes('not enough bytes')) {
    return 'rlp: value size exceeds available input length'
  }
  if (reason.includes('single byte < 0x80') || reason.includes('greater than 55') || reason.includes('too short')) {
    return 'rlp: non-canonical size information'
  }
  return `rlp: ${reason}`
}

/**
 * Decode and statelessly validate a signed raw transaction. Does not recover the sender.
 * @throws NfcError with a TX_* code (never anything else)
 */
export function decodeRawTransaction(raw: Uint8Array, opts: DecodeOptions): TypedTransaction {
  if (raw.length > opts.maxTxSize) {
    throw new NfcError(TxErrorCode.OVERSIZED, `oversized data: transaction size ${raw.length}, limit ${opts.maxTxSize}`, {
      size: raw.length,
      limit: opts.maxTxSize,
    })
  }
  // geth: a first byte > 0x7f is a legacy RLP list; anything else (including empty input) is an
  // EIP-2718 envelope, which needs a type byte plus payload.
  const typed = raw.length === 0 || raw[0] <= 0x7f
  let layout: Layout
  let payload: Uint8Array
  if (typed) {
    if (raw.length <= 1) throw malformed('typed transaction too short', { size: raw.length })
    const type = raw[0]
    if (type === TransactionType.AccessListEIP2930) layout = ACCESS_LIST
    else if (type === TransactionType.FeeMarketEIP1559) layout = DYNAMIC_FEE
    // blob (3) and set-code (4) txs are valid on Ethereum but not on this chain; geth uses the same text
    else throw malformed('transaction type not supported', { type })
    payload = raw.subarray(1)
  } else {
    layout = LEGACY
    payload = raw
  }

  let decoded: NestedBytes
  try {
    decoded = RLP.decode(payload) as NestedBytes
  } catch (e) {
    throw malformed(rlpMessage(reasonOf(e)), { reason: reasonOf(e) })
  }
  const fields = checkShape(decoded, layout)

  if (fields.length === layout.unsignedLen) throw invalidSig({ reason: 'unsigned transaction' })
  const n = fields.length
  const v = uintOf(fields[n - 3] as Uint8Array)
  const r = uintOf(fields[n - 2] as Uint8Array)
  const s = uintOf(fields[n - 1] as Uint8Array)
  // geth's ValidateSignatureValues with homestead=true (EIP-2 low-s); unsigned txs serialize as r=s=0
  if (r === 0n || s === 0n || r >= SECP256K1_ORDER || s >= SECP256K1_ORDER || s > SECP256K1_ORDER_DIV_2) {
    throw invalidSig({ r, s })
  }

  const ours = opts.common.chainId()
  if (layout === LEGACY) {
    if (v === 27n || v === 28n) {
      throw new NfcError(TxErrorCode.UNPROTECTED, 'only replay-protected (EIP-155) transactions allowed over RPC')
    }
    if (v < 35n) throw invalidSig({ v })
    const have = (v - 35n) / 2n
    if (have !== ours) throw wrongChain(have, ours)
  } else {
    if (v !== 0n && v !== 1n) throw invalidSig({ v })
    const have = uintOf(fields[layout.chainId!] as Uint8Array)
    if (have !== ours) throw wrongChain(have, ours)
  }

  if (layout.tip !== undefined && layout.feeCap !== undefined) {
    const tip = uintOf(fields[layout.tip] as Uint8Array)
    const feeCap = uintOf(fields[layout.feeCap] as Uint8Array)
    if (tip > feeCap) {
      throw new NfcError(TxErrorCode.TIP_ABOVE_FEE_CAP, 'max priority fee per gas higher than max fee per gas', {
        maxPriorityFeePerGas: tip,
        maxFeePerGas: feeCap,
      })
    }
  }

  // EIP-3860 with geth's text; ethereumjs would throw its own message from the constructor
  const to = fields[layout.to] as Uint8Array
  const data = fields[layout.data] as Uint8Array
  if (to.length === 0 && opts.common.isActivatedEIP(3860)) {
    const limit = maxInitCodeSize(opts.common)
    if (BigInt(data.length) > limit) {
      throw new NfcError(TxErrorCode.INITCODE_TOO_LARGE, `max initcode size exceeded: code size ${data.length}, limit ${limit}`, { size: data.length, limit })
    }
  }

  let tx: TypedTransaction
  try {
    // shapes were checked by checkShape; the casts only restate that for the compiler
    const common = txCommon(opts.common)
    if (layout === LEGACY) tx = createLegacyTxFromBytesArray(fields as Uint8Array[], { common })
    else if (layout === ACCESS_LIST) {
      tx = createAccessList2930TxFromBytesArray(fields as Parameters<typeof createAccessList2930TxFromBytesArray>[0], { common })
    } else
      tx =
        plainFeeMarketTx(fields as Uint8Array[], common) ??
        create1559FeeMarketTxFromBytesArray(fields as Parameters<typeof create1559FeeMarketTxFromBytesArray>[0], { common })
  } catch (e) {
    // what is left here are range errors (value > 2^256, gas > 2^64, fee × gas overflow, bad
    // access list entries); geth reports those while RLP-decoding, hence the prefix
    throw malformed(rlpMessage(reasonOf(e)), { reason: reasonOf(e) })
  }
  // The RLP was canonical (ethereumjs' decoder refuses other length forms, checkShape leading
  // zeros), so these bytes are what encoding the transaction again would give
  rememberSerialized(tx, raw)
  nodeTxCache(tx).signingHash = signingHashOf(raw, typed, fields, ours)
  return tx
}

/** An unsigned big-endian integer (ethereumjs' bytesToBigInt goes through a hex string of its own making). */
function uintOf(b: Uint8Array): bigint {
  if (b.length <= 6) {
    let n = 0
    for (let i = 0; i < b.length; i++) n = n * 256 + b[i]!
    return BigInt(n)
  }
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`)
}

const MAX_UINT256 = (1n << 256n) - 1n
const MAX_NONCE = (1n << 64n) - 1n

/** the one options object of the transactions plainFeeMarketTx builds, per shared Common */
const plainOptions = new WeakMap<Common, { common: Common }>()
/** whether plainFeeMarketTx's objects equal the constructor's: undefined until the first one is compared */
let plainChecked: boolean | undefined

/**
 * A signed type-2 transaction without an access list (what wallets send for transfers and most
 * calls) built without ethereumjs' constructor, whose copies and re-checks of fields that
 * decodeRawTransaction has checked already cost ~25 µs per transaction: about a tenth of the main
 * thread under wallet load (CPU profile of `npm run bench -- load`). The object is the one the
 * constructor makes: its prototype, its own fields in the same order with the same values, frozen.
 * Only shapes for which every check of the constructor passes take this path (field sizes, the
 * fee × gas bound, the fee market active, no EIP-7825 cap); anything else returns undefined and
 * goes to the constructor, which keeps its errors. The first transaction of a process is built
 * both ways and compared (`txObjectDifference`): a new ethereumjs whose constructor makes another
 * object turns this path off.
 */
function plainFeeMarketTx(f: Uint8Array[], common: Common): TypedTransaction | undefined {
  if (plainChecked === false) return undefined
  const [chainId, nonce, tip, feeCap, gasLimit, to, value, data, accessList, v, r, s] = f as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    unknown[],
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ]
  if (accessList.length !== 0 || nonce.length > 8 || gasLimit.length > 8 || value.length > 32 || tip.length > 32 || feeCap.length > 32) return undefined
  if (!common.isActivatedEIP(1559) || (common.isActivatedEIP(7825) && !common.isActivatedEIP(8037))) return undefined
  const nonceN = uintOf(nonce)
  const gas = uintOf(gasLimit)
  const maxFee = uintOf(feeCap)
  if (nonceN >= MAX_NONCE || gas * maxFee > MAX_UINT256) return undefined
  let options = plainOptions.get(common)
  if (options === undefined) plainOptions.set(common, (options = { common }))
  const tx = Object.create(FeeMarket1559Tx.prototype) as Record<string, unknown>
  tx.type = TransactionType.FeeMarketEIP1559
  tx.cache = {}
  tx.activeCapabilities = [1559, 2718, 2930]
  tx.common = common
  tx.txOptions = options
  tx.to = to.length > 0 ? new Address(to) : undefined
  tx.nonce = nonceN
  tx.gasLimit = gas
  tx.value = uintOf(value)
  tx.data = data
  tx.v = uintOf(v)
  tx.r = uintOf(r)
  tx.s = uintOf(s)
  tx.chainId = uintOf(chainId)
  tx.accessList = accessList
  tx.maxFeePerGas = maxFee
  tx.maxPriorityFeePerGas = uintOf(tip)
  Object.freeze(tx)
  const built = tx as unknown as TypedTransaction
  if (plainChecked === undefined) {
    const made = create1559FeeMarketTxFromBytesArray(f as Parameters<typeof create1559FeeMarketTxFromBytesArray>[0], { common })
    plainChecked = txObjectDifference(built, made) === undefined
    return made
  }
  return built
}

/** Whether decoding builds plain type-2 transactions itself (undefined: none decoded yet). */
export function plainFeeMarketTxs(): boolean | undefined {
  return plainChecked
}

/**
 * Where two transaction objects differ (own fields in order, prototypes, values; the Common by
 * identity; not what their caches hold), or undefined when they are the same but for identity.
 */
export function txObjectDifference(a: object, b: object): string | undefined {
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return 'prototype'
  if (Object.isFrozen(a) !== Object.isFrozen(b)) return 'frozen'
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.join() !== kb.join()) return `fields: ${ka.join()} vs ${kb.join()}`
  for (const k of ka) {
    const x = (a as Record<string, unknown>)[k]
    const y = (b as Record<string, unknown>)[k]
    // the caches hold what was computed of each object so far (hash, sender, encoding), not fields
    if (k === 'cache') continue
    if (k === 'common' ? x !== y : !sameValue(x, y)) return k
  }
  return undefined
}

function sameValue(x: unknown, y: unknown): boolean {
  if (x instanceof Uint8Array || y instanceof Uint8Array) {
    return x instanceof Uint8Array && y instanceof Uint8Array && x.length === y.length && x.every((b, i) => b === y[i])
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((e, i) => sameValue(e, y[i]))
  }
  if (x instanceof Address || y instanceof Address) return x instanceof Address && y instanceof Address && x.equals(y)
  if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null) {
    const kx = Object.keys(x)
    if (kx.join() !== Object.keys(y).join()) return false
    return kx.every((k) =>
      k === 'common'
        ? (x as Record<string, unknown>)[k] === (y as Record<string, unknown>)[k]
        : sameValue((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]),
    )
  }
  return x === y
}

/**
 * The hash a signed transaction's signature signs, from its decoded fields: the fields before v,
 * r, s as one RLP list (typed: behind the type byte; legacy, EIP-155: followed by chainId, 0, 0).
 * The bytes ethereumjs' getMessageToSign encodes, written in one pass (util/rlpView.ts encodeRlp).
 */
function signingHashOf(raw: Uint8Array, typed: boolean, fields: NestedBytes[], chainId: bigint): Uint8Array {
  const unsigned = fields.slice(0, fields.length - 3)
  if (!typed) return core.keccak256(encodeRlp([...unsigned, unpaddedBytes(chainId), EMPTY, EMPTY]))
  return core.keccak256(concatList([raw.subarray(0, 1), encodeRlp(unsigned)]))
}

const EMPTY = new Uint8Array(0)

/** The Common only knows tx params once a tx constructor loaded them into its copy. */
function maxInitCodeSize(common: Common): bigint {
  try {
    return common.param('maxInitCodeSize')
  } catch {
    return BigInt(paramsTx[3860].maxInitCodeSize ?? 49_152)
  }
}

function wrongChain(have: bigint, want: bigint): NfcError {
  return new NfcError(TxErrorCode.WRONG_CHAIN, `invalid sender: invalid chain id for signer: have ${have} want ${want}`, {
    have,
    want,
  })
}

/** Structural checks geth's RLP decoder does into its typed structs. */
function checkShape(decoded: NestedBytes, layout: Layout): NestedBytes[] {
  if (!Array.isArray(decoded)) throw malformed(`rlp: expected input list for ${layout.name}`)
  if (decoded.length < layout.signedLen && decoded.length !== layout.unsignedLen) {
    throw malformed(`rlp: too few elements for ${layout.name}`, { fields: decoded.length })
  }
  if (decoded.length > layout.signedLen) {
    throw malformed(`rlp: input list has too many elements for ${layout.name}`, { fields: decoded.length })
  }
  for (let i = 0; i < decoded.length; i++) {
    const f = decoded[i]
    if (i === layout.accessList) {
      if (!Array.isArray(f)) throw malformed(`rlp: expected input list for types.AccessList`, { field: i })
      continue
    }
    if (!(f instanceof Uint8Array)) throw malformed(`rlp: expected input string or byte for ${layout.name}`, { field: i })
    if (layout.ints.includes(i) && f.length > 0 && f[0] === 0) {
      throw malformed(`rlp: non-canonical integer (leading zero bytes) for ${layout.name}`, { field: i })
    }
  }
  const to = decoded[layout.to] as Uint8Array
  if (to.length !== 0 && to.length !== 20) {
    throw malformed(`rlp: input string too ${to.length < 20 ? 'short' : 'long'} for common.Address`, {
      length: to.length,
    })
  }
  return decoded
}

/**
 * The sender of a decoded tx. Uses `tx.cache.senderPubKey` when a worker already recovered it.
 * @throws NfcError TX_INVALID_SENDER ("invalid sender")
 */
export function recoverSender(tx: TypedTransaction): Address {
  try {
    return tx.getSenderAddress()
  } catch (e) {
    throw new NfcError(TxErrorCode.INVALID_SENDER, 'invalid sender', { reason: reasonOf(e) })
  }
}
