/**
 * P2P traffic counters: bytes and frames sent and received, per message type, whole frames
 * (the 5-byte header included, the WebSocket framing not). Each `Peer` counts its own; the
 * network service adds up its peers (and the ones that closed) for /metrics and the `p2p` bench.
 */
import { FRAME_HEADER_BYTES } from './framing.js'
import { messageTypeName } from './messages.js'

/** one direction of one message type */
export interface TrafficCount {
  bytes: number
  frames: number
}

/** totals by message type name (e.g. "Block"), only the types that moved at least one frame */
export interface TrafficSnapshot {
  sent: Record<string, TrafficCount>
  received: Record<string, TrafficCount>
}

/** the frame type byte is < 256: one slot per possible type */
const TYPE_SLOTS = 256

export class TrafficCounters {
  private readonly sentBytes = new Float64Array(TYPE_SLOTS)
  private readonly sentFrames = new Float64Array(TYPE_SLOTS)
  private readonly receivedBytes = new Float64Array(TYPE_SLOTS)
  private readonly receivedFrames = new Float64Array(TYPE_SLOTS)

  /** a frame of `payloadBytes` payload went out */
  sent(type: number, payloadBytes: number): void {
    this.sentBytes[type & 0xff]! += payloadBytes + FRAME_HEADER_BYTES
    this.sentFrames[type & 0xff]! += 1
  }

  /** a whole frame of `payloadBytes` payload came in */
  received(type: number, payloadBytes: number): void {
    this.receivedBytes[type & 0xff]! += payloadBytes + FRAME_HEADER_BYTES
    this.receivedFrames[type & 0xff]! += 1
  }

  /** adds another counter set into this one (a closed peer's totals into the network's) */
  add(o: TrafficCounters): void {
    for (let t = 0; t < TYPE_SLOTS; t++) {
      this.sentBytes[t]! += o.sentBytes[t]!
      this.sentFrames[t]! += o.sentFrames[t]!
      this.receivedBytes[t]! += o.receivedBytes[t]!
      this.receivedFrames[t]! += o.receivedFrames[t]!
    }
  }

  snapshot(): TrafficSnapshot {
    const out: TrafficSnapshot = { sent: {}, received: {} }
    for (let t = 0; t < TYPE_SLOTS; t++) {
      if (this.sentFrames[t]! > 0) out.sent[messageTypeName(t)] = { bytes: this.sentBytes[t]!, frames: this.sentFrames[t]! }
      if (this.receivedFrames[t]! > 0) out.received[messageTypeName(t)] = { bytes: this.receivedBytes[t]!, frames: this.receivedFrames[t]! }
    }
    return out
  }
}
