/**
 * One connection to another node over a `ws` WebSocket: framing, typed messages, the
 * handshake, ping/pong liveness, a misbehaviour score, close.
 *
 * Score: starts at 0; each offence subtracts points; at or below DISCONNECT_SCORE the peer is
 * dropped with reason BadScore. A framing error costs the full 100 because after one the
 * byte stream cannot be trusted again. The chain code calls `penalize` for invalid data it
 * finds inside well-formed messages (bad block, bad tx…).
 *
 * Misbehaviour that proves malice (a broken frame, a proven-invalid block, a score run down to
 * the threshold) is recorded as the peer's `offence`: the transport bans a peer that closes with
 * one (DESIGN §11). A slow reader or a silent peer is dropped without an offence.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { WebSocket, type RawData } from 'ws'
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { BanReason } from './connectionGate.js'
import { FrameDecoder, P2pError, P2pErrorCode, encodeFrame } from './framing.js'
import { performHandshake, type HandshakeOptions, type Role } from './handshake.js'
import {
  DisconnectReason,
  MessageType,
  decodeMessage,
  disconnectReasonName,
  encodeMessage,
  messageLimits,
  messageTypeName,
  type ChainMessageType,
  type Hello,
  type Message,
  type OpaqueMessage,
} from './messages.js'
import { TrafficCounters } from './traffic.js'

export const DISCONNECT_SCORE = -100
export const MAX_SCORE = 100

/** suggested penalties; the chain code may use its own numbers */
export const Penalty = {
  /** oversized, truncated, unknown-type frame or a text WebSocket message */
  BadFrame: 100,
  /** a frame whose payload does not decode */
  BadMessage: 25,
  /** a well-formed message that makes no sense now (a second Hello…) */
  Unexpected: 10,
  /** suggested for the chain code: a block that fails validation. One is enough to drop and ban
   *  the sender (the chain code only penalises errors that prove the block invalid) */
  InvalidBlock: 100,
  /** suggested for the chain code: a tx that fails validation */
  InvalidTx: 5,
} as const

export interface PeerOptions {
  ws: WebSocket
  role: Role
  /** "host:port" of the other end, for logs */
  address: string
  logger: Logger
  pingIntervalMs: number
  /** silence (no frame at all) longer than this closes the peer */
  pingTimeoutMs: number
  /** a peer that leaves more than this unsent in our buffer is not reading: dropped */
  maxBufferedBytes: number
  /** whose time pings, silence and the close deadline run on (default: the system clock) */
  clock?: Clock
}

export interface PeerCloseInfo {
  reason: DisconnectReason | number
  reasonName: string
  text: string
  /** true if the other side sent the Disconnect */
  remote: boolean
}

type Queued = { message: Message; payload: Uint8Array }

export interface Peer {
  on(event: 'message', fn: (m: OpaqueMessage) => void): this
  on(event: 'close', fn: (info: PeerCloseInfo) => void): this
  once(event: 'close', fn: (info: PeerCloseInfo) => void): this
}

export class Peer extends EventEmitter {
  readonly role: Role
  readonly address: string
  /** the other node's id (hex ed25519 key), set by a successful handshake */
  nodeId = ''
  /** the other node's Hello */
  hello: Hello | undefined
  score = 0
  /** last measured ping round trip, ms */
  rttMs: number | undefined
  established = false
  closed = false
  closeInfo: PeerCloseInfo | undefined
  /** what this peer did that earns a ban (set once, when it is dropped for it) */
  offence: BanReason | undefined
  /** bytes and frames this connection sent and received, by message type (handshake included) */
  readonly traffic = new TrafficCounters()

  private readonly ws: WebSocket
  private readonly log: Logger
  private readonly decoder = new FrameDecoder(messageLimits)
  private readonly opts: PeerOptions
  // handshake-time inbox: messages wait here until performHandshake asks for them
  private inbox: Queued[] = []
  private waiter: { resolve: (q: Queued) => void; reject: (e: unknown) => void } | undefined
  private inboxError: unknown
  // messages received after the handshake but not yet delivered (see handshake())
  private early: Message[] | undefined
  private readonly clock: Clock
  private pinger: TimerHandle | undefined
  private killer: TimerHandle | undefined
  private lastSeen: number
  private pingSent: { nonce: bigint; at: number } | undefined
  private pendingClose: PeerCloseInfo | undefined
  private readonly closedPromise: Promise<PeerCloseInfo>

  constructor(opts: PeerOptions) {
    super()
    this.opts = opts
    this.clock = opts.clock ?? systemClock
    this.lastSeen = this.clock.now()
    this.ws = opts.ws
    this.role = opts.role
    this.address = opts.address
    this.log = opts.logger
    this.ws.binaryType = 'nodebuffer'
    this.closedPromise = new Promise((resolve) => this.once('close', resolve))
    this.ws.on('message', (raw: RawData, isBinary: boolean) => this.onData(raw, isBinary))
    // ws reports protocol violations (oversized WebSocket message, bad opcode) here and closes itself
    this.ws.on('error', (e) => {
      // ws's receiver errors (WS_ERR_*: oversized message, bad opcode, bad close frame) are the
      // peer breaking the wire format; socket errors (a reset) are not its misbehaviour
      if (String((e as { code?: unknown }).code ?? '').startsWith('WS_ERR_') && !this.pendingClose) this.offence ??= BanReason.InvalidFrame
      this.pendingClose ??= { reason: DisconnectReason.ProtocolError, reasonName: 'ProtocolError', text: e.message, remote: false }
    })
    this.ws.on('close', () => this.onClosed())
  }

  get id(): string {
    return this.nodeId || this.address
  }

  /** resolves once the socket is closed */
  whenClosed(): Promise<PeerCloseInfo> {
    return this.closedPromise
  }

  async handshake(opts: HandshakeOptions): Promise<Hello> {
    const result = await performHandshake(
      {
        send: (m) => this.sendRaw(m.type, encodeMessage(m)),
        next: () => this.nextInbox(),
      },
      opts,
    )
    this.nodeId = result.remoteNodeId
    this.hello = result.remote
    this.established = true
    // anything that arrived right behind the HelloAck is delivered on the next turn of the event
    // loop, once whoever awaited this handshake has attached its 'message' listener (a microtask
    // would run before the caller's continuation and the messages would be lost); later messages
    // queue behind them so the order holds
    this.early = this.inbox.splice(0).map((q) => q.message)
    this.inbox = []
    this.lastSeen = this.clock.now()
    this.pinger = this.clock.setInterval(() => this.tick(), this.opts.pingIntervalMs)
    this.pinger.unref()
    setImmediate(() => {
      const early = this.early ?? []
      this.early = undefined
      for (const m of early) if (!this.closed) this.dispatch(m)
    })
    return result.remote
  }

  /** whether send() would go out now: established, and neither end has begun to close */
  get writable(): boolean {
    return this.established && !this.closed && this.pendingClose === undefined && this.ws.readyState === WebSocket.OPEN
  }

  /** send a chain message (its payload already encoded by the chain code) */
  send(type: ChainMessageType, payload: Uint8Array): void {
    if (!this.established) throw new P2pError(P2pErrorCode.Send, 'peer not established', { peer: this.id })
    this.sendRaw(type, payload)
  }

  /**
   * Subtract points for an offence; drops the peer if the score falls to the threshold, or at
   * once for an offence worth the whole threshold (-DISCONNECT_SCORE points: a proven-invalid
   * block), whatever the score. `offence` names what the ban that follows is for.
   */
  penalize(points: number, why: string, offence: BanReason = BanReason.BadScore): void {
    if (this.closed) return
    this.score = Math.max(this.score - points, -1000)
    this.log.warn('peer penalized', { peer: this.id, points, score: this.score, why })
    if (this.score <= DISCONNECT_SCORE || points >= -DISCONNECT_SCORE) {
      this.offence ??= offence
      this.close(DisconnectReason.BadScore, why)
    }
  }

  /** add points for useful behaviour (capped), so old offences fade */
  reward(points: number): void {
    this.score = Math.min(this.score + points, MAX_SCORE)
  }

  /** send Disconnect{reason} and close; cut the socket if the other end does not close soon */
  close(reason: DisconnectReason | number = DisconnectReason.Requested, text = '', notify = true): void {
    if (this.closed) return
    this.pendingClose ??= { reason, reasonName: disconnectReasonName(reason), text, remote: false }
    if (this.ws.readyState === WebSocket.OPEN) {
      if (notify) {
        try {
          this.sendRaw(MessageType.Disconnect, encodeMessage({ type: MessageType.Disconnect, reason, text }))
        } catch {
          // already going away
        }
      }
      this.ws.close(1000)
    } else if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate()
    }
    if (!this.killer && this.ws.readyState !== WebSocket.CLOSED) {
      this.killer = this.clock.setTimeout(() => this.ws.terminate(), 1000)
      this.killer.unref()
    }
    this.stopTimers()
  }

  private sendRaw(type: number, payload: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      throw new P2pError(P2pErrorCode.Send, 'peer connection is not open', { peer: this.id })
    }
    if (this.ws.bufferedAmount > this.opts.maxBufferedBytes) {
      // no Disconnect: it would queue behind everything the peer is not reading
      this.pendingClose ??= { reason: DisconnectReason.ProtocolError, reasonName: 'ProtocolError', text: 'peer not reading', remote: false }
      this.ws.terminate()
      throw new P2pError(P2pErrorCode.Send, 'peer not reading, dropped', { peer: this.id })
    }
    this.ws.send(encodeFrame(type, payload, messageLimits))
    this.traffic.sent(type, payload.length)
  }

  private onData(raw: RawData, isBinary: boolean): void {
    if (this.closed || this.pendingClose) return
    this.lastSeen = this.clock.now()
    if (!isBinary) return this.frameError(new P2pError(P2pErrorCode.BadMessage, 'text WebSocket message'))
    const buf = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw)
    let frames
    try {
      frames = this.decoder.push(buf)
      // ws keeps message boundaries and we never split a frame across messages
      this.decoder.end()
    } catch (e) {
      return this.frameError(e)
    }
    for (const f of frames) this.traffic.received(f.type, f.payload.length)
    for (const f of frames) {
      if (this.closed || this.pendingClose) return
      let message: Message
      try {
        message = decodeMessage(f.type, f.payload)
      } catch (e) {
        if (!this.established) return this.failInbox(e)
        this.penalize(Penalty.BadMessage, (e as Error).message)
        continue
      }
      if (!this.established) this.pushInbox({ message, payload: f.payload })
      else if (this.early) this.early.push(message)
      else this.dispatch(message)
    }
  }

  private frameError(e: unknown): void {
    const why = (e as Error).message
    if (!this.established) {
      this.log.warn('bad frame during handshake', { peer: this.id, why })
      this.failInbox(e)
    }
    this.score -= Penalty.BadFrame
    this.offence ??= BanReason.InvalidFrame
    this.log.warn('peer penalized', { peer: this.id, points: Penalty.BadFrame, score: this.score, why })
    // the stream has no trustworthy frame boundary left: always drop, whatever the score
    this.close(DisconnectReason.ProtocolError, why)
  }

  private dispatch(m: Message): void {
    switch (m.type) {
      case MessageType.Ping:
        try {
          this.sendRaw(MessageType.Pong, encodeMessage({ type: MessageType.Pong, nonce: m.nonce }))
        } catch {
          // closing
        }
        return
      case MessageType.Pong:
        if (this.pingSent && this.pingSent.nonce === m.nonce) {
          this.rttMs = this.clock.now() - this.pingSent.at
          this.pingSent = undefined
        }
        return
      case MessageType.Disconnect:
        this.pendingClose ??= {
          reason: m.reason,
          reasonName: disconnectReasonName(m.reason),
          text: m.text,
          remote: true,
        }
        this.ws.close(1000)
        return
      case MessageType.Hello:
      case MessageType.HelloAck:
        this.penalize(Penalty.Unexpected, `unexpected ${messageTypeName(m.type)} after handshake`)
        return
      default:
        this.emit('message', m)
    }
  }

  private tick(): void {
    if (this.clock.now() - this.lastSeen > this.opts.pingTimeoutMs) {
      this.close(DisconnectReason.Timeout, `silent for ${this.opts.pingTimeoutMs} ms`)
      return
    }
    const nonce = randomBytes(8).readBigUInt64BE()
    this.pingSent = { nonce, at: this.clock.now() }
    try {
      this.sendRaw(MessageType.Ping, encodeMessage({ type: MessageType.Ping, nonce }))
    } catch {
      // close already under way
    }
  }

  private pushInbox(q: Queued): void {
    if (q.message.type === MessageType.Disconnect) {
      const m = q.message
      this.pendingClose ??= { reason: m.reason, reasonName: disconnectReasonName(m.reason), text: m.text, remote: true }
    }
    if (this.waiter) {
      const w = this.waiter
      this.waiter = undefined
      w.resolve(q)
    } else if (this.inbox.length >= 8) {
      // the handshake needs two messages; a flood before it ends is an attack, not a peer
      this.failInbox(new P2pError(P2pErrorCode.BadMessage, 'too many messages during handshake'))
      this.close(DisconnectReason.ProtocolError, 'too many messages during handshake')
    } else {
      this.inbox.push(q)
    }
  }

  private failInbox(e: unknown): void {
    this.inboxError ??= e
    if (this.waiter) {
      const w = this.waiter
      this.waiter = undefined
      w.reject(e)
    }
  }

  private nextInbox(): Promise<Queued> {
    const q = this.inbox.shift()
    if (q) return Promise.resolve(q)
    if (this.inboxError) return Promise.reject(this.inboxError)
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }))
  }

  private stopTimers(): void {
    if (this.pinger) this.clock.clearInterval(this.pinger)
    this.pinger = undefined
  }

  private onClosed(): void {
    if (this.closed) return
    this.closed = true
    this.stopTimers()
    if (this.killer) this.clock.clearTimeout(this.killer)
    this.killer = undefined
    const info = this.pendingClose ?? {
      reason: DisconnectReason.Requested,
      reasonName: 'ConnectionLost',
      text: 'connection closed',
      remote: true,
    }
    this.closeInfo = info
    this.failInbox(
      info.remote && info.reasonName !== 'ConnectionLost'
        ? new P2pError(P2pErrorCode.Handshake, `peer disconnected: ${info.reasonName} ${info.text}`, {
            reason: info.reason,
            remote: true,
          })
        : new P2pError(P2pErrorCode.Handshake, `connection closed: ${info.text}`, {
            reason: info.reason,
            reasonName: info.reasonName,
          }),
    )
    this.emit('close', info)
  }
}
