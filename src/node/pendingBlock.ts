/**
 * The `pending` block tag: the pool's next block — what `selectForBlock` would hand the producer,
 * executed on top of the head in a throwaway state (a private overlay of the trie store; nothing
 * reaches the database). It is what eth_getBlockByNumber("pending") shows and what
 * eth_getBalance / eth_getCode / eth_getStorageAt / eth_call / eth_estimateGas ("pending") read.
 *
 * Built lazily, on the first `pending` request, and cached per head. Wallets poll `pending` all
 * the time while the pool changes with every transaction, so a build is bounded twice — at most
 * `maxTxs` transactions within the block gas limit — and, for the same head, redone after a pool
 * change only once the last build is `refreshMs` old (geth's miner likewise serves a pending
 * snapshot that trails the pool). eth_getTransactionCount("pending") reads the pool directly and
 * is always current.
 *
 * What the real next block adds is not in it: the DPoS/flow begin/end steps (rewards, trust,
 * elections) and a signature. Its header has no hash (null in JSON, as geth's pending block).
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { transactionsRoot } from '../chain/block.js'
import { receiptsRoot, type TxReceipt } from '../chain/receipt.js'
import { executeBlock, type BlockContext } from '../execution/blockExecutor.js'
import type { CallEnv } from '../execution/call.js'
import { POOLS } from '../execution/systemAddresses.js'
import { createNodeVm } from '../execution/vmFactory.js'
import type { Head } from './blockchain.js'
import type { DposConfig } from '../consensus/dpos/engine.js'

/** The header fields a pending block has (no signature, so no hash). */
export interface PendingHeader {
  number: bigint
  parentHash: Uint8Array
  /** ms since the epoch: the next slot after the head */
  timestamp: bigint
  /** this node's witness address, or zero on a node without a key */
  producer: Uint8Array
  stateRoot: Uint8Array
  transactionsRoot: Uint8Array
  receiptsRoot: Uint8Array
  logsBloom: Uint8Array
  gasLimit: bigint
  gasUsed: bigint
  baseFeePerGas: bigint
}

export interface PendingBlock {
  /** the head it was built on */
  parent: Head
  header: PendingHeader
  transactions: TypedTransaction[]
  receipts: TxReceipt[]
  /** a private view of the state after the block's transactions (each call gets its own) */
  state(): MerkleStateManager
  /** eth_call / eth_estimateGas on top of the pending block */
  callEnv: CallEnv
}

export interface PendingSource {
  head(): Head
  common: CallEnv['common']
  blockchain: unknown
  dpos: DposConfig
  intervalMs: bigint
  /** the state of a block (a private overlay) */
  stateAt(head: Head): Promise<MerkleStateManager>
  /** the pool's pick for a block of `gasLimit`, in block order */
  select(gasLimit: bigint): TypedTransaction[]
  /** moves whenever the pool changes */
  poolVersion(): number
  producer: Uint8Array
  now(): number
}

export interface PendingOptions {
  /** most transactions executed per build (default 200: a few tens of ms on the main thread) */
  maxTxs?: number
  /** for the same head, rebuild after a pool change at most this often (default 500 ms) */
  refreshMs?: number
}

const SHARED = new Address(hexToBytes(POOLS.shared))

export class PendingBlockCache {
  private readonly maxTxs: number
  private readonly refreshMs: number
  private cached: { headHash: string; version: number; at: number; block: Promise<PendingBlock> } | undefined
  /** builds so far (for tests and the docs' claim that polling does not rebuild) */
  builds = 0

  constructor(
    private readonly src: PendingSource,
    opts: PendingOptions = {},
  ) {
    this.maxTxs = opts.maxTxs ?? 200
    this.refreshMs = opts.refreshMs ?? 500
  }

  get(): Promise<PendingBlock> {
    const head = this.src.head()
    const headHash = bytesToHex(head.hash)
    const version = this.src.poolVersion()
    const now = this.src.now()
    const c = this.cached
    if (c !== undefined && c.headHash === headHash && (c.version === version || now - c.at < this.refreshMs)) return c.block
    const block = this.build(head)
    this.cached = { headHash, version, at: now, block }
    // a failed build is not cached: the next request tries again
    block.catch(() => {
      if (this.cached?.block === block) this.cached = undefined
    })
    return block
  }

  private async build(parent: Head): Promise<PendingBlock> {
    this.builds++
    const { src } = this
    const ctx: BlockContext = {
      number: parent.header.number + 1n,
      timestamp: parent.header.timestamp + src.intervalMs,
      producer: new Address(src.producer),
      gasLimit: parent.header.gasLimit,
      baseFeePerGas: parent.header.baseFeePerGas,
      parentHash: parent.hash,
    }
    const txs = src.select(ctx.gasLimit).slice(0, this.maxTxs)
    const state = await src.stateAt(parent)
    const vm = await createNodeVm({ common: src.common, stateManager: state, blockchain: src.blockchain, dpos: src.dpos })
    // 'build': a tx that cannot run is left out, as the producer would
    const exec = await executeBlock(vm, ctx, txs, { mode: 'build', sharedPool: SHARED })
    const view = () => state.shallowCopy(false)
    return {
      parent,
      header: {
        number: ctx.number,
        parentHash: parent.hash,
        timestamp: ctx.timestamp,
        producer: src.producer,
        stateRoot: exec.stateRoot,
        transactionsRoot: transactionsRoot(exec.transactions),
        receiptsRoot: receiptsRoot(exec.receipts, exec.transactions),
        logsBloom: exec.logsBloom,
        gasLimit: ctx.gasLimit,
        gasUsed: exec.gasUsed,
        baseFeePerGas: ctx.baseFeePerGas,
      },
      transactions: exec.transactions,
      receipts: exec.receipts,
      state: view,
      callEnv: {
        common: src.common,
        // calls run on top of the pending block: the block after it
        ctx: { ...ctx, number: ctx.number + 1n, timestamp: ctx.timestamp + src.intervalMs },
        freshState: async () => view(),
        blockchain: src.blockchain,
        dpos: src.dpos,
      },
    }
  }
}
