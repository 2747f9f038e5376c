/**
 * Block production on the slot clock (DESIGN §4): slot s = ⌊(t − genesisTime) / interval⌋, and
 * the block of slot s carries the slot's start time. This is the edge where the wall clock is
 * read; the chain itself only sees the timestamp.
 *
 * Slot ownership here is round-robin over the genesis witnesses (one witness on a dev chain
 * produces every slot); the DPoS issue replaces `ownerOf` with the elected, shuffled schedule.
 */
import { bytesToHex } from '@ethereumjs/util'
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
  /** called after each committed block, before the next slot (the node refreshes the pool) */
  afterBlock: () => Promise<void>
}

export function slotAt(timeMs: bigint, genesisTime: bigint, intervalMs: bigint): bigint {
  return timeMs < genesisTime ? -1n : (timeMs - genesisTime) / intervalMs
}

export class BlockProducer {
  private timer: NodeJS.Timeout | undefined
  private running = false
  private busy: Promise<void> = Promise.resolve()
  readonly address: string

  constructor(private readonly opts: ProducerOptions) {
    this.address = bytesToHex(addressOf(publicKeyOf(opts.privateKey)))
  }

  ownerOf(slot: bigint): string {
    const witnesses = this.opts.chain.genesis.witnesses
    return witnesses[Number(slot % BigInt(witnesses.length))].toLowerCase()
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
    this.timer = setTimeout(() => {
      this.busy = this.produce(next).finally(() => this.scheduleNext())
    }, Number(at - t))
  }

  private async produce(slot: bigint): Promise<void> {
    const { chain, txpool, logger } = this.opts
    if (this.ownerOf(slot) !== this.address) return
    const timestamp = chain.genesisTime + slot * BigInt(chain.genesis.params.blockIntervalMs)
    try {
      const txs = txpool.selectForBlock(chain.genesis.params.blockGasLimit)
      const built = await chain.produceBlock(this.opts.privateKey, timestamp, txs)
      for (const { tx, error } of built.rejected) {
        // a transaction that cannot run now would be picked again every slot: drop it
        txpool.remove(tx.hash(), 'dropped')
        logger.debug('left a transaction out', { hash: tx.hash(), reason: error.message })
      }
      await this.opts.afterBlock()
      const { header } = built.block
      logger.info('produced block', {
        number: header.number,
        txs: built.block.transactions.length,
        gasUsed: header.gasUsed,
        hash: built.block.hash,
      })
    } catch (e) {
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
