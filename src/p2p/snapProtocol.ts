/**
 * Snapshot sync over the P2P protocol, both sides (DESIGN §10): a full node answers
 * GetAccountRange / GetStorageRange / GetByteCodes from the state it holds, and GetReceipts from
 * the receipts it stored (through the
 * `SnapServer` the node implements), and a syncing node sends them and matches the answers by
 * request id. The network service (network.ts) hands the eight message types here.
 *
 * Serving is bounded: at most SNAP_MAX_ANSWER_BYTES of leaves or codes per answer whatever the
 * request asks, and at most MAX_QUEUED_SNAP_SERVES requests of one peer queued (more is
 * flooding). Checking an answer's proof is the caller's (src/node/snapSync.ts, with
 * src/state/snapRange.ts): it knows the root it asked for; a bad proof costs the peer a ban
 * through `penalizeProof`.
 */
import type { Clock, TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { SerialQueue } from '../util/serialQueue.js'
import { BanReason } from './connectionGate.js'
import { MessageType, type ChainMessageType } from './messages.js'
import { Penalty } from './peer.js'
import {
  SNAP_MAX_ANSWER_BYTES,
  decodeAccountRange,
  decodeByteCodes,
  decodeGetAccountRange,
  decodeGetByteCodes,
  decodeGetReceipts,
  decodeGetStorageRange,
  decodeReceiptsAnswer,
  decodeStorageRange,
  encodeByteCodes,
  encodeGetAccountRange,
  encodeGetByteCodes,
  encodeGetReceipts,
  encodeGetStorageRange,
  encodeRangeAnswer,
  encodeReceiptsAnswer,
  type GetAccountRange,
  type GetStorageRange,
  type RangeAnswer,
} from './snapMessages.js'

/** a snapshot range as the node's state module reads it */
export interface SnapRange {
  keys: Uint8Array[]
  values: Uint8Array[]
  proof: Uint8Array[]
}

/** What the node serves snapshot sync from; undefined answers mean "that root is not held here". */
export interface SnapServer {
  accountRange(root: Uint8Array, origin: Uint8Array, maxBytes: number): Promise<SnapRange | undefined>
  storageRange(root: Uint8Array, account: Uint8Array, origin: Uint8Array, maxBytes: number): Promise<SnapRange | undefined>
  /** the codes held of `hashes`, in order, up to about `maxBytes` (at least one) */
  byteCodes(hashes: Uint8Array[], maxBytes: number): Promise<Uint8Array[]>
  /** the stored receipts (encoded) of the blocks `hashes`, in order, stopping at the first not held or past about `maxBytes` (at least one) */
  receipts(hashes: Uint8Array[], maxBytes: number): Promise<Uint8Array[]>
}

/** what this module needs of a peer (the network's per-peer state) */
export interface SnapPeer {
  readonly id: string
  readonly closed: boolean
  send(type: ChainMessageType, payload: Uint8Array): void
  penalize(points: number, why: string, offence?: BanReason): void
}

/** snapshot-sync message types, handed here by the network service */
export const SNAP_MESSAGE_TYPES: ReadonlySet<number> = new Set([
  MessageType.GetAccountRange,
  MessageType.AccountRange,
  MessageType.GetStorageRange,
  MessageType.StorageRange,
  MessageType.GetByteCodes,
  MessageType.ByteCodes,
  MessageType.GetReceipts,
  MessageType.Receipts,
])

/** snapshot requests of one peer queued for serving; more is flooding */
const MAX_QUEUED_SNAP_SERVES = 4
/** an answer unanswered this long costs the peer this much score (like a GetBlocks timeout) */
const TIMEOUT_PENALTY = 20
/** a proof that does not hold: one is enough to ban (like an invalid block) */
export const INVALID_PROOF_PENALTY = 100

type AnswerType = typeof MessageType.AccountRange | typeof MessageType.StorageRange | typeof MessageType.ByteCodes | typeof MessageType.Receipts

interface Pending {
  type: AnswerType
  timer: TimerHandle
  resolve: (answer: unknown) => void
  reject: (e: Error) => void
}

interface PeerSnapState {
  pending: Map<bigint, Pending>
  serving: number
  queue: SerialQueue
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

export interface SnapProtocolOptions {
  /** absent: this node does not serve snapshot sync (requests answered "unavailable") */
  server: SnapServer | undefined
  log: Logger
  clock: Clock
  timeoutMs: number
}

export class SnapProtocol {
  private readonly peers = new WeakMap<SnapPeer, PeerSnapState>()
  private nextId = 1n

  constructor(private readonly o: SnapProtocolOptions) {}

  private stateOf(peer: SnapPeer): PeerSnapState {
    let s = this.peers.get(peer)
    if (s === undefined) {
      s = { pending: new Map(), serving: 0, queue: new SerialQueue() }
      this.peers.set(peer, s)
    }
    return s
  }

  /** one of SNAP_MESSAGE_TYPES from `peer` */
  onMessage(peer: SnapPeer, type: number, payload: Uint8Array): void {
    switch (type) {
      case MessageType.GetAccountRange:
      case MessageType.GetStorageRange:
      case MessageType.GetByteCodes:
      case MessageType.GetReceipts:
        return this.serve(peer, type, payload)
      case MessageType.AccountRange:
        return this.answer(peer, type, payload, decodeAccountRange)
      case MessageType.StorageRange:
        return this.answer(peer, type, payload, decodeStorageRange)
      case MessageType.ByteCodes:
        return this.answer(peer, type, payload, decodeByteCodes)
      case MessageType.Receipts:
        return this.answer(peer, type, payload, decodeReceiptsAnswer)
    }
  }

  /** the peer is gone: its requests fail */
  peerClosed(peer: SnapPeer, why: string): void {
    const s = this.peers.get(peer)
    if (s === undefined) return
    for (const [id, p] of s.pending) {
      s.pending.delete(id)
      this.o.clock.clearTimeout(p.timer)
      p.reject(new Error(why))
    }
  }

  requestAccountRange(peer: SnapPeer, r: Omit<GetAccountRange, 'id'>): Promise<RangeAnswer> {
    return this.request(peer, MessageType.GetAccountRange, MessageType.AccountRange, (id) => encodeGetAccountRange({ ...r, id }))
  }

  requestStorageRange(peer: SnapPeer, r: Omit<GetStorageRange, 'id'>): Promise<RangeAnswer> {
    return this.request(peer, MessageType.GetStorageRange, MessageType.StorageRange, (id) => encodeGetStorageRange({ ...r, id }))
  }

  /** codes by hash; the answer holds those the peer has, in the order asked (checking them is the caller's) */
  async requestByteCodes(peer: SnapPeer, hashes: Uint8Array[]): Promise<Uint8Array[]> {
    const a = await this.request<{ codes: Uint8Array[] }>(peer, MessageType.GetByteCodes, MessageType.ByteCodes, (id) => encodeGetByteCodes({ id, hashes }))
    return a.codes
  }

  /** blocks' receipts by block hash, encoded, in the order asked, as many as the peer holds (checking them is the caller's) */
  async requestReceipts(peer: SnapPeer, hashes: Uint8Array[]): Promise<Uint8Array[]> {
    const a = await this.request<{ receipts: Uint8Array[] }>(peer, MessageType.GetReceipts, MessageType.Receipts, (id) => encodeGetReceipts({ id, hashes }))
    return a.receipts
  }

  /** a snapshot answer that proved invalid: drop and ban the peer */
  penalizeProof(peer: SnapPeer, why: string): void {
    this.o.log.warn('invalid snapshot answer from peer', { peer: peer.id, why })
    peer.penalize(INVALID_PROOF_PENALTY, `invalid snapshot proof: ${why}`, BanReason.InvalidProof)
  }

  private request<T>(peer: SnapPeer, type: ChainMessageType, answer: AnswerType, encode: (id: bigint) => Uint8Array): Promise<T> {
    if (peer.closed) return Promise.reject(new Error('peer closed'))
    const s = this.stateOf(peer)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = this.o.clock.setTimeout(() => {
        if (!s.pending.delete(id)) return
        peer.penalize(TIMEOUT_PENALTY, `no snapshot answer within ${this.o.timeoutMs} ms`)
        reject(new Error(`snapshot request timed out after ${this.o.timeoutMs} ms`))
      }, this.o.timeoutMs)
      timer.unref()
      s.pending.set(id, { type: answer, timer, resolve: resolve as (a: unknown) => void, reject })
      try {
        peer.send(type, encode(id))
      } catch (e) {
        s.pending.delete(id)
        this.o.clock.clearTimeout(timer)
        reject(e as Error)
      }
    })
  }

  private answer(peer: SnapPeer, type: AnswerType, payload: Uint8Array, decode: (p: Uint8Array) => { id: bigint }): void {
    let a: { id: bigint }
    try {
      a = decode(payload)
    } catch (e) {
      this.o.log.warn('bad snapshot answer from peer', { peer: peer.id, error: e })
      return peer.penalize(Penalty.BadMessage, errorText(e))
    }
    const s = this.peers.get(peer)
    const p = s?.pending.get(a.id)
    if (s === undefined || p === undefined || p.type !== type) return peer.penalize(Penalty.Unexpected, 'a snapshot answer to no request')
    s.pending.delete(a.id)
    this.o.clock.clearTimeout(p.timer)
    p.resolve(a)
  }

  private serve(
    peer: SnapPeer,
    type: typeof MessageType.GetAccountRange | typeof MessageType.GetStorageRange | typeof MessageType.GetByteCodes | typeof MessageType.GetReceipts,
    payload: Uint8Array,
  ): void {
    let work: () => Promise<void>
    try {
      work = this.serveWork(peer, type, payload)
    } catch (e) {
      this.o.log.warn('bad snapshot request from peer', { peer: peer.id, error: e })
      return peer.penalize(Penalty.BadMessage, errorText(e))
    }
    const s = this.stateOf(peer)
    if (s.serving >= MAX_QUEUED_SNAP_SERVES) return peer.penalize(Penalty.Unexpected, 'too many snapshot requests at once')
    s.serving++
    void s.queue.run(() =>
      work()
        .catch((e) => this.o.log.warn('serving a snapshot request failed', { peer: peer.id, type, error: e }))
        .finally(() => s.serving--),
    )
  }

  /** decodes the request now (a bad one throws), returns the work that answers it */
  private serveWork(peer: SnapPeer, type: number, payload: Uint8Array): () => Promise<void> {
    const server = this.o.server
    const send = (t: ChainMessageType, p: Uint8Array) => {
      if (!peer.closed) peer.send(t, p)
    }
    const unavailable = (id: bigint): RangeAnswer => ({ id, available: false, keys: [], values: [], proof: [] })
    if (type === MessageType.GetAccountRange) {
      const r = decodeGetAccountRange(payload)
      return async () => {
        const range = await server?.accountRange(r.root, r.origin, Math.min(r.maxBytes, SNAP_MAX_ANSWER_BYTES))
        send(MessageType.AccountRange, encodeRangeAnswer(range === undefined ? unavailable(r.id) : { id: r.id, available: true, ...range }))
      }
    }
    if (type === MessageType.GetStorageRange) {
      const r = decodeGetStorageRange(payload)
      return async () => {
        const range = await server?.storageRange(r.root, r.account, r.origin, Math.min(r.maxBytes, SNAP_MAX_ANSWER_BYTES))
        send(MessageType.StorageRange, encodeRangeAnswer(range === undefined ? unavailable(r.id) : { id: r.id, available: true, ...range }))
      }
    }
    if (type === MessageType.GetReceipts) {
      const r = decodeGetReceipts(payload)
      return async () => {
        const receipts = (await server?.receipts(r.hashes, SNAP_MAX_ANSWER_BYTES)) ?? []
        send(MessageType.Receipts, encodeReceiptsAnswer({ id: r.id, receipts }))
      }
    }
    const r = decodeGetByteCodes(payload)
    return async () => {
      const codes = (await server?.byteCodes(r.hashes, SNAP_MAX_ANSWER_BYTES)) ?? []
      send(MessageType.ByteCodes, encodeByteCodes({ id: r.id, codes }))
    }
  }
}
