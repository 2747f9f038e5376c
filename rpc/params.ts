/**
 * Parameter validators for every RPC method, with geth's wording so clients and scripts that
 * match on messages keep working ("invalid argument 0: hex string without 0x prefix").
 *
 * A validator takes one raw JSON value and returns a typed value or throws InvalidParamsError
 * with a message WITHOUT the "invalid argument N: " prefix; `defineMethod` adds the prefix.
 * Unknown fields in objects are ignored, as geth's Go JSON decoding does.
 */
import { InvalidParamsError } from './errors.js'
import { bytesEqual } from '../src/util/bytes.js'
import type { RpcContext, RpcMethod } from './types.js'

export type Validator<T> = (value: unknown) => T

const fail = (message: string): never => {
  throw new InvalidParamsError(message)
}

function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v === 'object' ? 'object' : typeof v
}

const nonString = (v: unknown, into: string): never => fail(`cannot unmarshal ${jsonType(v) === 'string' ? 'string' : 'non-string'} into ${into}`)

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** An own field of a parsed JSON object; `null` reads as absent, like Go pointers. */
function field(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) && obj[name] !== null ? obj[name] : undefined
}

/** Runs `validate` on a field and names the field in the message. */
function inField<T>(name: string, validate: Validator<T>, v: unknown): T {
  try {
    return validate(v)
  } catch (e) {
    if (e instanceof InvalidParamsError) throw new InvalidParamsError(`field "${name}": ${e.message}`)
    throw e
  }
}

function optionalField<T>(obj: Record<string, unknown>, name: string, validate: Validator<T>): T | undefined {
  const v = field(obj, name)
  return v === undefined ? undefined : inField(name, validate, v)
}

const hexDigits = /^[0-9a-fA-F]*$/
const has0x = (s: string) => s.length >= 2 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X')

// ---------------------------------------------------------------- quantities

/** Checks geth's hexutil number rules and returns the digits after 0x. */
function numberDigits(v: unknown, into: string): string {
  if (typeof v !== 'string') return nonString(v, into)
  if (v.length === 0) return fail('empty hex string')
  if (!has0x(v)) return fail('hex string without 0x prefix')
  const digits = v.slice(2)
  if (digits.length === 0) return fail('hex string "0x"')
  if (!hexDigits.test(digits)) return fail('invalid hex string')
  if (digits.length > 1 && digits[0] === '0') return fail('hex number with leading zero digits')
  return digits
}

/** A hex quantity up to 256 bits ("0x0", "0x1f"; not "0x", "0x01", decimals or JSON numbers). */
export const quantity: Validator<bigint> = (v) => {
  const digits = numberDigits(v, 'quantity')
  if (digits.length > 64) fail('hex number > 256 bits')
  return BigInt('0x' + digits)
}

/** A hex quantity up to 64 bits (gas, nonce, block numbers). */
export const uint64: Validator<bigint> = (v) => {
  const digits = numberDigits(v, 'uint64')
  if (digits.length > 16) fail('hex number > 64 bits')
  return BigInt('0x' + digits)
}

/** A hex quantity that fits a JS safe integer (counts, indexes). */
export const quantityAsNumber: Validator<number> = (v) => {
  const digits = numberDigits(v, 'quantity')
  if (digits.length > 14 || parseInt(digits, 16) > Number.MAX_SAFE_INTEGER) {
    fail('hex number > 53 bits')
  }
  return parseInt(digits, 16)
}

// ---------------------------------------------------------------- byte strings

function bytesDigits(v: unknown, into: string): string {
  if (typeof v !== 'string') return nonString(v, into)
  if (v.length === 0) return '' // geth's hexutil.Bytes accepts "" as empty
  if (!has0x(v)) return fail('hex string without 0x prefix')
  const digits = v.slice(2)
  if (digits.length % 2 !== 0) return fail('hex string of odd length')
  if (!hexDigits.test(digits)) return fail('invalid hex string')
  return digits
}

/** Arbitrary 0x-prefixed even-length hex data. */
export const data: Validator<Uint8Array> = (v) => new Uint8Array(Buffer.from(bytesDigits(v, 'data'), 'hex'))

/** Fixed-length hex data; `typeName` appears in the length error as in geth ("common.Address"). */
export function fixedData(length: number, typeName: string): Validator<Uint8Array> {
  return (v) => new Uint8Array(Buffer.from(fixedDigits(v, length, typeName), 'hex'))
}

function fixedDigits(v: unknown, length: number, typeName: string): string {
  if (typeof v !== 'string') return nonString(v, typeName)
  if (!has0x(v)) return fail('hex string without 0x prefix')
  const digits = v.slice(2)
  if (digits.length !== length * 2) {
    return fail(`hex string has length ${digits.length}, want ${length * 2} for ${typeName}`)
  }
  if (!hexDigits.test(digits)) return fail('invalid hex string')
  return digits
}

/** A 20-byte address as a lowercase 0x string (checksums are not enforced, as in geth). */
export const address: Validator<string> = (v) => '0x' + fixedDigits(v, 20, 'common.Address').toLowerCase()
export const addressBytes: Validator<Uint8Array> = fixedData(20, 'common.Address')
/** A 32-byte hash as bytes. */
export const hash: Validator<Uint8Array> = fixedData(32, 'common.Hash')
/** A 32-byte hash as a lowercase 0x string. */
export const hashHex: Validator<string> = (v) => '0x' + fixedDigits(v, 32, 'common.Hash').toLowerCase()

export const bool: Validator<boolean> = (v) => (typeof v === 'boolean' ? v : fail(`cannot unmarshal ${jsonType(v)} into bool`))

/** A JSON array of items, each validated; the index appears in the message. */
export function arrayOf<T>(item: Validator<T>, opts: { max?: number; what?: string } = {}): Validator<T[]> {
  const what = opts.what ?? 'element'
  return (v) => {
    if (!Array.isArray(v)) return fail(`cannot unmarshal ${jsonType(v)} into array`)
    if (opts.max !== undefined && v.length > opts.max) fail(`too many ${what}s, want at most ${opts.max}`)
    return v.map((x, i) => {
      try {
        return item(x)
      } catch (e) {
        if (e instanceof InvalidParamsError) throw new InvalidParamsError(`invalid ${what} at index ${i}: ${e.message}`)
        throw e
      }
    })
  }
}

// ---------------------------------------------------------------- blocks

export type BlockTag = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest'
const blockTags: ReadonlySet<string> = new Set<BlockTag>(['latest', 'pending', 'safe', 'finalized', 'earliest'])

/** A block by tag or number (geth's BlockNumber). */
export type BlockNumberRef = { tag: BlockTag } | { number: bigint }
/** A block by tag, number or hash (geth's BlockNumberOrHash, EIP-1898). */
export type BlockRef = BlockNumberRef | { hash: Uint8Array; requireCanonical: boolean }

const maxInt64 = (1n << 63n) - 1n

/** "latest" | "pending" | "safe" | "finalized" | "earliest" | hex number ≤ int64. */
export const blockNumberOrTag: Validator<BlockNumberRef> = (v) => {
  if (typeof v === 'string' && blockTags.has(v)) return { tag: v as BlockTag }
  if (typeof v !== 'string') return nonString(v, 'block number')
  const n = uint64(v)
  if (n > maxInt64) fail('block number larger than int64')
  return { number: n }
}

/**
 * Everything geth's BlockNumberOrHash takes: a tag, a hex number, a 32-byte hash string, or the
 * EIP-1898 objects {blockHash, requireCanonical?} / {blockNumber}.
 */
export const blockTag: Validator<BlockRef> = (v) => {
  if (typeof v === 'string') {
    if (v.length === 66 && has0x(v)) return { hash: hash(v), requireCanonical: false }
    return blockNumberOrTag(v)
  }
  if (!isObject(v)) return fail(`cannot unmarshal ${jsonType(v)} into block number or hash`)
  const blockHash = field(v, 'blockHash')
  const blockNumber = field(v, 'blockNumber')
  if (blockHash !== undefined && blockNumber !== undefined) {
    fail('cannot specify both BlockHash and BlockNumber, choose one or the other')
  }
  if (blockHash !== undefined) {
    return {
      hash: inField('blockHash', hash, blockHash),
      requireCanonical: optionalField(v, 'requireCanonical', bool) ?? false,
    }
  }
  if (blockNumber !== undefined) return inField('blockNumber', blockNumberOrTag, blockNumber)
  return fail('neither blockHash nor blockNumber specified')
}

// ---------------------------------------------------------------- transactions

export interface AccessListItem {
  address: string
  storageKeys: string[]
}

/** The call/transaction object of eth_call, eth_estimateGas and eth_sendTransaction. */
export interface CallRequest {
  from?: string
  /** absent (or null) = contract creation */
  to?: string
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  nonce?: bigint
  /** from "input" or "data" (when both are given they must be equal) */
  data?: Uint8Array
  accessList?: AccessListItem[]
  chainId?: bigint
  type?: number
}

const accessListItem: Validator<AccessListItem> = (v) => {
  if (!isObject(v)) return fail(`cannot unmarshal ${jsonType(v)} into access tuple`)
  return {
    address: inField('address', address, field(v, 'address') ?? fail('missing required field "address"')),
    storageKeys: optionalField(v, 'storageKeys', arrayOf(hashHex, { what: 'storage key' })) ?? [],
  }
}

const accessList = arrayOf(accessListItem, { what: 'access tuple' })

/** geth's TransactionArgs; unknown fields (blobs, authorizationList, …) are ignored. */
export const callObject: Validator<CallRequest> = (v) => {
  if (!isObject(v)) return fail(`cannot unmarshal ${jsonType(v)} into transaction arguments`)
  const out: CallRequest = {}
  const set = <K extends keyof CallRequest>(key: K, value: CallRequest[K] | undefined) => {
    if (value !== undefined) out[key] = value
  }
  set('from', optionalField(v, 'from', address))
  set('to', optionalField(v, 'to', address))
  set('gas', optionalField(v, 'gas', uint64))
  set('gasPrice', optionalField(v, 'gasPrice', quantity))
  set('maxFeePerGas', optionalField(v, 'maxFeePerGas', quantity))
  set('maxPriorityFeePerGas', optionalField(v, 'maxPriorityFeePerGas', quantity))
  set('value', optionalField(v, 'value', quantity))
  set('nonce', optionalField(v, 'nonce', uint64))
  set('accessList', optionalField(v, 'accessList', accessList))
  set('chainId', optionalField(v, 'chainId', quantity))
  set('type', optionalField(v, 'type', quantityAsNumber))
  const input = optionalField(v, 'input', data)
  const legacyData = optionalField(v, 'data', data)
  if (input && legacyData && !bytesEqual(input, legacyData)) {
    fail('both "data" and "input" are set and not equal. Please use "input" to pass transaction call data')
  }
  set('data', input ?? legacyData)
  if (out.gasPrice !== undefined && (out.maxFeePerGas !== undefined || out.maxPriorityFeePerGas !== undefined)) {
    fail('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  return out
}

// ---------------------------------------------------------------- log filters

export interface LogFilter {
  fromBlock?: BlockNumberRef
  toBlock?: BlockNumberRef
  /** exclusive with fromBlock/toBlock */
  blockHash?: Uint8Array
  /** lowercase 0x addresses; empty = any address */
  addresses: string[]
  /** per position: null = any topic, otherwise any of these lowercase 0x hashes */
  topics: (string[] | null)[]
}

export const maxTopics = 4

const topic: Validator<string> = (v) => {
  if (typeof v !== 'string') return nonString(v, 'topic')
  const bytes = data(v)
  if (bytes.length !== 32) fail(`hex has invalid length ${bytes.length} after decoding; expected 32 for topic`)
  return v.toLowerCase()
}

function topicPosition(v: unknown, i: number): string[] | null {
  if (v === null) return null
  try {
    if (typeof v === 'string') return [topic(v)]
    if (!Array.isArray(v)) return fail(`cannot unmarshal ${jsonType(v)} into topic`)
    // a null inside an OR list (or an empty list) matches anything, as in geth
    if (v.length === 0 || v.includes(null)) return null
    return v.map(topic)
  } catch (e) {
    if (e instanceof InvalidParamsError) throw new InvalidParamsError(`invalid topic ${i}: ${e.message}`)
    throw e
  }
}

/** eth_getLogs / eth_newFilter criteria (geth's FilterCriteria). */
export const logFilter: Validator<LogFilter> = (v) => {
  if (!isObject(v)) return fail(`cannot unmarshal ${jsonType(v)} into filter criteria`)
  const blockHash = optionalField(v, 'blockHash', hash)
  const fromBlock = optionalField(v, 'fromBlock', blockNumberOrTag)
  const toBlock = optionalField(v, 'toBlock', blockNumberOrTag)
  if (blockHash && (fromBlock || toBlock)) {
    fail('cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other')
  }
  const out: LogFilter = { addresses: [], topics: [] }
  if (blockHash) out.blockHash = blockHash
  if (fromBlock) out.fromBlock = fromBlock
  if (toBlock) out.toBlock = toBlock

  const rawAddress = field(v, 'address')
  if (typeof rawAddress === 'string') {
    out.addresses = [inField('address', address, rawAddress)]
  } else if (Array.isArray(rawAddress)) {
    out.addresses = arrayOf(address, { what: 'address' })(rawAddress)
  } else if (rawAddress !== undefined) {
    fail('invalid addresses in query')
  }

  const rawTopics = field(v, 'topics')
  if (rawTopics !== undefined) {
    if (!Array.isArray(rawTopics)) fail('invalid topics in query')
    const list = rawTopics as unknown[]
    if (list.length > maxTopics) fail('exceed max topics')
    out.topics = list.map(topicPosition)
  }
  return out
}

// ---------------------------------------------------------------- methods

export interface ParamSpec<T> {
  validate: Validator<T>
  optional: boolean
}

export const required = <T>(validate: Validator<T>): ParamSpec<T> => ({ validate, optional: false })
/** Missing or null → undefined. */
export const optional = <T>(validate: Validator<T>): ParamSpec<T | undefined> => ({ validate, optional: true })

/** The typed params tuple a spec list produces. */
export type ParamsOf<S extends readonly ParamSpec<unknown>[]> = {
  -readonly [K in keyof S]: S[K] extends ParamSpec<infer T> ? T : never
}

/**
 * Builds an RpcMethod from positional param specs, with geth's rules: too many params →
 * "too many arguments, want at most N"; a missing or null required param → "missing value
 * for required argument N"; a bad one → "invalid argument N: <reason>".
 */
export function defineMethod<const S extends readonly ParamSpec<any>[], R>(
  name: string,
  spec: S,
  handler: (params: ParamsOf<S>, ctx: RpcContext) => Promise<R> | R,
): RpcMethod<ParamsOf<S> & unknown[], R> {
  return {
    name,
    params(raw: unknown[]) {
      if (raw.length > spec.length) fail(`too many arguments, want at most ${spec.length}`)
      const out: unknown[] = []
      spec.forEach((p, i) => {
        const v = raw[i]
        if (v === undefined || v === null) {
          if (!p.optional) fail(`missing value for required argument ${i}`)
          out.push(undefined)
          return
        }
        try {
          out.push(p.validate(v))
        } catch (e) {
          if (e instanceof InvalidParamsError) throw new InvalidParamsError(`invalid argument ${i}: ${e.message}`)
          throw e
        }
      })
      return out as ParamsOf<S> & unknown[]
    },
    handler: handler as (params: ParamsOf<S> & unknown[], ctx: RpcContext) => Promise<R> | R,
  }
}
