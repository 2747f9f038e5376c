/**
 * The session handshake. Both sides send Hello at once (no waiting on each other, so one
 * round trip), check the other's Hello, then sign the transcript and send HelloAck:
 *
 *   transcript = sha256("nfc-p2p/transcript/v1" ‖ u32be(|I|) ‖ I ‖ u32be(|R|) ‖ R)
 *   signed     = "nfc-p2p/ack/v1" ‖ role ‖ transcript      role: 0x00 initiator, 0x01 responder
 *
 * where I and R are the Hello payloads exactly as sent by the initiator (dialer) and the
 * responder. The transcript holds both fresh nonces, so a signature is good for this one
 * connection only; the role byte keeps one side's signature from being replayed as the other's.
 * Each side verifies the other's signature with the key in the other's Hello (= its node id).
 *
 * Any failure sends Disconnect{reason} (unless the peer itself disconnected) and throws a
 * P2P_HANDSHAKE error whose meta.reason is the DisconnectReason.
 */
import { createHash, randomBytes } from 'node:crypto'
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js'
import { P2pError, P2pErrorCode } from './framing.js'
import { verifySignature, type NodeIdentity } from './identity.js'
import { bytesEqual, hexNoPrefix } from '../util/bytes.js'
import {
  DisconnectReason,
  MessageType,
  LOCAL_FEATURES,
  PROTOCOL_VERSION,
  decodeHello,
  disconnectReasonName,
  encodeHello,
  type Hello,
  type Message,
  type SessionMessage,
} from './messages.js'

const TRANSCRIPT_TAG = new TextEncoder().encode('nfc-p2p/transcript/v1')
const ACK_TAG = new TextEncoder().encode('nfc-p2p/ack/v1')

export type Role = 'initiator' | 'responder'

/** what this node claims about its chain; read fresh for every handshake */
export interface ChainStatus {
  chainId: bigint
  genesisHash: Uint8Array
  head: { number: bigint; hash: Uint8Array }
}

/** the two-way message pipe the handshake runs over (a Peer before it is established) */
export interface HandshakeChannel {
  send(m: SessionMessage): void
  /** the next message received, with its payload bytes as they came off the wire */
  next(): Promise<{ message: Message; payload: Uint8Array }>
}

export interface HandshakeOptions {
  identity: NodeIdentity
  role: Role
  status: ChainStatus
  listenPort: number
  client: string
  /** the HelloFeature bits this node advertises (default: LOCAL_FEATURES, all this build has) */
  features?: number
  timeoutMs: number
  /** whose time the deadline runs on (default: the system clock) */
  clock?: Clock
  /** last word on a peer whose Hello is fine (bans, peer limits): a reason refuses it */
  admit?: (remote: Hello, remoteNodeId: string) => DisconnectReason | undefined
}

export interface HandshakeResult {
  remote: Hello
  remoteNodeId: string
}

export function transcriptHash(initiatorHello: Uint8Array, responderHello: Uint8Array): Uint8Array {
  const len = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n)
    return b
  }
  return new Uint8Array(
    createHash('sha256')
      .update(TRANSCRIPT_TAG)
      .update(len(initiatorHello.length))
      .update(initiatorHello)
      .update(len(responderHello.length))
      .update(responderHello)
      .digest(),
  )
}

export function ackSigningBytes(signer: Role, transcript: Uint8Array): Uint8Array {
  return Buffer.concat([ACK_TAG, Uint8Array.of(signer === 'initiator' ? 0 : 1), transcript])
}

export function handshakeError(reason: DisconnectReason, text: string, meta: Record<string, unknown> = {}): P2pError {
  return new P2pError(P2pErrorCode.Handshake, `handshake failed: ${text}`, {
    reason,
    reasonName: disconnectReasonName(reason),
    ...meta,
  })
}

const hex = hexNoPrefix
const equal = bytesEqual

/** why this node refuses a Hello, or undefined if it is acceptable */
export function checkHello(remote: Hello, local: { status: ChainStatus; nodeId: Uint8Array }): { reason: DisconnectReason; text: string } | undefined {
  if (remote.version !== PROTOCOL_VERSION) {
    return { reason: DisconnectReason.VersionMismatch, text: `protocol version ${remote.version}, want ${PROTOCOL_VERSION}` }
  }
  if (remote.chainId !== local.status.chainId) {
    return { reason: DisconnectReason.ChainMismatch, text: `chain id ${remote.chainId}, want ${local.status.chainId}` }
  }
  if (!equal(remote.genesisHash, local.status.genesisHash)) {
    return {
      reason: DisconnectReason.GenesisMismatch,
      text: `genesis 0x${hex(remote.genesisHash)}, want 0x${hex(local.status.genesisHash)}`,
    }
  }
  if (equal(remote.nodeId, local.nodeId)) return { reason: DisconnectReason.SelfConnection, text: 'connected to itself' }
  return undefined
}

export async function performHandshake(ch: HandshakeChannel, opts: HandshakeOptions): Promise<HandshakeResult> {
  const clock = opts.clock ?? systemClock
  let timer: TimerHandle | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(handshakeError(DisconnectReason.Timeout, `no handshake within ${opts.timeoutMs} ms`)), opts.timeoutMs)
    timer.unref()
  })
  const refuse = (reason: DisconnectReason, text: string, meta?: Record<string, unknown>): never => {
    try {
      ch.send({ type: MessageType.Disconnect, reason, text })
    } catch {
      // the socket may already be gone; the error below is what matters
    }
    throw handshakeError(reason, text, meta)
  }
  const receive = async (want: typeof MessageType.Hello | typeof MessageType.HelloAck) => {
    let got: { message: Message; payload: Uint8Array }
    try {
      got = await Promise.race([ch.next(), timeout])
    } catch (e) {
      if (e instanceof P2pError && e.code === P2pErrorCode.Handshake) {
        if (e.meta.reason === DisconnectReason.Timeout) refuse(DisconnectReason.Timeout, e.message)
        throw e
      }
      if (e instanceof P2pError) refuse(DisconnectReason.ProtocolError, e.message, { cause: e.code })
      throw e
    }
    const m = got.message
    if (m.type === MessageType.Disconnect) {
      // the peer refused us: report its reason, do not answer
      throw handshakeError(m.reason as DisconnectReason, `peer disconnected: ${disconnectReasonName(m.reason)} ${m.text}`, {
        remote: true,
        text: m.text,
      })
    }
    if (m.type !== want) refuse(DisconnectReason.ProtocolError, `expected message type ${want}, got ${m.type}`)
    return got
  }

  try {
    const local: Hello = {
      version: PROTOCOL_VERSION,
      chainId: opts.status.chainId,
      genesisHash: opts.status.genesisHash,
      head: opts.status.head,
      nodeId: opts.identity.publicKey,
      nonce: new Uint8Array(randomBytes(32)),
      listenPort: opts.listenPort,
      client: opts.client,
      features: opts.features ?? LOCAL_FEATURES,
    }
    const localPayload = encodeHello(local)
    ch.send({ type: MessageType.Hello, hello: local })

    const { payload: remotePayload } = await receive(MessageType.Hello)
    // decode again from the raw bytes: what we sign is exactly what the peer sent
    const remote = decodeHello(remotePayload)
    const remoteNodeId = hex(remote.nodeId)
    const bad = checkHello(remote, { status: opts.status, nodeId: opts.identity.publicKey })
    if (bad) refuse(bad.reason, bad.text, { remoteNodeId })
    const veto = opts.admit?.(remote, remoteNodeId)
    if (veto !== undefined) refuse(veto, `not admitted: ${disconnectReasonName(veto)}`, { remoteNodeId })

    const transcript = opts.role === 'initiator' ? transcriptHash(localPayload, remotePayload) : transcriptHash(remotePayload, localPayload)
    ch.send({ type: MessageType.HelloAck, signature: opts.identity.sign(ackSigningBytes(opts.role, transcript)) })

    const ack = (await receive(MessageType.HelloAck)).message as Extract<Message, { type: typeof MessageType.HelloAck }>
    const remoteRole: Role = opts.role === 'initiator' ? 'responder' : 'initiator'
    if (!verifySignature(remote.nodeId, ackSigningBytes(remoteRole, transcript), ack.signature)) {
      refuse(DisconnectReason.BadHandshake, 'bad handshake signature', { remoteNodeId })
    }
    return { remote, remoteNodeId }
  } finally {
    clock.clearTimeout(timer)
    // a timeout that fires after we finished must not become an unhandled rejection
    timeout.catch(() => {})
  }
}
