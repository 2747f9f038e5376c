/**
 * The byte format of `nfc export` / `nfc import` files (geth's exported chain: blocks one after
 * the other; ours frames each one so a cut file tells where it broke). Pure: no file, no clock.
 *
 *   header  8-byte magic "NFCCHN1\n" | u64 chain id | 32-byte genesis hash | u64 genesis time (ms)
 *           (56 bytes; the time lets a genesis file that says 0 — the dev chain's, resolved when a
 *           data directory is created — open a fresh directory as the exported chain)
 *   frames  u32 length | the block's wire form (`encodeBlock`, src/chain/block.ts)   (repeated)
 *
 * Integers are big-endian. There is no checksum: every block is verified on import as a block
 * from the network is (its hash, signature, roots and execution), which any damage breaks.
 * A file may be gzip-compressed as a whole (the reader in src/node/chainFile.ts looks at the
 * first bytes, not the name).
 */
import { NfcError } from '../util/errors.js'
import { concatList, uint32be, uint64be } from '../util/bytes.js'

export const CHAIN_FILE_MAGIC = new TextEncoder().encode('NFCCHN1\n')
/** magic, chain id, genesis hash, genesis time */
export const CHAIN_FILE_HEADER_BYTES = 8 + 8 + 32 + 8
const FRAME_PREFIX_BYTES = 4
/** far above any block the chain accepts (its gas limit bounds it), so only damage exceeds it */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024

export const ChainFileErrorCode = {
  /** not an export file (wrong magic), or its header is cut short */
  BadHeader: 'CHAINFILE_BAD_HEADER',
  /** a frame declares an impossible length: the file is damaged there */
  BadFrame: 'CHAINFILE_BAD_FRAME',
  /** the file ends inside a frame */
  Truncated: 'CHAINFILE_TRUNCATED',
  /** the file's blocks are of another chain (chain id or genesis hash) than the data directory */
  ForeignChain: 'CHAINFILE_FOREIGN_CHAIN',
  /** a block of the file is refused by the chain's rules (the message names the block and the rule) */
  BlockRefused: 'CHAINFILE_BLOCK_REFUSED',
  /** the export range is empty or past the head, or the data directory holds no chain */
  NothingToExport: 'CHAINFILE_NOTHING_TO_EXPORT',
  /** the file cannot be read or written */
  Io: 'CHAINFILE_IO',
} as const
export type ChainFileErrorCode = (typeof ChainFileErrorCode)[keyof typeof ChainFileErrorCode]

/** Which chain the blocks of a file belong to. */
export interface ChainFileHeader {
  chainId: bigint
  genesisHash: Uint8Array
  /** the genesis block's time (ms) */
  genesisTime: bigint
}

export function encodeChainFileHeader(h: ChainFileHeader): Uint8Array {
  if (h.genesisHash.length !== 32) throw new RangeError('genesis hash must be 32 bytes')
  return concatList([CHAIN_FILE_MAGIC, uint64be(h.chainId), h.genesisHash, uint64be(h.genesisTime)])
}

/** One block's frame: its length, then its wire form. */
export function encodeChainFileFrame(encodedBlock: Uint8Array): Uint8Array {
  if (encodedBlock.length > MAX_FRAME_BYTES) throw new RangeError(`a block of ${encodedBlock.length} bytes exceeds the frame limit ${MAX_FRAME_BYTES}`)
  return concatList([uint32be(encodedBlock.length), encodedBlock])
}

/** A frame as read: the block's wire bytes, where its frame starts in the (uncompressed) file, and its place (1 = first). */
export interface ChainFileFrame {
  bytes: Uint8Array
  offset: number
  index: number
}

/**
 * Reads a file pushed in chunks of any size: `push` returns the frames completed by the chunk
 * (the header first is checked and kept in `header`); `end` throws when the file stopped inside
 * the header or a frame. Errors are NfcErrors with a `ChainFileErrorCode` and the byte offset.
 */
export class ChainFileParser {
  header: ChainFileHeader | undefined
  private buffered: Uint8Array = new Uint8Array(0)
  /** file offset of buffered[0] */
  private offset = 0
  /** frames completed so far */
  frames = 0

  push(chunk: Uint8Array): ChainFileFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : concatList([this.buffered, chunk])
    const out: ChainFileFrame[] = []
    let at = 0
    if (this.header === undefined) {
      if (this.buffered.length < CHAIN_FILE_HEADER_BYTES) {
        this.checkMagic(this.buffered)
        return out
      }
      this.header = decodeChainFileHeader(this.buffered.subarray(0, CHAIN_FILE_HEADER_BYTES))
      at = CHAIN_FILE_HEADER_BYTES
    }
    const view = new DataView(this.buffered.buffer, this.buffered.byteOffset, this.buffered.byteLength)
    while (this.buffered.length - at >= FRAME_PREFIX_BYTES) {
      const len = view.getUint32(at)
      if (len === 0 || len > MAX_FRAME_BYTES) {
        throw new NfcError(
          ChainFileErrorCode.BadFrame,
          `the frame of block #${this.frames + 1} in the file (byte ${this.offset + at}) declares ${len} bytes: the file is damaged there`,
          {
            offset: this.offset + at,
            frame: this.frames + 1,
          },
        )
      }
      if (this.buffered.length - at - FRAME_PREFIX_BYTES < len) break
      out.push({ bytes: this.buffered.slice(at + FRAME_PREFIX_BYTES, at + FRAME_PREFIX_BYTES + len), offset: this.offset + at, index: this.frames + 1 })
      this.frames++
      at += FRAME_PREFIX_BYTES + len
    }
    this.buffered = this.buffered.subarray(at)
    this.offset += at
    return out
  }

  /** The file ended: throws when it stopped inside the header or a frame. */
  end(): void {
    if (this.header === undefined) {
      this.checkMagic(this.buffered)
      throw new NfcError(
        ChainFileErrorCode.BadHeader,
        `the file is ${this.buffered.length} bytes, shorter than an export file's ${CHAIN_FILE_HEADER_BYTES}-byte header`,
      )
    }
    if (this.buffered.length > 0) {
      throw new NfcError(
        ChainFileErrorCode.Truncated,
        `the file ends inside the frame of block #${this.frames + 1} in the file (byte ${this.offset}: ${this.buffered.length} bytes of it)`,
        { offset: this.offset, frame: this.frames + 1 },
      )
    }
  }

  private checkMagic(bytes: Uint8Array): void {
    const n = Math.min(bytes.length, CHAIN_FILE_MAGIC.length)
    for (let i = 0; i < n; i++) if (bytes[i] !== CHAIN_FILE_MAGIC[i]) throw notAChainFile()
  }
}

function notAChainFile(): NfcError {
  return new NfcError(ChainFileErrorCode.BadHeader, 'not a block export file (it does not start with "NFCCHN1"; nfc export writes these)')
}

export function decodeChainFileHeader(bytes: Uint8Array): ChainFileHeader {
  if (bytes.length < CHAIN_FILE_HEADER_BYTES) throw new NfcError(ChainFileErrorCode.BadHeader, 'the export file header is cut short')
  for (let i = 0; i < CHAIN_FILE_MAGIC.length; i++) if (bytes[i] !== CHAIN_FILE_MAGIC[i]) throw notAChainFile()
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { chainId: view.getBigUint64(8), genesisHash: bytes.slice(16, 48), genesisTime: view.getBigUint64(48) }
}
