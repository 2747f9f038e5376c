/**
 * The storage provider's agent (`nfc storage provide`, DESIGN §14): an HTTP server for the
 * clients (protocol.ts) — uploads of Posted deals naming it, checked against the deal's root as
 * they arrive and accepted on chain with the collateral once stored; downloads of what it holds —
 * and a loop that proves possession each period: it reads the period's challenge, reads the
 * challenged chunks from disk, checks each against its leaf and submits `prove` (a proof whose
 * sending fails is sent again at the next tick, up to PROOF_ATTEMPTS a period). A chunk missing
 * or corrupt on disk is logged as an ERROR naming the deal and the chunk, and nothing is submitted
 * for that deal in that period (a wrong proof would be refused anyway; the chain slashes the missed
 * period). Its state is the chunk store and the chain, so a restarted agent carries on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hexOf } from '../util/bytes.js'
import type { ChainDeal, DealChain } from './chain.js'
import { isEnded } from './chain.js'
import type { ChunkStore, StoredDeal } from './chunkStore.js'
import { DealAgentError } from './errors.js'
import { errorBody, LEAF_COUNT_HEADER, PROOF_HEADER, routeOf, STATUS_OF } from './protocol.js'
import { leafCount } from '../deals/fileTree.js'

/** uploads received at once, unless told */
export const DEFAULT_MAX_UPLOADS = 4
/** an upload that sends no byte for this long is cut and its slot freed (a stalled or hostile client) */
export const DEFAULT_UPLOAD_IDLE_MS = 30_000
/** how often the loop looks at the chain */
const POLL_MS = 1000
/** proofs sent per deal and period before the agent gives up on that period (a busy node, a dropped transaction) */
export const PROOF_ATTEMPTS = 3

export interface DealProviderOptions {
  store: ChunkStore
  chain: DealChain
  host: string
  port: number
  /** the largest file it takes (its offer's maxBytes) */
  maxBytes: number
  maxUploads?: number
  /** an upload idle this long is cut (DEFAULT_UPLOAD_IDLE_MS) */
  uploadIdleMs?: number
  log: (line: string) => void
  pollMs?: number
}

export interface DealProviderStats {
  /** deals stored and active on chain */
  deals: number
  bytesStored: number
  uploadsAccepted: number
  uploadsRefused: number
  proofsSent: number
  /** periods in which a deal could not be proven (a bad chunk) */
  proofsMissed: number
  /** NB (wei) the chain released to this provider for the deals it stores or stored this run */
  nbEarned: bigint
}

export class DealProvider {
  private server: Server | null = null
  private timer: NodeJS.Timeout | null = null
  private ticking: Promise<void> | null = null
  private readonly uploading = new Set<string>()
  /** `${id}:${period}` already proven or given up on by this run */
  private readonly handled = new Set<string>()
  /** `${id}:${period}` → proofs of it that failed so far */
  private readonly failedProofs = new Map<string, number>()
  /** NB paid per deal, as last read */
  private readonly paid = new Map<string, bigint>()
  private readonly paidAtStart = new Map<string, bigint>()
  /** the last warning logged per deal */
  private readonly warned = new Map<string, string>()
  readonly stats: DealProviderStats = { deals: 0, bytesStored: 0, uploadsAccepted: 0, uploadsRefused: 0, proofsSent: 0, proofsMissed: 0, nbEarned: 0n }

  constructor(private readonly o: DealProviderOptions) {}

  /** listens; resolves with the port */
  async start(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res))
    // a large file on a slow link may take longer than Node's default 5-minute limit of a whole
    // request; a stalled upload is cut by its idle time instead (upload)
    server.requestTimeout = 0
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.o.port, this.o.host, () => resolve())
    })
    this.stats.bytesStored = this.o.store.bytesStored()
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? POLL_MS)
    void this.tick()
    return (server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    await this.ticking
    const server = this.server
    this.server = null
    if (server !== null) {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  }

  /** one look at the chain: deals ended, deals to prove in the current period */
  tick(): Promise<void> {
    this.ticking ??= this.proveAll().finally(() => (this.ticking = null))
    return this.ticking
  }

  private async proveAll(): Promise<void> {
    let period: bigint
    try {
      period = await this.o.chain.period()
    } catch (e) {
      this.o.log(`warning: cannot read the chain's period: ${(e as Error).message}`)
      return
    }
    let active = 0
    for (const stored of this.o.store.list()) {
      try {
        const deal = await this.o.chain.deal(stored.id)
        if (deal !== null) this.notePaid(deal)
        if (deal === null || isEnded(deal.status)) {
          this.o.log(`deal ${stored.id} ${deal === null ? 'is not on chain' : `has ${deal.status}`}: removing its ${stored.size} bytes`)
          this.o.store.remove(stored.id)
          continue
        }
        if (deal.status !== 'active') continue
        active++
        await this.proveOne(stored, deal, period)
      } catch (e) {
        // the node busy or a read refused: the next tick retries; the same warning is logged once
        const line = `warning: deal ${stored.id}: ${(e as Error).message}`
        if (this.warned.get(stored.id) !== line) this.o.log(line)
        this.warned.set(stored.id, line)
      }
    }
    this.stats.deals = active
    this.stats.bytesStored = this.o.store.bytesStored()
  }

  private notePaid(deal: ChainDeal): void {
    if (!this.paidAtStart.has(deal.id)) this.paidAtStart.set(deal.id, deal.paid)
    this.paid.set(deal.id, deal.paid)
    let earned = 0n
    for (const [id, p] of this.paid) earned += p - (this.paidAtStart.get(id) ?? 0n)
    this.stats.nbEarned = earned
  }

  private async proveOne(stored: StoredDeal, deal: ChainDeal, period: bigint): Promise<void> {
    const key = `${deal.id}:${period}`
    if (this.handled.has(key)) return
    if (deal.startPeriod === null || period < deal.startPeriod) return
    if (deal.lastProvenPeriod !== null && deal.lastProvenPeriod >= period) {
      this.handled.add(key)
      return
    }
    const indexes = await this.o.chain.challenge(deal.id, period)
    const leaves = this.o.store.leaves(deal.id)
    const chunks: Uint8Array[] = []
    const proofs: Uint8Array[][] = []
    for (const index of indexes) {
      try {
        const { chunk, proof } = await this.o.store.provableChunk(stored, index, leaves)
        chunks.push(chunk)
        proofs.push(proof)
      } catch (e) {
        if (!(e instanceof DealAgentError) || e.code !== 'CHUNK_BAD') throw e
        this.handled.add(key)
        this.stats.proofsMissed++
        this.o.log(`ERROR deal ${deal.id} chunk ${index}: cannot prove period ${period}: ${e.message}; no proof sent (the chain will slash this deal)`)
        return
      }
    }
    this.handled.add(key)
    try {
      const tx = await this.o.chain.prove(deal.id, period, chunks, proofs)
      this.failedProofs.delete(key)
      this.stats.proofsSent++
      this.o.log(`deal ${deal.id}: proved period ${period} (chunks ${indexes.join(', ')}) in ${tx}`)
    } catch (e) {
      // a node shedding load, a nonce race or a dropped transaction must not cost the period:
      // the next tick proves again (a proof that did land is seen as lastProvenPeriod first)
      const failed = (this.failedProofs.get(key) ?? 0) + 1
      const retry = failed < PROOF_ATTEMPTS
      if (retry) {
        this.failedProofs.set(key, failed)
        this.handled.delete(key)
      } else this.failedProofs.delete(key)
      this.o.log(
        `ERROR deal ${deal.id}: the proof of period ${period} failed (attempt ${failed} of ${PROOF_ATTEMPTS}): ${(e as Error).message}` +
          (retry ? '; trying again at the next tick' : '; giving up on this period (the chain will slash it)'),
      )
    }
  }

  // --- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const route = routeOf(new URL(req.url ?? '/', 'http://agent').pathname)
      if (route === null) throw new DealAgentError('BAD_REQUEST', `no such path: ${req.url}`)
      if (req.method === 'PUT' && route.kind === 'deal') return await this.upload(route.id, req, res)
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new DealAgentError('BAD_REQUEST', `${req.method} ${req.url} is not served`)
      const stored = this.o.store.get(route.id)
      if (stored === null) throw new DealAgentError('DEAL_UNKNOWN', `deal ${route.id} is not stored here`)
      if (route.kind === 'leaves') {
        const leaves = this.o.store.leaves(route.id)
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': leaves.length })
        res.end(leaves)
      } else if (route.kind === 'chunk') {
        const { chunk, proof } = await this.o.store.provableChunk(stored, route.index)
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': chunk.length,
          [PROOF_HEADER]: proof.map(hexOf).join(','),
          [LEAF_COUNT_HEADER]: String(leafCount(stored.size)),
        })
        res.end(chunk)
      } else {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': stored.size })
        if (req.method === 'HEAD') return void res.end()
        for await (const part of this.o.store.fileBytes(stored)) {
          if (!res.write(part)) await new Promise((r) => res.once('drain', r))
        }
        res.end()
      }
    } catch (e) {
      this.refuse(res, e)
    }
  }

  private refuse(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      // a download broke after its headers: the client sees a short body
      res.destroy()
      return
    }
    const err = e instanceof DealAgentError ? e : new DealAgentError('BAD_REQUEST', `internal error: ${(e as Error).message}`)
    const body = errorBody(err)
    res.writeHead(e instanceof DealAgentError ? STATUS_OF[err.code] : 500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }

  private async upload(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deal = await this.uploadable(id, req)
    this.uploading.add(id)
    const idleMs = this.o.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS
    req.socket.setTimeout(idleMs, () => req.destroy(new DealAgentError('BAD_REQUEST', `deal ${id}: no bytes for ${idleMs} ms; upload cut`)))
    try {
      this.o.log(`deal ${id}: receiving ${deal.size} bytes from ${deal.client}`)
      await this.o.store.receive(id, { root: deal.root, size: deal.size }, req)
      let tx: string
      try {
        tx = await this.o.chain.accept(id)
      } catch (e) {
        this.o.store.remove(id)
        throw new DealAgentError('DEAL_WRONG_STATE', `deal ${id}: stored, but accepting it on chain failed: ${(e as Error).message}`)
      }
      this.stats.uploadsAccepted++
      this.stats.bytesStored = this.o.store.bytesStored()
      this.o.log(`deal ${id}: stored ${deal.size} bytes, accepted in ${tx}`)
      const body = JSON.stringify({ id, accepted: tx })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    } catch (e) {
      this.stats.uploadsRefused++
      this.o.log(`deal ${id}: upload refused: ${(e as Error).message}`)
      throw e
    } finally {
      req.socket.setTimeout(0)
      this.uploading.delete(id)
    }
  }

  /** the deal an upload is for, when this provider takes it; else the refusal */
  private async uploadable(id: string, req: IncomingMessage): Promise<ChainDeal> {
    const refuse = (e: DealAgentError) => {
      this.stats.uploadsRefused++
      this.o.log(`deal ${id}: upload refused: ${e.message}`)
      return e
    }
    if (this.uploading.has(id)) throw refuse(new DealAgentError('BUSY', `deal ${id} is being uploaded already`))
    const max = this.o.maxUploads ?? DEFAULT_MAX_UPLOADS
    if (this.uploading.size >= max)
      throw refuse(new DealAgentError('BUSY', `${max} uploads are in progress, the most this provider takes at once; try again later`))
    const deal = await this.o.chain.deal(id)
    if (deal === null) throw refuse(new DealAgentError('DEAL_UNKNOWN', `there is no deal ${id} on chain`))
    if (deal.provider !== this.o.chain.address)
      throw refuse(new DealAgentError('DEAL_NOT_MINE', `deal ${id} names provider ${deal.provider}, not ${this.o.chain.address}`))
    if (deal.status !== 'posted') throw refuse(new DealAgentError('DEAL_WRONG_STATE', `deal ${id} is ${deal.status}, not posted: it takes no upload`))
    if (this.o.store.get(id) !== null) throw refuse(new DealAgentError('DEAL_WRONG_STATE', `deal ${id} is stored here already`))
    if (deal.size > this.o.maxBytes) {
      throw refuse(
        new DealAgentError('TOO_LARGE', `deal ${id} is ${deal.size} bytes; this provider takes files of at most ${this.o.maxBytes} bytes (--max-bytes)`),
      )
    }
    const length = req.headers['content-length']
    if (length === undefined || Number(length) !== deal.size) {
      throw refuse(new DealAgentError('SIZE_MISMATCH', `deal ${id} is ${deal.size} bytes; the upload's Content-Length is ${length ?? 'missing'}`))
    }
    return deal
  }
}
