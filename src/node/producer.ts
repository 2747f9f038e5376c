/**
 * Block production on the slot clock (DESIGN §4): slot s = ⌊(t − genesisTime) / interval⌋, and
 * the block of slot s carries the slot's start time. This is the edge where the wall clock is
 * read; the chain itself only sees the timestamp.
 *
 * At each slot the producer asks the chain who owns the slot on top of the current head (the
 * elected, shuffled schedule of src/consensus/dpos) and builds a block only when it is this
 * witness. A node that is still catching up with its peers does not produce (it would fork).
 */
import { bytesToHex } from '@ethereumjs/util'
import type { Block } from '../chain/block.js'
import type { Confirmation } from '../chain/confirmation.js'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import type { TxPool } from '../txpool/txPool.js'
import type { Logger } from '../util/logger.js'
import type { Blockchain } from './blockchain.js'

export interface ProducerOptions {
  chain: Blockchain
  txpool: TxPool
  privateKey: Uint8Array
  logger: Logger
  now: () => number
  /** false while the node is behind its peers */
  mayProduce?: () => boolean
  /** the confirmations received so far (the chain picks the usable ones) */
  confirmations?: () => Confirmation[]
  /** called after each committed block, before the next slot (the node refreshes the pool, gossips) */
  afterBlock: (block: Block) => Promise<void>
}

export function slotAt(timeMs: bigint, genesisTime: bigint, intervalMs: bigint): bigint {
  return timeMs < genesisTime ? -1n : (timeMs - genesisTime) / intervalMs
}

export class BlockProducer {
  private timer: NodeJS.Timeout | undefined
  private running = false
  private busy: Promise<void> = Promise.resolve()
  readonly address: string
  /** blocks this producer made, and slots it owned but could not fill (metrics) */
  produced = 0
  failed = 0

  constructor(private readonly opts: ProducerOptions) {
    this.address = bytesToHex(addressOf(publicKeyOf(opts.privateKey)))
  }

  start(): void {
    this.running = true
    this.scheduleNext()
  }

  private scheduleNext(): void {
    if (!this.running) return
    const { chain, now } = this.opts
    const interval = BigInt(chain.genesis.params.blockIntervalMs)
    const t = BigInt(now())
    const next = slotAt(t, chain.genesisTime, interval) + 1n
    const at = chain.genesisTime + next * interval
    this.timer = setTimeout(
      () => {
        this.busy = this.produce(next).finally(() => this.scheduleNext())
      },
      Number(at - t),
    )
  }

  private async produce(slot: bigint): Promise<void> {
    const { chain, txpool, logger } = this.opts
    if (this.opts.mayProduce !== undefined && !this.opts.mayProduce()) return
    if (slot <= chain.slotOf(chain.head.header.timestamp)) return // a block for this slot is already in
    const timestamp = chain.genesisTime + slot * BigInt(chain.genesis.params.blockIntervalMs)
    try {
      const schedule = await chain.schedule(slot)
      if (schedule.owner !== this.address) return
      const txs = txpool.selectForBlock(chain.genesis.params.blockGasLimit)
      const built = await chain.produceBlock(this.opts.privateKey, timestamp, txs, this.opts.confirmations?.() ?? [])
      for (const { tx, error } of built.rejected) {
        // a transaction that cannot run now would be picked again every slot: drop it
        txpool.remove(tx.hash(), 'dropped')
        logger.debug('left a transaction out', { hash: tx.hash(), reason: error.message })
      }
      this.produced += 1
      await this.opts.afterBlock(built.block)
      const { header } = built.block
      logger.info('produced block', {
        number: header.number,
        slot,
        txs: built.block.transactions.length,
        confirmations: built.block.confirmations.length,
        gasUsed: header.gasUsed,
        hash: built.block.hash,
      })
    } catch (e) {
      this.failed += 1
      logger.error('block production failed', { slot, error: e })
    }
  }

  /** Stops scheduling and waits for a block being produced to finish. */
  async stop(): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    await this.busy
  }
}
