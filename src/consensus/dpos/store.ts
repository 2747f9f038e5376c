// Long on purpose (594 lines): the storage layout of every DPoS record in one place, so no two records can share a slot.
/**
 * Where the DPoS state lives: storage words of the system accounts, inside the world state, so
 * the state root commits to every vote, pledge, trust value and seat, `eth_getProof` proves
 * them, and an archive node can read them at any block.
 *
 * Layout. Every record is one 32-byte storage word of the Staking account (0x…1000) or the
 * NodeRegistry account (0x…1001), at the slot keccak256(utf8(tag) ‖ args…) — tags are
 * distinct strings, so slots never collide. Numbers are unsigned words except the ones marked
 * signed (two's complement, 256 bits). Lists are a length word plus one word per item, and an
 * index word (position + 1) where membership must be O(1).
 *
 * This file only reads and writes; the rules are in engine.ts (per block) and the system
 * contracts (per transaction).
 */
import { Account, Address, bigIntToBytes, bytesToBigInt, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { core } from '../../core/index.js'
import { uint64be } from '../../util/bytes.js'
import { POOLS, SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'

/** The state operations the store needs (a MerkleStateManager has them). */
export interface StateAccess {
  getStorage(address: Address, key: Uint8Array): Promise<Uint8Array>
  putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void>
  getAccount(address: Address): Promise<Account | undefined>
  putAccount(address: Address, account: Account | undefined): Promise<void>
}

export const STAKING = new Address(hexToBytes(SYSTEM_CONTRACTS.staking))
export const NODE_REGISTRY = new Address(hexToBytes(SYSTEM_CONTRACTS.nodeRegistry))
export const EVIDENCE = new Address(hexToBytes(SYSTEM_CONTRACTS.evidence))
export const SHARED_POOL = new Address(hexToBytes(POOLS.shared))
export const BLOCK_MINING_POOL = new Address(hexToBytes(POOLS.blockMining))

const utf8 = new TextEncoder()
const TWO_256 = 1n << 256n
const TWO_255 = 1n << 255n

/** Node roles in the NodeRegistry (DESIGN §6); CN and EN arrive with the PoVF issue. */
export const Role = { None: 0, RN: 1, CN: 2, EN: 3 } as const

/** lowercase 0x-hex of a 20-byte address */
export type Addr = string

function addrBytes(a: Addr): Uint8Array {
  return hexToBytes(a as `0x${string}`)
}

/** 8-byte big-endian (util/bytes' uint64be) */
export const u64b = uint64be

/** The storage slot of a record: keccak256(tag ‖ parts). */
export function slotOf(tag: string, ...parts: Uint8Array[]): Uint8Array {
  let len = 0
  const t = utf8.encode(tag)
  for (const p of parts) len += p.length
  const buf = new Uint8Array(t.length + len)
  buf.set(t, 0)
  let o = t.length
  for (const p of parts) {
    buf.set(p, o)
    o += p.length
  }
  return core.keccak256(buf)
}

export function toAddr(word: bigint): Addr | null {
  if (word === 0n) return null
  return `0x${word.toString(16).padStart(40, '0')}`
}

export function fromAddr(a: Addr | null): bigint {
  return a === null ? 0n : BigInt(a)
}

/** Raw word access on one account. */
export class Words {
  constructor(
    private readonly sm: StateAccess,
    readonly account: Address,
  ) {}

  async get(slot: Uint8Array): Promise<bigint> {
    const v = await this.sm.getStorage(this.account, slot)
    return v.length === 0 ? 0n : bytesToBigInt(v)
  }

  async set(slot: Uint8Array, value: bigint): Promise<void> {
    if (value < 0n || value >= TWO_256) throw new RangeError(`storage word out of range: ${value}`)
    // a zero word is deleted from the trie (putStorage with an all-zero value does that)
    await this.sm.putStorage(this.account, slot, value === 0n ? new Uint8Array(0) : setLengthLeft(bigIntToBytes(value), 32))
  }

  async getSigned(slot: Uint8Array): Promise<bigint> {
    const v = await this.get(slot)
    return v >= TWO_255 ? v - TWO_256 : v
  }

  async setSigned(slot: Uint8Array, value: bigint): Promise<void> {
    await this.set(slot, value < 0n ? value + TWO_256 : value)
  }

  async getBytes32(slot: Uint8Array): Promise<Uint8Array> {
    const v = await this.sm.getStorage(this.account, slot)
    return setLengthLeft(v, 32)
  }

  async setBytes32(slot: Uint8Array, value: Uint8Array): Promise<void> {
    await this.set(slot, bytesToBigInt(value))
  }

  /** A UTF-8 string: its byte length at slotOf(`${tag}.len`, key), its bytes in words at slotOf(tag, key, u64 i). */
  async getString(tag: string, key: Uint8Array): Promise<string> {
    const len = Number(await this.get(slotOf(`${tag}.len`, key)))
    const bytes = new Uint8Array(len)
    for (let i = 0; i * 32 < len; i++) {
      const word = await this.getBytes32(slotOf(tag, key, u64b(BigInt(i))))
      bytes.set(word.subarray(0, Math.min(32, len - i * 32)), i * 32)
    }
    return new TextDecoder().decode(bytes)
  }

  /** Writes a string as getString reads it; the words of a longer old value are cleared. */
  async setString(tag: string, key: Uint8Array, value: string): Promise<void> {
    const bytes = utf8.encode(value)
    const oldLen = Number(await this.get(slotOf(`${tag}.len`, key)))
    const words = Math.ceil(bytes.length / 32)
    for (let i = 0; i < words; i++) {
      const word = new Uint8Array(32)
      word.set(bytes.subarray(i * 32, i * 32 + 32))
      await this.setBytes32(slotOf(tag, key, u64b(BigInt(i))), word)
    }
    for (let i = words; i * 32 < oldLen; i++) await this.set(slotOf(tag, key, u64b(BigInt(i))), 0n)
    await this.set(slotOf(`${tag}.len`, key), BigInt(bytes.length))
  }
}

/**
 * A list of non-zero words with O(1) membership: len, item[i], index[key(word)] = i + 1.
 * `keyOf` gives the bytes a word's index slot is keyed by (default: the 32-byte word).
 */
export class WordList {
  constructor(
    private readonly w: Words,
    private readonly tag: string,
    private readonly owner: Uint8Array = new Uint8Array(0),
    private readonly keyOf: (word: bigint) => Uint8Array = (word) => setLengthLeft(bigIntToBytes(word), 32),
  ) {}

  private lenSlot() {
    return slotOf(`${this.tag}.len`, this.owner)
  }
  private itemSlot(i: bigint) {
    return slotOf(`${this.tag}.item`, this.owner, u64b(i))
  }
  private indexSlot(word: bigint) {
    return slotOf(`${this.tag}.index`, this.owner, this.keyOf(word))
  }

  length(): Promise<bigint> {
    return this.w.get(this.lenSlot())
  }

  /** the items at positions from … to − 1, `to` cut to the length */
  async slice(from: bigint, to: bigint): Promise<bigint[]> {
    const n = await this.length()
    const end = to < n ? to : n
    const out: bigint[] = []
    for (let i = from; i < end; i++) out.push(await this.w.get(this.itemSlot(i)))
    return out
  }

  async all(): Promise<bigint[]> {
    return this.slice(0n, await this.length())
  }

  async has(word: bigint): Promise<boolean> {
    return (await this.w.get(this.indexSlot(word))) !== 0n
  }

  /** appends `word` unless present; returns true when added */
  async add(word: bigint): Promise<boolean> {
    if (word === 0n) throw new RangeError('WordList items are non-zero')
    if (await this.has(word)) return false
    const n = await this.length()
    await this.w.set(this.itemSlot(n), word)
    await this.w.set(this.indexSlot(word), n + 1n)
    await this.w.set(this.lenSlot(), n + 1n)
    return true
  }

  /** removes `word` (the last item takes its place); returns true when removed */
  async remove(word: bigint): Promise<boolean> {
    const idx = await this.w.get(this.indexSlot(word))
    if (idx === 0n) return false
    const n = await this.length()
    const last = await this.w.get(this.itemSlot(n - 1n))
    if (idx - 1n !== n - 1n) {
      await this.w.set(this.itemSlot(idx - 1n), last)
      await this.w.set(this.indexSlot(last), idx)
    }
    await this.w.set(this.itemSlot(n - 1n), 0n)
    await this.w.set(this.indexSlot(word), 0n)
    await this.w.set(this.lenSlot(), n - 1n)
    return true
  }
}

/** An address list with O(1) membership: a WordList of address words, indexed by the 20 address bytes. */
export class AddressList {
  private readonly list: WordList

  constructor(w: Words, tag: string, owner: Uint8Array = new Uint8Array(0)) {
    this.list = new WordList(w, tag, owner, (word) => addrBytes(toAddr(word)!))
  }

  length(): Promise<bigint> {
    return this.list.length()
  }

  async all(): Promise<Addr[]> {
    return (await this.list.all()).map((w) => toAddr(w)!)
  }

  /** the items at positions from … to − 1, `to` cut to the length */
  async slice(from: bigint, to: bigint): Promise<Addr[]> {
    return (await this.list.slice(from, to)).map((w) => toAddr(w)!)
  }

  has(a: Addr): Promise<boolean> {
    return this.list.has(fromAddr(a))
  }

  /** appends `a` unless present; returns true when added */
  add(a: Addr): Promise<boolean> {
    return this.list.add(fromAddr(a))
  }

  /** removes `a` (the last item takes its place); returns true when removed */
  remove(a: Addr): Promise<boolean> {
    return this.list.remove(fromAddr(a))
  }
}

/** A fixed-length list of seats (address or null = vacant) or a plain address list. */
class SeatList {
  constructor(
    private readonly w: Words,
    private readonly tag: string,
  ) {}
  async get(): Promise<(Addr | null)[]> {
    const n = await this.w.get(slotOf(`${this.tag}.len`))
    const out: (Addr | null)[] = []
    for (let i = 0n; i < n; i++) out.push(toAddr(await this.w.get(slotOf(`${this.tag}.item`, u64b(i)))))
    return out
  }
  async set(list: readonly (Addr | null)[]): Promise<void> {
    const old = await this.w.get(slotOf(`${this.tag}.len`))
    for (let i = 0; i < list.length; i++) await this.w.set(slotOf(`${this.tag}.item`, u64b(BigInt(i))), fromAddr(list[i]!))
    for (let i = BigInt(list.length); i < old; i++) await this.w.set(slotOf(`${this.tag}.item`, u64b(i)), 0n)
    await this.w.set(slotOf(`${this.tag}.len`), BigInt(list.length))
  }
}

/** Per-candidate records (Staking account). */
export interface CandidateRecord {
  /** 0 = not registered */
  registered: boolean
  /** bonus ratio in force this cycle (frozen at the last election), bps */
  bonusBps: bigint
  /** the ratio asked for with setBonusRatio; frozen into `bonusBps` at the next election */
  pendingBonusBps: bigint
  /** Σ votes of all voters, wei */
  votes: bigint
  /** signed */
  trust: bigint
  /** the cycle number + 1 in which it was removed (0 = not removed) */
  removedInCycle: bigint
  /** highest block number it confirmed (its own blocks count) */
  lastConfirmed: bigint
  produced: bigint
  missed: bigint
  /** claimable wei: the witness's part of its block rewards */
  witnessBalance: bigint
  /** reward-per-vote index (voterIndex.ts) */
  acc: bigint
  carry: bigint
}

const CANDIDATE_FIELDS = [
  'registered',
  'bonusBps',
  'pendingBonusBps',
  'votes',
  'trust',
  'removedInCycle',
  'lastConfirmed',
  'produced',
  'missed',
  'witnessBalance',
  'acc',
  'carry',
] as const satisfies readonly (keyof CandidateRecord)[]

export interface NodeRecord {
  role: number
  /** wei pledged and not yet withdrawn or slashed */
  pledge: bigint
  /** ms timestamp of the exit (0: active) */
  exitTime: bigint
  /** the pledge at exit (the linear unlock runs over it) */
  pledgeAtExit: bigint
  /** wei withdrawn since the exit */
  withdrawn: bigint
}

export interface UnbondingEntry {
  amount: bigint
  /** ms timestamp from which it can be withdrawn */
  releaseTime: bigint
}

/** Most unbonding entries a voter may have pending (withdrawUnbonded clears matured ones). */
export const MAX_UNBONDING_ENTRIES = 32

/** Round bookkeeping for the seeds (see engine.ts). */
export interface RoundRecord {
  /** round of the last block executed */
  round: bigint
  /** the seed of that round */
  seed: Uint8Array
  /** hash of the first block of that round; all zero = that block is the last one executed */
  roundFirst: Uint8Array
}

/** The election result waiting for its first round. */
export interface PendingSeats {
  activationRound: bigint
  seats: (Addr | null)[]
  standby: Addr[]
}

/**
 * Typed access to the DPoS records of one state. Cheap to construct: make one per block or per
 * call on the state manager at hand.
 */
export class DposStore {
  readonly staking: Words
  readonly registry: Words
  readonly candidates: AddressList
  readonly nodes: AddressList
  private readonly seats: SeatList
  private readonly standby: SeatList
  private readonly nextSeats: SeatList
  private readonly nextStandby: SeatList

  constructor(readonly sm: StateAccess) {
    this.staking = new Words(sm, STAKING)
    this.registry = new Words(sm, NODE_REGISTRY)
    this.candidates = new AddressList(this.staking, 'cand')
    this.nodes = new AddressList(this.registry, 'node')
    this.seats = new SeatList(this.staking, 'seats')
    this.standby = new SeatList(this.staking, 'standby')
    this.nextSeats = new SeatList(this.staking, 'next.seats')
    this.nextStandby = new SeatList(this.staking, 'next.standby')
  }

  // --- schedule ------------------------------------------------------------------------------

  getSeats(): Promise<(Addr | null)[]> {
    return this.seats.get()
  }
  setSeats(seats: readonly (Addr | null)[]): Promise<void> {
    return this.seats.set(seats)
  }
  async getStandby(): Promise<Addr[]> {
    return (await this.standby.get()).filter((a): a is Addr => a !== null)
  }
  setStandby(list: readonly Addr[]): Promise<void> {
    return this.standby.set(list)
  }

  async getPending(): Promise<PendingSeats | null> {
    const at = await this.staking.get(slotOf('next.activation'))
    if (at === 0n) return null
    return {
      activationRound: at - 1n,
      seats: await this.nextSeats.get(),
      standby: (await this.nextStandby.get()).filter((a): a is Addr => a !== null),
    }
  }
  async setPending(p: PendingSeats | null): Promise<void> {
    if (p === null) {
      await this.staking.set(slotOf('next.activation'), 0n)
      await this.nextSeats.set([])
      await this.nextStandby.set([])
      return
    }
    await this.staking.set(slotOf('next.activation'), p.activationRound + 1n)
    await this.nextSeats.set(p.seats)
    await this.nextStandby.set(p.standby)
  }

  async getRound(): Promise<RoundRecord> {
    return {
      round: await this.staking.get(slotOf('round')),
      seed: await this.staking.getBytes32(slotOf('round.seed')),
      roundFirst: await this.staking.getBytes32(slotOf('round.first')),
    }
  }
  async setRound(r: RoundRecord): Promise<void> {
    await this.staking.set(slotOf('round'), r.round)
    await this.staking.setBytes32(slotOf('round.seed'), r.seed)
    await this.staking.setBytes32(slotOf('round.first'), r.roundFirst)
  }

  /**
   * The minimum RN pledge the seats in effect are held to (0: the genesis rnPledge) and the one
   * the pending seats were elected under (0: none recorded). Written only on a chain whose
   * rnPledge governance changed (engine.ts endBlock), so other chains' states are as before.
   */
  getSeatPledge(): Promise<bigint> {
    return this.staking.get(slotOf('seat.pledge'))
  }
  setSeatPledge(v: bigint): Promise<void> {
    return this.staking.set(slotOf('seat.pledge'), v)
  }
  getPendingPledge(): Promise<bigint> {
    return this.staking.get(slotOf('next.pledge'))
  }
  setPendingPledge(v: bigint): Promise<void> {
    return this.staking.set(slotOf('next.pledge'), v)
  }

  /** the counting cycle whose election has run last (the cycle in force) */
  getCycle(): Promise<bigint> {
    return this.staking.get(slotOf('cycle'))
  }
  setCycle(c: bigint): Promise<void> {
    return this.staking.set(slotOf('cycle'), c)
  }

  // --- candidates ----------------------------------------------------------------------------

  async getCandidate(a: Addr): Promise<CandidateRecord> {
    const key = addrBytes(a)
    const out = {} as Record<keyof CandidateRecord, bigint | boolean>
    for (const f of CANDIDATE_FIELDS) {
      const slot = slotOf(`c.${f}`, key)
      out[f] = f === 'trust' ? await this.staking.getSigned(slot) : await this.staking.get(slot)
    }
    out.registered = out.registered !== 0n
    return out as unknown as CandidateRecord
  }

  /** one field of a candidate record (one storage read instead of twelve) */
  async getCandidateField<F extends keyof CandidateRecord>(a: Addr, f: F): Promise<CandidateRecord[F]> {
    const slot = slotOf(`c.${f}`, addrBytes(a))
    if (f === 'trust') return (await this.staking.getSigned(slot)) as CandidateRecord[F]
    const v = await this.staking.get(slot)
    return (f === 'registered' ? v !== 0n : v) as CandidateRecord[F]
  }

  /** writes the given fields of a candidate record */
  async putCandidate(a: Addr, fields: Partial<CandidateRecord>): Promise<void> {
    const key = addrBytes(a)
    for (const f of CANDIDATE_FIELDS) {
      const v = fields[f]
      if (v === undefined) continue
      const slot = slotOf(`c.${f}`, key)
      if (f === 'trust') await this.staking.setSigned(slot, v as bigint)
      else await this.staking.set(slot, typeof v === 'boolean' ? (v ? 1n : 0n) : v)
    }
  }

  getUrl(a: Addr): Promise<string> {
    return this.staking.getString('c.url', addrBytes(a))
  }

  setUrl(a: Addr, url: string): Promise<void> {
    return this.staking.setString('c.url', addrBytes(a), url)
  }

  // --- voters --------------------------------------------------------------------------------

  /** the candidates `voter` has (or had, until fully unvoted and settled) a position with */
  voterCandidates(voter: Addr): AddressList {
    return new AddressList(this.staking, 'voter.cands', addrBytes(voter))
  }

  async getPosition(voter: Addr, candidate: Addr): Promise<{ votes: bigint; debt: bigint }> {
    const k = [addrBytes(voter), addrBytes(candidate)]
    return {
      votes: await this.staking.get(slotOf('pos.votes', ...k)),
      debt: await this.staking.getSigned(slotOf('pos.debt', ...k)),
    }
  }

  async putPosition(voter: Addr, candidate: Addr, p: { votes: bigint; debt: bigint }): Promise<void> {
    const k = [addrBytes(voter), addrBytes(candidate)]
    await this.staking.set(slotOf('pos.votes', ...k), p.votes)
    await this.staking.setSigned(slotOf('pos.debt', ...k), p.debt)
  }

  async getUnbonding(voter: Addr): Promise<UnbondingEntry[]> {
    const v = addrBytes(voter)
    const n = await this.staking.get(slotOf('ub.len', v))
    const out: UnbondingEntry[] = []
    for (let i = 0n; i < n; i++) {
      out.push({
        amount: await this.staking.get(slotOf('ub.amount', v, u64b(i))),
        releaseTime: await this.staking.get(slotOf('ub.release', v, u64b(i))),
      })
    }
    return out
  }

  async setUnbonding(voter: Addr, entries: readonly UnbondingEntry[]): Promise<void> {
    const v = addrBytes(voter)
    const old = await this.staking.get(slotOf('ub.len', v))
    for (let i = 0; i < entries.length; i++) {
      await this.staking.set(slotOf('ub.amount', v, u64b(BigInt(i))), entries[i]!.amount)
      await this.staking.set(slotOf('ub.release', v, u64b(BigInt(i))), entries[i]!.releaseTime)
    }
    for (let i = BigInt(entries.length); i < old; i++) {
      await this.staking.set(slotOf('ub.amount', v, u64b(i)), 0n)
      await this.staking.set(slotOf('ub.release', v, u64b(i)), 0n)
    }
    await this.staking.set(slotOf('ub.len', v), BigInt(entries.length))
  }

  // --- evidence ------------------------------------------------------------------------------

  /** true once a violation of `producer` in `slot` has been penalised (evidence is used once) */
  async evidenceUsed(producer: Addr, slot: bigint): Promise<boolean> {
    return (await this.staking.get(slotOf('ev.used', addrBytes(producer), u64b(slot)))) !== 0n
  }
  async markEvidence(producer: Addr, slot: bigint): Promise<void> {
    await this.staking.set(slotOf('ev.used', addrBytes(producer), u64b(slot)), 1n)
  }

  // --- node registry -------------------------------------------------------------------------

  async getNode(a: Addr): Promise<NodeRecord> {
    const k = addrBytes(a)
    return {
      role: Number(await this.registry.get(slotOf('n.role', k))),
      pledge: await this.registry.get(slotOf('n.pledge', k)),
      exitTime: await this.registry.get(slotOf('n.exit', k)),
      pledgeAtExit: await this.registry.get(slotOf('n.pledgeAtExit', k)),
      withdrawn: await this.registry.get(slotOf('n.withdrawn', k)),
    }
  }

  /** an active RN (role RN, not exited) with at least `minPledge` wei pledged — at most 3 reads */
  async isActiveRN(a: Addr, minPledge: bigint): Promise<boolean> {
    const k = addrBytes(a)
    if (Number(await this.registry.get(slotOf('n.role', k))) !== Role.RN) return false
    if ((await this.registry.get(slotOf('n.exit', k))) !== 0n) return false
    return (await this.registry.get(slotOf('n.pledge', k))) >= minPledge
  }

  async putNode(a: Addr, n: Partial<NodeRecord>): Promise<void> {
    const k = addrBytes(a)
    if (n.role !== undefined) await this.registry.set(slotOf('n.role', k), BigInt(n.role))
    if (n.pledge !== undefined) await this.registry.set(slotOf('n.pledge', k), n.pledge)
    if (n.exitTime !== undefined) await this.registry.set(slotOf('n.exit', k), n.exitTime)
    if (n.pledgeAtExit !== undefined) await this.registry.set(slotOf('n.pledgeAtExit', k), n.pledgeAtExit)
    if (n.withdrawn !== undefined) await this.registry.set(slotOf('n.withdrawn', k), n.withdrawn)
  }

  // --- balances ------------------------------------------------------------------------------

  async balanceOf(a: Address): Promise<bigint> {
    return (await this.sm.getAccount(a))?.balance ?? 0n
  }

  /** moves `amount` wei between accounts; throws when `from` holds less (a bug: callers check) */
  async transfer(from: Address, to: Address, amount: bigint): Promise<void> {
    if (amount === 0n) return
    if (amount < 0n) throw new RangeError('negative transfer')
    const src = (await this.sm.getAccount(from)) ?? new Account()
    if (src.balance < amount) throw new RangeError(`${from.toString()} holds ${src.balance} wei, cannot move ${amount}`)
    src.balance -= amount
    await this.sm.putAccount(from, src)
    const dst = (await this.sm.getAccount(to)) ?? new Account()
    dst.balance += amount
    await this.sm.putAccount(to, dst)
  }
}

export function addressOfHex(a: Addr): Address {
  return new Address(addrBytes(a))
}
