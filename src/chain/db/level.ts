/**
 * The node's one classic-level database: its handle type, its batch operation, and opening it
 * with clear errors. Every store (blocks, indexes, state trie, side chain) writes through this
 * handle under its own key space (`keys.ts`).
 */
import { ClassicLevel } from 'classic-level'
import { NfcError } from '../../util/errors.js'
import { ChainErrorCode } from '../errors.js'

export type Db = ClassicLevel<Uint8Array, Uint8Array>
export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

/** Opens (creating if needed) the database of a data directory, with clear errors. */
export async function openDatabase(dir: string): Promise<Db> {
  const db: Db = new ClassicLevel(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  try {
    await db.open()
  } catch (e) {
    const cause = (e as { cause?: Error }).cause?.message ?? (e as Error).message
    if (/lock/i.test(cause)) {
      throw new NfcError(ChainErrorCode.DatadirLocked, `data directory ${dir} is in use by another process (${cause})`, { dir })
    }
    throw new NfcError(
      ChainErrorCode.DatadirCorrupt,
      `data directory ${dir} cannot be opened: ${cause}. Nothing was changed; move it aside or ` + `start with another --datadir.`,
      { dir, reason: cause },
    )
  }
  return db
}
