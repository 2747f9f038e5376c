/**
 * A small, strict Solidity ABI codec for the native system contracts: exactly the types they use
 * (uintN, intN, address, bool, bytes32, string, bytes, T[] of a static T, static tuples).
 *
 * Decoding accepts what Solidity's ABI coder v2 accepts and nothing more — so a contract that
 * calls a system contract through its Solidity interface always gets through, and anything else
 * is refused with AbiError (the contracts turn it into the revert "invalid calldata"):
 *  - every head word and every offset / length must lie inside the data (no reading past the end);
 *  - offsets and lengths must fit in 32 bits (no huge allocations from a hostile length);
 *  - address / uintN / intN words must be clean: no dirty high bits (sign-extended for intN);
 *  - bool is 0 or 1; string must be valid UTF-8 (it is stored as its UTF-8 bytes).
 * Trailing bytes after the encoded arguments are ignored, as Solidity does.
 *
 * Values: uint/int → bigint, address → lowercase 0x-hex string, bool → boolean, bytes/bytes32 →
 * Uint8Array, string → string, arrays and tuples → arrays. Type strings are checked at the type
 * level too (`ValuesOf<['address', 'uint256']>` = `[string, bigint]`).
 */
import { bigIntToBytes, bytesToBigInt, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { core } from '../../core/index.js'
import { concatList } from '../../util/bytes.js'

export class AbiError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AbiError'
  }
}

export type AbiType =
  | { kind: 'uint'; bits: number }
  | { kind: 'int'; bits: number }
  | { kind: 'address' }
  | { kind: 'bool' }
  | { kind: 'bytes32' }
  | { kind: 'bytes' }
  | { kind: 'string' }
  | { kind: 'array'; item: AbiType }
  | { kind: 'tuple'; items: AbiType[] }

export type AbiValue = bigint | boolean | string | Uint8Array | readonly AbiValue[]

/** The TypeScript value of an ABI type string. */
export type ValueOf<T extends string> = T extends `${infer I}[]`
  ? ValueOf<I>[]
  : T extends `(${string})`
    ? AbiValue[]
    : T extends 'address' | 'string'
      ? string
      : T extends 'bool'
        ? boolean
        : T extends 'bytes' | 'bytes32'
          ? Uint8Array
          : T extends `uint${string}` | `int${string}`
            ? bigint
            : never

export type ValuesOf<T extends readonly string[]> = { -readonly [K in keyof T]: ValueOf<T[K]> }

const WORD = 32
const TWO_256 = 1n << 256n
const MAX_OFFSET = 0xffff_ffffn
const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true })

const parsed = new Map<string, AbiType>()

/** Parses a canonical type string: `uint16`, `address[]`, `(uint256,address)`, … */
export function parseType(s: string): AbiType {
  let t = parsed.get(s)
  if (t === undefined) {
    t = parseUncached(s)
    parsed.set(s, t)
  }
  return t
}

function parseUncached(s: string): AbiType {
  if (s.endsWith('[]')) {
    return { kind: 'array', item: parseType(s.slice(0, -2)) }
  }
  if (s.startsWith('(') && s.endsWith(')')) {
    const items = splitTuple(s.slice(1, -1)).map(parseType)
    if (items.some(isDynamic)) throw new TypeError(`unsupported ABI type ${s}: only static tuples`)
    return { kind: 'tuple', items }
  }
  if (s === 'address' || s === 'bool' || s === 'bytes' || s === 'string' || s === 'bytes32') return { kind: s }
  const m = /^(u?)int(\d+)$/.exec(s)
  if (m !== null) {
    const bits = Number(m[2])
    if (bits % 8 !== 0 || bits < 8 || bits > 256) throw new TypeError(`bad ABI type ${s}`)
    return { kind: m[1] === 'u' ? 'uint' : 'int', bits }
  }
  throw new TypeError(`unsupported ABI type ${s}`)
}

function splitTuple(inner: string): string[] {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === ',' && depth === 0) {
      out.push(inner.slice(start, i))
      start = i + 1
    }
  }
  if (inner.length > 0) out.push(inner.slice(start))
  return out
}

export function isDynamic(t: AbiType): boolean {
  return t.kind === 'bytes' || t.kind === 'string' || t.kind === 'array'
}

/** Size of the head of a static type, in bytes. */
function headSize(t: AbiType): number {
  return t.kind === 'tuple' ? t.items.reduce((n, i) => n + headSize(i), 0) : WORD
}

// --- selectors and signatures -----------------------------------------------------------------

/** The first 4 bytes of keccak256(signature). */
export function selectorOf(signature: string): Uint8Array {
  return core.keccak256(utf8.encode(signature)).subarray(0, 4)
}

/** keccak256(signature): topic 0 of an event. */
export function topicOf(signature: string): Uint8Array {
  return core.keccak256(utf8.encode(signature))
}

export function signatureOf(name: string, types: readonly string[]): string {
  return `${name}(${types.join(',')})`
}

// --- encoding ---------------------------------------------------------------------------------

function word(v: bigint): Uint8Array {
  return setLengthLeft(bigIntToBytes(v), WORD)
}

function encodeStatic(t: AbiType, v: AbiValue): Uint8Array {
  switch (t.kind) {
    case 'uint': {
      if (typeof v !== 'bigint' || v < 0n || v >= 1n << BigInt(t.bits)) throw new TypeError(`value out of range for uint${t.bits}`)
      return word(v)
    }
    case 'int': {
      const half = 1n << BigInt(t.bits - 1)
      if (typeof v !== 'bigint' || v < -half || v >= half) throw new TypeError(`value out of range for int${t.bits}`)
      return word(v < 0n ? v + TWO_256 : v)
    }
    case 'address': {
      if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new TypeError(`not an address: ${String(v)}`)
      return word(BigInt(v))
    }
    case 'bool':
      if (typeof v !== 'boolean') throw new TypeError('not a bool')
      return word(v ? 1n : 0n)
    case 'bytes32': {
      if (!(v instanceof Uint8Array) || v.length !== WORD) throw new TypeError('not 32 bytes')
      return Uint8Array.from(v)
    }
    case 'tuple': {
      if (!Array.isArray(v) || v.length !== t.items.length) throw new TypeError('tuple arity')
      return concat(t.items.map((it, i) => encodeStatic(it, (v as readonly AbiValue[])[i]!)))
    }
    default:
      throw new TypeError(`${t.kind} is dynamic`)
  }
}

function encodeDynamic(t: AbiType, v: AbiValue): Uint8Array {
  if (t.kind === 'bytes' || t.kind === 'string') {
    let b: Uint8Array
    if (t.kind === 'string') {
      if (typeof v !== 'string') throw new TypeError('not a string')
      b = utf8.encode(v)
    } else {
      if (!(v instanceof Uint8Array)) throw new TypeError('not bytes')
      b = v
    }
    const padded = new Uint8Array(Math.ceil(b.length / WORD) * WORD)
    padded.set(b)
    return concat([word(BigInt(b.length)), padded])
  }
  if (t.kind === 'array') {
    if (!Array.isArray(v)) throw new TypeError('not an array')
    const items = v as readonly AbiValue[]
    if (!isDynamic(t.item)) return concat([word(BigInt(items.length)), ...items.map((x) => encodeStatic(t.item, x))])
    // items of a dynamic type (bytes[], bytes32[][]): a head of offsets from the first head word, then the items
    const tails = items.map((x) => encodeDynamic(t.item, x))
    const heads: Uint8Array[] = []
    let offset = items.length * WORD
    for (const tail of tails) {
      heads.push(word(BigInt(offset)))
      offset += tail.length
    }
    return concat([word(BigInt(items.length)), ...heads, ...tails])
  }
  throw new TypeError(`${t.kind} is static`)
}

/** abi.encode(values) for the given type strings. */
export function encode<T extends readonly string[]>(types: T, values: ValuesOf<T>): Uint8Array
export function encode(types: readonly string[], values: readonly AbiValue[]): Uint8Array
export function encode(types: readonly string[], values: readonly AbiValue[]): Uint8Array {
  if (types.length !== values.length) throw new TypeError(`want ${types.length} values, got ${values.length}`)
  const ts = types.map(parseType)
  const headLen = ts.reduce((n, t) => n + (isDynamic(t) ? WORD : headSize(t)), 0)
  const heads: Uint8Array[] = []
  const tails: Uint8Array[] = []
  let tailLen = 0
  ts.forEach((t, i) => {
    if (isDynamic(t)) {
      heads.push(word(BigInt(headLen + tailLen)))
      const tail = encodeDynamic(t, values[i]!)
      tails.push(tail)
      tailLen += tail.length
    } else {
      heads.push(encodeStatic(t, values[i]!))
    }
  })
  return concat([...heads, ...tails])
}

/** concatBytes over a list (an ABI array can hold more parts than a call may take arguments) */
const concat = concatList

/** The data of a call: selector(signature) ‖ the arguments ABI-encoded as the signature's types. */
export function encodeCall(signature: string, values: readonly AbiValue[]): Uint8Array {
  const open = signature.indexOf('(')
  if (open < 1 || !signature.endsWith(')')) throw new TypeError(`not a function signature: "${signature}"`)
  return concat([selectorOf(signature), encode(splitTuple(signature.slice(open + 1, -1)), values)])
}

/** The revert data of `revert(reason)`: Error(string). */
export const ERROR_SELECTOR = selectorOf('Error(string)')
export function encodeError(reason: string): Uint8Array {
  return concat([ERROR_SELECTOR, encode(['string'] as const, [reason])])
}

// --- decoding ---------------------------------------------------------------------------------

function readWord(data: Uint8Array, at: number): bigint {
  if (at < 0 || at + WORD > data.length) throw new AbiError('data too short')
  return bytesToBigInt(data.subarray(at, at + WORD))
}

function readOffset(data: Uint8Array, at: number): number {
  const v = readWord(data, at)
  if (v > MAX_OFFSET) throw new AbiError('offset or length too large')
  return Number(v)
}

function decodeStatic(t: AbiType, data: Uint8Array, at: number): AbiValue {
  switch (t.kind) {
    case 'uint': {
      const v = readWord(data, at)
      if (v >> BigInt(t.bits) !== 0n) throw new AbiError(`dirty uint${t.bits}`)
      return v
    }
    case 'int': {
      const raw = readWord(data, at)
      const v = raw >= 1n << 255n ? raw - TWO_256 : raw
      const half = 1n << BigInt(t.bits - 1)
      if (v < -half || v >= half) throw new AbiError(`dirty int${t.bits}`)
      return v
    }
    case 'address': {
      const v = readWord(data, at)
      if (v >> 160n !== 0n) throw new AbiError('dirty address')
      return bytesToHex(data.subarray(at + 12, at + WORD))
    }
    case 'bool': {
      const v = readWord(data, at)
      if (v > 1n) throw new AbiError('dirty bool')
      return v === 1n
    }
    case 'bytes32':
      readWord(data, at)
      return data.slice(at, at + WORD)
    case 'tuple': {
      const out: AbiValue[] = []
      let o = at
      for (const it of t.items) {
        out.push(decodeStatic(it, data, o))
        o += headSize(it)
      }
      return out
    }
    default:
      throw new TypeError(`${t.kind} is dynamic`)
  }
}

/** Decodes a dynamic value whose encoding starts at `start` (the offset is relative to `base`). */
function decodeDynamic(t: AbiType, data: Uint8Array, start: number): AbiValue {
  const len = readOffset(data, start)
  const body = start + WORD
  if (t.kind === 'bytes' || t.kind === 'string') {
    if (body + len > data.length) throw new AbiError('data too short')
    const b = data.slice(body, body + len)
    if (t.kind === 'bytes') return b
    try {
      return utf8Strict.decode(b)
    } catch {
      throw new AbiError('string is not UTF-8')
    }
  }
  if (t.kind === 'array' && isDynamic(t.item)) {
    if (body + len * WORD > data.length) throw new AbiError('data too short')
    const out: AbiValue[] = []
    for (let i = 0; i < len; i++) out.push(decodeDynamic(t.item, data, body + readOffset(data, body + i * WORD)))
    return out
  }
  if (t.kind === 'array') {
    const size = headSize(t.item)
    if (body + len * size > data.length) throw new AbiError('data too short')
    const out: AbiValue[] = []
    for (let i = 0; i < len; i++) out.push(decodeStatic(t.item, data, body + i * size))
    return out
  }
  throw new TypeError(`${t.kind} is static`)
}

/** abi.decode(data, types); throws AbiError on anything Solidity's decoder would refuse. */
export function decode<T extends readonly string[]>(types: T, data: Uint8Array): ValuesOf<T>
export function decode(types: readonly string[], data: Uint8Array): AbiValue[]
export function decode(types: readonly string[], data: Uint8Array): AbiValue[] {
  const out: AbiValue[] = []
  let at = 0
  for (const s of types) {
    const t = parseType(s)
    if (isDynamic(t)) {
      const offset = readOffset(data, at)
      out.push(decodeDynamic(t, data, offset))
      at += WORD
    } else {
      out.push(decodeStatic(t, data, at))
      at += headSize(t)
    }
  }
  return out
}
