/**
 * Snapshot sync's state ranges (DESIGN §10; geth's snap/1 is the model): the leaves of a trie —
 * the account trie of a state root, or one account's storage trie — in hashed-key order from an
 * origin, with a Merkle range proof against the trie's root, and the check of such a range.
 *
 * A range is the leaves with keys ≥ `origin`, in order, cut after `maxBytes`; its proof is the
 * stored nodes on the paths from the root to `origin` and to the last key returned. The receiver
 * checks it with @ethereumjs/mpt's `verifyMerkleRangeProof`, which also says whether the trie
 * holds more leaves to the right: a missing node, a changed value, a left-out key (a gap) or an
 * added one all make the check fail.
 *
 * Keys are trie paths (32 bytes: the keccak256 of an address or a storage slot, the trie is
 * "secure"); values are the leaves' stored bytes (an account's RLP, a slot's RLP).
 */
import { verifyMerkleRangeProof } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { core } from '../core/index.js'
import { NfcError } from '../util/errors.js'
import { StateErrorCode } from './errors.js'
import { MptBatch, type NodeStore } from './mptBatch.js'
import { EMPTY_TRIE_ROOT_HEX, type NodeReader } from './trieWalk.js'

/** a trie key (hashed address or slot) is 32 bytes: 64 nibbles */
export const TRIE_KEY_BYTES = 32
/** a hash reference (shorter encodings are embedded in their parent) */
const HASH_BYTES = 32
/** RLP items of a branch node: 16 children and a value */
const BRANCH_ITEMS = 17
/** bytes a leaf costs in an answer beyond its value (key and RLP headers) */
export const LEAF_OVERHEAD_BYTES = TRIE_KEY_BYTES + 8

type RlpItem = Uint8Array | RlpItem[]
type Nibbles = number[]

/** Leaves of one trie from an origin, and the proof of the range. */
export interface TrieRange {
  keys: Uint8Array[]
  values: Uint8Array[]
  /** the stored nodes on the paths to the origin and to the last key (each once) */
  proof: Uint8Array[]
}

const EMPTY_ROOT = hexToBytes(`0x${EMPTY_TRIE_ROOT_HEX}`)

function nibblesOf(key: Uint8Array): Nibbles {
  const out: Nibbles = []
  for (const b of key) out.push(b >> 4, b & 15)
  return out
}

function bytesOfNibbles(n: Nibbles): Uint8Array {
  const out = new Uint8Array(n.length >> 1)
  for (let i = 0; i < out.length; i++) out[i] = (n[2 * i]! << 4) | n[2 * i + 1]!
  return out
}

/** the path of a leaf or extension node (hex-prefix decoded), and whether it is a leaf */
function pathOf(encoded: Uint8Array): { path: Nibbles; leaf: boolean } {
  const flag = encoded[0]! >> 4
  const path: Nibbles = flag & 1 ? [encoded[0]! & 15] : []
  for (let i = 1; i < encoded.length; i++) path.push(encoded[i]! >> 4, encoded[i]! & 15)
  return { path, leaf: (flag & 2) !== 0 }
}

/** −1, 0, 1: how `prefix` compares with the same-length start of `key` */
function comparePrefix(prefix: Nibbles, key: Nibbles): number {
  for (let i = 0; i < prefix.length && i < key.length; i++) if (prefix[i] !== key[i]) return prefix[i]! < key[i]! ? -1 : 1
  return 0
}

function missing(node: string, root: Uint8Array): never {
  throw new NfcError(StateErrorCode.MissingNode, `trie node ${node} is missing (under root ${bytesToHex(root)})`, { node, root: bytesToHex(root) })
}

/**
 * The leaves of the trie at `root` with keys ≥ `origin`, in key order, up to `maxBytes` of keys and
 * values (at least one leaf when there is one), with their range proof. Throws STATE_MISSING_NODE
 * when a node on the way is not stored (a pruned root).
 */
export async function readRange(read: NodeReader, root: Uint8Array, origin: Uint8Array, maxBytes: number): Promise<TrieRange> {
  const range: TrieRange = { keys: [], values: [], proof: [] }
  if (bytesToHex(root).slice(2) === EMPTY_TRIE_ROOT_HEX) return range
  const target = nibblesOf(origin)
  let bytes = 0
  const full = () => range.keys.length > 0 && bytes >= maxBytes
  const resolve = async (ref: RlpItem): Promise<RlpItem> => {
    if (Array.isArray(ref)) return ref // embedded
    if (ref.length !== HASH_BYTES) return ref
    const k = bytesToHex(ref).slice(2)
    const encoded = await read(k)
    if (encoded === undefined) missing(k, root)
    return RLP.decode(encoded) as RlpItem
  }
  const walk = async (node: RlpItem, prefix: Nibbles): Promise<void> => {
    if (full() || !Array.isArray(node)) return
    if (node.length === BRANCH_ITEMS) {
      for (let i = 0; i < 16 && !full(); i++) {
        const child = node[i] as RlpItem
        if (!Array.isArray(child) && child.length === 0) continue
        const p = [...prefix, i]
        if (comparePrefix(p, target) < 0) continue
        await walk(await resolve(child), p)
      }
      return
    }
    const { path, leaf } = pathOf(node[0] as Uint8Array)
    const p = [...prefix, ...path]
    if (comparePrefix(p, target) < 0) return
    if (!leaf) return walk(await resolve(node[1] as RlpItem), p)
    const value = node[1] as Uint8Array
    range.keys.push(bytesOfNibbles(p))
    range.values.push(value)
    bytes += value.length + LEAF_OVERHEAD_BYTES
  }
  const rootKey = bytesToHex(root).slice(2)
  const top = await read(rootKey)
  if (top === undefined) missing(rootKey, root)
  await walk(RLP.decode(top) as RlpItem, [])
  const seen = new Set<string>()
  await proofPath(read, root, origin, range.proof, seen)
  const last = range.keys[range.keys.length - 1]
  if (last !== undefined) await proofPath(read, root, last, range.proof, seen)
  return range
}

/** Appends to `out` the stored (hash-referenced) nodes from `root` along `key`'s path, skipping those in `seen`. */
async function proofPath(read: NodeReader, root: Uint8Array, key: Uint8Array, out: Uint8Array[], seen: Set<string>): Promise<void> {
  const path = nibblesOf(key)
  let ref: RlpItem = root
  let depth = 0
  for (;;) {
    let node: RlpItem
    if (Array.isArray(ref)) node = ref
    else {
      if (ref.length !== HASH_BYTES) return
      const k = bytesToHex(ref).slice(2)
      const encoded = await read(k)
      if (encoded === undefined) missing(k, root)
      if (!seen.has(k)) {
        seen.add(k)
        out.push(encoded)
      }
      node = RLP.decode(encoded) as RlpItem
    }
    if (!Array.isArray(node)) return
    if (node.length === BRANCH_ITEMS) {
      if (depth >= path.length) return
      const child = node[path[depth]!] as RlpItem
      if (!Array.isArray(child) && child.length === 0) return
      ref = child
      depth++
      continue
    }
    const { path: p, leaf } = pathOf(node[0] as Uint8Array)
    if (leaf || comparePrefix(p, path.slice(depth)) !== 0) return
    depth += p.length
    ref = node[1] as RlpItem
  }
}

/**
 * Checks a range answer against `root`: the keys are ≥ `origin`, ascending, and the proof shows
 * that the trie holds exactly these leaves from `origin` to the last key. Returns whether the trie
 * holds more leaves after them. Throws STATE_BAD_RANGE_PROOF (naming why) otherwise.
 */
export async function verifyRange(root: Uint8Array, origin: Uint8Array, range: TrieRange): Promise<boolean> {
  const { keys, values, proof } = range
  if (keys.length !== values.length) badProof(`${keys.length} keys but ${values.length} values`)
  for (const k of keys) if (k.length !== TRIE_KEY_BYTES) badProof(`a key of ${k.length} bytes, want ${TRIE_KEY_BYTES}`)
  if (keys.length > 0 && compareBytes(keys[0]!, origin) < 0) badProof('the first key is below the origin')
  if (bytesToHex(root).slice(2) === EMPTY_TRIE_ROOT_HEX) {
    if (keys.length > 0) badProof('leaves for an empty trie')
    return false
  }
  const last = keys.length > 0 ? keys[keys.length - 1]! : null
  try {
    return await verifyMerkleRangeProof(root, origin, last, keys, values, proof, core.keccak256)
  } catch (e) {
    return badProof((e as Error).message)
  }
}

function badProof(why: string): never {
  throw new NfcError(StateErrorCode.BadRangeProof, `invalid range proof: ${why}`, { why })
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

/** The key just after `key` (key + 1), or undefined after the last key (all ones). */
export function nextKey(key: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(key)
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]!++
      return out
    }
    out[i] = 0
  }
  return undefined
}

/**
 * Builds a trie from verified ranges, in key order: each `add` applies its leaves on top of the
 * trie so far (nodes are written to `store`); `root` is the root of everything added.
 */
export class RangeTrieBuilder {
  private readonly batch: MptBatch
  private top: Uint8Array = EMPTY_ROOT

  constructor(store: NodeStore) {
    this.batch = new MptBatch(store, core.keccak256, EMPTY_ROOT)
  }

  async add(keys: readonly Uint8Array[], values: readonly Uint8Array[]): Promise<void> {
    if (keys.length === 0) return
    this.top = await this.batch.apply(
      this.top,
      keys.map((k, i) => [k, values[i]!] as [Uint8Array, Uint8Array]),
    )
  }

  get root(): Uint8Array {
    return this.top
  }
}
