/**
 * DESIGN §8 figures for the WASM core: each WASM figure next to @noble/hashes or the JS
 * fallback measured in the same run. WASM hashing of small inputs goes through the batch API,
 * which is how hot callers use it (one JS↔WASM crossing per batch, not per hash).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { jsCore, wasmCore, type Core, type HashKind } from '../../src/core/index.js'
import { opsPerSecond, progress, row } from './report.js'

const MiB = 1 << 20

function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function smallInputs(kind: HashKind, wasm: Core): void {
  const noble = kind === 'keccak256' ? keccak_256 : sha256
  const n = 4096
  const packed = pseudoRandom(64 * n, 2)
  progress(`${kind} 64 B`)
  const w = opsPerSecond(() => {
    wasm.hashBatchFixed(kind, packed, 64)
    return n
  })
  const j = opsPerSecond(() => {
    for (let i = 0; i < n; i++) noble(packed.subarray(64 * i, 64 * i + 64))
    return n
  })
  const targeted = kind === 'keccak256'
  row({
    name: `${kind} 64 B (WASM hashBatchFixed)`,
    value: w,
    unit: 'hash/s',
    baseline: { name: 'noble per-input loop', value: j },
    ...(targeted ? { target: '≥ 10× noble', met: w >= 10 * j } : {}),
  })
}

function bigInput(kind: HashKind, wasm: Core): void {
  const noble = kind === 'keccak256' ? keccak_256 : sha256
  const data = pseudoRandom(MiB, 3)
  progress(`${kind} 1 MiB`)
  const w = opsPerSecond(() => (wasm[kind](data), 1))
  const j = opsPerSecond(() => (noble(data), 1))
  const targeted = kind === 'keccak256'
  row({
    name: `${kind} 1 MiB`,
    value: (w * MiB) / 1e6,
    unit: 'MB/s',
    baseline: { name: 'noble', value: (j * MiB) / 1e6 },
    ...(targeted ? { target: '≥ 10× noble', met: w >= 10 * j } : {}),
  })
}

function merkle(wasm: Core): void {
  const n = 1 << 20
  const leaves = pseudoRandom(32 * n, 4)
  progress('Merkle root of 2^20 leaves (WASM)')
  const w = opsPerSecond(() => (wasm.merkleRoot('keccak256', leaves), n), 2000)
  // The JS loop is linear in the leaves, so its per-leaf rate is measured on 2^16 of them
  // (a 2^20 run takes ~15 s, twice, for the same figure).
  const m = 1 << 16
  const jsLeaves = leaves.subarray(0, 32 * m)
  progress('Merkle root of 2^16 leaves (JS loop)')
  const j = opsPerSecond(() => {
    let level = jsLeaves
    let count = m
    while (count > 1) {
      const next = new Uint8Array(Math.ceil(count / 2) * 32)
      for (let i = 0; i + 1 < count; i += 2) next.set(keccak_256(level.subarray(32 * i, 32 * i + 64)), 16 * i)
      if (count % 2 === 1) next.set(level.subarray(32 * (count - 1), 32 * count), 16 * (count - 1))
      level = next
      count = Math.ceil(count / 2)
    }
    return m
  }, 2000)
  row({
    name: 'Merkle root 2^20 leaves, keccak (one call)',
    value: w,
    unit: 'leaf/s',
    baseline: { name: 'noble per-pair JS loop', value: j },
    target: 'faster than JS',
    met: w > j,
  })
}

/** ~4 MiB of MTU-sized frames with a few retransmissions, 1% sampled, 64-byte slices. */
function frameStream(): Uint8Array {
  const payload = 1400
  const header = 40
  const frames: Uint8Array[] = []
  let seq = 0
  for (let i = 0, total = 0; total < 4 * MiB; i++) {
    // one frame in 50 repeats a recent seq (a retransmission)
    const s = i % 50 === 49 ? seq - 3 : seq++
    const f = new Uint8Array(10 + header + payload)
    const v = new DataView(f.buffer)
    v.setUint32(0, 6 + header + payload)
    v.setUint32(4, s)
    v.setUint16(8, header)
    f.set(pseudoRandom(header + payload, s + 1), 10)
    frames.push(f)
    total += f.length
  }
  return Buffer.concat(frames)
}

function counter(wasm: Core): void {
  const stream = frameStream()
  const sample = { seed: pseudoRandom(32, 5), rate: Math.floor(2 ** 32 / 100), sliceLen: 64 }
  const state = { highestSeq: -1, window: 0n, packets: 0n, payloadBytes: 0n }
  const a = wasm.countPackets(stream, state, sample)
  const b = jsCore.countPackets(stream, state, sample)
  if (a.packets !== b.packets || a.retransmissions !== b.retransmissions || a.sampledSeqs.join() !== b.sampledSeqs.join()) {
    throw new Error('packet counter: WASM and JS disagree on the bench stream')
  }
  progress(`packet counter (${a.packets} packets, ${a.retransmissions} retransmissions, ${a.sampledSeqs.length} sampled)`)
  const w = opsPerSecond(() => (wasm.countPackets(stream, state, sample), stream.length))
  const j = opsPerSecond(() => (jsCore.countPackets(stream, state, sample), stream.length))
  row({
    name: 'packet counter (1,450 B frames, 1% sampled)',
    value: w / 1e6,
    unit: 'MB/s',
    baseline: { name: 'JS fallback', value: j / 1e6 },
  })
}

export async function run(): Promise<void> {
  // without the build there is nothing to measure; throwing makes the runner report it
  if (!wasmCore) throw new Error('build/release.wasm did not load: run `npm run build:wasm`')
  smallInputs('keccak256', wasmCore)
  bigInput('keccak256', wasmCore)
  smallInputs('sha256', wasmCore)
  bigInput('sha256', wasmCore)
  merkle(wasmCore)
  counter(wasmCore)
  progress('')
}
