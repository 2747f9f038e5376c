/**
 * Election at a counting-cycle boundary (DESIGN §4): rank the eligible candidates by
 * (votes desc, trust desc, address asc); the top W are the witnesses, the rest standby in rank
 * order. Pure: the caller reads votes, trust and eligibility from state and passes them in.
 */
import { NfcError } from '../../util/errors.js'
import { DposError } from './errors.js'

export interface Candidate {
  /** 0x-prefixed 20-byte hex, any case; results use the lowercase form */
  address: string
  /** total votes (1 NFC staked = 1 vote, in the unit the staking contract counts) */
  votes: bigint
  trust: bigint
  /** false: skipped (no RN pledge, or removed for the rest of the current cycle) */
  eligible: boolean
}

export interface ElectionResult {
  /** the top W eligible candidates, by rank (lowercase) */
  witnesses: string[]
  /** the other eligible candidates, by rank (lowercase) — the order seats are refilled in */
  standby: string[]
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

/** The lowercase form of a 0x-prefixed 20-byte hex address; DPOS_BAD_ADDRESS otherwise. */
export function normalizeAddress(address: string): string {
  if (typeof address !== 'string' || !ADDRESS.test(address)) {
    throw new NfcError(DposError.BAD_ADDRESS, `not a 20-byte hex address: ${String(address)}`, { address })
  }
  return address.toLowerCase()
}

/** Rank order: negative when `a` ranks before `b`. Addresses must already be lowercase. */
export function compareCandidates(a: Pick<Candidate, 'address' | 'votes' | 'trust'>, b: Pick<Candidate, 'address' | 'votes' | 'trust'>): number {
  if (a.votes !== b.votes) return a.votes > b.votes ? -1 : 1
  if (a.trust !== b.trust) return a.trust > b.trust ? -1 : 1
  // Lowercase 0x-hex strings of equal length: code-unit order = numeric order of the address.
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0
}

/** The eligible candidates in rank order, addresses lowercased. Duplicates are an error. */
export function rankCandidates(candidates: readonly Candidate[]): Candidate[] {
  const seen = new Set<string>()
  const out: Candidate[] = []
  for (const c of candidates) {
    const address = normalizeAddress(c.address)
    if (seen.has(address)) throw new NfcError(DposError.DUPLICATE_ADDRESS, `candidate ${address} listed twice`, { address })
    seen.add(address)
    if (typeof c.votes !== 'bigint' || c.votes < 0n) throw new NfcError(DposError.BAD_ARG, 'votes must be a bigint ≥ 0', { address })
    if (typeof c.trust !== 'bigint') throw new NfcError(DposError.BAD_ARG, 'trust must be a bigint', { address })
    if (c.eligible !== true) continue
    out.push({ address, votes: c.votes, trust: c.trust, eligible: true })
  }
  // The comparator is a total order on distinct addresses, so the result does not depend on input order.
  return out.sort(compareCandidates)
}

/** Elect `W` witnesses; every other eligible candidate is standby, in rank order. */
export function elect(candidates: readonly Candidate[], W: number): ElectionResult {
  if (!Number.isSafeInteger(W) || W < 1) throw new NfcError(DposError.BAD_ARG, 'W must be an integer ≥ 1', { W })
  const ranked = rankCandidates(candidates).map((c) => c.address)
  return { witnesses: ranked.slice(0, W), standby: ranked.slice(W) }
}

function checkCycle(blockNumber: bigint, cycleBlocks: bigint): void {
  if (typeof blockNumber !== 'bigint' || blockNumber < 0n) throw new NfcError(DposError.BAD_ARG, 'block number must be a bigint ≥ 0', { blockNumber })
  if (typeof cycleBlocks !== 'bigint' || cycleBlocks < 1n) throw new NfcError(DposError.BAD_ARG, 'cycle length must be a bigint ≥ 1', { cycleBlocks })
}

/** The counting cycle a block belongs to: cycle c holds blocks [c·C, (c+1)·C). Genesis is in cycle 0. */
export function cycleOf(blockNumber: bigint, cycleBlocks: bigint): bigint {
  checkCycle(blockNumber, cycleBlocks)
  return blockNumber / cycleBlocks
}

/** True when `blockNumber` is the first block of its cycle (block 0 included: the genesis election). */
export function isCycleBoundary(blockNumber: bigint, cycleBlocks: bigint): boolean {
  checkCycle(blockNumber, cycleBlocks)
  return blockNumber % cycleBlocks === 0n
}

/**
 * True when `blockNumber` is the last block of its cycle: the election for the next cycle runs on
 * the state after this block (see schedule.ts `activationRound` for when the result takes effect).
 */
export function isLastBlockOfCycle(blockNumber: bigint, cycleBlocks: bigint): boolean {
  checkCycle(blockNumber, cycleBlocks)
  return (blockNumber + 1n) % cycleBlocks === 0n
}
