/**
 * The /metrics registry: prom-client, one `Registry` per RPC server (never prom-client's global
 * one, so several nodes in one process — the tests, `nfc devnet` in-process — do not clash).
 * This file keeps the small API the RPC server was written against (`counter`/`gauge`/
 * `histogram`, labels as an object) and the checks prom-client does not make: a label set must
 * name every label, and a metric name is registered once. Callers are responsible for keeping
 * label sets bounded (the RPC layer maps unregistered method names to "unknown").
 */
import * as prom from 'prom-client'
import { BanReason, RefuseReason } from '../src/p2p/connectionGate.js'
import type { DurationSnapshot, SlotMetricsSnapshot, TrafficCount, TrafficSnapshot } from '../src/node/interface.js'
import type { P2pConnectionsSnapshot } from './config.js'

/** The text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = prom.Registry.PROMETHEUS_CONTENT_TYPE

type Labels = Record<string, string>

/** Upper bounds in seconds; fine at the low end, where most RPC calls land. */
export const defaultLatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The label values of `labels` for `names`, every one present (prom-client would accept a partial set). */
function labelsOf(metric: string, names: readonly string[], labels: Labels = {}): Labels {
  const out: Labels = {}
  for (const n of names) {
    const v = labels[n]
    if (v === undefined) throw new Error(`${metric}: missing label ${n}`)
    out[n] = v
  }
  return out
}

export class Counter {
  constructor(
    private readonly m: prom.Counter<string>,
    readonly name: string,
    readonly labelNames: readonly string[],
  ) {}
  inc(labels?: Labels, by = 1): void {
    if (by < 0) throw new Error(`${this.name}: counters only go up`)
    this.m.inc(labelsOf(this.name, this.labelNames, labels), by)
  }
}

export class Gauge {
  constructor(
    /** a gauge without labels is made (and registered) at its first `set` */
    private m: prom.Gauge<string> | (() => prom.Gauge<string>),
    readonly name: string,
    readonly labelNames: readonly string[],
  ) {}
  set(labels: Labels | undefined, value: number | bigint): void {
    if (typeof this.m === 'function') this.m = this.m()
    this.m.set(labelsOf(this.name, this.labelNames, labels), Number(value))
  }
}

export class Histogram {
  constructor(
    private readonly m: prom.Histogram<string>,
    readonly name: string,
    readonly labelNames: readonly string[],
  ) {}
  observe(labels: Labels | undefined, value: number): void {
    this.m.observe(labelsOf(this.name, this.labelNames, labels), value)
  }
}

export interface RegistryOptions {
  /** also export prom-client's default process and Node.js runtime metrics (`process_*`, `nodejs_*`) */
  defaultMetrics?: boolean
}

export class Registry {
  readonly prom = new prom.Registry()
  private readonly reserved = new Set<string>()

  constructor(opts: RegistryOptions = {}) {
    // the event-loop delay histogram samples every 100 ms, not prom-client's 10 ms: at 10 ms it
    // halved eth_blockNumber throughput in `npm run bench -- rpc` (12–15k vs 23–26k req/s, same run
    // conditions); the lag percentiles an operator reads are as useful at 100 ms
    if (opts.defaultMetrics) prom.collectDefaultMetrics({ register: this.prom, eventLoopMonitoringPrecision: 100 })
  }

  /** claims a name for a metric registered on `prom` directly (a collector read at scrape time) */
  reserve(name: string): void {
    this.check(name)
  }
  private check(name: string): void {
    if (this.reserved.has(name)) throw new Error(`metric ${name} registered twice`)
    this.reserved.add(name)
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    this.check(name)
    const m = new prom.Counter({ name, help, labelNames, registers: [this.prom] })
    return new Counter(m, name, labelNames)
  }
  /**
   * A gauge without labels shows up only once it is first set (prom-client would show 0 from the
   * start: a node gauge must not read 0 before the node was asked).
   */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    this.check(name)
    const make = () => new prom.Gauge({ name, help, labelNames, registers: [this.prom] })
    return new Gauge(labelNames.length === 0 ? make : make(), name, labelNames)
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = defaultLatencyBuckets): Histogram {
    this.check(name)
    const m = new prom.Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.prom] })
    if (labelNames.length === 0) m.reset()
    return new Histogram(m, name, labelNames)
  }
  /**
   * The whole registry in the text format, metrics in registration order. prom-client spells a
   * NaN value `Nan` (the event-loop lag before its first sample); the format says `NaN`.
   */
  async render(): Promise<string> {
    return (await this.prom.metrics()).replace(/ Nan$/gm, ' NaN')
  }
}

/** a snapshot reader that never throws: a collector that throws would fail the whole scrape (a node that cannot answer shows no series) */
function safely<S>(readSnapshot: () => S | undefined): () => S | undefined {
  return () => {
    try {
      return readSnapshot()
    } catch {
      return undefined
    }
  }
}

/**
 * A counter set from a snapshot at each scrape: one series per key of `values(s)` under `label`
 * (no label when `label` is null: `values` then gives one entry, its key unused).
 */
function snapshotCounter<S>(
  registry: Registry,
  read: () => S | undefined,
  name: string,
  help: string,
  label: string | null,
  values: (s: S) => Record<string, number>,
): void {
  registry.reserve(name)
  new prom.Counter({
    name,
    help,
    labelNames: label === null ? [] : [label],
    registers: [registry.prom],
    collect() {
      const s = read()
      if (s === undefined) return
      this.reset()
      for (const [key, n] of Object.entries(values(s))) {
        if (label === null) this.inc(n)
        else this.inc({ [label]: key }, n)
      }
    },
  })
}

/**
 * A witness node's own slots (src/node/slotMetrics.ts), read at each scrape: counters of owned,
 * produced and missed slots (by reason), and the start lateness and build time of its blocks as
 * gauges by `stat` (p50 and p99 over the recent blocks, max since start). Registered only when
 * the node has a producer when the server starts, so a follower shows none of them.
 */
export function registerSlotMetrics(registry: Registry, readSnapshot: () => SlotMetricsSnapshot | undefined): void {
  const read = safely(readSnapshot)
  if (read() === undefined) return
  const r = registry.prom
  const counter = (name: string, help: string, value: (s: SlotMetricsSnapshot) => number) =>
    snapshotCounter(registry, read, name, help, null, (s) => ({ '': value(s) }))
  counter('nfc_producer_own_slots_total', 'slots this witness owned since the node started (produced + missed)', (s) => s.ownSlots)
  counter('nfc_producer_produced_blocks_total', 'blocks this witness produced since the node started', (s) => s.produced)
  counter('nfc_producer_txs_left_total', 'selected transactions left in the pool by the time budget or the gas limit', (s) => s.leftByBudget)
  snapshotCounter(
    registry,
    read,
    'nfc_producer_missed_slots_total',
    'own slots without a block of ours, by reason (skipped: passed before the producer got to it; failed: building threw; preempted: a block for the slot came in first; held: the witness kept the branch of its last vote against a better one and cast no vote)',
    'reason',
    (s) => s.missedBy,
  )
  const durations = (name: string, help: string, pick: (s: SlotMetricsSnapshot) => DurationSnapshot) => {
    registry.reserve(name)
    new prom.Gauge({
      name,
      help,
      labelNames: ['stat'],
      registers: [r],
      collect() {
        const s = read()
        if (s === undefined) return
        const d = pick(s)
        this.set({ stat: 'p50' }, d.p50Ms)
        this.set({ stat: 'p99' }, d.p99Ms)
        this.set({ stat: 'max' }, d.maxMs)
        this.set({ stat: 'count' }, d.count)
      },
    })
  }
  durations(
    'nfc_producer_block_start_lateness_ms',
    'ms from the slot start to building began (p50/p99 of the recent blocks, max since start)',
    (s) => s.startLateness,
  )
  durations('nfc_producer_block_build_ms', 'ms from building began to the block committed (p50/p99 of the recent blocks, max since start)', (s) => s.build)
}

// ---------------------------------------------------------------- P2P connection management (issue 15)

/**
 * The P2P connection gate (src/p2p/connectionGate.ts), read at each scrape: connections refused
 * before they became peers and bans placed, by reason (counters); peers by direction, pending
 * handshakes and live bans (gauges). Registered only when the node runs P2P when the server starts.
 */
export function registerP2pConnectionMetrics(registry: Registry, readSnapshot: () => P2pConnectionsSnapshot | undefined): void {
  const read = safely(readSnapshot)
  if (read() === undefined) return
  const r = registry.prom
  const byReason = (name: string, help: string, pick: (s: P2pConnectionsSnapshot) => Record<string, number>) =>
    snapshotCounter(registry, read, name, help, 'reason', pick)
  byReason(
    'nfc_p2p_connections_refused_total',
    `connections refused or cut before they became peers, by reason (${Object.values(RefuseReason).join(', ')})`,
    (s) => s.refused,
  )
  byReason('nfc_p2p_bans_total', `bans placed on misbehaving peers (node id and/or address), by reason (${Object.values(BanReason).join(', ')})`, (s) => s.bans)
  const gauge = (name: string, help: string, label: string, values: (s: P2pConnectionsSnapshot) => Record<string, number>) => {
    registry.reserve(name)
    new prom.Gauge({
      name,
      help,
      labelNames: label === '' ? [] : [label],
      registers: [r],
      collect() {
        const s = read()
        if (s === undefined) return
        for (const [v, n] of Object.entries(values(s))) {
          if (label === '') this.set(n)
          else this.set({ [label]: v }, n)
        }
      },
    })
  }
  gauge('nfc_p2p_peers', 'established peers by direction', 'direction', (s) => ({ inbound: s.inboundPeers, outbound: s.outboundPeers }))
  gauge('nfc_p2p_pending_handshakes', 'accepted inbound connections whose P2P handshake has not finished', '', (s) => ({ '': s.pendingInbound }))
  gauge('nfc_p2p_banned', 'bans in force, by what is banned', 'kind', (s) => ({ node: s.bannedNodes, address: s.bannedIps }))
}

// ---------------------------------------------------------------- P2P traffic

/**
 * P2P traffic since the node started, read at each scrape (src/p2p/traffic.ts): bytes and frames
 * sent and received, by message type (whole frames, the 5-byte header included). Registered only
 * when the node runs P2P when the server starts. The label set is bounded: message type names.
 */
export function registerP2pTrafficMetrics(registry: Registry, readSnapshot: () => TrafficSnapshot | undefined): void {
  const read = safely(readSnapshot)
  if (read() === undefined) return
  const counter = (name: string, help: string, pick: (s: TrafficSnapshot) => Record<string, TrafficCount>, field: keyof TrafficCount) =>
    snapshotCounter(registry, read, name, help, 'type', (s) => Object.fromEntries(Object.entries(pick(s)).map(([type, c]) => [type, c[field]])))
  counter('nfc_p2p_bytes_sent_total', 'P2P bytes sent (whole frames), by message type', (s) => s.sent, 'bytes')
  counter('nfc_p2p_bytes_received_total', 'P2P bytes received (whole frames), by message type', (s) => s.received, 'bytes')
  counter('nfc_p2p_frames_sent_total', 'P2P frames sent, by message type', (s) => s.sent, 'frames')
  counter('nfc_p2p_frames_received_total', 'P2P frames received, by message type', (s) => s.received, 'frames')
}
