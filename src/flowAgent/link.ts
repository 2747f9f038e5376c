/**
 * One end of a tunnel on its TCP socket: frames out with the next seq, frames in as they
 * complete, and both directions counted by the packet counter (core `countPackets`) frame by
 * frame, so each end knows exactly how many payload bytes it sent and received so far.
 *
 * Order matters for receipts: an outgoing frame is counted before it is written, an incoming one
 * after it is handled. A RECEIPT frame therefore covers, at both ends, exactly the frames before
 * it in its direction, and the consumer's receiver counter matches the provider's sender counter
 * at that point (TCP keeps the order).
 *
 * Both directions apply the sampling floor (flow/sampledStream.ts `withSampleFloor`): the first
 * frame with payload of a sampled direction is sampled, at the sender and the receiver alike.
 */
import type { Socket } from 'node:net'
import { core, initialCounterState, type CountResult, type CounterState, type SampleParams } from '../core/index.js'
import { withSampleFloor } from '../flow/sampledStream.js'
import { AgentError } from './errors.js'
import { encodeFrameHead, FrameReader, type Frame, type FrameKind } from './tunnel.js'

const EMPTY = new Uint8Array(0)

/** sample parameters that sample nothing (a direction only counted) */
export const NO_SAMPLES = (): SampleParams => ({ seed: new Uint8Array(32), rate: 0, sliceLen: 1 })

export interface LinkHandlers {
  /** a complete incoming frame (counted right after this returns) */
  onFrame(frame: Frame): void
  /** the incoming frame's count (after onFrame) */
  onReceivedCount?(frame: Frame, result: CountResult): void
  /** an outgoing frame's count (before it is written) */
  onSentCount?(frame: { payload: Uint8Array }, result: CountResult): void
  /** the tunnel broke the format or the connection ended; `error` is set unless it ended cleanly */
  onClose(error?: Error): void
}

export class TunnelLink {
  private seq = 0
  private readonly reader = new FrameReader()
  sent: CounterState = initialCounterState()
  received: CounterState = initialCounterState()
  /** the sample parameters of each direction (set once the session's are known) */
  sendSample: SampleParams = NO_SAMPLES()
  receiveSample: SampleParams = NO_SAMPLES()
  private closed = false
  /** frames written since the last 'drain' while the socket buffer was full */
  private waitingDrain = false
  private readonly drainWaiters: (() => void)[] = []

  constructor(
    readonly socket: Socket,
    private readonly h: LinkHandlers,
  ) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => {
      this.waitingDrain = false
      for (const w of this.drainWaiters.splice(0)) w()
    })
    socket.on('error', (e) => this.close(e))
    socket.on('close', () => this.close())
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    let frames: Frame[]
    try {
      frames = this.reader.push(chunk)
    } catch (e) {
      this.close(e as Error)
      return
    }
    for (const f of frames) {
      if (this.closed) return
      try {
        this.h.onFrame(f)
        const r = withSampleFloor(core.countPackets(f.rawParts, this.received, this.receiveSample), this.receiveSample, f.seq, f.payloadParts)
        this.received = r.state
        this.h.onReceivedCount?.(f, r)
      } catch (e) {
        this.close(e instanceof AgentError ? e : (e as Error))
        return
      }
    }
  }

  /**
   * Counts and writes one frame; false when the socket's buffer is full (wait with `drained`).
   * The head and the payload go out as two buffers of one write (corked: one writev), so the
   * payload is not copied; `payload` must not change afterwards (socket reads never do).
   */
  send(kind: FrameKind, streamId: number, body?: Uint8Array, payload: Uint8Array = EMPTY): boolean {
    if (this.closed) return false
    const seq = this.seq++
    const head = encodeFrameHead(seq, kind, streamId, body, payload.length)
    const r = withSampleFloor(core.countPackets(payload.length === 0 ? head : [head, payload], this.sent, this.sendSample), this.sendSample, seq, payload)
    this.sent = r.state
    this.h.onSentCount?.({ payload }, r)
    const ok = payload.length === 0 ? this.socket.write(head) : writeCorked(this.socket, [head, payload])
    if (!ok) this.waitingDrain = true
    return ok
  }

  /** the stream sockets too slow for the tunnel's incoming bytes: nothing is read from the tunnel while one is full */
  private readonly slow = new Set<Socket>()

  /**
   * Writes stream bytes that came through the tunnel to `out`; while `out`'s buffer is full the
   * tunnel is not read (head-of-line: one slow application holds the tunnel, memory stays bounded).
   */
  deliver(out: Socket, bytes: Uint8Array | readonly Uint8Array[]): void {
    // a payload that came in several reads: its parts in one writev
    const ok = bytes instanceof Uint8Array ? out.write(bytes) : bytes.length === 1 ? out.write(bytes[0]!) : writeCorked(out, bytes)
    if (ok || this.slow.has(out)) return
    this.slow.add(out)
    this.socket.pause()
    const release = () => {
      out.off('drain', release)
      out.off('close', release)
      this.slow.delete(out)
      if (this.slow.size === 0 && !this.closed) this.socket.resume()
    }
    out.on('drain', release)
    out.on('close', release)
  }

  /** resolves once the socket can take more (at once when it can) */
  drained(): Promise<void> {
    if (!this.waitingDrain || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  get full(): boolean {
    return this.waitingDrain
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** ends the connection (after what was written) and reports the close once */
  close(error?: Error): void {
    if (this.closed) return
    this.closed = true
    for (const w of this.drainWaiters.splice(0)) w()
    if (error === undefined) this.socket.end()
    else this.socket.destroy()
    this.h.onClose(error)
  }
}

/**
 * Writes `parts` as one writev. What `write` returns while corked says only that the parts were
 * buffered; whether the socket took them is known after `uncork` (false: wait for 'drain').
 */
function writeCorked(socket: Socket, parts: readonly Uint8Array[]): boolean {
  socket.cork()
  for (const p of parts) socket.write(p)
  socket.uncork()
  return socket.writableLength < socket.writableHighWaterMark
}
