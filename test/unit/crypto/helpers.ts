/** Shared fixtures for the crypto tests: a seeded PRNG and signed recovery items. */
import { secp256k1 as noble } from '@noble/curves/secp256k1.js'
import type { RecoverItem } from '../../../src/crypto/recoverPool.js'

export const N = noble.Point.CURVE().n

/** splitmix64: deterministic bytes so a failure reproduces exactly */
export function prng(seed: bigint): (len: number) => Uint8Array {
  let state = seed & 0xffffffffffffffffn
  const next = (): bigint => {
    state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn
    let z = state
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn
    return z ^ (z >> 31n)
  }
  return (len) => {
    const out = new Uint8Array(len)
    for (let i = 0; i < len; i += 8) {
      let x = next()
      for (let j = 0; j < 8 && i + j < len; j++) {
        out[i + j] = Number(x & 0xffn)
        x >>= 8n
      }
    }
    return out
  }
}

export function toBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'))
}

export function to32(x: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'))
}

/** a valid private key (1 ≤ d < n) drawn from `rand` */
export function randomKey(rand: (len: number) => Uint8Array): Uint8Array {
  for (;;) {
    const k = rand(32)
    const d = toBig(k)
    if (d > 0n && d < N) return k
  }
}

export interface SignedItem extends RecoverItem {
  publicKey: Uint8Array
}

/** `count` items signed with noble (the independent reference), each with its signer's key */
export function signedItems(count: number, seed: bigint, keys = 16): SignedItem[] {
  const rand = prng(seed)
  const sks = Array.from({ length: keys }, () => randomKey(rand))
  const pubs = sks.map((sk) => noble.getPublicKey(sk, false).slice(1))
  const items: SignedItem[] = []
  for (let i = 0; i < count; i++) {
    const k = i % keys
    const msgHash = rand(32)
    const sig = noble.Signature.fromBytes(noble.sign(msgHash, sks[k]!, { prehash: false, format: 'recovered' }), 'recovered')
    items.push({ msgHash, r: to32(sig.r), s: to32(sig.s), recid: sig.recovery!, publicKey: pubs[k]! })
  }
  return items
}
