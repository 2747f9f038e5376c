/**
 * Encrypted key files in the Web3 Secret Storage (Ethereum "v3 keystore") format, the one geth,
 * ethers, MetaMask, MyEtherWallet and Foundry read and write:
 *
 *   {version: 3, id, address, crypto: {cipher: 'aes-128-ctr', cipherparams: {iv}, ciphertext,
 *    kdf: 'scrypt', kdfparams: {dklen: 32, n, r, p, salt}, mac}}
 *
 * derivedKey = scrypt(password, salt) (or PBKDF2-HMAC-SHA256, which other wallets write);
 * ciphertext = AES-128-CTR(derivedKey[0:16], iv, privateKey); mac = keccak256(derivedKey[16:32] ‖
 * ciphertext). We write scrypt only; we read both, with any parameters within the limits below
 * (so a hostile file cannot make us allocate gigabytes or spin for hours).
 *
 * Files are named as geth names them — `UTC--<ISO time, ":" as "-">--<address without 0x>` —
 * created with mode 0600 in a 0700 directory, and never overwritten.
 */
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { scryptAsync as nobleScrypt } from '@noble/hashes/scrypt.js'
import { core } from '../core/index.js'
import { NfcError } from '../util/errors.js'
import { addressOf, publicKeyOf } from './secp256k1.js'

export type KeystoreErrorCode =
  /** the password does not open the file (the MAC does not match) */
  | 'KEYSTORE_WRONG_PASSWORD'
  /** the file is not a v3 keystore, or a field of it is malformed; meta.field names it */
  | 'KEYSTORE_INVALID'
  /** a kdf, cipher or parameter outside what we accept */
  | 'KEYSTORE_UNSUPPORTED'
  /** the key decrypts but is not the key of the address the file names */
  | 'KEYSTORE_ADDRESS_MISMATCH'
  /** a private key that is not a valid secp256k1 scalar */
  | 'KEYSTORE_BAD_KEY'
  /** the target file already exists */
  | 'KEYSTORE_EXISTS'

export class KeystoreError extends NfcError<KeystoreErrorCode> {}

export interface ScryptParams {
  n: number
  r: number
  p: number
}

/**
 * n = 2^17, r = 8, p = 1: what ethers and MetaMask write (128 MiB, ~0.3 s). geth's own
 * "standard" is n = 2^18; both are far past what an attacker can cheaply guess against.
 */
export const SCRYPT_STANDARD: ScryptParams = Object.freeze({ n: 1 << 17, r: 8, p: 1 })
/** n = 2^12: for tests and throwaway devnets only (a few ms per guess). */
export const SCRYPT_LIGHT: ScryptParams = Object.freeze({ n: 1 << 12, r: 8, p: 1 })

/** Decrypting accepts scrypt up to 1 GiB of memory (128·n·r) and this much total work (n·r·p). */
const MAX_SCRYPT_MEM = 1 << 30
const MAX_SCRYPT_WORK = 1 << 25
const MAX_PBKDF2_ROUNDS = 10_000_000

export interface KeystoreV3 {
  version: 3
  id: string
  /** lowercase hex without 0x, as geth writes it */
  address: string
  crypto: {
    cipher: 'aes-128-ctr'
    cipherparams: { iv: string }
    ciphertext: string
    kdf: 'scrypt'
    kdfparams: { dklen: 32; n: number; r: number; p: number; salt: string }
    mac: string
  }
}

export interface DecryptedKey {
  privateKey: Uint8Array
  /** EIP-55 checksummed */
  address: string
}

type Kdf = { kdf: 'scrypt'; salt: Buffer; n: number; r: number; p: number } | { kdf: 'pbkdf2'; salt: Buffer; c: number }

/** The parts of a keystore we need, checked field by field. */
interface ParsedKeystore {
  address?: string
  iv: Buffer
  ciphertext: Buffer
  mac: Buffer
  kdf: Kdf
}

// ---------------------------------------------------------------------------------------------
// addresses

/** EIP-55 checksum of a 20-byte address given as 40 hex digits (with or without 0x). */
export function checksumAddress(hex: string): string {
  const lower = hex.replace(/^0x/i, '').toLowerCase()
  const hash = Buffer.from(core.keccak256(Buffer.from(lower, 'ascii'))).toString('hex')
  let out = '0x'
  for (let i = 0; i < 40; i++) out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!
  return out
}

/** The checksummed address of a private key; KEYSTORE_BAD_KEY for zero, ≥ n, or not 32 bytes. */
export function addressOfKey(privateKey: Uint8Array): string {
  if (privateKey.length !== 32) throw new KeystoreError('KEYSTORE_BAD_KEY', `a private key is 32 bytes, got ${privateKey.length}`)
  let pub: Uint8Array
  try {
    pub = publicKeyOf(privateKey)
  } catch {
    throw new KeystoreError('KEYSTORE_BAD_KEY', 'not a valid secp256k1 private key (zero, or not below the curve order)')
  }
  return checksumAddress(Buffer.from(addressOf(pub)).toString('hex'))
}

/** A private key from hex text (0x optional, surrounding whitespace ignored). */
export function parsePrivateKeyHex(text: string): Uint8Array {
  const s = text.trim().replace(/^0x/i, '')
  if (!/^[0-9a-fA-F]{64}$/.test(s)) {
    throw new KeystoreError(
      'KEYSTORE_BAD_KEY',
      `a private key is 64 hex digits (0x optional), got ${s.length === 0 ? 'nothing' : `${s.length} characters${/[^0-9a-fA-F]/.test(s) ? ' with non-hex ones' : ''}`}`,
    )
  }
  const key = new Uint8Array(Buffer.from(s, 'hex'))
  addressOfKey(key) // range check
  return key
}

// ---------------------------------------------------------------------------------------------
// crypto

async function scryptAsync(password: Buffer, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  // Node's default maxmem (32 MiB) refuses n = 2^17; allow what the parameters need plus slack.
  const maxmem = 128 * p.r * (p.n + p.p + 2) + (16 << 20)
  // OpenSSL enforces RFC 7914's n < 2^(16·r), which files with r = 1 (the Web3 Secret Storage
  // test vector, some wallets) break; noble's scrypt, like geth, does not.
  if (p.r < 4 && p.n >= 2 ** (16 * p.r)) return Buffer.from(await nobleScrypt(password, salt, { N: p.n, r: p.r, p: p.p, dkLen: 32, maxmem }))
  return new Promise((resolve, reject) => scrypt(password, salt, 32, { N: p.n, r: p.r, p: p.p, maxmem }, (e, key) => (e ? reject(e) : resolve(key))))
}

function pbkdf2Async(password: Buffer, salt: Buffer, c: number): Promise<Buffer> {
  return new Promise((resolve, reject) => pbkdf2(password, salt, c, 32, 'sha256', (e, key) => (e ? reject(e) : resolve(key))))
}

function deriveKey(password: Buffer, kdf: Kdf): Promise<Buffer> {
  return kdf.kdf === 'scrypt' ? scryptAsync(password, kdf.salt, kdf) : pbkdf2Async(password, kdf.salt, kdf.c)
}

function macOf(derived: Buffer, ciphertext: Buffer): Buffer {
  return Buffer.from(core.keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])))
}

function aes128ctr(key: Buffer, iv: Buffer, data: Buffer, decrypt: boolean): Buffer {
  const c = decrypt ? createDecipheriv('aes-128-ctr', key, iv) : createCipheriv('aes-128-ctr', key, iv)
  return Buffer.concat([c.update(data), c.final()])
}

function checkScrypt(s: ScryptParams, where = 'crypto.kdfparams'): void {
  const { n, r, p } = s
  for (const [k, v] of Object.entries({ n, r, p })) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new KeystoreError('KEYSTORE_INVALID', `${where}.${k}: expected a positive integer, got ${JSON.stringify(v)}`, { field: `${where}.${k}` })
  }
  if (n < 2 || (n & (n - 1)) !== 0)
    throw new KeystoreError('KEYSTORE_INVALID', `${where}.n: scrypt needs a power of two above 1, got ${n}`, { field: `${where}.n` })
  if (128 * n * r > MAX_SCRYPT_MEM || n * r * p > MAX_SCRYPT_WORK) {
    throw new KeystoreError(
      'KEYSTORE_UNSUPPORTED',
      `${where}: scrypt n=${n} r=${r} p=${p} needs more memory or work than the limit (128·n·r ≤ 1 GiB, n·r·p ≤ 2^25)`,
      { field: where },
    )
  }
}

/** Encrypts a private key into a v3 keystore (scrypt, standard cost unless given). */
export async function encryptKeystore(
  privateKey: Uint8Array,
  password: string,
  opts: { scrypt?: ScryptParams; salt?: Uint8Array; iv?: Uint8Array; id?: string } = {},
): Promise<KeystoreV3> {
  const address = addressOfKey(privateKey)
  const params = opts.scrypt ?? SCRYPT_STANDARD
  checkScrypt(params, 'scrypt')
  const salt = Buffer.from(opts.salt ?? randomBytes(32))
  const iv = Buffer.from(opts.iv ?? randomBytes(16))
  if (iv.length !== 16) throw new KeystoreError('KEYSTORE_INVALID', `iv: 16 bytes, got ${iv.length}`)
  const derived = await scryptAsync(Buffer.from(password, 'utf8'), salt, params)
  const ciphertext = aes128ctr(derived.subarray(0, 16), iv, Buffer.from(privateKey), false)
  return {
    version: 3,
    id: opts.id ?? randomUUID(),
    address: address.slice(2).toLowerCase(),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: iv.toString('hex') },
      ciphertext: ciphertext.toString('hex'),
      kdf: 'scrypt',
      kdfparams: { dklen: 32, n: params.n, r: params.r, p: params.p, salt: salt.toString('hex') },
      mac: macOf(derived, ciphertext).toString('hex'),
    },
  }
}

// ---------------------------------------------------------------------------------------------
// parsing

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function invalid(field: string, message: string): never {
  throw new KeystoreError('KEYSTORE_INVALID', `${field}: ${message}`, { field })
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`
}

function hexField(v: unknown, field: string, bytes?: number): Buffer {
  if (typeof v !== 'string') invalid(field, `expected a hex string, got ${describe(v)}`)
  const s = v.replace(/^0x/i, '')
  if (!/^[0-9a-fA-F]*$/.test(s) || s.length % 2 !== 0) invalid(field, `not valid hex (${describe(v)})`)
  if (bytes !== undefined && s.length !== bytes * 2) invalid(field, `expected ${bytes} bytes (${bytes * 2} hex digits), got ${s.length / 2}`)
  if (s.length === 0) invalid(field, 'empty')
  return Buffer.from(s, 'hex')
}

function intField(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) invalid(field, `expected a positive integer, got ${describe(v)}`)
  return v
}

/** Checks the shape of a keystore document; every error names the offending field. */
function parseKeystore(json: unknown): ParsedKeystore {
  if (!isObj(json)) invalid('(top level)', `expected a JSON object, got ${describe(json)}`)
  if (json.version !== 3) {
    invalid(
      'version',
      json.version === undefined ? 'missing; a v3 keystore has "version": 3' : `only version 3 keystores are supported, got ${describe(json.version)}`,
    )
  }
  // Some old wallets (MyEtherWallet) wrote "Crypto".
  const cKey = json.crypto !== undefined ? 'crypto' : json.Crypto !== undefined ? 'Crypto' : 'crypto'
  const c = json[cKey]
  if (!isObj(c)) invalid('crypto', `expected an object, got ${describe(c)}`)
  if (c.cipher !== 'aes-128-ctr') {
    if (typeof c.cipher !== 'string') invalid(`${cKey}.cipher`, `expected "aes-128-ctr", got ${describe(c.cipher)}`)
    throw new KeystoreError('KEYSTORE_UNSUPPORTED', `${cKey}.cipher: only aes-128-ctr is supported, got "${c.cipher}"`, { field: `${cKey}.cipher` })
  }
  if (!isObj(c.cipherparams)) invalid(`${cKey}.cipherparams`, `expected an object with "iv", got ${describe(c.cipherparams)}`)
  const iv = hexField(c.cipherparams.iv, `${cKey}.cipherparams.iv`, 16)
  const ciphertext = hexField(c.ciphertext, `${cKey}.ciphertext`, 32)
  const mac = hexField(c.mac, `${cKey}.mac`, 32)
  const kp = c.kdfparams
  const kpField = `${cKey}.kdfparams`
  if (!isObj(kp)) invalid(kpField, `expected an object, got ${describe(kp)}`)
  if (kp.dklen !== 32) invalid(`${kpField}.dklen`, `expected 32, got ${describe(kp.dklen)}`)
  const salt = hexField(kp.salt, `${kpField}.salt`)
  let kdf: Kdf
  if (c.kdf === 'scrypt') {
    const s = { n: intField(kp.n, `${kpField}.n`), r: intField(kp.r, `${kpField}.r`), p: intField(kp.p, `${kpField}.p`) }
    checkScrypt(s, kpField)
    kdf = { kdf: 'scrypt', salt, ...s }
  } else if (c.kdf === 'pbkdf2') {
    if (kp.prf !== 'hmac-sha256') {
      throw new KeystoreError('KEYSTORE_UNSUPPORTED', `${kpField}.prf: only hmac-sha256 is supported, got ${describe(kp.prf)}`, { field: `${kpField}.prf` })
    }
    const rounds = intField(kp.c, `${kpField}.c`)
    if (rounds > MAX_PBKDF2_ROUNDS) {
      throw new KeystoreError('KEYSTORE_UNSUPPORTED', `${kpField}.c: ${rounds} rounds is above the limit of ${MAX_PBKDF2_ROUNDS}`, { field: `${kpField}.c` })
    }
    kdf = { kdf: 'pbkdf2', salt, c: rounds }
  } else if (typeof c.kdf === 'string') {
    throw new KeystoreError('KEYSTORE_UNSUPPORTED', `${cKey}.kdf: "${c.kdf}" is not supported; expected "scrypt" or "pbkdf2"`, { field: `${cKey}.kdf` })
  } else invalid(`${cKey}.kdf`, `expected "scrypt" or "pbkdf2", got ${describe(c.kdf)}`)
  let address: string | undefined
  if (json.address !== undefined) {
    if (typeof json.address !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(json.address)) {
      invalid('address', `expected 40 hex digits (0x optional), got ${describe(json.address)}`)
    }
    address = checksumAddress(json.address)
  }
  return { address, iv, ciphertext, mac, kdf }
}

/** Parses keystore text; a syntax error is reported as such (KEYSTORE_INVALID, field "(json)"). */
export function parseKeystoreText(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (e) {
    throw new KeystoreError('KEYSTORE_INVALID', `not valid JSON: ${(e as Error).message}`, { field: '(json)' })
  }
}

/** The address a keystore names (checksummed), without decrypting it; undefined when it names none. */
export function keystoreAddress(json: unknown): string | undefined {
  return parseKeystore(json).address
}

/**
 * Decrypts a v3 keystore (a parsed object or its JSON text). Wrong password →
 * KEYSTORE_WRONG_PASSWORD "wrong password (MAC mismatch)"; malformed → KEYSTORE_INVALID naming
 * the field; a key not matching the file's address → KEYSTORE_ADDRESS_MISMATCH.
 */
export async function decryptKeystore(json: unknown, password: string): Promise<DecryptedKey> {
  const ks = parseKeystore(typeof json === 'string' ? parseKeystoreText(json) : json)
  // geth uses the password's bytes as given, ethers normalises it to NFKC first: try both.
  const candidates = [password, password.normalize('NFKC')].filter((p, i, a) => a.indexOf(p) === i)
  let derived: Buffer | undefined
  for (const pw of candidates) {
    const d = await deriveKey(Buffer.from(pw, 'utf8'), ks.kdf)
    if (timingSafeEqual(macOf(d, ks.ciphertext), ks.mac)) {
      derived = d
      break
    }
  }
  if (derived === undefined) throw new KeystoreError('KEYSTORE_WRONG_PASSWORD', 'wrong password (MAC mismatch)')
  const privateKey = new Uint8Array(aes128ctr(derived.subarray(0, 16), ks.iv, ks.ciphertext, true))
  const address = addressOfKey(privateKey)
  if (ks.address !== undefined && ks.address.toLowerCase() !== address.toLowerCase()) {
    throw new KeystoreError('KEYSTORE_ADDRESS_MISMATCH', `address: the file names ${ks.address} but its key belongs to ${address}`, { field: 'address' })
  }
  return { privateKey, address }
}

// ---------------------------------------------------------------------------------------------
// files

/** geth's name: `UTC--2024-01-02T03-04-05.678000000Z--<address without 0x, lowercase>`. */
export function keystoreFileName(address: string, when: Date = new Date()): string {
  const iso = when
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.(\d{3})Z$/, '.$1000000Z')
  return `UTC--${iso}--${address.replace(/^0x/i, '').toLowerCase()}`
}

/** Writes `ks` as a new file in `dir` (created 0700 if missing), mode 0600; never overwrites. */
export function writeKeystoreFile(dir: string, ks: KeystoreV3 | unknown, address: string, when: Date = new Date()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, keystoreFileName(address, when))
  writeNewFile(file, `${JSON.stringify(ks)}\n`)
  return file
}

/** Creates `file` with `text`, mode 0600; KEYSTORE_EXISTS if it is already there. */
export function writeNewFile(file: string, text: string): void {
  try {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new KeystoreError('KEYSTORE_EXISTS', `${file} exists; not overwriting it`, { file })
    throw e
  }
}

export interface KeystoreEntry {
  file: string
  /** checksummed; undefined when the file could not be read (see `error`) */
  address?: string
  json?: unknown
  error?: string
}

/**
 * Every regular file of `dir` that is not hidden, sorted by name (geth's names sort by time), with
 * its address or why it could not be read. A missing directory is an empty keystore.
 */
export function readKeystoreDir(dir: string): KeystoreEntry[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  const out: KeystoreEntry[] = []
  for (const name of names.sort()) {
    if (name.startsWith('.') || name.endsWith('~')) continue
    const file = join(dir, name)
    try {
      if (!statSync(file).isFile()) continue
      const json = parseKeystoreText(readFileSync(file, 'utf8'))
      const address = keystoreAddress(json)
      if (address === undefined) out.push({ file, json, error: 'names no address (decrypt it to learn its address)' })
      else out.push({ file, json, address })
    } catch (e) {
      out.push({ file, error: (e as Error).message })
    }
  }
  return out
}
