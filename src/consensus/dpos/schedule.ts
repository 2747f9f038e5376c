/**
 * Slots and the witness schedule (DESIGN §4). Pure: the caller passes times, seeds and the
 * witness list; nothing here reads a clock.
 *
 * - slot s = floor((t − genesisTime) / interval); genesis itself sits in slot 0.
 * - round r = slots [r·W, (r+1)·W): each of the W seats owns exactly one slot per round.
 * - order of round r = shuffle(roundSeed(r), seats), seats = the witness list padded with
 *   `null` (vacant) up to W. Vacant seats exist only when fewer than W candidates are eligible,
 *   or a removed witness had no standby to replace it; their slots stay empty, unpunished.
 *
 * Missed slots — precise reading of "if the scheduled witness does not produce in its slot, the
 * next slot belongs to the next witness in the order (the right rotates on)": the right to
 * produce is a token that moves to the next seat of the order at every slot boundary, whether
 * or not the holder produced. So the owner of slot s is order[s − roundStart] whatever happened
 * before it; the history of empty slots decides only who is punished (−100 each: the owner of
 * every slot that has no block on this chain). The rejected reading — the token stays with a
 * silent witness until it produces — would let one offline witness halt the chain, which is what
 * the sentence rules out. A silent witness does not get a second slot in the round ("every
 * witness produces exactly one slot per round"), and the next round starts from its own order.
 */
import { NfcError } from '../../util/errors.js'
import { DposError } from './errors.js'
import { shuffle } from './shuffle.js'

/** A seat of the round order: a witness address, or null for a vacant seat. */
export type Seat = string | null

function bigW(W: number | bigint): bigint {
  const w = typeof W === 'bigint' ? W : Number.isSafeInteger(W) ? BigInt(W) : -1n
  if (w < 1n) throw new NfcError(DposError.BAD_ARG, 'W must be an integer ≥ 1', { W })
  return w
}

function checkSlot(slot: bigint): void {
  if (typeof slot !== 'bigint' || slot < 0n) throw new NfcError(DposError.BAD_ARG, 'slot must be a bigint ≥ 0', { slot })
}

/** The slot of time `timeMs`: floor((t − genesisTime) / interval). Times before genesis are an error. */
export function slotAt(timeMs: bigint, genesisTimeMs: bigint, intervalMs: bigint): bigint {
  if (intervalMs < 1n) throw new NfcError(DposError.BAD_ARG, 'interval must be ≥ 1 ms', { intervalMs })
  if (timeMs < genesisTimeMs) throw new NfcError(DposError.BEFORE_GENESIS, 'time before genesis', { timeMs, genesisTimeMs })
  return (timeMs - genesisTimeMs) / intervalMs
}

/** The first millisecond of `slot` (its reward period is [start, start + interval)). */
export function slotStartMs(slot: bigint, genesisTimeMs: bigint, intervalMs: bigint): bigint {
  checkSlot(slot)
  if (intervalMs < 1n) throw new NfcError(DposError.BAD_ARG, 'interval must be ≥ 1 ms', { intervalMs })
  return genesisTimeMs + slot * intervalMs
}

/** The round a slot belongs to: slot / W. */
export function roundOfSlot(slot: bigint, W: number | bigint): bigint {
  checkSlot(slot)
  return slot / bigW(W)
}

/** The first slot of round `round`: round · W. */
export function roundStartSlot(round: bigint, W: number | bigint): bigint {
  if (round < 0n) throw new NfcError(DposError.BAD_ARG, 'round must be ≥ 0', { round })
  return round * bigW(W)
}

/**
 * The order of a round: the seats (witnesses in list order, then `null` up to W) shuffled with
 * the round's seed. Because the shuffle depends only on (seed, W), a witness replaced in place
 * hands its exact slot to its replacement and nobody else moves.
 */
export function roundOrder(seed: Uint8Array, witnesses: readonly Seat[], W: number | bigint): Seat[] {
  const w = bigW(W)
  if (BigInt(witnesses.length) > w) {
    throw new NfcError(DposError.TOO_MANY_WITNESSES, `${witnesses.length} witnesses for ${w} seats`, { count: witnesses.length, W: w })
  }
  const seen = new Set<string>()
  for (const a of witnesses) {
    if (a === null) continue
    if (seen.has(a)) throw new NfcError(DposError.DUPLICATE_ADDRESS, `witness ${a} listed twice`, { address: a })
    seen.add(a)
  }
  const seats: Seat[] = witnesses.slice()
  while (BigInt(seats.length) < w) seats.push(null)
  return shuffle(seed, seats)
}

/** The seat scheduled for `slot` under the order of the slot's round (order.length = W). */
export function scheduledWitness(slot: bigint, order: readonly Seat[]): Seat {
  checkSlot(slot)
  if (order.length === 0) throw new NfcError(DposError.BAD_ARG, 'empty order')
  return order[Number(slot % BigInt(order.length))]!
}

export interface SlotOwnership {
  /** who may produce in the asked slot (null: a vacant seat, nobody may) */
  owner: Seat
  /** slots of this round before the asked one that have no block, with the witness that missed each */
  missed: { slot: bigint; witness: string }[]
}

/**
 * The missed-slot rule as a function of the round's history: starting at the round's first slot
 * with the first seat of `order`, each slot passes the right to the next seat — after a block
 * (the holder used its slot) and equally after an empty slot (§4: "the next slot belongs to the
 * next witness"). `producedSlots` are the slots of this chain that hold a block (others ignored).
 */
export function slotOwner(order: readonly Seat[], roundStart: bigint, producedSlots: Iterable<bigint>, slot: bigint): SlotOwnership {
  checkSlot(slot)
  checkSlot(roundStart)
  if (slot < roundStart || slot >= roundStart + BigInt(order.length)) {
    throw new NfcError(DposError.SLOT_NOT_IN_ROUND, `slot ${slot} is not in the round starting at ${roundStart}`, { slot, roundStart, W: order.length })
  }
  const produced = new Set<bigint>(producedSlots)
  const missed: { slot: bigint; witness: string }[] = []
  let seat = 0
  for (let s = roundStart; s < slot; s++) {
    const holder = order[seat]!
    if (!produced.has(s) && holder !== null) missed.push({ slot: s, witness: holder })
    seat += 1 // produced or not, the right rotates on
  }
  return { owner: order[seat]!, missed }
}

/**
 * The witnesses that missed a slot between a block and its parent: the owners of slots
 * parentSlot+1 … slot−1 (a −100 violation each; vacant seats are skipped). `orderOf(round)`
 * returns the order of any round touched — the gap may span rounds. Listed in slot order.
 */
export function missedBetween(
  parentSlot: bigint,
  slot: bigint,
  W: number | bigint,
  orderOf: (round: bigint) => readonly Seat[],
): { slot: bigint; witness: string }[] {
  checkSlot(parentSlot)
  checkSlot(slot)
  if (slot <= parentSlot) throw new NfcError(DposError.BAD_ARG, 'a block must be in a later slot than its parent', { parentSlot, slot })
  const w = bigW(W)
  const out: { slot: bigint; witness: string }[] = []
  let round = -1n
  let order: readonly Seat[] = []
  for (let s = parentSlot + 1n; s < slot; s++) {
    if (s / w !== round) {
      round = s / w
      order = orderOf(round)
      if (BigInt(order.length) !== w) throw new NfcError(DposError.BAD_ARG, `order of round ${round} has ${order.length} seats, not ${w}`, { round })
    }
    const holder = order[Number(s % w)]!
    if (holder !== null) out.push({ slot: s, witness: holder })
  }
  return out
}

/**
 * The first round a new election applies to. The election runs on the state after the last
 * block of a cycle (election.ts `isLastBlockOfCycle`), in slot `lastBlockSlot`; the round in
 * progress finishes with its old order (every seat keeps its one slot), and the new witnesses
 * start with the next round. With no missed slots and a cycle length that is a multiple of W
 * (604,800 = 21 · 28,800) this is exactly the first slot of the new cycle.
 */
export function activationRound(lastBlockSlot: bigint, W: number | bigint): bigint {
  return roundOfSlot(lastBlockSlot, W) + 1n
}
