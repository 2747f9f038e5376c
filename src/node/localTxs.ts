/** The node's local transactions across restarts: re-adding what the journal (`txpool/journal.ts`) kept. */
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { type RecoverPool, recoverTxSenders } from '../crypto/recoverPool.js'
import type { TxJournal } from '../txpool/journal.js'
import type { TxPool } from '../txpool/txPool.js'
import type { Logger } from '../util/logger.js'

export interface RestoreParts {
  journal: TxJournal
  txpool: TxPool
  recoverPool: RecoverPool
  /** eth_sendRawTransaction's decoding (a journaled tx is what it received) */
  decode: (raw: Uint8Array) => TypedTransaction
  logger: Logger
}

/**
 * Re-adds the journaled local transactions of the last run (before P2P and the producer start),
 * then rewrites the journal with those the pool took back: mined or no longer valid ones go.
 * Returns the raw bytes of those taken back (the node gossips them once peers connect).
 */
export async function restoreLocalTxs({ journal, txpool, recoverPool, decode, logger }: RestoreParts): Promise<{ hash: Uint8Array; raw: Uint8Array }[]> {
  const raws = journal.load()
  const decoded: { raw: Uint8Array; tx: TypedTransaction }[] = []
  for (const raw of raws) {
    try {
      decoded.push({ raw, tx: decode(raw) })
    } catch (e) {
      logger.warn('a journaled transaction no longer decodes; dropped', { error: e })
    }
  }
  // one batch on the recovery workers, not one round trip per tx
  await recoverTxSenders(
    recoverPool,
    decoded.map((d) => d.tx),
  )
  const restored: { hash: Uint8Array; raw: Uint8Array }[] = []
  for (const { raw, tx } of decoded) {
    try {
      const { hash } = await txpool.add(tx)
      journal.adopt(bytesToHex(hash), raw)
      restored.push({ hash, raw })
    } catch {
      // mined before the stop, or no longer valid against the head: the rewrite drops it
    }
  }
  journal.rotate()
  if (raws.length > 0) logger.info('restored local transactions from the journal', { restored: restored.length, journaled: raws.length })
  return restored
}
