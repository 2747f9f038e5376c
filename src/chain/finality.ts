/**
 * Finality (DESIGN §4), pure: a block is final once ⌊2n/3⌋+1 of the n seated witnesses have
 * confirmed it or a descendant (a witness's own blocks count as confirmed by it). The caller
 * keeps, per witness, the highest canonical block it is known to have confirmed.
 */

/** Distinct confirmations that make a block final: ⌊2n/3⌋+1 of `n` occupied seats. */
export function quorum(n: number): number {
  return Math.floor((2 * n) / 3) + 1
}

/**
 * The number the seats' confirmations make final, capped at the head: the quorum-th highest
 * confirmed number among the occupied seats (a witness with none counts as −1). Undefined when
 * no seat is occupied. The result may be at or below the current final block; the caller moves
 * finality only forward.
 */
export function finalizedNumber(seats: readonly (string | null)[], confirmedBy: ReadonlyMap<string, bigint>, headNumber: bigint): bigint | undefined {
  const seated = seats.filter((s): s is string => s !== null)
  if (seated.length === 0) return undefined
  const numbers = seated.map((w) => confirmedBy.get(w) ?? -1n).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))
  const target = numbers[quorum(seated.length) - 1]!
  return target > headNumber ? headNumber : target
}
