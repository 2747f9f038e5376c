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
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { core } from '../core/index.js'
import { hexNoPrefix } from '../util/bytes.js'
import { decodeRlpView, encodeRlp } from '../util/rlpView.js'
import { NfcError } from '../util/errors.js'
import { StateErrorCode } from './errors.js'
import { hexPrefix, type NodeStore } from './mptBatch.js'
import { StackTrie } from './stackTrie.js'
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

const HEX_DIGITS = '0123456789abcdef'

/** the bytes of an even number of hex nibbles (Buffer's native decoding; a plain Uint8Array view) */
function bytesOfHex(hex: string): Uint8Array {
  const b = Buffer.from(hex, 'hex')
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

/** pathOf's path as hex nibbles (whether it is a leaf's: isLeafPath) */
function hexPathOf(encoded: Uint8Array): string {
  const rest = hexNoPrefix(encoded.subarray(1))
  return (encoded[0]! >> 4) & 1 ? HEX_DIGITS[encoded[0]! & 15]! + rest : rest
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

/** reads many stored nodes at once by their hashes (`TrieNodeStore.getManyByHash`: one LevelDB getMany), each undefined when absent */
export type NodeManyReader = (hashes: readonly Uint8Array[]) => Promise<(Uint8Array | undefined)[]>

/** most stored nodes read together in one round of a range read */
const READS_PER_ROUND = 256

/** one place of a range read's frontier, in key order: a node still to read, a node read, or a leaf */
interface Frontier {
  /** the path so far (hex nibbles) */
  p: string
  /** the path is past the origin's prefix: everything under it is kept */
  free: boolean
  /** a hash reference not read yet */
  ref?: Uint8Array
  /** the node, once read (or embedded in its parent) */
  node?: RlpItem
  /** a leaf's value, and its key (`p` is then unused) */
  value?: Uint8Array
  key?: Uint8Array
}

/**
 * The leaves of the trie at `root` with keys ≥ `origin`, in key order, up to `maxBytes` of keys and
 * values (at least one leaf when there is one), with their range proof. Throws STATE_MISSING_NODE
 * when a node on the way is not stored (a pruned root).
 *
 * The trie is read level by level, not one node at a time: the frontier (in key order) is expanded
 * in rounds, each reading its leftmost READS_PER_ROUND unread nodes together, so a range of
 * thousands of leaves costs tens of rounds of concurrent reads instead of thousands of reads one
 * after the other (each a trip through LevelDB's thread pool and the event loop: on a loaded
 * machine ~1 ms each, seconds per range). Leaves at the front are taken as soon as no unread node
 * is left of them; the reads beyond the cut are at most one round's.
 */
export async function readRange(
  read: NodeReader,
  root: Uint8Array,
  origin: Uint8Array,
  maxBytes: number,
  readMany: NodeManyReader = (hashes) => Promise.all(hashes.map((h) => read(hexNoPrefix(h)))),
): Promise<TrieRange> {
  const range: TrieRange = { keys: [], values: [], proof: [] }
  if (bytesToHex(root).slice(2) === EMPTY_TRIE_ROOT_HEX) return range
  /** the origin as 64 hex nibbles: paths on the frontier are hex strings (appending a nibble is cheap, no array copies) */
  const target = hexNoPrefix(origin)
  let bytes = 0
  const full = () => range.keys.length > 0 && bytes >= maxBytes
  /**
   * the inner nodes read (branches, extensions), by key: the proof's paths run through them (not
   * read twice); leaves, most of what is read, are not kept (a proof ends in at most two of them)
   */
  const readNodes = new Map<string, Uint8Array>()
  /**
   * Whether path `p` (a prefix of keys) is kept: its keys are not all below the origin. `free`: a
   * path already past the origin's prefix, whose descendants need no comparison.
   */
  const DROP = 0
  const KEEP = 1
  const FREE = 2
  const keep = (p: string, free: boolean): number => {
    if (free) return FREE
    const t = target.slice(0, p.length)
    return p < t ? DROP : p > t ? FREE : KEEP
  }
  /** a child reference as a frontier place: embedded nodes are already read; short non-hash values are left as they are */
  const place = (p: string, free: boolean, ref: RlpItem): Frontier =>
    Array.isArray(ref) || ref.length !== HASH_BYTES ? { p, free, node: ref } : { p, free, ref }
  /** what a read node becomes on the frontier: its children at or after the origin's path */
  const expand = (f: Frontier, out: Frontier[]): void => {
    const node = f.node!
    if (!Array.isArray(node)) return
    if (node.length === BRANCH_ITEMS) {
      for (let i = 0; i < 16; i++) {
        const child = node[i] as RlpItem
        if (!Array.isArray(child) && child.length === 0) continue
        const p = f.p + HEX_DIGITS[i]!
        const k = keep(p, f.free)
        if (k !== DROP) out.push(place(p, k === FREE, child))
      }
      return
    }
    const hp = node[0] as Uint8Array
    if (isLeafPath(hp)) {
      const key = leafKey(f.p, hp)
      if (!f.free && compareBytes(key, origin) < 0) return
      out.push({ p: '', free: true, value: node[1] as Uint8Array, key })
      return
    }
    const p = f.p + hexPathOf(hp)
    const k = keep(p, f.free)
    if (k !== DROP) out.push(place(p, k === FREE, node[1] as RlpItem))
  }
  let frontier: Frontier[] = [{ p: '', free: false, ref: root }]
  while (frontier.length > 0 && !full()) {
    // the leaves at the front are final: take them, up to the cut
    let taken = 0
    while (taken < frontier.length && frontier[taken]!.value !== undefined && !full()) {
      const f = frontier[taken++]!
      range.keys.push(f.key!)
      range.values.push(f.value!)
      bytes += f.value!.length + LEAF_OVERHEAD_BYTES
    }
    if (full()) break
    frontier = frontier.slice(taken)
    // one round: the leftmost unread nodes together
    const unread = []
    for (const f of frontier) {
      if (f.ref !== undefined && f.node === undefined) unread.push(f)
      if (unread.length >= READS_PER_ROUND) break
    }
    const encoded = await readMany(unread.map((f) => f.ref!))
    unread.forEach((f, i) => {
      const e = encoded[i]
      if (e === undefined) missing(hexNoPrefix(f.ref!), root)
      const node = decodeRlpView(e) as RlpItem
      if (!isLeaf(node)) readNodes.set(hexNoPrefix(f.ref!), e)
      f.node = node
    })
    const next: Frontier[] = []
    for (const f of frontier) {
      if (f.node !== undefined) expand(f, next)
      else next.push(f)
    }
    frontier = next
  }
  const seen = new Set<string>()
  const readAgain: NodeReader = async (k) => readNodes.get(k) ?? (await read(k))
  await proofPath(readAgain, root, origin, range.proof, seen)
  const last = range.keys[range.keys.length - 1]
  if (last !== undefined) await proofPath(readAgain, root, last, range.proof, seen)
  return range
}

/** a hex-prefix encoded path is a leaf's: its flag nibble has the leaf bit */
const isLeafPath = (hp: Uint8Array): boolean => (hp[0]! & 0x20) !== 0

/** a decoded node is a leaf: two items, a leaf's path */
const isLeaf = (node: RlpItem): boolean => Array.isArray(node) && node.length === 2 && !Array.isArray(node[0]) && isLeafPath(node[0])

/**
 * A leaf's key: the nibbles of the path to it (`prefix`, hex digits), then its own path (`hp`,
 * hex-prefix encoded), written straight into the key's bytes — a range read makes one per leaf, so
 * no hex string of the whole key is made and parsed back. A path that does not add up to whole
 * bytes (no trie of byte keys has one) is taken as the hex digits say, as before.
 */
function leafKey(prefix: string, hp: Uint8Array): Uint8Array {
  const odd = (hp[0]! & 0x10) !== 0
  const head = prefix.length + (odd ? 1 : 0)
  if (head % 2 !== 0) return bytesOfHex(prefix + hexPathOf(hp))
  const key = new Uint8Array(head / 2 + hp.length - 1)
  for (let i = 0; i + 1 < prefix.length; i += 2) key[i / 2] = (hexValue(prefix, i) << 4) | hexValue(prefix, i + 1)
  // odd: the prefix's last digit (its length is odd here) and the path's first nibble share a byte
  if (odd) key[head / 2 - 1] = (hexValue(prefix, prefix.length - 1) << 4) | (hp[0]! & 15)
  key.set(hp.subarray(1), head / 2)
  return key
}

/** the value of the hex digit at `i` of `hex` (lowercase, as the frontier's paths are) */
const hexValue = (hex: string, i: number): number => {
  const c = hex.charCodeAt(i)
  return c <= 57 ? c - 48 : c - 87
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
      node = decodeRlpView(encoded) as RlpItem
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

/** what a branch holds for no child */
const NO_CHILD = new Uint8Array(0)

const isNoChild = (ref: RlpItem): boolean => !Array.isArray(ref) && ref.length === 0

/** a child reference as comparable bytes: a hash as it is, an embedded node by its encoding */
const refBytes = (ref: RlpItem): Uint8Array => (Array.isArray(ref) ? encodeRlp(ref) : ref)

/** the reference a parent holds to `node`: its hash, or the node itself when its encoding is under 32 bytes */
function referenceTo(node: RlpItem[]): RlpItem {
  const encoded = encodeRlp(node)
  return encoded.length >= HASH_BYTES ? core.keccak256(encoded) : node
}

/**
 * The reference a branch at depth |q|−1 of the trie at `root` would hold for the keys under
 * prefix `q`: the canonical node of exactly those keys, positioned at depth |q| (an extension or
 * leaf that passes over depth |q| is cut there), or NO_CHILD when there are none. Two tries hold
 * the same keys and values under `q` exactly when these references are equal.
 */
async function referenceAt(read: NodeReader, root: Uint8Array, q: Nibbles): Promise<RlpItem> {
  return (await canonicalAt(read, root, q)).ref
}

/** referenceAt's reference, with the node itself when it was cut here (its hash is then of no stored node) */
async function canonicalAt(read: NodeReader, root: Uint8Array, q: Nibbles): Promise<{ ref: RlpItem; cut?: RlpItem[] }> {
  if (bytesToHex(root).slice(2) === EMPTY_TRIE_ROOT_HEX) return { ref: NO_CHILD }
  let ref: RlpItem = root
  let depth = 0
  for (;;) {
    if (depth === q.length) return { ref }
    let node: RlpItem = ref
    if (!Array.isArray(ref)) {
      if (ref.length !== HASH_BYTES) return { ref: NO_CHILD }
      const k = bytesToHex(ref).slice(2)
      const encoded = await read(k)
      if (encoded === undefined) missing(k, root)
      node = decodeRlpView(encoded) as RlpItem
    }
    if (!Array.isArray(node)) return { ref: NO_CHILD }
    if (node.length === BRANCH_ITEMS) {
      ref = node[q[depth]!] as RlpItem
      depth++
      if (isNoChild(ref)) return { ref: NO_CHILD }
      continue
    }
    const { path, leaf } = pathOf(node[0] as Uint8Array)
    const shared = Math.min(path.length, q.length - depth)
    for (let i = 0; i < shared; i++) if (path[i] !== q[depth + i]) return { ref: NO_CHILD }
    if (depth + path.length > q.length || (leaf && depth + path.length === q.length)) {
      // the node passes over depth |q|: the same node, its path cut at q
      const cut = [hexPrefix(path.slice(q.length - depth), leaf), node[1] as RlpItem]
      return { ref: referenceTo(cut), cut }
    }
    if (leaf || path.length === 0) return { ref: NO_CHILD } // (an extension of no nibbles is no trie's: never loop on it)
    ref = node[1] as RlpItem
    depth += path.length
  }
}

/**
 * Snapshot sync's range check (DESIGN §10), for ranges added in key order from the zero key onto a
 * trie built here (`built`: its root after this range's leaves were added, and its node reader).
 * Checks, with the proof of the path to the range's last key, that the built trie holds exactly
 * the leaves of the trie at `root` up to that key — no gap, no extra key, no changed value, here
 * or in any earlier range — and returns whether the trie at `root` holds more leaves after it.
 *
 * How: along the path to the last key in the proof (each node found by its hash, from `root`),
 * every child left of the path must be the built trie's node for the same prefix (equal hashes:
 * the same keys and values), an extension on the path must not pass over keys of the built trie,
 * and the leaf at the end must be the built trie's node for its prefix too. This is the same proof
 * as `verifyRange` checks (geth's snap/1 range proof) but costs a few dozen node comparisons per
 * range instead of a trie insertion per leaf (@ethereumjs/mpt's verifyMerkleRangeProof: about
 * 0.15 ms of CPU per leaf, most of a snapshot sync's time). Empty ranges are checked with
 * `verifyRange`. Throws STATE_BAD_RANGE_PROOF (naming why) when the check fails.
 */
export async function verifyRangeOnto(root: Uint8Array, origin: Uint8Array, range: TrieRange, built: { root: Uint8Array; read: NodeReader }): Promise<boolean> {
  const { keys, values, proof } = range
  checkShape(origin, range)
  if (keys.length === 0) return verifyRange(root, origin, range)
  const lastKey = keys[keys.length - 1]!
  const lastValue = values[values.length - 1]!
  const target = nibblesOf(lastKey)
  const byHash = new Map<string, Uint8Array>()
  for (const node of proof) byHash.set(bytesToHex(core.keccak256(node)), node)
  const load = (ref: RlpItem): RlpItem[] => {
    if (Array.isArray(ref)) return ref
    const encoded = ref.length === HASH_BYTES ? byHash.get(bytesToHex(ref)) : undefined
    if (encoded === undefined) return badProof(`the proof lacks the node ${bytesToHex(ref)} on the path to the last key`)
    const node = decodeRlpView(encoded) as RlpItem
    if (!Array.isArray(node) || (node.length !== BRANCH_ITEMS && node.length !== 2)) return badProof('a proof node is not a trie node')
    return node
  }
  const builtAt = (q: Nibbles) => referenceAt(built.read, built.root, q)
  const differs = async (ref: RlpItem, q: Nibbles) => !equalBytesOf(refBytes(ref), refBytes(await builtAt(q)))
  let ref: RlpItem = root
  let depth = 0
  let more = false
  for (;;) {
    const node = load(ref)
    const prefix = target.slice(0, depth)
    if (node.length === BRANCH_ITEMS) {
      if (depth >= target.length) badProof('a branch below the last key')
      const c = target[depth]!
      for (let i = 0; i < c; i++) {
        if (await differs(node[i] as RlpItem, [...prefix, i])) badProof(`the leaves under ${nibbleText([...prefix, i])} are not the trie's`)
      }
      for (let i = c + 1; i < 16; i++) if (!isNoChild(node[i] as RlpItem)) more = true
      ref = node[c] as RlpItem
      if (isNoChild(ref)) badProof('the last key is not in the trie')
      depth++
      continue
    }
    const { path, leaf } = pathOf(node[0] as Uint8Array)
    if (!leaf && path.length === 0) badProof('an extension of no nibbles')
    if (comparePrefix(path, target.slice(depth)) !== 0 || depth + path.length > target.length) badProof('the last key is not in the trie')
    if (leaf) {
      if (depth + path.length !== target.length || !equalBytesOf(node[1] as Uint8Array, lastValue)) badProof('the last key is not in the trie with its value')
      if (await differs(ref, prefix)) badProof(`the leaves under ${nibbleText(prefix)} are not the trie's`)
      return more
    }
    // an extension: the built trie's keys under its start must all lie under its end too
    const { ref: mine, cut } = await canonicalAt(built.read, built.root, prefix)
    let mineNode: RlpItem = cut ?? mine
    if (cut === undefined && !Array.isArray(mine) && mine.length === HASH_BYTES) {
      const encoded = await built.read(bytesToHex(mine).slice(2))
      if (encoded === undefined) missing(bytesToHex(mine).slice(2), built.root)
      mineNode = decodeRlpView(encoded) as RlpItem
    }
    const minePath = Array.isArray(mineNode) && mineNode.length === 2 ? pathOf(mineNode[0] as Uint8Array).path : []
    if (minePath.length < path.length || comparePrefix(path, minePath) !== 0) badProof(`the leaves under ${nibbleText(prefix)} are not the trie's`)
    ref = node[1] as RlpItem
    depth += path.length
  }
}

/** as many values as keys, keys of 32 bytes, ascending from the origin; throws STATE_BAD_RANGE_PROOF otherwise */
function checkShape(origin: Uint8Array, { keys, values }: TrieRange): void {
  if (keys.length !== values.length) badProof(`${keys.length} keys but ${values.length} values`)
  for (let i = 0; i < keys.length; i++) {
    if (keys[i]!.length !== TRIE_KEY_BYTES) badProof(`a key of ${keys[i]!.length} bytes, want ${TRIE_KEY_BYTES}`)
    if (compareBytes(keys[i]!, i === 0 ? origin : keys[i - 1]!) < (i === 0 ? 0 : 1))
      badProof(i === 0 ? 'the first key is below the origin' : 'keys out of order')
  }
}

const equalBytesOf = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && compareBytes(a, b) === 0

const nibbleText = (n: Nibbles): string => (n.length === 0 ? 'the root' : `path ${n.map((x) => x.toString(16)).join('')}`)

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
 * Builds a trie from verified ranges, in key order: each `add` appends its leaves (keys after
 * every key added so far) to a StackTrie and stores the nodes it made in `store`: those of closed
 * subtrees by `putWritten` where the store has it (never read back here), those of the path to the
 * last key by `put`, so `read` can walk from `root` (everything added) along that path.
 */
export class RangeTrieBuilder {
  private readonly trie = new StackTrie(core.keccak256, EMPTY_ROOT)
  private top: Uint8Array = EMPTY_ROOT

  constructor(private readonly store: NodeStore) {}

  async add(keys: readonly Uint8Array[], values: readonly Uint8Array[]): Promise<void> {
    if (keys.length === 0) return
    try {
      for (let i = 0; i < keys.length; i++) this.trie.add(keys[i]!, values[i]!)
    } catch (e) {
      badProof((e as Error).message) // keys out of order or repeated, an empty value: no trie holds that
    }
    this.top = this.trie.root()
    const { closed, open } = this.trie.take()
    const store = this.store
    if (store.putWritten !== undefined) for (const [hash, encoded] of closed) store.putWritten(hash, encoded)
    else for (const [hash, encoded] of closed) await store.put(hexNoPrefix(hash), encoded)
    // the open path is what verifyRangeOnto reads (its walk from the root goes along the last key's path only)
    for (const [hash, encoded] of open) await store.put(hexNoPrefix(hash), encoded)
  }

  get root(): Uint8Array {
    return this.top
  }

  /** reads the built trie's nodes (verifyRangeOnto) */
  get read(): NodeReader {
    return (k) => this.store.get(k)
  }

  /**
   * Adds the next range (ranges from the zero key, in key order) when its proof against `root`
   * holds (`verifyRangeOnto`); returns whether the trie at `root` holds more leaves after it.
   * A range that fails is not kept (the builder goes back; the nodes it stored stay,
   * unreferenced) and STATE_BAD_RANGE_PROOF is thrown.
   */
  async addProven(root: Uint8Array, origin: Uint8Array, range: TrieRange): Promise<boolean> {
    checkShape(origin, range)
    const before = { top: this.top, trie: this.trie.save() }
    try {
      await this.add(range.keys, range.values)
      return await verifyRangeOnto(root, origin, range, this)
    } catch (e) {
      this.top = before.top
      this.trie.restore(before.trie)
      this.trie.take()
      throw e
    }
  }
}
