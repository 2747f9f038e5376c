// Long on purpose (~400 lines): one provider session read top to bottom — hello, SOCKS streams, counting, receipts, unpaid bound.
/**
 * The provider agent behind `nfc flow provide` (DESIGN §13): accepts consumer tunnels on a TCP
 * port (tunnel.ts), serves SOCKS5 (RFC 1928, CONNECT only: socks5.ts) on every stream inside a
 * tunnel, counts the payload bytes both ways with the packet counter (link.ts), and drafts
 * cumulative receipts in-band: it signs one, the consumer co-signs it if its own counts cover
 * it, and the provider submits it (ProviderChain.submit, flow_submitReceipt). The sampled slices
 * of what it sent stay with the session for the openings the audits ask (ProviderChain.watch).
 *
 * Unpaid bound: the bytes carried since the last co-signed receipt. At `maxUnpaidBytes` the
 * provider stops reading from the targets (nothing more is sent down); if no co-signature arrives
 * within `unpaidGraceMs`, or the consumer refuses a receipt, the tunnel is closed (CLOSE, then
 * the connection ends). A consumer can therefore take at most `maxUnpaidBytes` plus one
 * frame unpaid per tunnel.
 */
import { randomBytes } from 'node:crypto'
import { createServer, connect, type Server, type Socket } from 'node:net'
import type { SampleParams } from '../core/index.js'
import {
  addrOfPublicKey,
  hexOf,
  receiptHash,
  recoverAddress,
  RECEIPT_DOMAIN_TAG,
  signReceipt,
  ZERO_HASH,
  type FlowReceipt,
  type SignedReceipt,
} from '../flow/receipt.js'
import { sampleRootOfSlices } from '../flow/sampling.js'
import { newStream, packedSlices, recordSamples, type Stream } from '../flow/sampledStream.js'
import type { AuditedSession } from '../flow/sliceAnswers.js'
import { publicKeyOf } from '../crypto/secp256k1.js'
import { bytesOfHexLoose } from '../util/bytes.js'
import { AgentError, AgentErrorCode } from './errors.js'
import { TunnelLink } from './link.js'
import { NO_PAYMENT, type PaymentHook } from './payment.js'
import type { SliceStore } from './sliceStore.js'
import { encodeReply, methodReply, METHOD_NO_AUTH, parseGreeting, parseRequest, Reply, replyForError } from './socks5.js'
import {
  decodeClose,
  decodeCosign,
  decodeHello,
  decodeRefuse,
  FrameKind,
  jsonBody,
  MAX_PAYLOAD_BYTES,
  receiptBody,
  TUNNEL_VERSION,
  type Frame,
  type WelcomeMsg,
} from './tunnel.js'

/** sampled fraction of the provider → consumer frames, parts per 2^32 (1 in 64, as the simulator) */
export const SAMPLE_RATE = Math.floor(2 ** 32 / 64)
/** payload bytes hashed per sampled frame */
export const SLICE_LEN = 64
/** default unpaid bound: bytes carried past the last co-signed receipt before the provider stops sending */
export const DEFAULT_MAX_UNPAID_BYTES = 32n * 1024n * 1024n
/** how long the provider waits for a co-signature once the unpaid bound is reached */
export const DEFAULT_UNPAID_GRACE_MS = 10_000
/** a receipt once this many new bytes were carried … */
export const DEFAULT_RECEIPT_EVERY_BYTES = 4n * 1024n * 1024n
/** … or this often while anything new was carried */
export const DEFAULT_RECEIPT_INTERVAL_MS = 1000
/** receipts expire this many blocks after the head they were drafted at */
export const RECEIPT_EXPIRY_BLOCKS = 10_000n
/** a target that does not accept the connection within this long gets a TTL-expired reply */
export const CONNECT_TIMEOUT_MS = 10_000
/** streams one tunnel may have open at once */
export const MAX_STREAMS_PER_TUNNEL = 256
/** a connection that has not sent its HELLO within this long is closed (an idle stranger holds nothing) */
export const HELLO_TIMEOUT_MS = 10_000

/** What the provider needs of the chain (rpcChain.ts over JSON-RPC; tests pass a fake). */
export interface ProviderChain {
  readonly chainId: bigint
  /** the flow cycle and head height a receipt drafted now is for (`fresh`: read now, not from a cache) */
  position(fresh?: boolean): Promise<{ cycle: bigint; head: bigint }>
  /** 32 bytes: the hash of the latest final block, the sample seed of a new session */
  sampleSeed(): Promise<Uint8Array>
  /** flow_submitReceipt: null when accepted, else the rejection code */
  submit(r: SignedReceipt): Promise<string | null>
  /** a session whose sampled slices answer the audits' openings from now on */
  watch(session: AuditedSession): void
}

export interface ProviderOptions {
  key: Uint8Array
  host: string
  port: number
  chain: ProviderChain
  payment?: PaymentHook
  /** where the slices of accepted receipts are kept for the challenge window (none: memory only) */
  slices?: SliceStore
  maxUnpaidBytes?: bigint
  unpaidGraceMs?: number
  receiptEveryBytes?: bigint
  receiptIntervalMs?: number
  /** default HELLO_TIMEOUT_MS */
  helloTimeoutMs?: number
  log?: (line: string) => void
}

/** What the provider did so far (the progress line and the summary). */
export interface ProviderStats {
  tunnels: number
  openTunnels: number
  streams: number
  bytesDown: bigint
  bytesUp: bigint
  receiptsCosigned: number
  receiptsAccepted: number
  receiptsRejected: number
  /** receipts co-signed in a cycle that ended before they were submitted: not submitted, drafted again */
  receiptsRedrafted: number
  reasons: Record<string, number>
  /** up + down of each session's last accepted receipt, summed */
  bytesReceipted: bigint
  closedUnpaid: number
}

/** The provider agent: `start` listens, `stop` closes every tunnel and the listener. */
export class ProviderAgent {
  readonly address: string
  private server: Server | null = null
  private readonly sessions = new Set<ProviderSession>()
  readonly stats: ProviderStats = {
    tunnels: 0,
    openTunnels: 0,
    streams: 0,
    bytesDown: 0n,
    bytesUp: 0n,
    receiptsCosigned: 0,
    receiptsAccepted: 0,
    receiptsRejected: 0,
    receiptsRedrafted: 0,
    reasons: {},
    bytesReceipted: 0n,
    closedUnpaid: 0,
  }

  constructor(readonly o: ProviderOptions) {
    this.address = addrOfPublicKey(publicKeyOf(o.key))
  }

  get log(): (line: string) => void {
    return this.o.log ?? (() => {})
  }

  /** listens; resolves with the bound port */
  start(): Promise<number> {
    const server = createServer((socket) => this.accept(socket))
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject)
        resolve((server.address() as { port: number }).port)
      })
    })
  }

  private accept(socket: Socket): void {
    this.stats.tunnels++
    this.stats.openTunnels++
    const s = new ProviderSession(this, socket, () => {
      this.stats.openTunnels--
      this.sessions.delete(s)
    })
    this.sessions.add(s)
  }

  /** stops listening and closes every tunnel (their last co-signed receipts are submitted first) */
  async stop(): Promise<void> {
    const closing = [...this.sessions].map((s) => s.shutdown('the provider stops'))
    await Promise.all(closing)
    await new Promise<void>((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())))
  }
}

type SocksPhase = 'greeting' | 'request' | 'connecting' | 'open'

interface SocksStream {
  id: number
  phase: SocksPhase
  pending: Uint8Array
  target: Socket | null
  /** the consumer ended its side / the target ended its side / END went to the consumer */
  consumerEnded: boolean
  targetEnded: boolean
  endSent: boolean
}

/** One consumer's tunnel: a session of its own (sessionId), its streams, its receipts. */
class ProviderSession {
  private readonly link: TunnelLink
  private phase: 'hello' | 'welcoming' | 'ready' | 'closing' | 'closed' = 'hello'
  private consumer = ''
  private sessionId: Uint8Array = ZERO_HASH
  private readonly down: Stream = newStream()
  private readonly streams = new Map<number, SocksStream>()
  private readonly sliceCounts = new Map<bigint, number>()
  private seq = 0n
  private prevHash: Uint8Array = ZERO_HASH
  /** the receipt waiting for the consumer's co-signature */
  private pending: { receipt: SignedReceipt; count: number } | null = null
  /** up + down of the last receipt drafted / co-signed */
  private draftedTotal = 0n
  private paidTotal = 0n
  private lastAccepted = 0n
  private readonly paused = new Set<'drain' | 'unpaid'>()
  private unpaidTimer: NodeJS.Timeout | null = null
  private readonly timer: NodeJS.Timeout
  private submitting: Promise<void> = Promise.resolve()
  private closedResolve: (() => void) | null = null
  private readonly closed = new Promise<void>((r) => (this.closedResolve = r))

  constructor(
    private readonly agent: ProviderAgent,
    socket: Socket,
    private readonly onGone: () => void,
  ) {
    this.link = new TunnelLink(socket, {
      onFrame: (f) => this.onFrame(f),
      onReceivedCount: (f, r) => {
        this.agent.stats.bytesUp += BigInt(r.payloadBytes)
        if (f.kind === FrameKind.DATA) this.checkUnpaid()
      },
      onSentCount: (f, r) => {
        this.agent.stats.bytesDown += BigInt(r.payloadBytes)
        recordSamples(this.down, r, () => f.payload.subarray(0, SLICE_LEN))
      },
      onClose: (e) => this.onClose(e),
    })
    this.timer = setInterval(() => void this.draft(false), this.agent.o.receiptIntervalMs ?? DEFAULT_RECEIPT_INTERVAL_MS)
    const helloMs = this.agent.o.helloTimeoutMs ?? HELLO_TIMEOUT_MS
    this.helloTimer = setTimeout(() => {
      if (this.phase === 'hello') this.link.close(new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `no HELLO within ${helloMs} ms`))
    }, helloMs)
  }

  private readonly helloTimer: NodeJS.Timeout

  private get total(): bigint {
    return this.link.sent.payloadBytes + this.link.received.payloadBytes
  }

  private onFrame(f: Frame): void {
    if (this.phase === 'hello') {
      if (f.kind !== FrameKind.HELLO) throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `frame kind ${f.kind} before HELLO`)
      this.phase = 'welcoming' // the consumer sends nothing else until WELCOME is out
      void this.hello(decodeHello(f.body))
      return
    }
    // an honest consumer waits for WELCOME before it sends anything more
    if (this.phase === 'welcoming') throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `frame kind ${f.kind} before WELCOME`)
    if (this.phase !== 'ready' && f.kind !== FrameKind.COSIGN && f.kind !== FrameKind.REFUSE) return
    switch (f.kind) {
      case FrameKind.OPEN:
        return this.open(f.streamId)
      case FrameKind.DATA:
        return this.data(f.streamId, f)
      case FrameKind.END:
        return this.consumerEnd(f.streamId)
      case FrameKind.RESET:
        return this.reset(f.streamId)
      case FrameKind.COSIGN:
        return void this.cosigned(decodeCosign(f.body))
      case FrameKind.REFUSE: {
        const r = decodeRefuse(f.body)
        return void this.shutdown(`the consumer refused receipt ${BigInt(r.seq)}: ${r.reason}`)
      }
      case FrameKind.CLOSE:
        return void this.shutdown(`the consumer closed the tunnel (${decodeClose(f.body).reason})`)
      default:
        throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `frame kind ${f.kind} is not the consumer's to send`)
    }
  }

  private async hello(h: { consumer: string; chainId: string }): Promise<void> {
    try {
      if (BigInt(h.chainId) !== this.agent.o.chain.chainId) {
        throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `the consumer is on chain ${BigInt(h.chainId)}, this provider on ${this.agent.o.chain.chainId}`)
      }
      this.consumer = h.consumer
      this.sessionId = Uint8Array.from(randomBytes(32))
      const sample: SampleParams = { seed: await this.agent.o.chain.sampleSeed(), rate: SAMPLE_RATE, sliceLen: SLICE_LEN }
      this.link.sendSample = sample
      const welcome: WelcomeMsg = {
        version: TUNNEL_VERSION,
        provider: this.agent.address,
        sessionId: hexOf(this.sessionId),
        sampleSeed: hexOf(sample.seed),
        sampleRate: sample.rate,
        sliceLen: sample.sliceLen,
      }
      this.link.send(FrameKind.WELCOME, 0, jsonBody(welcome))
      this.agent.o.chain.watch({ id: this.sessionId, provider: { address: this.agent.address }, down: this.down, sliceCounts: this.sliceCounts })
      if (this.phase === 'welcoming') this.phase = 'ready'
      this.agent.log(`tunnel from consumer ${this.consumer}: session ${hexOf(this.sessionId)}`)
    } catch (e) {
      this.link.close(e as Error)
    }
  }

  // --- SOCKS5 streams -------------------------------------------------------------------------

  private open(id: number): void {
    if (id === 0 || this.streams.has(id)) throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `OPEN of stream ${id}, which is in use or reserved`)
    if (this.streams.size >= MAX_STREAMS_PER_TUNNEL) {
      this.link.send(FrameKind.RESET, id)
      return
    }
    this.streams.set(id, { id, phase: 'greeting', pending: new Uint8Array(0), target: null, consumerEnded: false, targetEnded: false, endSent: false })
    this.agent.stats.streams++
  }

  private data(id: number, f: Frame): void {
    const s = this.streams.get(id)
    if (s === undefined) return // a stream reset here while its data was in flight
    if (s.phase === 'open') {
      // the payload as it arrived (one or more socket reads): no copy
      if (!s.consumerEnded) this.link.deliver(s.target!, f.payloadParts)
      return
    }
    s.pending = s.pending.length === 0 ? f.payload.slice() : Buffer.concat([s.pending, f.payload])
    this.socks(s)
  }

  /** advances a stream's SOCKS5 conversation with the bytes it has */
  private socks(s: SocksStream): void {
    try {
      if (s.phase === 'greeting') {
        const g = parseGreeting(s.pending)
        if (g.kind === 'incomplete') return
        s.pending = s.pending.subarray(g.used)
        this.toConsumer(s.id, methodReply(METHOD_NO_AUTH))
        s.phase = 'request'
      }
      if (s.phase === 'request') {
        const r = parseRequest(s.pending)
        if (r.kind === 'incomplete') return
        s.pending = s.pending.subarray(r.used)
        s.phase = 'connecting'
        this.connectTarget(s, r.value.host, r.value.port)
      }
    } catch (e) {
      const meta = (e as AgentError).meta ?? {}
      if (typeof meta.methodReply === 'number') this.toConsumer(s.id, methodReply(meta.methodReply))
      if (typeof meta.reply === 'number') this.toConsumer(s.id, encodeReply(meta.reply))
      this.agent.log(`stream ${s.id} of ${this.consumer}: ${(e as Error).message}`)
      this.endToConsumer(s)
      this.drop(s.id, false)
    }
  }

  private connectTarget(s: SocksStream, host: string, port: number): void {
    const target = connect({ host, port, allowHalfOpen: true })
    s.target = target
    target.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (s.phase === 'connecting')
        target.destroy(Object.assign(new Error(`no connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' }))
    })
    target.once('connect', () => {
      target.setTimeout(0)
      s.phase = 'open'
      this.toConsumer(s.id, encodeReply(Reply.SUCCEEDED, { address: target.localAddress ?? '0.0.0.0', port: target.localPort ?? 0 }))
      if (s.pending.length > 0) target.write(s.pending)
      s.pending = new Uint8Array(0)
      if (s.consumerEnded) target.end()
      if (this.paused.size > 0) target.pause()
    })
    target.on('data', (chunk: Buffer) => this.toConsumer(s.id, chunk))
    target.on('end', () => {
      s.targetEnded = true
      this.endToConsumer(s)
      if (s.consumerEnded) this.drop(s.id, false)
    })
    target.on('error', (e: NodeJS.ErrnoException) => {
      if (s.phase === 'connecting') {
        this.toConsumer(s.id, encodeReply(replyForError(e.code)))
        this.agent.log(`stream ${s.id} of ${this.consumer}: cannot reach ${host}:${port} (${e.code ?? e.message})`)
        this.endToConsumer(s)
      }
      this.drop(s.id, s.phase === 'open')
    })
    target.on('close', () => {
      if (this.streams.get(s.id) === s && s.targetEnded && s.consumerEnded) this.drop(s.id, false)
    })
  }

  /** stream bytes down to the consumer, in frames of at most MAX_PAYLOAD_BYTES */
  private toConsumer(id: number, bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += MAX_PAYLOAD_BYTES) {
      this.link.send(FrameKind.DATA, id, undefined, bytes.subarray(at, at + MAX_PAYLOAD_BYTES))
    }
    if (this.link.full) {
      this.pause('drain')
      void this.link.drained().then(() => this.resume('drain'))
    }
    this.checkUnpaid()
    if (this.total - this.draftedTotal >= (this.agent.o.receiptEveryBytes ?? DEFAULT_RECEIPT_EVERY_BYTES)) void this.draft(false)
  }

  private endToConsumer(s: SocksStream): void {
    if (s.endSent) return
    s.endSent = true
    this.link.send(FrameKind.END, s.id)
  }

  private consumerEnd(id: number): void {
    const s = this.streams.get(id)
    if (s === undefined) return
    s.consumerEnded = true
    if (s.phase === 'greeting' || s.phase === 'request') {
      // the application ended before its SOCKS5 request was whole: nothing can complete it now
      this.agent.log(`stream ${s.id} of ${this.consumer}: ended before its SOCKS5 request was whole`)
      this.endToConsumer(s)
      return this.drop(id, false)
    }
    if (s.phase === 'open') s.target!.end()
    if (s.targetEnded) this.drop(id, false)
  }

  /**
   * Forgets a stream. Ended both ways, its target socket closes by itself once its writes are
   * out; otherwise it is destroyed, and `reset` tells the consumer it was aborted.
   */
  private drop(id: number, reset: boolean): void {
    const s = this.streams.get(id)
    if (s === undefined) return
    this.streams.delete(id)
    if (!(s.consumerEnded && s.targetEnded)) s.target?.destroy()
    if (reset) this.link.send(FrameKind.RESET, id)
  }

  /** the consumer aborted the stream */
  private reset(id: number): void {
    const s = this.streams.get(id)
    if (s === undefined) return
    this.streams.delete(id)
    s.target?.destroy()
  }

  private pause(why: 'drain' | 'unpaid'): void {
    this.paused.add(why)
    for (const s of this.streams.values()) s.target?.pause()
  }

  private resume(why: 'drain' | 'unpaid'): void {
    this.paused.delete(why)
    if (this.paused.size > 0) return
    for (const s of this.streams.values()) s.target?.resume()
  }

  // --- receipts -------------------------------------------------------------------------------

  /** at the unpaid bound: stop sending, and close the tunnel if no co-signature comes in time */
  private checkUnpaid(): void {
    const max = this.agent.o.maxUnpaidBytes ?? DEFAULT_MAX_UNPAID_BYTES
    if (this.total - this.paidTotal < max || this.unpaidTimer !== null) return
    this.pause('unpaid')
    void this.draft(true)
    const graceMs = this.agent.o.unpaidGraceMs ?? DEFAULT_UNPAID_GRACE_MS
    this.unpaidTimer = setTimeout(() => {
      this.agent.stats.closedUnpaid++
      const unpaid = this.total - this.paidTotal
      void this.shutdown(`${unpaid} bytes unpaid: the consumer co-signed nothing for ${graceMs} ms at the bound of ${max} bytes`, AgentErrorCode.TUNNEL_UNPAID)
    }, graceMs)
  }

  /** signs and sends the next receipt, if none is waiting and anything new was carried (or `force`) */
  private async draft(force: boolean): Promise<void> {
    if (this.pending !== null || this.phase === 'hello' || this.phase === 'welcoming' || this.phase === 'closed') return
    if (this.total === this.draftedTotal && !force) return
    if (this.total === this.paidTotal) return
    // every receipt that claims bytes commits to a slice (the sampling floor; the edge refuses one
    // that does not): until the first payload frame went down there is nothing to receipt yet
    if (this.down.slices.length === 0) return
    const placeholder = { receipt: null as unknown as SignedReceipt, count: 0 }
    this.pending = placeholder
    let pos: { cycle: bigint; head: bigint }
    try {
      pos = await this.agent.o.chain.position()
    } catch (e) {
      this.pending = null
      this.agent.log(`cannot read the flow cycle for a receipt (next tick retries): ${(e as Error).message}`)
      return
    }
    if (this.link.isClosed) return
    const { sampleRoot, count } = sampleRootOfSlices(packedSlices(this.down))
    const r: FlowReceipt = {
      domainTag: RECEIPT_DOMAIN_TAG,
      chainId: this.agent.o.chain.chainId,
      sessionId: this.sessionId,
      consumer: this.consumer,
      provider: this.agent.address,
      relays: [],
      seq: ++this.seq,
      bytesUp: this.link.received.payloadBytes,
      bytesDown: this.link.sent.payloadBytes,
      sampleRoot,
      prevReceiptHash: this.prevHash,
      cycle: pos.cycle,
      expiryHeight: pos.head + RECEIPT_EXPIRY_BLOCKS,
    }
    const providerSignature = signReceipt(r, this.agent.o.key)
    this.pending = { receipt: { ...r, providerSignature, consumerSignature: new Uint8Array(65) }, count }
    this.draftedTotal = r.bytesUp + r.bytesDown
    this.link.send(FrameKind.RECEIPT, 0, receiptBody({ ...r, providerSignature }))
  }

  private async cosigned(m: { seq: string; consumerSignature: string; voucher?: Readonly<Record<string, string>> }): Promise<void> {
    const p = this.pending
    if (p === null || p.receipt === null || BigInt(m.seq) !== p.receipt.seq) {
      this.link.close(new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `COSIGN of seq ${BigInt(m.seq)}, but ${p?.receipt?.seq ?? 'no receipt'} waits`))
      return
    }
    const signed: SignedReceipt = { ...p.receipt, consumerSignature: bytesOfHexLoose(m.consumerSignature) }
    if (recoverAddress(receiptHash(signed), signed.consumerSignature) !== this.consumer) {
      this.link.close(new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `the co-signature of receipt ${signed.seq} is not the consumer's`))
      return
    }
    try {
      await (this.agent.o.payment ?? NO_PAYMENT).onVoucher(signed, m.voucher)
    } catch (e) {
      this.agent.stats.closedUnpaid++
      void this.shutdown(`receipt ${signed.seq} refused by the payment channel: ${(e as Error).message}`, AgentErrorCode.TUNNEL_UNPAID)
      return
    }
    this.agent.stats.receiptsCosigned++
    this.paidTotal = signed.bytesUp + signed.bytesDown
    if (this.unpaidTimer !== null) clearTimeout(this.unpaidTimer)
    this.unpaidTimer = null
    this.resume('unpaid')
    this.submitting = this.submitting.then(() => this.submit(signed, p.count))
    await this.submitting
    this.pending = null
    if (this.phase === 'closing') {
      // a receipt drafted again (its cycle ended on the way) is co-signed before the tunnel closes
      if (this.draftedTotal !== this.total) void this.draft(false)
      if (this.pending === null) this.finish()
    } else if (this.total - this.draftedTotal >= (this.agent.o.receiptEveryBytes ?? DEFAULT_RECEIPT_EVERY_BYTES)) void this.draft(false)
  }

  private async submit(r: SignedReceipt, count: number): Promise<void> {
    const st = this.agent.stats
    let reason: string | null
    try {
      // drafting, the consumer's co-signature and the submission take a round trip or two: a
      // receipt of a cycle that ended meanwhile would be refused (FLOW_WRONG_CYCLE), so it is not
      // sent; the next receipt, drafted in the new cycle, carries the same cumulative bytes
      const { cycle } = await this.agent.o.chain.position(true)
      if (cycle !== r.cycle) {
        st.receiptsRedrafted++
        // its bytes are neither receipted nor co-signed any more: the new receipt needs both
        this.draftedTotal = this.lastAccepted
        this.paidTotal = this.lastAccepted
        this.agent.log(`receipt ${r.seq} of session ${hexOf(r.sessionId)} was for cycle ${r.cycle}, which ended: drafted again in cycle ${cycle}`)
        return
      }
      reason = await this.agent.o.chain.submit(r)
    } catch (e) {
      reason = (e as Error).message
    }
    if (reason === null) {
      st.receiptsAccepted++
      st.bytesReceipted += r.bytesUp + r.bytesDown - this.lastAccepted
      this.lastAccepted = r.bytesUp + r.bytesDown
      this.prevHash = receiptHash(r)
      this.sliceCounts.set(r.seq, count)
      this.keepSlices(r.seq, count, r.cycle)
      return
    }
    st.receiptsRejected++
    st.reasons[reason] = (st.reasons[reason] ?? 0) + 1
    // the next receipt (a higher seq, the same or larger totals) chains to the last accepted one
    this.draftedTotal = this.lastAccepted
    this.agent.log(`receipt ${r.seq} of session ${hexOf(r.sessionId)} rejected: ${reason}`)
  }

  /** writes the slices accepted receipt `seq` commits to (a failing disk is logged: the openings still come from memory) */
  private keepSlices(seq: bigint, count: number, cycle: bigint): void {
    try {
      this.agent.o.slices?.commit(
        { id: this.sessionId, provider: { address: this.agent.address }, down: this.down, sliceCounts: this.sliceCounts },
        seq,
        count,
        cycle,
      )
    } catch (e) {
      this.agent.log(`cannot keep the slices of receipt ${seq} on disk: ${(e as Error).message}`)
    }
  }

  /**
   * Ends the tunnel: a last receipt for what was carried since the last one (when the consumer
   * still answers, within the grace period), then CLOSE with `reason`.
   */
  shutdown(reason: string, code?: AgentErrorCode): Promise<void> {
    if (this.phase === 'closed') return this.closed
    const was = this.phase
    this.phase = 'closing'
    for (const id of [...this.streams.keys()]) this.drop(id, true)
    this.agent.log(`closing the tunnel of ${this.consumer || 'a consumer'}: ${reason}`)
    this.closeReason = { reason, code }
    if (code === AgentErrorCode.TUNNEL_UNPAID || was === 'hello' || was === 'welcoming' || this.link.isClosed) {
      this.finish()
      return this.closed
    }
    if (this.pending === null) void this.draft(false)
    if (this.pending === null) this.finish()
    else setTimeout(() => this.finish(), this.agent.o.unpaidGraceMs ?? DEFAULT_UNPAID_GRACE_MS).unref()
    return this.closed
  }

  private closeReason: { reason: string; code?: AgentErrorCode | undefined } = { reason: 'closed' }

  private finish(): void {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    if (!this.link.isClosed) {
      this.link.send(FrameKind.CLOSE, 0, jsonBody({ reason: this.closeReason.reason }))
      this.link.close()
    }
  }

  private onClose(e?: Error): void {
    clearInterval(this.timer)
    clearTimeout(this.helloTimer)
    if (this.unpaidTimer !== null) clearTimeout(this.unpaidTimer)
    for (const id of [...this.streams.keys()]) this.drop(id, false)
    if (e !== undefined && this.phase !== 'closed') this.agent.log(`tunnel of ${this.consumer || 'a consumer'} broke: ${e.message}`)
    this.phase = 'closed'
    if (this.sessionId !== ZERO_HASH) this.agent.o.payment?.sessionEnded?.(this.sessionId)
    void this.submitting.then(() => {
      this.onGone()
      this.closedResolve?.()
    })
  }
}
