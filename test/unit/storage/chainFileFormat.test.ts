/** The `nfc export` file format: header, frames, chunked reading, and each way a file can be bad. */
import t from 'tap'
import {
  CHAIN_FILE_HEADER_BYTES,
  ChainFileErrorCode,
  ChainFileParser,
  decodeChainFileHeader,
  encodeChainFileFrame,
  encodeChainFileHeader,
  MAX_FRAME_BYTES,
  type ChainFileFrame,
  type ChainFileHeader,
} from '../../../src/storage/chainFileFormat.js'
import { concatList, uint32be } from '../../../src/util/bytes.js'

const header: ChainFileHeader = { chainId: 2100n, genesisHash: Uint8Array.from({ length: 32 }, (_, i) => i + 1), genesisTime: 1_700_000_000_000n }
const blocks = [Uint8Array.of(0xc1, 0x01), Uint8Array.from({ length: 300 }, (_, i) => i & 0xff), Uint8Array.of(0xc0)]
const file = concatList([encodeChainFileHeader(header), ...blocks.map(encodeChainFileFrame)])

/** every frame of `bytes` pushed in chunks of `size` */
function parse(bytes: Uint8Array, size: number): { parser: ChainFileParser; frames: ChainFileFrame[] } {
  const parser = new ChainFileParser()
  const frames = []
  for (let at = 0; at < bytes.length; at += size) frames.push(...parser.push(bytes.slice(at, at + size)))
  return { parser, frames }
}

t.test('header round trip', async (t) => {
  const h = encodeChainFileHeader(header)
  t.equal(h.length, CHAIN_FILE_HEADER_BYTES)
  t.same(decodeChainFileHeader(h), header)
  t.throws(() => encodeChainFileHeader({ ...header, genesisHash: new Uint8Array(31) }), RangeError, 'a genesis hash of 31 bytes')
})

t.test('frames come out whole whatever the chunk size, with their offsets', async (t) => {
  for (const size of [1, 2, 7, 56, 57, 1000, file.length]) {
    const { parser, frames } = parse(file, size)
    t.doesNotThrow(() => parser.end(), `chunks of ${size}: ends cleanly`)
    t.same(parser.header, header, `chunks of ${size}: the header`)
    t.same(
      frames.map((f) => [...f.bytes]),
      blocks.map((b) => [...b]),
      `chunks of ${size}: the blocks`,
    )
    t.same(
      frames.map((f) => f.offset),
      [56, 56 + 4 + 2, 56 + 4 + 2 + 4 + 300],
      `chunks of ${size}: the offsets`,
    )
    t.same(
      frames.map((f) => f.index),
      [1, 2, 3],
      `chunks of ${size}: the places`,
    )
  }
})

t.test('a file cut inside a frame: the whole frames, then Truncated naming the frame', async (t) => {
  const cut = file.subarray(0, file.length - 3)
  const { parser, frames } = parse(cut, 10)
  t.equal(frames.length, 2, 'the two whole frames')
  t.throws(() => parser.end(), { code: ChainFileErrorCode.Truncated, message: /ends inside the frame of block #3 in the file \(byte 366: 2 bytes of it\)/ })
  const inPrefix = parse(file.subarray(0, 56 + 2), 100)
  t.throws(() => inPrefix.parser.end(), { code: ChainFileErrorCode.Truncated }, 'cut inside a length prefix')
})

t.test('bad headers', async (t) => {
  t.throws(
    () => new ChainFileParser().push(new TextEncoder().encode('{"genesis": 1}')),
    { code: ChainFileErrorCode.BadHeader, message: /not a block export file/ },
    'another file',
  )
  const short = new ChainFileParser()
  short.push(file.subarray(0, 20))
  t.throws(() => short.end(), { code: ChainFileErrorCode.BadHeader, message: /20 bytes, shorter than .* 56-byte header/ }, 'cut in the header')
  t.throws(() => decodeChainFileHeader(file.subarray(0, 10)), { code: ChainFileErrorCode.BadHeader })
  const empty = new ChainFileParser()
  t.throws(() => empty.end(), { code: ChainFileErrorCode.BadHeader }, 'an empty file')
})

t.test('an impossible frame length is damage, named with its offset', async (t) => {
  for (const len of [0, MAX_FRAME_BYTES + 1]) {
    const bad = concatList([encodeChainFileHeader(header), encodeChainFileFrame(blocks[0]!), uint32be(len), new Uint8Array(8)])
    t.throws(
      () => parse(bad, 1000),
      { code: ChainFileErrorCode.BadFrame, message: new RegExp(`block #2 in the file \\(byte 62\\) declares ${len} bytes`) },
      `length ${len}`,
    )
  }
  t.throws(() => encodeChainFileFrame(new Uint8Array(MAX_FRAME_BYTES + 1)), RangeError, 'the writer refuses such a block too')
})
