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

/**
 * LevelDB's block cache (`--db-cache`), classic-level's default 8 MiB raised: a snapshot sync's
 * source reads every leaf of the state by hash, and the blocks those reads land in are read again
 * ~20 times in one sync (docs/decisions.md, "A 64 MiB block cache"). The cache fills as it is used.
 */
export const DEFAULT_DB_CACHE_BYTES = 64 * 1024 * 1024
/** classic-level takes the cache size as a 32-bit count of bytes */
export const MAX_DB_CACHE_BYTES = 2 ** 32 - 1

/** Opens (creating if needed) the database of a data directory, with clear errors. */
export async function openDatabase(dir: string, opts: { cacheBytes?: number } = {}): Promise<Db> {
  const db: Db = new ClassicLevel(dir, { keyEncoding: 'view', valueEncoding: 'view', cacheSize: opts.cacheBytes ?? DEFAULT_DB_CACHE_BYTES })
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
