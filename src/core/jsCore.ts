/**
 * The pure-JS core on @noble/hashes: the reference the WASM core is tested against, and the
 * fallback when build/release.wasm is missing or cannot be instantiated.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { checkFixed, kindIndex } from './args.js'
import type { Core, HashKind } from './interface.js'
import * as merkle from './jsMerkle.js'
import { countPackets } from './jsPacketCounter.js'
import { concatList } from '../util/bytes.js'

function hasher(kind: HashKind): (data: Uint8Array) => Uint8Array {
  return kindIndex(kind) === 0 ? keccak_256 : sha256
}

export const jsCore: Core = {
  keccak256: (data) => keccak_256(data),
  sha256: (data) => sha256(data),
  hashBatch: (kind, inputs) => concatList(inputs.map(hasher(kind))),
  hashBatchFixed(kind, packed, size) {
    const h = hasher(kind)
    const n = checkFixed(packed, size)
    const out = new Uint8Array(n * 32)
    for (let i = 0; i < n; i++) out.set(h(packed.subarray(i * size, (i + 1) * size)), i * 32)
    return out
  },
  merkleRoot: (kind, leaves) => merkle.merkleRoot(hasher(kind), leaves),
  merkleProof: (kind, leaves, index) => merkle.merkleProof(hasher(kind), leaves, index),
  verifyMerkleProof(kind, leaf, index, leafCount, proof, root) {
    return merkle.verifyMerkleProof(hasher(kind), leaf, index, leafCount, proof, root)
  },
  countPackets,
}
