/**
 * The consumer agent behind `nfc flow consume` (DESIGN §13): a local SOCKS5 endpoint for any
 * application. Each local connection becomes a stream of the tunnel to the provider, its bytes
 * passed through untouched (the provider speaks SOCKS5 on it: socks5.ts). The agent counts what
 * it sent and received with the packet counter (link.ts) and co-signs a receipt only when its own
 * counts cover it: bytesDown ≤ what it received, bytesUp ≤ what it sent, running totals not
 * decreasing, the sampleRoot the one of the slices it sampled itself from the same frames, and the
 * provider's signature the provider's. Anything else is refused (REFUSE, with the reason).
 *
 * When the tunnel breaks, open streams are reset and a new tunnel (a new session) is made after
 * RECONNECT_MS; what the old session carried past its last co-signed receipt is never receipted
 * by the new one, so nothing is counted twice.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { addrOfPublicKey, bytesEqual, hexOf, RECEIPT_DOMAIN_TAG, receiptHash, recoverAddress, signReceipt, type SignedReceipt } from '../flow/receipt.js'
import { sampleRootOfSlices } from '../flow/sampling.js'
import { publicKeyOf } from '../crypto/secp256k1.js'
import { bytesOfHexLoose } from '../util/bytes.js'
import { AgentError, AgentErrorCode } from './errors.js'
import { TunnelLink } from './link.js'
import { NO_PAYMENT, type PaymentHook } from './payment.js'
import {
  decodeClose,
  decodeReceiptBody,
  decodeWelcome,
  FrameKind,
  jsonBody,
  MAX_PAYLOAD_BYTES,
  TUNNEL_VERSION,
  type Frame,
  type HelloMsg,
  type WelcomeMsg,
} from './tunnel.js'

/** wait before a new tunnel after one broke */
export const RECONNECT_MS = 1000
/** a local connection waits this long for the tunnel before it is dropped */
export const TUNNEL_WAIT_MS = 10_000
/** on exit: how long the provider gets to send the last receipt and close */
export const FINAL_RECEIPT_WAIT_MS = 10_000

export interface ConsumerOptions {
  key: Uint8Array
  listenHost: string
  listenPort: number
  providerHost: string
  providerPort: number
  /** the provider's address when known (from the chain): a tunnel to anyone else is refused */
  provider?: string
  chainId: bigint
  payment?: PaymentHook
  log?: (line: string) => void
}

export interface ConsumerStats {
  tunnels: number
  streams: number
  /** payload bytes received from / sent to the provider, every session */
  bytesDown: bigint
  bytesUp: bigint
  receiptsCosigned: number
  receiptsRefused: number
  /** up + down of each session's last co-signed receipt, summed */
  bytesCosigned: bigint
}

/** The consumer agent: `start` listens locally and opens the tunnel; `stop` closes both. */
export class ConsumerAgent {
  readonly address: string
  readonly stats: ConsumerStats = { tunnels: 0, streams: 0, bytesDown: 0n, bytesUp: 0n, receiptsCosigned: 0, receiptsRefused: 0, bytesCosigned: 0n }
  private server: Server | null = null
  private tunnel: ConsumerTunnel | null = null
  private ready: Promise<ConsumerTunnel> | null = null
  private stopping = false

  constructor(readonly o: ConsumerOptions) {
    this.address = addrOfPublicKey(publicKeyOf(o.key))
  }

  get log(): (line: string) => void {
    return this.o.log ?? (() => {})
  }

  /** the provider this agent's tunnel reached (after the first WELCOME) */
  get provider(): string | undefined {
    return this.tunnel?.welcome?.provider ?? this.o.provider
  }

  /** opens the first tunnel, then listens; resolves with the local port */
  async start(): Promise<number> {
    await this.connectTunnel()
    // half-open: an application that ends its request still reads the answer
    const server = createServer({ allowHalfOpen: true }, (local) => void this.accept(local))
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.o.listenPort, this.o.listenHost, () => {
        server.off('error', reject)
        resolve((server.address() as { port: number }).port)
      })
    })
  }

  private connectTunnel(): Promise<ConsumerTunnel> {
    this.ready = new Promise((resolve, reject) => {
      const t = new ConsumerTunnel(this, resolve, reject, () => this.tunnelGone(t))
      this.tunnel = t
    })
    // a failed attempt is retried by tunnelGone; callers that need it see the rejection
    this.ready.catch(() => {})
    return this.ready
  }

  private tunnelGone(t: ConsumerTunnel): void {
    if (this.tunnel !== t || this.stopping) return
    this.tunnel = null
    setTimeout(() => {
      if (!this.stopping) void this.connectTunnel().catch((e: Error) => this.log(`no tunnel to the provider (retrying): ${e.message}`))
    }, RECONNECT_MS).unref()
  }

  private async accept(local: Socket): Promise<void> {
    local.on('error', () => {})
    try {
      const t = await withTimeout(this.ready ?? this.connectTunnel(), TUNNEL_WAIT_MS, 'no tunnel to the provider')
      t.addStream(local)
    } catch (e) {
      this.log(`local connection dropped: ${(e as Error).message}`)
      local.destroy()
    }
  }

  /** closes the local endpoint and the tunnel (after the provider's last receipt, within FINAL_RECEIPT_WAIT_MS) */
  async stop(): Promise<void> {
    this.stopping = true
    this.server?.close()
    await this.tunnel?.close('the consumer exits')
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e as Error)),
    )
  })
}

/** One tunnel (one session) to the provider and the local connections riding it. */
class ConsumerTunnel {
  welcome: WelcomeMsg | null = null
  private readonly link: TunnelLink
  private readonly locals = new Map<number, { socket: Socket; ended: boolean }>()
  private nextStream = 1
  /** the slice hashes this end sampled from the frames it received, in order */
  private readonly slices: Uint8Array[] = []
  private last: { seq: bigint; bytesUp: bigint; bytesDown: bigint } = { seq: 0n, bytesUp: 0n, bytesDown: 0n }
  private closedResolve: (() => void) | null = null
  private readonly closed = new Promise<void>((r) => (this.closedResolve = r))

  constructor(
    private readonly agent: ConsumerAgent,
    private readonly resolve: (t: ConsumerTunnel) => void,
    private readonly reject: (e: Error) => void,
    private readonly onGone: () => void,
  ) {
    const o = agent.o
    const socket = connect({ host: o.providerHost, port: o.providerPort })
    this.link = new TunnelLink(socket, {
      onFrame: (f) => this.onFrame(f),
      onReceivedCount: (_f, r) => {
        agent.stats.bytesDown += BigInt(r.payloadBytes)
        for (let i = 0; i < r.sampledSeqs.length; i++) this.slices.push(r.sliceHashes.slice(32 * i, 32 * i + 32))
      },
      onSentCount: (_f, r) => {
        agent.stats.bytesUp += BigInt(r.payloadBytes)
      },
      onClose: (e) => this.onClose(e),
    })
    socket.once('connect', () => {
      const hello: HelloMsg = { version: TUNNEL_VERSION, consumer: agent.address, chainId: `0x${o.chainId.toString(16)}` }
      this.link.send(FrameKind.HELLO, 0, jsonBody(hello))
    })
  }

  private onFrame(f: Frame): void {
    if (this.welcome === null) {
      if (f.kind === FrameKind.CLOSE) throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `the provider refused the tunnel: ${decodeClose(f.body).reason}`)
      if (f.kind !== FrameKind.WELCOME) throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `frame kind ${f.kind} before WELCOME`)
      const w = decodeWelcome(f.body)
      const expected = this.agent.o.provider
      if (expected !== undefined && w.provider !== expected.toLowerCase()) {
        throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `the endpoint answers as provider ${w.provider}, not ${expected}`)
      }
      this.welcome = w
      this.link.receiveSample = { seed: bytesOfHexLoose(w.sampleSeed), rate: w.sampleRate, sliceLen: w.sliceLen }
      this.agent.stats.tunnels++
      this.agent.log(`tunnel to provider ${w.provider}: session ${w.sessionId}`)
      this.resolve(this)
      return
    }
    const local = this.locals.get(f.streamId)
    switch (f.kind) {
      case FrameKind.DATA:
        if (local !== undefined) this.link.deliver(local.socket, f.payloadParts)
        return
      case FrameKind.END:
        local?.socket.end()
        return
      case FrameKind.RESET:
        this.locals.delete(f.streamId)
        local?.socket.destroy()
        return
      case FrameKind.RECEIPT:
        return this.receipt(decodeReceiptBody(f.body))
      case FrameKind.CLOSE:
        this.agent.log(`the provider closed the tunnel: ${decodeClose(f.body).reason}`)
        this.link.close()
        return
      default:
        throw new AgentError(AgentErrorCode.TUNNEL_PROTOCOL, `frame kind ${f.kind} is not the provider's to send`)
    }
  }

  /** a local application's connection: a new stream */
  addStream(socket: Socket): void {
    if (this.link.isClosed) {
      socket.destroy()
      return
    }
    const id = this.nextStream++
    const entry = { socket, ended: false }
    this.locals.set(id, entry)
    this.agent.stats.streams++
    this.link.send(FrameKind.OPEN, id)
    socket.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += MAX_PAYLOAD_BYTES) this.link.send(FrameKind.DATA, id, undefined, chunk.subarray(at, at + MAX_PAYLOAD_BYTES))
      if (this.link.full) {
        socket.pause()
        void this.link.drained().then(() => socket.resume())
      }
    })
    socket.on('end', () => {
      entry.ended = true
      this.link.send(FrameKind.END, id)
    })
    socket.on('close', () => {
      if (this.locals.get(id) !== entry) return
      this.locals.delete(id)
      if (!entry.ended) this.link.send(FrameKind.RESET, id)
    })
  }

  /** co-signs `r` if this end's own counts cover it, else refuses it with the reason */
  private receipt(r: SignedReceipt): void {
    const why = this.check(r)
    if (why !== null) {
      this.agent.stats.receiptsRefused++
      this.agent.log(`refusing receipt ${r.seq}: ${why}`)
      this.link.send(FrameKind.REFUSE, 0, jsonBody({ seq: `0x${r.seq.toString(16)}`, reason: why }))
      return
    }
    const counted = r.bytesUp + r.bytesDown - (this.last.bytesUp + this.last.bytesDown)
    this.last = { seq: r.seq, bytesUp: r.bytesUp, bytesDown: r.bytesDown }
    const signed = { ...r, consumerSignature: signReceipt(r, this.agent.o.key) }
    void (this.agent.o.payment ?? NO_PAYMENT).voucherFor(signed).then(
      (voucher) => {
        this.agent.stats.receiptsCosigned++
        this.agent.stats.bytesCosigned += counted
        const msg = { seq: `0x${r.seq.toString(16)}`, consumerSignature: hexOf(signed.consumerSignature), ...(voucher === undefined ? {} : { voucher }) }
        this.link.send(FrameKind.COSIGN, 0, jsonBody(msg))
      },
      // no voucher, no co-signature: the provider's unpaid bound ends the tunnel
      (e: Error) => this.agent.log(`no voucher for receipt ${r.seq}: ${e.message}`),
    )
  }

  /** null when this end's counts cover `r`, else why not */
  private check(r: SignedReceipt): string | null {
    const w = this.welcome!
    if (r.consumer !== this.agent.address) return `it names consumer ${r.consumer}, not ${this.agent.address}`
    if (r.provider !== w.provider) return `it names provider ${r.provider}, not ${w.provider}`
    if (hexOf(r.sessionId) !== w.sessionId.toLowerCase()) return 'it is for another session'
    if (r.chainId !== this.agent.o.chainId || !bytesEqual(r.domainTag, RECEIPT_DOMAIN_TAG)) return 'it is for another chain'
    if (r.relays.length > 0) return 'it names relays this tunnel does not have'
    if (r.seq <= this.last.seq) return `seq ${r.seq} is not above the last co-signed ${this.last.seq}`
    if (r.bytesDown > this.link.received.payloadBytes) return `bytesDown ${r.bytesDown} is above the ${this.link.received.payloadBytes} bytes received`
    if (r.bytesUp > this.link.sent.payloadBytes) return `bytesUp ${r.bytesUp} is above the ${this.link.sent.payloadBytes} bytes sent`
    if (r.bytesDown < this.last.bytesDown || r.bytesUp < this.last.bytesUp) return 'a running total is below the last co-signed one'
    const packed = new Uint8Array(32 * this.slices.length)
    this.slices.forEach((h, i) => packed.set(h, 32 * i))
    if (!bytesEqual(sampleRootOfSlices(packed).sampleRoot, r.sampleRoot)) return 'its sampleRoot is not the one of the slices received'
    if (recoverAddress(receiptHash(r), r.providerSignature) !== w.provider) return "the provider's signature is not the provider's"
    return null
  }

  /** asks the provider to close (it sends a last receipt first), waits for the end up to FINAL_RECEIPT_WAIT_MS */
  close(reason: string): Promise<void> {
    if (!this.link.isClosed) {
      this.link.send(FrameKind.CLOSE, 0, jsonBody({ reason }))
      setTimeout(() => this.link.close(), FINAL_RECEIPT_WAIT_MS).unref()
    }
    return this.closed
  }

  private onClose(e?: Error): void {
    for (const l of this.locals.values()) l.socket.destroy()
    this.locals.clear()
    if (this.welcome === null) this.reject(e ?? new Error('the provider closed the connection before WELCOME'))
    else if (e !== undefined) this.agent.log(`tunnel to ${this.welcome.provider} broke: ${e.message}`)
    this.onGone()
    this.closedResolve?.()
  }
}
