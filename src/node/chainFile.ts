/**
 * `nfc export` and `nfc import` (DESIGN §10, geth's `export`/`import`): canonical blocks of a
 * stopped node's data directory to a file (format: src/storage/chainFileFormat.ts, gzip when the
 * name ends in .gz), and such a file back into a data directory of the same genesis.
 *
 * Import takes every block through the node's own network path (`ConsensusLink.importBlock`:
 * sender recovery, header, signature, DPoS, execution and result checks, one commit per block),
 * so a forged or damaged file is refused at its first bad block with the block's number and the
 * rule, and every block before it stays imported. Both open the data directory as `nfc node`
 * does (`Node.init`, without P2P, RPC or producer): a directory in use, of another genesis, or
 * damaged is refused with the same errors.
 */
import { createReadStream, createWriteStream, closeSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import { bytesToHex } from '@ethereumjs/util'
import { decodeBlockHeader, encodeBlock } from '../chain/block.js'
import { headerHash } from '../chain/header.js'
import type { Genesis } from '../chain/genesis.js'
import {
  ChainFileErrorCode,
  ChainFileParser,
  encodeChainFileFrame,
  encodeChainFileHeader,
  type ChainFileFrame,
  type ChainFileHeader,
} from '../storage/chainFileFormat.js'
import { bytesEqual } from '../util/bytes.js'
import { isNfcError, NfcError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { chaindataDir, holdsRecords } from './datadir.js'
import { isPeerFault } from './importBlock.js'
import { Node } from './node.js'

/** the first two bytes of every gzip stream */
const GZIP_MAGIC = [0x1f, 0x8b]

/** What both commands open: a data directory of a genesis. */
export interface ChainDirOptions {
  genesis: Genesis
  datadir: string
  logger: Logger
  /** the wall clock (blocks ahead of it are not imported yet) */
  now?: () => number
  /** worker threads for sender recovery (default: one per core) */
  recoverThreads?: number
}

export interface ExportOptions extends ChainDirOptions {
  /** first block (default 1) */
  from?: bigint
  /** last block (default: the head) */
  to?: bigint
  /** the file to write; gzip-compressed when it ends in .gz */
  out: string
  /** called after each block written */
  onBlock?: (p: { number: bigint; from: bigint; to: bigint }) => void
}

export interface ExportResult {
  from: bigint
  to: bigint
  blocks: number
  /** bytes of the file written */
  fileBytes: number
}

/**
 * Writes canonical blocks `from..to` of the data directory to `out` (through `out.tmp`, renamed
 * when complete: a failed export leaves no partial file under the name).
 */
export async function exportChain(opts: ExportOptions): Promise<ExportResult> {
  if (!holdsRecords(chaindataDir(opts.datadir))) {
    throw new NfcError(ChainFileErrorCode.NothingToExport, `data directory ${opts.datadir} holds no chain (nothing to export)`, { datadir: opts.datadir })
  }
  const node = await openNode(opts)
  try {
    const head = node.chain.head.header.number
    const from = opts.from ?? 1n
    const to = opts.to ?? head
    if (to > head) throw new NfcError(ChainFileErrorCode.NothingToExport, `--to ${to} is past the head of ${opts.datadir} (block ${head})`, { head })
    if (from > to) {
      throw new NfcError(
        ChainFileErrorCode.NothingToExport,
        `nothing to export: --from ${from} is after --to ${to}` + (opts.to === undefined ? ' (the head)' : ''),
        { from, to },
      )
    }
    const header: ChainFileHeader = { chainId: node.chain.common.chainId(), genesisHash: node.chain.genesisHash, genesisTime: node.chain.genesisTime }
    const store = node.chain.store
    async function* frames(): AsyncGenerator<Uint8Array> {
      yield encodeChainFileHeader(header)
      for (let n = from; n <= to; n++) {
        const hash = await store.getHashByNumber(n)
        const block = hash === undefined ? undefined : await store.getBlock(hash)
        if (block === undefined) throw new NfcError(ChainFileErrorCode.NothingToExport, `canonical block ${n} is missing from ${opts.datadir}`, { number: n })
        yield encodeChainFileFrame(encodeBlock(block))
        opts.onBlock?.({ number: n, from, to })
      }
    }
    const tmp = `${opts.out}.tmp`
    try {
      const file = createWriteStream(tmp)
      await (opts.out.endsWith('.gz') ? pipeline(frames, createGzip(), file) : pipeline(frames, file))
      renameSync(tmp, opts.out)
    } catch (e) {
      rmSync(tmp, { force: true })
      throw isNfcError(e) ? e : new NfcError(ChainFileErrorCode.Io, `cannot write ${opts.out}: ${(e as Error).message}`, { file: opts.out })
    }
    return { from, to, blocks: Number(to - from + 1n), fileBytes: statSync(opts.out).size }
  } finally {
    await node.close()
  }
}

export interface ImportProgress {
  /** blocks of the file taken so far (new and already present) */
  blocks: number
  /** of them, blocks this data directory did not hold */
  newBlocks: number
  /** the number of the last block taken */
  number: bigint
  /** bytes of the file (as stored, compressed or not) read so far, and its size */
  fileBytesRead: number
  fileBytes: number
}

export interface ImportOptions extends ChainDirOptions {
  file: string
  /** called after each block taken */
  onBlock?: (p: ImportProgress) => void
}

export interface ImportResult {
  blocks: number
  newBlocks: number
  /** valid blocks that were stored off the canonical chain (this directory follows another branch) */
  sideBlocks: number
  head: { number: bigint; hash: Uint8Array; stateRoot: Uint8Array }
}

/**
 * Imports every block of `file` into the data directory, in file order. Throws at the first
 * block refused (CHAINFILE_BLOCK_REFUSED, naming the block and the rule), at a damaged or cut
 * file (CHAINFILE_TRUNCATED / CHAINFILE_BAD_FRAME, naming the last whole block), or at a file of
 * another chain (CHAINFILE_FOREIGN_CHAIN, before any block); the blocks before stay imported.
 */
export async function importChain(opts: ImportOptions): Promise<ImportResult> {
  const fileBytes = fileSize(opts.file)
  const progress: ImportProgress = { blocks: 0, newBlocks: 0, number: 0n, fileBytesRead: 0, fileBytes }
  const parser = new ChainFileParser()
  const chunks = openChunks(opts.file, (n) => (progress.fileBytesRead += n))
  let node: Node | undefined
  let sideBlocks = 0
  try {
    // the header first, before the data directory opens: its genesis time may be needed to open it
    let pending: ChainFileFrame[] = []
    while (parser.header === undefined) {
      const chunk = await nextChunk(chunks, opts.file, progress.number)
      if (chunk === undefined) parser.end()
      else pending = parser.push(chunk)
    }
    const header = parser.header
    node = await openNode({ ...opts, genesis: genesisFor(opts, header) })
    checkChain(node, header, opts)
    const opened = node
    for (;;) {
      // the blocks of one read chunk move the final block once, at its end (Blockchain.deferFinality)
      await opened.chain.deferFinality(async () => {
        for (const frame of pending) {
          const outcome = await importFrame(opened, frame, progress.number + 1n)
          progress.blocks++
          progress.number = outcome.number
          if (outcome.kind === 'new') progress.newBlocks++
          if (outcome.kind === 'side') sideBlocks++
          opts.onBlock?.({ ...progress })
        }
      })
      const chunk = await nextChunk(chunks, opts.file, progress.number)
      if (chunk === undefined) break
      pending = parser.push(chunk)
    }
    try {
      parser.end()
    } catch (e) {
      if (isNfcError(e) && e.code === ChainFileErrorCode.Truncated) {
        throw new NfcError(e.code, `${opts.file} is cut short: it ends inside the block after block ${progress.number} (${e.message})`, {
          number: progress.number,
        })
      }
      throw e
    }
    const head = node.chain.head
    return {
      blocks: progress.blocks,
      newBlocks: progress.newBlocks,
      sideBlocks,
      head: { number: head.header.number, hash: head.hash, stateRoot: head.header.stateRoot },
    }
  } catch (e) {
    const partial = [ChainFileErrorCode.Truncated, ChainFileErrorCode.BadFrame, ChainFileErrorCode.BlockRefused] as string[]
    if (node !== undefined && isNfcError(e) && partial.includes(e.code)) {
      e.meta.imported = progress.blocks
      e.meta.newBlocks = progress.newBlocks
      e.meta.head = node.chain.head.header.number
    }
    throw e
  } finally {
    await chunks.return?.()
    await node?.close()
  }
}

/**
 * The genesis to open the data directory with: a genesis file that says time 0 (the dev chain's)
 * is resolved when a directory is created, so a fresh directory takes the file's genesis time —
 * else it would be a chain of another genesis hash.
 */
function genesisFor(opts: ImportOptions, header: ChainFileHeader): Genesis {
  if (opts.genesis.timestamp !== 0 || holdsRecords(chaindataDir(opts.datadir))) return opts.genesis
  return { ...opts.genesis, timestamp: Number(header.genesisTime) }
}

/** The file's bytes, gunzipped when it starts as gzip does; `onRead` counts the bytes as stored. */
function openChunks(file: string, onRead: (bytes: number) => void): AsyncIterator<Uint8Array> {
  const gzip = startsWithGzip(file)
  const raw = createReadStream(file)
  raw.on('data', (chunk) => onRead(chunk.length))
  if (!gzip) return (raw as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  const gunzip = createGunzip()
  raw.on('error', (e) => gunzip.destroy(e))
  return (raw.pipe(gunzip) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
}

/** The next chunk, undefined at the end; a read or gunzip error ("unexpected end of file") names the last block taken. */
async function nextChunk(chunks: AsyncIterator<Uint8Array>, file: string, last: bigint): Promise<Uint8Array | undefined> {
  try {
    const r = await chunks.next()
    return r.done === true ? undefined : r.value
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if (err.syscall !== undefined) throw new NfcError(ChainFileErrorCode.Io, `cannot read ${file}: ${err.message}`, { file })
    throw new NfcError(ChainFileErrorCode.Truncated, `${file} is damaged or cut short after block ${last} (${err.message})`, { number: last })
  }
}

type FrameOutcome = { kind: 'new' | 'known' | 'side'; number: bigint }

/** One block of the file through the network's import path; `expected` names a block that does not decode. */
async function importFrame(node: Node, frame: ChainFileFrame, expected: bigint): Promise<FrameOutcome> {
  let number = expected
  let hash: Uint8Array
  const refused = (why: string, meta: Record<string, unknown> = {}) =>
    new NfcError(ChainFileErrorCode.BlockRefused, `block ${number} (#${frame.index} in the file, byte ${frame.offset}) refused: ${why}`, { number, ...meta })
  try {
    const header = decodeBlockHeader(frame.bytes)
    number = header.number
    hash = headerHash(header)
  } catch (e) {
    throw refused(`${(e as Error).message} [${isNfcError(e) ? e.code : 'decode'}]`)
  }
  let outcome
  try {
    outcome = await node.link.importBlock(frame.bytes)
  } catch (e) {
    // a local fault (a disk error) is not the file's: pass it on as it is
    if (!isPeerFault(e)) throw e
    const rule = isNfcError(e) ? ((e.meta.reason as string | undefined) ?? e.code) : 'invalid'
    throw refused(`${(e as Error).message} [${rule}]`, { rule })
  }
  switch (outcome) {
    case 'imported':
      return { kind: bytesEqual(node.chain.head.hash, hash) ? 'new' : 'side', number }
    case 'known':
      if (await node.chain.store.hasBlock(hash)) return { kind: 'known', number }
      throw refused(`this data directory's chain is final at block ${node.chain.finalized.header.number} with another block at that height`)
    case 'orphan':
      throw refused(
        `its parent (block ${number - 1n}) is not in this data directory; import the blocks before it first (head ${node.chain.head.header.number})`,
      )
    case 'future':
      throw refused(`its time is ahead of this machine's clock (check the clock)`)
  }
}

/** Refuses a file of another chain than the data directory's, before any of its blocks. */
function checkChain(node: Node, header: ChainFileHeader, opts: ImportOptions): void {
  const chainId = node.chain.common.chainId()
  if (header.chainId !== chainId || !bytesEqual(header.genesisHash, node.chain.genesisHash)) {
    throw new NfcError(
      ChainFileErrorCode.ForeignChain,
      `${opts.file} holds blocks of another chain (chain id ${header.chainId}, genesis ${bytesToHex(header.genesisHash)}) than ${opts.datadir} ` +
        `(chain id ${chainId}, genesis ${bytesToHex(node.chain.genesisHash)}); give the --genesis it was exported with`,
      { fileChainId: header.chainId, chainId },
    )
  }
}

async function openNode(opts: ChainDirOptions): Promise<Node> {
  return Node.init({ genesis: opts.genesis, datadir: opts.datadir, logger: opts.logger, now: opts.now, recoverThreads: opts.recoverThreads, p2p: null })
}

function fileSize(file: string): number {
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new Error('not a file')
    return st.size
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message
    throw new NfcError(ChainFileErrorCode.Io, `cannot read ${file}: ${why}`, { file })
  }
}

function startsWithGzip(file: string): boolean {
  const fd = openSync(file, 'r')
  try {
    const head = new Uint8Array(2)
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]
  } finally {
    closeSync(fd)
  }
}
