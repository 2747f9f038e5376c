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
 */
import { bytesToHex } from '@ethereumjs/util'
import type { SnapRange, SnapServer } from '../p2p/snapProtocol.js'
import { StateErrorCode } from '../state/errors.js'
import { readRange } from '../state/snapRange.js'
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

/** A SnapServer over the chain's state. */
export function snapServer(chain: Blockchain, logger: Logger): SnapServer {
  const read = (k: string) => chain.state.store.get(k)
  const readMany = (keys: readonly string[]) => chain.state.store.getMany(keys)
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

  return {
    accountRange: (root, origin, maxBytes) => guarded(root, () => readRange(read, root, origin, maxBytes, readMany)),
    storageRange: (root, account, origin, maxBytes) =>
      guarded(root, async () => {
        const leaf = await readRange(read, root, account, 1)
        const found = leaf.keys[0]
        // an account that does not exist has no storage: an empty range proven against the empty root
        if (found === undefined || Buffer.compare(found, account) !== 0) return { keys: [], values: [], proof: [] }
        const storageRoot = (decodeRlpView(leaf.values[0]!) as Uint8Array[])[ACCOUNT_STORAGE_ROOT]!
        return readRange(read, storageRoot, origin, maxBytes, readMany)
      }),
    async byteCodes(hashes, maxBytes) {
      const codes: Uint8Array[] = []
      let bytes = 0
      for (const code of await readMany(hashes.map((h) => CODE_KEY_PREFIX + hexNoPrefix(h)))) {
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
