/**
 * The local-transaction journal (geth's `transactions.rlp`): transactions this node received
 * through eth_sendRawTransaction survive a restart or a crash. Each accepted one is appended at
 * once; after blocks (at most every `rotateEveryMs`) the file is rewritten with only the local
 * transactions still pooled, through a temp file and a rename, so a crash leaves either the old
 * or the new file whole. Stale records are harmless: re-adding a mined tx fails "nonce too low".
 *
 * The journal never stops the node: a torn tail is dropped with a warning, a damaged file is
 * moved aside (`<file>.corrupt`, `.corrupt.1`, …) with a warning, and write errors are logged.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import type { Logger } from '../util/logger.js'
import { decodeJournal, encodeJournal, encodeRecord, JOURNAL_MAGIC } from './journalFormat.js'

/** The journal's name in the data directory. */
export const JOURNAL_FILE = 'transactions.journal'

export interface TxJournalOptions {
  file: string
  logger: Logger
  now: () => number
  /** least time between rewrites after blocks (default 5 s: a rewrite copies every local tx) */
  rotateEveryMs?: number
}

export class TxJournal {
  readonly file: string
  private readonly log: Logger
  private readonly now: () => number
  private readonly rotateEveryMs: number
  private fd: number | null = null
  /** hash → raw bytes of the local txs still pooled, in arrival order (the order they are re-added) */
  private readonly locals = new Map<string, Uint8Array>()
  private dirty = false
  private lastRotate = -Infinity
  /** the file on disk ends in a torn record: appending after it would bury it mid-file */
  private tornTail = false

  constructor(opts: TxJournalOptions) {
    this.file = opts.file
    this.log = opts.logger
    this.now = opts.now
    this.rotateEveryMs = opts.rotateEveryMs ?? 5000
  }

  get size(): number {
    return this.locals.size
  }

  /** The raw transactions the last run left, in journal order; damage is reported, never thrown. */
  load(): Uint8Array[] {
    let bytes: Uint8Array
    try {
      bytes = readFileSync(this.file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn('cannot read the transaction journal; starting without it', { file: this.file, error: e })
      return []
    }
    const d = decodeJournal(bytes)
    if (d.torn) {
      this.tornTail = true
      this.log.warn('the transaction journal ends in a torn record (the node stopped mid-write); dropped that record', {
        file: this.file,
        kept: d.records.length,
      })
    }
    if (d.corrupt !== undefined) {
      const movedTo = this.moveAside()
      this.log.warn('the transaction journal is damaged: moved it aside and restoring the transactions before the damage', {
        file: this.file,
        movedTo,
        offset: d.corrupt.offset,
        reason: d.corrupt.reason,
        kept: d.records.length,
      })
    }
    return d.records
  }

  /** A local tx the pool holds without appending it (restored at start; `rotate` writes them). */
  adopt(hash: string, raw: Uint8Array): void {
    this.locals.set(hash, raw)
  }

  /** A local tx the pool just accepted: appended now, so a crash a moment later keeps it. */
  insert(hash: string, raw: Uint8Array): void {
    this.locals.set(hash, raw)
    if (this.tornTail) {
      this.rotate() // writes this tx too
      return
    }
    try {
      if (this.fd === null) {
        this.fd = openSync(this.file, 'a')
        if (fstatSync(this.fd).size === 0) writeSync(this.fd, JOURNAL_MAGIC)
      }
      writeSync(this.fd, encodeRecord(raw))
    } catch (e) {
      this.log.warn('cannot append to the transaction journal', { file: this.file, error: e })
    }
  }

  /** The tx left the pool (mined, replaced, evicted, dropped): the next rewrite leaves it out. */
  forget(hash: string): void {
    if (this.locals.delete(hash)) this.dirty = true
  }

  /** After a block: rewrite when something left, at most every `rotateEveryMs`. */
  maybeRotate(): void {
    if (this.dirty && this.now() - this.lastRotate >= this.rotateEveryMs) this.rotate()
  }

  /** Rewrite the journal with the local txs still pooled (temp file, fsync, rename). */
  rotate(): void {
    const tmp = `${this.file}.new`
    try {
      const fd = openSync(tmp, 'w')
      try {
        writeSync(fd, encodeJournal([...this.locals.values()]))
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      this.closeFd()
      renameSync(tmp, this.file)
      this.tornTail = false
      this.dirty = false
      this.lastRotate = this.now()
    } catch (e) {
      this.log.warn('cannot rewrite the transaction journal', { file: this.file, error: e })
    }
  }

  /** A last rewrite when something left since the previous one, then the file is closed. */
  close(): void {
    if (this.dirty) this.rotate()
    this.closeFd()
  }

  private closeFd(): void {
    if (this.fd === null) return
    try {
      closeSync(this.fd)
    } catch {
      // already closed or gone: nothing to flush (writes are not buffered)
    }
    this.fd = null
  }

  private moveAside(): string | undefined {
    for (let i = 0; i < 1000; i++) {
      const to = `${this.file}.corrupt${i === 0 ? '' : `.${i}`}`
      if (existsSync(to)) continue
      try {
        renameSync(this.file, to)
        return to
      } catch (e) {
        this.log.warn('cannot move the damaged transaction journal aside', { file: this.file, error: e })
        return undefined
      }
    }
    return undefined
  }
}
