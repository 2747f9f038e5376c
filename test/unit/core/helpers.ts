/** Shared by the core tests: a seeded PRNG (failures reproduce) and hex helpers. */
import type { Core } from '../../../src/core/index.js'
import { wasmCore } from '../../../src/core/index.js'

/** xorshift32; never returns the same stream for different seeds */
export function prng(seed: number): { u32(): number; int(max: number): number; bytes(n: number): Uint8Array } {
  let x = seed >>> 0 || 0x9e3779b9
  const u32 = (): number => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
  return {
    u32,
    int: (max) => u32() % max,
    bytes(n) {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff
      return out
    },
  }
}

export const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex')
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The WASM core; tests that compare it with the reference fail (not skip) when it is missing. */
export function requireWasm(t: { fail(msg: string): void }): Core | null {
  if (!wasmCore) t.fail('build/release.wasm did not load: run `npm run build:wasm` first')
  return wasmCore
}
