/**
 * The witness order of a round (DESIGN §4): a Fisher–Yates shuffle driven by keccak256 with
 * rejection sampling, so every node derives the same order and no position is biased.
 *
 *   draw(seed, i, n): for k = 0, 1, …: v = uint256(keccak256(seed ‖ uint32be(i) ‖ uint32be(k)));
 *                     the first v < limit(n) = 2^256 − (2^256 mod n) gives v mod n
 *   shuffle(seed, a): for i from n−1 down to 1: j = draw(seed, i, i+1); swap a[i], a[j]
 *
 * Pure: no clock, no randomness, no db. The permutation depends only on (seed, list length),
 * never on the list's contents — replacing one entry in place moves nobody else.
 */
import { core } from '../../core/index.js'
import { NfcError } from '../../util/errors.js'
import { DposError } from './errors.js'

const TWO_256 = 1n << 256n
const UINT32_MAX = 0xffff_ffff

/** The largest multiple of `n` that is ≤ 2^256: values at or above it are rejected. */
export function drawLimit(n: bigint): bigint {
  if (n < 1n || n > TWO_256) throw new NfcError(DposError.BAD_ARG, `draw bound ${n} outside 1..2^256`, { n })
  return TWO_256 - (TWO_256 % n)
}

const HEX: string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

function toBigInt(bytes: Uint8Array): bigint {
  let h = '0x'
  for (let x = 0; x < bytes.length; x++) h += HEX[bytes[x]!]!
  return BigInt(h)
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new NfcError(DposError.BAD_SEED, 'seed must be 32 bytes', { length: (seed as Uint8Array | undefined)?.length })
  }
}

function checkUint32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > UINT32_MAX) throw new NfcError(DposError.BAD_ARG, `${name} must be a uint32`, { [name]: v })
}

/**
 * `draw` with the number of rejected candidates (the `k` of the accepted value). Exposed so the
 * tests can show rejection sampling really runs; consensus code calls `draw`.
 */
export function drawWithTries(seed: Uint8Array, i: number, n: bigint): { value: bigint; k: number } {
  checkSeed(seed)
  checkUint32('i', i)
  const limit = drawLimit(n)
  const pre = new Uint8Array(40)
  pre.set(seed, 0)
  const view = new DataView(pre.buffer)
  view.setUint32(32, i, false)
  // k is a uint32: 2^32 rejections in a row cannot happen (each has probability < 1/2).
  for (let k = 0; k <= UINT32_MAX; k++) {
    view.setUint32(36, k, false)
    const v = toBigInt(core.keccak256(pre))
    if (v < limit) return { value: v % n, k }
  }
  throw new NfcError(DposError.DRAW_EXHAUSTED, 'no accepted draw in 2^32 tries', { i, n })
}

/** A uniform integer in [0, n), derived from (seed, i) — DESIGN §4. `1 ≤ n ≤ 2^256`. */
export function draw(seed: Uint8Array, i: number, n: bigint): bigint {
  return drawWithTries(seed, i, n).value
}

/** The §4 Fisher–Yates shuffle of `list` under `seed`. Returns a new array; `list` is untouched. */
export function shuffle<T>(seed: Uint8Array, list: readonly T[]): T[] {
  checkSeed(seed)
  if (list.length - 1 > UINT32_MAX) throw new NfcError(DposError.BAD_ARG, 'list too long', { length: list.length })
  const a = list.slice()
  for (let i = a.length - 1; i >= 1; i--) {
    const j = Number(draw(seed, i, BigInt(i + 1)))
    const tmp = a[i]!
    a[i] = a[j]!
    a[j] = tmp
  }
  return a
}

/**
 * The seed of round `r`: the genesis hash for rounds 0 and 1, otherwise the hash of the first
 * block of round r−1 (final by then on every fork). The caller looks that block up; this stays pure.
 *
 * §4 is silent on a round r−1 without any block (every slot missed). Reading taken here: round r
 * then reuses the seed of round r−1 (`prevRoundSeed`), so the rule stays a function of the chain.
 */
export function roundSeed(
  r: bigint,
  firstBlockHashOfPrevRound: Uint8Array | null,
  genesisHash: Uint8Array,
  prevRoundSeed: Uint8Array | null = null,
): Uint8Array {
  if (r < 0n) throw new NfcError(DposError.BAD_ARG, 'round must be ≥ 0', { r })
  const seed = r <= 1n ? genesisHash : (firstBlockHashOfPrevRound ?? prevRoundSeed)
  if (seed === null) {
    throw new NfcError(
      DposError.BAD_SEED,
      `round ${r} needs the hash of the first block of round ${r - 1n} (or, if it had none, the seed of round ${r - 1n})`,
      { r },
    )
  }
  checkSeed(seed)
  return seed
}
