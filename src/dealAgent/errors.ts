/**
 * Error codes of the storage agents (`nfc storage provide` / `put` / `get`): uploads the provider
 * refuses, downloads the client refuses, and chunks the provider cannot prove. The HTTP protocol
 * (protocol.ts) carries a refusal's code to the other side in its JSON body.
 */
import { NfcError } from '../util/errors.js'

export const DealAgentErrorCode = {
  /** the deal id is not a deal on chain (or not one this provider holds) */
  DEAL_UNKNOWN: 'DEAL_UNKNOWN',
  /** the deal is not in the state the request needs (an upload for a deal not Posted, a download of one not stored) */
  DEAL_WRONG_STATE: 'DEAL_WRONG_STATE',
  /** the deal names another provider */
  DEAL_NOT_MINE: 'DEAL_NOT_MINE',
  /** the bytes received hash to another root than the deal's */
  ROOT_MISMATCH: 'ROOT_MISMATCH',
  /** more or fewer bytes than the deal's size */
  SIZE_MISMATCH: 'SIZE_MISMATCH',
  /** a deal larger than the provider takes (--max-bytes), or a file larger than an offer has room for */
  TOO_LARGE: 'TOO_LARGE',
  /** the provider is receiving as many uploads as it takes at once */
  BUSY: 'BUSY',
  /** a chunk on disk is missing, or its hash is not the deal's leaf */
  CHUNK_BAD: 'CHUNK_BAD',
  /** a chunk index outside the deal */
  CHUNK_INDEX: 'CHUNK_INDEX',
  /** a request the protocol does not have (path, method) */
  BAD_REQUEST: 'BAD_REQUEST',
  /** the provider's answer breaks the protocol (a status, a missing header) */
  PROTOCOL: 'PROTOCOL',
} as const
export type DealAgentErrorCode = (typeof DealAgentErrorCode)[keyof typeof DealAgentErrorCode]

export class DealAgentError extends NfcError<DealAgentErrorCode> {}
