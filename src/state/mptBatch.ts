/**
 * Applies many updates to an Ethereum Merkle Patricia Trie at once. ethereumjs' `put` walks from
 * the root, re-encodes and re-hashes the whole path, and stores every intermediate node for each
 * key; a block updates thousands of accounts, so the upper nodes were encoded, hashed and written
 * thousands of times. Here the updates are applied to nodes held in memory (read from the store
 * once each) and every changed node is encoded, hashed and written exactly once, at the end.
 *
 * The encoding is the yellow paper's (appendix D): leaf [hp(path, leaf), value], extension
 * [hp(path), child], branch [c0 … c15, value]; a child whose encoding is shorter than 32 bytes is
 * embedded, otherwise referenced by its keccak256; the root is always stored by hash. Roots equal
 * @ethereumjs/mpt's for the same contents (checked by test/unit/state/mptBatch.test.ts).
 */
import { bytesToHex } from '@ethereumjs/util'
import { bytesEqual, hexNoPrefix } from '../util/bytes.js'
import { decodeRlpView, encodeRlp } from '../util/rlpView.js'

type Nibbles = number[]
type Ref = HashRef | Node | null
interface HashRef {
  kind: 'hash'
  hash: Uint8Array
}
type Node = Leaf | Extension | Branch
interface Leaf {
  kind: 'leaf'
  path: Nibbles
  value: Uint8Array
  /** keccak of the encoding when the node is stored unchanged under it */
  hash?: Uint8Array
}
interface Extension {
  kind: 'ext'
  path: Nibbles
  child: Ref
  hash?: Uint8Array
}
interface Branch {
  kind: 'branch'
  children: Ref[] // 16
  value: Uint8Array | null
  hash?: Uint8Array
}

export interface NodeStore {
  get(key: string): Promise<Uint8Array | undefined>
  put(key: string, value: Uint8Array): Promise<void>
  /**
   * Stores a node by its hash as bytes (no hex key made), for a writer that never reads it back
   * before the store's next flush (snapshot sync's closed subtrees); absent: `put` is used.
   */
  putWritten?(hash: Uint8Array, value: Uint8Array): void
}

type RlpItem = Uint8Array | RlpItem[]

const EMPTY = new Uint8Array(0)

function toNibbles(key: Uint8Array): Nibbles {
  const out = new Array<number>(key.length * 2)
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i] >> 4
    out[2 * i + 1] = key[i] & 15
  }
  return out
}

/** hex-prefix encoding (yellow paper appendix C) */
export function hexPrefix(path: Nibbles, leaf: boolean): Uint8Array {
  const odd = path.length % 2
  const flag = (leaf ? 2 : 0) + odd
  const out = new Uint8Array(1 + (path.length >> 1))
  let i = 0
  if (odd) {
    out[0] = (flag << 4) | path[0]
    i = 1
  } else {
    out[0] = flag << 4
  }
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i] << 4) | path[i + 1]
  return out
}

function fromHexPrefix(bytes: Uint8Array): { path: Nibbles; leaf: boolean } {
  const flag = bytes[0] >> 4
  const path: Nibbles = flag & 1 ? [bytes[0] & 15] : []
  for (let i = 1; i < bytes.length; i++) path.push(bytes[i] >> 4, bytes[i] & 15)
  return { path, leaf: (flag & 2) !== 0 }
}

function decodeItem(item: RlpItem, hash?: Uint8Array): Node {
  if (!Array.isArray(item)) throw new Error('trie node is not a list')
  if (item.length === 17) {
    const children = item.slice(0, 16).map(childRef)
    const v = item[16] as Uint8Array
    return { kind: 'branch', children, value: v.length === 0 ? null : v, hash }
  }
  if (item.length === 2) {
    const { path, leaf } = fromHexPrefix(item[0] as Uint8Array)
    if (leaf) return { kind: 'leaf', path, value: item[1] as Uint8Array, hash }
    return { kind: 'ext', path, child: childRef(item[1]), hash }
  }
  throw new Error(`trie node has ${item.length} items`)
}

function childRef(item: RlpItem): Ref {
  if (Array.isArray(item)) return decodeItem(item) // embedded (< 32 bytes encoded)
  if (item.length === 0) return null
  return { kind: 'hash', hash: item }
}

const commonPrefix = (a: Nibbles, b: Nibbles): number => {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/**
 * MptBatch's insert where every node on the key's path is already in memory (no store read, no
 * await: a snapshot rebuild adds sorted keys right of everything so far, along nodes this batch
 * made); undefined as soon as the path meets a node referenced by hash — nothing was changed (the
 * insert builds new nodes, it never mutates), and the caller does the insert that reads it.
 */
function insertHeld(ref: Ref, path: Nibbles, value: Uint8Array, at: number): Node | undefined {
  if (ref === null) return { kind: 'leaf', path: at === 0 ? path : path.slice(at), value }
  if (ref.kind === 'hash') return undefined
  const node = ref
  if (node.kind === 'branch') {
    if (path.length === at) return { kind: 'branch', children: node.children, value }
    const child = insertHeld(node.children[path[at]], path, value, at + 1)
    if (child === undefined) return undefined
    const children = node.children.slice()
    children[path[at]] = child
    return { kind: 'branch', children, value: node.value }
  }
  const rest = path.length - at
  let c = 0
  while (c < node.path.length && c < rest && node.path[c] === path[at + c]) c++
  if (node.kind === 'leaf' && c === node.path.length && c === rest) return { kind: 'leaf', path: path.slice(at), value }
  if (node.kind === 'ext' && c === node.path.length) {
    const child = insertHeld(node.child, path, value, at + c)
    return child === undefined ? undefined : { kind: 'ext', path: node.path, child }
  }
  return split(node, c, path, at, value)
}

/** a leaf or extension whose path parts from the new key's at `c`: a branch there holding both rests */
function split(node: Leaf | Extension, c: number, path: Nibbles, at: number, value: Uint8Array): Node {
  const children: Ref[] = new Array<Ref>(16).fill(null)
  let branchValue: Uint8Array | null = null
  const oldRest = node.path.slice(c + 1)
  if (node.kind === 'leaf') {
    if (node.path.length === c) branchValue = node.value
    else children[node.path[c]] = { kind: 'leaf', path: oldRest, value: node.value }
  } else {
    children[node.path[c]] = oldRest.length === 0 ? node.child : { kind: 'ext', path: oldRest, child: node.child }
  }
  if (path.length - at === c) branchValue = value
  else children[path[at + c]] = { kind: 'leaf', path: path.slice(at + c + 1), value }
  const branch: Branch = { kind: 'branch', children, value: branchValue }
  return c === 0 ? branch : { kind: 'ext', path: path.slice(at, at + c), child: branch }
}

export class MptBatch {
  constructor(
    private readonly store: NodeStore,
    private readonly keccak: (data: Uint8Array) => Uint8Array,
    private readonly emptyRoot: Uint8Array,
  ) {}

  private async resolve(ref: Ref): Promise<Node | null> {
    if (ref === null || ref.kind !== 'hash') return ref
    const bytes = await this.store.get(hexNoPrefix(ref.hash))
    if (bytes === undefined) throw new Error(`missing trie node ${bytesToHex(ref.hash)}`)
    return decodeItem(decodeRlpView(bytes) as RlpItem, ref.hash)
  }

  /**
   * Applies `updates` (already-hashed key → value, or null to delete) to the trie at `root` and
   * returns the new root; new nodes are written to the store.
   */
  async apply(root: Uint8Array, updates: Iterable<[Uint8Array, Uint8Array | null]>): Promise<Uint8Array> {
    let top: Ref = bytesEqual(root, this.emptyRoot) ? null : { kind: 'hash', hash: root }
    for (const [key, value] of updates) {
      const path = toNibbles(key)
      if (value === null || value.length === 0) top = await this.remove(top, path)
      else top = insertHeld(top, path, value, 0) ?? (await this.insert(top, path, value))
    }
    if (top === null) return this.emptyRoot
    if (top.kind === 'hash') return top.hash
    // encoding and hashing need no reads (an unchanged child is referenced by the hash it was read
    // under): done synchronously, the nodes to store collected, then written in one pass
    const written: [string, Uint8Array][] = []
    const encoded = encodeRlp(this.commit(top, written))
    // the root is stored under its hash even when its encoding is short
    const hash = this.keccak(encoded)
    written.push([hexNoPrefix(hash), encoded])
    for (const [k, v] of written) await this.store.put(k, v)
    return hash
  }

  /** inserts the key whose nibbles from `at` on are `path[at…]` (an offset, not a copy of the path per level) */
  private async insert(ref: Ref, path: Nibbles, value: Uint8Array, at = 0): Promise<Node> {
    const node = await this.resolve(ref)
    if (node === null) return { kind: 'leaf', path: at === 0 ? path : path.slice(at), value }
    if (node.kind === 'branch') {
      if (path.length === at) return { kind: 'branch', children: node.children, value }
      const children = node.children.slice()
      children[path[at]] = await this.insert(children[path[at]], path, value, at + 1)
      return { kind: 'branch', children, value: node.value }
    }
    const rest = path.length - at
    let c = 0
    while (c < node.path.length && c < rest && node.path[c] === path[at + c]) c++
    if (node.kind === 'leaf' && c === node.path.length && c === rest) {
      return { kind: 'leaf', path: path.slice(at), value }
    }
    if (node.kind === 'ext' && c === node.path.length) {
      return { kind: 'ext', path: node.path, child: await this.insert(node.child, path, value, at + c) }
    }
    // the paths part at c: a branch there, holding the old node's rest and the new key's rest
    return split(node, c, path, at, value)
  }

  private async remove(ref: Ref, path: Nibbles): Promise<Ref> {
    const node = await this.resolve(ref)
    if (node === null) return null
    if (node.kind === 'leaf') {
      return node.path.length === path.length && commonPrefix(node.path, path) === path.length ? null : ref
    }
    if (node.kind === 'ext') {
      if (commonPrefix(node.path, path) < node.path.length) return ref
      const child = await this.remove(node.child, path.slice(node.path.length))
      if (child === node.child) return ref
      return this.joinPath(node.path, child)
    }
    let children = node.children
    let value = node.value
    if (path.length === 0) {
      if (value === null) return ref
      value = null
    } else {
      const child = await this.remove(children[path[0]], path.slice(1))
      if (child === children[path[0]]) return ref
      children = children.slice()
      children[path[0]] = child
    }
    // a branch left with one entry collapses into its neighbour
    const used = children.reduce<number[]>((acc, c, i) => (c !== null ? [...acc, i] : acc), [])
    if (used.length + (value === null ? 0 : 1) >= 2) return { kind: 'branch', children, value }
    if (used.length === 0) return value === null ? null : { kind: 'leaf', path: [], value }
    return this.joinPath([used[0]], children[used[0]])
  }

  /** `prefix` followed by the node at `ref`, as one node (paths merged where the yellow paper says). */
  private async joinPath(prefix: Nibbles, ref: Ref): Promise<Ref> {
    const node = await this.resolve(ref)
    if (node === null) return null
    if (node.kind === 'leaf') return { kind: 'leaf', path: [...prefix, ...node.path], value: node.value }
    if (node.kind === 'ext') return { kind: 'ext', path: [...prefix, ...node.path], child: node.child }
    return { kind: 'ext', path: prefix, child: node }
  }

  /** Encodes a changed node (its changed children first); the nodes referenced by hash go to `written`. */
  private commit(node: Node, written: [string, Uint8Array][]): RlpItem {
    if (node.kind === 'leaf') return [hexPrefix(node.path, true), node.value]
    if (node.kind === 'ext') return [hexPrefix(node.path, false), this.reference(node.child, written)]
    const items: RlpItem[] = []
    for (const c of node.children) items.push(this.reference(c, written))
    items.push(node.value ?? EMPTY)
    return items
  }

  private reference(ref: Ref, written: [string, Uint8Array][]): RlpItem {
    if (ref === null) return EMPTY
    if (ref.kind === 'hash') return ref.hash
    if (ref.hash !== undefined) return ref.hash // resolved but unchanged: already stored
    const item = this.commit(ref, written)
    const encoded = encodeRlp(item)
    if (encoded.length < 32) return item
    const hash = this.keccak(encoded)
    written.push([hexNoPrefix(hash), encoded])
    return hash
  }
}
