/**
 * The root of an Ethereum "ordered trie" (yellow paper §4.3, geth's DeriveSha): the Merkle
 * Patricia Trie of key RLP(i) → item i. transactionsRoot and receiptsRoot are such roots, so
 * a standard MPT proof of a transaction or receipt verifies against a header of this chain.
 *
 * Built in one pass over the keys in sorted order, like geth's StackTrie: every key is known up
 * front, so each node is encoded and hashed exactly once and nothing is stored. A general MPT
 * (@ethereumjs/mpt) does 4,000 inserts with node lookups and re-hashes instead; the bench
 * `receipts` group prints both.
 */
import { core } from '../core/index.js'
import { unpaddedBytes } from '../util/bytes.js'
import { encodeRlp, type RlpItem } from '../util/rlpView.js'

/** keccak256(RLP("")): the root of an empty trie, as Ethereum's */
export const EMPTY_TRIE_ROOT = core.keccak256(Uint8Array.of(0x80))

/** RLP of a non-negative integer: the trie key of position `i`. */
export function rlpIndex(i: number): Uint8Array {
  return encodeRlp(unpaddedBytes(BigInt(i)))
}

/** an empty branch slot: the empty string (RLP 0x80) */
const EMPTY = new Uint8Array(0)

/** Hex-prefix encoding (yellow paper appendix C) of nibbles[from, to). */
function hexPrefix(nibbles: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const n = to - from
  const odd = n % 2
  const out = new Uint8Array(1 + ((n - odd) >> 1))
  out[0] = ((leaf ? 2 : 0) + odd) << 4
  let i = from
  if (odd === 1) out[0] |= nibbles[i++]
  for (let j = 1; j < out.length; j++, i += 2) out[j] = (nibbles[i] << 4) | nibbles[i + 1]
  return out
}

/** How a node appears inside its parent: inline when its RLP is shorter than 32 bytes, else its hash. */
function reference(node: RlpItem): RlpItem {
  const encoded = encodeRlp(node)
  return encoded.length < 32 ? node : core.keccak256(encoded)
}

function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2)
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i] >> 4
    out[2 * i + 1] = key[i] & 15
  }
  return out
}

interface Entry {
  nibbles: Uint8Array
  value: Uint8Array
}

/** The node holding entries[lo, hi) (sorted, sharing their first `depth` nibbles), as RLP items. */
function nodeOf(entries: Entry[], lo: number, hi: number, depth: number): RlpItem {
  const first = entries[lo]
  if (hi - lo === 1) return [hexPrefix(first.nibbles, depth, first.nibbles.length, true), first.value]
  // sorted: the prefix common to all is the one the first and last share
  const last = entries[hi - 1]
  let common = depth
  while (common < first.nibbles.length && common < last.nibbles.length && first.nibbles[common] === last.nibbles[common]) common++
  if (common > depth) return [hexPrefix(first.nibbles, depth, common, false), reference(nodeOf(entries, lo, hi, common))]
  const slots: RlpItem[] = new Array<RlpItem>(17).fill(EMPTY)
  let i = lo
  // a key that ends here sorts first and is the branch's value
  if (first.nibbles.length === depth) {
    slots[16] = first.value
    i++
  }
  while (i < hi) {
    const nibble = entries[i].nibbles[depth]
    let j = i + 1
    while (j < hi && entries[j].nibbles[depth] === nibble) j++
    slots[nibble] = reference(nodeOf(entries, i, j, depth + 1))
    i = j
  }
  return slots
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

/** Root of the trie of `entries` (distinct keys, any order). */
export function trieRoot(entries: { key: Uint8Array; value: Uint8Array }[]): Uint8Array {
  if (entries.length === 0) return EMPTY_TRIE_ROOT
  const sorted = [...entries].sort((a, b) => compareBytes(a.key, b.key)).map((e) => ({ nibbles: toNibbles(e.key), value: e.value }))
  return core.keccak256(encodeRlp(nodeOf(sorted, 0, sorted.length, 0)))
}

/** Root of the ordered trie of `items`: key RLP(i) → items[i]. */
export function orderedTrieRoot(items: readonly Uint8Array[]): Uint8Array {
  return trieRoot(items.map((value, i) => ({ key: rlpIndex(i), value })))
}
