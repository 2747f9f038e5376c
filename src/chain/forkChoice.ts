/**
 * Fork choice (DESIGN §4), pure: the longest branch that contains the last final block wins;
 * between branches of equal length, the head with the lower hash (bytewise). A block that extends
 * the current head always wins. Callers establish whether a candidate's branch holds the final
 * block (that needs the store) and pass plain values.
 */
import { equalBytes } from './header.js'

/** A head as fork choice sees it. */
export interface HeadRef {
  hash: Uint8Array
  number: bigint
}

/** A candidate head, with what the caller learned about its branch. */
export interface Candidate extends HeadRef {
  parentHash: Uint8Array
  /** the candidate's branch holds the last final block (its ancestor at the final number is it) */
  containsFinal: boolean
}

/** Bytewise order of two hashes (shorter first when one is a prefix of the other). */
export function compareHashes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/**
 * Whether a candidate may be followed at all: above the final block and on a branch that holds
 * it. Blocks at or below the final number, or on a branch without it, are never followed.
 */
export function isViable(candidate: Candidate, finalized: HeadRef): boolean {
  return candidate.number > finalized.number && candidate.containsFinal
}

/** Whether `candidate` (viable) should replace `head`: it extends it, is longer, or as long with a lower hash. */
export function beatsHead(candidate: Candidate, head: HeadRef): boolean {
  if (equalBytes(candidate.parentHash, head.hash)) return true
  if (candidate.number !== head.number) return candidate.number > head.number
  return compareHashes(candidate.hash, head.hash) < 0
}

/** The head among `head` and the viable `candidates`, considered in order (as blocks arrive). */
export function pickHead(head: HeadRef, candidates: readonly Candidate[], finalized: HeadRef): HeadRef {
  let best = head
  for (const c of candidates) {
    if (!isViable(c, finalized)) continue
    if (beatsHead(c, best)) best = { hash: c.hash, number: c.number }
  }
  return best
}

/** A block this node's witness voted for (confirmed or produced), and when (ms). */
export interface Vote extends HeadRef {
  atMs: bigint
}

/**
 * Whether a witness's latest vote still holds it to its branch (docs/decisions.md, "A witness
 * holds the branch of its vote"): the vote is above the final block and younger than `holdMs`.
 * The caller then keeps any head that does not descend from the voted block. Until the hold ends,
 * the confirmations that would make the voted block final have time to arrive; once it is final,
 * a branch without it is not viable anyway.
 */
export function voteHolds(vote: Vote | undefined, finalNumber: bigint, nowMs: bigint, holdMs: bigint): vote is Vote {
  return vote !== undefined && vote.number > finalNumber && nowMs - vote.atMs < holdMs
}
