/**
 * Witness confirmations (DESIGN §4): a witness signs one for each valid block it receives and
 * gossips it; producers include received ones in the next block (confirmationsRoot commits to
 * them). The signed message binds the chain id, so a confirmation cannot be replayed on
 * another chain:  digest = keccak256("nfc-confirm/v1" ‖ u64 chainId ‖ blockHash ‖ u64 number).
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import { core } from '../core/index.js'
import { addressOf, recoverPublicKey, sign } from '../crypto/secp256k1.js'
import { uint64be } from '../util/bytes.js'
import { NfcError } from '../util/errors.js'
import { ChainErrorCode } from './errors.js'
import { ZERO32 } from './header.js'

export interface Confirmation {
  blockHash: Uint8Array // 32
  number: bigint
  /** r ‖ s ‖ recovery id (65 bytes) by the confirming witness */
  signature: Uint8Array
}

const TAG = new TextEncoder().encode('nfc-confirm/v1')

const u64 = uint64be

export function confirmationDigest(chainId: bigint, blockHash: Uint8Array, number: bigint): Uint8Array {
  const buf = new Uint8Array(TAG.length + 8 + 32 + 8)
  buf.set(TAG, 0)
  buf.set(u64(chainId), TAG.length)
  buf.set(blockHash, TAG.length + 8)
  buf.set(u64(number), TAG.length + 40)
  return core.keccak256(buf)
}

export function signConfirmation(chainId: bigint, blockHash: Uint8Array, number: bigint, privateKey: Uint8Array): Confirmation {
  const { r, s, recovery } = sign(confirmationDigest(chainId, blockHash, number), privateKey)
  const signature = new Uint8Array(65)
  signature.set(r, 0)
  signature.set(s, 32)
  signature[64] = recovery
  return { blockHash, number, signature }
}

/** signers already recovered, per confirmation object (a pool offers the same ones every slot) */
const recovered = new WeakMap<Confirmation, { chainId: bigint; signer: Uint8Array | null }>()

/** The address that signed `c`, or null when the signature is malformed or invalid. */
export function recoverConfirmer(chainId: bigint, c: Confirmation): Uint8Array | null {
  const hit = recovered.get(c)
  if (hit !== undefined && hit.chainId === chainId) return hit.signer
  let signer: Uint8Array | null = null
  if (c.signature.length === 65 && c.signature[64]! <= 1) {
    const sig = c.signature
    const pub = recoverPublicKey(confirmationDigest(chainId, c.blockHash, c.number), sig.subarray(0, 32), sig.subarray(32, 64), sig[64]!)
    signer = pub === null ? null : addressOf(pub)
  }
  recovered.set(c, { chainId, signer })
  return signer
}

export function confirmationFields(c: Confirmation): Uint8Array[] {
  return [c.blockHash, bigIntToUnpaddedBytes(c.number), c.signature]
}

export function encodeConfirmation(c: Confirmation): Uint8Array {
  return RLP.encode(confirmationFields(c))
}

function bad(reason: string): NfcError {
  return new NfcError(ChainErrorCode.BadEncoding, `invalid confirmation: ${reason}`)
}

export function confirmationFromFields(f: unknown): Confirmation {
  if (!Array.isArray(f) || f.length !== 3) throw bad('want [blockHash, number, signature]')
  const [hash, num, sig] = f as unknown[]
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw bad('blockHash must be 32 bytes')
  if (!(num instanceof Uint8Array) || num.length > 8 || (num.length > 0 && num[0] === 0)) throw bad('number must be a canonical u64')
  if (!(sig instanceof Uint8Array) || sig.length !== 65) throw bad('signature must be 65 bytes')
  return { blockHash: hash, number: bytesToBigInt(num), signature: sig }
}

export function decodeConfirmation(bytes: Uint8Array): Confirmation {
  let list: unknown
  try {
    list = RLP.decode(bytes)
  } catch (e) {
    throw bad(`rlp: ${(e as Error).message}`)
  }
  return confirmationFromFields(list)
}

/** The header's confirmationsRoot: zero when there are none, else the keccak Merkle root of their hashes. */
export function confirmationsRoot(list: readonly Confirmation[]): Uint8Array {
  if (list.length === 0) return ZERO32
  const leaves = new Uint8Array(list.length * 32)
  list.forEach((c, i) => leaves.set(core.keccak256(encodeConfirmation(c)), i * 32))
  return core.merkleRoot('keccak256', leaves)
}
