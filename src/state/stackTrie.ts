/**
 * A Merkle Patricia Trie built from keys given in ascending order (geth's StackTrie is the model),
 * for snapshot sync's rebuild of a state from its ranges. Sorted input means a subtree is complete
 * as soon as a key arrives that leaves it: it is encoded, hashed and handed over for storing right
 * then, once, and only the path of the last key stays open — a stack of the branches on it. No node
 * is read back and none is built twice: MptBatch (the general updater) walked and copied the open
 * path again for every key and re-read it from the store at every range.
 *
 * Keys are trie paths of 32 bytes (64 nibbles, the hashed keys of a secure trie: none is a prefix of
 * another, so no branch holds a value); values are a leaf's stored bytes, never empty. Encoding as
 * the yellow paper's appendix D and MptBatch: a node whose encoding is under 32 bytes is embedded in
 * its parent, the root is always stored under its hash. Roots equal MptBatch's for the same leaves
 * (test/unit/state/stackTrie.test.ts).
 */
import { encodeRlp } from '../util/rlpView.js'

type RlpItem = Uint8Array | RlpItem[]

/** a trie key: 32 bytes, 64 nibbles */
const KEY_NIBBLES = 64
const HASH_BYTES = 32
const EMPTY = new Uint8Array(0)

/** an open branch on the last key's path: it splits keys at nibble `depth`; a child is a reference (hash or embedded node), EMPTY for none */
interface Frame {
  depth: number
  children: RlpItem[]
}

/**
 * The subtree that hangs below the deepest open branch, not placed yet (its path in its parent
 * depends on where it is attached): the last key's leaf, or a branch that was closed (its items,
 * and a key under it for the path of an extension above it).
 */
type Loose = { leaf: true; key: Uint8Array; value: Uint8Array } | { leaf: false; key: Uint8Array; depth: number; items: RlpItem[] }

/** What a builder holds, for going back to it (a range that failed its check). */
export interface StackTrieState {
  stack: Frame[]
  loose: Loose | undefined
}

const nibble = (key: Uint8Array, i: number): number => (i & 1 ? key[i >> 1]! & 15 : key[i >> 1]! >> 4)

/** hex-prefix encoding (yellow paper appendix C) of nibbles [from, to) of `key` */
function hexPrefixOf(key: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const n = to - from
  const odd = n & 1
  const out = new Uint8Array(1 + (n >> 1))
  let i = from
  out[0] = ((leaf ? 2 : 0) + odd) << 4
  if (odd) out[0] |= nibble(key, i++)
  for (let o = 1; i < to; i += 2, o++) out[o] = (nibble(key, i) << 4) | nibble(key, i + 1)
  return out
}

/** nibbles `a` and `b` share from the start; throws unless `b` comes after `a` */
function sharedNibbles(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!
    if (x === 0) continue
    if (b[i]! < a[i]!) throw new Error('keys out of order')
    return 2 * i + (x & 0xf0 ? 0 : 1)
  }
  throw new Error('a key given twice')
}

/** a node to store: its hash (its key) and its encoding */
export type MadeNode = [hash: Uint8Array, encoded: Uint8Array]

/** The nodes a StackTrie made since the last `take()`. */
export interface MadeNodes {
  /** nodes of closed subtrees: final, never read back while building */
  closed: MadeNode[]
  /** the nodes of the path to the last key, made by `root()`: the ones read to check a range against the root */
  open: MadeNode[]
}

export class StackTrie {
  private stack: Frame[] = []
  private loose: Loose | undefined
  private made: MadeNodes = { closed: [], open: [] }
  /** `reference` is making the open path's nodes (root()) */
  private opening = false

  constructor(
    private readonly keccak: (data: Uint8Array) => Uint8Array,
    private readonly emptyRoot: Uint8Array,
  ) {}

  /** Adds a leaf; its key must come after every key added so far. */
  add(key: Uint8Array, value: Uint8Array): void {
    if (key.length * 2 !== KEY_NIBBLES) throw new Error(`a key of ${key.length} bytes, want ${KEY_NIBBLES / 2}`)
    if (value.length === 0) throw new Error('a leaf without a value')
    const loose = this.loose
    if (loose === undefined) {
      this.loose = { leaf: true, key, value }
      return
    }
    const last = loose.key
    const at = sharedNibbles(last, key)
    // the open branches below nibble `at` hold no key to come: close them, deepest first
    let node: Loose = loose
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.depth > at) {
      const f = this.stack.pop()!
      this.attach(f.children, f.depth, node)
      node = { leaf: false, key: last, depth: f.depth, items: [...f.children, EMPTY] }
    }
    // the new key leaves the last one's path at `at`: the branch there takes what is closed
    let top = this.stack[this.stack.length - 1]
    if (top === undefined || top.depth < at) {
      top = { depth: at, children: new Array<RlpItem>(16).fill(EMPTY) }
      this.stack.push(top)
    }
    this.attach(top.children, at, node)
    this.loose = { leaf: true, key, value }
  }

  /**
   * The root of the leaves added so far. The open path's nodes are made for it (and handed over
   * with the rest at `take()`: the trie must be readable at this root); the builder goes on
   * unchanged, so they are made again, with what follows, when the path closes.
   */
  root(): Uint8Array {
    let node = this.loose
    if (node === undefined) return this.emptyRoot
    this.opening = true
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i]!
      const children = f.children.slice()
      this.attach(children, f.depth, node)
      node = { leaf: false, key: node.key, depth: f.depth, items: [...children, EMPTY] }
    }
    // the root is stored under its hash even when its encoding is short
    const encoded = encodeRlp(this.placed(node, 0))
    this.opening = false
    const hash = this.keccak(encoded)
    this.made.open.push([hash, encoded])
    return hash
  }

  /** the nodes made since the last call, to be stored under their hashes */
  take(): MadeNodes {
    const made = this.made
    this.made = { closed: [], open: [] }
    return made
  }

  save(): StackTrieState {
    return { stack: this.stack.map((f) => ({ depth: f.depth, children: f.children.slice() })), loose: this.loose }
  }

  /** back to a saved state (nodes made since stay made: unreferenced) */
  restore(s: StackTrieState): void {
    this.stack = s.stack.map((f) => ({ depth: f.depth, children: f.children.slice() }))
    this.loose = s.loose
  }

  /** hangs `loose` (a subtree on its key's path) under the branch of `children` splitting at nibble `depth` */
  private attach(children: RlpItem[], depth: number, loose: Loose): void {
    children[nibble(loose.key, depth)] = this.reference(this.placed(loose, depth + 1))
  }

  /** the node `loose` is when its parent's path ends at nibble `from` */
  private placed(loose: Loose, from: number): RlpItem[] {
    if (loose.leaf) return [hexPrefixOf(loose.key, from, KEY_NIBBLES, true), loose.value]
    if (from === loose.depth) return loose.items
    return [hexPrefixOf(loose.key, from, loose.depth, false), this.reference(loose.items)]
  }

  /** what a parent holds for `node`: the node itself when its encoding is under 32 bytes, else its hash (the node is made) */
  private reference(node: RlpItem[]): RlpItem {
    const encoded = encodeRlp(node)
    if (encoded.length < HASH_BYTES) return node
    const hash = this.keccak(encoded)
    ;(this.opening ? this.made.open : this.made.closed).push([hash, encoded])
    return hash
  }
}
