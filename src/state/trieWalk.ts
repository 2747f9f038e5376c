/**
 * Walks the state tries under a root: the account trie and, through each account's
 * `storageRoot`, its storage trie. Nodes are addressed by their keccak (hex, as the node store
 * keys them); a child whose encoding is shorter than 32 bytes is embedded in its parent and has
 * no key of its own. Used by the pruner (marking what a retained root reaches) and by checks
 * that a root is complete. Contract code (keys `c ‖ codeHash` in the same store) is not a trie
 * node and is never walked.
 */
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { NfcError } from '../util/errors.js'
import { StateErrorCode } from './errors.js'

/** keccak256(RLP("")): the root of an empty trie, never stored */
export const EMPTY_TRIE_ROOT_HEX = '56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'
/** a hash reference (shorter encodings are embedded) */
const HASH_BYTES = 32
/** RLP items of a branch node: 16 children and a value */
const BRANCH_ITEMS = 17
/** index of `storageRoot` in an account's RLP [nonce, balance, storageRoot, codeHash] */
const ACCOUNT_STORAGE_ROOT = 2

type RlpItem = Uint8Array | RlpItem[]

/** reads one stored node by its key (hex, no 0x) */
export type NodeReader = (key: string) => Promise<Uint8Array | undefined>

/**
 * Adds to `marked` the key of every node reachable from the state root `root` (hex, no 0x).
 * A node already in `marked` is not walked again: nodes are content-addressed, so its subtree was
 * (or is being) walked. Throws STATE_MISSING_NODE when a reachable node is not stored.
 */
export async function markState(read: NodeReader, root: string, marked: Set<string>): Promise<void> {
  await markTrie(read, root, marked, true)
}

/** Every node key reachable from `root`, and the number of nodes (throws STATE_MISSING_NODE like markState). */
export async function stateNodes(read: NodeReader, root: string): Promise<Set<string>> {
  const marked = new Set<string>()
  await markState(read, root, marked)
  return marked
}

async function markTrie(read: NodeReader, root: string, marked: Set<string>, accounts: boolean): Promise<void> {
  if (root === EMPTY_TRIE_ROOT_HEX) return
  const storageRoots: string[] = []
  const stack: string[] = [root]
  while (stack.length > 0) {
    const k = stack.pop()!
    if (marked.has(k)) continue
    const bytes = await read(k)
    if (bytes === undefined) throw new NfcError(StateErrorCode.MissingNode, `trie node ${k} is missing (under root ${root})`, { node: k, root })
    marked.add(k)
    visitNode(RLP.decode(bytes) as RlpItem, stack, accounts ? storageRoots : undefined)
  }
  for (const s of storageRoots) await markTrie(read, s, marked, false)
}

/** Pushes the hashed children of a decoded node; for account leaves, collects their storage roots. */
function visitNode(node: RlpItem, stack: string[], storageRoots: string[] | undefined): void {
  if (!Array.isArray(node)) return
  if (node.length === BRANCH_ITEMS) {
    for (let i = 0; i < 16; i++) visitChild(node[i]!, stack, storageRoots)
    return
  }
  const path = node[0] as Uint8Array
  const isLeaf = path[0]! >> 4 >= 2
  if (!isLeaf) return visitChild(node[1]!, stack, storageRoots)
  if (storageRoots === undefined) return
  const account = RLP.decode(node[1] as Uint8Array) as Uint8Array[]
  const storageRoot = bytesToHex(account[ACCOUNT_STORAGE_ROOT]!).slice(2)
  if (storageRoot !== EMPTY_TRIE_ROOT_HEX) storageRoots.push(storageRoot)
}

function visitChild(child: RlpItem, stack: string[], storageRoots: string[] | undefined): void {
  if (Array.isArray(child)) return visitNode(child, stack, storageRoots) // embedded
  if (child.length === HASH_BYTES) stack.push(bytesToHex(child).slice(2))
}
