import { NfcError } from '../util/errors.js'

/** Error codes of the world state (rpc/errors.ts sends every `STATE_` code as -32000). */
export const StateErrorCode = {
  /** the state at a block older than the pruned node keeps (DESIGN §10): only an archive node has it */
  Pruned: 'STATE_PRUNED',
  /** a trie node a retained root reaches is not in the database (a damaged or wrongly pruned store) */
  MissingNode: 'STATE_MISSING_NODE',
  /** a snapshot-sync range whose Merkle proof does not hold against its root (src/state/snapRange.ts) */
  BadRangeProof: 'STATE_BAD_RANGE_PROOF',
  /** the state at a block below the pivot of the snapshot sync this node started from: never downloaded */
  NotDownloaded: 'STATE_NOT_DOWNLOADED',
} as const
export type StateErrorCode = (typeof StateErrorCode)[keyof typeof StateErrorCode]

/** A query for the state at a block whose trie nodes a pruning node no longer keeps. */
export function prunedStateError(number: bigint, oldestKept: bigint): NfcError {
  return new NfcError(
    StateErrorCode.Pruned,
    `historical state unavailable (pruned): block ${number} is older than the oldest state kept (block ${oldestKept}); run with --archive`,
    { number, oldestKept },
  )
}

/**
 * A query for the state at a block below the pivot of this node's snapshot sync: that state was
 * never here (not pruned), so --archive would not bring it back; a full sync or an archive peer has it.
 */
export function notDownloadedStateError(number: bigint, pivot: bigint): NfcError {
  return new NfcError(
    StateErrorCode.NotDownloaded,
    `historical state unavailable: block ${number} is below block ${pivot}, where this node's snapshot sync started: that state was never downloaded ` +
      `(a node synced with --sync full and --archive has it)`,
    { number, pivot },
  )
}
