/**
 * Who may hold a connection to this node (DESIGN §11 "Connections", "Misbehaviour"): the
 * bookkeeping the transport asks at TCP accept, at the handshake's admit hook and on close.
 * Pure and clock-driven (no sockets), so every rule is tested on a `ManualClock`.
 *
 * - Peer table: at most `maxPeers` established peers, of which at most
 *   ⌊maxPeers × 2/3⌋ inbound; the rest are outbound slots an inbound flood cannot take (geth).
 * - Pending inbound connections (accepted TCP sockets, upgraded or not, whose P2P handshake has
 *   not finished) are capped; when full, a new one evicts the oldest pending connection of the
 *   address holding the most pending ones, so silent connections can never lock a real peer out.
 * - Per address: open inbound connections (pending and established) and new connections per
 *   second (a token bucket on the clock). Addresses are normalised (`::ffff:1.2.3.4` is
 *   1.2.3.4); loopback counts like any address unless the operator exempts it.
 * - Bans: a node id and an address refused until a deadline, inbound and outbound (this node
 *   does not dial a banned address either); an exempt address is never banned (only the node id is).
 */
import { BlockList, isIP } from 'node:net'
import type { Clock } from '../util/clock.js'

/** why a connection was refused or cut before it became a peer (bounded label set for metrics) */
export const RefuseReason = {
  /** the address or node id is banned */
  Banned: 'banned',
  /** the address already holds its share of open connections */
  PerIp: 'per-ip',
  /** the address opens connections faster than its token bucket refills */
  Rate: 'rate',
  /** no free slot (inbound share or the whole peer table) */
  Full: 'full',
  /** a pending connection dropped to make room for a newer one */
  PendingEvicted: 'pending-evicted',
  /** no finished handshake within the deadline */
  HandshakeTimeout: 'handshake-timeout',
  /** more bytes before the handshake than a handshake takes (`handshakeBudget.ts`) */
  HandshakeOversize: 'handshake-oversize',
} as const
export type RefuseReason = (typeof RefuseReason)[keyof typeof RefuseReason]

/** what a ban was for (bounded label set for metrics) */
export const BanReason = {
  /** a frame that breaks the wire format (oversized, truncated, unknown type, text) */
  InvalidFrame: 'invalid-frame',
  /** a handshake that proves malice: bad signature, garbage instead of Hello/HelloAck */
  BadHandshake: 'bad-handshake',
  /** a block that proved invalid (one is enough) */
  InvalidBlock: 'invalid-block',
  /** a transaction or confirmation whose signature is invalid: every node checks signatures
   *  before it relays, so no honest peer passes one on (one is enough) */
  InvalidSignature: 'invalid-signature',
  /** a snapshot-sync answer whose Merkle range proof does not hold, or bytecode that is not its
   *  hash: the proof is checked against a root the asker chose, so no honest peer sends one */
  InvalidProof: 'invalid-proof',
  /** offences that added up to the disconnect score */
  BadScore: 'bad-score',
} as const
export type BanReason = (typeof BanReason)[keyof typeof BanReason]

export interface GateOptions {
  maxPeers: number
  /** accepted TCP sockets whose P2P handshake has not finished */
  maxPendingInbound: number
  /** open inbound connections (pending + established) from one address */
  maxConnectionsPerIp: number
  /** new inbound connections per second one address may open, on average */
  newConnectionsPerIpPerSecond: number
  /** how many it may open at once (the token bucket's size) */
  newConnectionsPerIpBurst: number
  banMs: number
  /** addresses and CIDR ranges the per-address caps and address bans do not apply to */
  exempt: BlockList
}

export const gateDefaults = {
  maxPeers: 50,
  maxPendingInbound: 32,
  maxConnectionsPerIp: 4,
  newConnectionsPerIpPerSecond: 1,
  newConnectionsPerIpBurst: 4,
  banMs: 10 * 60_000,
}

/** most addresses whose token bucket or ban is remembered; beyond it the oldest go first */
const MAX_TRACKED_ADDRESSES = 16_384

const MS_PER_SECOND = 1000

/** one connection the gate counts, from TCP accept (inbound) or dial (outbound) to close */
export interface GateConnection {
  readonly ip: string
  readonly inbound: boolean
  /** clock time it was accepted or dialed */
  readonly since: number
  established: boolean
  closed: boolean
}

export type AcceptResult = { ok: true; conn: GateConnection; evicted: GateConnection | undefined } | { ok: false; reason: RefuseReason }

export type DialResult = { ok: true; conn: GateConnection } | { ok: false; reason: RefuseReason }

export interface GateStats {
  /** connections refused or cut before they became peers, by reason */
  refused: Record<RefuseReason, number>
  /** bans placed, by reason */
  bans: Record<BanReason, number>
  inboundPeers: number
  outboundPeers: number
  /** inbound connections accepted but not yet through the handshake */
  pendingInbound: number
  /** node ids and addresses banned right now */
  bannedNodes: number
  bannedIps: number
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; IPv6 in lower case; anything else as given */
export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return ''
  const a = address.toLowerCase()
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a)
  return mapped ? mapped[1]! : a
}

/**
 * A list of addresses and CIDR ranges ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8") as a
 * BlockList; throws an Error naming the first entry that is neither.
 */
export function parseAddressRules(entries: readonly string[]): BlockList {
  const rules = new BlockList()
  for (const raw of entries) {
    const entry = raw.trim()
    const [addr = '', prefix, extra] = entry.split('/')
    const ip = normalizeIp(addr)
    const family = isIP(ip)
    if (family === 0 || extra !== undefined) throw new Error(`"${raw}" is not an IP address or CIDR range`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) {
      rules.addAddress(ip, type)
      continue
    }
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN
    if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) throw new Error(`"${raw}" has a bad prefix length (IPv4: 0–32, IPv6: 0–128)`)
    rules.addSubnet(ip, bits, type)
  }
  return rules
}

const countBy = <K extends string>(keys: Record<string, K>): Record<K, number> =>
  Object.fromEntries(Object.values(keys).map((k) => [k, 0])) as Record<K, number>

/** a map that forgets its oldest entries past `MAX_TRACKED_ADDRESSES` */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key)
  map.set(key, value)
  while (map.size > MAX_TRACKED_ADDRESSES) map.delete(map.keys().next().value as string)
}

export class ConnectionGate {
  readonly maxInbound: number
  private readonly o: GateOptions
  private readonly clock: Clock
  /** pending inbound connections, oldest first */
  private readonly pending = new Set<GateConnection>()
  private readonly openPerIp = new Map<string, number>()
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly bannedNodes = new Map<string, number>()
  private readonly bannedIps = new Map<string, number>()
  private inboundPeers = 0
  private outboundPeers = 0
  private readonly refused = countBy(RefuseReason)
  private readonly bans = countBy(BanReason)

  constructor(opts: GateOptions, clock: Clock) {
    this.o = opts
    this.clock = clock
    this.maxInbound = Math.floor((opts.maxPeers * 2) / 3)
  }

  isExempt(ip: string): boolean {
    const family = isIP(ip)
    return family !== 0 && this.o.exempt.check(ip, family === 4 ? 'ipv4' : 'ipv6')
  }

  /**
   * A TCP socket from `ip` was accepted: refuse it (banned address, per-address caps), or count
   * it as pending — evicting an older pending connection (returned: the caller closes it) when
   * the pending cap is reached.
   */
  acceptInbound(ip: string): AcceptResult {
    const exempt = this.isExempt(ip)
    if (!exempt && this.banned(this.bannedIps, ip)) return this.refuse(RefuseReason.Banned)
    if (!exempt && (this.openPerIp.get(ip) ?? 0) >= this.o.maxConnectionsPerIp) return this.refuse(RefuseReason.PerIp)
    if (!exempt && !this.takeToken(ip)) return this.refuse(RefuseReason.Rate)
    let evicted: GateConnection | undefined
    if (this.pending.size >= this.o.maxPendingInbound) {
      evicted = this.evictionCandidate()
      if (evicted === undefined) return this.refuse(RefuseReason.Full)
      this.close(evicted)
      this.refused[RefuseReason.PendingEvicted]++
    }
    const conn: GateConnection = { ip, inbound: true, since: this.clock.now(), established: false, closed: false }
    this.pending.add(conn)
    this.openPerIp.set(ip, (this.openPerIp.get(ip) ?? 0) + 1)
    return { ok: true, conn, evicted }
  }

  /**
   * An outbound dial is about to begin: refused if the address is banned (static and learned
   * peers alike), else counted. Not capped otherwise: this node chooses whom it dials.
   */
  dialOutbound(ip: string): DialResult {
    if (!this.isExempt(ip) && this.banned(this.bannedIps, ip)) return this.refuse(RefuseReason.Banned)
    return { ok: true, conn: { ip, inbound: false, since: this.clock.now(), established: false, closed: false } }
  }

  /**
   * The handshake's last word on a peer whose Hello is fine: a reason refuses it. `known` = the
   * node already has an established connection to this node id (a duplicate replaces it and
   * takes no new slot).
   */
  admit(conn: GateConnection, nodeId: string, known: boolean): RefuseReason | undefined {
    if (this.banned(this.bannedNodes, nodeId)) return this.refuse(RefuseReason.Banned).reason
    if (known) return undefined
    if (this.inboundPeers + this.outboundPeers >= this.o.maxPeers) return this.refuse(RefuseReason.Full).reason
    if (conn.inbound && this.inboundPeers >= this.maxInbound) return this.refuse(RefuseReason.Full).reason
    return undefined
  }

  /** the handshake succeeded: the connection takes its peer slot */
  established(conn: GateConnection): void {
    if (conn.closed || conn.established) return
    conn.established = true
    if (conn.inbound) {
      this.pending.delete(conn)
      this.inboundPeers++
    } else {
      this.outboundPeers++
    }
  }

  /** the connection closed, in whatever state: frees its pending place, peer slot and per-address count */
  close(conn: GateConnection): void {
    if (conn.closed) return
    conn.closed = true
    if (conn.established) {
      if (conn.inbound) this.inboundPeers--
      else this.outboundPeers--
    }
    if (!conn.inbound) return
    this.pending.delete(conn)
    const n = (this.openPerIp.get(conn.ip) ?? 1) - 1
    if (n > 0) this.openPerIp.set(conn.ip, n)
    else this.openPerIp.delete(conn.ip)
  }

  /** a pending connection ran out of time (the caller closes it) */
  timedOut(conn: GateConnection): void {
    if (conn.closed || conn.established) return
    this.refused[RefuseReason.HandshakeTimeout]++
    this.close(conn)
  }

  /** a connection sent more before its handshake than a handshake takes (the caller closes it) */
  overBudget(conn: GateConnection): void {
    if (conn.closed || conn.established) return
    this.refused[RefuseReason.HandshakeOversize]++
    this.close(conn)
  }

  /** ban a node id and/or an address for `banMs`; an exempt address is not banned */
  ban(reason: BanReason, who: { nodeId?: string; ip?: string }): { nodeId: boolean; ip: boolean } {
    const until = this.clock.now() + this.o.banMs
    const byNode = who.nodeId !== undefined && who.nodeId !== ''
    const byIp = who.ip !== undefined && who.ip !== '' && !this.isExempt(who.ip)
    if (byNode) remember(this.bannedNodes, who.nodeId!, until)
    if (byIp) remember(this.bannedIps, who.ip!, until)
    if (byNode || byIp) this.bans[reason]++
    return { nodeId: byNode, ip: byIp }
  }

  isBanned(who: { nodeId?: string; ip?: string }): boolean {
    if (who.nodeId !== undefined && this.banned(this.bannedNodes, who.nodeId)) return true
    return who.ip !== undefined && !this.isExempt(who.ip) && this.banned(this.bannedIps, who.ip)
  }

  stats(): GateStats {
    const now = this.clock.now()
    const live = (m: Map<string, number>) => [...m.values()].filter((until) => until > now).length
    return {
      refused: { ...this.refused },
      bans: { ...this.bans },
      inboundPeers: this.inboundPeers,
      outboundPeers: this.outboundPeers,
      pendingInbound: this.pending.size,
      bannedNodes: live(this.bannedNodes),
      bannedIps: live(this.bannedIps),
    }
  }

  // ---------------------------------------------------------------- internals

  private refuse(reason: RefuseReason): { ok: false; reason: RefuseReason } {
    this.refused[reason]++
    return { ok: false, reason }
  }

  private banned(map: Map<string, number>, key: string): boolean {
    const until = map.get(key)
    if (until === undefined) return false
    if (until > this.clock.now()) return true
    map.delete(key)
    return false
  }

  /** one token per new connection; `newConnectionsPerIpPerSecond` tokens come back each second */
  private takeToken(ip: string): boolean {
    const now = this.clock.now()
    const burst = this.o.newConnectionsPerIpBurst
    const b = this.buckets.get(ip) ?? { tokens: burst, at: now }
    const tokens = Math.min(burst, b.tokens + ((now - b.at) * this.o.newConnectionsPerIpPerSecond) / MS_PER_SECOND)
    const ok = tokens >= 1
    remember(this.buckets, ip, { tokens: ok ? tokens - 1 : tokens, at: now })
    return ok
  }

  /** the oldest pending connection of the address with the most pending ones (ties: the oldest overall) */
  private evictionCandidate(): GateConnection | undefined {
    const perIp = new Map<string, { n: number; oldest: GateConnection }>()
    for (const c of this.pending) {
      const e = perIp.get(c.ip)
      if (e) e.n++
      else perIp.set(c.ip, { n: 1, oldest: c })
    }
    let best: { n: number; oldest: GateConnection } | undefined
    for (const e of perIp.values()) {
      // addresses come in the order of their oldest pending connection: on a tie the first stays
      if (best === undefined || e.n > best.n) best = e
    }
    return best?.oldest
  }
}
