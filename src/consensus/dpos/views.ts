/**
 * Read-only views of the DPoS records for the dpos_ RPC and the chain: plain objects, bigint
 * numbers, lowercase addresses. Lists come in storage order (candidates: registration order).
 */
import { normalizeAddress } from './election.js'
import { DposStore, type Addr, type PendingSeats, type StateAccess, type UnbondingEntry } from './store.js'
import { pendingReward } from './voterIndex.js'

export interface CandidateView {
  address: Addr
  registered: boolean
  votes: bigint
  trust: bigint
  /** the ratio in force this cycle */
  bonusRatioBps: bigint
  /** the ratio asked for, frozen at the next election */
  pendingBonusRatioBps: bigint
  /** removed for the rest of the current cycle */
  removed: boolean
  url: string
  pledge: bigint
  produced: bigint
  missed: bigint
  lastConfirmed: bigint
  witnessBalance: bigint
}

export interface WitnessesView {
  /** the cycle in force (number of elections run) */
  cycle: bigint
  seats: (Addr | null)[]
  standby: Addr[]
  pending: PendingSeats | null
}

export interface VoterView {
  positions: { candidate: Addr; votes: bigint; pendingReward: bigint }[]
  unbonding: UnbondingEntry[]
}

export async function readCandidates(sm: StateAccess): Promise<CandidateView[]> {
  const store = new DposStore(sm)
  const cycle = await store.getCycle()
  const out: CandidateView[] = []
  for (const a of await store.candidates.all()) {
    const c = await store.getCandidate(a)
    const n = await store.getNode(a)
    out.push({
      address: a,
      registered: c.registered,
      votes: c.votes,
      trust: c.trust,
      bonusRatioBps: c.bonusBps,
      pendingBonusRatioBps: c.pendingBonusBps,
      removed: c.removedInCycle !== 0n && c.removedInCycle === cycle + 1n,
      url: await store.getUrl(a),
      pledge: n.pledge,
      produced: c.produced,
      missed: c.missed,
      lastConfirmed: c.lastConfirmed,
      witnessBalance: c.witnessBalance,
    })
  }
  return out
}

export async function readWitnesses(sm: StateAccess): Promise<WitnessesView> {
  const store = new DposStore(sm)
  return { cycle: await store.getCycle(), seats: await store.getSeats(), standby: await store.getStandby(), pending: await store.getPending() }
}

/** the trust of a candidate; null when `address` is not a candidate */
export async function readTrust(sm: StateAccess, address: string): Promise<bigint | null> {
  const store = new DposStore(sm)
  const a = normalizeAddress(address)
  if (!(await store.candidates.has(a))) return null
  return store.getCandidateField(a, 'trust')
}

/** a voter's positions (with the reward claimable now) and its unbonding entries */
export async function readVoter(sm: StateAccess, voter: string): Promise<VoterView> {
  const store = new DposStore(sm)
  const v = normalizeAddress(voter)
  const positions: VoterView['positions'] = []
  for (const candidate of await store.voterCandidates(v).all()) {
    const p = await store.getPosition(v, candidate)
    const acc = await store.getCandidateField(candidate, 'acc')
    const carry = await store.getCandidateField(candidate, 'carry')
    positions.push({ candidate, votes: p.votes, pendingReward: pendingReward(p.votes, { acc, carry }, p.debt) })
  }
  return { positions, unbonding: await store.getUnbonding(v) }
}

/** the highest block number `witness` confirmed or produced (0: none) */
export async function lastConfirmedOf(sm: StateAccess, witness: string): Promise<bigint> {
  return new DposStore(sm).getCandidateField(normalizeAddress(witness), 'lastConfirmed')
}
