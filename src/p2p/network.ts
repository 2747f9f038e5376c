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
  decodeBlockAnnounce,
  decodeBlockByHash,
  decodeConfirmations,
  decodeGetBlockByHash,
  decodeWitnessId,
  encodeBlockAnnounce,
  encodeBlockByHash,
  encodeConfirmations,
  encodeGetBlockByHash,
  encodeWitnessId,
  MAX_BATCH_CONFIRMATIONS,
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
  MAX_BATCH_TXS,
  TX_ITEM_OVERHEAD,
  TXS_LIST_OVERHEAD,
  decodeTxs,
  encodeTxs,
} from './chainMessages.js'
import { BanReason } from './connectionGate.js'
import { BoundedSet, blockKey, confirmationKey, flowReceiptKey, flowSignatureKey, txKey } from './dedupe.js'
import type { ChainStatus } from './handshake.js'
import type { NodeIdentity } from './identity.js'
import { HelloFeature, MAX_PAYLOAD, MessageType, messageTypeName, type ChainMessageType, type OpaqueMessage } from './messages.js'
import { Penalty, type Peer, type PeerCloseInfo } from './peer.js'
import { PeerExchange, listenUrlOf } from './peerExchange.js'
import { RangeSync, type BlockId, type SyncPeer, type SyncStatus } from './sync.js'
import type { GetAccountRange, GetStorageRange, RangeAnswer } from './snapMessages.js'
import { SNAP_MESSAGE_TYPES, SnapProtocol, type SnapServer } from './snapProtocol.js'
import { TrafficCounters, type TrafficSnapshot } from './traffic.js'
import { Transport, type TransportOptions } from './transport.js'
import { SerialQueue } from '../util/serialQueue.js'
import { isNfcError } from '../util/errors.js'
import { P2pErrorCode } from './framing.js'

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
  /** runs a batch of imports (a range-sync answer) with the final block's synced write once at its end, not once per block */
  deferFinality?<T>(fn: () => Promise<T>): Promise<T>
  /** a raw signed transaction from a peer; 'known' if already had; throws when invalid */
  addTransaction(raw: Uint8Array): Promise<'added' | 'known'>
  /** a witness confirmation; 'unknown-block' when we do not have the block yet; throws when invalid */
  addConfirmation(encoded: Uint8Array): Promise<'added' | 'known' | 'unknown-block'>
  /** whether an error thrown by importBlock or addConfirmation proves the peer's data invalid
   *  (the sender is penalised); false = a local fault (database, disk, a bug): the peer keeps
   *  its score and its connection */
  isPeerFault(e: unknown): boolean
  /** whether a peer-fault error of addTransaction or addConfirmation is a bad signature: no
   *  honest node relays one (each checks signatures first), so the sender is banned at once */
  isBadSignature?(e: unknown): boolean
  /** number and hash of the block encoded by importBlock-compatible bytes, without validating
   *  (used to dedupe gossip and to learn a peer's head); throws on garbage */
  blockId(encoded: Uint8Array): BlockId
  /** one block by hash (canonical or side), encoded; undefined when not held (serves GetBlockByHash) */
  getBlockByHash(hash: Uint8Array): Promise<Uint8Array | undefined>
  /** this node's WitnessId signature of its own P2P node id; undefined when it has no witness key */
  witnessId?(nodeId: Uint8Array): Uint8Array | undefined
  /** the witness address (0x…, lower case) a peer's WitnessId signature of its node id proves; null when invalid */
  witnessOf?(nodeId: Uint8Array, signature: Uint8Array): string | null
  /** the witnesses expected to produce the next blocks (0x…, lower case): confirmations are routed to them */
  nextProducers?(): readonly string[]
  /** the state this node serves snapshot sync from (absent: snapshot requests are answered "unavailable") */
  snap?: SnapServer
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

/** a Txs message is cut at this size (its limit, less the list header) */
const TXS_BATCH_BYTES = MAX_PAYLOAD[MessageType.Txs] - TXS_LIST_OVERHEAD

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
  /** an announced block not delivered this long is asked of the next announcer (and the silent one penalised) */
  fetchTimeoutMs: 3_000,
  /** announced blocks being fetched at once; further announcements of new hashes wait for the next block */
  maxPendingFetches: 32,
  /** relayed confirmations wait this long to travel together in one Confirmations message per peer */
  confirmationBatchMs: 20,
}

export type NetworkTunables = typeof networkDefaults

export interface NetworkOptions extends Omit<TransportOptions, 'status'>, Partial<NetworkTunables> {
  chain: ChainAdapter
  /** ws:// or wss:// urls kept connected (redialed with backoff) */
  staticPeers?: string[]
  /** range sync waits for `releaseSync()` (a snapshot sync runs first) */
  holdSync?: boolean
}

/** penalties of this layer beyond the suggested ones in peer.ts */
export const NetworkPenalty = {
  /** a GetBlocks left unanswered */
  Timeout: 20,
  /** a confirmation the chain rejects (may be a fork disagreement, so less than a bad block) */
  InvalidConfirmation: 10,
  /** a transaction or confirmation whose signature is invalid (ChainAdapter.isBadSignature): one
   *  is enough to drop and ban the sender, like an invalid block */
  InvalidSignature: 100,
  /** a flow receipt or checkpoint signature the flow service rejects */
  InvalidFlow: 10,
  /** an announced block not delivered in time, or not held when asked (the announce was false) */
  FetchFailed: 10,
  /** a WitnessId whose signature proves no witness */
  BadWitnessId: 25,
} as const

/** the most announcers remembered per fetched block (fallbacks when one does not deliver) */
const MAX_ANNOUNCERS = 8
/** GetBlockByHash of one peer answered at once; more is flooding */
const MAX_QUEUED_BLOCK_SERVES = 8
/** blocks announced further above our head than this start a range sync instead of a fetch */
const FETCH_AHEAD_BLOCKS = 8n
/** how many more hops a confirmation may travel when no direct route to the next producers is known */
export const CONFIRMATION_HOPS = 2

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

/** an announced block being fetched from one announcer, the others kept as fallbacks */
interface Fetch {
  key: string
  hash: Uint8Array
  number: bigint
  asked: PeerState | undefined
  announcers: PeerState[]
  timer: TimerHandle | undefined
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
  /** GetBlockByHash being answered */
  servingByHash = 0
  /** the witness address this peer proved with WitnessId, if any */
  witness: string | undefined
  /** relayed confirmations waiting for the batch timer, by hops left */
  readonly confirmationQueue = new Map<number, Uint8Array[]>()
  /** transactions waiting for this turn's flush (one Txs message instead of one frame each) */
  txQueue: Uint8Array[] = []
  txQueueBytes = 0
  /** the peer takes Txs (its Hello says so); else each transaction goes as a Tx */
  readonly takesTxBatches: boolean

  constructor(
    readonly peer: Peer,
    knownCapacity: number,
    scheme: string,
  ) {
    this.head = { ...peer.hello!.head }
    this.takesTxBatches = (peer.hello!.features & HelloFeature.TxBatches) !== 0
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

  send(type: ChainMessageType, payload: Uint8Array): void {
    this.peer.send(type, payload)
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
  private readonly snap: SnapProtocol
  /** range sync waits (a snapshot sync runs) until releaseSync() */
  private syncHeld: boolean
  private readonly future = new Map<string, { encoded: Uint8Array; id: BlockId; from: PeerState | undefined; tries: number; timer: TimerHandle }>()
  private readonly waitingConfirmations = new Map<string, { encoded: Uint8Array; from: PeerState | undefined; hops: number; until: number }>()
  private readonly exchange: PeerExchange
  private readonly importQueue = new SerialQueue()
  /** the traffic of the peers that are gone (the live ones count their own) */
  private readonly closedTraffic = new TrafficCounters()
  /** announced blocks being fetched, by block key */
  private readonly fetches = new Map<string, Fetch>()
  private confirmationTimer: TimerHandle | undefined
  /** the end-of-turn flush of the peers' transaction queues, when one is scheduled */
  private txFlush: NodeJS.Immediate | undefined
  private readonly identity: NodeIdentity
  /** null: not worked out yet */
  private ownWitnessCache: string | undefined | null = null
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
    this.identity = opts.identity
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
    this.syncHeld = opts.holdSync === true
    this.snap = new SnapProtocol({ server: this.chain.snap, log: this.log, clock: this.clock, timeoutMs: this.o.requestTimeoutMs })
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
    if (this.confirmationTimer) this.clock.clearTimeout(this.confirmationTimer)
    if (this.txFlush !== undefined) clearImmediate(this.txFlush)
    for (const f of this.fetches.values()) if (f.timer) this.clock.clearTimeout(f.timer)
    this.fetches.clear()
    for (const f of this.future.values()) this.clock.clearTimeout(f.timer)
    this.future.clear()
    this.waitingConfirmations.clear()
    for (const ps of this.states.values()) {
      this.failRequest(ps, new Error('network stopping'))
      this.snap.peerClosed(ps, 'network stopping')
    }
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

  /** a range sync run unless one runs or a snapshot sync holds it */
  private requestSync(): void {
    if (!this.syncHeld) this.sync.request()
  }

  /** the snapshot sync is over: range sync may run (and starts if a peer is ahead) */
  releaseSync(): void {
    this.syncHeld = false
    this.requestSync()
  }

  // ---------------------------------------------------------------- snapshot sync (snapProtocol.ts)

  /** the account trie's leaves at `root` from `origin`, with their proof (unchecked: the caller checks it) */
  requestAccountRange(peerId: string, r: Omit<GetAccountRange, 'id'>): Promise<RangeAnswer> {
    return this.snap.requestAccountRange(this.peerState(peerId), r)
  }

  /** one account's storage leaves from `origin`, with their proof (unchecked) */
  requestStorageRange(peerId: string, r: Omit<GetStorageRange, 'id'>): Promise<RangeAnswer> {
    return this.snap.requestStorageRange(this.peerState(peerId), r)
  }

  /** contract codes by hash (unchecked) */
  requestByteCodes(peerId: string, hashes: Uint8Array[]): Promise<Uint8Array[]> {
    return this.snap.requestByteCodes(this.peerState(peerId), hashes)
  }

  /** blocks' receipts by hash, encoded (unchecked: the snapshot sync checks them against the receipts roots) */
  requestReceipts(peerId: string, hashes: Uint8Array[]): Promise<Uint8Array[]> {
    return this.snap.requestReceipts(this.peerState(peerId), hashes)
  }

  /** consecutive canonical blocks [from, from+count) of a peer (the snapshot sync's header download; range sync held) */
  requestBlocksOf(peerId: string, from: bigint, count: number): Promise<Uint8Array[]> {
    return this.requestBlocks(this.peerState(peerId), { from, count: Math.max(1, Math.min(count, MAX_GET_BLOCKS)) })
  }

  /** a peer's snapshot answer or header proved invalid: disconnect and ban it (BanReason.InvalidProof) */
  penalizeProof(peerId: string, why: string): void {
    const ps = this.states.get(peerId)
    if (ps !== undefined) this.snap.penalizeProof(ps, why)
  }

  private peerState(peerId: string): PeerState {
    const ps = this.states.get(peerId)
    if (ps === undefined) throw new Error(`peer ${peerId} is not connected`)
    return ps
  }

  /** eth_syncing: false, or where the running range sync started, is, and is heading */
  syncStatus(): SyncStatus | false {
    return this.sync.status()
  }

  /** a block this node produced: in full to every peer not known to have it (it is the first hop); returns how many got it */
  broadcastBlock(encoded: Uint8Array): number {
    const id = this.chain.blockId(encoded)
    const key = blockKey(id.hash)
    this.seen.add(key)
    return this.relayBlock(encoded, key, 'all')
  }

  /** a transaction to every peer not known to have it (queued: see queueTx); returns how many will get it */
  broadcastTx(raw: Uint8Array): number {
    const key = txKey(core.keccak256(raw))
    this.seen.add(key)
    return this.relayTx(raw, key)
  }

  /** relay() for transactions: queued per peer and sent at the end of the turn, batched */
  private relayTx(raw: Uint8Array, key: string): number {
    const to = this.unaware(key)
    for (const ps of to) this.queueTx(ps, raw)
    return to.length
  }

  /**
   * Transactions leave in batches: a wallet's burst (an RPC batch, a pool refill) or a batch
   * relayed on is one Txs message per peer instead of a frame, a write and a dispatch each (under
   * load those writes were seconds of the main thread). Flushed once the turn's work is done
   * (setImmediate: no added delay beyond it), or at once when a batch is full.
   */
  private queueTx(ps: PeerState, raw: Uint8Array): void {
    if (ps.txQueue.length > 0 && (ps.txQueue.length >= MAX_BATCH_TXS || ps.txQueueBytes + raw.length + TX_ITEM_OVERHEAD > TXS_BATCH_BYTES)) this.flushTxsOf(ps)
    ps.txQueue.push(raw)
    ps.txQueueBytes += raw.length + TX_ITEM_OVERHEAD
    if (this.txFlush === undefined && !this.stopped) this.txFlush = setImmediate(() => this.flushTxs())
  }

  private flushTxs(): void {
    this.txFlush = undefined
    for (const ps of this.states.values()) this.flushTxsOf(ps)
  }

  private flushTxsOf(ps: PeerState): void {
    const txs = ps.txQueue
    if (txs.length === 0) return
    ps.txQueue = []
    ps.txQueueBytes = 0
    if (ps.closed) return
    try {
      if (txs.length === 1 || !ps.takesTxBatches) for (const raw of txs) ps.peer.send(MessageType.Tx, raw)
      else ps.peer.send(MessageType.Txs, encodeTxs(txs))
    } catch (e) {
      this.log.debug('send failed', { peer: ps.id, error: e })
    }
  }

  /** this node's own confirmation, routed to the next producers (see routeConfirmation); returns how many peers got it */
  broadcastConfirmation(encoded: Uint8Array): number {
    const key = confirmationKey(core.keccak256(encoded))
    this.seen.add(key)
    return this.routeConfirmation(encoded, key, CONFIRMATION_HOPS, true)
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
      this.snap.peerClosed(prev, 'connection replaced')
      this.dropFetcher(prev)
      this.closedTraffic.add(prev.peer.traffic)
    }
    const ps = new PeerState(peer, this.o.knownPerPeer, this.scheme)
    this.states.set(peer.nodeId, ps)
    this.log.debug('peer ready', { peer: ps.id, head: ps.head.number, listenUrl: ps.listenUrl })
    this.emit('peer', ps.info())
    if (ps.head.number > this.chain.status().head.number) this.requestSync()
    if (this.peerCount < this.o.targetPeers) this.askPeers(ps)
    this.sendWitnessId(ps)
  }

  private onPeerClosed(peer: Peer, info: PeerCloseInfo): void {
    const ps = this.states.get(peer.nodeId)
    if (!ps || ps.peer !== peer) return
    this.states.delete(peer.nodeId)
    this.closedTraffic.add(peer.traffic)
    this.failRequest(ps, new Error(`peer closed: ${info.reasonName}`))
    this.snap.peerClosed(ps, `peer closed: ${info.reasonName}`)
    this.dropFetcher(ps)
    this.emit('peerClosed', ps.info(), info)
    if (!this.stopped) this.exchange.dial()
  }

  private onMessage(peer: Peer, m: OpaqueMessage): void {
    const ps = this.states.get(peer.nodeId)
    if (this.stopped || !ps || ps.peer !== peer) return
    const dispatch = () => {
      switch (m.type) {
        case MessageType.Block:
          return this.onBlock(ps, m.payload)
        case MessageType.Tx:
          return this.onTx(ps, m.payload)
        case MessageType.Txs:
          return this.onTxs(ps, m.payload)
        case MessageType.Confirmation:
          return this.onConfirmation(ps, m.payload, 0)
        case MessageType.Confirmations:
          return this.onConfirmations(ps, m.payload)
        case MessageType.BlockAnnounce:
          return this.onBlockAnnounce(ps, m.payload)
        case MessageType.GetBlockByHash:
          return this.onGetBlockByHash(ps, m.payload)
        case MessageType.BlockByHash:
          return this.onBlockByHash(ps, m.payload)
        case MessageType.WitnessId:
          return this.onWitnessId(ps, m.payload)
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
          if (SNAP_MESSAGE_TYPES.has(m.type)) return this.snap.onMessage(ps, m.type, m.payload)
          this.log.debug('message type not handled', { peer: ps.id, type: m.type })
          return undefined
      }
    }
    // a handler must never take the node down, whether it throws or rejects: an answer to a peer
    // that is going away (a message read just before its close) is dropped; anything else is logged
    let handled: unknown
    try {
      handled = dispatch()
    } catch (e) {
      handled = Promise.reject(e)
    }
    Promise.resolve(handled).catch((e) => {
      if (isNfcError(e) && e.code === P2pErrorCode.Send && !ps.peer.writable) {
        this.log.debug('answer not sent: the peer is going away', { peer: ps.id, type: m.type })
      } else {
        this.log.error('p2p message handler failed', { peer: ps.id, type: m.type, error: e })
      }
    })
  }

  /**
   * A chain message's payload through its decoder, or undefined when it is malformed: then the
   * sender is penalised (Penalty.BadMessage) and the refusal logged.
   */
  private decodeFrom<T>(ps: PeerState, type: ChainMessageType, payload: Uint8Array, decode: (payload: Uint8Array) => T): T | undefined {
    try {
      return decode(payload)
    } catch (e) {
      this.log.warn(`bad ${messageTypeName(type)} from peer`, { peer: ps.id, error: e })
      ps.penalize(Penalty.BadMessage, errorText(e))
      return undefined
    }
  }

  /** the peers not known to have item `key`, each marked as having it from now on (an item crosses a link once) */
  private unaware(key: string): PeerState[] {
    const out: PeerState[] = []
    for (const ps of this.states.values()) {
      if (ps.known.has(key) || ps.closed) continue
      ps.known.add(key)
      out.push(ps)
    }
    return out
  }

  /** send to every peer that does not know the item yet, and remember they now do */
  private relay(type: ChainMessageType, payload: Uint8Array, key: string): number {
    let n = 0
    for (const ps of this.unaware(key)) {
      try {
        ps.peer.send(type, payload)
        n++
      } catch (e) {
        this.log.debug('send failed', { peer: ps.id, error: e })
      }
    }
    return n
  }

  /** `count` of `items` picked at random (the rest in their order after them) */
  private static pick<T>(items: T[], count: number): T[] {
    const a = [...items]
    for (let i = 0; i < Math.min(count, a.length - 1); i++) {
      const j = i + randomInt(a.length - i)
      ;[a[i], a[j]] = [a[j]!, a[i]!]
    }
    return a
  }

  /**
   * A block to every peer not known to have it, each getting it once: 'all' (our own block, the
   * first hop) in full to each; 'fanout' in full to ⌈√m⌉ of the m, chosen at random, and an
   * announce to the rest (they fetch it from us if no one else brings it first); 'none' an
   * announce to each. Returns how many peers got the full block.
   */
  private relayBlock(encoded: Uint8Array, key: string, push: 'all' | 'fanout' | 'none'): number {
    const open = [...this.states.values()].filter((ps) => !ps.closed && !ps.known.has(key))
    const full = push === 'all' ? open.length : push === 'fanout' ? Math.ceil(Math.sqrt(open.length)) : 0
    let announce: Uint8Array | undefined
    let n = 0
    Network.pick(open, full).forEach((ps, i) => {
      ps.known.add(key)
      try {
        if (i < full) {
          ps.peer.send(MessageType.Block, encoded)
          n++
        } else {
          if (announce === undefined) {
            const id = this.chain.blockId(encoded)
            announce = encodeBlockAnnounce({ number: id.number, hash: id.hash })
          }
          ps.peer.send(MessageType.BlockAnnounce, announce)
        }
      } catch (e) {
        this.log.debug('send failed', { peer: ps.id, error: e })
      }
    })
    return n
  }

  /**
   * A confirmation to the witnesses that need it: the next producers include it in their blocks,
   * and every other node learns finality from those blocks. It goes straight to each next producer
   * among our peers (with no hops left: it has arrived). When some next producer is not a peer of
   * ours (or no schedule is known), it also goes to ⌈√m⌉ of the other m peers not known to have it
   * (to every one without a schedule), with `hops` left so they pass it on. Our own confirmations
   * leave at once; relayed ones wait `confirmationBatchMs` to travel together. Returns how many
   * peers it was sent or queued to.
   */
  private routeConfirmation(encoded: Uint8Array, key: string, hops: number, own: boolean): number {
    const producers = this.chain.nextProducers?.() ?? []
    const open = [...this.states.values()].filter((ps) => !ps.closed && !ps.known.has(key))
    const sends: { ps: PeerState; hops: number }[] = []
    if (producers.length === 0) {
      for (const ps of open) sends.push({ ps, hops })
    } else {
      const ours = this.ownWitness
      const peered = new Set([...this.states.values()].map((ps) => ps.witness))
      const others: PeerState[] = []
      for (const ps of open) {
        if (ps.witness !== undefined && producers.includes(ps.witness)) sends.push({ ps, hops: 0 })
        else others.push(ps)
      }
      const unreached = producers.some((p) => p !== ours && !peered.has(p))
      const fanout = Math.ceil(Math.sqrt(others.length))
      if (unreached && hops > 0) for (const ps of Network.pick(others, fanout).slice(0, fanout)) sends.push({ ps, hops })
    }
    for (const { ps, hops: h } of sends) {
      ps.known.add(key)
      if (own) this.sendConfirmations(ps, h, [encoded])
      else this.queueConfirmation(ps, h, encoded)
    }
    return sends.length
  }

  private sendConfirmations(ps: PeerState, hops: number, items: Uint8Array[]): void {
    if (ps.closed) return
    try {
      for (let i = 0; i < items.length; i += MAX_BATCH_CONFIRMATIONS) {
        ps.peer.send(MessageType.Confirmations, encodeConfirmations({ hops, items: items.slice(i, i + MAX_BATCH_CONFIRMATIONS) }))
      }
    } catch (e) {
      this.log.debug('send failed', { peer: ps.id, error: e })
    }
  }

  private queueConfirmation(ps: PeerState, hops: number, encoded: Uint8Array): void {
    const q = ps.confirmationQueue.get(hops)
    if (q) q.push(encoded)
    else ps.confirmationQueue.set(hops, [encoded])
    if (this.confirmationTimer !== undefined || this.stopped) return
    this.confirmationTimer = this.clock.setTimeout(() => this.flushConfirmations(), this.o.confirmationBatchMs)
    this.confirmationTimer.unref()
  }

  /** every peer's queued confirmations, one message per peer and hop count */
  private flushConfirmations(): void {
    this.confirmationTimer = undefined
    for (const ps of this.states.values()) {
      for (const [hops, items] of ps.confirmationQueue) this.sendConfirmations(ps, hops, items)
      ps.confirmationQueue.clear()
    }
  }

  // ---------------------------------------------------------------- witness ids

  /** the witness address this node proves to its peers (cached: one signature check per node) */
  private get ownWitness(): string | undefined {
    if (this.ownWitnessCache === null) {
      const sig = this.chain.witnessId?.(this.identity.publicKey)
      this.ownWitnessCache = sig === undefined ? undefined : (this.chain.witnessOf?.(this.identity.publicKey, sig) ?? undefined)
    }
    return this.ownWitnessCache
  }

  private sendWitnessId(ps: PeerState): void {
    const sig = this.chain.witnessId?.(this.identity.publicKey)
    if (sig === undefined) return
    try {
      ps.peer.send(MessageType.WitnessId, encodeWitnessId(sig))
    } catch (e) {
      this.log.debug('WitnessId send failed', { peer: ps.id, error: e })
    }
  }

  private onWitnessId(ps: PeerState, payload: Uint8Array): void {
    let sig: Uint8Array
    try {
      sig = decodeWitnessId(payload)
    } catch (e) {
      return ps.penalize(Penalty.BadMessage, errorText(e))
    }
    if (ps.witness !== undefined) return ps.penalize(Penalty.Unexpected, 'a second WitnessId')
    if (this.chain.witnessOf === undefined) return
    const witness = this.chain.witnessOf(ps.peer.hello!.nodeId, sig)
    if (witness === null) return ps.penalize(NetworkPenalty.BadWitnessId, 'WitnessId signature proves no witness')
    ps.witness = witness
    this.log.debug('peer is a witness', { peer: ps.id, witness })
  }

  // ---------------------------------------------------------------- announce and fetch

  private onBlockAnnounce(ps: PeerState, payload: Uint8Array): void {
    const a = this.decodeFrom(ps, MessageType.BlockAnnounce, payload, decodeBlockAnnounce)
    if (a === undefined) return
    const key = blockKey(a.hash)
    ps.known.add(key)
    ps.learnHead(a)
    if (this.seen.has(key)) return
    const f = this.fetches.get(key)
    if (f) {
      if (f.asked !== ps && !f.announcers.includes(ps) && f.announcers.length < MAX_ANNOUNCERS) f.announcers.push(ps)
      return
    }
    // far ahead: a range sync fetches it with its ancestors
    if (a.number > this.chain.status().head.number + FETCH_AHEAD_BLOCKS) return this.requestSync()
    if (this.fetches.size >= this.o.maxPendingFetches) {
      this.log.debug('too many blocks being fetched, announce dropped', { peer: ps.id, number: a.number })
      return
    }
    const fetch: Fetch = { key, hash: a.hash, number: a.number, asked: undefined, announcers: [ps], timer: undefined }
    this.fetches.set(key, fetch)
    this.askNext(fetch)
  }

  /** asks the next announcer of a block for it; gives up when none is left */
  private askNext(f: Fetch): void {
    if (f.timer) this.clock.clearTimeout(f.timer)
    f.timer = undefined
    f.asked = undefined
    if (this.seen.has(f.key) || this.stopped) {
      this.fetches.delete(f.key)
      return
    }
    let ps: PeerState | undefined
    while ((ps = f.announcers.shift()) !== undefined && ps.closed);
    if (ps === undefined) {
      this.fetches.delete(f.key)
      this.log.debug('announced block not fetched: no announcer left', { number: f.number, hash: f.hash })
      return
    }
    f.asked = ps
    try {
      ps.peer.send(MessageType.GetBlockByHash, encodeGetBlockByHash(f.hash))
    } catch (e) {
      this.log.debug('GetBlockByHash send failed', { peer: ps.id, error: e })
      return this.askNext(f)
    }
    const asked = ps
    f.timer = this.clock.setTimeout(() => {
      if (f.asked !== asked || this.fetches.get(f.key) !== f) return
      if (!this.seen.has(f.key)) asked.penalize(NetworkPenalty.FetchFailed, `announced block ${f.number} not delivered within ${this.o.fetchTimeoutMs} ms`)
      this.askNext(f)
    }, this.o.fetchTimeoutMs)
    f.timer.unref()
  }

  /** a peer that closed: the fetches it was asked for move on to the next announcer */
  private dropFetcher(ps: PeerState): void {
    for (const f of [...this.fetches.values()]) {
      f.announcers = f.announcers.filter((a) => a !== ps)
      if (f.asked === ps) this.askNext(f)
    }
  }

  private onGetBlockByHash(ps: PeerState, payload: Uint8Array): void {
    const hash = this.decodeFrom(ps, MessageType.GetBlockByHash, payload, decodeGetBlockByHash)
    if (hash === undefined) return
    if (ps.servingByHash >= MAX_QUEUED_BLOCK_SERVES) return ps.penalize(Penalty.Unexpected, 'too many GetBlockByHash at once')
    ps.servingByHash++
    this.chain
      .getBlockByHash(hash)
      .then((block) => {
        if (!ps.peer.writable || this.stopped) return
        // it has the block now (or will ask elsewhere): no announce of it back
        if (block !== undefined) ps.known.add(blockKey(hash))
        ps.peer.send(MessageType.BlockByHash, encodeBlockByHash({ hash, block }))
      })
      .catch((e) => this.log.warn('serving GetBlockByHash failed', { peer: ps.id, error: e }))
      .finally(() => ps.servingByHash--)
  }

  private async onBlockByHash(ps: PeerState, payload: Uint8Array): Promise<void> {
    const answer = this.decodeFrom(ps, MessageType.BlockByHash, payload, decodeBlockByHash)
    if (answer === undefined) return
    const key = blockKey(answer.hash)
    const f = this.fetches.get(key)
    if (!f || f.asked !== ps) return ps.penalize(Penalty.Unexpected, 'BlockByHash without a GetBlockByHash')
    if (f.timer) this.clock.clearTimeout(f.timer)
    f.timer = undefined
    if (answer.block === undefined) {
      if (!this.seen.has(key)) ps.penalize(NetworkPenalty.FetchFailed, `announced block ${f.number} but does not hold it`)
      return this.askNext(f)
    }
    let id: BlockId
    try {
      id = this.chain.blockId(answer.block)
    } catch (e) {
      ps.penalize(Penalty.BadMessage, `undecodable block: ${errorText(e)}`)
      return this.askNext(f)
    }
    if (blockKey(id.hash) !== key) {
      ps.penalize(Penalty.InvalidBlock, `BlockByHash for block ${f.number} carried another block`)
      return this.askNext(f)
    }
    this.fetches.delete(key)
    await this.onBlock(ps, answer.block)
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
        // straight from its producer: the producer sent it to all its peers, so only announce it
        this.relayBlock(encoded, key, from?.witness !== undefined && from.witness === id.producer ? 'none' : 'fanout')
        this.afterImport()
        return
      case 'orphan':
        // not kept: the sync that this starts downloads it with its ancestors
        this.seen.delete(key)
        this.log.debug('orphan block, syncing', { peer: from?.id, number: id.number })
        this.requestSync()
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
      return this.penalizeInvalid(ps, Penalty.InvalidTx, `invalid transaction: ${errorText(e)}`, e)
    }
    if (r === 'added') this.relayTx(raw, key)
  }

  /**
   * A batch: each transaction as if it came alone, all started in this turn, so their senders are
   * recovered together (the recovery pool batches a turn's requests onto its workers).
   */
  private async onTxs(ps: PeerState, payload: Uint8Array): Promise<void> {
    const raws = this.decodeFrom(ps, MessageType.Txs, payload, decodeTxs)
    if (raws === undefined) return
    await Promise.all(raws.map((raw) => this.onTx(ps, raw)))
  }

  /** one confirmation that may travel `hops` more times from here */
  private async onConfirmation(ps: PeerState, encoded: Uint8Array, hops: number): Promise<void> {
    const key = confirmationKey(core.keccak256(encoded))
    ps.known.add(key)
    if (!this.seen.add(key)) return
    await this.handleConfirmation(key, encoded, ps, hops)
  }

  private async onConfirmations(ps: PeerState, payload: Uint8Array): Promise<void> {
    const batch = this.decodeFrom(ps, MessageType.Confirmations, payload, decodeConfirmations)
    if (batch === undefined) return
    for (const c of batch.items) {
      if (ps.closed) return
      await this.onConfirmation(ps, c, batch.hops)
    }
  }

  private async handleConfirmation(key: string, encoded: Uint8Array, from: PeerState | undefined, hops: number): Promise<void> {
    let r: 'added' | 'known' | 'unknown-block'
    try {
      r = await this.chain.addConfirmation(encoded)
    } catch (e) {
      this.waitingConfirmations.delete(key)
      if (!this.chain.isPeerFault(e)) {
        this.log.error("handling a confirmation failed here (not the peer's fault)", { peer: from?.id, error: e })
      } else if (from && !from.closed) {
        this.log.warn('invalid confirmation from peer', { peer: from.id, error: e })
        this.penalizeInvalid(from, NetworkPenalty.InvalidConfirmation, `invalid confirmation: ${errorText(e)}`, e)
      }
      return
    }
    if (r === 'unknown-block') {
      if (!this.waitingConfirmations.has(key)) this.waitConfirmation(key, encoded, from, hops)
      return
    }
    this.waitingConfirmations.delete(key)
    if (r === 'added' && hops > 0) this.routeConfirmation(encoded, key, hops - 1, false)
  }

  /**
   * A transaction or confirmation the chain refused as the peer's fault: a bad signature proves
   * malice (disconnect and ban at once); anything else costs `points` of score. Flow messages are
   * not judged this way: a node outside the committee relays receipts it did not validate.
   */
  private penalizeInvalid(ps: PeerState, points: number, why: string, e: unknown): void {
    if (this.chain.isBadSignature?.(e) === true) ps.penalize(NetworkPenalty.InvalidSignature, why, BanReason.InvalidSignature)
    else ps.penalize(points, why)
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

  private waitConfirmation(key: string, encoded: Uint8Array, from: PeerState | undefined, hops: number): void {
    if (this.waitingConfirmations.size >= this.o.confirmationCapacity) {
      const oldest = this.waitingConfirmations.keys().next().value as string
      this.waitingConfirmations.delete(oldest)
      this.seen.delete(oldest)
    }
    this.waitingConfirmations.set(key, { encoded, from, hops, until: this.clock.now() + this.o.confirmationTtlMs })
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
            await this.handleConfirmation(key, w.encoded, w.from, w.hops)
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
            this.relayBlock(encoded, key, 'fanout')
            this.afterImport()
          } else if (r !== 'known') {
            this.seen.delete(key)
          }
          // a sync that stopped at this block can go on now
          this.requestSync()
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
    const req = this.decodeFrom(ps, MessageType.GetBlocks, payload, decodeGetBlocks)
    if (req === undefined) return
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
    if (!ps.peer.writable) return
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
    if (!ps.peer.writable) return
    ps.peer.send(MessageType.Peers, encodePeers(urls))
    this.log.debug('peers sent', { peer: ps.id, count: urls.length })
  }

  private onPeers(ps: PeerState, payload: Uint8Array): void {
    if (!ps.askedPeers) return ps.penalize(Penalty.Unexpected, 'Peers without a GetPeers')
    ps.askedPeers = false
    const urls = this.decodeFrom(ps, MessageType.Peers, payload, decodePeers)
    if (urls === undefined) return
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
    this.requestSync()
    if (this.peerCount >= this.o.targetPeers) return
    this.exchange.dial()
    if (this.peerCount > 0 && now - this.lastDiscovery >= this.o.discoveryIntervalMs) {
      const all = [...this.states.values()]
      this.askPeers(all[randomInt(all.length)]!)
    }
  }
}
