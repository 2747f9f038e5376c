/**
 * Where the PoVF state lives: storage words of the FlowRewards account (0x…1002), inside the
 * world state like the DPoS records (dpos/store.ts: same `Words`, `AddressList`, `slotOf`), so
 * the state root commits to every checkpoint, settled session, lock and coin-time sum.
 *
 * Layout (slot = keccak256(utf8(tag) ‖ args…); c = u64be(cycle), i/j = u64be(index),
 * a = 20-byte address, s = 32-byte session id):
 *
 *   f.drawn                       last cycle whose committee was drawn, + 1 (0: none yet)
 *   f.com.{len,item,index}[c]     committee of cycle c (AddressList, shuffle order): its first draw
 *   f.com.{seed,round,lapse}[c]   its draw seed (the parent hash of the drawing block), redraws so
 *                                 far, signing deadlines passed without a checkpoint
 *   f.com.r.{len,item,index}[c,r] round r ≥ 1 of the committee (a redraw, DESIGN §12)
 *   f.last                        hash of the last submitted checkpoint (zero: none)
 *   f.lastCycle                   its cycle + 1 (0: none)
 *   f.count                       checkpoints submitted
 *   f.cp.{hash,status,at,ends,total,root,side,seed,pen}[c]
 *                                 checkpoint of cycle c: hash, status (CpStatus), committedAt
 *                                 (block number), challengeEndsMs, totalBytes, totalsRoot,
 *                                 sideChainId, the seed hash (hash of block committedAt + k,
 *                                 recorded by the engine), 1 once its signers were penalised
 *   f.cp.sig.{len,item,index}[c]  signers of cycle c's checkpoint (AddressList)
 *   f.cp.n[c]                     entry count
 *   f.e.<field>[c,i]              entry i of cycle c (EntryRecord fields; relays: f.e.rn, f.e.r[c,i,j])
 *   f.s.{seq,total}[s]            settled (seq, total) of a session
 *   f.l.{n}[a], f.l.{amt,start,wd,debt}[a,i]   lock entries of an address (≤ MAX_LOCKS, oldest
 *                                 first; debt: the bonus index debt, signed)
 *   f.bi.{a,b,seen}               the coin-time bonus accrual index (locks.ts BonusIndex)
 *   f.sc, f.scs                   network Σc, Σc·s over unwithdrawn lock amounts (coin-time)
 *   f.a.{sc,scs,wd}[a]            the same per address, and Σ withdrawn
 *   f.a.bb[a]                     the coin-time bonus the address may still be paid (locks.ts
 *                                 "Bonus budget"; 0 for rewards credited before budgets)
 *   f.B, f.minted                 cumulative valued bytes, traffic NFC minted (taken from the pool)
 *   f.p.{bytes,rewards}[a]        per-provider counted bytes and provider rewards
 *   f.prov.{len,item,index}       every provider ever rewarded or counted (AddressList)
 *   f.q.{head,tail}, f.q.item[i]  FIFO of pending checkpoints (cycles), in submission order
 *
 * This file only reads and writes; the rules are in engine.ts and the system contracts.
 */
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import type { BonusIndex } from './locks.js'
import { AddressList, fromAddr, slotOf, toAddr, u64b, Words, type Addr, type StateAccess } from '../dpos/store.js'

export const FLOW_REWARDS = new Address(hexToBytes(SYSTEM_CONTRACTS.flowRewards))

export const CpStatus = { None: 0n, Pending: 1n, Applied: 2n } as const

export const EntryStatus = { Live: 0n, Voided: 1n } as const

/** Slice challenge state of an entry. */
export const Challenge = { None: 0n, Open: 1n, Answered: 2n } as const

export interface CheckpointRecord {
  hash: Uint8Array
  status: bigint
  committedAt: bigint
  challengeEndsMs: bigint
  totalBytes: bigint
  totalsRoot: Uint8Array
  sideChainId: Uint8Array
  /** hash of block committedAt + sampleLagBlocks; all zero until the engine records it */
  seedHash: Uint8Array
  penalized: boolean
  entryCount: bigint
}

export interface EntryRecord {
  sessionId: Uint8Array
  consumer: Addr
  provider: Addr
  relays: Addr[]
  seq: bigint
  prevTotal: bigint
  total: bigint
  /** the session's settled seq before this entry (for the roll-back of a voided entry) */
  prevSeq: bigint
  sampleRoot: Uint8Array
  receiptHash: Uint8Array
  status: bigint
  challenge: bigint
}

/** A lock entry as stored (locks.ts holds the rules). */
export interface StoredLock {
  amount: bigint
  startMs: bigint
  withdrawn: bigint
  debt?: bigint
}

const ENTRY_WORDS = ['consumer', 'provider', 'seq', 'prevTotal', 'total', 'prevSeq', 'status', 'challenge'] as const
const ENTRY_BYTES = ['sessionId', 'sampleRoot', 'receiptHash'] as const

const a20 = (a: Addr): Uint8Array => hexToBytes(a as `0x${string}`)

/** Typed access to the flow records of one state. Cheap: make one per block or call. */
export class FlowStore {
  readonly w: Words
  readonly providers: AddressList

  constructor(readonly sm: StateAccess) {
    this.w = new Words(sm, FLOW_REWARDS)
    this.providers = new AddressList(this.w, 'f.prov')
  }

  /**
   * Creates the FlowRewards account (nonce 1, like the other system accounts) when a state
   * lacks it: storage can only be written to an existing account. Genesis creates it
   * (prepareSystemAccounts); this covers states built without it (harnesses, old genesis files).
   */
  async ensureAccount(): Promise<void> {
    if ((await this.sm.getAccount(FLOW_REWARDS)) === undefined) await this.sm.putAccount(FLOW_REWARDS, new Account(1n, 0n))
  }

  // --- committee -----------------------------------------------------------------------------

  committee(cycle: bigint): AddressList {
    return new AddressList(this.w, 'f.com', u64b(cycle))
  }

  /** how many times the committee of a cycle was redrawn (0: the first draw stands) */
  redraws(cycle: bigint): Promise<bigint> {
    return this.w.get(slotOf('f.com.round', u64b(cycle)))
  }

  /** the members of round `round` of a cycle's committee (0: the first draw, `committee`) */
  committeeRound(cycle: bigint, round: bigint): AddressList {
    return round === 0n ? this.committee(cycle) : new AddressList(this.w, 'f.com.r', new Uint8Array([...u64b(cycle), ...u64b(round)]))
  }

  /** the committee of each round of a cycle, first draw first (a redraw adds a round; DESIGN §12) */
  async committeeRounds(cycle: bigint): Promise<Addr[][]> {
    const out: Addr[][] = []
    const n = await this.redraws(cycle)
    for (let r = 0n; r <= n; r++) out.push(await this.committeeRound(cycle, r).all())
    return out
  }

  /** is `a` in any round of the cycle's committee */
  async inAnyRound(cycle: bigint, a: Addr): Promise<boolean> {
    const n = await this.redraws(cycle)
    for (let r = 0n; r <= n; r++) if (await this.committeeRound(cycle, r).has(a)) return true
    return false
  }

  /** the members of the committee's current round */
  async currentCommittee(cycle: bigint): Promise<Addr[]> {
    return this.committeeRound(cycle, await this.redraws(cycle)).all()
  }

  /** the shuffle seed of a cycle's first draw (the parent hash of the block that drew it) */
  drawSeed(cycle: bigint): Promise<Uint8Array> {
    return this.w.getBytes32(slotOf('f.com.seed', u64b(cycle)))
  }
  setDrawSeed(cycle: bigint, seed: Uint8Array): Promise<void> {
    return this.w.setBytes32(slotOf('f.com.seed', u64b(cycle)), seed)
  }

  /** signing deadlines of a cycle's committee that passed without a checkpoint (a redraw each, when it changes the committee) */
  lapses(cycle: bigint): Promise<bigint> {
    return this.w.get(slotOf('f.com.lapse', u64b(cycle)))
  }
  setLapses(cycle: bigint, n: bigint): Promise<void> {
    return this.w.set(slotOf('f.com.lapse', u64b(cycle)), n)
  }

  /** adds round redraws + 1 with `members` */
  async addRound(cycle: bigint, members: readonly Addr[]): Promise<void> {
    const r = (await this.redraws(cycle)) + 1n
    const list = this.committeeRound(cycle, r)
    for (const a of members) await list.add(a)
    await this.w.set(slotOf('f.com.round', u64b(cycle)), r)
  }

  /** the last cycle whose committee was drawn, or -1 */
  async drawnCycle(): Promise<bigint> {
    return (await this.w.get(slotOf('f.drawn'))) - 1n
  }
  setDrawnCycle(c: bigint): Promise<void> {
    return this.w.set(slotOf('f.drawn'), c + 1n)
  }

  // --- checkpoints ---------------------------------------------------------------------------

  lastCheckpoint(): Promise<Uint8Array> {
    return this.w.getBytes32(slotOf('f.last'))
  }
  setLastCheckpoint(h: Uint8Array): Promise<void> {
    return this.w.setBytes32(slotOf('f.last'), h)
  }
  /** the cycle of the last submitted checkpoint, or -1 */
  async lastCycle(): Promise<bigint> {
    return (await this.w.get(slotOf('f.lastCycle'))) - 1n
  }
  setLastCycle(c: bigint): Promise<void> {
    return this.w.set(slotOf('f.lastCycle'), c + 1n)
  }
  checkpointCount(): Promise<bigint> {
    return this.w.get(slotOf('f.count'))
  }
  setCheckpointCount(n: bigint): Promise<void> {
    return this.w.set(slotOf('f.count'), n)
  }

  signers(cycle: bigint): AddressList {
    return new AddressList(this.w, 'f.cp.sig', u64b(cycle))
  }

  async getCheckpoint(cycle: bigint): Promise<CheckpointRecord> {
    const c = u64b(cycle)
    return {
      hash: await this.w.getBytes32(slotOf('f.cp.hash', c)),
      status: await this.w.get(slotOf('f.cp.status', c)),
      committedAt: await this.w.get(slotOf('f.cp.at', c)),
      challengeEndsMs: await this.w.get(slotOf('f.cp.ends', c)),
      totalBytes: await this.w.get(slotOf('f.cp.total', c)),
      totalsRoot: await this.w.getBytes32(slotOf('f.cp.root', c)),
      sideChainId: await this.w.getBytes32(slotOf('f.cp.side', c)),
      seedHash: await this.w.getBytes32(slotOf('f.cp.seed', c)),
      penalized: (await this.w.get(slotOf('f.cp.pen', c))) !== 0n,
      entryCount: await this.w.get(slotOf('f.cp.n', c)),
    }
  }

  /** one word of a checkpoint (status, committedAt, ends) without reading the rest */
  checkpointStatus(cycle: bigint): Promise<bigint> {
    return this.w.get(slotOf('f.cp.status', u64b(cycle)))
  }
  committedAt(cycle: bigint): Promise<bigint> {
    return this.w.get(slotOf('f.cp.at', u64b(cycle)))
  }

  async putCheckpoint(cycle: bigint, r: Partial<CheckpointRecord>): Promise<void> {
    const c = u64b(cycle)
    if (r.hash !== undefined) await this.w.setBytes32(slotOf('f.cp.hash', c), r.hash)
    if (r.status !== undefined) await this.w.set(slotOf('f.cp.status', c), r.status)
    if (r.committedAt !== undefined) await this.w.set(slotOf('f.cp.at', c), r.committedAt)
    if (r.challengeEndsMs !== undefined) await this.w.set(slotOf('f.cp.ends', c), r.challengeEndsMs)
    if (r.totalBytes !== undefined) await this.w.set(slotOf('f.cp.total', c), r.totalBytes)
    if (r.totalsRoot !== undefined) await this.w.setBytes32(slotOf('f.cp.root', c), r.totalsRoot)
    if (r.sideChainId !== undefined) await this.w.setBytes32(slotOf('f.cp.side', c), r.sideChainId)
    if (r.seedHash !== undefined) await this.w.setBytes32(slotOf('f.cp.seed', c), r.seedHash)
    if (r.penalized !== undefined) await this.w.set(slotOf('f.cp.pen', c), r.penalized ? 1n : 0n)
    if (r.entryCount !== undefined) await this.w.set(slotOf('f.cp.n', c), r.entryCount)
  }

  // --- entries -------------------------------------------------------------------------------

  async getEntry(cycle: bigint, i: bigint): Promise<EntryRecord> {
    const k = [u64b(cycle), u64b(i)]
    const word = (f: string) => this.w.get(slotOf(`f.e.${f}`, ...k))
    const bytes = (f: string) => this.w.getBytes32(slotOf(`f.e.${f}`, ...k))
    const nRelays = await word('rn')
    const relays: Addr[] = []
    for (let j = 0n; j < nRelays; j++) relays.push(toAddr(await this.w.get(slotOf('f.e.r', ...k, u64b(j))))!)
    return {
      sessionId: await bytes('sessionId'),
      consumer: toAddr(await word('consumer'))!,
      provider: toAddr(await word('provider'))!,
      relays,
      seq: await word('seq'),
      prevTotal: await word('prevTotal'),
      total: await word('total'),
      prevSeq: await word('prevSeq'),
      sampleRoot: await bytes('sampleRoot'),
      receiptHash: await bytes('receiptHash'),
      status: await word('status'),
      challenge: await word('challenge'),
    }
  }

  async putEntry(cycle: bigint, i: bigint, e: EntryRecord): Promise<void> {
    const k = [u64b(cycle), u64b(i)]
    for (const f of ENTRY_WORDS) {
      const v = e[f]
      await this.w.set(slotOf(`f.e.${f}`, ...k), typeof v === 'string' ? fromAddr(v) : v)
    }
    for (const f of ENTRY_BYTES) await this.w.setBytes32(slotOf(`f.e.${f}`, ...k), e[f])
    await this.w.set(slotOf('f.e.rn', ...k), BigInt(e.relays.length))
    for (let j = 0; j < e.relays.length; j++) await this.w.set(slotOf('f.e.r', ...k, u64b(BigInt(j))), fromAddr(e.relays[j]!))
  }

  /** the status word of entry i (EntryStatus) without reading the rest */
  entryStatus(cycle: bigint, i: bigint): Promise<bigint> {
    return this.w.get(slotOf('f.e.status', u64b(cycle), u64b(i)))
  }

  /** writes the status or challenge word of an entry */
  async setEntryField(cycle: bigint, i: bigint, f: 'status' | 'challenge', v: bigint): Promise<void> {
    await this.w.set(slotOf(`f.e.${f}`, u64b(cycle), u64b(i)), v)
  }

  // --- sessions ------------------------------------------------------------------------------

  async getSession(sessionId: Uint8Array): Promise<{ seq: bigint; total: bigint }> {
    return { seq: await this.w.get(slotOf('f.s.seq', sessionId)), total: await this.w.get(slotOf('f.s.total', sessionId)) }
  }
  async putSession(sessionId: Uint8Array, s: { seq: bigint; total: bigint }): Promise<void> {
    await this.w.set(slotOf('f.s.seq', sessionId), s.seq)
    await this.w.set(slotOf('f.s.total', sessionId), s.total)
  }

  // --- locks and coin-time -------------------------------------------------------------------

  async getLocks(a: Addr): Promise<StoredLock[]> {
    const k = a20(a)
    const n = await this.w.get(slotOf('f.l.n', k))
    const out: StoredLock[] = []
    for (let i = 0n; i < n; i++) {
      out.push({
        amount: await this.w.get(slotOf('f.l.amt', k, u64b(i))),
        startMs: await this.w.get(slotOf('f.l.start', k, u64b(i))),
        withdrawn: await this.w.get(slotOf('f.l.wd', k, u64b(i))),
        debt: await this.w.getSigned(slotOf('f.l.debt', k, u64b(i))),
      })
    }
    return out
  }

  async setLocks(a: Addr, locks: readonly StoredLock[]): Promise<void> {
    const k = a20(a)
    const old = await this.w.get(slotOf('f.l.n', k))
    for (let i = 0; i < locks.length; i++) {
      const j = u64b(BigInt(i))
      await this.w.set(slotOf('f.l.amt', k, j), locks[i]!.amount)
      await this.w.set(slotOf('f.l.start', k, j), locks[i]!.startMs)
      await this.w.set(slotOf('f.l.wd', k, j), locks[i]!.withdrawn)
      await this.w.setSigned(slotOf('f.l.debt', k, j), locks[i]!.debt ?? 0n)
    }
    for (let i = BigInt(locks.length); i < old; i++) {
      await this.w.set(slotOf('f.l.amt', k, u64b(i)), 0n)
      await this.w.set(slotOf('f.l.start', k, u64b(i)), 0n)
      await this.w.set(slotOf('f.l.wd', k, u64b(i)), 0n)
      await this.w.set(slotOf('f.l.debt', k, u64b(i)), 0n)
    }
    await this.w.set(slotOf('f.l.n', k), BigInt(locks.length))
  }

  /** the coin-time bonus accrual index (locks.ts) */
  async bonusIndex(): Promise<BonusIndex> {
    return { a: await this.w.get(slotOf('f.bi.a')), b: await this.w.get(slotOf('f.bi.b')), seen: await this.w.get(slotOf('f.bi.seen')) }
  }
  async setBonusIndex(x: BonusIndex): Promise<void> {
    await this.w.set(slotOf('f.bi.a'), x.a)
    await this.w.set(slotOf('f.bi.b'), x.b)
    await this.w.set(slotOf('f.bi.seen'), x.seen)
  }

  /** network coin-time sums: Σc and Σc·s over unwithdrawn lock amounts */
  async networkSums(): Promise<{ sc: bigint; scs: bigint }> {
    return { sc: await this.w.get(slotOf('f.sc')), scs: await this.w.get(slotOf('f.scs')) }
  }
  async setNetworkSums(s: { sc: bigint; scs: bigint }): Promise<void> {
    await this.w.set(slotOf('f.sc'), s.sc)
    await this.w.set(slotOf('f.scs'), s.scs)
  }
  async addressSums(a: Addr): Promise<{ sc: bigint; scs: bigint; withdrawn: bigint }> {
    const k = a20(a)
    return { sc: await this.w.get(slotOf('f.a.sc', k)), scs: await this.w.get(slotOf('f.a.scs', k)), withdrawn: await this.w.get(slotOf('f.a.wd', k)) }
  }
  async setAddressSums(a: Addr, s: { sc: bigint; scs: bigint; withdrawn: bigint }): Promise<void> {
    const k = a20(a)
    await this.w.set(slotOf('f.a.sc', k), s.sc)
    await this.w.set(slotOf('f.a.scs', k), s.scs)
    await this.w.set(slotOf('f.a.wd', k), s.withdrawn)
  }
  /** the coin-time bonus `a` may still be paid (wei, locks.ts "Bonus budget") */
  async bonusBudget(a: Addr): Promise<bigint> {
    return this.w.get(slotOf('f.a.bb', a20(a)))
  }
  async setBonusBudget(a: Addr, budget: bigint): Promise<void> {
    await this.w.set(slotOf('f.a.bb', a20(a)), budget)
  }

  // --- totals --------------------------------------------------------------------------------

  async totals(): Promise<{ cumulativeBytes: bigint; minted: bigint }> {
    return { cumulativeBytes: await this.w.get(slotOf('f.B')), minted: await this.w.get(slotOf('f.minted')) }
  }
  async setTotals(t: { cumulativeBytes: bigint; minted: bigint }): Promise<void> {
    await this.w.set(slotOf('f.B'), t.cumulativeBytes)
    await this.w.set(slotOf('f.minted'), t.minted)
  }

  async providerTotals(a: Addr): Promise<{ bytes: bigint; rewards: bigint }> {
    const k = a20(a)
    return { bytes: await this.w.get(slotOf('f.p.bytes', k)), rewards: await this.w.get(slotOf('f.p.rewards', k)) }
  }
  async addProviderTotals(a: Addr, bytes: bigint, rewards: bigint): Promise<void> {
    const k = a20(a)
    await this.providers.add(a)
    await this.w.set(slotOf('f.p.bytes', k), (await this.w.get(slotOf('f.p.bytes', k))) + bytes)
    await this.w.set(slotOf('f.p.rewards', k), (await this.w.get(slotOf('f.p.rewards', k))) + rewards)
  }

  // --- pending queue -------------------------------------------------------------------------

  /** the pending checkpoints' cycles, oldest first (at most `max`) */
  async pending(max: bigint): Promise<bigint[]> {
    const head = await this.w.get(slotOf('f.q.head'))
    const tail = await this.w.get(slotOf('f.q.tail'))
    const out: bigint[] = []
    for (let i = head; i < tail && BigInt(out.length) < max; i++) out.push(await this.w.get(slotOf('f.q.item', u64b(i))))
    return out
  }
  async enqueue(cycle: bigint): Promise<void> {
    const tail = await this.w.get(slotOf('f.q.tail'))
    await this.w.set(slotOf('f.q.item', u64b(tail)), cycle)
    await this.w.set(slotOf('f.q.tail'), tail + 1n)
  }
  /** removes the oldest pending cycle */
  async dequeue(): Promise<void> {
    const head = await this.w.get(slotOf('f.q.head'))
    await this.w.set(slotOf('f.q.item', u64b(head)), 0n)
    await this.w.set(slotOf('f.q.head'), head + 1n)
  }
}
