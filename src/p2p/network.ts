// Long on purpose (771 lines): gossip, dedupe, scoring, request/response and the peer set share per-peer state (range sync and peer exchange are split out).
/**
 * The P2P network service on top of the Transport: gossip of blocks, transactions and witness
 * confirmations with dedupe, range sync (sync.ts), serving GetBlocks, and peer exchange. The
 * chain is reached only through a `ChainAdapter`, which the node implements.
 *
 * Gossip: every item has an id (block hash; keccak256 of a tx's raw bytes, which is its hash;
 * keccak256 of a confirmation's bytes). A bounded "seen" set stops an item from being handled
 * twice; a bounded per-peer "known" set (items the peer sent us or we sent it) stops it from
 * being sent where it came from. An item goes to the other peers only once the chain accepted
 * it ('imported' / 'added'), so invalid data never travels further than one hop.
 *
 * Blocks are imported one at a time through one queue (gossip, sync and retries alike), so the
 * adapter never sees two concurrent `importBlock` calls.
 *
 * Waiting items, all bounded, oldest dropped first:
 * - 'future' blocks are retried every `futureRetryMs`, up to `futureMaxTries` times;
 * - confirmations of a block we do not have yet ('unknown-block') are retried after each block
 *   import and dropped after `confirmationTtlMs`.
 * Gossiped 'orphan' blocks are not kept: they start a range sync, which fetches them again.
 */
import { EventEmitter } from 'node:events'
import { randomInt } from 'node:crypto'
import { core } from '../core/index.js'
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import {
  BLOCKS_LIST_OVERHEAD,
  BLOCK_ITEM_OVERHEAD,
  MAX_GET_BLOCKS,
  MAX_PEER_URLS,
  decodeBlocks,
  decodeFlowSignature,
  decodeGetBlocks,
  decodeGetPeers,
  decodePeers,
  encodeBlocks,
  encodeGetBlocks,
  encodeGetPeers,
  encodePeers,
  normalizePeerUrl,
  type FlowSignature,
  type GetBlocks,
} from './chainMessages.js'
import { BanReason } from './connectionGate.js'
import { BoundedSet, blockKey, confirmationKey, flowReceiptKey, flowSignatureKey, txKey } from './dedupe.js'
import type { ChainStatus } from './handshake.js'
import { MAX_PAYLOAD, MessageType, type ChainMessageType, type OpaqueMessage } from './messages.js'
import { Penalty, type Peer, type PeerCloseInfo } from './peer.js'
import { PeerExchange, listenUrlOf } from './peerExchange.js'
import { RangeSync, type BlockId, type SyncPeer, type SyncStatus } from './sync.js'
import { TrafficCounters, type TrafficSnapshot } from './traffic.js'
import { Transport, type TransportOptions } from './transport.js'
import { SerialQueue } from '../util/serialQueue.js'

export type { SyncStatus } from './sync.js'
export type { TrafficSnapshot } from './traffic.js'
export { listenUrlOf } from './peerExchange.js'

export type ImportResult = 'imported' | 'known' | 'orphan' | 'future'

export interface ChainAdapter {
  /** chain id, genesis hash, head — read fresh (also used by Transport's status) */
  status(): ChainStatus
  /** encoded canonical blocks with numbers [from, from+count), fewer if the head is lower */
  getBlocks(from: bigint, count: number): Promise<Uint8Array[]>
  /** canonical block hash at a number (for fork-point search), undefined above the head */
  hashAt(number: bigint): Promise<Uint8Array | undefined>
  /** decode + validate + import one encoded block; 'orphan' = its parent is unknown here;
   *  'future' = its timestamp is ahead of the local clock (retry later);
   *  throws (an Error, usually NfcError) when the block is invalid → sender penalised, if
   *  isPeerFault says the error proves it; any other throw is a local fault (logged only) */
  importBlock(encoded: Uint8Array): Promise<ImportResult>
  /** a raw signed transaction from a peer; 'known' if already had; throws when invalid */
  addTransaction(raw: Uint8Array): Promise<'added' | 'known'>
  /** a witness confirmation; 'unknown-block' when we do not have the block yet; throws when invalid */
  addConfirmation(encoded: Uint8Array): Promise<'added' | 'known' | 'unknown-block'>
  /** whether an error thrown by importBlock or addConfirmation proves the peer's data invalid
   *  (the sender is penalised); false = a local fault (database, disk, a bug): the peer keeps
   *  its score and its connection */
  isPeerFault(e: unknown): boolean
  /** number and hash of the block encoded by importBlock-compatible bytes, without validating
   *  (used to dedupe gossip and to learn a peer's head); throws on garbage */
  blockId(encoded: Uint8Array): { number: bigint; hash: Uint8Array; parentHash: Uint8Array }
}

/**
 * The flow side-chain's side of gossip (set by the node once its flow service runs; until then
 * flow messages are dropped). 'relay' = passed on to other peers; 'drop' = kept here only or
 * already had; a throw = invalid, the sender is penalised.
 */
export interface FlowAdapter {
  /** a receipt's wire bytes from the peer with node id `from`; a node outside the committee relays it unvalidated beyond decoding */
  onReceipt(encoded: Uint8Array, from: string): Promise<'relay' | 'drop'>
  onSignature(s: FlowSignature): Promise<'relay' | 'drop'>
}

export const networkDefaults = {
  /** blocks per GetBlocks when syncing (≤ MAX_GET_BLOCKS) */
  syncBatch: 64,
  /** a GetBlocks unanswered this long costs the peer `Penalty.Timeout` and the sync moves on */
  requestTimeoutMs: 10_000,
  /** most blocks served per GetBlocks (≤ MAX_GET_BLOCKS) */
  maxServeBlocks: MAX_GET_BLOCKS,
  /** most bytes served per Blocks answer (≤ the Blocks payload limit) */
  maxServeBytes: MAX_PAYLOAD[MessageType.Blocks],
  /** below this many peers, ask for addresses and dial them; 0 turns peer exchange dialing off */
  targetPeers: 8,
  /** how often a node below targetPeers asks a peer for addresses */
  discoveryIntervalMs: 30_000,
  /** learned addresses that failed are not dialed again for this long */
  dialBackoffMs: 5 * 60_000,
  /** sync retries, discovery and expiry run this often */
  maintenanceMs: 5_000,
  seenCapacity: 32_768,
  knownPerPeer: 4_096,
  futureCapacity: 64,
  futureRetryMs: 1_000,
  futureMaxTries: 30,
  confirmationCapacity: 256,
  confirmationTtlMs: 60_000,
}

export type NetworkTunables = typeof networkDefaults

export interface NetworkOptions extends Omit<TransportOptions, 'status'>, Partial<NetworkTunables> {
  chain: ChainAdapter
  /** ws:// or wss:// urls kept connected (redialed with backoff) */
  staticPeers?: string[]
}

/** penalties of this layer beyond the suggested ones in peer.ts */
export const NetworkPenalty = {
  /** a GetBlocks left unanswered */
  Timeout: 20,
  /** a confirmation the chain rejects (may be a fork disagreement, so less than a bad block) */
  InvalidConfirmation: 10,
  /** a flow receipt or checkpoint signature the flow service rejects */
  InvalidFlow: 10,
} as const

export interface PeerInfo {
  id: string
  /** host:port of the connection */
  address: string
  inbound: boolean
  /** highest block number we know the peer has */
  head: bigint
  score: number
  rttMs: number | undefined
  /** ws url it accepts connections on, if it listens */
  listenUrl: string | undefined
}

export interface SyncedEvent {
  head: bigint
  /** blocks imported by the sync run that just finished */
  blocks: number
  ms: number
}

export interface Network {
  on(event: 'peer', fn: (peer: PeerInfo) => void): this
  on(event: 'peerClosed', fn: (peer: PeerInfo, info: PeerCloseInfo) => void): this
  on(event: 'synced', fn: (e: SyncedEvent) => void): this
}

interface PendingRequest {
  from: bigint
  count: number
  timer: TimerHandle
  resolve: (blocks: Uint8Array[]) => void
  reject: (e: Error) => void
}

/** at most this many GetBlocks of one peer are queued for serving; more is flooding */
const MAX_QUEUED_SERVES = 4

class PeerState implements SyncPeer {
  head: { number: bigint; hash: Uint8Array }
  syncedTo = -1n
  readonly known: BoundedSet
  readonly listenUrl: string | undefined
  pending: PendingRequest | undefined
  askedPeers = false
  serving = 0
  readonly serveQueue = new SerialQueue()

  constructor(
    readonly peer: Peer,
    knownCapacity: number,
    scheme: string,
  ) {
    this.head = { ...peer.hello!.head }
    this.known = new BoundedSet(knownCapacity)
    this.listenUrl = listenUrlOf(peer, scheme)
  }

  get id(): string {
    return this.peer.nodeId
  }

  get closed(): boolean {
    return this.peer.closed
  }

  penalize(points: number, why: string, offence?: BanReason): void {
    this.peer.penalize(points, why, offence)
  }

  learnHead(id: { number: bigint; hash: Uint8Array }): void {
    if (id.number > this.head.number) this.head = { number: id.number, hash: id.hash }
  }

  info(): PeerInfo {
    return {
      id: this.id,
      address: this.peer.address,
      inbound: this.peer.role === 'responder',
      head: this.head.number,
      score: this.peer.score,
      rttMs: this.peer.rttMs,
      listenUrl: this.listenUrl,
    }
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

export class Network extends EventEmitter {
  /** the connections underneath (exposed for metrics and tests) */
  readonly transport: Transport
  private readonly o: NetworkTunables & { chain: ChainAdapter; staticPeers: string[] }
  private readonly log: Logger
  private readonly clock: Clock
  private readonly chain: ChainAdapter
  /** the flow side-chain service (set by the node); null: flow messages are not handled */
  flow: FlowAdapter | null = null
  private readonly scheme: 'ws' | 'wss'
  private readonly states = new Map<string, PeerState>()
  private readonly seen: BoundedSet
  private readonly sync: RangeSync
  private readonly future = new Map<string, { encoded: Uint8Array; id: BlockId; from: PeerState | undefined; tries: number; timer: TimerHandle }>()
  private readonly waitingConfirmations = new Map<string, { encoded: Uint8Array; from: PeerState | undefined; until: number }>()
  private readonly exchange: PeerExchange
  private readonly importQueue = new SerialQueue()
  /** the traffic of the peers that are gone (the live ones count their own) */
  private readonly closedTraffic = new TrafficCounters()
  private retryingConfirmations = false
  private retryConfirmationsAgain = false
  private lastDiscovery = 0
  private timer: TimerHandle | undefined
  private stopped = false

  constructor(opts: NetworkOptions) {
    super()
    this.o = { ...networkDefaults, staticPeers: [], ...opts }
    this.o.syncBatch = Math.max(1, Math.min(this.o.syncBatch, MAX_GET_BLOCKS))
    this.o.maxServeBlocks = Math.max(1, Math.min(this.o.maxServeBlocks, MAX_GET_BLOCKS))
    this.o.maxServeBytes = Math.min(this.o.maxServeBytes, MAX_PAYLOAD[MessageType.Blocks])
    this.log = opts.logger
    this.clock = opts.clock ?? systemClock
    this.chain = opts.chain
    this.scheme = opts.tls ? 'wss' : 'ws'
    this.seen = new BoundedSet(this.o.seenCapacity)
    this.transport = new Transport({ ...opts, status: () => this.chain.status() })
    this.transport.on('peer', (p) => this.onPeer(p))
    this.transport.on('peerClosed', (p, info) => this.onPeerClosed(p, info))
    this.transport.on('message', (p, m) => this.onMessage(p, m))
    this.exchange = new PeerExchange({
      transport: this.transport,
      log: this.log,
      targetPeers: this.o.targetPeers,
      dialBackoffMs: this.o.dialBackoffMs,
      clock: this.clock,
      peerCount: () => this.peerCount,
      connectedUrls: () => new Set([...this.states.values()].map((ps) => ps.listenUrl)),
    })
    this.sync = new RangeSync({
      chain: this.chain,
      log: this.log,
      batch: this.o.syncBatch,
      clock: this.clock,
      peers: () => this.states.values(),
      request: (p, from, count) => this.requestBlocks(p as PeerState, { from, count }),
      importBlock: (b) => this.importBlock(b),
      onImported: (_b, id, p) => {
        this.seen.add(blockKey(id.hash))
        ;(p as PeerState).known.add(blockKey(id.hash))
        this.afterImport()
      },
      onFuture: (b, id, p) => this.deferFuture(b, id, p as PeerState),
      onFinished: (e) => this.emit('synced', e),
    })
  }

  /** listen, dial the static peers, start the maintenance timer */
  async start(): Promise<{ url: string; port: number }> {
    const addr = await this.transport.listen()
    this.exchange.listenUrl = normalizePeerUrl(addr.url)
    for (const url of this.o.staticPeers) this.transport.addStaticPeer(url)
    this.timer = this.clock.setInterval(() => this.maintain(), this.o.maintenanceMs)
    this.timer.unref()
    return addr
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.transport.close()
    this.stopped = true
    if (this.timer) this.clock.clearInterval(this.timer)
    for (const f of this.future.values()) this.clock.clearTimeout(f.timer)
    this.future.clear()
    this.waitingConfirmations.clear()
    for (const ps of this.states.values()) this.failRequest(ps, new Error('network stopping'))
    await this.transport.close()
    await this.sync.stop()
    await this.importQueue.idle()
  }

  get peerCount(): number {
    return this.states.size
  }

  get peers(): PeerInfo[] {
    return [...this.states.values()].map((ps) => ps.info())
  }

  /** P2P bytes and frames sent and received since start, by message type (live and closed peers) */
  traffic(): TrafficSnapshot {
    const all = new TrafficCounters()
    all.add(this.closedTraffic)
    for (const ps of this.states.values()) all.add(ps.peer.traffic)
    return all.snapshot()
  }

  /** eth_syncing: false, or where the running range sync started, is, and is heading */
  syncStatus(): SyncStatus | false {
    return this.sync.status()
  }

  /** a block this node produced or imported: to every peer not known to have it; returns how many got it */
  broadcastBlock(encoded: Uint8Array): number {
    return this.announce(MessageType.Block, encoded, blockKey(this.chain.blockId(encoded).hash))
  }

  broadcastTx(raw: Uint8Array): number {
    return this.announce(MessageType.Tx, raw, txKey(core.keccak256(raw)))
  }

  broadcastConfirmation(encoded: Uint8Array): number {
    return this.announce(MessageType.Confirmation, encoded, confirmationKey(core.keccak256(encoded)))
  }

  /** a flow receipt (its wire bytes) to every peer that does not have it */
  broadcastFlowReceipt(encoded: Uint8Array): number {
    return this.announce(MessageType.FlowReceipt, encoded, flowReceiptKey(core.keccak256(encoded)))
  }

  broadcastFlowSignature(encoded: Uint8Array): number {
    return this.announce(MessageType.FlowSignature, encoded, flowSignatureKey(core.keccak256(encoded)))
  }

  /** something of our own: marked seen (an echo from a peer is not news), then relayed */
  private announce(type: ChainMessageType, payload: Uint8Array, key: string): number {
    this.seen.add(key)
    return this.relay(type, payload, key)
  }

  // ---------------------------------------------------------------- peers

  private onPeer(peer: Peer): void {
    if (this.stopped) return
    const prev = this.states.get(peer.nodeId)
    // the transport replaced a duplicate connection: the old one goes without a peerClosed
    if (prev) {
      this.failRequest(prev, new Error('connection replaced'))
      this.closedTraffic.add(prev.peer.traffic)
    }
    const ps = new PeerState(peer, this.o.knownPerPeer, this.scheme)
    this.states.set(peer.nodeId, ps)
    this.log.debug('peer ready', { peer: ps.id, head: ps.head.number, listenUrl: ps.listenUrl })
    this.emit('peer', ps.info())
    if (ps.head.number > this.chain.status().head.number) this.sync.request()
    if (this.peerCount < this.o.targetPeers) this.askPeers(ps)
  }

  private onPeerClosed(peer: Peer, info: PeerCloseInfo): void {
    const ps = this.states.get(peer.nodeId)
    if (!ps || ps.peer !== peer) return
    this.states.delete(peer.nodeId)
    this.closedTraffic.add(peer.traffic)
    this.failRequest(ps, new Error(`peer closed: ${info.reasonName}`))
    this.emit('peerClosed', ps.info(), info)
    if (!this.stopped) this.exchange.dial()
  }

  private onMessage(peer: Peer, m: OpaqueMessage): void {
    const ps = this.states.get(peer.nodeId)
    if (this.stopped || !ps || ps.peer !== peer) return
    const handled = (() => {
      switch (m.type) {
        case MessageType.Block:
          return this.onBlock(ps, m.payload)
        case MessageType.Tx:
          return this.onTx(ps, m.payload)
        case MessageType.Confirmation:
          return this.onConfirmation(ps, m.payload)
        case MessageType.GetBlocks:
          return this.onGetBlocks(ps, m.payload)
        case MessageType.Blocks:
          return this.onBlocks(ps, m.payload)
        case MessageType.GetPeers:
          return this.onGetPeers(ps, m.payload)
        case MessageType.Peers:
          return this.onPeers(ps, m.payload)
        case MessageType.FlowReceipt:
        case MessageType.FlowSignature:
          return this.onFlow(ps, m.type, m.payload)
        default:
          this.log.debug('message type not handled', { peer: ps.id, type: m.type })
          return undefined
      }
    })()
    // a handler must never take the node down; an adapter failure is logged, not thrown
    Promise.resolve(handled).catch((e) => this.log.error('p2p message handler failed', { peer: ps.id, type: m.type, error: e }))
  }

  /** send to every peer that does not know the item yet, and remember they now do */
  private relay(type: ChainMessageType, payload: Uint8Array, key: string): number {
    let n = 0
    for (const ps of this.states.values()) {
      if (ps.known.has(key) || ps.closed) continue
      ps.known.add(key)
      try {
        ps.peer.send(type, payload)
        n++
      } catch (e) {
        this.log.debug('send failed', { peer: ps.id, error: e })
      }
    }
    return n
  }

  // ---------------------------------------------------------------- gossip

  private async onBlock(ps: PeerState, encoded: Uint8Array): Promise<void> {
    let id: BlockId
    try {
      id = this.chain.blockId(encoded)
    } catch (e) {
      this.log.warn('undecodable block from peer', { peer: ps.id, error: e })
      return ps.penalize(Penalty.BadMessage, `undecodable block: ${errorText(e)}`)
    }
    const key = blockKey(id.hash)
    ps.known.add(key)
    ps.learnHead(id)
    if (!this.seen.add(key)) return
    this.log.debug('block received', { peer: ps.id, number: id.number, hash: id.hash })
    await this.importGossipBlock(encoded, id, ps)
  }

  private async importGossipBlock(encoded: Uint8Array, id: BlockId, from: PeerState | undefined): Promise<void> {
    const key = blockKey(id.hash)
    let r: ImportResult
    try {
      r = await this.importBlock(encoded)
    } catch (e) {
      // a block with this header but a valid body may still come: do not remember the hash as seen
      this.seen.delete(key)
      if (!this.chain.isPeerFault(e)) {
        this.log.error("importing a block failed here (not the peer's fault)", { peer: from?.id, number: id.number, hash: id.hash, error: e })
      } else if (from && !from.closed) {
        this.log.warn('invalid block from peer', { peer: from.id, number: id.number, hash: id.hash, error: e })
        from.penalize(Penalty.InvalidBlock, `invalid block ${id.number}: ${errorText(e)}`, BanReason.InvalidBlock)
      }
      return
    }
    switch (r) {
      case 'imported':
        this.relay(MessageType.Block, encoded, key)
        this.afterImport()
        return
      case 'orphan':
        // not kept: the sync that this starts downloads it with its ancestors
        this.seen.delete(key)
        this.log.debug('orphan block, syncing', { peer: from?.id, number: id.number })
        this.sync.request()
        return
      case 'future':
        this.deferFuture(encoded, id, from)
        return
      case 'known':
        return
    }
  }

  private async onTx(ps: PeerState, raw: Uint8Array): Promise<void> {
    const key = txKey(core.keccak256(raw))
    ps.known.add(key)
    if (!this.seen.add(key)) return
    let r: 'added' | 'known'
    try {
      r = await this.chain.addTransaction(raw)
    } catch (e) {
      // remembered as seen: the same bytes will not be checked again. A pool's own refusal (full,
      // underpriced, a nonce race) or a local fault is not the peer's misbehaviour (geth does not
      // penalise those either): only a transaction that can never be valid costs it score.
      if (!this.chain.isPeerFault(e)) {
        this.log.debug('transaction from peer not taken', { peer: ps.id, error: e })
        return
      }
      this.log.warn('invalid transaction from peer', { peer: ps.id, error: e })
      return ps.penalize(Penalty.InvalidTx, `invalid transaction: ${errorText(e)}`)
    }
    if (r === 'added') this.relay(MessageType.Tx, raw, key)
  }

  private async onConfirmation(ps: PeerState, encoded: Uint8Array): Promise<void> {
    const key = confirmationKey(core.keccak256(encoded))
    ps.known.add(key)
    if (!this.seen.add(key)) return
    await this.handleConfirmation(key, encoded, ps)
  }

  private async handleConfirmation(key: string, encoded: Uint8Array, from: PeerState | undefined): Promise<void> {
    let r: 'added' | 'known' | 'unknown-block'
    try {
      r = await this.chain.addConfirmation(encoded)
    } catch (e) {
      this.waitingConfirmations.delete(key)
      if (!this.chain.isPeerFault(e)) {
        this.log.error("handling a confirmation failed here (not the peer's fault)", { peer: from?.id, error: e })
      } else if (from && !from.closed) {
        this.log.warn('invalid confirmation from peer', { peer: from.id, error: e })
        from.penalize(NetworkPenalty.InvalidConfirmation, `invalid confirmation: ${errorText(e)}`)
      }
      return
    }
    if (r === 'unknown-block') {
      if (!this.waitingConfirmations.has(key)) this.waitConfirmation(key, encoded, from)
      return
    }
    this.waitingConfirmations.delete(key)
    if (r === 'added') this.relay(MessageType.Confirmation, encoded, key)
  }

  /** flow gossip: dedupe by payload hash, hand to the flow service, relay what it passes on */
  private async onFlow(ps: PeerState, type: typeof MessageType.FlowReceipt | typeof MessageType.FlowSignature, payload: Uint8Array): Promise<void> {
    const id = core.keccak256(payload)
    const key = type === MessageType.FlowReceipt ? flowReceiptKey(id) : flowSignatureKey(id)
    ps.known.add(key)
    if (!this.seen.add(key) || this.flow === null) return
    let r: 'relay' | 'drop'
    try {
      r = type === MessageType.FlowReceipt ? await this.flow.onReceipt(payload, ps.id) : await this.flow.onSignature(decodeFlowSignature(payload))
    } catch (e) {
      this.log.debug('invalid flow message from peer', { peer: ps.id, type, error: e })
      return ps.penalize(NetworkPenalty.InvalidFlow, `invalid flow message: ${errorText(e)}`)
    }
    if (r === 'relay') this.relay(type, payload, key)
  }

  private waitConfirmation(key: string, encoded: Uint8Array, from: PeerState | undefined): void {
    if (this.waitingConfirmations.size >= this.o.confirmationCapacity) {
      const oldest = this.waitingConfirmations.keys().next().value as string
      this.waitingConfirmations.delete(oldest)
      this.seen.delete(oldest)
    }
    this.waitingConfirmations.set(key, { encoded, from, until: this.clock.now() + this.o.confirmationTtlMs })
  }

  /** after a block import: retry the confirmations that waited for a block (one pass at a time) */
  private afterImport(): void {
    if (this.waitingConfirmations.size === 0) return
    if (this.retryingConfirmations) {
      this.retryConfirmationsAgain = true
      return
    }
    this.retryingConfirmations = true
    void (async () => {
      try {
        do {
          this.retryConfirmationsAgain = false
          for (const [key, w] of [...this.waitingConfirmations]) {
            if (this.stopped) return
            await this.handleConfirmation(key, w.encoded, w.from)
          }
        } while (this.retryConfirmationsAgain)
      } catch (e) {
        this.log.error('confirmation retry failed', { error: e })
      } finally {
        this.retryingConfirmations = false
      }
    })()
  }

  private deferFuture(encoded: Uint8Array, id: BlockId, from: PeerState | undefined): void {
    const key = blockKey(id.hash)
    if (this.stopped || this.future.has(key)) return
    if (this.future.size >= this.o.futureCapacity) {
      const [oldKey, oldest] = this.future.entries().next().value as [string, { timer: TimerHandle }]
      this.clock.clearTimeout(oldest.timer)
      this.future.delete(oldKey)
      this.seen.delete(oldKey)
    }
    this.seen.add(key)
    this.log.debug('block from the future, retrying later', { number: id.number, hash: id.hash })
    const entry = { encoded, id, from, tries: 0, timer: undefined as unknown as TimerHandle }
    const retry = () => {
      entry.tries++
      this.importBlock(encoded).then(
        (r) => {
          if (this.stopped) return
          if (r === 'future' && entry.tries < this.o.futureMaxTries) {
            entry.timer = this.clock.setTimeout(retry, this.o.futureRetryMs)
            entry.timer.unref()
            return
          }
          this.future.delete(key)
          if (r === 'imported') {
            this.relay(MessageType.Block, encoded, key)
            this.afterImport()
          } else if (r !== 'known') {
            this.seen.delete(key)
          }
          // a sync that stopped at this block can go on now
          this.sync.request()
        },
        (e: unknown) => {
          this.future.delete(key)
          this.seen.delete(key)
          if (!this.chain.isPeerFault(e)) {
            this.log.error("importing a block failed here (not the peer's fault)", { peer: from?.id, number: id.number, hash: id.hash, error: e })
          } else if (from && !from.closed) {
            this.log.warn('invalid block from peer', { peer: from.id, number: id.number, error: e })
            from.penalize(Penalty.InvalidBlock, `invalid block ${id.number}: ${errorText(e)}`, BanReason.InvalidBlock)
          }
        },
      )
    }
    entry.timer = this.clock.setTimeout(retry, this.o.futureRetryMs)
    entry.timer.unref()
    this.future.set(key, entry)
  }

  /** the one way into chain.importBlock: one call at a time, in arrival order */
  private importBlock(encoded: Uint8Array): Promise<ImportResult> {
    return this.importQueue.run(() => this.chain.importBlock(encoded))
  }

  // ---------------------------------------------------------------- range sync: both sides

  private onGetBlocks(ps: PeerState, payload: Uint8Array): void {
    let req: GetBlocks
    try {
      req = decodeGetBlocks(payload)
    } catch (e) {
      this.log.warn('bad GetBlocks from peer', { peer: ps.id, error: e })
      return ps.penalize(Penalty.BadMessage, errorText(e))
    }
    if (ps.serving >= MAX_QUEUED_SERVES) return ps.penalize(Penalty.Unexpected, 'too many GetBlocks at once')
    ps.serving++
    void ps.serveQueue.run(() =>
      this.serveBlocks(ps, req)
        .catch((e) => this.log.warn('serving GetBlocks failed', { peer: ps.id, from: req.from, count: req.count, error: e }))
        .finally(() => ps.serving--),
    )
  }

  private async serveBlocks(ps: PeerState, req: GetBlocks): Promise<void> {
    if (ps.closed || this.stopped) return
    const blocks = await this.chain.getBlocks(req.from, Math.min(req.count, this.o.maxServeBlocks))
    const out: Uint8Array[] = []
    let size = BLOCKS_LIST_OVERHEAD
    for (const b of blocks) {
      size += b.length + BLOCK_ITEM_OVERHEAD
      // at least one block, as long as the answer fits the message limit
      if (size > this.o.maxServeBytes && (out.length > 0 || size > MAX_PAYLOAD[MessageType.Blocks])) break
      out.push(b)
    }
    if (ps.closed) return
    ps.peer.send(MessageType.Blocks, encodeBlocks(out))
    this.log.debug('served blocks', { peer: ps.id, from: req.from, asked: req.count, sent: out.length })
  }

  /** one GetBlocks to one peer; the answer is matched by peer (one request per peer at a time) */
  private requestBlocks(ps: PeerState, req: GetBlocks): Promise<Uint8Array[]> {
    if (ps.pending) return Promise.reject(new Error('a request to this peer is already pending'))
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (ps.pending?.timer !== timer) return
        ps.pending = undefined
        this.log.warn('peer did not answer GetBlocks', { peer: ps.id, from: req.from, timeoutMs: this.o.requestTimeoutMs })
        ps.penalize(NetworkPenalty.Timeout, `no Blocks within ${this.o.requestTimeoutMs} ms`)
        reject(new Error('GetBlocks timed out'))
      }, this.o.requestTimeoutMs)
      timer.unref()
      ps.pending = { ...req, timer, resolve, reject }
      try {
        ps.peer.send(MessageType.GetBlocks, encodeGetBlocks(req))
        this.log.debug('GetBlocks sent', { peer: ps.id, from: req.from, count: req.count })
      } catch (e) {
        this.failRequest(ps, e as Error)
      }
    })
  }

  private failRequest(ps: PeerState, e: Error): void {
    const p = ps.pending
    if (!p) return
    ps.pending = undefined
    this.clock.clearTimeout(p.timer)
    p.reject(e)
  }

  private onBlocks(ps: PeerState, payload: Uint8Array): void {
    const p = ps.pending
    if (!p) return ps.penalize(Penalty.Unexpected, 'Blocks without a GetBlocks')
    ps.pending = undefined
    this.clock.clearTimeout(p.timer)
    let blocks: Uint8Array[]
    try {
      blocks = decodeBlocks(payload)
    } catch (e) {
      this.log.warn('bad Blocks from peer', { peer: ps.id, error: e })
      ps.penalize(Penalty.BadMessage, errorText(e))
      return p.reject(new Error(`bad Blocks payload: ${errorText(e)}`))
    }
    p.resolve(blocks)
  }

  // ---------------------------------------------------------------- peer exchange

  private askPeers(ps: PeerState): void {
    try {
      ps.peer.send(MessageType.GetPeers, encodeGetPeers())
      ps.askedPeers = true
      this.lastDiscovery = this.clock.now()
    } catch (e) {
      this.log.debug('GetPeers send failed', { peer: ps.id, error: e })
    }
  }

  private onGetPeers(ps: PeerState, payload: Uint8Array): void {
    try {
      decodeGetPeers(payload)
    } catch (e) {
      return ps.penalize(Penalty.BadMessage, errorText(e))
    }
    const urls: string[] = []
    for (const other of this.states.values()) {
      if (other !== ps && other.listenUrl && !other.closed) urls.push(other.listenUrl)
    }
    // a random sample when there are more than fit
    while (urls.length > MAX_PEER_URLS) urls.splice(randomInt(urls.length), 1)
    ps.peer.send(MessageType.Peers, encodePeers(urls))
    this.log.debug('peers sent', { peer: ps.id, count: urls.length })
  }

  private onPeers(ps: PeerState, payload: Uint8Array): void {
    if (!ps.askedPeers) return ps.penalize(Penalty.Unexpected, 'Peers without a GetPeers')
    ps.askedPeers = false
    let urls: string[]
    try {
      urls = decodePeers(payload)
    } catch (e) {
      this.log.warn('bad Peers from peer', { peer: ps.id, error: e })
      return ps.penalize(Penalty.BadMessage, errorText(e))
    }
    this.exchange.learn(urls)
    this.log.debug('peers learned', { peer: ps.id, count: urls.length, known: this.exchange.known })
    if (!this.stopped) this.exchange.dial()
  }

  // ---------------------------------------------------------------- upkeep

  private maintain(): void {
    if (this.stopped) return
    const now = this.clock.now()
    for (const [key, w] of this.waitingConfirmations) {
      if (w.until > now) continue
      this.waitingConfirmations.delete(key)
      this.seen.delete(key)
    }
    this.exchange.expire(now)
    // a run that gave up on a slow or failed peer is retried here
    this.sync.request()
    if (this.peerCount >= this.o.targetPeers) return
    this.exchange.dial()
    if (this.peerCount > 0 && now - this.lastDiscovery >= this.o.discoveryIntervalMs) {
      const all = [...this.states.values()]
      this.askPeers(all[randomInt(all.length)]!)
    }
  }
}
