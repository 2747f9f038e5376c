/**
 * secp256k1 for the node: sender recovery is the hot path (DESIGN §3, §8), so it runs on
 * bitcoin-core's libsecp256k1 through the prebuilt N-API binary of the `secp256k1` npm package
 * (~20× @noble/curves). If that binary cannot load we fall back to @noble/curves, warn once,
 * and report it in `secpBackend`. Every function here gives the same answer on either backend.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { isMainThread } from 'node:worker_threads'
import type { CustomCrypto } from '@ethereumjs/common'
import { EthereumJSErrorWithoutCode, calculateSigRecovery, ecrecover as utilEcrecover, setLengthLeft } from '@ethereumjs/util'
import { secp256k1 as noble } from '@noble/curves/secp256k1.js'
import { core } from '../core/index.js'
import { createLogger } from '../util/logger.js'
import { CryptoError } from './errors.js'

/** The part of secp256k1-node's (v5) validated wrapper that we use. It throws on bad input. */
interface NativeSecp256k1 {
  publicKeyCreate(seckey: Uint8Array, compressed?: boolean, output?: Uint8Array): Uint8Array
  ecdsaSign(
    msg32: Uint8Array,
    seckey: Uint8Array,
    options?: { data?: Uint8Array },
    output?: Uint8Array,
    // a fresh Uint8Array over a plain ArrayBuffer when no output is passed
  ): { signature: Uint8Array<ArrayBuffer>; recid: number }
  ecdsaRecover(sig64: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean, output?: Uint8Array): Uint8Array
}

export type SecpBackend = 'native' | 'noble'

/** secp256k1 group order n, big-endian. */
const N_BYTES = Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'))
/** 1·G compressed: the self-test that proves the loaded binary computes the right curve. */
const G_COMPRESSED = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'

function loadNative(): NativeSecp256k1 | null {
  // Escape hatch for tests and for ruling the binary out when debugging.
  if (process.env.NFC_SECP256K1 === 'noble') return null
  try {
    const require = createRequire(import.meta.url)
    // `secp256k1/bindings`, never `secp256k1`: the package index silently falls back to
    // elliptic.js (slower than noble) when the addon is missing; we want to know instead.
    const lib = require('secp256k1/bindings') as NativeSecp256k1
    const one = new Uint8Array(32)
    one[31] = 1
    if (Buffer.from(lib.publicKeyCreate(one, true)).toString('hex') !== G_COMPRESSED) {
      throw new Error('native secp256k1 self-test failed')
    }
    return lib
  } catch (e) {
    // Workers load this module too; one warning from the main thread is enough.
    if (isMainThread) {
      createLogger({ module: 'crypto' }).warn('native libsecp256k1 unavailable, using @noble/curves (sender recovery ~20x slower)', {
        error: e instanceof Error ? e.message : String(e),
      })
    }
    return null
  }
}

const native = loadNative()
export const secpBackend: SecpBackend = native ? 'native' : 'noble'

// Scratch buffers: all calls below are synchronous, so one set per thread is safe and saves
// three allocations per recovery.
const sigScratch = new Uint8Array(64)
const msgScratch = new Uint8Array(32)
const pubScratch = new Uint8Array(65)

/** a ≥ n for a 32-byte big-endian scalar */
function geOrder(a: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    if (a[i] !== N_BYTES[i]) return a[i]! > N_BYTES[i]!
  }
  return true
}

function assertLen(name: string, b: Uint8Array, len: number): void {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    throw new CryptoError('CRYPTO_BAD_INPUT', `${name} must be a ${len}-byte Uint8Array`, {
      length: b instanceof Uint8Array ? b.length : typeof b,
    })
  }
}

function recoverNoble(msgHash: Uint8Array, r: Uint8Array, s: Uint8Array, recid: number): Uint8Array | null {
  try {
    sigScratch.set(r, 0)
    sigScratch.set(s, 32)
    const sig = noble.Signature.fromBytes(sigScratch, 'compact').addRecoveryBit(recid)
    return sig.recoverPublicKey(msgHash).toBytes(false).slice(1)
  } catch {
    return null
  }
}

/**
 * Recovers into `out[outOffset .. outOffset+64]` without allocating; returns false (out untouched)
 * for an invalid signature. Inputs are copied first, so they may be views of a SharedArrayBuffer.
 * Used by the pool workers; callers have checked lengths and recid ∈ 0..3.
 */
export function recoverInto(msgHash: Uint8Array, r: Uint8Array, s: Uint8Array, recid: number, out: Uint8Array, outOffset: number): boolean {
  if (native === null) {
    const pub = recoverNoble(msgHash, r, s, recid)
    if (pub === null) return false
    out.set(pub, outOffset)
    return true
  }
  sigScratch.set(r, 0)
  sigScratch.set(s, 32)
  msgScratch.set(msgHash)
  try {
    // libsecp256k1 rejects r or s ≥ n at parse, r or s = 0, x with no curve point and Q = ∞,
    // exactly the cases noble rejects; both reduce the hash mod n.
    native.ecdsaRecover(sigScratch, recid, msgScratch, false, pubScratch)
  } catch {
    return false
  }
  out.set(pubScratch.subarray(1), outOffset)
  return true
}

/**
 * Public key (64 bytes, uncompressed without the 0x04 prefix) that produced signature (r, s)
 * with recovery id `recid` over the 32-byte `msgHash`; null when the signature is invalid
 * (r or s zero or ≥ n, r not an x coordinate, recid not 0..3). Wrong lengths throw
 * CRYPTO_BAD_INPUT: that is a caller bug, not a bad signature.
 */
export function recoverPublicKey(msgHash: Uint8Array, r: Uint8Array, s: Uint8Array, recid: number): Uint8Array | null {
  assertLen('msgHash', msgHash, 32)
  assertLen('r', r, 32)
  assertLen('s', s, 32)
  if (recid !== 0 && recid !== 1 && recid !== 2 && recid !== 3) return null
  if (native === null) return recoverNoble(msgHash, r, s, recid)
  const out = new Uint8Array(64)
  return recoverInto(msgHash, r, s, recid, out, 0) ? out : null
}

/**
 * Drop-in for `@ethereumjs/util`'s `ecrecover` (and `CustomCrypto.ecrecover`): v is 27/28,
 * 0/1, or 35 + 2·chainId + recid when chainId is given; r and s are left-padded to 32 bytes
 * (longer throws, as util does). Throws 'Invalid signature v value' for a bad v and an
 * EthereumJSError for an invalid signature (util lets noble's Error through; every caller
 * — tx sender recovery, the 0x01 precompile — only catches, never inspects the message).
 */
export function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  // Same order of checks as util: padding errors first, then v.
  const r32 = setLengthLeft(r, 32)
  const s32 = setLengthLeft(s, 32)
  const recovery = calculateSigRecovery(v, chainId)
  if (recovery !== 0n && recovery !== 1n) {
    throw EthereumJSErrorWithoutCode('Invalid signature v value')
  }
  // Non-32-byte hashes never occur in Ethereum, but noble accepts them (bits2int), so hand
  // them, and everything when the binary is missing, to util itself for identical behaviour.
  if (native === null || !(msgHash instanceof Uint8Array) || msgHash.length !== 32) {
    return utilEcrecover(msgHash, v, r, s, chainId)
  }
  const out = new Uint8Array(64)
  if (!recoverInto(msgHash, r32, s32, Number(recovery), out, 0)) {
    throw EthereumJSErrorWithoutCode('Invalid signature')
  }
  return out
}

type NobleSignOpts = NonNullable<Parameters<typeof noble.sign>[2]>

/**
 * Drop-in for `CustomCrypto.ecsign` (= noble's `secp256k1.sign`), as @ethereumjs/tx calls it:
 * `{ prehash: false, format: 'recovered', extraEntropy }`. Native for that shape, byte-identical
 * to noble (both RFC 6979 with the optional 32-byte k' appended to the seed, both low-s);
 * every other option combination goes to noble unchanged.
 */
export const ecsign: typeof noble.sign = (message, secretKey, opts: NobleSignOpts = {}) => {
  const ent = opts.extraEntropy ?? false
  if (
    native !== null &&
    opts.prehash === false &&
    (opts.lowS ?? true) === true &&
    (opts.format === undefined || opts.format === 'compact' || opts.format === 'recovered') &&
    message instanceof Uint8Array &&
    message.length === 32 &&
    // this libsecp256k1 seeds RFC 6979 with the raw hash, noble with hash mod n: they
    // differ only for hashes ≥ n, so leave those to noble
    !geOrder(message) &&
    secretKey instanceof Uint8Array &&
    secretKey.length === 32 &&
    (ent === false || ent === true || (ent instanceof Uint8Array && ent.length === 32))
  ) {
    const data = ent === true ? new Uint8Array(randomBytes(32)) : ent === false ? undefined : ent
    let res: { signature: Uint8Array<ArrayBuffer>; recid: number }
    try {
      res = native.ecdsaSign(message, secretKey, data ? { data } : {})
    } catch {
      // invalid key: let noble throw its usual error
      return noble.sign(message, secretKey, opts)
    }
    if (opts.format !== 'recovered') return res.signature
    const out = new Uint8Array(65)
    out[0] = res.recid
    out.set(res.signature, 1)
    return out
  }
  return noble.sign(message, secretKey, opts)
}

/** Deterministic (RFC 6979) low-s signature of a 32-byte hash. */
export function sign(msgHash: Uint8Array, privateKey: Uint8Array): { r: Uint8Array; s: Uint8Array; recovery: 0 | 1 } {
  assertLen('msgHash', msgHash, 32)
  assertLen('privateKey', privateKey, 32)
  let sig: Uint8Array
  try {
    sig = ecsign(msgHash, privateKey, { prehash: false, format: 'recovered' })
  } catch (e) {
    throw new CryptoError('CRYPTO_BAD_INPUT', 'invalid private key', {
      error: e instanceof Error ? e.message : String(e),
    })
  }
  // recovery 2/3 (R.x ≥ n) has probability ~2^-128; Ethereum cannot encode it anyway
  return { r: sig.slice(1, 33), s: sig.slice(33, 65), recovery: (sig[0]! & 1) as 0 | 1 }
}

/** 64-byte uncompressed public key (no 0x04 prefix) of a 32-byte private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  assertLen('privateKey', privateKey, 32)
  try {
    return native !== null ? native.publicKeyCreate(privateKey, false).slice(1) : noble.getPublicKey(privateKey, false).slice(1)
  } catch (e) {
    throw new CryptoError('CRYPTO_BAD_INPUT', 'invalid private key', {
      error: e instanceof Error ? e.message : String(e),
    })
  }
}

/** Ethereum address: last 20 bytes of keccak256 of the 64-byte public key (0x04 form accepted). */
export function addressOf(publicKey: Uint8Array): Uint8Array {
  const pub = publicKey.length === 65 && publicKey[0] === 4 ? publicKey.subarray(1) : publicKey
  assertLen('publicKey', pub, 64)
  // the WASM keccak: 0.6 µs for 64 bytes against noble's 4.9 (an address per recovered sender)
  return core.keccak256(pub).slice(12)
}

/**
 * Ready to spread into `customCrypto`. No `ecdsaRecover`: nothing in @ethereumjs v10 calls it
 * (the 0x01 precompile and tx sender recovery both call `ecrecover`), and its return format
 * is undocumented, so a guess could only ever be wrong.
 */
export const ecrecoverCustomCrypto = {
  ecrecover,
  ecsign,
} satisfies Pick<CustomCrypto, 'ecrecover' | 'ecsign'>
