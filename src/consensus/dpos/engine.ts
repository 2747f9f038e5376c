// Long on purpose (638 lines): the per-block DPoS transition in rule order (seeds, missed slots, removals, confirmations, rewards, elections).
/**
 * The DPoS state transition (DESIGN §4): what every node runs for every block, on the world
 * state the block executes on. Pure in the sense of STYLE §3 — no db, clock or network: the
 * state (a StateAccess), the block's fields and the config in, state writes and typed errors out.
 * The records live in the Staking/NodeRegistry storage (store.ts); the rules here reuse the
 * building blocks (shuffle, schedule, election, trust, rewards, voterIndex) and duplicate none.
 *
 * Rules, in the order beginBlock applies them:
 *
 * 1. Slots. slot(t) = (t − genesisTime) / interval, genesis in slot 0. A block's slot must be
 *    strictly after its parent's (else DPOS_BAD_SLOT; a time before genesis is BAD_SLOT too).
 *    Round ρ = slot / W. The block's timestamp is not required to be the slot start: only its
 *    slot matters (reward, owner).
 * 2. Seeds. Round 0 and 1: the genesis hash. Round ρ ≥ 2: the hash of the first block of round
 *    ρ−1; a round without blocks reuses the seed of the one before (shuffle.ts `roundSeed`).
 *    State keeps {round R of the last block, seed of R, roundFirst = hash of R's first block,
 *    or zero meaning "R's first block is the last executed one" — its hash is unknown while it
 *    executes}. For a block in round r whose parent hash is H: first = roundFirst || H;
 *    r == R: seed = stored seed (genesis hash when r ≤ 1 — the genesis record is all zero,
 *    the genesis hash not being known when the genesis state is written), write roundFirst =
 *    first; r > R: every round R < ρ ≤ r uses ρ ≤ 1 ? genesisHash : first, write {r, seed, 0}.
 *    Order of round ρ = roundOrder(seed(ρ), seats in effect, W). The shuffle depends only on
 *    (seed, W), so the walk below uses the permutation of seat indices once per seed and a seat
 *    replaced in place keeps its slot.
 * 3. Walk from the parent's slot + 1 to the block's slot:
 *    - qualification sweep first: a seated witness that is no longer registered or no longer an
 *      active RN (role ≠ RN, exitTime ≠ 0, pledge < rnPledge) is removed (removedInCycle =
 *      cycle + 1, no trust change); after an activation the same sweep also removes new seats
 *      that are below the threshold or removed this cycle (fell after the election). The seat goes to the first standby by rank that is eligible (registered,
 *      qualified, not removed this cycle, trust ≥ 10,000) — trust.ts replaceRemoved, fed with
 *      an "effective trust" just below the threshold for the ineligible ones; none left → vacant;
 *    - at the first slot of a round ≥ pending.activationRound the election result takes effect
 *      (seats, standby, pending cleared), so a gap over the boundary uses old seats before it
 *      and new ones after;
 *    - every slot strictly between parent and block: its owner (if not vacant) gets −100 trust
 *      and missed + 1; once below 10,000 it is removed and replaced as above at once, so the
 *      replacement owns that seat's later slots.
 *    Liveness guard (decided here, beyond §4): a removal never vacates the last occupied seat.
 *    If a removal pass would leave every seat vacant, the last witness it removed (seat order)
 *    that is still qualified keeps its seat — its trust keeps falling, it is not marked removed —
 *    so a chain paused for more than ~190 rounds (every witness below 10,000) can still produce
 *    and reach the next election, which resets elected witnesses to 28,800. Without it such a
 *    chain could never make another block.
 *    Huge gaps: O(1) per slot, records cached in memory and written once at the end; when every
 *    seat is vacant the walk jumps to the activation round or to the block's slot.
 * 4. Owner check: the owner of the block's slot must be info.producer, else DPOS_WRONG_PRODUCER
 *    (a vacant seat's slot admits no block).
 * 5. Confirmations, in block order: the witness holds a seat (after 3), number < block number,
 *    number > its lastConfirmed, else DPOS_BAD_CONFIRMATION; then lastConfirmed = number, +1.
 *    Decided here: confirmations are checked BEFORE the producer's own update (6), so a producer
 *    may include its own confirmation of the parent (a node confirms every block it receives).
 * 6. Producer: +10 trust, produced + 1, lastConfirmed = max(lastConfirmed, number).
 * 7. Reward R = blockReward(slot), capped by the block-mining pool's balance; split with the
 *    producer's frozen bonus ratio: 10 % → shared pool, the rest → the Staking account; of it
 *    the voters' part enters the producer's reward-per-vote index (accumulate with its total
 *    votes; undistributed → witness) and the witness part its witnessBalance. Transfers only.
 * Nothing is written before every check of 1–5 has passed.
 *
 * The RN minimum pledge (decided for issue 20, docs/decisions.md "rnPledge"): `cfg` is always the
 * genesis config. Governance may change rnPledge (gov/params.ts); the election reads the value in
 * force (the override in the Governance account), and records it with the pending seats when an
 * override exists; at activation it becomes the seats' minimum (DposStore seat pledge). "Qualified"
 * for a seated witness or standby (rules 3 and penalizeViolation) means pledge ≥ that minimum, so a
 * rise takes no seat before the next election has run and activated — no retroactive removal or
 * slashing — and an election nobody qualifies for elects nobody: the seats stay (no halt).
 *
 * endBlock, at the last block of a counting cycle ((number + 1) % cycleBlocks == 0): clear
 * removedInCycle for every candidate, elect among the registered qualified RNs by (votes desc,
 * trust desc, address asc), reset elected witnesses below 10,000 to 28,800, freeze every
 * candidate's pending bonus ratio, store the result as pending for round(slot) + 1, cycle + 1.
 * No eligible candidate: the seats stay (no pending; the cycle still advances and ratios freeze).
 *
 * penalizeViolation (evidence, from a transaction): −100 trust, slash pledge·evidenceSlashBps/10⁴
 * from NodeRegistry and the same share of the unwithdrawn traffic rewards from FlowRewards to the
 * shared pool, removal and replacement at once if seated and below 10,000 or below the RN
 * minimum pledge. It applies to any address (a non-candidate's record is simply unused); dedupe
 * is the caller's.
 *
 * Determinism: bigint arithmetic, Maps only as caches (never iterated for a result), records
 * written in ascending address order.
 */
import { NfcError } from '../../util/errors.js'
import { hexNoPrefix } from '../../util/bytes.js'
import { elect, isLastBlockOfCycle, type Candidate } from './election.js'
import { DposError } from './errors.js'
import { INITIAL_TRUST, REMOVAL_THRESHOLD, TRUST_CONFIRMED, TRUST_PRODUCED, TRUST_VIOLATION } from './params.js'
import { blockReward, DEFAULT_BLOCK_REWARD_PARAMS, splitBlockReward, type BlockRewardParams } from './rewards.js'
import { roundOrder, slotAt } from './schedule.js'
import { shuffle } from './shuffle.js'
import {
  BLOCK_MINING_POOL,
  DposStore,
  NODE_REGISTRY,
  SHARED_POOL,
  STAKING,
  type Addr,
  type CandidateRecord,
  type PendingSeats,
  type StateAccess,
} from './store.js'
import { replaceRemoved } from './trust.js'
import { accumulate } from './voterIndex.js'
import { DEFAULT_FLOW_CONFIG, type FlowConfig } from '../povf/params.js'
import { DEFAULT_NAMES_CONFIG, type NamesConfig } from '../names/rules.js'
import { DEFAULT_DEALS_CONFIG, type DealsConfig } from '../deals/rules.js'
import { slashLockedRewards } from '../povf/slashLocks.js'
import { FlowStore } from '../povf/store.js'
import { GovStore, PARAM_RN_PLEDGE } from '../gov/store.js'

export interface DposConfig {
  W: number
  cycleBlocks: bigint
  intervalMs: bigint
  /** ms */
  genesisTime: bigint
  genesisHash: Uint8Array
  rnPledge: bigint
  unbondingDelayMs: bigint
  pledgeUnlockMs: bigint
  evidenceSlashBps: bigint
  /** default DEFAULT_BLOCK_REWARD_PARAMS */
  rewardParams?: BlockRewardParams
  /** PoVF and token economy; default DEFAULT_FLOW_CONFIG (read it through `flowOf(cfg)`) */
  flow?: FlowConfig
  /** Names (DESIGN §14); default DEFAULT_NAMES_CONFIG (read it through `namesOf(cfg)`) */
  names?: NamesConfig
  /** storage deals (DESIGN §14); default DEFAULT_DEALS_CONFIG (read it through `dealsOf(cfg)`) */
  deals?: DealsConfig
}

/** The flow parameters of a config (mainnet defaults where a harness left them out). */
export function flowOf(cfg: DposConfig): FlowConfig {
  return cfg.flow ?? DEFAULT_FLOW_CONFIG
}

/** The storage-deal parameters of a config (mainnet defaults where a harness left them out). */
export function dealsOf(cfg: DposConfig): DealsConfig {
  return cfg.deals ?? DEFAULT_DEALS_CONFIG
}

/** The Names parameters of a config (mainnet defaults where a harness left them out). */
export function namesOf(cfg: DposConfig): NamesConfig {
  return cfg.names ?? DEFAULT_NAMES_CONFIG
}

export interface BlockInfo {
  number: bigint
  /** ms, slot start */
  timestamp: bigint
  /** lowercase */
  producer: Addr
  parentHash: Uint8Array
  parentTimestamp: bigint
  /** confirmations included in the block, in block order; signatures already verified by the chain */
  confirmations: { witness: Addr; number: bigint }[]
}

export interface Schedule {
  slot: bigint
  round: bigint
  seed: Uint8Array
  /** this round's shuffled seats */
  order: (Addr | null)[]
  /** who may produce in `slot` */
  owner: Addr | null
  /** in effect for the slot (after activation/removals) */
  seats: (Addr | null)[]
  standby: Addr[]
}

export interface BeginResult {
  slot: bigint
  round: bigint
  /** missed slots with their witness, at most 1,024; whole empty rounds skipped in bulk are listed once per witness */
  missed: { slot: bigint; witness: Addr }[]
  /** all missed slots */
  missedCount: bigint
  removed: Addr[]
  reward: bigint
}

type Field = 'trust' | 'removedInCycle' | 'missed' | 'produced' | 'lastConfirmed' | 'registered'

const ZERO32 = new Uint8Array(32)

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
  return true
}

const hex = hexNoPrefix

/**
 * The DPoS records one block (or one call) touches, in memory: seats, standby, pending, and the
 * candidate fields read so far. Everything changes here; `flush` writes the changes once.
 */
class Working {
  readonly removed: Addr[] = []
  private readonly vals = new Map<Addr, Partial<Record<Field, bigint>>>()
  private readonly dirty = new Map<Addr, Set<Field>>()
  private readonly eligibility = new Map<Addr, boolean>()
  private seatsDirty = false
  private standbyDirty = false
  private pendingDirty = false
  private seatPledgeDirty = false

  private constructor(
    readonly store: DposStore,
    private readonly cfg: DposConfig,
    readonly cycle: bigint,
    public seats: (Addr | null)[],
    public standby: Addr[],
    public pending: PendingSeats | null,
    /** the minimum pledge the seats are held to (0: the genesis rnPledge) */
    private seatPledge: bigint,
  ) {}

  static async load(store: DposStore, cfg: DposConfig): Promise<Working> {
    const seats = await store.getSeats()
    while (seats.length < cfg.W) seats.push(null)
    return new Working(store, cfg, await store.getCycle(), seats, await store.getStandby(), await store.getPending(), await store.getSeatPledge())
  }

  // --- candidate fields ------------------------------------------------------------------------

  async get(a: Addr, f: Field): Promise<bigint> {
    let rec = this.vals.get(a)
    if (rec === undefined) this.vals.set(a, (rec = {}))
    const v = rec[f]
    if (v !== undefined) return v
    const raw = await this.store.getCandidateField(a, f)
    const n = typeof raw === 'boolean' ? (raw ? 1n : 0n) : raw
    rec[f] = n
    return n
  }

  async set(a: Addr, f: Field, v: bigint): Promise<void> {
    await this.get(a, f) // loaded, so an unchanged value is recognised
    const rec = this.vals.get(a)!
    if (rec[f] === v) return
    rec[f] = v
    let d = this.dirty.get(a)
    if (d === undefined) this.dirty.set(a, (d = new Set()))
    d.add(f)
  }

  async add(a: Addr, f: Field, delta: bigint): Promise<bigint> {
    const v = (await this.get(a, f)) + delta
    await this.set(a, f, v)
    return v
  }

  /** a registered, active RN with at least the seats' minimum pledge (read once per Working and seat minimum) */
  async qualified(a: Addr): Promise<boolean> {
    const known = this.eligibility.get(a)
    if (known !== undefined) return known
    const min = this.seatPledge === 0n ? this.cfg.rnPledge : this.seatPledge
    const ok = (await this.get(a, 'registered')) !== 0n && (await this.store.isActiveRN(a, min))
    this.eligibility.set(a, ok)
    return ok
  }

  /** may hold a seat now: qualified, not removed this cycle, trust ≥ threshold */
  async fit(a: Addr): Promise<boolean> {
    if ((await this.get(a, 'trust')) < REMOVAL_THRESHOLD) return false
    if ((await this.get(a, 'removedInCycle')) === this.cycle + 1n) return false
    return this.qualified(a)
  }

  // --- seats -----------------------------------------------------------------------------------

  /**
   * Removes the seated witnesses in `out` (seat order) and fills each seat with the first fit
   * standby by rank (trust.ts replaceRemoved; the unfit are fed to it just below the threshold).
   */
  private async evict(out: ReadonlySet<Addr>): Promise<void> {
    if (out.size === 0) return
    const trust: Record<string, bigint> = {}
    for (const a of this.seats) if (a !== null) trust[a] = out.has(a) ? REMOVAL_THRESHOLD - 1n : INITIAL_TRUST
    // only as many standby candidates as seats to fill need a verdict: replaceRemoved takes the
    // first fit ones in order, and a missing entry counts as fit (it is never reached)
    let needed = out.size
    for (const s of this.standby) {
      if (needed === 0) break
      if (await this.fit(s)) {
        trust[s] = INITIAL_TRUST
        needed--
      } else trust[s] = REMOVAL_THRESHOLD - 1n
    }
    const r = replaceRemoved(this.seats, this.standby, trust)
    if (!r.witnesses.some((a) => a !== null)) {
      // liveness guard: never vacate the last seat — keep the last removed witness (seat order)
      // that is still qualified; its trust keeps falling but it is not marked removed
      for (let i = r.promoted.length - 1; i >= 0; i--) {
        const p = r.promoted[i]!
        if (await this.qualified(p.removed)) {
          r.witnesses[p.seat] = p.removed
          r.removed.splice(r.removed.indexOf(p.removed), 1)
          break
        }
      }
    }
    for (const a of r.removed) {
      await this.set(a, 'removedInCycle', this.cycle + 1n)
      this.removed.push(a)
    }
    this.seats = r.witnesses
    this.standby = r.standby
    this.seatsDirty = this.standbyDirty = true
  }

  /**
   * Removes and replaces every seated witness that is not fit (rule 3, first bullet). Between
   * blocks only qualification can change for a seated witness (its trust falls only in the
   * walk or in penalizeViolation, which evict at once; removal marks come with an eviction),
   * so `full` — trust and removal marks too — is needed only for newly activated seats.
   */
  async sweep(full: boolean): Promise<void> {
    const out = new Set<Addr>()
    for (const a of this.seats) if (a !== null && !(full ? await this.fit(a) : await this.qualified(a))) out.add(a)
    await this.evict(out)
  }

  /** −100 trust; a seated witness that falls below the threshold is removed and replaced */
  async violation(a: Addr): Promise<bigint> {
    const t = await this.add(a, 'trust', TRUST_VIOLATION)
    if (t < REMOVAL_THRESHOLD && this.seats.includes(a)) await this.evict(new Set([a]))
    return t
  }

  /** a seated `a` that no longer qualifies (e.g. slashed below the RN minimum) is removed and replaced now */
  async evictIfUnqualified(a: Addr): Promise<void> {
    if (this.seats.includes(a) && !(await this.qualified(a))) await this.evict(new Set([a]))
  }

  /** the election result takes effect when round `round` is at or after its activation round */
  async activateIfDue(round: bigint): Promise<void> {
    if (this.pending === null || round < this.pending.activationRound) return
    const seats = this.pending.seats.slice()
    while (seats.length < this.cfg.W) seats.push(null)
    this.seats = seats
    this.standby = this.pending.standby.slice()
    this.pending = null
    this.seatsDirty = this.standbyDirty = this.pendingDirty = true
    // the new seats are held to the minimum they were elected under (recorded only once governed)
    const elected = await this.store.getPendingPledge()
    if (elected !== 0n && elected !== this.seatPledge) {
      this.seatPledge = elected
      this.seatPledgeDirty = true
      this.eligibility.clear()
    }
    await this.sweep(true)
  }

  occupied(): boolean {
    for (const a of this.seats) if (a !== null) return true
    return false
  }

  async flush(): Promise<void> {
    if (this.seatsDirty) await this.store.setSeats(this.seats)
    if (this.standbyDirty) await this.store.setStandby(this.standby)
    if (this.pendingDirty) await this.store.setPending(this.pending)
    if (this.seatPledgeDirty) await this.store.setSeatPledge(this.seatPledge)
    const addrs = [...this.dirty.keys()].sort()
    for (const a of addrs) {
      const rec = this.vals.get(a)!
      const fields: Partial<CandidateRecord> = {}
      for (const f of [...this.dirty.get(a)!].sort()) {
        if (f === 'registered') fields.registered = rec.registered !== 0n
        else fields[f] = rec[f]!
      }
      await this.store.putCandidate(a, fields)
    }
  }
}

function slotOf(t: bigint, cfg: DposConfig, what: string): bigint {
  if (t < cfg.genesisTime) throw new NfcError(DposError.BAD_SLOT, `${what} time ${t} is before genesis`, { t, genesisTime: cfg.genesisTime })
  return slotAt(t, cfg.genesisTime, cfg.intervalMs)
}

interface Walked {
  slot: bigint
  round: bigint
  seed: Uint8Array
  /** the permutation of seat indices of the block's round */
  perm: number[]
  missed: { slot: bigint; witness: Addr }[]
  /** every missed slot counted (the list above is capped and lists bulk-skipped rounds once) */
  missedCount: bigint
  /** the round record to store for the block */
  roundRecord: { round: bigint; seed: Uint8Array; roundFirst: Uint8Array }
}

/** BeginResult.missed lists at most this many entries (a gap of days would list millions). */
const MAX_MISSED_LISTED = 1024

/**
 * How many whole empty rounds from round `rho` on can be applied in bulk: all before the block's
 * round `slotRound`, none at or after a pending activation, and few enough that no seated witness
 * goes below the removal threshold (a witness already below it keeps its seat under rule 1 and
 * constrains nothing).
 */
async function skippableRounds(w: Working, rho: bigint, slotRound: bigint): Promise<bigint> {
  let k = slotRound - rho
  if (w.pending !== null && w.pending.activationRound > rho && w.pending.activationRound - rho < k) k = w.pending.activationRound - rho
  for (const a of w.seats) {
    if (a === null) continue
    const t = await w.get(a, 'trust')
    if (t < REMOVAL_THRESHOLD) continue
    // violations it can take and stay at or above the threshold
    const safe = (t - REMOVAL_THRESHOLD) / -TRUST_VIOLATION
    if (safe < k) k = safe
  }
  return k
}

/** Rules 1–3: seeds, activation, missed-slot penalties and removals, up to the block's slot. */
async function walk(w: Working, parentHash: Uint8Array, parentTimestamp: bigint, slot: bigint, cfg: DposConfig): Promise<Walked> {
  const W = BigInt(cfg.W)
  const parentSlot = slotOf(parentTimestamp, cfg, 'parent')
  if (slot <= parentSlot) throw new NfcError(DposError.BAD_SLOT, `slot ${slot} is not after the parent's slot ${parentSlot}`, { slot, parentSlot })

  const rr = await w.store.getRound()
  const first = isZero(rr.roundFirst) ? parentHash : rr.roundFirst
  const seedOf = (rho: bigint): Uint8Array => (rho <= 1n ? cfg.genesisHash : rho === rr.round ? rr.seed : first)
  const perms = new Map<string, number[]>()
  const permOf = (seed: Uint8Array): number[] => {
    const k = hex(seed)
    let p = perms.get(k)
    if (p === undefined)
      perms.set(
        k,
        (p = shuffle(
          seed,
          Array.from({ length: cfg.W }, (_, i) => i),
        )),
      )
    return p
  }

  await w.sweep(false)
  const missed: Walked['missed'] = []
  let missedCount = 0n
  let round = -1n
  let perm: number[] = []
  let x = parentSlot + 1n
  for (;;) {
    const rho = x / W
    if (rho !== round) {
      round = rho
      await w.activateIfDue(rho)
      perm = permOf(seedOf(rho))
      if (x % W === 0n && x < slot) {
        const k = await skippableRounds(w, rho, slot / W)
        if (k >= 2n) {
          // k whole empty rounds: every seated witness misses exactly one slot per round and none
          // crosses the removal threshold on the way, so the order inside the rounds is moot
          for (const a of w.seats) {
            if (a === null) continue
            await w.add(a, 'missed', k)
            await w.add(a, 'trust', TRUST_VIOLATION * k)
            missedCount += k
            if (missed.length < MAX_MISSED_LISTED) missed.push({ slot: x, witness: a })
          }
          x += k * W
          round = -1n
          continue
        }
      }
    }
    if (x === slot) break
    if (!w.occupied()) {
      // nobody to punish until the next activation: jump there, or to the block's slot
      const at = w.pending === null ? slot : w.pending.activationRound * W
      x = at > x && at < slot ? at : slot
      continue
    }
    const owner = w.seats[perm[Number(x % W)]!]!
    if (owner !== null) {
      if (missed.length < MAX_MISSED_LISTED) missed.push({ slot: x, witness: owner })
      missedCount += 1n
      await w.add(owner, 'missed', 1n)
      await w.violation(owner)
    }
    x++
  }
  const seed = seedOf(round)
  const roundRecord = round === rr.round ? { round, seed, roundFirst: first } : { round, seed, roundFirst: ZERO32 }
  return { slot, round, seed, perm, missed, missedCount, roundRecord }
}

function orderOf(w: Working, perm: readonly number[]): (Addr | null)[] {
  return perm.map((i) => w.seats[i]!)
}

/** Read-only: the schedule for a child of the block whose post-state is `sm` and hash `parentHash`. */
export async function scheduleFor(sm: StateAccess, parentHash: Uint8Array, parentTimestamp: bigint, slot: bigint, cfg: DposConfig): Promise<Schedule> {
  const w = await Working.load(new DposStore(sm), cfg)
  const k = await walk(w, parentHash, parentTimestamp, slot, cfg)
  const order = roundOrder(k.seed, w.seats, cfg.W)
  return { slot, round: k.round, seed: k.seed, order, owner: order[Number(slot % BigInt(cfg.W))]!, seats: w.seats.slice(), standby: w.standby.slice() }
}

/** Before the block's transactions: rules 1–7. Throws NfcError (DposError.*) when the block breaks a rule. */
export async function beginBlock(sm: StateAccess, info: BlockInfo, cfg: DposConfig): Promise<BeginResult> {
  const store = new DposStore(sm)
  const w = await Working.load(store, cfg)
  const slot = slotOf(info.timestamp, cfg, 'block')
  const k = await walk(w, info.parentHash, info.parentTimestamp, slot, cfg)

  const producer = info.producer.toLowerCase()
  const owner = orderOf(w, k.perm)[Number(slot % BigInt(cfg.W))]!
  if (owner === null || owner !== producer) {
    throw new NfcError(DposError.WRONG_PRODUCER, `slot ${slot} belongs to ${owner ?? 'a vacant seat'}, not ${producer}`, { slot, owner, producer })
  }

  for (const c of info.confirmations) {
    const a = c.witness.toLowerCase()
    if (!w.seats.includes(a)) throw new NfcError(DposError.BAD_CONFIRMATION, `${a} holds no seat`, { witness: a, number: c.number })
    if (c.number >= info.number)
      throw new NfcError(DposError.BAD_CONFIRMATION, `confirmation of ${c.number} in block ${info.number}`, { witness: a, number: c.number })
    const last = await w.get(a, 'lastConfirmed')
    if (c.number <= last)
      throw new NfcError(DposError.BAD_CONFIRMATION, `${a} already confirmed ${last}`, { witness: a, number: c.number, lastConfirmed: last })
    await w.set(a, 'lastConfirmed', c.number)
    await w.add(a, 'trust', TRUST_CONFIRMED)
  }

  await w.add(producer, 'trust', TRUST_PRODUCED)
  await w.add(producer, 'produced', 1n)
  if ((await w.get(producer, 'lastConfirmed')) < info.number) await w.set(producer, 'lastConfirmed', info.number)

  await w.flush()
  await store.setRound(k.roundRecord)
  const reward = await payReward(store, producer, slot, cfg)
  return { slot, round: k.round, missed: k.missed, missedCount: k.missedCount, removed: w.removed, reward }
}

/** Rule 7. Returns the reward paid (R after the pool cap). */
async function payReward(store: DposStore, producer: Addr, slot: bigint, cfg: DposConfig): Promise<bigint> {
  const full = blockReward(slot, cfg.intervalMs, cfg.rewardParams ?? DEFAULT_BLOCK_REWARD_PARAMS)
  const pool = await store.balanceOf(BLOCK_MINING_POOL)
  const reward = full < pool ? full : pool
  if (reward === 0n) return 0n
  const field = <F extends keyof CandidateRecord>(f: F) => store.getCandidateField(producer, f)
  const split = splitBlockReward(reward, await field('bonusBps'))
  await store.transfer(BLOCK_MINING_POOL, SHARED_POOL, split.sharedPool)
  await store.transfer(BLOCK_MINING_POOL, STAKING, split.supervisory)
  const acc = accumulate({ acc: await field('acc'), carry: await field('carry') }, split.voters, await field('votes'))
  await store.putCandidate(producer, {
    acc: acc.index.acc,
    carry: acc.index.carry,
    witnessBalance: (await field('witnessBalance')) + split.witness + acc.undistributed,
  })
  return reward
}

/** After the block's transactions: the election at the last block of a counting cycle. */
export async function endBlock(sm: StateAccess, info: BlockInfo, cfg: DposConfig): Promise<{ elected: Addr[] | null }> {
  if (!isLastBlockOfCycle(info.number, cfg.cycleBlocks)) return { elected: null }
  const store = new DposStore(sm)
  const slot = slotOf(info.timestamp, cfg, 'block')
  // the RN minimum in force: governance's override when there is one (see the file header)
  const governed = await new GovStore(sm).overrideOf(PARAM_RN_PLEDGE)
  const rnPledge = governed ?? cfg.rnPledge
  const addrs = await store.candidates.all()
  const list: Candidate[] = []
  const records = new Map<Addr, CandidateRecord>()
  for (const a of addrs) {
    const c = await store.getCandidate(a)
    records.set(a, c)
    const fields: Partial<CandidateRecord> = {}
    if (c.removedInCycle !== 0n) fields.removedInCycle = 0n
    if (c.bonusBps !== c.pendingBonusBps) fields.bonusBps = c.pendingBonusBps
    if (fields.removedInCycle !== undefined || fields.bonusBps !== undefined) await store.putCandidate(a, fields)
    const eligible = c.registered && (await store.isActiveRN(a, rnPledge))
    list.push({ address: a, votes: c.votes, trust: c.trust, eligible })
  }
  await store.setCycle((await store.getCycle()) + 1n)
  const result = elect(list, cfg.W)
  if (result.witnesses.length === 0) return { elected: null }
  for (const a of result.witnesses) {
    if (records.get(a)!.trust < REMOVAL_THRESHOLD) await store.putCandidate(a, { trust: INITIAL_TRUST })
  }
  const seats: (Addr | null)[] = result.witnesses.slice()
  while (seats.length < cfg.W) seats.push(null)
  await store.setPending({ activationRound: slot / BigInt(cfg.W) + 1n, seats, standby: result.standby })
  if (governed !== undefined && (await store.getPendingPledge()) !== governed) await store.setPendingPledge(governed)
  return { elected: result.witnesses }
}

/** What penalizeViolation did. */
export interface Penalty {
  /** the offender's trust after the −100 */
  trust: bigint
  /** NFC taken in all: slashedPledge + slashedRewards */
  slashed: bigint
  /** from its pledge (NodeRegistry) */
  slashedPledge: bigint
  /** from its unwithdrawn traffic rewards (FlowRewards, povf/slashLocks.ts) */
  slashedRewards: bigint
  /** it held a seat and lost it to this penalty */
  removed: boolean
}

/**
 * Evidence of a violation (invalid block, double production, a signed bad checkpoint): −100
 * trust; evidenceSlashBps of the pledge — active, unlocking after an exit, or unlocked and not
 * yet withdrawn: whatever NodeRegistry still holds — and of the unwithdrawn traffic rewards go to
 * the shared pool. A seated offender that is now below the removal threshold or below the RN
 * minimum pledge is removed and its seat goes to the next fit standby in the same state change,
 * so no slot of the round is left to it (DESIGN §12).
 */
export async function penalizeViolation(sm: StateAccess, offender: Addr, cfg: DposConfig): Promise<Penalty> {
  const a = offender.toLowerCase()
  const store = new DposStore(sm)
  const slashedPledge = await slashPledge(store, a, cfg.evidenceSlashBps)
  const slashedRewards = await slashLockedRewards(new FlowStore(sm), a, cfg.evidenceSlashBps)
  const w = await Working.load(store, cfg)
  const trust = await w.violation(a)
  await w.evictIfUnqualified(a)
  await w.flush()
  return { trust, slashed: slashedPledge + slashedRewards, slashedPledge, slashedRewards, removed: w.removed.includes(a) }
}

/** Moves `bps` of `a`'s pledge from NodeRegistry to the shared pool; returns the amount. */
async function slashPledge(store: DposStore, a: Addr, bps: bigint): Promise<bigint> {
  const node = await store.getNode(a)
  const slashed = (node.pledge * bps) / 10_000n
  if (slashed > 0n) {
    await store.transfer(NODE_REGISTRY, SHARED_POOL, slashed)
    await store.putNode(a, { pledge: node.pledge - slashed })
  }
  return slashed
}
