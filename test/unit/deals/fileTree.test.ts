/**
 * The storage-deal file tree: chunking, leaves, root and proofs against an independent reference
 * (noble keccak and a hand-written tree), pinned vectors, streaming in odd pieces, the WASM and JS
 * cores agreeing, and the refusals.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { jsCore, wasmCore } from '../../../src/core/index.js'
import { DealError } from '../../../src/deals/errors.js'
import {
  DEAL_CHUNK_BYTES,
  FileTreeBuilder,
  chunkLength,
  chunkRange,
  leafAt,
  leafCount,
  leafOf,
  proofOf,
  rootOf,
  treeOf,
  treeOfFile,
  verifyChunk,
} from '../../../src/deals/fileTree.js'
import { hexOf } from '../../../src/util/bytes.js'

const fileOf = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 12)) % 251)

/** the tree written out by hand: leaves keccak(chunk), parents keccak(l ‖ r), odd node promoted */
function referenceRoot(bytes: Uint8Array): Uint8Array {
  let level: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += DEAL_CHUNK_BYTES) level.push(keccak_256(bytes.subarray(at, at + DEAL_CHUNK_BYTES)))
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]!)
      else next.push(keccak_256(Uint8Array.from([...level[i]!, ...level[i + 1]!])))
    }
    level = next
  }
  return level[0]!
}

t.test('leaf counts and chunk lengths', async (t) => {
  t.equal(DEAL_CHUNK_BYTES, 4096)
  t.equal(leafCount(1), 1)
  t.equal(leafCount(4096), 1)
  t.equal(leafCount(4097), 2)
  t.equal(leafCount(20_000_000n), 4883)
  t.equal(chunkLength(4097, 0), 4096)
  t.equal(chunkLength(4097, 1), 1)
  t.same(chunkRange(10_000, 2), { start: 8192, end: 10_000 })
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 41, 0n]) t.throws(() => leafCount(bad), DealError, `size ${String(bad)}`)
  t.throws(() => leafCount(0), { code: 'DEAL_BAD_SIZE', message: /file size must be 1\.\./ }, 'a 0-byte file is refused')
  t.throws(() => chunkLength(4097, 2), { code: 'DEAL_BAD_INDEX', message: 'chunk index must be 0..1, got 2' })
  t.throws(() => chunkLength(4097, -1), { code: 'DEAL_BAD_INDEX' })
})

t.test('root = the hand-written tree, for sizes around chunk and power-of-two edges', async (t) => {
  for (const size of [1, 31, 4095, 4096, 4097, 8192, 3 * 4096 + 5, 5 * 4096, 9 * 4096 - 1, 17 * 4096]) {
    const bytes = fileOf(size)
    t.equal(hexOf(rootOf(bytes)), hexOf(referenceRoot(bytes)), `size ${size}`)
  }
  t.equal(hexOf(rootOf(fileOf(1))), hexOf(keccak_256(fileOf(1))), 'one chunk: root = its leaf')
})

t.test('pinned vectors', async (t) => {
  t.equal(hexOf(rootOf(new Uint8Array([0x61, 0x62, 0x63]))), '0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45', 'keccak("abc")')
  // the vector files of fileOf(size): the agents' tests may pin the same roots
  t.equal(hexOf(rootOf(fileOf(10_000))), '0x0cbd6e45e5ceaa37d826c4d972e4208153726ad74c984f2b833cea3bcc97e42b', '10,000 bytes (3 leaves)')
  t.equal(hexOf(rootOf(fileOf(3 * 4096 + 5))), '0x3f7db5d171786102b3c59bf338287f8ccadff732e109845f5cb95be118841ff3', '3 × 4096 + 5 bytes (4 leaves)')
})

t.test('streaming in odd pieces = in memory; the WASM and JS cores agree', async (t) => {
  const bytes = fileOf(7 * 4096 + 123)
  const want = treeOf(bytes)
  for (const piece of [1, 100, 4095, 4096, 4097, 10_000, bytes.length]) {
    const b = new FileTreeBuilder(bytes.length)
    for (let at = 0; at < bytes.length; at += piece) b.update(bytes.subarray(at, at + piece))
    t.equal(b.bytesReceived, bytes.length)
    const got = b.finish()
    t.equal(hexOf(got.root), hexOf(want.root), `pieces of ${piece}`)
    t.equal(hexOf(got.leaves), hexOf(want.leaves))
  }
  t.ok(wasmCore, 'the WASM core is built')
  t.equal(hexOf(rootOf(bytes, jsCore)), hexOf(rootOf(bytes, wasmCore!)))
})

t.test('a builder refuses too many or too few bytes, and a second finish', async (t) => {
  const b = new FileTreeBuilder(10)
  t.throws(() => b.update(new Uint8Array(11)), { code: 'DEAL_BAD_STREAM', message: 'more than the announced 10 bytes' })
  b.update(new Uint8Array(4))
  t.throws(() => b.finish(), { code: 'DEAL_BAD_STREAM', message: 'got 4 of the announced 10 bytes' })
  b.update(new Uint8Array(6))
  b.finish()
  t.throws(() => b.finish(), { code: 'DEAL_BAD_STREAM', message: 'file tree already finished' })
  t.throws(() => b.update(new Uint8Array(1)), { code: 'DEAL_BAD_STREAM' })
  t.throws(() => new FileTreeBuilder(0), { code: 'DEAL_BAD_SIZE' })
})

t.test('a file on disk: same tree as in memory; an empty file is refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-filetree-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const bytes = fileOf(1_300_000)
  fs.writeFileSync(path.join(dir, 'f'), bytes)
  const got = await treeOfFile(path.join(dir, 'f'))
  t.equal(got.size, bytes.length)
  t.equal(hexOf(got.root), hexOf(rootOf(bytes)))
  fs.writeFileSync(path.join(dir, 'empty'), new Uint8Array(0))
  await t.rejects(treeOfFile(path.join(dir, 'empty')), { code: 'DEAL_BAD_SIZE' })
})

t.test('proofs: every chunk verifies; a changed chunk, index, size, root or proof does not', async (t) => {
  const size = 5 * 4096 + 77
  const bytes = fileOf(size)
  const { leaves, root } = treeOf(bytes)
  for (let i = 0; i < leafCount(size); i++) {
    const { start, end } = chunkRange(size, i)
    const chunk = bytes.subarray(start, end)
    t.equal(hexOf(leafAt(leaves, i)), hexOf(leafOf(chunk)))
    t.ok(verifyChunk(root, size, i, chunk, proofOf(leaves, i)), `chunk ${i}`)
  }
  const chunk = bytes.slice(4096, 8192)
  const proof = proofOf(leaves, 1)
  const flipped = chunk.slice()
  flipped[0]! ^= 1
  t.notOk(verifyChunk(root, size, 1, flipped, proof), 'a changed byte')
  t.notOk(verifyChunk(root, size, 2, chunk, proof), 'another index')
  t.notOk(verifyChunk(root, size, 1, chunk.subarray(0, 4095), proof), 'a short chunk')
  t.notOk(verifyChunk(root, size + 4 * 4096, 1, chunk, proof), 'another size whose leaf count changes the path length')
  t.notOk(verifyChunk(root, 0, 1, chunk, proof), 'size 0: false, not a throw')
  t.notOk(verifyChunk(root, size, 99, chunk, proof), 'an index past the end')
  t.notOk(verifyChunk(new Uint8Array(32), size, 1, chunk, proof), 'another root')
  t.notOk(verifyChunk(root, size, 1, chunk, proof.slice(1)), 'a proof too short')
  t.notOk(verifyChunk(root, size, 1, chunk, [...proof, new Uint8Array(32)]), 'a proof too long')
  t.throws(() => proofOf(leaves, 6), { code: 'DEAL_BAD_INDEX' })
})
