/** The 2048-bit Ethereum logs bloom (yellow paper §4.3.1), so wallets' bloom checks agree. */
import { core } from '../core/index.js'

export const BLOOM_BYTES = 256

export function bloomAdd(bloom: Uint8Array, item: Uint8Array): void {
  const h = core.keccak256(item)
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i] << 8) | h[i + 1]) & 2047
    bloom[BLOOM_BYTES - 1 - (bit >> 3)] |= 1 << (bit & 7)
  }
}

/** receipt.ts's Log, restated: receipt.ts computes blooms, so importing it here would be a cycle */
interface Log {
  address: Uint8Array
  topics: Uint8Array[]
  data: Uint8Array
}

export function bloomOfLogs(logs: readonly Log[], into = new Uint8Array(BLOOM_BYTES)): Uint8Array {
  for (const log of logs) {
    bloomAdd(into, log.address)
    for (const topic of log.topics) bloomAdd(into, topic)
  }
  return into
}

export function bloomOr(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < BLOOM_BYTES; i++) into[i] |= other[i]
}

/** True when `item` may be in the set the bloom summarises (false means certainly not). */
export function bloomMayContain(bloom: Uint8Array, item: Uint8Array): boolean {
  const h = core.keccak256(item)
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i] << 8) | h[i + 1]) & 2047
    if ((bloom[BLOOM_BYTES - 1 - (bit >> 3)] & (1 << (bit & 7))) === 0) return false
  }
  return true
}
