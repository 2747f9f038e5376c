/**
 * The node's P2P identity: an ed25519 key. The node id is the lowercase hex of the 32-byte
 * public key (no 0x), so a peer's id is also the key its handshake signature verifies with.
 *
 * Key file: the 32-byte private seed as 64 hex characters and a newline, mode 0600. Loading
 * refuses a file that group or others can read, as ssh does: a leaked key lets anyone
 * impersonate the node (and its score) on the network.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { P2pError, P2pErrorCode } from './framing.js'

// DER wrappers of raw ed25519 keys (RFC 8410): node:crypto imports keys only in DER/PEM/JWK
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface NodeIdentity {
  /** hex of publicKey */
  readonly nodeId: string
  readonly publicKey: Uint8Array
  /** ed25519 signature (64 bytes) of data */
  sign(data: Uint8Array): Uint8Array
  /** the 32-byte private seed, for saving */
  exportSeed(): Uint8Array
}

function fromPrivateKey(key: KeyObject): NodeIdentity {
  const der = key.export({ format: 'der', type: 'pkcs8' })
  const seed = new Uint8Array(der.subarray(der.length - 32))
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32))
  return {
    nodeId: Buffer.from(publicKey).toString('hex'),
    publicKey,
    sign: (data) => new Uint8Array(sign(null, data, key)),
    exportSeed: () => seed.slice(),
  }
}

export function generateIdentity(): NodeIdentity {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey)
}

export function identityFromSeed(seed: Uint8Array): NodeIdentity {
  if (seed.length !== 32) throw new P2pError(P2pErrorCode.BadKey, 'an ed25519 seed is 32 bytes', { length: seed.length })
  return fromPrivateKey(createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }))
}

/** verify an ed25519 signature by a 32-byte public key; false (never a throw) on any bad input */
export function verifySignature(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
    return verify(null, data, key, signature)
  } catch {
    return false
  }
}

export function isNodeId(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s)
}

/** write the key file with mode 0600 (atomically: temp file, then rename) */
export function saveIdentity(path: string, id: NodeIdentity): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.tmp-${process.pid}`
  // mode applies only when the file is created; chmod covers a leftover temp file
  writeFileSync(tmp, Buffer.from(id.exportSeed()).toString('hex') + '\n', { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}

export function loadIdentity(path: string): NodeIdentity {
  let text: string
  try {
    if (process.platform !== 'win32') {
      const mode = statSync(path).mode & 0o777
      if (mode & 0o077) {
        throw new P2pError(P2pErrorCode.BadKey, `node key ${path} is accessible by others (mode ${mode.toString(8)}); run chmod 600 on it`, {
          path,
          mode: mode.toString(8),
        })
      }
    }
    text = readFileSync(path, 'utf8').trim()
  } catch (e) {
    if (e instanceof P2pError) throw e
    throw new P2pError(P2pErrorCode.BadKey, `cannot read node key ${path}: ${(e as Error).message}`, { path })
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new P2pError(P2pErrorCode.BadKey, `node key ${path} is not 64 hex characters`, { path })
  }
  return identityFromSeed(Buffer.from(text, 'hex'))
}

/** load the key at path, or create and save a new one if there is no file */
export function loadOrCreateIdentity(path: string): { identity: NodeIdentity; created: boolean } {
  try {
    statSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      const identity = generateIdentity()
      saveIdentity(path, identity)
      return { identity, created: true }
    }
  }
  return { identity: loadIdentity(path), created: false }
}
