/**
 * Executes a block's transactions on a state manager: the EVM (@ethereumjs/vm `runTx`, Cancun)
 * for each transaction (a plain value transfer by plainTransfer.ts: the same changes, no EVM),
 * then the fee settlement of DESIGN §3, then receipts, bloom and the state root. No clock, network
 * or disk of its own: the caller passes the block context and the state (whose trie writes stay
 * pending until the caller commits them).
 */
import { createBlock, type Block as EthBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Account, Address } from '@ethereumjs/util'
import { runTx, type VM } from '@ethereumjs/vm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { bloomOfLogs } from '../chain/bloom.js'
import type { Log, TxReceipt } from '../chain/receipt.js'
import { NfcError } from '../util/errors.js'
import { ExecErrorCode } from './errors.js'
import { isPlainTransfer, runPlainTransfer } from './plainTransfer.js'
import { cacheSenderAddresses } from './senderAddress.js'
import { setBlockTimeMs } from './system/hooks.js'

cacheSenderAddresses()

export interface BlockContext {
  number: bigint
  /** ms since the epoch; the EVM's TIMESTAMP sees whole seconds */
  timestamp: bigint
  producer: Address
  gasLimit: bigint
  /** the protocol minimum gas price, reported as baseFeePerGas */
  baseFeePerGas: bigint
  /** PREVRANDAO: the parent hash — deterministic, and as unpredictable as DPoS allows */
  parentHash: Uint8Array
}

export interface ExecutedBlock {
  transactions: TypedTransaction[]
  receipts: TxReceipt[]
  gasUsed: bigint
  logsBloom: Uint8Array
  stateRoot: Uint8Array
  /** building only: transactions left out, with the reason */
  rejected: { tx: TypedTransaction; error: Error }[]
  /**
   * building only: transactions not tried — the block was full (gas limit) or its time was up
   * (`shouldStop`). They are valid as far as anyone knows: the producer leaves them in the pool.
   */
  left: TypedTransaction[]
  /** wei paid to the shared pool by this block's fees */
  sharedPoolFees: bigint
}

export interface ExecutionOptions {
  /** 'build': skip transactions that cannot run; 'import': any such transaction fails the block */
  mode: 'build' | 'import'
  sharedPool: Address
  /**
   * building only: asked before each transaction; true ends the filling (the rest is `left`).
   * The producer passes its time budget here — execution itself reads no clock.
   */
  shouldStop?: () => boolean
  /**
   * Consensus steps around the transactions (DPoS: trust, rewards, election), run inside the
   * block's journal checkpoint so a failed block leaves no trace. A throw fails the block.
   */
  hooks?: {
    begin?: (sm: MerkleStateManager) => Promise<void>
    end?: (sm: MerkleStateManager) => Promise<void>
  }
  /** plain transfers through runTx too, not plainTransfer.ts (the reference its tests compare with) */
  evmForTransfers?: boolean
}

/** what the executor reads of one transaction's run */
interface Ran {
  totalGasSpent: bigint
  minerValue: bigint
  logs: Log[]
  failed: boolean
  createdAddress: Address | undefined
}

/** One transaction: a plain transfer without the EVM (plainTransfer.ts), anything else by runTx. */
async function runOne(vm: VM, tx: TypedTransaction, block: EthBlock, ctx: BlockContext, gasUsed: bigint, opts: ExecutionOptions): Promise<Ran> {
  if (opts.evmForTransfers !== true && isPlainTransfer(vm, tx, ctx.baseFeePerGas)) {
    const ran = await runPlainTransfer(vm, tx, ctx.producer, ctx.baseFeePerGas)
    if (ran !== undefined) return { ...ran, logs: [], failed: false, createdAddress: undefined }
  }
  const result = await runTx(vm, { tx, block, blockGasUsed: gasUsed, skipHardForkValidation: true })
  return {
    totalGasSpent: result.totalGasSpent,
    minerValue: result.minerValue,
    logs: (result.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data })),
    failed: result.execResult.exceptionError !== undefined,
    createdAddress: result.createdAddress,
  }
}

/** The ethereumjs block that carries our block context into the EVM. */
export function evmBlock(ctx: BlockContext, common: Common): EthBlock {
  const block = createBlock(
    {
      header: {
        number: ctx.number,
        timestamp: ctx.timestamp / 1000n,
        coinbase: ctx.producer,
        gasLimit: ctx.gasLimit,
        baseFeePerGas: ctx.baseFeePerGas,
        mixHash: ctx.parentHash,
        parentHash: ctx.parentHash,
      },
    },
    { common, skipConsensusFormatValidation: true },
  )
  // the system contracts see the chain's ms time, as the consensus engine does
  setBlockTimeMs(block, ctx.timestamp)
  return block
}

export async function addBalance(sm: MerkleStateManager, address: Address, delta: bigint): Promise<void> {
  if (delta === 0n) return
  const account = (await sm.getAccount(address)) ?? new Account()
  account.balance += delta
  await sm.putAccount(address, account)
}

export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  if ('maxFeePerGas' in tx) {
    const capped = baseFee + tx.maxPriorityFeePerGas
    return tx.maxFeePerGas < capped ? tx.maxFeePerGas : capped
  }
  return (tx as { gasPrice: bigint }).gasPrice
}

export async function executeBlock(vm: VM, ctx: BlockContext, txs: TypedTransaction[], opts: ExecutionOptions): Promise<ExecutedBlock> {
  const sm = vm.stateManager as MerkleStateManager
  // One journal checkpoint around the whole block (as ethereumjs' runBlock does): each runTx's
  // commit then stays in the state caches, and the trie is written once, at the state root.
  await vm.evm.journal.checkpoint()
  let body: Omit<ExecutedBlock, 'stateRoot'>
  try {
    await opts.hooks?.begin?.(sm)
    body = await runTransactions(vm, sm, ctx, txs, opts)
    await opts.hooks?.end?.(sm)
    await vm.evm.journal.commit()
  } catch (e) {
    await vm.evm.journal.revert()
    throw e
  }
  return { ...body, stateRoot: await sm.getStateRoot() }
}

/** an import lets the event loop run (timers, sockets) once every this many transactions */
export const IMPORT_YIELD_EVERY = 128

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function runTransactions(
  vm: VM,
  sm: MerkleStateManager,
  ctx: BlockContext,
  txs: TypedTransaction[],
  opts: ExecutionOptions,
): Promise<Omit<ExecutedBlock, 'stateRoot'>> {
  const block = evmBlock(ctx, vm.common)
  const included: TypedTransaction[] = []
  const receipts: TxReceipt[] = []
  const rejected: ExecutedBlock['rejected'] = []
  const left: TypedTransaction[] = []
  // a sender with a transaction left out: its later ones would only fail on the nonce (and be dropped)
  const leftSenders = new Set<string>()
  const building = opts.mode === 'build'
  const logsBloom = new Uint8Array(256)
  let gasUsed = 0n
  let sharedPoolFees = 0n

  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]!
    // an import on cached state runs on promise jobs alone and would hold the event loop for the
    // whole block: a big block on a busy node kept its own producer's timer (and its RPC and P2P)
    // waiting past its slot's budget, a missed slot ("skipped", issue 14's devnet load)
    if (!building && i > 0 && i % IMPORT_YIELD_EVERY === 0) await yieldToEventLoop()
    if (building && opts.shouldStop?.() === true) {
      for (let j = i; j < txs.length; j++) left.push(txs[j]!)
      break
    }
    if (building && leftSenders.size > 0 && leftSenders.has(tx.getSenderAddress().toString())) {
      left.push(tx)
      continue
    }
    if (gasUsed + tx.gasLimit > ctx.gasLimit) {
      if (!building) throw new NfcError(ExecErrorCode.BlockGasExceeded, 'gas limit reached')
      // the block is full for this one; it fits a later block
      left.push(tx)
      leftSenders.add(tx.getSenderAddress().toString())
      continue
    }
    let result: Ran
    try {
      result = await runOne(vm, tx, block, ctx, gasUsed, opts)
    } catch (e) {
      if (opts.mode === 'import') {
        // a database error while the transaction ran is this node's fault, not the block's
        if (isStorageFault(e)) throw e
        throw new NfcError(ExecErrorCode.InvalidTransaction, `transaction ${included.length} is invalid: ${(e as Error).message}`)
      }
      rejected.push({ tx, error: e as Error })
      continue
    }
    // DESIGN §3: runTx paid the producer gasUsed × (price − minGasPrice) and burned the rest.
    // The minimum part goes to the producer; the excess is split half to the shared pool.
    const spent = result.totalGasSpent
    const poolShare = result.minerValue / 2n
    await addBalance(sm, ctx.producer, spent * ctx.baseFeePerGas - poolShare)
    await addBalance(sm, opts.sharedPool, poolShare)
    sharedPoolFees += poolShare

    gasUsed += spent
    const { logs } = result
    bloomOfLogs(logs, logsBloom)
    receipts.push({
      status: result.failed ? 0 : 1,
      cumulativeGasUsed: gasUsed,
      gasUsed: spent,
      effectiveGasPrice: effectiveGasPrice(tx, ctx.baseFeePerGas),
      contractAddress: result.createdAddress?.bytes ?? new Uint8Array(0),
      logs,
    })
    included.push(tx)
  }
  return { transactions: included, receipts, gasUsed, logsBloom, rejected, left, sharedPoolFees }
}

/**
 * An error of the database under the state (classic-level / abstract-level throw errors with a
 * `LEVEL_*` code: not open, I/O, corruption), directly or as the cause of another: a local
 * fault, never evidence that a block or its transactions are invalid.
 */
export function isStorageFault(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x !== null && typeof x === 'object' && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('LEVEL_')) return true
  }
  return false
}
