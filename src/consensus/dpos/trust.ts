/**
 * Witness trust (DESIGN §4): 28,800 to start, +10 per produced block, +1 per confirmed block,
 * −100 per violation (missed slot, invalid block, double production); below 10,000 a witness is
 * removed for the rest of the cycle and its seat goes to the next standby by rank; a removed
 * witness that is elected again starts over at 28,800.
 *
 * State is a plain record keyed by lowercase address (no Map: its iteration order would be
 * insertion order, which differs between nodes that built it differently). Every function
 * returns a new record with its keys in ascending order, so serialising it is deterministic.
 */
import { NfcError } from '../../util/errors.js'
import { normalizeAddress } from './election.js'
import { DposError } from './errors.js'
import { INITIAL_TRUST, REMOVAL_THRESHOLD, TRUST_CONFIRMED, TRUST_PRODUCED, TRUST_VIOLATION } from './params.js'
import type { Seat } from './schedule.js'

export type TrustState = Readonly<Record<string, bigint>>

export type TrustEventKind = 'produced' | 'confirmed' | 'violation'
export interface TrustEvent {
  kind: TrustEventKind
  address: string
}

const DELTA: Readonly<Record<TrustEventKind, bigint>> = {
  produced: TRUST_PRODUCED,
  confirmed: TRUST_CONFIRMED,
  violation: TRUST_VIOLATION,
}

function sorted(entries: Record<string, bigint>): TrustState {
  const out: Record<string, bigint> = {}
  for (const k of Object.keys(entries).sort()) out[k] = entries[k]!
  return out
}

function copy(state: TrustState): Record<string, bigint> {
  const out: Record<string, bigint> = {}
  for (const k of Object.keys(state)) out[normalizeAddress(k)] = state[k]!
  return out
}

/** The trust of `address`; an address never seen has the initial trust (every candidate starts there). */
export function trustOf(state: TrustState, address: string): bigint {
  const a = normalizeAddress(address)
  return Object.prototype.hasOwnProperty.call(state, a) ? state[a]! : INITIAL_TRUST
}

/**
 * Apply events in order. Trust has no floor or ceiling in §4, so none is imposed (it may go
 * negative; only the comparison with the threshold matters). Removal is not decided here.
 */
export function applyTrust(state: TrustState, events: readonly TrustEvent[]): TrustState {
  const next = copy(state)
  for (const e of events) {
    const delta = Object.prototype.hasOwnProperty.call(DELTA, e.kind) ? DELTA[e.kind] : undefined
    if (delta === undefined) throw new NfcError(DposError.BAD_ARG, `unknown trust event ${String(e.kind)}`, { kind: e.kind })
    const a = normalizeAddress(e.address)
    next[a] = (Object.prototype.hasOwnProperty.call(next, a) ? next[a]! : INITIAL_TRUST) + delta
  }
  return sorted(next)
}

/** Strictly below the threshold: 10,000 itself stays. */
export function isBelowRemoval(trust: bigint): boolean {
  return trust < REMOVAL_THRESHOLD
}

export interface Replacement {
  /** the seats, each removed witness replaced in place (null when no standby was left) */
  witnesses: Seat[]
  /** the standby list without the candidates promoted */
  standby: string[]
  /** witnesses removed by this call, in seat order: out for the rest of the cycle */
  removed: string[]
  /** pairs (removed → its replacement), in seat order */
  promoted: { seat: number; removed: string; by: string | null }[]
}

/**
 * Remove every witness whose trust is below the threshold and give its seat — the same index,
 * hence the same slot in the round order — to the next standby by rank. Seats are handled in
 * index order. A standby candidate that is itself below the threshold would be removed at once,
 * so it is skipped (and stays on the standby list). With no standby left the seat becomes vacant.
 */
export function replaceRemoved(witnesses: readonly Seat[], standby: readonly string[], trust: TrustState): Replacement {
  const seats: Seat[] = witnesses.map((a) => (a === null ? null : normalizeAddress(a)))
  let bench = standby.map(normalizeAddress)
  const removed: string[] = []
  const promoted: Replacement['promoted'] = []
  for (let i = 0; i < seats.length; i++) {
    const a = seats[i]!
    if (a === null || !isBelowRemoval(trustOf(trust, a))) continue
    removed.push(a)
    const idx = bench.findIndex((s) => !isBelowRemoval(trustOf(trust, s)) && !seats.includes(s))
    const by = idx < 0 ? null : bench[idx]!
    if (idx >= 0) bench = bench.slice(0, idx).concat(bench.slice(idx + 1))
    seats[i] = by
    promoted.push({ seat: i, removed: a, by })
  }
  return { witnesses: seats, standby: bench, removed, promoted }
}

/**
 * After an election: an elected witness below the removal threshold (it was removed in an earlier
 * cycle — only witnesses lose trust) starts over at the initial trust; the others keep theirs.
 * Elected witnesses without an entry get one at the initial trust, so the state lists them all.
 */
export function resetOnElection(state: TrustState, elected: readonly string[]): TrustState {
  const next = copy(state)
  for (const raw of elected) {
    const a = normalizeAddress(raw)
    const cur = Object.prototype.hasOwnProperty.call(next, a) ? next[a]! : INITIAL_TRUST
    next[a] = isBelowRemoval(cur) ? INITIAL_TRUST : cur
  }
  return sorted(next)
}
