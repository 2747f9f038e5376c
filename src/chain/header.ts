/**
 * Block header (DESIGN §3): canonical RLP, hash and producer signature.
 * The hash is keccak256 of the RLP of every field but the signature, so the producer signs
 * exactly the hash that names the block.
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import { core } from '../core/index.js'
import { addressOf, recoverPublicKey, sign } from '../crypto/secp256k1.js'
import { bytesEqual as equalBytes } from '../util/bytes.js'
import { NfcError } from '../util/errors.js'
import { ChainErrorCode } from './errors.js'

export interface BlockHeader {
  parentHash: Uint8Array // 32
  number: bigint
  /** milliseconds since the Unix epoch: the start of the slot the block was produced in */
  timestamp: bigint
  producer: Uint8Array // 20
  stateRoot: Uint8Array // 32
  transactionsRoot: Uint8Array // 32
  receiptsRoot: Uint8Array // 32
  logsBloom: Uint8Array // 256
  gasLimit: bigint
  gasUsed: bigint
  baseFeePerGas: bigint
  /** root of the flow checkpoints included in the block (PoVF); zero when none */
  flowRoot: Uint8Array // 32
  /** root of the witness confirmations included in the block (DPoS); zero when none */
  confirmationsRoot: Uint8Array // 32
  /** r ‖ s ‖ recovery id, 65 bytes; empty before signing */
  signature: Uint8Array
}

export const ZERO32 = new Uint8Array(32)
const FIELD_COUNT = 13

function unsignedFields(h: BlockHeader): Uint8Array[] {
  return [
    h.parentHash,
    bigIntToUnpaddedBytes(h.number),
    bigIntToUnpaddedBytes(h.timestamp),
    h.producer,
    h.stateRoot,
    h.transactionsRoot,
    h.receiptsRoot,
    h.logsBloom,
    bigIntToUnpaddedBytes(h.gasLimit),
    bigIntToUnpaddedBytes(h.gasUsed),
    bigIntToUnpaddedBytes(h.baseFeePerGas),
    h.flowRoot,
    h.confirmationsRoot,
  ]
}

export function headerHash(h: BlockHeader): Uint8Array {
  return core.keccak256(RLP.encode(unsignedFields(h)))
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return RLP.encode([...unsignedFields(h), h.signature])
}

function bytesField(v: unknown, name: string, len?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw badHeader(`${name} is not a byte string`)
  if (len !== undefined && v.length !== len) throw badHeader(`${name} has ${v.length} bytes, want ${len}`)
  return v
}

function intField(v: unknown, name: string): bigint {
  const b = bytesField(v, name)
  if (b.length > 32) throw badHeader(`${name} is longer than 32 bytes`)
  if (b.length > 0 && b[0] === 0) throw badHeader(`${name} has leading zero bytes`)
  return bytesToBigInt(b)
}

function badHeader(reason: string): NfcError {
  return new NfcError(ChainErrorCode.BadEncoding, `invalid block header: ${reason}`)
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  let list: unknown
  try {
    list = RLP.decode(bytes)
  } catch (e) {
    throw badHeader(`rlp: ${(e as Error).message}`)
  }
  if (!Array.isArray(list) || list.length !== FIELD_COUNT + 1) {
    throw badHeader(`want a list of ${FIELD_COUNT + 1} fields`)
  }
  return headerFromFields(list)
}

export function headerFromFields(f: unknown[]): BlockHeader {
  return {
    parentHash: bytesField(f[0], 'parentHash', 32),
    number: intField(f[1], 'number'),
    timestamp: intField(f[2], 'timestamp'),
    producer: bytesField(f[3], 'producer', 20),
    stateRoot: bytesField(f[4], 'stateRoot', 32),
    transactionsRoot: bytesField(f[5], 'transactionsRoot', 32),
    receiptsRoot: bytesField(f[6], 'receiptsRoot', 32),
    logsBloom: bytesField(f[7], 'logsBloom', 256),
    gasLimit: intField(f[8], 'gasLimit'),
    gasUsed: intField(f[9], 'gasUsed'),
    baseFeePerGas: intField(f[10], 'baseFeePerGas'),
    flowRoot: bytesField(f[11], 'flowRoot', 32),
    confirmationsRoot: bytesField(f[12], 'confirmationsRoot', 32),
    signature: bytesField(f[13], 'signature'),
  }
}

export function headerToFields(h: BlockHeader): Uint8Array[] {
  return [...unsignedFields(h), h.signature]
}

/** Signs the header hash with the producer's key; returns the header with its signature. */
export function signHeader(h: BlockHeader, privateKey: Uint8Array): BlockHeader {
  const { r, s, recovery } = sign(headerHash(h), privateKey)
  const signature = new Uint8Array(65)
  signature.set(r, 0)
  signature.set(s, 32)
  signature[64] = recovery
  return { ...h, signature }
}

/** The address that signed the header, or null when the signature is malformed or invalid. */
export function recoverProducer(h: BlockHeader, hash = headerHash(h)): Uint8Array | null {
  if (h.signature.length !== 65 || h.signature[64] > 1) return null
  const pub = recoverPublicKey(hash, h.signature.subarray(0, 32), h.signature.subarray(32, 64), h.signature[64])
  return pub === null ? null : addressOf(pub)
}

/** Throws CHAIN_BAD_SIGNATURE unless the header is signed by its `producer`. */
export function verifyHeaderSignature(h: BlockHeader, hash = headerHash(h)): void {
  checkSigner(h, recoverProducer(h, hash))
}

/**
 * What recovering the signer's key from a header's signature takes (a RecoverPool item: the
 * signed hash, r, s, recovery id), or null when the signature cannot be one; for checking many
 * headers off the calling thread, with `checkSigner` on the address of each recovered key.
 */
export function producerSignature(h: BlockHeader, hash = headerHash(h)): { msgHash: Uint8Array; r: Uint8Array; s: Uint8Array; recid: number } | null {
  if (h.signature.length !== 65 || h.signature[64] > 1) return null
  return { msgHash: hash, r: h.signature.subarray(0, 32), s: h.signature.subarray(32, 64), recid: h.signature[64] }
}

/** Throws CHAIN_BAD_SIGNATURE unless `signer` (the address recovered from the header's signature; null: none) is its producer. */
export function checkSigner(h: BlockHeader, signer: Uint8Array | null): void {
  if (signer === null || !equalBytes(signer, h.producer)) {
    throw new NfcError(ChainErrorCode.BadSignature, `block ${h.number}: signature is not the producer's`, {
      number: h.number,
    })
  }
}

/** (util/bytes' equality, under the name chain code uses) */
export { equalBytes }
