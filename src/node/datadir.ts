/**
 * Facts about a data directory read from the file system before the database opens — the one
 * thing LevelDB cannot tell us afterwards: whether it already held data. LevelDB skips damaged log
 * records and opens what it can, so a damaged directory can open *empty*; without this check the
 * node would take it for a new one and start a fresh chain over the old one. And what the opened
 * database must agree with: the last final block recorded outside it (`checkFinalMarker`), with
 * LevelDB's damage errors explained in one paragraph (`damagedDatabase`).
 */
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { BlockStore } from '../chain/blockStore.js'
import { ChainErrorCode } from '../chain/errors.js'
import { FINAL_MARKER_FILE, type FinalMarker } from '../storage/finalMarker.js'
import { JOURNAL_FILE } from '../txpool/journal.js'
import { bytesEqual, hexOf } from '../util/bytes.js'
import { isNfcError, NfcError } from '../util/errors.js'
import { NodeErrorCode } from './errors.js'

export function chaindataDir(datadir: string): string {
  return join(datadir, 'chaindata')
}

/** Creates the data directory if needed, with a clear error when it cannot be used. */
export function ensureDatadir(datadir: string): void {
  try {
    mkdirSync(datadir, { recursive: true })
    if (!statSync(datadir).isDirectory()) throw new Error('not a directory')
  } catch (e) {
    throw new NfcError(NodeErrorCode.DatadirUnusable, `cannot use data directory ${datadir}: ${(e as Error).message}`, {
      datadir,
    })
  }
}

/**
 * True when the LevelDB directory holds records: a table file, or a write-ahead log that is not
 * empty (a node killed before its genesis batch leaves only an empty log: that is a new chain).
 */
export function holdsRecords(dir: string): boolean {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return false
  }
  return names.some((name) => {
    if (/\.(ldb|sst)$/.test(name)) return true
    if (/^\d+\.log$/.test(name)) return statSync(join(dir, name)).size > 0
    return false
  })
}

/**
 * Opening LevelDB rewrites its directory (the write-ahead log is replayed into a new table file,
 * damaged records are dropped), so a directory the node then refuses would no longer be the one
 * the operator had. Before opening, every file is hard-linked into `<dir>.before-open`: LevelDB
 * never edits a file in place (new logs, new manifests, CURRENT replaced by rename), so the links
 * keep the original bytes at no copying cost. A refused start restores them; an accepted one
 * drops them.
 */
export interface OpenGuard {
  restore(): void
  drop(): void
}

function guardedFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== 'LOCK')
    .map((e) => e.name)
}

export function guardOpen(dir: string): OpenGuard | null {
  if (!holdsRecords(dir)) return null
  const saved = `${dir}.before-open`
  // left by a start that was killed while opening: the directory itself is the newer state
  rmSync(saved, { recursive: true, force: true })
  mkdirSync(saved)
  // files only: `nfc db repair` leaves LevelDB's `lost/` folder of salvaged files, which stays as it is
  for (const name of guardedFiles(dir)) linkSync(join(dir, name), join(saved, name))
  return {
    restore() {
      for (const name of guardedFiles(dir)) rmSync(join(dir, name), { force: true })
      for (const name of readdirSync(saved)) renameSync(join(saved, name), join(dir, name))
      rmSync(saved, { recursive: true, force: true })
    },
    drop() {
      rmSync(saved, { recursive: true, force: true })
    },
  }
}

/**
 * Refuses a database that lost writes: `<datadir>/FINAL` (src/storage/finalMarker.ts) names the
 * last block this node called final, and the database no longer holds that block on its canonical
 * chain (the newest log records were lost: a power cut, a disk that acknowledged writes it had not
 * stored, a damaged log). Starting would put the node below a final block; it stops instead and
 * says, in one paragraph, what happened and how to go on.
 */
export async function checkFinalMarker(datadir: string, marker: FinalMarker, store: BlockStore, head: bigint): Promise<void> {
  const held = await store.getHashByNumber(marker.number)
  if (held !== undefined && bytesEqual(held, marker.hash)) return
  const what = held === undefined ? `it now ends at block ${head}` : `it holds another block at height ${marker.number}`
  throw new NfcError(
    ChainErrorCode.DatadirLostWrites,
    `The chain database in ${chaindataDir(datadir)} has lost writes: ${what}, but this node had already called ` +
      `block ${marker.number} (${hexOf(marker.hash)}) final. This happens after a power cut or a crash on a disk ` +
      `that does not keep what it acknowledged, or when a database file is damaged. Starting from it would put the ` +
      `node below a final block, so it did not start, and nothing was changed. To go on, either run ` +
      `\`nfc db repair --datadir ${datadir}\` (LevelDB's repair, then the head is set back to the newest intact ` +
      `block; the blocks after it come back from peers), or remove the chain data with ` +
      `\`nfc node --reset --datadir ${datadir}\` (the node key and keystores are kept) and sync again from peers.`,
    { datadir, finalNumber: marker.number.toString(), head: head.toString() },
  )
}

/** A damaged database: LevelDB's own errors (a truncated table, a bad checksum) or our DatadirCorrupt. */
export function isDamage(e: unknown): boolean {
  return (isNfcError(e) && e.code === ChainErrorCode.DatadirCorrupt) || isLevelDamage(e)
}

/** LevelDB's own errors of a damaged database (a truncated table, a bad checksum) — not ours. */
function isLevelDamage(e: unknown): boolean {
  if (isNfcError(e)) return false
  const code = (e as { code?: unknown } | null)?.code
  if (code === 'LEVEL_CORRUPTION' || code === 'LEVEL_IO_ERROR') return true
  const text = `${(e as Error | null)?.message ?? ''} ${(e as { cause?: Error } | null)?.cause?.message ?? ''}`
  return /\bCorruption\b|\bIO error\b/.test(text)
}

/** A damaged database, explained in one paragraph naming the directory and the fixes. */
export function damagedDatabase(datadir: string, e: unknown): NfcError {
  const reason = isNfcError(e) ? e.meta.reason : undefined
  const cause = typeof reason === 'string' ? reason : ((e as { cause?: Error }).cause?.message ?? (e as Error).message)
  return new NfcError(
    ChainErrorCode.DatadirCorrupt,
    `The chain database in ${chaindataDir(datadir)} is damaged (${cause}). This happens after a power cut or ` +
      `a disk fault. Nothing was changed. To go on, either run \`nfc db repair --datadir ${datadir}\` (LevelDB's ` +
      `repair keeps every record it can read, then the head is set back to the newest intact block), or remove the ` +
      `chain data with \`nfc node --reset --datadir ${datadir}\` (the node key and keystores are kept) and sync again ` +
      `from peers; or restore the directory from a backup.`,
    { datadir },
  )
}

/** What `--reset` removes: the chain database, its open-guard copy, the FINAL marker and the local
 *  transaction journal (transactions of the old chain). Never the node key, keystores or config. */
export const CHAIN_DATA_FILES = ['chaindata', 'chaindata.before-open', FINAL_MARKER_FILE, `${FINAL_MARKER_FILE}.tmp`, JOURNAL_FILE]

/** Removes the chain data of `datadir` (CHAIN_DATA_FILES); returns the names that were there. */
export function removeChainData(datadir: string): string[] {
  const removed: string[] = []
  for (const name of CHAIN_DATA_FILES) {
    const path = join(datadir, name)
    if (!existsSync(path)) continue
    rmSync(path, { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}
