/**
 * The last final block, kept outside the database too: `<datadir>/FINAL` (JSON `{number, hash}`),
 * written to a temporary file, fsynced, renamed over the old one, and the directory fsynced — so it
 * is always whole, old or new. The node writes it after the database's synced write of the same
 * block (`BlockStore.putMeta(…, { sync: true })`), so it never runs ahead of what LevelDB was told
 * to keep.
 *
 * Why a second record: LevelDB keeps what was synced, but a power cut on a disk that acknowledges
 * writes it has not stored, or a damaged log, costs the newest records, and LevelDB then opens
 * without a word. A node that restarted from such a database would sit below a block it already
 * called final and could follow another branch (DESIGN §10). On start the node compares the two
 * (`checkFinalMarker`, src/node/datadir.ts) and refuses to start below the marker.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { open, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ChainErrorCode } from '../chain/errors.js'
import { bytesOfHexLoose, hexOf } from '../util/bytes.js'
import { NfcError } from '../util/errors.js'

export const FINAL_MARKER_FILE = 'FINAL'

export interface FinalMarker {
  number: bigint
  hash: Uint8Array
}

export function finalMarkerPath(datadir: string): string {
  return join(datadir, FINAL_MARKER_FILE)
}

/** The marker of `datadir`, undefined when there is none; a file that is not one is a clear error. */
export function readFinalMarker(datadir: string): FinalMarker | undefined {
  const file = finalMarkerPath(datadir)
  const text = readRecord(file)
  if (text === undefined) return undefined
  try {
    const j = JSON.parse(text) as { number?: unknown; hash?: unknown }
    if (typeof j.number !== 'string' || !/^\d+$/.test(j.number)) throw new Error('"number" is not a decimal string')
    if (typeof j.hash !== 'string' || !/^0x[0-9a-f]{64}$/.test(j.hash)) throw new Error('"hash" is not a 32-byte hex string')
    return { number: BigInt(j.number), hash: bytesOfHexLoose(j.hash) }
  } catch (e) {
    throw new NfcError(
      ChainErrorCode.DatadirCorrupt,
      `${file} (the record of the last final block) is damaged: ${(e as Error).message}. ` +
        'Nothing was changed; if the chain database is intact, delete that file and start again.',
      { file },
    )
  }
}

/** Replaces the marker atomically and durably. */
export function writeFinalMarker(datadir: string, m: FinalMarker): void {
  replaceDurably(datadir, FINAL_MARKER_FILE, finalRecord(m))
}

/** FINAL's JSON, as readFinalMarker reads it */
function finalRecord(m: FinalMarker): { number: string; hash: string } {
  return { number: m.number.toString(), hash: hexOf(m.hash) }
}

/**
 * `<datadir>/SIGNED`: the highest height this node's witness key voted at (a confirmation signed,
 * or a block produced), with the genesis it was for, kept like FINAL and written before the vote
 * leaves the node. `ConsensusLink` starts above it, so a witness whose database lost its newest
 * blocks (or was reset and syncs again) never votes twice at one height. The voted block's hash
 * and the time of the vote come with it: a restarted witness is held to that block's branch as if
 * it had not stopped (docs/decisions.md, "A witness holds the branch of its vote"); records
 * written before they were have neither. Kept by `--reset`.
 */
export const SIGNED_FILE = 'SIGNED'

/** What SIGNED holds: the height, and (when recorded) the voted block and when the vote was cast (ms). */
export interface SignedVote {
  number: bigint
  hash?: Uint8Array
  atMs?: bigint
}

export function readSignedVote(datadir: string, genesisHash: Uint8Array): SignedVote | undefined {
  const file = join(datadir, SIGNED_FILE)
  const text = readRecord(file)
  if (text === undefined) return undefined
  let j: { genesis?: unknown; number?: unknown; hash?: unknown; at?: unknown }
  try {
    j = JSON.parse(text) as typeof j
  } catch {
    j = {}
  }
  const digits = (v: unknown): v is string => typeof v === 'string' && /^\d+$/.test(v)
  const hashOk = j.hash === undefined || (typeof j.hash === 'string' && /^0x[0-9a-f]{64}$/.test(j.hash))
  if (typeof j.genesis !== 'string' || !digits(j.number) || !hashOk || (j.at !== undefined && !digits(j.at))) {
    throw new NfcError(
      ChainErrorCode.DatadirCorrupt,
      `${file} (the highest height this witness voted at) is damaged. Nothing was changed; delete it only if ` +
        'this witness has not voted on this chain since its last final block.',
      { file },
    )
  }
  // a record of another chain (a reset dev chain has a new genesis) says nothing about this one
  if (j.genesis !== hexOf(genesisHash)) return undefined
  const vote: SignedVote = { number: BigInt(j.number) }
  if (typeof j.hash === 'string' && digits(j.at)) {
    vote.hash = bytesOfHexLoose(j.hash)
    vote.atMs = BigInt(j.at)
  }
  return vote
}

/** the text of a record file, undefined when there is none; an unreadable one is a clear error */
function readRecord(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new NfcError(ChainErrorCode.DatadirCorrupt, `cannot read ${file}: ${(e as Error).message}`, { file })
  }
}

/** temporary file, fsync, rename over the old one, fsync of the directory: old or new, never torn */
function replaceDurably(datadir: string, name: string, value: unknown): void {
  const file = join(datadir, name)
  const tmp = `${file}.tmp`
  writeFileSync(tmp, `${JSON.stringify(value)}\n`)
  syncPath(tmp)
  renameSync(tmp, file)
  syncPath(datadir)
}

/**
 * The running node's writer of FINAL and SIGNED: the same temporary-file, fsync, rename, fsync of
 * the directory, on libuv's threads instead of the main thread (each fsync held the event loop
 * 10–30 ms, ~0.5 s a node in a minute of load: a vote and a final block each second). Writes of
 * one writer run one after the other, in the order asked (one temporary file per record), so the
 * newest asked is the one left. `finalMarker` and `signedHeight` resolve once their value is
 * durable; `settle` once every write asked is done.
 */
export class DurableRecords {
  private last: Promise<void> = Promise.resolve()

  constructor(private readonly datadir: string) {}

  finalMarker(m: FinalMarker): Promise<void> {
    return this.enqueue(FINAL_MARKER_FILE, finalRecord(m))
  }

  signedVote(genesisHash: Uint8Array, vote: Required<SignedVote>): Promise<void> {
    return this.enqueue(SIGNED_FILE, { genesis: hexOf(genesisHash), number: vote.number.toString(), hash: hexOf(vote.hash), at: vote.atMs.toString() })
  }

  /** resolves once every write asked so far is done (failed ones included) */
  async settle(): Promise<void> {
    await this.last.catch(() => undefined)
  }

  private enqueue(name: string, value: unknown): Promise<void> {
    const run = this.last.catch(() => undefined).then(() => replaceDurablyAsync(this.datadir, name, value))
    this.last = run
    return run
  }
}

async function replaceDurablyAsync(datadir: string, name: string, value: unknown): Promise<void> {
  const file = join(datadir, name)
  const tmp = `${file}.tmp`
  await writeFile(tmp, `${JSON.stringify(value)}\n`)
  await syncPathAsync(tmp)
  await rename(tmp, file)
  await syncPathAsync(datadir)
}

async function syncPathAsync(path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

export function removeFinalMarker(datadir: string): void {
  rmSync(finalMarkerPath(datadir), { force: true })
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
