import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import t from 'tap'
import { jsCore, type Core, type HashKind } from '../../../src/core/index.js'
import { hex, prng, requireWasm, utf8 } from './fixtures/helpers.js'

const wasm = requireWasm(t)
const impls: [string, Core][] = [['js', jsCore], ...(wasm ? ([['wasm', wasm]] as [string, Core][]) : [])]
const noble = { keccak256: keccak_256, sha256 }

const million = new Uint8Array(1_000_000).fill(0x61)
const abcdb = utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')

t.test('official vectors', async (t) => {
  for (const [name, c] of impls) {
    t.equal(hex(c.keccak256(utf8(''))), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470', `${name} keccak ''`)
    t.equal(hex(c.keccak256(utf8('abc'))), '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45', `${name} keccak abc`)
    t.equal(hex(c.sha256(utf8(''))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', `${name} sha ''`)
    t.equal(hex(c.sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', `${name} sha abc`)
    t.equal(hex(c.sha256(abcdb)), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1', `${name} sha 448-bit`)
    t.equal(hex(c.sha256(million)), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0', `${name} sha 1M a`)
    t.equal(hex(c.keccak256(million)), hex(keccak_256(million)), `${name} keccak 1M a`)
  }
})

/** ≥ 10,000 inputs: random lengths 0–600 plus every length around the 64- and 136-byte edges */
function corpus(): Uint8Array[] {
  const r = prng(0xc0ffee)
  const lengths: number[] = []
  const edges = [
    [55, 73],
    [127, 145],
    [131, 141],
    [263, 281],
  ]
  for (const [lo, hi] of edges) for (let n = lo!; n <= hi!; n++) for (let k = 0; k < 8; k++) lengths.push(n)
  while (lengths.length < 10_000) lengths.push(r.int(601))
  const backing = r.bytes(1024)
  return lengths.map((n, i) => {
    const d = r.bytes(n)
    // every fifth input is a view at an odd offset into a larger buffer
    if (i % 5 !== 0 || n > 1000) return d
    backing.set(d, 3)
    return backing.subarray(3, 3 + n)
  })
}

const inputs = corpus()

t.test('single-input hashes equal @noble/hashes on the random corpus', async (t) => {
  t.ok(inputs.length >= 10_000)
  for (const [name, c] of impls) {
    for (const kind of ['keccak256', 'sha256'] as const) {
      const bad = inputs.findIndex((d) => hex(c[kind](d)) !== hex(noble[kind](d)))
      t.equal(bad, -1, `${name} ${kind}: first mismatch index (length ${inputs[bad]?.length})`)
    }
  }
})

function nobleBatch(kind: HashKind, list: Uint8Array[]): string {
  return list.map((d) => hex(noble[kind](d))).join('')
}

t.test('hashBatch equals @noble/hashes per input', async (t) => {
  for (const [name, c] of impls) {
    for (const kind of ['keccak256', 'sha256'] as const) {
      const out = c.hashBatch(kind, inputs)
      t.equal(out.length, inputs.length * 32)
      t.equal(hex(out), nobleBatch(kind, inputs), `${name} ${kind} batch of ${inputs.length}`)
      t.equal(c.hashBatch(kind, []).length, 0, `${name} ${kind} empty batch`)
      t.equal(hex(c.hashBatch(kind, [new Uint8Array(0)])), hex(noble[kind](new Uint8Array(0))))
    }
  }
})

t.test('hashBatchFixed equals @noble/hashes per input', async (t) => {
  const r = prng(7)
  for (const [name, c] of impls) {
    for (const kind of ['keccak256', 'sha256'] as const) {
      for (const size of [1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 135, 136, 137, 200, 272, 600]) {
        const n = 1 + r.int(300)
        const packed = r.bytes(n * size)
        const expected = nobleBatch(
          kind,
          Array.from({ length: n }, (_, i) => packed.subarray(i * size, (i + 1) * size)),
        )
        t.equal(hex(c.hashBatchFixed(kind, packed, size)), expected, `${name} ${kind} ${n} × ${size} B`)
      }
      t.equal(c.hashBatchFixed(kind, new Uint8Array(0), 64).length, 0, `${name} ${kind} no inputs`)
      const odd = r.bytes(64 * 9 + 1)
      t.equal(hex(c.hashBatchFixed(kind, odd.subarray(1), 64)), hex(jsCore.hashBatchFixed(kind, odd.slice(1), 64)))
    }
  }
})

t.test('bad arguments throw CORE_BAD_ARG in both cores', async (t) => {
  for (const [name, c] of impls) {
    t.throws(() => c.hashBatchFixed('keccak256', new Uint8Array(65), 64), { code: 'CORE_BAD_ARG' }, name)
    t.throws(() => c.hashBatchFixed('keccak256', new Uint8Array(64), 0), { code: 'CORE_BAD_ARG' }, name)
    t.throws(() => c.hashBatch('md5' as HashKind, []), { code: 'CORE_BAD_ARG' }, name)
  }
})

t.test('wasm memory grows for big inputs and is reused afterwards', async (t) => {
  if (!wasm) return
  const r = prng(99)
  const small = r.bytes(100)
  const big = r.bytes(9 * 1024 * 1024 + 17)
  t.equal(hex(wasm.keccak256(small)), hex(keccak_256(small)))
  t.equal(hex(wasm.sha256(big)), hex(sha256(big)))
  t.equal(hex(wasm.keccak256(big)), hex(keccak_256(big)))
  t.equal(hex(wasm.keccak256(small)), hex(keccak_256(small)), 'small input after growth')
})
