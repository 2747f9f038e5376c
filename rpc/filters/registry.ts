/**
 * Filters (eth_newFilter & co., polled) and subscriptions (eth_subscribe, pushed over a
 * WebSocket) of one node. Both are fed by the same chain and pool events: the registry listens
 * only while at least one filter or subscription exists, so an idle node pays nothing and a
 * closed one keeps no listener.
 *
 * Reorgs: the chain has none yet. The registry already listens for `REMOVED_BLOCK_EVENT` on the
 * Blockchain emitter, payload `NewBlockEvent` (the block and its receipts), one event per block
 * leaving the canonical chain, newest first, before the `'block'` events of the new branch.
 * Log filters and `logs` subscriptions then deliver that block's matching logs again with
 * `removed: true`, as geth does. The DPoS issue, which brings forks, must emit it.
 */
import { randomBytes } from 'node:crypto'
import type { TypedTransaction } from '@ethereumjs/tx'
import { equalBytes } from '../../src/chain/header.js'
import type { Log } from '../../src/chain/receipt.js'
import type { NewBlockEvent } from '../../src/node/interface.js'
import type { NodeApi } from '../../src/node/interface.js'
import { silentLogger, type Logger } from '../../src/util/logger.js'
import { tooManyFilters, tooManySubscriptions } from '../config.js'
import { logMatches } from '../eth/getLogs.js'
import { formatTx, hex } from '../format.js'
import type { LogFilter } from '../params.js'
import type { RpcConnection, RpcContext } from '../types.js'
import { blockUpdate, type BlockUpdate } from './blockUpdate.js'
import { filterNotFound, subscriptionNotFound } from './errors.js'

/** The chain event a reorg must emit for each block it removes (see the file comment). */
export const REMOVED_BLOCK_EVENT = 'removedBlock'

export const DEFAULT_FILTER_TIMEOUT_MS = 5 * 60_000
export const DEFAULT_MAX_FILTERS = 1_000
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 128
export const DEFAULT_MAX_BUFFERED = 10_000

export interface FilterRegistryOptions {
  /** a filter not polled for this long is removed (default 5 minutes, as geth) */
  filterTimeoutMs?: number
  /** filters per node when the call carries no `ctx.limits` (default 1,000) */
  maxFilters?: number
  /** subscriptions per WebSocket connection when the call carries no `ctx.limits` (default 128) */
  maxSubscriptionsPerConnection?: number
  /**
   * results a filter holds between polls, or a subscription holds before its id is out; past
   * it the oldest are dropped, so a client that never polls cannot grow the node's memory
   */
  maxBuffered?: number
  /** milliseconds clock for expiry; tests move it by hand */
  now?: () => number
  logger?: Logger
  /** told of each filter removed for being idle */
  onExpired?: (id: string) => void
}

export type FilterKind = 'logs' | 'blocks' | 'pendingTransactions'
export type SubscriptionKind = 'newHeads' | 'logs' | 'newPendingTransactions'

interface Filter {
  kind: FilterKind
  criteria: LogFilter
  fullTx: boolean
  items: unknown[]
  lastPoll: number
}

interface Subscription {
  id: string
  kind: SubscriptionKind
  connection: RpcConnection
  criteria: LogFilter
  fullTx: boolean
  /** false until the eth_subscribe answer has gone out; notifications wait in `queue` */
  active: boolean
  queue: unknown[]
}

const matchAll: LogFilter = { addresses: [], topics: [] }

/** geth's rpc.NewID: 16 random bytes as a 0x hex quantity (leading zeros trimmed). */
export function newId(): string {
  return '0x' + (randomBytes(16).toString('hex').replace(/^0+/, '') || '0')
}

/**
 * geth's filterLogs range rule: only numeric bounds limit which new blocks a filter sees (tags
 * like "latest" do not), and a blockHash filter sees only that block.
 */
function blockInRange(f: LogFilter, block: BlockUpdate): boolean {
  if (f.blockHash !== undefined) return equalBytes(f.blockHash, block.hash)
  if (f.fromBlock !== undefined && 'number' in f.fromBlock && block.number < f.fromBlock.number) return false
  if (f.toBlock !== undefined && 'number' in f.toBlock && block.number > f.toBlock.number) return false
  return true
}

function matchingLogs(f: LogFilter, block: BlockUpdate): Record<string, unknown>[] {
  if (!blockInRange(f, block)) return []
  return block
    .logs()
    .filter((l) => logMatches(l.log as Log, f))
    .map((l) => l.json)
}

export class FilterRegistry {
  private readonly filters = new Map<string, Filter>()
  private readonly subs = new Map<string, Subscription>()
  private readonly byConnection = new Map<RpcConnection, Set<string>>()
  private readonly timeoutMs: number
  private readonly maxFilters: number
  private readonly maxSubs: number
  private readonly maxBuffered: number
  private readonly now: () => number
  private readonly log: Logger
  private readonly onExpired?: (id: string) => void
  private stopListening?: () => void
  private sweepTimer?: NodeJS.Timeout

  constructor(
    private readonly node: Pick<NodeApi, 'chain' | 'txpool'>,
    opts: FilterRegistryOptions = {},
  ) {
    this.timeoutMs = opts.filterTimeoutMs ?? DEFAULT_FILTER_TIMEOUT_MS
    this.maxFilters = opts.maxFilters ?? DEFAULT_MAX_FILTERS
    this.maxSubs = opts.maxSubscriptionsPerConnection ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION
    this.maxBuffered = opts.maxBuffered ?? DEFAULT_MAX_BUFFERED
    this.now = opts.now ?? Date.now
    this.log = opts.logger ?? silentLogger
    this.onExpired = opts.onExpired
  }

  get filterCount(): number {
    return this.filters.size
  }

  get subscriptionCount(): number {
    return this.subs.size
  }

  // ---------------------------------------------------------------- filters

  /**
   * `maxFilters`: the server's limit (ctx.limits) for this call, else the registry's.
   * @throws NfcError RPC_LIMIT when the node already holds that many filters
   */
  install(kind: FilterKind, opts: { criteria?: LogFilter; fullTx?: boolean; maxFilters?: number } = {}): string {
    this.sweep()
    const max = opts.maxFilters ?? this.maxFilters
    if (this.filters.size >= max) throw tooManyFilters(max)
    const id = newId()
    this.filters.set(id, { kind, criteria: opts.criteria ?? matchAll, fullTx: opts.fullTx ?? false, items: [], lastPoll: this.now() })
    this.update()
    return id
  }

  /** What the filter collected since the last poll; each result is returned once. */
  changes(id: string): unknown[] {
    const f = this.poll(id)
    const out = f.items
    f.items = []
    return out
  }

  /** A log filter's criteria, for eth_getFilterLogs; other kinds are "filter not found" as in geth. */
  logCriteria(id: string): LogFilter {
    const f = this.poll(id)
    if (f.kind !== 'logs') throw filterNotFound(id)
    return f.criteria
  }

  uninstall(id: string): boolean {
    this.sweep()
    const found = this.filters.delete(id)
    this.update()
    return found
  }

  /** Removes every filter idle for longer than the timeout. Runs on a timer and before each filter call. */
  sweep(): void {
    const now = this.now()
    for (const [id, f] of this.filters) {
      if (now - f.lastPoll < this.timeoutMs) continue
      this.filters.delete(id)
      this.log.debug('filter expired', { id })
      this.onExpired?.(id)
    }
    this.update()
  }

  private poll(id: string): Filter {
    this.sweep()
    const f = this.filters.get(id)
    if (f === undefined) throw filterNotFound(id)
    f.lastPoll = this.now()
    return f
  }

  // ---------------------------------------------------------------- subscriptions

  /**
   * `maxSubscriptions`: the server's per-connection limit (ctx.limits), else the registry's.
   * @throws NfcError RPC_LIMIT when the connection already has that many
   */
  subscribe(connection: RpcConnection, kind: SubscriptionKind, opts: { criteria?: LogFilter; fullTx?: boolean; maxSubscriptions?: number } = {}): string {
    let ids = this.byConnection.get(connection)
    if (ids === undefined) {
      ids = new Set()
      this.byConnection.set(connection, ids)
      connection.onClose(() => this.connectionClosed(connection))
    }
    const max = opts.maxSubscriptions ?? this.maxSubs
    if (ids.size >= max) throw tooManySubscriptions(max)
    const id = newId()
    const sub: Subscription = { id, kind, connection, criteria: opts.criteria ?? matchAll, fullTx: opts.fullTx ?? false, active: false, queue: [] }
    this.subs.set(id, sub)
    ids.add(id)
    this.update()
    // The id must reach the client before the first notification does: the answer is sent once
    // the handler's promise settles, within the current turn, so start delivering on the next.
    setImmediate(() => {
      if (this.subs.get(id) !== sub) return
      sub.active = true
      for (const message of sub.queue.splice(0)) connection.send(message)
    })
    return id
  }

  /** @throws NfcError "subscription not found" for an id this connection does not hold (geth) */
  unsubscribe(connection: RpcConnection | undefined, id: string): boolean {
    const sub = this.subs.get(id)
    if (sub === undefined || sub.connection !== connection) throw subscriptionNotFound(id)
    this.subs.delete(id)
    this.byConnection.get(connection)?.delete(id)
    this.update()
    return true
  }

  private connectionClosed(connection: RpcConnection): void {
    for (const id of this.byConnection.get(connection) ?? []) this.subs.delete(id)
    this.byConnection.delete(connection)
    this.update()
  }

  private notify(sub: Subscription, result: unknown): void {
    const message = { jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: sub.id, result } }
    if (sub.active) sub.connection.send(message)
    else this.buffer(sub.queue, message)
  }

  // ---------------------------------------------------------------- events

  private onBlock(block: BlockUpdate): void {
    let blockHash: string | undefined
    for (const f of this.filters.values()) {
      if (f.kind === 'blocks' && !block.removed) this.buffer(f.items, (blockHash ??= hex(block.hash)))
      else if (f.kind === 'logs') for (const log of matchingLogs(f.criteria, block)) this.buffer(f.items, log)
    }
    for (const sub of this.subs.values()) {
      if (sub.kind === 'newHeads' && !block.removed) this.notify(sub, block.header())
      else if (sub.kind === 'logs') for (const log of matchingLogs(sub.criteria, block)) this.notify(sub, log)
    }
  }

  private onPending(tx: TypedTransaction, hash: Uint8Array): void {
    let hashHex: string | undefined
    let full: Record<string, unknown> | undefined
    const result = (fullTx: boolean) => (fullTx ? (full ??= formatTx(tx, null)) : (hashHex ??= hex(hash)))
    for (const f of this.filters.values()) if (f.kind === 'pendingTransactions') this.buffer(f.items, result(f.fullTx))
    for (const sub of this.subs.values()) if (sub.kind === 'newPendingTransactions') this.notify(sub, result(sub.fullTx))
  }

  private buffer(items: unknown[], item: unknown): void {
    items.push(item)
    if (items.length > this.maxBuffered) items.shift()
  }

  /** Starts or stops the event listeners and the expiry timer to match what is installed. */
  private update(): void {
    const needed = this.filters.size + this.subs.size > 0
    if (needed && this.stopListening === undefined) this.stopListening = this.listen()
    else if (!needed && this.stopListening !== undefined) {
      this.stopListening()
      this.stopListening = undefined
    }
    if (this.filters.size > 0 && this.sweepTimer === undefined) {
      // unref: a forgotten filter must not keep the process alive
      this.sweepTimer = setInterval(() => this.sweep(), Math.max(1, Math.min(this.timeoutMs, 60_000))).unref()
    } else if (this.filters.size === 0 && this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer)
      this.sweepTimer = undefined
    }
  }

  private listen(): () => void {
    const { chain, txpool } = this.node
    // a listener that throws would surface inside block production, after the commit
    const guard =
      <A extends unknown[]>(what: string, fn: (...a: A) => void) =>
      (...a: A) => {
        try {
          fn(...a)
        } catch (e) {
          this.log.error('filter delivery failed', { event: what, error: e instanceof Error ? e.stack : String(e) })
        }
      }
    const onBlock = guard('block', (ev: NewBlockEvent) => this.onBlock(blockUpdate(ev, false)))
    const onRemoved = guard(REMOVED_BLOCK_EVENT, (ev: NewBlockEvent) => this.onBlock(blockUpdate(ev, true)))
    chain.on('block', onBlock)
    chain.on(REMOVED_BLOCK_EVENT, onRemoved)
    const offPending = txpool.on(
      'pending',
      guard('pending', (ev) => this.onPending(ev.tx, ev.hash)),
    )
    return () => {
      chain.off('block', onBlock)
      chain.off(REMOVED_BLOCK_EVENT, onRemoved)
      offPending()
    }
  }

  /** Drops every filter and subscription and detaches from the node. */
  close(): void {
    this.filters.clear()
    this.subs.clear()
    this.byConnection.clear()
    this.update()
  }
}

// ---------------------------------------------------------------- one registry per node

const registries = new WeakMap<object, FilterRegistry>()

/** The registry of the node a call is made on, created with defaults on first use. */
export function filtersOf(ctx: RpcContext): FilterRegistry {
  let registry = registries.get(ctx.node)
  if (registry === undefined) {
    registry = new FilterRegistry(ctx.node, { logger: ctx.logger.child('filters') })
    registries.set(ctx.node, registry)
  }
  return registry
}

/** Gives `node` a registry with these options (replacing and closing any earlier one). */
export function installFilterRegistry(node: Pick<NodeApi, 'chain' | 'txpool'>, opts: FilterRegistryOptions = {}): FilterRegistry {
  registries.get(node)?.close()
  const registry = new FilterRegistry(node, opts)
  registries.set(node, registry)
  return registry
}

/** For the composition root's close() (src/cli/start.ts): drops the node's filters and subscriptions and their listeners. */
export function closeFilterRegistry(node: object): void {
  registries.get(node)?.close()
  registries.delete(node)
}
