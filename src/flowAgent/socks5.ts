/**
 * The SOCKS5 server side the provider agent speaks on every stream of a consumer's tunnel
 * (RFC 1928): method negotiation with "no authentication" only, then one CONNECT request to an
 * IPv4, IPv6 or domain-name target. Pure and incremental: each parser takes the bytes received
 * so far and answers `incomplete` (wait for more), `ok` (with the bytes it used) or throws an
 * AgentError whose `meta.reply` is the reply code to send before closing (absent: close at once).
 */
import { isIPv4, isIPv6 } from 'node:net'
import { AgentError, AgentErrorCode } from './errors.js'

export const SOCKS_VERSION = 5
/** the one authentication method served: none */
export const METHOD_NO_AUTH = 0x00
/** the method-selection answer that refuses every offered method */
export const METHOD_NONE_ACCEPTABLE = 0xff
export const CMD_CONNECT = 0x01
export const ATYP_IPV4 = 0x01
export const ATYP_DOMAIN = 0x03
export const ATYP_IPV6 = 0x04
/** the longest domain name DNS can hold (RFC 1035: 255 octets on the wire, 253 characters written) and its longest label */
export const MAX_DOMAIN_CHARS = 253
export const MAX_LABEL_CHARS = 63

/** RFC 1928 §6 reply codes */
export const Reply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const

export type Parsed<T> = { kind: 'incomplete' } | { kind: 'ok'; value: T; used: number }

const INCOMPLETE = { kind: 'incomplete' } as const

/** A CONNECT request's target: `host` is dotted IPv4, an IPv6 address or a domain name. */
export interface SocksTarget {
  host: string
  port: number
  atyp: typeof ATYP_IPV4 | typeof ATYP_DOMAIN | typeof ATYP_IPV6
}

/** VER NMETHODS METHODS…: the methods offered. Throws unless version 5 with "no authentication" offered. */
export function parseGreeting(buf: Uint8Array): Parsed<number[]> {
  if (buf.length < 1) return INCOMPLETE
  if (buf[0] !== SOCKS_VERSION) throw new AgentError(AgentErrorCode.SOCKS_BAD_VERSION, `SOCKS version ${buf[0]} in the greeting, expected 5`)
  if (buf.length < 2) return INCOMPLETE
  const n = buf[1]!
  if (buf.length < 2 + n) return INCOMPLETE
  const methods = [...buf.subarray(2, 2 + n)]
  if (!methods.includes(METHOD_NO_AUTH)) {
    throw new AgentError(AgentErrorCode.SOCKS_NO_ACCEPTABLE_METHOD, `the client offers methods [${methods.join(', ')}], not "no authentication" (0)`, {
      methodReply: METHOD_NONE_ACCEPTABLE,
    })
  }
  return { kind: 'ok', value: methods, used: 2 + n }
}

/** The server's method selection: version 5, `method`. */
export function methodReply(method: number): Uint8Array {
  return Uint8Array.of(SOCKS_VERSION, method)
}

/** VER CMD RSV ATYP DST.ADDR DST.PORT: a CONNECT target. Other commands and address types throw with their reply code. */
export function parseRequest(buf: Uint8Array): Parsed<SocksTarget> {
  if (buf.length < 1) return INCOMPLETE
  if (buf[0] !== SOCKS_VERSION) {
    throw new AgentError(AgentErrorCode.SOCKS_BAD_VERSION, `SOCKS version ${buf[0]} in the request, expected 5`, { reply: Reply.GENERAL_FAILURE })
  }
  if (buf.length < 4) return INCOMPLETE
  const cmd = buf[1]!
  if (cmd !== CMD_CONNECT) {
    throw new AgentError(AgentErrorCode.SOCKS_UNSUPPORTED_COMMAND, `SOCKS command ${cmd} is not served (only CONNECT, 1)`, {
      reply: Reply.COMMAND_NOT_SUPPORTED,
    })
  }
  const atyp = buf[3]!
  let host: string
  let end: number
  if (atyp === ATYP_IPV4) {
    end = 4 + 4
    if (buf.length < end + 2) return INCOMPLETE
    host = [...buf.subarray(4, 8)].join('.')
  } else if (atyp === ATYP_IPV6) {
    end = 4 + 16
    if (buf.length < end + 2) return INCOMPLETE
    const groups: string[] = []
    for (let i = 4; i < end; i += 2) groups.push(((buf[i]! << 8) | buf[i + 1]!).toString(16))
    host = groups.join(':')
  } else if (atyp === ATYP_DOMAIN) {
    if (buf.length < 5) return INCOMPLETE
    const len = buf[4]!
    if (len === 0) throw new AgentError(AgentErrorCode.SOCKS_BAD_ADDRESS, 'an empty domain name', { reply: Reply.ADDRESS_TYPE_NOT_SUPPORTED })
    end = 5 + len
    if (buf.length < end + 2) return INCOMPLETE
    host = Buffer.from(buf.subarray(5, end)).toString('latin1')
    if (!/^[\x21-\x7e]+$/.test(host)) {
      throw new AgentError(AgentErrorCode.SOCKS_BAD_ADDRESS, 'a domain name with spaces or non-ASCII bytes', { reply: Reply.ADDRESS_TYPE_NOT_SUPPORTED })
    }
    const name = host.endsWith('.') ? host.slice(0, -1) : host
    if (name.length > MAX_DOMAIN_CHARS || name.split('.').some((label) => label.length > MAX_LABEL_CHARS)) {
      throw new AgentError(
        AgentErrorCode.SOCKS_BAD_ADDRESS,
        `a domain name of ${len} bytes or with a label above ${MAX_LABEL_CHARS}: no such host can exist (not looked up)`,
        { reply: Reply.HOST_UNREACHABLE },
      )
    }
  } else {
    throw new AgentError(AgentErrorCode.SOCKS_BAD_ADDRESS, `SOCKS address type ${atyp} (expected 1 IPv4, 3 domain name or 4 IPv6)`, {
      reply: Reply.ADDRESS_TYPE_NOT_SUPPORTED,
    })
  }
  const port = (buf[end]! << 8) | buf[end + 1]!
  return { kind: 'ok', value: { host, port, atyp }, used: end + 2 }
}

/** VER REP RSV ATYP BND.ADDR BND.PORT: the reply, bound to `bound` (an IPv4/IPv6 address) or 0.0.0.0:0. */
export function encodeReply(reply: number, bound?: { address: string; port: number }): Uint8Array {
  const port = bound?.port ?? 0
  const addr = bound?.address ?? '0.0.0.0'
  if (isIPv6(addr)) {
    const out = new Uint8Array(4 + 16 + 2)
    out.set([SOCKS_VERSION, reply, 0, ATYP_IPV6])
    out.set(ipv6Bytes(addr), 4)
    out.set([port >> 8, port & 0xff], 20)
    return out
  }
  const v4 = isIPv4(addr) ? addr.split('.').map(Number) : [0, 0, 0, 0]
  return Uint8Array.of(SOCKS_VERSION, reply, 0, ATYP_IPV4, ...v4, port >> 8, port & 0xff)
}

function ipv6Bytes(addr: string): Uint8Array {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined]
  const parse = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(':'))
  const h = parse(head)
  const t = parse(tail)
  // an IPv4-mapped tail (::ffff:1.2.3.4) is two groups
  const expand = (gs: string[]) => gs.flatMap((g) => (g.includes('.') ? ipv4Groups(g) : [g]))
  const hs = expand(h)
  const ts = expand(t)
  const groups = tail === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts]
  const out = new Uint8Array(16)
  groups.forEach((g, i) => {
    const v = parseInt(g, 16)
    out[2 * i] = v >> 8
    out[2 * i + 1] = v & 0xff
  })
  return out
}

function ipv4Groups(v4: string): string[] {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number]
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
}

/** The reply code for a failed connection to the target, by its errno code. */
export function replyForError(code: string | undefined): number {
  switch (code) {
    case 'ECONNREFUSED':
      return Reply.CONNECTION_REFUSED
    case 'ENETUNREACH':
      return Reply.NETWORK_UNREACHABLE
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return Reply.HOST_UNREACHABLE
    case 'ETIMEDOUT':
      return Reply.TTL_EXPIRED
    default:
      return Reply.GENERAL_FAILURE
  }
}
