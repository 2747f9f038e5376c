/**
 * Importing one block from the network, top to bottom (DESIGN §4): pure header and body checks
 * (src/chain/blocks/), the branch checks that need the store, fork choice (src/chain/
 * forkChoice.ts), execution, the execution results, then one commit — as a side block, or as the
 * new head (with the reorg's index changes in the same batch). A refused block leaves nothing
 * behind: the state goes back to the head's, no record is written.
 *
 * Runs under the Blockchain's lock; the Blockchain hands in what it owns as an ImportHost.
 */
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, bytesToHex } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'
import type { Block } from '../chain/block.js'
import type { BlockStore } from '../chain/blockStore.js'
import { confirmationSigner, verifyBodyRoots, verifyExecutionResult } from '../chain/blocks/verifyBody.js'
import { invalidBlock, verifyHeader, type HeaderRules } from '../chain/blocks/verifyHeader.js'
import { BlockError, BlockErrorCode, ChainErrorCode, isInvalidChainData } from '../chain/errors.js'
import { beatsHead, isViable, type Candidate } from '../chain/forkChoice.js'
import { equalBytes } from '../chain/header.js'
import type { BlockInfo } from '../consensus/dpos/engine.js'
import { DposError } from '../consensus/dpos/errors.js'
import { executeBlock, type BlockContext, type ExecutionOptions } from '../execution/blockExecutor.js'
import { ExecErrorCode, TxErrorCode } from '../execution/errors.js'
import { TxPoolErrorCode } from '../txpool/errors.js'
import type { WorldState } from '../state/worldState.js'
import { isNfcError, NfcError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import type { Head, NewBlockEvent } from './blockchain.js'

export type ImportOutcome = 'imported' | 'side' | 'known' | 'orphan' | 'future'

/** What the import reads and calls of the Blockchain that runs it. */
export interface ImportHost {
  readonly common: Common
  readonly store: BlockStore
  readonly state: WorldState
  readonly vm: VM
  readonly logger: Logger
  readonly rules: HeaderRules
  readonly sharedPool: Address
  readonly head: Head
  readonly finalized: Head
  /** this node's witness confirmed or produced the block (it keeps it against an equal-height rival) */
  votedFor(hash: Uint8Array): boolean
  /** this node's witness's recent vote is for a block the branch through `parent` lacks (it keeps its head) */
  holdsVote(parent: Head, nowMs: bigint): Promise<boolean>
  /** a stored side block that beat the head and was kept out only by the vote's hold */
  keptRival(tip: Head): void
  /** hashes of blocks refused for lacking the final block (the latest few thousand): their children lack it too */
  readonly deadBranches: { has(hash: Uint8Array): boolean; add(hash: Uint8Array): void }
  setHead(head: Head): void
  blockContext(parent: Head, timestamp: bigint, producer: Address): BlockContext
  blockInfo(ctx: BlockContext, parent: Head, included: []): BlockInfo
  hooks(info: BlockInfo): ExecutionOptions['hooks']
  /** reports a second block of one producer for one slot (does not refuse the block) */
  detectDoubleProduction(block: Block): Promise<void>
  /** a valid block stored off the canonical chain: its producer and confirmations count for its branch (sideFinality.ts) */
  noteSide(block: Block, confirmations: BlockInfo['confirmations']): Promise<void>
  /** seats, finality and events after a canonical commit */
  afterCanonical(unindex: Block[], reindex: Block[], added: NewBlockEvent): Promise<void>
  /** back to `to`'s state, forgetting pending trie writes */
  rollback(to: Head): Promise<void>
}

/** codes outside the chain module that prove a block (or confirmation) from a peer breaks a rule */
const PEER_FAULT_CODES: ReadonlySet<string> = new Set<string>([
  // the DPoS rules the block's consensus step checks (slot, producer, confirmations)
  DposError.BAD_SLOT,
  DposError.WRONG_PRODUCER,
  DposError.BAD_CONFIRMATION,
  // a transaction of the block cannot run, or the block overflows its gas limit
  ExecErrorCode.InvalidTransaction,
  ExecErrorCode.BlockGasExceeded,
  // a transaction of the block does not decode or validate
  ...Object.values(TxErrorCode),
  // a gossiped transaction that can never be valid here (not the pool's policy: full, underpriced,
  // nonce races and the like are no one's fault)
  TxPoolErrorCode.TX_TYPE_NOT_SUPPORTED,
  TxPoolErrorCode.GAS_LIMIT,
  TxPoolErrorCode.INTRINSIC_GAS,
  TxPoolErrorCode.TIP_ABOVE_FEE_CAP,
])

/** codes of a transaction or confirmation whose signature is invalid (the P2P layer bans the sender) */
const BAD_SIGNATURE_CODES: ReadonlySet<string> = new Set<string>([ChainErrorCode.BadSignature, TxErrorCode.INVALID_SIG, TxErrorCode.INVALID_SENDER])

/** Whether a peer's transaction or confirmation failed on its signature (see BAD_SIGNATURE_CODES). */
export function isBadSignature(e: unknown): boolean {
  return isNfcError(e) && BAD_SIGNATURE_CODES.has(e.code)
}

/**
 * Whether an error from importing a block (or taking a confirmation) proves the peer's data
 * invalid: a rule-breaking block, undecodable bytes, a bad signature, a DPoS rule or a
 * transaction that cannot run. Everything else — a database or disk error, a missing record, a
 * closed worker pool, a bug — is a local fault and must not cost the peer anything.
 */
export function isPeerFault(e: unknown): boolean {
  if (isInvalidChainData(e)) return true
  return isNfcError(e) && PEER_FAULT_CODES.has(e.code)
}

/**
 * Validates `block` against its parent and the chain, and stores it: as the new head (possibly
 * after a reorg), as a side block, or not at all ('known', 'orphan', 'future'). Throws a
 * BlockError (or a DPoS / execution rule's error) when the block is invalid; any other throw is
 * a local fault.
 */
export async function importBlock(c: ImportHost, block: Block, now: bigint): Promise<ImportOutcome> {
  // 1. known, or its parent unknown
  if (await c.store.hasBlock(block.hash)) return 'known'
  const h = block.header
  const parentHeader = await c.store.getHeader(h.parentHash)
  if (parentHeader === undefined) {
    // the child of a block refused for lacking the final block lacks it too: dropped unread, not
    // an orphan to sync for (a peer on such a branch made every new block a fork-point search)
    if (!c.deadBranches.has(h.parentHash)) return 'orphan'
    c.deadBranches.add(block.hash)
    return 'known'
  }
  const parent: Head = { hash: h.parentHash, header: parentHeader }

  // 2. header and body, as far as they are checked without the store
  if (verifyHeader(h, block.hash, parentHeader, c.rules, now) === 'future') return 'future'
  await c.detectDoubleProduction(block)
  verifyBodyRoots(block)
  const confirmations: BlockInfo['confirmations'] = []
  for (const conf of block.confirmations) {
    const witness = confirmationSigner(c.common.chainId(), block, conf)
    const onBranch = await ancestorHash(c.store, parent, conf.number)
    if (onBranch === undefined || !equalBytes(onBranch, conf.blockHash)) {
      throw invalidBlock(h, block.hash, BlockErrorCode.ConfirmationNotAncestor, `a confirmation is for block ${conf.number}, which is not an ancestor`)
    }
    confirmations.push({ witness, number: conf.number })
  }

  // 3. fork choice: a branch that does not contain the last final block is never followed
  const fin = c.finalized
  if (h.number <= fin.header.number) {
    // not stored, so not the canonical block at its height: a branch without the final block
    c.deadBranches.add(block.hash)
    return 'known'
  }
  const candidate: Candidate = {
    hash: block.hash,
    number: h.number,
    parentHash: h.parentHash,
    containsFinal: await branchHolds(c.store, parent, { hash: fin.hash, number: fin.header.number }),
  }
  if (!isViable(candidate, { hash: fin.hash, number: fin.header.number })) {
    c.deadBranches.add(block.hash)
    c.logger.warn('ignored a block on a branch without the final block', { number: h.number, hash: block.hash, finalized: fin.header.number })
    return 'known'
  }
  const head = c.head
  const extendsHead = equalBytes(h.parentHash, head.hash)
  // a witness keeps the block it voted for against an equal-height rival, and for a while any
  // branch holding its latest vote against a longer one without it (docs/decisions.md): switching
  // would make its vote count for both branches, and such votes can finalize both
  const beats = beatsHead(candidate, { hash: head.hash, number: head.header.number })
  const keepsVote = !extendsHead && ((h.number === head.header.number && c.votedFor(head.hash)) || (beats && (await c.holdsVote(parent, now))))
  const wins = !keepsVote && beats

  // 4. execute on the parent's state, check the results, commit
  const ctx = c.blockContext(parent, h.timestamp, new Address(h.producer))
  const info: BlockInfo = { ...c.blockInfo(ctx, parent, []), confirmations }
  const sm = c.vm.stateManager as MerkleStateManager
  if (!extendsHead) await sm.setStateRoot(parentHeader.stateRoot, true)
  try {
    const exec = await executeBlock(c.vm, ctx, block.transactions, { mode: 'import', sharedPool: c.sharedPool, hooks: c.hooks(info) })
    verifyExecutionResult(block, exec)
    const receipts = exec.receipts
    if (!wins) {
      await c.store.commit({ block, receipts, extra: c.state.store.drain(), canonical: false })
      c.state.store.committed()
      await sm.setStateRoot(head.header.stateRoot, true)
      c.logger.info('stored a side block', { number: h.number, hash: block.hash, head: head.header.number })
      // a longer branch kept out makes the witness abstain (Blockchain.holding); an equal-height
      // one does not: the next block settles a tie, and a double-produced block with a lower hash
      // would otherwise silence every witness that voted for its twin
      if (beats && h.number > head.header.number) c.keptRival({ hash: block.hash, header: h })
      await c.noteSide(block, confirmations)
      // its branch may hold a block that became final, and be the chain now
      return equalBytes(c.head.hash, head.hash) ? 'side' : 'imported'
    }
    const { unindex, reindex } = extendsHead ? { unindex: [], reindex: [] } : await reorgPath(c.store, head, parent, fin)
    await c.store.commit({ block, receipts, extra: c.state.store.drain(), canonical: true, unindex, reindex })
    c.state.store.committed()
    c.setHead({ hash: block.hash, header: h })
    if (unindex.length > 0) {
      c.logger.warn('reorganised', { depth: unindex.length, from: head.header.number, to: h.number, hash: block.hash })
    }
    await c.afterCanonical(unindex, reindex, { block, receipts })
    return 'imported'
  } catch (e) {
    await c.rollback(head)
    throw e
  }
}

/**
 * Makes a stored side branch canonical, its tip the head: a block on it became final (the
 * confirmations of sideFinality.ts), so the branch the head is on can never be followed again.
 * Nothing runs again — side blocks were executed and stored with their state and receipts.
 */
export async function adoptBranch(c: ImportHost, tip: Head, why: string): Promise<void> {
  const head = c.head
  const missing = (what: string) => new NfcError(ChainErrorCode.DatadirCorrupt, `${what} of side block ${tip.header.number} is missing`, { hash: tip.hash })
  const parentHeader = await c.store.getHeader(tip.header.parentHash)
  if (parentHeader === undefined) throw missing('the parent')
  const block = await c.store.getBlock(tip.hash)
  const receipts = await c.store.getReceipts(tip.hash)
  if (block === undefined || receipts === undefined) throw missing('the body or receipts')
  const { unindex, reindex } = await reorgPath(c.store, head, { hash: tip.header.parentHash, header: parentHeader }, c.finalized)
  try {
    await c.store.commit({ block, receipts, extra: c.state.store.drain(), canonical: true, unindex, reindex })
    c.state.store.committed()
    await (c.vm.stateManager as MerkleStateManager).setStateRoot(tip.header.stateRoot, true)
  } catch (e) {
    await c.rollback(head)
    throw e
  }
  c.setHead(tip)
  c.logger.warn('followed a stored side branch', {
    why,
    from: head.header.number,
    to: tip.header.number,
    depth: unindex.length,
    hash: tip.hash,
  })
  await c.afterCanonical(unindex, reindex, { block, receipts })
}

/** Whether the branch through `from` (inclusive) holds `block`: its ancestor at that number is it. */
export async function branchHolds(store: BlockStore, from: Head, block: { hash: Uint8Array; number: bigint }): Promise<boolean> {
  const at = await ancestorHash(store, from, block.number)
  return at !== undefined && equalBytes(at, block.hash)
}

/** Hash of the ancestor of `from` (inclusive) at `number`, walking parent links until the canonical chain. */
export async function ancestorHash(store: BlockStore, from: Head, number: bigint): Promise<Uint8Array | undefined> {
  if (number > from.header.number || number < 0n) return undefined
  let hash = from.hash
  let n = from.header.number
  for (;;) {
    // once on the canonical chain, the number index answers
    const c = await store.getHashByNumber(n)
    if (c !== undefined && equalBytes(c, hash)) return n === number ? hash : store.getHashByNumber(number)
    if (n === number) return hash
    const header = await store.getHeader(hash)
    if (header === undefined) return undefined
    hash = header.parentHash
    n -= 1n
  }
}

/** The blocks leaving (head → fork point, newest first) and joining (fork point → parent, oldest first) the canonical chain. */
async function reorgPath(store: BlockStore, head: Head, parent: Head, finalized: Head): Promise<{ unindex: Block[]; reindex: Block[] }> {
  const unindex: Block[] = []
  const reindex: Block[] = []
  let a: Head = head
  let b: Head = parent
  const load = async (hash: Uint8Array): Promise<Block> => {
    const blk = await store.getBlock(hash)
    if (blk === undefined) throw new NfcError(ChainErrorCode.DatadirCorrupt, `block ${bytesToHex(hash)} is missing during a reorg`)
    return blk
  }
  const parentOf = async (x: Head): Promise<Head> => {
    const header = await store.getHeader(x.header.parentHash)
    if (header === undefined) throw new NfcError(ChainErrorCode.DatadirCorrupt, `block ${x.header.number - 1n} is missing during a reorg`)
    return { hash: x.header.parentHash, header }
  }
  while (a.header.number > b.header.number) {
    unindex.push(await load(a.hash))
    a = await parentOf(a)
  }
  while (b.header.number > a.header.number) {
    reindex.push(await load(b.hash))
    b = await parentOf(b)
  }
  while (!equalBytes(a.hash, b.hash)) {
    unindex.push(await load(a.hash))
    reindex.push(await load(b.hash))
    a = await parentOf(a)
    b = await parentOf(b)
  }
  if (a.header.number < finalized.header.number) {
    throw new BlockError(BlockErrorCode.ReorgBelowFinal, `refusing a reorg below the final block ${finalized.header.number}`)
  }
  return { unindex, reindex: reindex.reverse() }
}
