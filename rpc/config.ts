/**
 * Options of the JSON-RPC server and their defaults, in one place. The defaults follow geth
 * (`--http.*`, `--ws.*`, `--rpc.*` flags); `nfc node` exposes each of them as a `--rpc-*` flag.
 *
 * Limits that other parts of the RPC layer enforce (WS subscriptions per connection, installed
 * filters per node) travel to every handler as `ctx.limits` (see the augmentation of RpcContext
 * below), with the error to throw when they are hit (`tooManySubscriptions`, `tooManyFilters`).
 */
import type { NfcError } from '../src/util/errors.js'
import type { Logger } from '../src/util/logger.js'
import type { BuildInfo, HealthReport, SlotMetricsSnapshot, TrafficSnapshot } from '../src/node/interface.js'
import { RpcErrorCode, rpcError } from './errors.js'
import type { RpcContext, RpcMethod } from './types.js'

/** Limits handlers enforce themselves; the server puts them on every call's context. */
export interface RpcLimits {
  /** most live eth_subscribe subscriptions on one WebSocket connection (default 128) */
  maxSubscriptionsPerConnection: number
  /** most installed filters (eth_newFilter, eth_newBlockFilter, …) on the whole node (default 1000) */
  maxFilters: number
  /** eth_sendRawTransactionSync: the wait when the caller names none or an invalid one (default 2000 ms, EIP-7966's recommendation) */
  txSyncDefaultTimeoutMs?: number
  /** eth_sendRawTransactionSync: the longest wait a caller may ask for; longer asks are cut to it (default 60000 ms) */
  txSyncMaxTimeoutMs?: number
}

declare module './types.js' {
  interface RpcContext {
    /**
     * Per-server limits that handlers enforce (set by `startRpcServer` on every call, HTTP and
     * WS): the subscription code refuses an eth_subscribe past `maxSubscriptionsPerConnection`
     * on `ctx.connection` with `tooManySubscriptions`, the filter code refuses a new filter past
     * `maxFilters` with `tooManyFilters`.
     */
    limits: RpcLimits
  }
}

/** Read lazily at each /metrics scrape (the RPC layer never imports the Node class). */
export interface NodeMetricsSnapshot {
  /** head block number */
  head: bigint | number
  /** finalized block number (= head until DPoS finality exists) */
  finalized: bigint | number
  /** executable transactions in the pool */
  pending: number
  /** transactions waiting behind a nonce gap */
  queued: number
  /** connected peers */
  peers: number
  /** the seated witnesses' counters and trust (as of the last block) */
  witnesses?: { address: string; produced: bigint; missed: bigint; trust: bigint }[]
  /** a witness node's own slots, from its producer (absent on a follower) */
  producer?: SlotMetricsSnapshot
  /** P2P bytes and frames by direction and message type (absent without P2P) */
  p2pTraffic?: TrafficSnapshot
  // ---- P2P connection management (issue 15: limits and bans)
  /** refusals and bans by reason, peers in and out, pending handshakes (absent without P2P) */
  p2pConnections?: P2pConnectionsSnapshot
}

/** src/p2p/connectionGate.ts `GateStats`, as /metrics reads it */
export interface P2pConnectionsSnapshot {
  refused: Record<string, number>
  bans: Record<string, number>
  inboundPeers: number
  outboundPeers: number
  pendingInbound: number
  bannedNodes: number
  bannedIps: number
}

export interface RpcServerOptions {
  /** what this build is: /metrics shows it as `nfc_build_info` (value 1, the facts as labels) */
  buildInfo?: BuildInfo
  /** GET /health: the node's report, read at each request (200 when ok, else 503); absent: always ok */
  health?: () => HealthReport
  host: string
  /** 0 = ephemeral */
  port: number
  methods: Map<string, RpcMethod<any, any>>
  /** `connection` and `limits` are filled in by the server */
  context: Omit<RpcContext, 'connection' | 'limits'>
  logger: Logger
  /** largest HTTP body or WS message in bytes (default 5 MiB, like geth); over it: HTTP 413, WS close 1009 */
  maxBodyBytes?: number
  /** most requests in a batch (default 1000, like geth's --rpc.batch-request-limit); over it: -32600 "batch too large" */
  maxBatch?: number
  /** largest response or batch of responses in bytes (default 25 MiB, like geth's --rpc.batch-response-max-size); over it: -32003 "response too large" */
  maxResponseBytes?: number
  /** see RpcLimits (default 128) */
  maxSubscriptionsPerConnection?: number
  /** see RpcLimits (default 1000) */
  maxFilters?: number
  /** see RpcLimits (default 2000) */
  txSyncDefaultTimeoutMs?: number
  /** see RpcLimits (default 60000) */
  txSyncMaxTimeoutMs?: number
  /**
   * Allowed browser origins, for CORS on HTTP and the Origin check of WS upgrades. `*` allows
   * any origin; entries are compared case-insensitively with the whole Origin header
   * (scheme://host[:port]).
   *
   * - `[]` (geth's default, what `nfc node` passes without --rpc-cors): no CORS header on HTTP,
   *   so browsers on other origins cannot read answers; WS accepts clients without an Origin
   *   header (not a browser) and browser pages on localhost/127.0.0.1/[::1] (any port), like
   *   geth's --ws.origins default.
   * - absent: the same as `[]` (safe by default; a caller that wants CORS opts in, e.g. `['*']`).
   */
  cors?: string[]
  /**
   * Host allow-list (geth's --http.vhosts), checked against the Host header of every HTTP
   * request and WS upgrade; others get 403 "invalid host specified". As in geth, a Host that
   * is an IP address (any port) or an empty Host is always accepted, `*` accepts every host,
   * and names compare case-insensitively without the port.
   *
   * - `['localhost']`: geth's default, what `nfc node` passes without --rpc-vhosts.
   * - absent: `['*']` — kept for programmatic callers (tests) that predate this option file.
   */
  vhosts?: string[]
  /**
   * Admission control (admission.ts): most JSON-RPC calls in flight at once, HTTP and WS together,
   * each call of a batch counting as one (default 4096; 0: no bound). Calls past it are answered
   * -32005 "limit exceeded" without running (a batch runs the calls that got a slot, in order).
   */
  maxInflight?: number
  /**
   * Event-loop lag in ms past which new calls are answered -32005 (default 250; 0: off): judged
   * on LAG_PROBES consecutive probes, so one long task (a block commit) sheds nothing.
   */
  maxLagMs?: number
  /**
   * Most bytes a WS client may leave unread in the server's send buffer (default 32 MiB); past
   * it, the connection is cut (a client that never reads would otherwise hold memory without end).
   * A message is always sent to an empty buffer, so one answer up to maxResponseBytes goes out.
   */
  wsMaxBufferedBytes?: number
  /** WS ping interval; a client that missed the previous pong is dropped (default 30 s) */
  wsPingIntervalMs?: number
  /** gauges read at each GET /metrics; absent: the node gauges are not exported */
  nodeStats?: () => NodeMetricsSnapshot
}

export const rpcDefaults = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxBatch: 1000,
  maxResponseBytes: 25 * 1024 * 1024,
  maxSubscriptionsPerConnection: 128,
  maxFilters: 1000,
  /** geth: no CORS header unless --http.corsdomain is given */
  cors: [] as string[],
  /** geth: --http.vhosts localhost */
  vhosts: ['localhost'],
  wsPingIntervalMs: 30_000,
  txSyncDefaultTimeoutMs: 2_000,
  txSyncMaxTimeoutMs: 60_000,
  maxInflight: 4096,
  maxLagMs: 250,
  wsMaxBufferedBytes: 32 * 1024 * 1024,
} as const

/** -32005 "too many subscriptions…": what the subscription code throws past the limit. */
export function tooManySubscriptions(limit: number): NfcError {
  return rpcError(RpcErrorCode.Limit, `too many subscriptions on this connection (limit ${limit})`, { limit })
}

/** -32005 "too many filters…": what the filter code throws past the limit. */
export function tooManyFilters(limit: number): NfcError {
  return rpcError(RpcErrorCode.Limit, `too many filters installed (limit ${limit})`, { limit })
}

/** geth's vhost rule. `host` is the raw Host header. */
export function hostAllowed(vhosts: ReadonlySet<string>, host: string | undefined): boolean {
  if (host === undefined || host === '' || vhosts.has('*')) return true
  let name = host.trim().toLowerCase()
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(name)
  if (bracketed) return isIp(bracketed[1]!) || vhosts.has(bracketed[1]!)
  // exactly one colon: name:port; more than one: a bare IPv6 address
  const colons = name.split(':').length - 1
  if (colons === 1) name = name.slice(0, name.indexOf(':'))
  if (isIp(name)) return true
  return vhosts.has(name)
}

function isIp(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(s)) return true
  return s.includes(':') && /^[0-9a-f:.]+$/.test(s)
}

const localOrigin = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/

/** Origin rule for WS upgrades (see RpcServerOptions.cors). */
export function wsOriginAllowed(origins: readonly string[], origin: string | undefined): boolean {
  if (origin === undefined) return true
  const o = origin.toLowerCase()
  if (origins.length === 0) return localOrigin.test(o)
  return origins.includes('*') || origins.includes(o)
}

/** CORS rule for HTTP: the Access-Control-Allow-Origin value to send, or undefined for none. */
export function corsAllowOrigin(origins: readonly string[], origin: string | undefined): string | undefined {
  if (origin === undefined || origins.length === 0) return undefined
  if (origins.includes('*')) return '*'
  return origins.includes(origin.toLowerCase()) ? origin : undefined
}
