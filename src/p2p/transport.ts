/**
 * The P2P transport: a WebSocket listener, outbound dials, static peers with reconnect, and
 * the set of established peers. It runs the handshake on every connection and only then
 * announces the peer; chain messages come out as 'message' events with the payload still
 * encoded (the DPoS/sync code decodes and validates them and calls `peer.penalize`).
 *
 * Who may connect is the `ConnectionGate`'s call (DESIGN §11): every accepted TCP socket is
 * counted from the 'connection' event on — before any HTTP upgrade — against the per-address
 * caps, the pending cap (the oldest pending one is evicted) and a deadline to a finished P2P
 * handshake; outbound dials get the same deadline, and a banned address is not dialed. Until
 * its handshake is through, a connection (either way) may send no more than a handshake takes
 * (`handshakeBudget.ts`, read off the socket before `ws` buffers a message); past that it is
 * cut and its address banned. A peer dropped for an offence (peer.ts) is banned by node id and
 * address.
 *
 * Events: 'peer' (peer) after a successful handshake; 'message' (peer, message);
 * 'peerClosed' (peer, info) for every peer that had been announced.
 */
import { EventEmitter } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { isIP, type AddressInfo, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { BanReason, ConnectionGate, RefuseReason, gateDefaults, normalizeIp, parseAddressRules, type GateConnection, type GateStats } from './connectionGate.js'
import { FRAME_HEADER_BYTES, P2pError, P2pErrorCode } from './framing.js'
import { HandshakeBudget } from './handshakeBudget.js'
import type { ChainStatus } from './handshake.js'
import type { NodeIdentity } from './identity.js'
import { DisconnectReason, LOCAL_FEATURES, MAX_ANY_PAYLOAD, type ChainMessageType, type OpaqueMessage } from './messages.js'
import { Peer, type PeerCloseInfo } from './peer.js'

export interface TransportOptions {
  identity: NodeIdentity
  /** read at every handshake, so the Hello carries the current head */
  status: () => ChainStatus
  logger: Logger
  /** listen address; port 0 picks a free port */
  host?: string
  port?: number
  /** PEM certificate and key: listen with wss instead of ws */
  tls?: { cert: string | Buffer; key: string | Buffer }
  /** extra CA (PEM) trusted when dialing wss:// peers with self-signed certificates */
  ca?: string | Buffer
  client?: string
  /** HelloFeature bits to advertise (default: all this build has; 0 speaks as a node that predates them) */
  features?: number
  /** established peers, inbound and outbound; at most two thirds of them inbound */
  maxPeers?: number
  /** accepted inbound sockets (upgraded or not) whose handshake has not finished; when full, a
   *  new one evicts the oldest pending one */
  maxPendingHandshakes?: number
  /** open inbound connections (pending and established) from one address */
  maxConnectionsPerIp?: number
  /** new inbound connections one address may open per second, on average, and at once */
  newConnectionsPerIpPerSecond?: number
  newConnectionsPerIpBurst?: number
  /** addresses and CIDR ranges ("127.0.0.1", "10.0.0.0/8") the per-address caps and address
   *  bans do not apply to (nodes behind one NAT, a devnet on loopback) */
  exempt?: string[]
  /** from TCP accept (or dial) to a finished P2P handshake */
  handshakeTimeoutMs?: number
  pingIntervalMs?: number
  pingTimeoutMs?: number
  maxBufferedBytes?: number
  /** reconnect delays of static peers: first, doubling up to max */
  backoffInitialMs?: number
  backoffMaxMs?: number
  /** how long a peer dropped for an offence (its node id and address) is refused */
  banMs?: number
  /** whose time timers, pings and bans run on (default: the system clock) */
  clock?: Clock
}

export const transportDefaults = {
  host: '127.0.0.1',
  port: 30303,
  client: 'nfc',
  features: LOCAL_FEATURES as number,
  maxPeers: gateDefaults.maxPeers,
  maxPendingHandshakes: gateDefaults.maxPendingInbound,
  maxConnectionsPerIp: gateDefaults.maxConnectionsPerIp,
  newConnectionsPerIpPerSecond: gateDefaults.newConnectionsPerIpPerSecond,
  newConnectionsPerIpBurst: gateDefaults.newConnectionsPerIpBurst,
  exempt: [] as string[],
  handshakeTimeoutMs: 5_000,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 30_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  banMs: gateDefaults.banMs,
}

/** an accepted inbound socket, from TCP accept to its close */
interface InboundSocket {
  conn: GateConnection
  socket: Socket
  /** the handshake deadline */
  timer: TimerHandle
  /** set once the WebSocket upgrade made it a peer (still in its handshake until established) */
  peer: Peer | undefined
}

interface StaticPeer {
  url: string
  attempt: number
  timer: TimerHandle | undefined
  peer: Peer | undefined
  dialing: boolean
  /** node id learned from the last handshake at this address */
  nodeId: string | undefined
  stopped: boolean
}

export interface Transport {
  on(event: 'peer', fn: (peer: Peer) => void): this
  on(event: 'message', fn: (peer: Peer, message: OpaqueMessage) => void): this
  on(event: 'peerClosed', fn: (peer: Peer, info: PeerCloseInfo) => void): this
}

export class Transport extends EventEmitter {
  private readonly o: Required<Omit<TransportOptions, 'tls' | 'ca' | 'clock'>> & Pick<TransportOptions, 'tls' | 'ca'>
  private readonly log: Logger
  private readonly clock: Clock
  private server: Server | undefined
  private wss: WebSocketServer | undefined
  private readonly byId = new Map<string, Peer>()
  /** every open connection, handshaking or established */
  private readonly connections = new Set<Peer>()
  private readonly statics = new Map<string, StaticPeer>()
  private readonly gate: ConnectionGate
  /** accepted inbound sockets by "remote address|port" (the key the upgrade request finds them by) */
  private readonly inbound = new Map<string, InboundSocket>()
  private readonly connOf = new WeakMap<Peer, GateConnection>()
  /** connections whose handshake messages are in, paused until our side of the handshake is through */
  private readonly paused = new WeakMap<GateConnection, WebSocket>()
  private listenPort = 0
  private closing: Promise<void> | undefined

  constructor(opts: TransportOptions) {
    super()
    this.o = { ...transportDefaults, ...opts }
    this.log = opts.logger
    this.clock = opts.clock ?? systemClock
    this.gate = new ConnectionGate(
      {
        maxPeers: this.o.maxPeers,
        maxPendingInbound: this.o.maxPendingHandshakes,
        maxConnectionsPerIp: this.o.maxConnectionsPerIp,
        newConnectionsPerIpPerSecond: this.o.newConnectionsPerIpPerSecond,
        newConnectionsPerIpBurst: this.o.newConnectionsPerIpBurst,
        banMs: this.o.banMs,
        exempt: parseAddressRules(this.o.exempt),
      },
      this.clock,
    )
  }

  /** refusals, bans, peers in and out, pending handshakes (for /metrics) */
  connectionStats(): GateStats {
    return this.gate.stats()
  }

  get nodeId(): string {
    return this.o.identity.nodeId
  }

  /** established peers */
  get peers(): Peer[] {
    return [...this.byId.values()]
  }

  getPeer(nodeId: string): Peer | undefined {
    return this.byId.get(nodeId)
  }

  /** the port we listen on (after listen()) */
  get port(): number {
    return this.listenPort
  }

  async listen(): Promise<{ url: string; port: number }> {
    // node's own HTTP timeouts are checked only every connectionsCheckingInterval: our deadline
    // timer (onSocket) is what cuts a silent socket; these are the backstop
    const timeouts = {
      headersTimeout: this.o.handshakeTimeoutMs,
      requestTimeout: this.o.handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(this.o.handshakeTimeoutMs, 30_000),
    }
    const server = this.o.tls ? createHttpsServer({ cert: this.o.tls.cert, key: this.o.tls.key, ...timeouts }) : createHttpServer(timeouts)
    // the raw TCP socket, before TLS and before any HTTP: counted and given its deadline here
    server.on('connection', (socket: Socket) => this.onSocket(socket))
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
      res.end('NetFlowCoin P2P: WebSocket only\n')
    })
    const wss = new WebSocketServer({
      server,
      maxPayload: FRAME_HEADER_BYTES + MAX_ANY_PAYLOAD,
      perMessageDeflate: false,
    })
    wss.on('connection', (ws, req) => this.onInbound(ws, req))
    wss.on('error', (e) => this.log.warn('p2p server error', { error: e }))
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new P2pError(P2pErrorCode.Listen, `cannot listen on ${this.o.host}:${this.o.port}: ${e.message}`, { error: e.message })),
      )
      server.listen(this.o.port, this.o.host, () => resolve())
    })
    server.on('error', (e) => this.log.warn('p2p server error', { error: e }))
    this.server = server
    this.wss = wss
    this.listenPort = (server.address() as AddressInfo).port
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host
    const url = `${this.o.tls ? 'wss' : 'ws'}://${host}:${this.listenPort}`
    this.log.info('p2p listening', { url, nodeId: this.nodeId })
    return { url, port: this.listenPort }
  }

  /**
   * Dial once; resolves with the established peer or rejects: P2P_HANDSHAKE for a banned
   * address (meta.refused, nothing dialed), a connection error, no handshake within
   * `handshakeTimeoutMs` of the dial (meta.timeout) or a failed handshake.
   */
  async connect(url: string): Promise<Peer> {
    if (this.closing) throw new P2pError(P2pErrorCode.Send, 'transport closed')
    const target = new URL(url)
    const dial = this.gate.dialOutbound(normalizeIp(target.hostname.replace(/^\[(.*)\]$/, '$1')))
    if (!dial.ok) {
      this.log.debug('outbound dial refused', { url, reason: dial.reason })
      throw new P2pError(P2pErrorCode.Handshake, `not dialing ${url}: its address is ${dial.reason}`, { url, refused: dial.reason })
    }
    const conn = dial.conn
    // no handshakeTimeout of ws's own: the deadline below covers the dial, the upgrade and the handshake
    const ws = new WebSocket(url, {
      maxPayload: FRAME_HEADER_BYTES + MAX_ANY_PAYLOAD,
      perMessageDeflate: false,
      ...(this.o.ca ? { ca: this.o.ca } : {}),
    })
    const peer = this.makePeer(ws, 'initiator', target.host, conn)
    // the socket is known at 'upgrade'; the budget starts at 'open', right after ws has put the
    // bytes that came with the upgrade back on the socket and started reading: a 'data' listener
    // any earlier would start the socket flowing and take those bytes from ws
    let upgraded: Duplex | undefined
    ws.once('upgrade', (res: IncomingMessage) => (upgraded = res.socket))
    ws.once('open', () => upgraded && this.guardHandshake(upgraded, ws, peer, conn))
    // one deadline from the dial to a finished handshake
    let timedOut = false
    const deadline = this.clock.setTimeout(() => {
      if (conn.established || conn.closed) return
      timedOut = true
      this.gate.timedOut(conn)
      this.log.debug('outbound handshake timed out', { url, timeoutMs: this.o.handshakeTimeoutMs })
      ws.terminate()
    }, this.o.handshakeTimeoutMs)
    deadline.unref()
    peer.once('close', () => this.clock.clearTimeout(deadline))
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => {
        ws.off('open', onOpen)
        const why = timedOut ? `no connection within ${this.o.handshakeTimeoutMs} ms` : e.message
        reject(
          new P2pError(P2pErrorCode.Handshake, `cannot connect to ${url}: ${why}`, { url, reason: DisconnectReason.Timeout, connect: true, timeout: timedOut }),
        )
      }
      const onOpen = () => {
        ws.off('error', onErr)
        resolve()
      }
      ws.once('error', onErr)
      ws.once('open', onOpen)
    })
    return this.runHandshake(peer)
  }

  /** keep a connection to url: dial now, redial with exponential backoff whenever it drops */
  addStaticPeer(url: string): void {
    if (this.statics.has(url) || this.closing) return
    const s: StaticPeer = { url, attempt: 0, timer: undefined, peer: undefined, dialing: false, nodeId: undefined, stopped: false }
    this.statics.set(url, s)
    this.dialStatic(s)
  }

  removeStaticPeer(url: string): void {
    const s = this.statics.get(url)
    if (!s) return
    s.stopped = true
    if (s.timer) this.clock.clearTimeout(s.timer)
    this.statics.delete(url)
  }

  /** send to every established peer (but `except`); returns how many got it */
  broadcast(type: ChainMessageType, payload: Uint8Array, except?: (peer: Peer) => boolean): number {
    let n = 0
    for (const p of this.byId.values()) {
      if (except?.(p)) continue
      try {
        p.send(type, payload)
        n++
      } catch (e) {
        this.log.debug('broadcast send failed', { peer: p.id, error: e })
      }
    }
    return n
  }

  async close(): Promise<void> {
    return (this.closing ??= this.shutdown())
  }

  // ---------------------------------------------------------------- internals

  private async shutdown(): Promise<void> {
    for (const s of this.statics.values()) {
      s.stopped = true
      if (s.timer) this.clock.clearTimeout(s.timer)
    }
    this.statics.clear()
    const conns = [...this.connections]
    for (const p of conns) p.close(DisconnectReason.Shutdown, 'node shutting down')
    for (const s of this.inbound.values()) {
      this.clock.clearTimeout(s.timer)
      s.socket.destroy()
    }
    await Promise.all(conns.map((p) => p.whenClosed()))
    if (this.wss) await new Promise<void>((resolve) => this.wss!.close(() => resolve()))
    if (this.server) {
      this.server.closeAllConnections()
      await new Promise<void>((resolve) => this.server!.close(() => resolve()))
    }
    this.log.info('p2p closed', { nodeId: this.nodeId })
  }

  private makePeer(ws: WebSocket, role: 'initiator' | 'responder', address: string, conn: GateConnection): Peer {
    const peer = new Peer({
      ws,
      role,
      address,
      logger: this.log,
      pingIntervalMs: this.o.pingIntervalMs,
      pingTimeoutMs: this.o.pingTimeoutMs,
      maxBufferedBytes: this.o.maxBufferedBytes,
      clock: this.clock,
    })
    this.connections.add(peer)
    this.connOf.set(peer, conn)
    peer.once('close', (info) => {
      this.connections.delete(peer)
      this.gate.close(conn)
      if (peer.offence !== undefined) this.ban(peer, peer.offence)
      if (!peer.established) return
      if (this.byId.get(peer.nodeId) === peer) this.byId.delete(peer.nodeId)
      const level = info.reason === DisconnectReason.Shutdown || info.reason === DisconnectReason.Requested ? 'info' : 'warn'
      this.log[level]('peer closed', { peer: peer.nodeId, address: peer.address, reason: info.reasonName, text: info.text, byRemote: info.remote })
      this.emit('peerClosed', peer, info)
    })
    return peer
  }

  /**
   * A TCP socket was accepted: refused (banned address, per-address caps) or counted as pending,
   * with a deadline to a finished handshake; a full pending table evicts its oldest entry.
   * Refusals are logged at debug level: a flood must not flood the log too.
   */
  private onSocket(socket: Socket): void {
    const address = `${socket.remoteAddress}:${socket.remotePort}`
    if (this.closing) return void socket.destroy()
    const r = this.gate.acceptInbound(normalizeIp(socket.remoteAddress))
    if (!r.ok) {
      this.log.debug('inbound connection refused', { address, reason: r.reason })
      return void socket.destroy()
    }
    if (r.evicted) this.cutInbound(r.evicted, RefuseReason.PendingEvicted)
    const key = socketKey(socket)
    const conn = r.conn
    const timer = this.clock.setTimeout(() => {
      if (conn.established || conn.closed) return
      this.gate.timedOut(conn)
      this.cutInbound(conn, RefuseReason.HandshakeTimeout)
    }, this.o.handshakeTimeoutMs)
    timer.unref()
    const entry: InboundSocket = { conn, socket, timer, peer: undefined }
    this.inbound.set(key, entry)
    socket.once('close', () => {
      this.clock.clearTimeout(timer)
      if (this.inbound.get(key) === entry) this.inbound.delete(key)
      this.gate.close(conn)
    })
  }

  /** drop a pending inbound connection: a peer in its handshake is told why, a raw socket is cut */
  private cutInbound(conn: GateConnection, why: RefuseReason): void {
    for (const s of this.inbound.values()) {
      if (s.conn !== conn) continue
      this.log.debug('pending inbound connection dropped', { address: `${s.socket.remoteAddress}:${s.socket.remotePort}`, reason: why })
      this.clock.clearTimeout(s.timer)
      if (s.peer === undefined) s.socket.destroy()
      else if (why === RefuseReason.HandshakeTimeout) s.peer.close(DisconnectReason.Timeout, `no handshake within ${this.o.handshakeTimeoutMs} ms`)
      else s.peer.close(DisconnectReason.TooManyPeers, 'pending connection evicted for a newer one')
      return
    }
  }

  private onInbound(ws: WebSocket, req: IncomingMessage): void {
    const address = `${req.socket.remoteAddress}:${req.socket.remotePort}`
    const entry = this.inbound.get(socketKey(req.socket))
    if (this.closing || entry === undefined || entry.conn.closed) {
      this.log.debug('inbound connection refused', { address, reason: this.closing ? 'closing' : 'dropped before the upgrade' })
      ws.terminate()
      return
    }
    const peer = this.makePeer(ws, 'responder', address, entry.conn)
    entry.peer = peer
    // ws's own 'data' listener is already on the socket (TLS: the decrypted one); this one sees the same bytes
    this.guardHandshake(req.socket, ws, peer, entry.conn)
    this.runHandshake(peer).catch(() => {
      // logged in runHandshake
    })
  }

  /**
   * Hold the other side to the handshake's budget (handshakeBudget.ts) until its handshake is
   * through: past the budget the socket is cut, the refusal counted and the address banned
   * (as for any invalid frame); once the other side's handshake messages are in, the socket is
   * paused until ours is through (runHandshake resumes it), so nothing more is buffered for a
   * connection that may yet fail its handshake.
   */
  private guardHandshake(socket: Duplex, ws: WebSocket, peer: Peer, conn: GateConnection): void {
    const budget = new HandshakeBudget()
    const onData = (chunk: Buffer) => {
      if (conn.established || conn.closed) return void socket.off('data', onData)
      const verdict = budget.push(chunk)
      if (verdict.state === 'reading') return
      socket.off('data', onData)
      if (verdict.state === 'done') {
        ws.pause()
        this.paused.set(conn, ws)
        return
      }
      this.log.debug('connection over its handshake budget', { address: peer.address, why: verdict.why })
      this.gate.overBudget(conn)
      peer.offence ??= BanReason.InvalidFrame
      socket.destroy()
    }
    socket.on('data', onData)
  }

  /** ban what a peer dropped for `reason` is known by: its node id (if its handshake proved it) and address */
  private ban(peer: Peer, reason: BanReason): void {
    const conn = this.connOf.get(peer)
    const ip = conn && isIP(conn.ip) !== 0 ? conn.ip : undefined
    // only a finished handshake proves the node id: a forged Hello must not get another node banned
    const nodeId = peer.established || peer.hello !== undefined ? peer.nodeId : undefined
    const banned = this.gate.ban(reason, { nodeId, ip })
    if (banned.nodeId || banned.ip) {
      this.log.warn('peer banned', { peer: nodeId, address: peer.address, reason, forMs: this.o.banMs, byNodeId: banned.nodeId, byAddress: banned.ip })
    }
  }

  private async runHandshake(peer: Peer): Promise<Peer> {
    try {
      await peer.handshake({
        identity: this.o.identity,
        role: peer.role,
        status: this.o.status(),
        listenPort: this.listenPort,
        client: this.o.client,
        features: this.o.features,
        timeoutMs: this.o.handshakeTimeoutMs,
        clock: this.clock,
        admit: (_hello, id) => this.admit(peer, id),
      })
    } catch (e) {
      const meta = e instanceof P2pError ? e.meta : {}
      // a bad signature or garbage instead of Hello/HelloAck proves malice; another chain, a
      // timeout or the peer's own refusal does not
      if (meta.remote !== true && (meta.reason === DisconnectReason.BadHandshake || meta.reason === DisconnectReason.ProtocolError)) {
        peer.offence ??= BanReason.BadHandshake
      }
      this.log.warn('handshake failed', {
        address: peer.address,
        role: peer.role,
        reason: meta.reasonName ?? meta.reason,
        byRemote: meta.remote === true,
        error: e,
      })
      // the handshake already sent (or received) the Disconnect
      peer.close(typeof meta.reason === 'number' ? meta.reason : DisconnectReason.BadHandshake, String((e as Error).message), false)
      throw e
    }
    if (peer.closed) throw new P2pError(P2pErrorCode.Handshake, 'connection closed during handshake', { reason: DisconnectReason.Requested })
    const existing = this.byId.get(peer.nodeId)
    if (existing && !existing.closed) {
      // both sides dialed each other: keep the connection the lower node id initiated, so both ends keep the same one
      const initiatorOf = (p: Peer) => (p.role === 'initiator' ? this.nodeId : p.nodeId)
      const lower = this.nodeId < peer.nodeId ? this.nodeId : peer.nodeId
      const keepNew = initiatorOf(peer) === lower && initiatorOf(existing) !== lower
      const drop = keepNew ? existing : peer
      this.log.info('duplicate connection dropped', { peer: peer.nodeId, dropped: drop.address })
      if (keepNew) {
        // forget the old one quietly: no peerClosed for a peer that stays connected
        this.byId.delete(existing.nodeId)
        existing.removeAllListeners('message')
        existing.established = false
        existing.close(DisconnectReason.Duplicate, 'duplicate connection')
      } else {
        peer.established = false
        peer.close(DisconnectReason.Duplicate, 'duplicate connection')
        return existing
      }
    }
    this.byId.set(peer.nodeId, peer)
    const conn = this.connOf.get(peer)!
    this.gate.established(conn)
    this.paused.get(conn)?.resume()
    peer.on('message', (m) => this.emit('message', peer, m))
    this.log.info('peer connected', {
      peer: peer.nodeId,
      address: peer.address,
      role: peer.role,
      head: peer.hello!.head.number,
      client: peer.hello!.client,
    })
    this.emit('peer', peer)
    return peer
  }

  /** refuse banned nodes and a full peer table (or a full inbound share) before signing anything for them */
  private admit(peer: Peer, nodeId: string): DisconnectReason | undefined {
    const refused = this.gate.admit(this.connOf.get(peer)!, nodeId, this.byId.has(nodeId))
    if (refused === RefuseReason.Banned) return DisconnectReason.BadScore
    if (refused !== undefined) return DisconnectReason.TooManyPeers
    return undefined
  }

  private dialStatic(s: StaticPeer): void {
    if (s.stopped || s.dialing || this.closing) return
    s.timer = undefined
    // already connected to that node (it dialed us): check again later
    if (s.nodeId && this.byId.has(s.nodeId)) return this.scheduleStatic(s, this.o.backoffMaxMs)
    s.dialing = true
    this.connect(s.url).then(
      (peer) => {
        s.dialing = false
        if (s.stopped) return
        s.nodeId = peer.nodeId
        s.attempt = 0
        s.peer = peer
        peer.once('close', () => {
          s.peer = undefined
          this.scheduleStatic(s)
        })
      },
      (e: unknown) => {
        s.dialing = false
        if (s.stopped) return
        const meta = e instanceof P2pError ? e.meta : {}
        if (meta.reason === DisconnectReason.SelfConnection) {
          this.log.warn('static peer is this node, not dialing it again', { url: s.url })
          this.removeStaticPeer(s.url)
          return
        }
        if (typeof meta.remoteNodeId === 'string') s.nodeId = meta.remoteNodeId
        this.log.debug('static peer dial failed', { url: s.url, attempt: s.attempt, error: e })
        this.scheduleStatic(s)
      },
    )
  }

  private scheduleStatic(s: StaticPeer, fixedMs?: number): void {
    if (s.stopped || this.closing || s.timer) return
    const base = Math.min(this.o.backoffMaxMs, this.o.backoffInitialMs * 2 ** Math.min(s.attempt, 30))
    // jitter spreads the redials of many nodes that lost the same peer at once
    const delay = fixedMs ?? Math.round(base * (0.75 + Math.random() * 0.5))
    s.attempt++
    s.timer = this.clock.setTimeout(() => this.dialStatic(s), Math.min(delay, this.o.backoffMaxMs))
    s.timer.unref()
  }
}

/** the key an accepted socket and its upgrade request share (a TLS socket has its TCP socket's remote end) */
function socketKey(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress}|${socket.remotePort}`
}
