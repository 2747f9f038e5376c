/**
 * Error codes of the traffic agents (`nfc flow provide` / `consume`): SOCKS5 requests that break
 * RFC 1928, tunnel frames that break the tunnel format (tunnel.ts), and the agents' refusals.
 */
import { NfcError } from '../util/errors.js'

export const AgentErrorCode = {
  /** a SOCKS greeting or request whose version byte is not 5 */
  SOCKS_BAD_VERSION: 'SOCKS_BAD_VERSION',
  /** a SOCKS greeting that does not offer "no authentication" (the only method served) */
  SOCKS_NO_ACCEPTABLE_METHOD: 'SOCKS_NO_ACCEPTABLE_METHOD',
  /** a SOCKS request for BIND or UDP ASSOCIATE, or an unknown command (only CONNECT is served) */
  SOCKS_UNSUPPORTED_COMMAND: 'SOCKS_UNSUPPORTED_COMMAND',
  /** a SOCKS request whose address type is not IPv4, IPv6 or a domain name, or an empty domain name */
  SOCKS_BAD_ADDRESS: 'SOCKS_BAD_ADDRESS',
  /** a tunnel frame or message that breaks the tunnel format (meta.field names the culprit) */
  TUNNEL_BAD_FRAME: 'TUNNEL_BAD_FRAME',
  /** the other end of the tunnel broke the protocol (a message out of turn, an unknown stream) */
  TUNNEL_PROTOCOL: 'TUNNEL_PROTOCOL',
  /** the provider closed the tunnel: the consumer left too many bytes unsigned for too long */
  TUNNEL_UNPAID: 'TUNNEL_UNPAID',
  /** a receipt the consumer refuses to co-sign (meta.reason: which check failed) */
  RECEIPT_REFUSED: 'RECEIPT_REFUSED',
} as const
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode]

export class AgentError extends NfcError<AgentErrorCode> {}
