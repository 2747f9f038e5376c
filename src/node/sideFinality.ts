/**
 * Finality seen on a side branch (DESIGN §4: a block is final once ⌊2n/3⌋+1 witnesses have
 * confirmed it or a descendant — on whichever branch it lies). The canonical bookkeeping
 * (`Blockchain.confirmedBy`) only knows the head's branch, so a node that moved to a longer
 * branch before the last confirmations of a block on the old one arrived would never learn that
 * the old block became final, and would stay on a branch every other node has left for good.
 * This module keeps what witnesses are known to have confirmed off the canonical chain (heard
 * confirmations, producers of side blocks, confirmations included in side blocks, and the
 * canonical confirmations a reorg took off the chain) and finds a side branch that holds a final
 * block, so the chain can follow it. Bounded: only blocks above the final one are kept, at most
 * MAX_VOTES_PER_WITNESS per witness and MAX_SIDE_BLOCKS side blocks.
 */
import { bytesToHex } from '@ethereumjs/util'
import type { BlockStore } from '../chain/blockStore.js'
import { equalBytes, type BlockHeader } from '../chain/header.js'
import { finalizedNumber } from '../chain/finality.js'

const MAX_VOTES_PER_WITNESS = 64
const MAX_SIDE_BLOCKS = 256
/** side branches deeper than this (below their tip) are not searched for finality */
const MAX_BRANCH_DEPTH = 256n

export interface BranchTip {
  hash: Uint8Array
  header: BlockHeader
}

/** A side branch holding a block that is final by the confirmations known for it. */
export interface FinalSide {
  /** the tip of the side branch to follow */
  tip: BranchTip
  /** the final number on it (above the fork point) */
  finalNumber: bigint
  /** the canonical block the branch leaves from */
  forkPoint: bigint
}

export class SideVotes {
  /** witness → side block (hex hash) → its number */
  private readonly votes = new Map<string, Map<string, bigint>>()
  /** side blocks known (hex hash → number and parent), to find the branch tips */
  private readonly blocks = new Map<string, { hash: Uint8Array; number: bigint; parentHash: string }>()

  /** `witness` confirmed (or produced) block `hash` at `number`, which is not canonical here. */
  vote(witness: string, number: bigint, hash: Uint8Array): void {
    let mine = this.votes.get(witness)
    if (mine === undefined) this.votes.set(witness, (mine = new Map()))
    mine.set(bytesToHex(hash), number)
    if (mine.size > MAX_VOTES_PER_WITNESS) {
      // the lowest goes first: a higher confirmation counts for its ancestors as well
      let low: [string, bigint] | undefined
      for (const e of mine) if (low === undefined || e[1] < low[1]) low = e
      mine.delete(low![0])
    }
  }

  /** A block stored off the canonical chain (a side block, or one a reorg took off). */
  addBlock(hash: Uint8Array, number: bigint, parentHash: Uint8Array): void {
    this.blocks.set(bytesToHex(hash), { hash, number, parentHash: bytesToHex(parentHash) })
    if (this.blocks.size > MAX_SIDE_BLOCKS) {
      let low: [string, { number: bigint }] | undefined
      for (const e of this.blocks) if (low === undefined || e[1].number < low[1].number) low = e
      this.blocks.delete(low![0])
    }
  }

  /** The witnesses known to have confirmed `hash` off the chain; it joined the canonical chain, so they are forgotten here. */
  takeVotes(hash: Uint8Array): string[] {
    const key = bytesToHex(hash)
    const out: string[] = []
    for (const [w, mine] of this.votes) if (mine.delete(key)) out.push(w)
    this.blocks.delete(key)
    return out.sort()
  }

  /** Drops everything at or below the final number. */
  prune(finalNumber: bigint): void {
    for (const [w, mine] of this.votes) {
      for (const [h, n] of mine) if (n <= finalNumber) mine.delete(h)
      if (mine.size === 0) this.votes.delete(w)
    }
    for (const [h, b] of this.blocks) if (b.number <= finalNumber) this.blocks.delete(h)
  }

  /** The known side blocks no known side block builds on, highest first (then by hash): where branches end. */
  private tips(): { hash: Uint8Array; number: bigint }[] {
    const parents = new Set<string>()
    for (const b of this.blocks.values()) parents.add(b.parentHash)
    return [...this.blocks.entries()]
      .filter(([h]) => !parents.has(h))
      .sort((a, b) => (a[1].number !== b[1].number ? (a[1].number > b[1].number ? -1 : 1) : a[0] < b[0] ? -1 : 1))
      .map(([, b]) => ({ hash: b.hash, number: b.number }))
  }

  /**
   * The first side branch (tips highest first) on which the seats' confirmations make a block
   * above the fork point final, if any. `confirmedBy` is the canonical bookkeeping: a witness's
   * canonical confirmation at or above the fork point counts for the fork point only.
   */
  async findFinal(
    store: BlockStore,
    seats: readonly (string | null)[],
    confirmedBy: ReadonlyMap<string, bigint>,
    finalized: bigint,
  ): Promise<FinalSide | undefined> {
    for (const t of this.tips()) {
      const found = await this.finalOn(store, t.hash, seats, confirmedBy, finalized)
      if (found !== undefined) return found
    }
    return undefined
  }

  private async finalOn(
    store: BlockStore,
    tipHash: Uint8Array,
    seats: readonly (string | null)[],
    confirmedBy: ReadonlyMap<string, bigint>,
    finalized: bigint,
  ): Promise<FinalSide | undefined> {
    const tipHeader = await store.getHeader(tipHash)
    if (tipHeader === undefined) return undefined
    // the branch's blocks above the fork point
    const branch = new Set<string>()
    let hash = tipHash
    let header = tipHeader
    for (;;) {
      const canonical = await store.getHashByNumber(header.number)
      if (canonical !== undefined && equalBytes(canonical, hash)) break
      if (tipHeader.number - header.number >= MAX_BRANCH_DEPTH) return undefined
      branch.add(bytesToHex(hash))
      const parent = await store.getHeader(header.parentHash)
      if (parent === undefined) return undefined
      hash = header.parentHash
      header = parent
    }
    const forkPoint = header.number
    // a branch leaving below the final block can never be followed
    if (forkPoint < finalized) return undefined
    const counted = new Map<string, bigint>()
    for (const w of seats) {
      if (w === null) continue
      const onChain = confirmedBy.get(w) ?? -1n
      let n = onChain < forkPoint ? onChain : forkPoint
      for (const [h, num] of this.votes.get(w) ?? []) if (num > n && branch.has(h)) n = num
      counted.set(w, n)
    }
    const target = finalizedNumber(seats, counted, tipHeader.number)
    if (target === undefined || target <= forkPoint) return undefined
    return { tip: { hash: tipHash, header: tipHeader }, finalNumber: target, forkPoint }
  }
}
