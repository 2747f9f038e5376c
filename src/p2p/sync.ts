/**
 * Range sync: download the chain of the peer with the highest head, a batch at a time, and
 * import it in order. One run at a time; a run goes on with other peers until none is ahead.
 *
 * Fork-point search: when the first block of an answer does not connect ('orphan'), this node
 * is on a fork. It asks for the peer's blocks from `from − k` (k = 1, 2, 4, …) until the first
 * block of an answer has as parent our canonical block (`hashAt`), then imports from there;
 * blocks both chains share come back 'known' and are skipped before import.
 *
 * Penalties: an answer that is not consecutive blocks from `from`, or does not decode, costs
 * BadMessage; a block the chain rejects as invalid costs InvalidBlock (a local fault while importing,
 * per ChainAdapter.isPeerFault, costs nothing). The transport's request() applies
 * the penalty for timeouts itself. A failed peer is not asked again in the same run.
 */
import { randomInt } from 'node:crypto'
import { systemClock, type Clock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { BanReason } from './connectionGate.js'
import { Penalty } from './peer.js'
import type { ChainAdapter, ImportResult } from './network.js'

export interface BlockId {
  number: bigint
  hash: Uint8Array
  parentHash: Uint8Array
  /** the producer's address (0x…, lower case), when the adapter reads it */
  producer?: string
}

/** what sync needs to know about a peer (the network's per-peer state) */
export interface SyncPeer {
  readonly id: string
  readonly closed: boolean
  /** the peer's head as last learned (Hello, gossip, answers) */
  head: { number: bigint; hash: Uint8Array }
  /** we downloaded this peer's chain up to here and it had nothing more: not ahead unless its head grows */
  syncedTo: bigint
  penalize(points: number, why: string, offence?: BanReason): void
}

export interface SyncHost {
  chain: ChainAdapter
  log: Logger
  /** blocks per GetBlocks */
  batch: number
  /** times a run for its summary (default: the system clock) */
  clock?: Clock
  /** established peers */
  peers(): Iterable<SyncPeer>
  /** ask a peer for blocks [from, from+count); rejects on timeout (already penalised), close or a bad payload */
  request(peer: SyncPeer, from: bigint, count: number): Promise<Uint8Array[]>
  /** import through the network's import queue */
  importBlock(encoded: Uint8Array): Promise<ImportResult>
  /** a block sync imported (mark it seen; retry waiting confirmations) */
  onImported(encoded: Uint8Array, id: BlockId, peer: SyncPeer): void
  /** a block ahead of our clock: the network keeps and retries it, and asks for a sync again after */
  onFuture(encoded: Uint8Array, id: BlockId, peer: SyncPeer): void
  onFinished(summary: { head: bigint; blocks: number; ms: number }): void
}

export interface SyncStatus {
  startingBlock: bigint
  currentBlock: bigint
  highestBlock: bigint
}

/** this peer failed for the rest of the run (already penalised where it deserved it) */
class PeerFailed extends Error {}

type Fetched = { encoded: Uint8Array; id: BlockId }

const equal = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.compare(a, b) === 0

export class RangeSync {
  private running: Promise<void> | undefined
  /** false from the moment a run has finished (before 'synced' is reported) */
  private syncing = false
  private stopped = false
  private startingBlock = 0n

  constructor(private readonly host: SyncHost) {}

  /** start a run unless one is under way (a running one picks up new peers and heads by itself) */
  request(): void {
    if (this.running || this.stopped || this.best(new Set()) === undefined) return
    this.running = this.run()
      .catch((e) => this.host.log.error('sync run failed', { error: e }))
      .finally(() => {
        this.syncing = false
        this.running = undefined
      })
  }

  status(): SyncStatus | false {
    if (!this.syncing) return false
    const current = this.localHead()
    let highest = current
    for (const p of this.host.peers()) if (p.head.number > highest) highest = p.head.number
    return { startingBlock: this.startingBlock, currentBlock: current, highestBlock: highest }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.running
  }

  private localHead(): bigint {
    return this.host.chain.status().head.number
  }

  /** the peer with the highest head above ours (ties broken at random), skipping `failed` */
  private best(failed: Set<SyncPeer>): SyncPeer | undefined {
    const local = this.localHead()
    let top: SyncPeer[] = []
    for (const p of this.host.peers()) {
      if (p.closed || failed.has(p)) continue
      if (p.head.number <= local || p.head.number <= p.syncedTo) continue
      if (top.length === 0 || p.head.number > top[0]!.head.number) top = [p]
      else if (p.head.number === top[0]!.head.number) top.push(p)
    }
    return top.length ? top[top.length === 1 ? 0 : randomInt(top.length)] : undefined
  }

  private async run(): Promise<void> {
    const { log } = this.host
    const started = (this.host.clock ?? systemClock).now()
    this.startingBlock = this.localHead()
    this.syncing = true
    const failed = new Set<SyncPeer>()
    let blocks = 0
    let first = true
    for (let peer = this.best(failed); peer && !this.stopped; peer = this.best(failed)) {
      if (first) log.info('sync started', { peer: peer.id, from: this.startingBlock + 1n, target: peer.head.number })
      first = false
      try {
        blocks += await this.syncWith(peer)
      } catch (e) {
        if (!(e instanceof PeerFailed)) log.warn('sync with peer failed', { peer: peer.id, error: e })
        else log.debug('sync with peer stopped', { peer: peer.id, why: e.message })
        failed.add(peer)
      }
    }
    this.syncing = false
    const ms = (this.host.clock ?? systemClock).now() - started
    const head = this.localHead()
    if (blocks > 0) {
      log.info('sync finished', { blocks, head, seconds: (ms / 1000).toFixed(2), blocksPerSecond: Math.round((blocks * 1000) / Math.max(ms, 1)) })
    } else {
      log.debug('sync run imported nothing', { head, failedPeers: failed.size })
    }
    // caught up: no peer we could still learn from is ahead (failed ones are retried by a later run)
    if (!this.stopped && this.best(new Set()) === undefined) this.host.onFinished({ head, blocks, ms })
  }

  /**
   * Download and import the peer's chain above our head; returns how many blocks were imported.
   * The next batch is requested while the current one is imported (one request per peer is
   * still the rule: the prefetch is the only one in flight), so the download overlaps the work.
   */
  private async syncWith(peer: SyncPeer): Promise<number> {
    let imported = 0
    let from = this.localHead() + 1n
    let prev: BlockId | undefined
    let ahead: Promise<Fetched[]> | undefined
    try {
      while (!this.stopped && !peer.closed) {
        if (peer.head.number < from && ahead === undefined) {
          peer.syncedTo = peer.head.number
          return imported
        }
        let batch = ahead !== undefined ? await ahead : await this.fetch(peer, from)
        ahead = undefined
        if (batch.length === 0) {
          // it has nothing at `from` (reorged to a shorter chain, or its Hello overstated): believe it for now
          peer.head = { number: from - 1n, hash: prev?.hash ?? new Uint8Array(32) }
          peer.syncedTo = from - 1n
          return imported
        }
        let last = batch[batch.length - 1]!.id
        if (!prev || !equal(prev.hash, batch[0]!.id.parentHash)) {
          // first answer, or the peer's chain changed under us: does it connect at `from`?
          const r = await this.importOne(peer, batch[0]!)
          if (r === 'orphan') {
            ;({ batch, last } = await this.findForkPoint(peer, from))
          } else {
            if (r === 'future') throw new PeerFailed('block ahead of our clock')
            if (r === 'imported') imported++
            batch = batch.slice(1)
          }
        }
        if (peer.head.number > last.number && !this.stopped) {
          ahead = this.fetch(peer, last.number + 1n)
          ahead.catch(() => undefined) // awaited below or in finally; never an unhandled rejection
        }
        const importAll = async () => {
          for (const b of batch) {
            const r = await this.importOne(peer, b)
            if (r === 'orphan') throw new PeerFailed(`block ${b.id.number} does not connect after its parent`)
            if (r === 'future') throw new PeerFailed('block ahead of our clock')
            if (r === 'imported') imported++
          }
        }
        // one synced write of the final block per answer (~30 ms of fsyncs), not one per block
        await (this.host.chain.deferFinality?.(importAll) ?? importAll())
        prev = last
        from = last.number + 1n
      }
      throw new PeerFailed(this.stopped ? 'stopped' : 'peer closed')
    } finally {
      // leave no request in flight behind us (the next run may ask this peer again)
      if (ahead !== undefined) await ahead.catch(() => undefined)
    }
  }

  private async importOne(peer: SyncPeer, b: Fetched): Promise<ImportResult> {
    let r: ImportResult
    try {
      r = await this.host.importBlock(b.encoded)
    } catch (e) {
      if (!this.host.chain.isPeerFault(e)) {
        // a local fault (database, disk): the peer is not to blame; stop this run with it, unpenalised
        this.host.log.error("importing a synced block failed here (not the peer's fault)", { peer: peer.id, number: b.id.number, hash: b.id.hash, error: e })
        throw new PeerFailed('local fault while importing')
      }
      this.host.log.warn('invalid block from peer', { peer: peer.id, number: b.id.number, hash: b.id.hash, error: e })
      peer.penalize(Penalty.InvalidBlock, `invalid block ${b.id.number}: ${(e as Error).message}`, BanReason.InvalidBlock)
      throw new PeerFailed('invalid block')
    }
    if (r === 'imported') this.host.onImported(b.encoded, b.id, peer)
    if (r === 'future') this.host.onFuture(b.encoded, b.id, peer)
    return r
  }

  /**
   * Walk back from `from` until the peer's blocks connect to our canonical chain. Returns the
   * blocks still to import (those we already have dropped) and the last block of the answer.
   */
  private async findForkPoint(peer: SyncPeer, from: bigint): Promise<{ batch: Fetched[]; last: BlockId }> {
    const { chain, log } = this.host
    for (let k = 1n; ; k *= 2n) {
      const probe = from - k > 1n ? from - k : 1n
      const batch = await this.fetch(peer, probe)
      if (batch.length === 0) throw new PeerFailed('peer has no blocks below its head')
      if (equal(await chain.hashAt(probe - 1n), batch[0]!.id.parentHash)) {
        let i = 0
        while (i < batch.length && equal(await chain.hashAt(batch[i]!.id.number), batch[i]!.id.hash)) i++
        log.info('fork point found', { peer: peer.id, commonBlock: probe - 1n + BigInt(i), ourHead: this.localHead() })
        return { batch: batch.slice(i), last: batch[batch.length - 1]!.id }
      }
      if (probe === 1n) {
        peer.penalize(Penalty.BadMessage, 'its chain does not connect to our genesis')
        throw new PeerFailed('chain does not connect to genesis')
      }
    }
  }

  /** one GetBlocks round trip, checked: at most `batch` blocks, numbered from `from`, each the child of the one before */
  private async fetch(peer: SyncPeer, from: bigint): Promise<Fetched[]> {
    const { batch, chain } = this.host
    let raw: Uint8Array[]
    try {
      raw = await this.host.request(peer, from, batch)
    } catch (e) {
      throw new PeerFailed((e as Error).message)
    }
    const bad = (why: string): never => {
      peer.penalize(Penalty.BadMessage, `bad Blocks answer: ${why}`)
      throw new PeerFailed(why)
    }
    if (raw.length > batch) bad(`${raw.length} blocks for ${batch} asked`)
    const out: Fetched[] = []
    for (const [i, encoded] of raw.entries()) {
      let id: BlockId
      try {
        id = chain.blockId(encoded)
      } catch (e) {
        return bad(`block ${i} does not decode: ${(e as Error).message}`)
      }
      if (id.number !== from + BigInt(i)) bad(`block ${i} is number ${id.number}, want ${from + BigInt(i)}`)
      if (i > 0 && !equal(out[i - 1]!.id.hash, id.parentHash)) bad(`block ${id.number} is not the child of block ${id.number - 1n}`)
      out.push({ encoded, id })
    }
    const last = out[out.length - 1]?.id
    if (last && last.number > peer.head.number) peer.head = { number: last.number, hash: last.hash }
    return out
  }
}
