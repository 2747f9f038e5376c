// Long on purpose (404 lines): the running chain's private state (head, finality bookkeeping, seats, the lock) and the producer path that needs all of it; opening, import and confirmation choice are already split out (chainOpen.ts, importBlock.ts, usableConfirmations.ts).
/**
 * The chain as a running node holds it: the block store, the world state and the head.
 * Opening (chainOpen.ts) checks that the data directory belongs to this genesis and is intact
 * (refusing with a clear error otherwise, never resetting); block building and import
 * (importBlock.ts) run under one lock and commit each block, its receipts, indexes, state nodes
 * and head in a single batch. Finality bookkeeping: what each witness confirmed, the seats at
 * the head, the final block (the rule itself: src/chain/finality.ts).
 */
import { EventEmitter } from 'node:events'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'
import { makeBlock, transactionsRoot, type Block } from '../chain/block.js'
import { u64, type BlockStore } from '../chain/blockStore.js'
import { confirmationsRoot, recoverConfirmer, type Confirmation } from '../chain/confirmation.js'
import { BlockError, BlockErrorCode, ChainErrorCode } from '../chain/errors.js'
import { finalizedNumber, quorum } from '../chain/finality.js'
import { beatsHead, isViable, voteHolds, type HeadRef, type Vote } from '../chain/forkChoice.js'
import type { Genesis } from '../chain/genesis.js'
import { equalBytes, signHeader, ZERO32, type BlockHeader } from '../chain/header.js'
import { receiptsRoot, type TxReceipt } from '../chain/receipt.js'
import { beginBlock, endBlock, scheduleFor, type BlockInfo, type DposConfig, type Schedule } from '../consensus/dpos/engine.js'
import { lastConfirmedOf, readWitnesses } from '../consensus/dpos/views.js'
import { flowBeginBlock } from '../consensus/povf/engine.js'
import { govBeginBlock } from '../consensus/gov/engine.js'
import { proposalStatusName } from '../consensus/gov/store.js'
import { dealsBeginBlock } from '../consensus/deals/engine.js'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import { executeBlock, type BlockContext, type ExecutedBlock, type ExecutionOptions } from '../execution/blockExecutor.js'
import { POOLS } from '../execution/systemAddresses.js'
import { notDownloadedStateError } from '../state/errors.js'
import { WorldState } from '../state/worldState.js'
import { StatePruner, type PruneResult } from '../storage/pruner.js'
import { NfcError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { SerialQueue } from '../util/serialQueue.js'
import { BoundedSet } from '../p2p/dedupe.js'
import { bytesToBig, dposConfigOf, makeVm, openChainParts, type OpenOptions } from './chainOpen.js'
import { adoptBranch, branchHolds, importBlock, type ImportHost, type ImportOutcome } from './importBlock.js'
import { SideVotes } from './sideFinality.js'
import { usableConfirmations } from './usableConfirmations.js'

export { dposConfigOf, makeVm }
export type { ImportOutcome }

export interface Head {
  hash: Uint8Array
  header: BlockHeader
}

export interface NewBlockEvent {
  block: Block
  receipts: TxReceipt[]
}

export interface BuiltBlock extends NewBlockEvent {
  rejected: ExecutedBlock['rejected']
  /** selected but not tried (time budget or gas limit): still good for a later block */
  left: ExecutedBlock['left']
}

/** How the producer bounds one block's building (the clock is read by the caller, never here). */
export interface BuildOptions {
  /** asked before each transaction; true ends the filling (DESIGN §9: the time budget) */
  shouldStop?: () => boolean
  /** called once the chain's lock is taken and building really begins (the producer's lateness metric) */
  onStart?: () => void
}

const SHARED = new Address(hexToBytes(POOLS.shared))
/** metadata: the pivot block a snapshot sync started this chain's state from (u64) */
const SNAPSHOT_PIVOT_META = 'snapshotPivot'
/** own votes remembered for the equal-height rule (a few rounds of blocks) */
const VOTES_KEPT = 256
/**
 * How long (in rounds of W slots) a witness's vote holds it to the voted block's branch — as long
 * as ConsensusLink still signs confirmations for a block that old (its horizon).
 */
export const VOTE_HOLD_ROUNDS = 2
/** how many blocks of branches without the final block are remembered (importBlock.ts deadBranches) */
const DEAD_BRANCH_BLOCKS_KEPT = 4096

function headRef(h: Head): HeadRef {
  return { hash: h.hash, number: h.header.number }
}

/** two different headers signed by one producer for one slot (DESIGN §4 double production) */
export interface DoubleProduction {
  producer: string
  slot: bigint
  a: BlockHeader
  b: BlockHeader
}

export class Blockchain extends EventEmitter<{
  block: [NewBlockEvent]
  removedBlock: [NewBlockEvent]
  finalized: [Head]
  doubleProduction: [DoubleProduction]
}> {
  /** block building, import and anything that must see a stable head, one at a time */
  private readonly lock = new SerialQueue()
  /** highest canonical block each witness is known to have confirmed (own blocks included) */
  private readonly confirmedBy = new Map<string, bigint>()
  /** what witnesses confirmed off the canonical chain, to follow a side branch that became final */
  private readonly side = new SideVotes()
  /** blocks this node's witness produced or confirmed (hex), the latest VOTES_KEPT: kept against an equal-height rival */
  private readonly ownVotes = new Set<string>()
  /** the latest of them, with when it was cast: it holds the witness to its branch for a while (forkChoice.ts voteHolds) */
  private lastVote: Vote | undefined
  /** the best stored branch tip the vote kept out (longer than the head): while it is longer, the witness casts no vote */
  private heldRival: Head | undefined
  /** blocks refused for lacking the final block, hex (importBlock.ts: their children are dropped unread) */
  private readonly deadBranches = new BoundedSet(DEAD_BRANCH_BLOCKS_KEPT)
  private headSeats: (string | null)[] = []
  private readonly reportedDoubles = new Set<string>()
  private _finalized: Head
  /** collects the state no retained block reaches (absent: an archive node keeps all) */
  private pruner: StatePruner | undefined
  /** the lowest block with state: a snapshot-synced chain's pivot (its history below was never executed), else 0 */
  private stateFloor = 0n

  private constructor(
    readonly common: Common,
    readonly genesis: Genesis,
    readonly store: BlockStore,
    readonly state: WorldState,
    readonly vm: VM,
    readonly genesisHash: Uint8Array,
    /** genesis time in ms (resolved when the genesis file says 0) */
    readonly genesisTime: bigint,
    private _head: Head,
    private readonly logger: Logger,
    finalized: Head,
    readonly dpos: DposConfig,
  ) {
    super()
    this._finalized = finalized
  }

  /** start-up: the seats at the head and what each witness has confirmed on chain */
  private async loadConsensus(): Promise<void> {
    const { seats } = await readWitnesses(this.state.live)
    this.headSeats = seats
    for (const w of seats) if (w !== null) this.confirmedBy.set(w, await lastConfirmedOf(this.state.live, w))
    await this.updateFinality()
  }

  get head(): Head {
    return this._head
  }

  static async open(opts: OpenOptions): Promise<Blockchain> {
    const o = await openChainParts(opts)
    const chain = new Blockchain(opts.common, opts.genesis, o.store, o.state, o.vm, o.genesisHash, o.time, o.head, opts.logger, o.finalized, o.dpos)
    const floor = await o.store.getMeta(SNAPSHOT_PIVOT_META)
    if (floor !== undefined) chain.stateFloor = bytesToBig(floor)
    if (opts.archive !== true) {
      const host = {
        head: () => chain._head.header,
        finalized: () => chain._finalized.header,
        exclusive: <T>(fn: () => Promise<T>) => chain.lock.run(fn),
        stateFloor: () => chain.stateFloor,
      }
      chain.pruner = new StatePruner(opts.db, o.state.store, o.store, host, opts.logger, opts.stateBlocksKept, opts.stateBlocksMax)
      await chain.pruner.load()
    }
    await chain.loadConsensus()
    return chain
  }

  /** The consensus schedule for `slot` on top of the current head (who may produce in it). */
  schedule(slot: bigint): Promise<Schedule> {
    return this.lock.run(async () => {
      const parent = this._head
      return scheduleFor(this.state.live, parent.hash, parent.header.timestamp, slot, this.dpos)
    })
  }

  /** The slot of a block timestamp (ms). */
  slotOf(timestamp: bigint): bigint {
    return (timestamp - this.genesisTime) / this.dpos.intervalMs
  }

  /**
   * Builds, signs and commits the next block at `timestamp` from `txs` (those that cannot run
   * are left out and returned in `rejected`) and the usable ones of `confirmations`.
   * Throws CHAIN_NOT_MY_SLOT when the key's witness does not own the slot.
   */
  produceBlock(
    privateKey: Uint8Array,
    timestamp: bigint,
    txs: TypedTransaction[],
    confirmations: readonly Confirmation[] = [],
    build: BuildOptions = {},
  ): Promise<BuiltBlock> {
    return this.lock.run(async () => {
      build.onStart?.()
      const parent = this._head
      if (timestamp <= parent.header.timestamp) {
        throw new BlockError(BlockErrorCode.ProduceTimestampNotAfterParent, `timestamp ${timestamp} is not after the parent's ${parent.header.timestamp}`)
      }
      if ((timestamp - this.genesisTime) % this.dpos.intervalMs !== 0n) {
        throw new BlockError(
          BlockErrorCode.ProduceTimestampOffSlot,
          `timestamp ${timestamp} is not the start of a slot (genesis ${this.genesisTime} + k·${this.dpos.intervalMs} ms)`,
        )
      }
      const producer = new Address(addressOf(publicKeyOf(privateKey)))
      const producerHex = producer.toString()
      const sched = await scheduleFor(this.state.live, parent.hash, parent.header.timestamp, this.slotOf(timestamp), this.dpos)
      if (sched.owner !== producerHex) {
        throw new NfcError(ChainErrorCode.NotMySlot, `slot ${sched.slot} belongs to ${sched.owner ?? 'nobody (vacant seat)'}, not ${producerHex}`)
      }
      const included = await usableConfirmations(this.store, this.state.live, this.common.chainId(), parent, sched.seats, confirmations)
      const ctx = this.blockContext(parent, timestamp, producer)
      const info = this.blockInfo(ctx, parent, included)
      try {
        const exec = await executeBlock(this.vm, ctx, txs, { mode: 'build', sharedPool: SHARED, hooks: this.hooks(info), shouldStop: build.shouldStop })
        const header = signHeader(
          {
            parentHash: parent.hash,
            number: ctx.number,
            timestamp,
            producer: producer.bytes,
            stateRoot: exec.stateRoot,
            transactionsRoot: transactionsRoot(exec.transactions),
            receiptsRoot: receiptsRoot(exec.receipts, exec.transactions),
            logsBloom: exec.logsBloom,
            gasLimit: ctx.gasLimit,
            gasUsed: exec.gasUsed,
            baseFeePerGas: ctx.baseFeePerGas,
            flowRoot: ZERO32,
            confirmationsRoot: confirmationsRoot(included.map((c) => c.confirmation)),
            signature: new Uint8Array(0),
          },
          privateKey,
        )
        const block = makeBlock(
          header,
          exec.transactions,
          included.map((c) => c.confirmation),
        )
        await this.store.commit({ block, receipts: exec.receipts, extra: this.state.store.drain(), canonical: true })
        this.state.store.committed()
        this._head = { hash: block.hash, header }
        this.noteOwnVote(block.hash, ctx.number, timestamp)
        await this.afterCanonical([], [], { block, receipts: exec.receipts })
        return { block, receipts: exec.receipts, rejected: exec.rejected, left: exec.left }
      } catch (e) {
        await this.rollback(parent)
        throw e
      }
    })
  }

  /**
   * Validates and stores a block from the network. 'imported': it is the new head (possibly
   * after a reorg); 'side': valid and stored on a fork that does not win; 'known': already
   * stored, or on a branch that does not contain the last final block; 'orphan': its parent is
   * unknown (sync first); 'future': its slot has not started on this node's clock yet (retry).
   * Throws CHAIN_INVALID_BLOCK (or the consensus rule's error) when the block is invalid.
   */
  importBlock(block: Block, now: bigint): Promise<ImportOutcome> {
    return this.lock.run(() => importBlock(this.importHost, block, now))
  }

  /** What importBlock.ts reads and calls of this chain (its private parts, bound). */
  private get importHost(): ImportHost {
    // the host's `head` / `finalized` getters must read the chain's live fields, not a copy
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this
    return {
      common: this.common,
      store: this.store,
      state: this.state,
      vm: this.vm,
      logger: this.logger,
      rules: {
        genesisTime: this.genesisTime,
        intervalMs: this.dpos.intervalMs,
        gasLimit: this.genesis.params.blockGasLimit,
        minGasPrice: this.genesis.params.minGasPrice,
      },
      sharedPool: SHARED,
      get head() {
        return self._head
      },
      get finalized() {
        return self._finalized
      },
      votedFor: (hash) => this.ownVotes.has(bytesToHex(hash)),
      holdsVote: (parent, now) => this.holdsVote(parent, now),
      deadBranches: {
        has: (hash) => this.deadBranches.has(bytesToHex(hash)),
        add: (hash) => void this.deadBranches.add(bytesToHex(hash)),
      },
      keptRival: (tip) => {
        const best = this.heldRival
        if (best === undefined || beatsHead({ ...headRef(tip), parentHash: tip.header.parentHash, containsFinal: true }, headRef(best))) this.heldRival = tip
      },
      setHead: (head) => void (this._head = head),
      blockContext: (parent, timestamp, producer) => this.blockContext(parent, timestamp, producer),
      blockInfo: (ctx, parent, included) => this.blockInfo(ctx, parent, included),
      hooks: (info) => this.hooks(info),
      detectDoubleProduction: (block) => this.detectDoubleProduction(block),
      noteSide: (block, confirmations) => this.noteSide(block, confirmations),
      afterCanonical: (unindex, reindex, added) => this.afterCanonical(unindex, reindex, added),
      rollback: (to) => this.rollback(to),
    }
  }

  /**
   * A correctly signed header for the slot of our canonical block at the same height, by the
   * same producer, but another block: double production. Reported (once per producer and slot)
   * whatever becomes of the block itself — it is usually refused as below finality.
   */
  private async detectDoubleProduction(block: Block): Promise<void> {
    const h = block.header
    const ours = await this.store.getHashByNumber(h.number)
    if (ours === undefined || equalBytes(ours, block.hash)) return
    const other = await this.store.getHeader(ours)
    if (other === undefined || !equalBytes(other.producer, h.producer) || other.timestamp !== h.timestamp) return
    const producer = bytesToHex(h.producer)
    const key = `${producer}:${h.timestamp}`
    if (this.reportedDoubles.has(key)) return
    this.reportedDoubles.add(key)
    if (this.reportedDoubles.size > 1024) this.reportedDoubles.delete(this.reportedDoubles.values().next().value as string)
    this.logger.warn('double production', { producer, number: h.number, slot: this.slotOf(h.timestamp), hashes: [ours, block.hash] })
    this.emit('doubleProduction', { producer, slot: this.slotOf(h.timestamp), a: other, b: h })
  }

  /** The last final block (DESIGN §4): confirmed by ⌊2n/3⌋+1 of the n seated witnesses. */
  get finalized(): Head {
    return this._finalized
  }

  /**
   * A witness's confirmation that reached this node (gossip or its own). Returns false when the
   * block is not canonical here (the caller keeps it for later, or drops it). The caller has
   * checked the signature; `witness` is the signer.
   */
  noteConfirmation(witness: string, number: bigint, blockHash: Uint8Array): Promise<boolean> {
    return this.lock.run(async () => {
      const canonical = await this.countConfirmation(witness, number, blockHash)
      if (canonical) await this.updateFinality()
      else await this.followFinalSide()
      return canonical
    })
  }

  /**
   * Books one witness's confirmation of block `number`/`blockHash`: on the canonical chain it
   * raises the witness's confirmed number; a stored block above the final one off the chain is a
   * side vote. Returns whether the block is canonical. Runs under the lock.
   */
  private async countConfirmation(witness: string, number: bigint, blockHash: Uint8Array): Promise<boolean> {
    const canonical = await this.store.getHashByNumber(number)
    if (canonical !== undefined && equalBytes(canonical, blockHash)) {
      this.raiseConfirmed(witness, number)
      return true
    }
    if (number <= this._finalized.header.number) return false
    const header = await this.store.getHeader(blockHash)
    if (header === undefined || header.number !== number) return false
    this.side.addBlock(blockHash, number, header.parentHash)
    this.side.vote(witness, number, blockHash)
    return false
  }

  /** `witness` is known to have confirmed canonical block `number` (and so everything below it). */
  private raiseConfirmed(witness: string, number: bigint): void {
    if ((this.confirmedBy.get(witness) ?? -1n) < number) this.confirmedBy.set(witness, number)
  }

  /** A valid block stored off the canonical chain: its producer and its confirmations vote for their blocks. */
  private async noteSide(block: Block, confirmations: readonly { witness: string; number: bigint }[]): Promise<void> {
    const h = block.header
    this.side.addBlock(block.hash, h.number, h.parentHash)
    this.side.vote(bytesToHex(h.producer), h.number, block.hash)
    await this.pruner?.keepSide(block.hash, h)
    for (const [i, c] of confirmations.entries()) await this.countConfirmation(c.witness, c.number, block.confirmations[i]!.blockHash)
    await this.updateFinality()
    await this.followFinalSide()
  }

  /**
   * DESIGN §4: the chain is the longest branch that holds the last final block. When the
   * confirmations known for a side branch make a block on it final (this node moved to a longer
   * branch before the last of them arrived), the head moves to that branch. Runs under the lock.
   */
  private async followFinalSide(): Promise<void> {
    const found = await this.side.findFinal(this.store, this.headSeats, this.confirmedBy, this._finalized.header.number)
    if (found === undefined) return
    await adoptBranch(this.importHost, found.tip, `block ${found.finalNumber} of it became final`)
  }

  /**
   * This node's witness confirmed (or produced) block `number`/`hash` at `atMs`: at equal height it
   * keeps that block rather than switch to a rival with a lower hash, and for VOTE_HOLD_ROUNDS
   * rounds it keeps any branch holding the block rather than switch to a longer one without it
   * (its vote would then count for both branches).
   */
  noteOwnVote(hash: Uint8Array, number: bigint, atMs: bigint): void {
    this.ownVotes.add(bytesToHex(hash))
    if (this.ownVotes.size > VOTES_KEPT) this.ownVotes.delete(this.ownVotes.values().next().value as string)
    if (this.lastVote === undefined || number >= this.lastVote.number) this.lastVote = { hash, number, atMs }
  }

  /**
   * Whether the witness's latest vote holds it against a block whose parent is `parent` (or
   * against the stored block `parent` itself): the vote is recent and above the final block, and
   * that branch does not hold the voted block.
   */
  private async holdsVote(parent: Head, nowMs: bigint): Promise<boolean> {
    const vote = this.lastVote
    if (!voteHolds(vote, this._finalized.header.number, nowMs, this.voteHoldMs)) return false
    return !(await branchHolds(this.store, parent, vote))
  }

  private get voteHoldMs(): bigint {
    return BigInt(VOTE_HOLD_ROUNDS * this.dpos.W) * this.dpos.intervalMs
  }

  /**
   * Whether the witness holds the branch of its vote against a longer one at `nowMs`: it must
   * then cast no vote — neither confirm nor produce — or the hold would never end (each vote
   * starts it again), and two witnesses holding their own branches would never meet. Against an
   * equal-height rival it votes on: the next block settles a tie.
   */
  holding(nowMs: bigint): boolean {
    const rival = this.heldRival
    if (rival === undefined || !voteHolds(this.lastVote, this._finalized.header.number, nowMs, this.voteHoldMs)) return false
    return rival.header.number > this._head.header.number
  }

  /**
   * Ends a hold that is over at `nowMs`: the kept rival branch, if it still beats the head and
   * holds the final block, becomes the chain (it is stored and executed: nothing runs again). The
   * producer calls this before its slot, so a witness that held does not vote on its old branch
   * (starting a new hold) before the rival's next block arrives. Returns whether it still holds.
   */
  settleHold(nowMs: bigint): Promise<boolean> {
    // the common case without a wait for the lock (a block import may hold it)
    if (this.heldRival === undefined) return Promise.resolve(false)
    return this.lock.run(async () => {
      const rival = this.heldRival
      if (rival === undefined) return false
      if (this.holding(nowMs)) return true
      this.heldRival = undefined
      const fin = headRef(this._finalized)
      const candidate = { ...headRef(rival), parentHash: rival.header.parentHash, containsFinal: false }
      if (!beatsHead(candidate, headRef(this._head))) return false
      candidate.containsFinal = await branchHolds(this.store, rival, fin)
      if (!isViable(candidate, fin) || (await this.holdsVote(rival, nowMs))) return false
      await adoptBranch(this.importHost, rival, 'the hold of its vote is over')
      return false
    })
  }

  /** Distinct confirmations that make a block final: ⌊2n/3⌋+1 of the n occupied seats at the head. */
  quorum(): number {
    return quorum(this.headSeats.filter((s) => s !== null).length)
  }

  /** The seated witnesses at the head (who may confirm) — cached per head. */
  get seats(): readonly (string | null)[] {
    return this.headSeats
  }

  /** lastConfirmed of each witness on chain at the head (what a new confirmation must exceed). */
  lastConfirmedAtHead(witness: string): Promise<bigint> {
    return this.lock.run(() => lastConfirmedOf(this.state.live, witness))
  }

  private blockContext(parent: Head, timestamp: bigint, producer: Address): BlockContext {
    return {
      number: parent.header.number + 1n,
      timestamp,
      producer,
      gasLimit: this.genesis.params.blockGasLimit,
      baseFeePerGas: this.genesis.params.minGasPrice,
      parentHash: parent.hash,
    }
  }

  private blockInfo(ctx: BlockContext, parent: Head, included: { witness: string; confirmation: Confirmation }[]): BlockInfo {
    return {
      number: ctx.number,
      timestamp: ctx.timestamp,
      producer: ctx.producer.toString(),
      parentHash: parent.hash,
      parentTimestamp: parent.header.timestamp,
      confirmations: included.map((c) => ({ witness: c.witness, number: c.confirmation.number })),
    }
  }

  /**
   * The consensus step that ran before `block`'s transactions, to replay it (tracing). The
   * block's confirmations were verified when it was imported; their signers are recovered again.
   */
  beginHookFor(block: Block): (sm: MerkleStateManager) => Promise<void> {
    const h = block.header
    const chainId = this.common.chainId()
    const confirmations = block.confirmations.map((c) => ({ witness: bytesToHex(recoverConfirmer(chainId, c) ?? new Uint8Array(20)), number: c.number }))
    return async (sm) => {
      const header = await this.store.getHeader(h.parentHash)
      if (header === undefined) throw new NfcError(ChainErrorCode.BlockNotFound, `parent of block ${h.number} not found`)
      const parent = { hash: h.parentHash, header }
      const info = this.blockInfo(this.blockContext(parent, h.timestamp, new Address(h.producer)), parent, [])
      await beginBlock(sm, { ...info, confirmations }, this.dpos)
      await govBeginBlock(sm, { ...info, confirmations }, this.dpos)
      await dealsBeginBlock(sm, { ...info, confirmations }, this.dpos)
      await flowBeginBlock(sm, { ...info, confirmations }, this.dpos)
    }
  }

  private hooks(info: BlockInfo): ExecutionOptions['hooks'] {
    return {
      begin: async (sm) => {
        await beginBlock(sm, info, this.dpos)
        // governance executes at a cycle boundary before the flow engine, so the change holds for the whole block;
        // no transaction carries it: the proposal's settledBlock and the parameter's history record it, the log says it
        for (const p of await govBeginBlock(sm, info, this.dpos))
          this.logger.info('governance proposal settled', { number: info.number, proposal: p.id, status: proposalStatusName(p.status) })
        // storage deals settle at a period's first block and record its seed (consensus/deals/engine.ts)
        await dealsBeginBlock(sm, info, this.dpos)
        const flow = await flowBeginBlock(sm, info, this.dpos)
        // a checkpoint's content never fails a block: entries past a bound are voided and said here
        for (const a of flow.applied) {
          for (const o of a.outOfBounds)
            this.logger.warn('flow checkpoint entry voided: out of bounds', { number: info.number, cycle: a.cycle, entry: o.index, reason: o.reason })
        }
      },
      end: async (sm) => void (await endBlock(sm, info, this.dpos)),
    }
  }

  /** After a canonical commit: seats, finality, then the events (removed newest-first, added oldest-first). */
  private async afterCanonical(unindex: Block[], reindex: Block[], added: NewBlockEvent): Promise<void> {
    const removed: NewBlockEvent[] = []
    for (const b of unindex) removed.push({ block: b, receipts: (await this.store.getReceipts(b.hash)) ?? [] })
    const joined: NewBlockEvent[] = []
    for (const b of reindex) joined.push({ block: b, receipts: (await this.store.getReceipts(b.hash)) ?? [] })
    joined.push(added)
    if (removed.length > 0) {
      const forkPoint = added.block.header.number - BigInt(reindex.length) - 1n
      // what was confirmed on the branch that left the chain becomes side votes
      const left = new Map(unindex.map((b) => [b.header.number, b]))
      for (const b of unindex) {
        this.side.addBlock(b.hash, b.header.number, b.header.parentHash)
        // a block a reorg took off the chain is a side block now: its branch may still win, so its state stays
        await this.pruner?.keepSide(b.hash, b.header)
      }
      for (const [w, n] of [...this.confirmedBy.entries()]) {
        if (n <= forkPoint) continue
        const b = left.get(n)
        if (b !== undefined) this.side.vote(w, n, b.hash)
        this.confirmedBy.set(w, forkPoint)
      }
    }
    const chainId = this.common.chainId()
    for (const j of joined) {
      const h = j.block.header
      this.raiseConfirmed(bytesToHex(h.producer), h.number)
      // confirmations heard while the block was off the chain, and those the block includes (a
      // syncing node hears no gossip for old blocks; they were checked at import)
      for (const w of this.side.takeVotes(j.block.hash)) this.raiseConfirmed(w, h.number)
      for (const c of j.block.confirmations) {
        const signer = recoverConfirmer(chainId, c)
        if (signer !== null) this.raiseConfirmed(bytesToHex(signer), c.number)
      }
    }
    this.headSeats = (await readWitnesses(this.state.live)).seats
    await this.updateFinality()
    this.side.prune(this._finalized.header.number)
    this.pruner?.afterBlock(this._head.header.number)
    for (const r of removed) this.emit('removedBlock', r)
    for (const j of joined) this.emit('block', j)
  }

  /** open deferFinality scopes: while any is, the final block waits for the last one's end */
  private finalityDeferred = 0

  /**
   * Runs `fn` — a batch of imports (`nfc import`, a range-sync answer) — with the final block moved
   * once, at its end, instead of after every block: each move is a synced LevelDB write and the
   * FINAL marker behind it (~30 ms of fsyncs on a VM disk), which capped a replay of empty blocks
   * at ~7 blocks/s. Nothing is called final before that write, so a crash inside the batch restarts
   * at or above the last final block written, as always.
   */
  async deferFinality<T>(fn: () => Promise<T>): Promise<T> {
    this.finalityDeferred++
    try {
      return await fn()
    } finally {
      if (--this.finalityDeferred === 0) await this.lock.run(() => this.updateFinality())
    }
  }

  private async updateFinality(): Promise<void> {
    if (this.finalityDeferred > 0) return
    const target = finalizedNumber(this.headSeats, this.confirmedBy, this._head.header.number)
    if (target === undefined || target <= this._finalized.header.number) return
    const hash = await this.store.getHashByNumber(target)
    const header = hash === undefined ? undefined : await this.store.getHeader(hash)
    if (hash === undefined || header === undefined) return
    this._finalized = { hash, header }
    // synced: the write that moves the final block, and every block below it, survives a power cut
    await this.store.putMeta('finalized', hash, { sync: true })
    // a kept rival branch without the new final block can never be followed: nothing to hold against
    if (this.heldRival !== undefined && !(await branchHolds(this.store, this.heldRival, { hash, number: header.number }))) this.heldRival = undefined
    this.emit('finalized', this._finalized)
  }

  /** Nothing of a failed block reached the disk: back to `to`'s state, forget the block's trie writes. */
  private async rollback(to: Head): Promise<void> {
    // setStateRoot flushes the caches first, so discard comes last
    await (this.vm.stateManager as MerkleStateManager).setStateRoot(to.header.stateRoot, true)
    this.state.store.discard()
  }

  /**
   * Snapshot sync's end (src/node/snapSync.ts): `pivot` is stored with its complete state and the
   * blocks below it, and was checked final. It becomes the head and the final block; the live
   * state moves to its root and the consensus bookkeeping is read from that state, as at start-up.
   */
  adoptSnapshot(pivot: Head): Promise<void> {
    return this.lock.run(async () => {
      await this.store.adoptHead(pivot.hash, [this.store.metaOp('finalized', pivot.hash), this.store.metaOp(SNAPSHOT_PIVOT_META, u64(pivot.header.number))])
      this.stateFloor = pivot.header.number
      await (this.vm.stateManager as MerkleStateManager).setStateRoot(pivot.header.stateRoot, true)
      this._head = pivot
      this._finalized = pivot
      this.confirmedBy.clear()
      await this.loadConsensus()
      this.emit('finalized', pivot)
    })
  }

  /** Resolves a block number to its canonical header, if any. */
  async headerByNumber(number: bigint): Promise<Head | undefined> {
    const hash = await this.store.getHashByNumber(number)
    if (hash === undefined) return undefined
    const header = await this.store.getHeader(hash)
    return header === undefined ? undefined : { hash, header }
  }

  /**
   * A private state view at a block's state root (for calls, balances and proofs). Throws
   * STATE_PRUNED for a block older than a pruning node keeps, STATE_NOT_DOWNLOADED for one below
   * the pivot of the snapshot sync this node started from.
   */
  async stateAt(header: BlockHeader): Promise<MerkleStateManager> {
    if (header.number < this.stateFloor) throw notDownloadedStateError(header.number, this.stateFloor)
    this.pruner?.checkAvailable(header)
    return this.state.at(header.stateRoot)
  }

  /** The lowest block whose state is kept (0 on an archive node). */
  oldestStateKept(): bigint {
    return this.pruner?.oldestKept() ?? this.stateFloor
  }

  /** One state-pruning pass now (tests and benches); undefined on an archive node. */
  async pruneState(): Promise<PruneResult | undefined> {
    return this.pruner?.collect()
  }

  async close(): Promise<void> {
    await this.pruner?.close()
    // wait for a block being built to commit (or roll back) before the db closes
    await this.lock.run(async () => undefined)
  }
}
