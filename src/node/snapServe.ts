/**
 * The serving side of snapshot sync (DESIGN §10): account ranges, storage ranges and contract
 * codes from the state this node holds, and blocks' receipts from its block store (any block it
 * has receipts of, a snap-synced node's downloaded history included), for the P2P layer's SnapProtocol.
 *
 * Only the state roots of canonical blocks whose state is kept are served — the last
 * STATE_BLOCKS_KEPT blocks and the last final one on a pruning node (every block on an archive
 * node, but only the window is looked up) — any other root is answered "unavailable". The pruner
 * is not paused: it never deletes a node a retained root reaches, and a range read that still
 * meets a node swept meanwhile (the root left the window during the read) fails with
 * STATE_MISSING_NODE and is answered "unavailable" too. Nodes are content-addressed, so a range
 * read to its end is consistent whatever happened around it.
 *
 * Read ahead: a syncing peer asks for the range after each one it got, from the key after its
 * last one, as soon as that one arrives. So once a range is answered, the next one is read at
 * once (the peer's next request is then answered from it): the peer's trip and its request's
 * read no longer add up for every range of a sync. At most READ_AHEAD_RANGES are held (a few
 * peers syncing at once; each at most SNAP_MAX_ANSWER_BYTES); a range read ahead is read at most
 * once for every range answered, so a peer cannot make this node read more than twice what it asks.
 */
import { bytesToHex } from '@ethereumjs/util'
import type { SnapRange, SnapServer } from '../p2p/snapProtocol.js'
import { StateErrorCode } from '../state/errors.js'
import { nextKey, readRange, type TrieRange } from '../state/snapRange.js'
import { STATE_BLOCKS_KEPT } from '../storage/pruner.js'
import { hexNoPrefix } from '../util/bytes.js'
import { isNfcError } from '../util/errors.js'
import { decodeRlpView } from '../util/rlpView.js'
import type { Logger } from '../util/logger.js'
import type { Blockchain } from './blockchain.js'

/** index of `storageRoot` in an account's RLP [nonce, balance, storageRoot, codeHash] */
const ACCOUNT_STORAGE_ROOT = 2
/** contract code is stored in the trie's key space under `c ‖ codeHash` (ethereumjs prefixCodeHashes) */
const CODE_KEY_PREFIX = '63'

/** ranges read ahead and held for the request that asks for them (each at most one answer's size) */
export const READ_AHEAD_RANGES = 4

/** what a range read is known by: the trie (a state root, or an account of one), the origin, the size */
const rangeKey = (root: Uint8Array, account: Uint8Array | null, origin: Uint8Array, maxBytes: number): string =>
  `${hexNoPrefix(root)}:${account === null ? '' : hexNoPrefix(account)}:${hexNoPrefix(origin)}:${maxBytes}`

/** A SnapServer over the chain's state. */
export function snapServer(chain: Blockchain, logger: Logger): SnapServer {
  const read = (k: string) => chain.state.store.get(k)
  const readMany = (hashes: readonly Uint8Array[]) => chain.state.store.getManyByHash(hashes)
  /** the ranges read ahead, oldest first, by rangeKey */
  const ahead = new Map<string, Promise<SnapRange | undefined>>()

  /**
   * The range of the trie of `root` (or of `account`'s storage in it) from `origin`: the one read
   * ahead for it when there is one (taken), else `read`; then, when it holds keys, the range
   * after it is read ahead with `read` (the oldest held one dropped to make room).
   */
  async function answer(
    root: Uint8Array,
    account: Uint8Array | null,
    origin: Uint8Array,
    maxBytes: number,
    read: (from: Uint8Array) => Promise<SnapRange | undefined>,
  ): Promise<SnapRange | undefined> {
    const key = rangeKey(root, account, origin, maxBytes)
    const held = ahead.get(key)
    ahead.delete(key)
    const range = await (held ?? read(origin))
    const last = range?.keys[range.keys.length - 1]
    const next = last === undefined ? undefined : nextKey(last)
    if (next !== undefined) {
      const nextKeyOf = rangeKey(root, account, next, maxBytes)
      if (!ahead.has(nextKeyOf)) {
        if (ahead.size >= READ_AHEAD_RANGES) ahead.delete(ahead.keys().next().value!)
        const reading = read(next)
        reading.catch(() => {}) // a failed read ahead is read again (and fails) when asked for
        ahead.set(nextKeyOf, reading)
      }
    }
    return range
  }
  /** the served roots (hex) as of one head */
  let served: { head: string; roots: Set<string> } | undefined

  async function servedRoots(): Promise<Set<string>> {
    const head = chain.head
    const headKey = bytesToHex(head.hash)
    if (served?.head === headKey) return served.roots
    const roots = new Set<string>([bytesToHex(head.header.stateRoot), bytesToHex(chain.finalized.header.stateRoot)])
    const windowLow = head.header.number - STATE_BLOCKS_KEPT + 1n
    const low = chain.oldestStateKept() > windowLow ? chain.oldestStateKept() : windowLow
    for (let n = head.header.number - 1n; n >= low && n >= 0n; n--) {
      const h = await chain.headerByNumber(n)
      if (h !== undefined) roots.add(bytesToHex(h.header.stateRoot))
    }
    served = { head: headKey, roots }
    return roots
  }

  /** `fn`'s range, or undefined when the root is not served or a node is gone */
  async function guarded(root: Uint8Array, fn: () => Promise<SnapRange | undefined>): Promise<SnapRange | undefined> {
    if (!(await servedRoots()).has(bytesToHex(root))) return undefined
    try {
      return await fn()
    } catch (e) {
      if (isNfcError(e) && e.code === StateErrorCode.MissingNode) {
        logger.debug('snapshot range unavailable: state swept while reading', { root, error: e.message })
        return undefined
      }
      throw e
    }
  }

  /** one account's storage range: its leaf read first for its storage root */
  async function storageOf(root: Uint8Array, account: Uint8Array, origin: Uint8Array, maxBytes: number): Promise<TrieRange> {
    const leaf = await readRange(read, root, account, 1)
    const found = leaf.keys[0]
    // an account that does not exist has no storage: an empty range proven against the empty root
    if (found === undefined || Buffer.compare(found, account) !== 0) return { keys: [], values: [], proof: [] }
    const storageRoot = (decodeRlpView(leaf.values[0]!) as Uint8Array[])[ACCOUNT_STORAGE_ROOT]!
    return readRange(read, storageRoot, origin, maxBytes, readMany)
  }

  return {
    accountRange: (root, origin, maxBytes) =>
      answer(root, null, origin, maxBytes, (from) => guarded(root, () => readRange(read, root, from, maxBytes, readMany))),
    storageRange: (root, account, origin, maxBytes) =>
      answer(root, account, origin, maxBytes, (from) => guarded(root, () => storageOf(root, account, from, maxBytes))),
    async byteCodes(hashes, maxBytes) {
      const codes: Uint8Array[] = []
      let bytes = 0
      for (const code of await chain.state.store.getMany(hashes.map((h) => CODE_KEY_PREFIX + hexNoPrefix(h)))) {
        if (code === undefined) break
        codes.push(code)
        bytes += code.length
        if (bytes >= maxBytes) break
      }
      return codes
    },
    async receipts(hashes, maxBytes) {
      const out: Uint8Array[] = []
      let bytes = 0
      for (const h of hashes) {
        const encoded = await chain.store.getEncodedReceipts(h)
        if (encoded === undefined) break
        out.push(encoded)
        bytes += encoded.length
        if (bytes >= maxBytes) break
      }
      return out
    },
  }
}
