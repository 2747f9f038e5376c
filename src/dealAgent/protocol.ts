/**
 * The storage agents' HTTP protocol (the provider serves it, `nfc storage put|get` use it):
 *
 * - `PUT /deals/<id>`: the file of a Posted deal naming the provider, exactly its size bytes
 *   (Content-Length required). The provider hashes it as it arrives, keeps it only when its root
 *   is the deal's, accepts the deal on chain, then answers 200 `{ "id", "accepted": TX_HASH }`.
 * - `GET /deals/<id>`: the stored file (application/octet-stream, as stored: the client checks it).
 * - `GET /deals/<id>/leaves`: the leaves of its tree, 32 bytes each (the client checks their root
 *   against the deal's, then each chunk of the file against its leaf as it arrives).
 * - `GET /deals/<id>/chunk/<i>`: chunk i, checked by the provider, with its Merkle proof in the
 *   `x-nfc-proof` header (comma-separated 0x siblings, bottom-up) and the leaf count in
 *   `x-nfc-leaf-count`.
 *
 * A refusal is a 4xx/5xx answer whose JSON body is `{ "error": { "code", "message" } }`, the code
 * one of DealAgentErrorCode.
 */
import { DealAgentError, DealAgentErrorCode } from './errors.js'

export const PROOF_HEADER = 'x-nfc-proof'
export const LEAF_COUNT_HEADER = 'x-nfc-leaf-count'

/** the HTTP status of each refusal */
export const STATUS_OF: Record<DealAgentErrorCode, number> = {
  DEAL_UNKNOWN: 404,
  DEAL_WRONG_STATE: 409,
  DEAL_NOT_MINE: 403,
  ROOT_MISMATCH: 422,
  SIZE_MISMATCH: 400,
  TOO_LARGE: 413,
  BUSY: 503,
  CHUNK_BAD: 500,
  CHUNK_INDEX: 404,
  BAD_REQUEST: 400,
  PROTOCOL: 502,
}

/** a request's route, or null for a path the protocol does not have */
export type Route = { kind: 'deal'; id: string } | { kind: 'leaves'; id: string } | { kind: 'chunk'; id: string; index: number }

export function routeOf(path: string): Route | null {
  const m = /^\/deals\/(0|[1-9]\d{0,77})(?:\/(leaves)|\/chunk\/(0|[1-9]\d{0,9}))?$/.exec(path)
  if (m === null) return null
  if (m[2] === 'leaves') return { kind: 'leaves', id: m[1]! }
  if (m[3] !== undefined) return { kind: 'chunk', id: m[1]!, index: Number(m[3]) }
  return { kind: 'deal', id: m[1]! }
}

/** the JSON body of a refusal */
export function errorBody(e: DealAgentError): string {
  return JSON.stringify({ error: { code: e.code, message: e.message } })
}

/** the DealAgentError of a refusal's answer (PROTOCOL when the body is not one) */
export async function errorOfResponse(res: Response, what: string): Promise<DealAgentError> {
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } }
    const code = body.error?.code
    if (code !== undefined && code in DealAgentErrorCode && typeof body.error?.message === 'string') {
      return new DealAgentError(code as DealAgentErrorCode, `${what}: the provider refused: ${body.error.message}`, { status: res.status })
    }
  } catch {
    // not JSON: reported below
  }
  return new DealAgentError('PROTOCOL', `${what}: the provider answered HTTP ${res.status} ${text.slice(0, 200)}`, { status: res.status })
}
