/** A small seeded PRNG (mulberry32) for deterministic "random" inputs: a failure reproduces (the fuzzers' one). */
export { prng } from '../../tools/fuzz/fuzzKit.js'

/** `n` bytes from `rand`. */
export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256)
  return out
}
