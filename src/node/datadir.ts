/**
 * Facts about a data directory read from the file system before the database opens — the one
 * thing LevelDB cannot tell us afterwards: whether it already held data. LevelDB skips damaged log
 * records and opens what it can, so a damaged directory can open *empty*; without this check the
 * node would take it for a new one and start a fresh chain over the old one.
 */
import { linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NfcError } from '../util/errors.js'
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

export function guardOpen(dir: string): OpenGuard | null {
  if (!holdsRecords(dir)) return null
  const saved = `${dir}.before-open`
  // left by a start that was killed while opening: the directory itself is the newer state
  rmSync(saved, { recursive: true, force: true })
  mkdirSync(saved)
  for (const name of readdirSync(dir)) {
    if (name !== 'LOCK') linkSync(join(dir, name), join(saved, name))
  }
  return {
    restore() {
      for (const name of readdirSync(dir)) if (name !== 'LOCK') rmSync(join(dir, name), { force: true })
      for (const name of readdirSync(saved)) renameSync(join(saved, name), join(dir, name))
      rmSync(saved, { recursive: true, force: true })
    },
    drop() {
      rmSync(saved, { recursive: true, force: true })
    },
  }
}
