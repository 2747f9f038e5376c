/**
 * Wraps an instance of build/release.wasm into a `Core`. Each call copies its inputs into the
 * WASM arena (layout computed here), makes ONE call, and copies the result out. The arena only
 * grows (assembly/arena.ts), so the views below are refreshed only after a grow.
 */
import { NfcError } from '../util/errors.js'
import { badFrame, checkCounterArgs, checkFixed, checkLeaves, checkProofIndex, kindIndex, proofShapeOk } from './args.js'
import { CORE_BAD_ARG, CORE_OUT_OF_MEMORY } from './errors.js'
import type { Core } from './interface.js'

// @types/node 20 does not declare the WebAssembly global; this is the part used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

interface Exports {
  memory: WasmMemory
  arenaBase(): number
  ensureArena(bytes: number): number
  keccak256(ptr: number, len: number, out: number): void
  sha256(ptr: number, len: number, out: number): void
  hashBatch(kind: number, data: number, lens: number, n: number, out: number): void
  hashBatchFixed(kind: number, data: number, size: number, n: number, out: number): void
  merkleRoot(kind: number, ptr: number, n: number, out: number): void
  merkleProof(kind: number, ptr: number, n: number, index: number, out: number): number
  verifyMerkleProof(kind: number, leaf: number, index: number, leafCount: number, proof: number, proofLen: number, root: number): number
  counterBlock(): number
  countPackets(ptr: number, len: number, seed: number, rate: bigint, sliceLen: number, seqOut: number, hashOut: number): void
}

const align = (n: number, to = 32): number => Math.ceil(n / to) * to
/** the arena is addressed with u32 pointers */
const ARENA_LIMIT = 2 ** 32 - 2 ** 16

export function createWasmCore(wasm: Uint8Array): Core {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), {})
  const x = instance.exports as unknown as Exports
  const base = x.arenaBase()
  const ctr = x.counterBlock()
  let u8 = new Uint8Array(x.memory.buffer)
  let dv = new DataView(x.memory.buffer)

  /** makes `bytes` of arena addressable; returns the arena base */
  function reserve(bytes: number): number {
    if (base + bytes <= u8.length) return base
    if (base + bytes > ARENA_LIMIT || !x.ensureArena(bytes)) {
      throw new NfcError(CORE_OUT_OF_MEMORY, `WASM core cannot grow its memory to ${bytes} bytes`, { bytes })
    }
    u8 = new Uint8Array(x.memory.buffer)
    dv = new DataView(x.memory.buffer)
    return base
  }

  function single(fn: (ptr: number, len: number, out: number) => void, data: Uint8Array): Uint8Array {
    const out = base + align(data.length)
    reserve(out - base + 32)
    u8.set(data, base)
    fn(base, data.length, out)
    return u8.slice(out, out + 32)
  }

  /**
   * Puts frames given as parts at the arena base, as if concatenated, but copies only what the
   * counter reads (assembly/packetCounter.ts): each frame's prefix and header and the first
   * `sliceLen` bytes of its payload (a sampled slice). The rest of a payload is counted by its
   * length alone, so it is skipped (its arena bytes are left as they are). Anything irregular
   * (a truncated or malformed frame) is copied whole from there on, so the counter reports it
   * exactly as for the joined bytes.
   */
  function stageParts(parts: readonly Uint8Array[], length: number, sliceLen: number): void {
    let part = 0
    let partStart = 0
    /** copies bytes [from, to) of the concatenation to the same offsets in the arena */
    const copy = (from: number, to: number): void => {
      while (from < to) {
        while (partStart + parts[part]!.length <= from) partStart += parts[part++]!.length
        const p = parts[part]!
        const a = from - partStart
        const b = Math.min(p.length, to - partStart)
        if (b - a <= 256) {
          // heads and slices: a loop is cheaper than a view (a Buffer's subarray is a new object)
          for (let i = a, at = base + from; i < b; i++, at++) u8[at] = p[i]!
        } else u8.set(a === 0 && b === p.length ? p : p.subarray(a, b), base + from)
        from = partStart + b
      }
    }
    let off = 0
    while (off < length) {
      if (length - off < 10) return copy(off, length)
      copy(off, off + 10)
      const frameLen = dv.getUint32(base + off)
      const headerLen = dv.getUint16(base + off + 8)
      const end = off + 4 + frameLen
      if (frameLen < 6 || end > length || headerLen > frameLen - 6) return copy(off + 10, length)
      copy(off + 10, Math.min(end, off + 10 + headerLen + sliceLen))
      off = end
    }
  }

  function tooMany(n: number): void {
    if (n > 0xffff_ffff) throw new NfcError(CORE_BAD_ARG, `too many inputs: ${n}`, { n })
  }

  return {
    keccak256: (data) => single(x.keccak256, data),
    sha256: (data) => single(x.sha256, data),

    hashBatch(kind, inputs) {
      const k = kindIndex(kind)
      const n = inputs.length
      tooMany(n)
      let total = 0
      for (const d of inputs) total += d.length
      const data = base + align(4 * n)
      const out = data + align(total)
      reserve(out - base + 32 * n)
      let p = data
      for (let i = 0; i < n; i++) {
        const d = inputs[i]!
        dv.setUint32(base + 4 * i, d.length, true)
        u8.set(d, p)
        p += d.length
      }
      x.hashBatch(k, data, base, n, out)
      return u8.slice(out, out + 32 * n)
    },

    hashBatchFixed(kind, packed, size) {
      const k = kindIndex(kind)
      const n = checkFixed(packed, size)
      tooMany(n)
      const out = base + align(packed.length)
      reserve(out - base + 32 * n)
      u8.set(packed, base)
      x.hashBatchFixed(k, base, size, n, out)
      return u8.slice(out, out + 32 * n)
    },

    merkleRoot(kind, leaves) {
      const k = kindIndex(kind)
      const n = checkLeaves(leaves)
      const out = base + leaves.length
      reserve(leaves.length + 32)
      u8.set(leaves, base)
      x.merkleRoot(k, base, n, out)
      return u8.slice(out, out + 32)
    },

    merkleProof(kind, leaves, index) {
      const k = kindIndex(kind)
      const n = checkLeaves(leaves)
      checkProofIndex(index, n)
      const out = base + leaves.length
      reserve(leaves.length + 32 * 32)
      u8.set(leaves, base)
      const len = x.merkleProof(k, base, n, index, out)
      const proof: Uint8Array[] = []
      for (let i = 0; i < len; i++) proof.push(u8.slice(out + 32 * i, out + 32 * i + 32))
      return proof
    },

    verifyMerkleProof(kind, leaf, index, leafCount, proof, root) {
      const k = kindIndex(kind)
      if (!proofShapeOk(leaf, index, leafCount, proof, root)) return false
      reserve(64 + 32 * proof.length)
      u8.set(leaf, base)
      u8.set(root, base + 32)
      proof.forEach((p, i) => u8.set(p, base + 64 + 32 * i))
      return x.verifyMerkleProof(k, base, index, leafCount, base + 64, proof.length, base + 32) === 1
    },

    countPackets(frames, state, sample) {
      checkCounterArgs(state, sample)
      const parts = frames instanceof Uint8Array ? [frames] : frames
      let length = 0
      for (const p of parts) length += p.length
      // every frame takes ≥ 10 bytes, which bounds how many can be sampled
      const maxFrames = Math.floor(length / 10)
      const seqOut = base + align(length)
      const hashOut = seqOut + align(4 * maxFrames)
      const seed = hashOut + 32 * maxFrames
      reserve(seed + 32 - base)
      if (frames instanceof Uint8Array) u8.set(frames, base)
      else stageParts(frames, length, sample.rate === 0 ? 0 : sample.sliceLen)
      const frameBytes = length
      u8.set(sample.seed, seed)
      dv.setBigInt64(ctr, BigInt(state.highestSeq), true)
      dv.setBigUint64(ctr + 8, state.window, true)
      dv.setBigUint64(ctr + 16, state.packets, true)
      dv.setBigUint64(ctr + 24, state.payloadBytes, true)
      x.countPackets(base, frameBytes, seed, BigInt(sample.rate), sample.sliceLen, seqOut, hashOut)
      const err = dv.getUint32(ctr + 44, true)
      if (err !== 0) throw badFrame(err, dv.getUint32(ctr + 48, true))
      const sampled = dv.getUint32(ctr + 40, true)
      const sampledSeqs: number[] = new Array(sampled)
      for (let i = 0; i < sampled; i++) sampledSeqs[i] = dv.getUint32(seqOut + 4 * i, true)
      return {
        state: {
          highestSeq: Number(dv.getBigInt64(ctr, true)),
          window: dv.getBigUint64(ctr + 8, true),
          packets: dv.getBigUint64(ctr + 16, true),
          payloadBytes: dv.getBigUint64(ctr + 24, true),
        },
        packets: dv.getUint32(ctr + 52, true),
        payloadBytes: Number(dv.getBigUint64(ctr + 56, true)),
        retransmissions: Number(dv.getBigUint64(ctr + 32, true)),
        sampledSeqs,
        sliceHashes: u8.slice(hashOut, hashOut + 32 * sampled),
      }
    },
  }
}
