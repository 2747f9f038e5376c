// Long on purpose: one generator per kind of hostile input (raw TCP, HTTP upgrade, WebSocket, frame, handshake, session), in one file like rpcFuzz.ts.
/**
 * P2P fuzzer (issue 15): sends random and mutated frames and handshakes at a running node's P2P
 * port and counts what the node did with each connection. A seed replays the same run.
 *
 *   node dist/tools/fuzz/p2pFuzz.js --url ws://127.0.0.1:30303 --chain-id 2100 --genesis 0x…
 *        [--rpc http://127.0.0.1:8545] [--pid PID] [--count N] [--seed S] [--concurrency C] [--json]
 *
 * Case kinds (picked by a seeded PRNG):
 *   tcp-garbage   raw TCP: random bytes, a TLS ClientHello, a half-closed socket
 *   bad-upgrade   raw TCP: broken HTTP upgrades (no key, wrong version, huge header, POST…)
 *   slow-upgrade  slow-loris: a partial upgrade request dribbled out, then held
 *   ws-text       WebSocket text messages (the protocol is binary only)
 *   ws-garbage    random binary WebSocket messages before the handshake
 *   frame         bad frames before the handshake: oversized, truncated, unknown type, length ±1
 *   slow-frame    slow-loris: a WebSocket frame announcing 1 MiB, a few bytes of it, then held
 *   hello         a Hello with a wrong chain id / genesis / version / the node's own id, a bad or
 *                 replayed HelloAck signature, a mutated Hello, HelloAck first, two Hellos
 *   session       a genuine handshake (our Transport's handshake code), then mutated copies of
 *                 valid messages (bit flips, truncations, length fields off by one), unknown
 *                 types, Blocks without a request, huge GetBlocks ranges, unexpected Hellos…
 *
 * Every connection starts from its own loopback source address (127.16.0.0 and up; Linux accepts
 * any 127/8 address as a source), so per-IP caps and bans of the node see many strangers and the
 * fuzzer keeps reaching the node's real code. One "item" is one connection attempt, one frame or
 * one handshake: `--count` items are sent at least. Per connection the outcome is one of
 *   refused       the node did not take our input (TCP reset, no WebSocket upgrade, a handshake
 *                 refused for a reason that is not our input: too many peers, a ban)
 *   disconnected  the node closed the connection after our input (the expected end of most cases)
 *   open          we closed it ourselves; the node tolerated what we sent (a Ping, a valid GetBlocks)
 *   local         our own fault (a source address we could not bind), not the node's
 * With --rpc the node's eth_blockNumber is checked after every batch; with --pid its RSS is read.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { memoryOf, prng, Rand } from './fuzzKit.js'
import { pathToFileURL } from 'node:url'
import { RLP } from '@ethereumjs/rlp'
import { WebSocket } from 'ws'
import { FRAME_HEADER_BYTES, FrameDecoder } from '../../src/p2p/framing.js'
import { ackSigningBytes, performHandshake, transcriptHash, type ChainStatus } from '../../src/p2p/handshake.js'
import { identityFromSeed, type NodeIdentity } from '../../src/p2p/identity.js'
import {
  MAX_PAYLOAD,
  MessageType,
  PROTOCOL_VERSION,
  decodeMessage,
  encodeHello,
  encodeMessage,
  messageLimits,
  type Hello,
  type Message,
} from '../../src/p2p/messages.js'
import { decodeBlocks, encodeBlocks, encodeGetBlocks, MAX_GET_BLOCKS } from '../../src/p2p/chainMessages.js'

export type Outcome = 'refused' | 'disconnected' | 'open' | 'local'
const OUTCOMES: readonly Outcome[] = ['refused', 'disconnected', 'open', 'local']
export const CASE_KINDS = ['tcp-garbage', 'bad-upgrade', 'slow-upgrade', 'ws-text', 'ws-garbage', 'frame', 'slow-frame', 'hello', 'session'] as const
export type CaseKind = (typeof CASE_KINDS)[number]

export interface P2pFuzzOptions {
  /** the node's P2P address, ws://host:port */
  url: string
  chainId: bigint
  genesisHash: Uint8Array
  /** items (connections, frames, handshakes) to send, at least */
  count: number
  seed: number
  /** connections in flight at once (default 24) */
  concurrency?: number
  /** connections between liveness checks (default 250) */
  batch?: number
  /** the node's JSON-RPC URL: eth_blockNumber after every batch */
  rpcUrl?: string
  pid?: number
  /** how long a slow-loris connection is held, ms (default 1,500) */
  holdMs?: number
  /** how long we wait for the node to close a connection we expect it to drop, ms (default 3,000) */
  closeWaitMs?: number
  /** the node's handshake deadline, ms (default 5,000): a Hello case waits this long and a bit for the drop */
  handshakeDeadlineMs?: number
  /** progress lines go here (default stderr); null for silence */
  log?: ((line: string) => void) | null
}

export interface KindCounts {
  connections: number
  /** time spent on this kind's connections, summed over the lanes (ms) */
  ms: number
  items: number
  refused: number
  disconnected: number
  open: number
  local: number
}

export interface P2pFuzzSummary {
  seed: number
  /** items sent in all */
  sent: number
  connections: number
  byKind: Record<string, KindCounts>
  /** why connections were refused (TCP reset, HTTP status, Disconnect reason) */
  refusedBy: Record<string, number>
  /** Disconnect reasons the node gave when it dropped us */
  disconnectReasons: Record<string, number>
  livenessChecks: number
  livenessFailures: number
  startRssKb?: number
  lastRssKb?: number
  peakRssKb?: number
  elapsedMs: number
}

// ---------------------------------------------------------------------------- frames

/** a frame with whatever header we like (encodeFrame refuses what we want to send) */
export function rawFrame(type: number, payload: Uint8Array, length = payload.length): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES)
  head.writeUInt32BE(length >>> 0, 0)
  head[4] = type & 0xff
  return Buffer.concat([head, payload])
}

const frame = (m: Message) => rawFrame(m.type, encodeMessage(m))

/** a few bit flips, a truncation or an inserted byte: a mutated copy of valid bytes */
function mutate(r: Rand, bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes)
  switch (r.int(4)) {
    case 0: {
      for (let i = 0, n = 1 + r.int(4); i < n && b.length > 0; i++) b[r.int(b.length)]! ^= 1 << r.int(8)
      return b
    }
    case 1:
      return b.subarray(0, r.int(b.length))
    case 2: {
      const at = r.int(b.length + 1)
      return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(8)), b.subarray(at)])
    }
    default:
      if (b.length > 0) b[r.int(Math.min(b.length, 4))] = r.int(256) // the RLP header
      return b
  }
}

/** unknown types: below Hello, between the session and chain ranges, above the last one */
const unknownType = (r: Rand) => r.pick([0x00, 0x08, 0x0f, 0x17, 0x20, 0x7f, 0x80, 0xff])
const knownTypes = Object.values(MessageType)

// ---------------------------------------------------------------------------- connections

/** a WebSocket to the node with our frame decoder on it: a raw peer we fully control */
export class RawPeer {
  readonly inbox: { message: Message; payload: Uint8Array }[] = []
  private waiter: (() => void) | undefined
  private readonly decoder = new FrameDecoder(messageLimits)
  closed = false
  /** the Disconnect reason the node sent, if any */
  disconnect: number | undefined
  readonly whenClosed: Promise<void>

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer'
    this.whenClosed = new Promise((resolve) =>
      ws.once('close', () => {
        this.closed = true
        this.wake()
        resolve()
      }),
    )
    ws.on('error', () => undefined)
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return
      try {
        for (const f of this.decoder.push(data)) {
          const message = decodeMessage(f.type, f.payload)
          if (message.type === MessageType.Disconnect) this.disconnect = message.reason
          this.inbox.push({ message, payload: f.payload })
        }
        this.decoder.end()
      } catch {
        // the node never sends bad frames; if it did, the test's counts would show it as open
      }
      this.wake()
    })
  }

  /** opens a WebSocket from `localAddress`; rejects with why it was refused */
  static open(url: string, localAddress: string, timeoutMs: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { localAddress, perMessageDeflate: false, handshakeTimeout: timeoutMs, maxPayload: 32 * 1024 * 1024 })
      const fail = (why: string) => {
        ws.removeAllListeners()
        ws.on('error', () => undefined)
        ws.terminate()
        reject(new Refused(why))
      }
      ws.once('unexpected-response', (_req, res) => fail(`http-${res.statusCode}`))
      ws.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRNOTAVAIL' ? 'local' : (e.code ?? e.message)))
      ws.once('close', () => fail('closed-before-open'))
      ws.once('open', () => {
        ws.removeAllListeners()
        resolve(new RawPeer(ws))
      })
    })
  }

  send(bytes: Uint8Array): boolean {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return false
    this.ws.send(bytes)
    return true
  }

  /** the next message from the node, or undefined once the connection is closed */
  async next(timeoutMs: number): Promise<{ message: Message; payload: Uint8Array } | undefined> {
    const deadline = Date.now() + timeoutMs
    while (this.inbox.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now())
        this.waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    return this.inbox.shift()
  }

  /** waits up to `ms` for the node to close; true if it did */
  async closedWithin(ms: number): Promise<boolean> {
    if (this.closed) return true
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([this.whenClosed.then(() => true), new Promise<false>((res) => (timer = setTimeout(() => res(false), ms)))])
    clearTimeout(timer)
    return r
  }

  terminate(): void {
    if (!this.closed) this.ws.terminate()
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }
}

/** the node (or the network) refused a connection; the message says how */
export class Refused extends Error {}

/** a raw TCP socket from `localAddress`; resolves once connected */
function tcp(url: URL, localAddress: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: url.hostname, port: Number(url.port), localAddress })
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Refused('connect-timeout'))
    }, timeoutMs)
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new Refused(e.code === 'EADDRNOTAVAIL' ? 'local' : (e.code ?? 'tcp-error')))
    })
    s.once('connect', () => {
      clearTimeout(timer)
      s.removeAllListeners('error')
      resolve(s)
    })
  })
}

/** writes `data` and waits up to `ms` for the node to close; returns what it answered */
async function tcpExchange(s: Socket, data: Buffer | string, ms: number, halfClose = false): Promise<{ closed: boolean; answer: string }> {
  let answer = ''
  s.setEncoding('latin1')
  s.on('data', (d: string) => {
    if (answer.length < 4096) answer += d
  })
  s.on('error', () => undefined)
  const closed = new Promise<boolean>((resolve) => s.once('close', () => resolve(true)))
  s.write(data)
  if (halfClose) s.end()
  let timer: NodeJS.Timeout | undefined
  const r = await Promise.race([closed, new Promise<false>((res) => (timer = setTimeout(() => res(false), ms)))])
  clearTimeout(timer)
  s.destroy()
  return { closed: r, answer }
}

// ---------------------------------------------------------------------------- the run

interface Ctx {
  url: URL
  status: ChainStatus
  holdMs: number
  closeWaitMs: number
  /**
   * the node's handshake deadline plus a margin: what a stranger sends before the handshake is
   * dropped by then at the latest (promptly if the node sees it is bad; a slow machine may not)
   */
  helloWaitMs: number
  /** a real block's bytes (block 1), to mutate */
  block: Uint8Array
  /** a Hello and HelloAck one of our identities sent in a genuine earlier handshake, to replay */
  replay: { hello: Uint8Array; ack: Uint8Array } | undefined
}

interface Result {
  items: number
  outcome: Outcome
  /** refusal or disconnect reason */
  why?: string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function status(chainId: bigint, genesisHash: Uint8Array): ChainStatus {
  return { chainId, genesisHash, head: { number: 0n, hash: genesisHash } }
}

function helloOf(r: Rand, identity: NodeIdentity, s: ChainStatus): Hello {
  return {
    version: PROTOCOL_VERSION,
    chainId: s.chainId,
    genesisHash: s.genesisHash,
    head: s.head,
    nodeId: identity.publicKey,
    nonce: r.bytes(32),
    listenPort: 0,
    client: 'p2pfuzz',
    features: 0,
  }
}

/** a genuine handshake over `p` with our handshake code; records the Hello/HelloAck we sent */
async function handshake(p: RawPeer, identity: NodeIdentity, ctx: Ctx): Promise<{ ok: true; sent: Uint8Array[] } | { ok: false; why: string }> {
  const sent: Uint8Array[] = []
  try {
    await performHandshake(
      {
        send: (m) => {
          const payload = encodeMessage(m)
          sent.push(payload)
          p.send(rawFrame(m.type, payload))
        },
        next: async () => {
          const got = await p.next(ctx.closeWaitMs)
          if (got === undefined) throw new Refused('closed-in-handshake')
          return got
        },
      },
      { identity, role: 'initiator', status: ctx.status, listenPort: 0, client: 'p2pfuzz', timeoutMs: 10_000 },
    )
    return { ok: true, sent }
  } catch (e) {
    const meta = (e as { meta?: Record<string, unknown> }).meta
    return { ok: false, why: String(meta?.reasonName ?? (e as Error).message) }
  }
}

const ends = async (p: RawPeer, items: number, ms: number): Promise<Result> => {
  const closed = await p.closedWithin(ms)
  p.terminate()
  return closed ? { items, outcome: 'disconnected', why: reasonOf(p) } : { items, outcome: 'open' }
}

const reasonOf = (p: RawPeer) => (p.disconnect === undefined ? 'socket-closed' : `reason-${p.disconnect}`)

async function caseTcpGarbage(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const s = await tcp(ctx.url, src, 5_000)
  const data = r.pick([
    () => r.bytes(1 + r.int(2_000)),
    () => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), r.bytes(100)]), // TLS ClientHello
    () => rawFrame(MessageType.Hello, r.bytes(100)), // a P2P frame with no WebSocket around it
    () => Buffer.from('\r\n'.repeat(1 + r.int(100))),
  ])()
  const { closed } = await tcpExchange(s, data, ctx.closeWaitMs, r.chance(0.2))
  return { items: 1, outcome: closed ? 'disconnected' : 'open' }
}

function upgradeRequest(r: Rand, ctx: Ctx): string {
  const host = `${ctx.url.hostname}:${ctx.url.port}`
  const key = r.bytes(16).toString('base64')
  const good = [`GET / HTTP/1.1`, `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13']
  const variants: (() => string[])[] = [
    () => good.filter((l) => !l.startsWith('Sec-WebSocket-Key')),
    () => good.map((l) => (l.startsWith('Sec-WebSocket-Version') ? `Sec-WebSocket-Version: ${r.pick(['8', '99', '', 'x'])}` : l)),
    () => good.map((l) => (l.startsWith('Sec-WebSocket-Key') ? `Sec-WebSocket-Key: ${r.pick(['', 'short', 'x'.repeat(200)])}` : l)),
    () => ['POST / HTTP/1.1', ...good.slice(1)],
    () => good.filter((l) => !l.startsWith('Upgrade')),
    () => [...good, `X-Filler: ${'a'.repeat(20_000 + r.int(80_000))}`], // over Node's 16 KiB header limit
    () => [...good, ...Array.from({ length: 200 + r.int(2000) }, (_, i) => `X-H${i}: ${i}`)],
    () => good.map((l) => (l.startsWith('GET') ? r.pick(['GET / HTTP/0.9', 'GET  HTTP/1.1', 'BREW / HTCPCP/1.0', 'GET /\u0000 HTTP/1.1']) : l)),
    () => good.map((l) => (l.startsWith('Upgrade') ? 'Upgrade: h2c' : l)),
    () => [good[0]!, 'Host: x', 'Content-Length: 99999999', ''], // a body that never comes
    () => [...good.slice(0, 1), 'Host: x', 'Transfer-Encoding: chunked', '', 'zz'],
    () => ['GET / HTTP/1.1', `Host: ${host}`], // a plain GET: 426
  ]
  return r.pick(variants)().join('\r\n') + '\r\n\r\n'
}

async function caseBadUpgrade(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const s = await tcp(ctx.url, src, 5_000)
  const { closed, answer } = await tcpExchange(s, upgradeRequest(r, ctx), ctx.closeWaitMs)
  const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]
  return { items: 1, outcome: closed ? 'disconnected' : 'open', why: status === undefined ? 'no-answer' : `http-${status}` }
}

async function caseSlowUpgrade(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const s = await tcp(ctx.url, src, 5_000)
  s.on('error', () => undefined)
  const closed = new Promise<boolean>((resolve) => s.once('close', () => resolve(true)))
  const req = upgradeRequest(r, ctx).slice(0, -4) // never the final blank line
  const started = Date.now()
  let i = 0
  while (Date.now() - started < ctx.holdMs && !s.destroyed) {
    const n = 1 + r.int(8)
    s.write(req.slice(i, i + n))
    i += n
    await sleep(50 + r.int(150))
  }
  const wasClosed = s.destroyed || (await Promise.race([closed, sleep(0).then(() => false)]))
  s.destroy()
  return { items: 1, outcome: wasClosed ? 'disconnected' : 'open' }
}

async function caseWsText(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const p = await RawPeer.open(ctx.url.href, src, 5_000)
  p.ws.send(r.pick(['hello', '{"type":"Hello"}', r.bytes(50).toString('hex'), '']), { binary: false })
  return ends(p, 1, ctx.helloWaitMs)
}

async function caseWsGarbage(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const p = await RawPeer.open(ctx.url.href, src, 5_000)
  p.send(r.bytes(r.pick([1, 4, 5, 6, 64, 512, 4096])))
  return ends(p, 1, ctx.helloWaitMs)
}

async function caseFrame(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const p = await RawPeer.open(ctx.url.href, src, 5_000)
  const hello = encodeHello(helloOf(r, identityFromSeed(r.bytes(32)), ctx.status))
  const type = r.pick(knownTypes)
  const bytes = r.pick([
    // oversized: a header announcing more than the type allows (the body never needs to come)
    () => rawFrame(type, r.bytes(r.int(64)), MAX_PAYLOAD[type] + 1 + r.int(1_000_000)),
    () => rawFrame(MessageType.Hello, new Uint8Array(0), 0xffffffff),
    () => rawFrame(MessageType.Hello, r.bytes(600)), // a whole Hello over its 512 bytes
    // truncated: the message ends inside the frame
    () => rawFrame(MessageType.Hello, hello).subarray(0, FRAME_HEADER_BYTES + r.int(hello.length)),
    () => rawFrame(MessageType.Hello, new Uint8Array(0)).subarray(0, 1 + r.int(FRAME_HEADER_BYTES - 1)),
    // length fields off by one
    () => rawFrame(MessageType.Hello, hello, hello.length + 1),
    () => rawFrame(MessageType.Hello, hello, hello.length - 1),
    // unknown type, a valid one behind it
    () => Buffer.concat([rawFrame(unknownType(r), r.bytes(r.int(32))), rawFrame(MessageType.Hello, hello)]),
    // a chain message before the handshake, many frames in one message
    () => rawFrame(MessageType.GetBlocks, encodeGetBlocks({ from: 0n, count: MAX_GET_BLOCKS })),
    () => Buffer.concat(Array.from({ length: 9 + r.int(40) }, () => frame({ type: MessageType.Ping, nonce: BigInt(r.int(1e9)) }))),
  ])()
  p.send(bytes)
  return ends(p, 1, ctx.helloWaitMs)
}

/** a masked client WebSocket frame header (binary, FIN) announcing `length` bytes */
export function wsFrameHeader(r: Rand, length: number): { head: Buffer; mask: Buffer } {
  const head = Buffer.alloc(14)
  head[0] = 0x82
  head[1] = 0x80 | 127
  head.writeBigUInt64BE(BigInt(length), 2)
  const mask = r.bytes(4)
  mask.copy(head, 10)
  return { head, mask }
}

async function caseSlowFrame(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const p = await RawPeer.open(ctx.url.href, src, 5_000)
  const socket = (p.ws as unknown as { _socket: Socket })._socket
  const length = r.pick([1024 * 1024, 16 * 1024 * 1024, 64 * 1024 * 1024])
  const { head } = wsFrameHeader(r, length)
  socket.write(head)
  const started = Date.now()
  while (Date.now() - started < ctx.holdMs && !p.closed) {
    socket.write(r.bytes(1 + r.int(64)))
    await sleep(100 + r.int(200))
  }
  return ends(p, 1, 0)
}

async function caseHello(r: Rand, ctx: Ctx, src: string): Promise<Result> {
  const p = await RawPeer.open(ctx.url.href, src, 5_000)
  const theirs = await p.next(ctx.closeWaitMs)
  if (theirs === undefined || theirs.message.type !== MessageType.Hello) {
    p.terminate()
    return { items: 0, outcome: 'refused', why: p.disconnect === undefined ? 'no-hello' : `reason-${p.disconnect}` }
  }
  const nodeHello = (theirs.message as { hello: Hello }).hello
  const identity = identityFromSeed(r.bytes(32))
  const h = helloOf(r, identity, ctx.status)
  const signedAck = (mine: Uint8Array) =>
    frame({ type: MessageType.HelloAck, signature: identity.sign(ackSigningBytes('initiator', transcriptHash(mine, theirs.payload))) })
  const variant = r.int(10)
  let sends: Buffer[]
  switch (variant) {
    case 0:
      sends = [frame({ type: MessageType.Hello, hello: { ...h, chainId: ctx.status.chainId + 1n + BigInt(r.int(1000)) } })]
      break
    case 1:
      sends = [frame({ type: MessageType.Hello, hello: { ...h, genesisHash: r.bytes(32) } })]
      break
    case 2:
      sends = [frame({ type: MessageType.Hello, hello: { ...h, version: PROTOCOL_VERSION + 1 + r.int(5) } })]
      break
    case 3:
      sends = [frame({ type: MessageType.Hello, hello: { ...h, nodeId: nodeHello.nodeId } })]
      break
    case 4: // a good Hello, a HelloAck with a bad signature
      sends = [frame({ type: MessageType.Hello, hello: h }), frame({ type: MessageType.HelloAck, signature: r.bytes(64) })]
      break
    case 5: {
      // replay: an earlier genuine Hello and HelloAck, nonce and all (the node's nonce is new)
      const replay = ctx.replay
      sends = replay
        ? [rawFrame(MessageType.Hello, replay.hello), rawFrame(MessageType.HelloAck, replay.ack)]
        : [frame({ type: MessageType.Hello, hello: h }), frame({ type: MessageType.HelloAck, signature: new Uint8Array(64) })]
      break
    }
    case 6: // the ack signed as the responder: the role byte makes it worthless
      sends = [
        frame({ type: MessageType.Hello, hello: h }),
        frame({ type: MessageType.HelloAck, signature: identity.sign(ackSigningBytes('responder', transcriptHash(encodeHello(h), theirs.payload))) }),
      ]
      break
    case 7:
      sends = [rawFrame(MessageType.Hello, mutate(r, encodeHello(h)))]
      break
    case 8:
      sends = [frame({ type: MessageType.HelloAck, signature: r.bytes(64) })]
      break
    default: // two Hellos, then a good ack for the first
      sends = [frame({ type: MessageType.Hello, hello: h }), frame({ type: MessageType.Hello, hello: h }), signedAck(encodeHello(h))]
  }
  let items = 0
  for (const b of sends) if (p.send(b)) items++
  // a mutated Hello may still be a good one: then the node waits for our HelloAck until its deadline
  return ends(p, items, ctx.helloWaitMs)
}

/** how long a session waits for the node to drop it after its last frame, ms */
const SESSION_END_WAIT_MS = 500

/** one post-handshake frame: mutated valid messages and everything a stranger may try */
function sessionFrame(r: Rand, ctx: Ctx): Buffer {
  const block = ctx.block
  const kinds: (() => Buffer)[] = [
    () => rawFrame(MessageType.Block, mutate(r, block)),
    () => rawFrame(MessageType.Block, r.bytes(r.int(2_000))),
    () => rawFrame(MessageType.Blocks, encodeBlocks([block])), // an answer without a request
    () => rawFrame(MessageType.Blocks, mutate(r, encodeBlocks([block, block]))),
    () => rawFrame(MessageType.GetBlocks, encodeGetBlocks({ from: BigInt(r.int(2 ** 31)) * 2n ** 32n, count: MAX_GET_BLOCKS })), // far beyond the head
    () => rawFrame(MessageType.GetBlocks, RLP.encode([0, 2 ** 16 - 1])), // a huge range
    () => rawFrame(MessageType.GetBlocks, RLP.encode([2n ** 64n - 1n, 1])),
    () => rawFrame(MessageType.GetBlocks, encodeGetBlocks({ from: 0n, count: 1 + r.int(4) })), // valid
    () => rawFrame(MessageType.GetBlocks, mutate(r, encodeGetBlocks({ from: 1n, count: 2 }))),
    () => rawFrame(MessageType.Tx, r.bytes(1 + r.int(300))),
    () => rawFrame(MessageType.Tx, RLP.encode([r.bytes(8), r.bytes(20), []])),
    () => rawFrame(MessageType.Confirmation, r.bytes(1 + r.int(1_000))),
    () => rawFrame(MessageType.Peers, RLP.encode(['ws://10.0.0.1:1'])), // an answer without a request
    () => rawFrame(MessageType.GetPeers, r.bytes(r.int(16))),
    () => rawFrame(MessageType.FlowReceipt, r.bytes(r.int(4096))),
    () => rawFrame(MessageType.FlowSignature, r.bytes(r.int(128))),
    () => frame({ type: MessageType.Ping, nonce: BigInt(r.int(1e9)) }), // valid
    () => frame({ type: MessageType.Hello, hello: helloOf(r, identityFromSeed(r.bytes(32)), ctx.status) }), // after the handshake
    () => frame({ type: MessageType.HelloAck, signature: r.bytes(64) }),
    () => rawFrame(unknownType(r), r.bytes(r.int(64))),
    () => {
      const f = rawFrame(MessageType.GetBlocks, encodeGetBlocks({ from: 1n, count: 1 }))
      return r.chance(0.5) ? f.subarray(0, f.length - 1) : Buffer.concat([f, Buffer.of(0)]) // truncated or a byte over
    },
    () => rawFrame(MessageType.Block, block, block.length + r.pick([-1, 1])), // length off by one
    () => rawFrame(MessageType.Block, r.bytes(8), MAX_PAYLOAD[MessageType.Block] + 1),
  ]
  return r.pick(kinds)()
}

async function caseSession(r: Rand, ctx: Ctx, src: string, record: (sent: Uint8Array[]) => void): Promise<Result> {
  const p = await RawPeer.open(ctx.url.href, src, 5_000)
  const hs = await handshake(p, identityFromSeed(r.bytes(32)), ctx)
  if (!hs.ok) {
    p.terminate()
    return { items: 1, outcome: 'refused', why: hs.why }
  }
  record(hs.sent)
  let items = 1
  const n = 4 + r.int(24)
  for (let i = 0; i < n && !p.closed; i++) {
    if (!p.send(sessionFrame(r, ctx))) break
    items++
    if (r.chance(0.3)) await sleep(r.int(20))
  }
  // let the node answer or drop us; a session it tolerated ends by our Disconnect-less close
  return ends(p, items, SESSION_END_WAIT_MS)
}

/** a real block from the node (block 1), to mutate: one genuine session, GetBlocks, Blocks */
async function fetchBlock(ctx: Ctx): Promise<Uint8Array> {
  const p = await RawPeer.open(ctx.url.href, '127.0.0.1', 10_000)
  try {
    const hs = await handshake(p, identityFromSeed(new Uint8Array(32).fill(42)), ctx)
    if (!hs.ok) throw new Error(`the fuzzer's own handshake failed: ${hs.why}`)
    p.send(rawFrame(MessageType.GetBlocks, encodeGetBlocks({ from: 1n, count: 1 })))
    for (;;) {
      const got = await p.next(10_000)
      if (got === undefined) throw new Error('no Blocks answer to GetBlocks(1, 1)')
      if (got.message.type !== MessageType.Blocks) continue
      const blocks = decodeBlocks(got.payload)
      if (blocks.length === 0) throw new Error('the node has no block 1 yet')
      return blocks[0]!
    }
  } finally {
    p.terminate()
  }
}

/** VmHWM and VmRSS of `pid` in kB */
async function alive(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: AbortSignal.timeout(10_000),
    })
    const body = (await res.json()) as { result?: string }
    return typeof body.result === 'string'
  } catch {
    return false
  }
}

/** the i-th source address: 127.16.0.1 and up, never 127.0.0.1 (the legitimate peers' address) */
export function sourceAddress(i: number): string {
  const n = 16 * 65_536 + 1 + (i % (200 * 65_536))
  return `127.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

function pickKind(r: Rand): CaseKind {
  const roll = r.int(1000)
  if (roll < 90) return 'tcp-garbage'
  if (roll < 190) return 'bad-upgrade'
  if (roll < 200) return 'slow-upgrade'
  if (roll < 270) return 'ws-text'
  if (roll < 360) return 'ws-garbage'
  if (roll < 500) return 'frame'
  if (roll < 510) return 'slow-frame'
  if (roll < 680) return 'hello'
  return 'session'
}

export async function runP2pFuzz(opts: P2pFuzzOptions): Promise<P2pFuzzSummary> {
  const r = new Rand(prng(opts.seed))
  const log = opts.log === undefined ? (l: string) => process.stderr.write(l + '\n') : opts.log
  const started = Date.now()
  const ctx: Ctx = {
    url: new URL(opts.url),
    status: status(opts.chainId, opts.genesisHash),
    holdMs: opts.holdMs ?? 1_500,
    closeWaitMs: opts.closeWaitMs ?? 3_000,
    helloWaitMs: (opts.handshakeDeadlineMs ?? 5_000) + 1_500,
    block: new Uint8Array(0),
    replay: undefined,
  }
  ctx.block = await fetchBlock(ctx)
  const record = (sent: Uint8Array[]) => {
    if (ctx.replay === undefined && sent.length === 2) ctx.replay = { hello: sent[0]!, ack: sent[1]! }
  }
  const byKind: Record<string, KindCounts> = Object.fromEntries(
    CASE_KINDS.map((k) => [k, { connections: 0, ms: 0, items: 0, refused: 0, disconnected: 0, open: 0, local: 0 }]),
  )
  const refusedBy: Record<string, number> = {}
  const disconnectReasons: Record<string, number> = {}
  const concurrency = opts.concurrency ?? 24
  const batch = opts.batch ?? 250
  let sent = 0
  let connections = 0
  let livenessChecks = 0
  let livenessFailures = 0
  const startMem = opts.pid === undefined ? undefined : memoryOf(opts.pid)
  let lastMem = startMem

  while (sent < opts.count) {
    // a connection sends ~4 items on average: a short run does not open a whole batch's worth
    const n = Math.min(batch, Math.max(concurrency, Math.ceil((opts.count - sent) / 3)))
    const seeds = Array.from({ length: n }, () => r.int(2 ** 31))
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const i = next++
          if (i >= seeds.length) return
          const cr = new Rand(prng(seeds[i]!))
          const kind = pickKind(cr)
          const src = sourceAddress(connections++)
          let res: Result
          const t0 = Date.now()
          try {
            res = await runCase(kind, cr, ctx, src, record)
          } catch (e) {
            if (!(e instanceof Refused)) throw e
            res = { items: e.message === 'local' ? 0 : 1, outcome: e.message === 'local' ? 'local' : 'refused', why: e.message }
          }
          const k = byKind[kind]!
          k.connections++
          k.ms += Date.now() - t0
          k.items += res.items
          k[res.outcome]++
          sent += res.items
          if (res.outcome === 'refused') refusedBy[res.why ?? '?'] = (refusedBy[res.why ?? '?'] ?? 0) + 1
          if (res.outcome === 'disconnected' && res.why !== undefined) disconnectReasons[res.why] = (disconnectReasons[res.why] ?? 0) + 1
        }
      }),
    )
    livenessChecks++
    const ok = opts.rpcUrl === undefined ? true : await alive(opts.rpcUrl)
    if (!ok) livenessFailures++
    if (opts.pid !== undefined) lastMem = memoryOf(opts.pid) ?? lastMem
    log?.(
      `[p2pfuzz] ${sent}/${opts.count} items, ${connections} connections, ${((Date.now() - started) / 1000).toFixed(1)}s` +
        (opts.rpcUrl === undefined ? '' : ` alive=${ok ? 'yes' : 'NO'}`) +
        (lastMem ? ` rss=${(lastMem.rssKb / 1024).toFixed(0)}MB peak=${(lastMem.hwmKb / 1024).toFixed(0)}MB` : ''),
    )
  }
  return {
    seed: opts.seed,
    sent,
    connections,
    byKind,
    refusedBy,
    disconnectReasons,
    livenessChecks,
    livenessFailures,
    startRssKb: startMem?.rssKb,
    lastRssKb: lastMem?.rssKb,
    peakRssKb: lastMem?.hwmKb,
    elapsedMs: Date.now() - started,
  }
}

function runCase(kind: CaseKind, r: Rand, ctx: Ctx, src: string, record: (sent: Uint8Array[]) => void): Promise<Result> {
  switch (kind) {
    case 'tcp-garbage':
      return caseTcpGarbage(r, ctx, src)
    case 'bad-upgrade':
      return caseBadUpgrade(r, ctx, src)
    case 'slow-upgrade':
      return caseSlowUpgrade(r, ctx, src)
    case 'ws-text':
      return caseWsText(r, ctx, src)
    case 'ws-garbage':
      return caseWsGarbage(r, ctx, src)
    case 'frame':
      return caseFrame(r, ctx, src)
    case 'slow-frame':
      return caseSlowFrame(r, ctx, src)
    case 'hello':
      return caseHello(r, ctx, src)
    case 'session':
      return caseSession(r, ctx, src, record)
  }
}

export function formatP2pSummary(s: P2pFuzzSummary): string {
  const lines = [`[p2pfuzz] summary: seed=${s.seed} items=${s.sent} connections=${s.connections} in ${(s.elapsedMs / 1000).toFixed(1)}s`]
  lines.push(`[p2pfuzz] ${'kind'.padEnd(13)} ${['conns', 'items', ...OUTCOMES, 'lane-s'].map((h) => h.padStart(13)).join('')}`)
  for (const [kind, c] of Object.entries(s.byKind)) {
    const cells = [c.connections, c.items, c.refused, c.disconnected, c.open, c.local, (c.ms / 1000).toFixed(1)]
    lines.push(`[p2pfuzz] ${kind.padEnd(13)} ${cells.map((v) => String(v).padStart(13)).join('')}`)
  }
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none'
  lines.push(`[p2pfuzz] refused by: ${list(s.refusedBy)}`)
  lines.push(`[p2pfuzz] disconnected with: ${list(s.disconnectReasons)} (reason-N: DisconnectReason N)`)
  lines.push(`[p2pfuzz] liveness: ${s.livenessChecks - s.livenessFailures}/${s.livenessChecks} checks answered eth_blockNumber`)
  if (s.startRssKb !== undefined) {
    lines.push(
      `[p2pfuzz] node memory: start rss=${(s.startRssKb / 1024).toFixed(1)} MB, end rss=${((s.lastRssKb ?? 0) / 1024).toFixed(1)} MB, peak (VmHWM)=${((s.peakRssKb ?? 0) / 1024).toFixed(1)} MB`,
    )
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------------------- CLI

type CliOptions = Omit<P2pFuzzOptions, 'chainId' | 'genesisHash'> & { chainId?: bigint; genesisHash?: Uint8Array; json: boolean }

function parseArgs(argv: string[]): P2pFuzzOptions & { json: boolean } {
  const out: CliOptions = { url: '', count: 10_000, seed: 1, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const v = () => {
      const x = argv[++i]
      if (x === undefined) throw new Error(`${a} needs a value`)
      return x
    }
    const num = () => {
      const x = Number(v())
      if (!Number.isSafeInteger(x) || x < 0) throw new Error(`${a} must be a whole number`)
      return x
    }
    if (a === '--url') out.url = v()
    else if (a === '--rpc') out.rpcUrl = v()
    else if (a === '--chain-id') out.chainId = BigInt(num())
    else if (a === '--genesis') {
      const h = v()
      if (!/^0x[0-9a-fA-F]{64}$/.test(h)) throw new Error('--genesis must be a 0x-prefixed 32-byte hash')
      out.genesisHash = Buffer.from(h.slice(2), 'hex')
    } else if (a === '--pid') out.pid = num()
    else if (a === '--count') out.count = num()
    else if (a === '--seed') out.seed = num()
    else if (a === '--concurrency') out.concurrency = num()
    else if (a === '--json') out.json = true
    else throw new Error(`unknown argument ${a}`)
  }
  if (!/^wss?:\/\//.test(out.url)) throw new Error('--url ws://HOST:PORT is required')
  if (out.chainId === undefined || out.genesisHash === undefined) throw new Error('--chain-id and --genesis are required')
  return { ...out, chainId: out.chainId, genesisHash: out.genesisHash }
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseArgs>
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(
      `p2pFuzz: ${(e as Error).message}\nusage: node dist/tools/fuzz/p2pFuzz.js --url ws://HOST:PORT --chain-id N --genesis 0xHASH [--rpc URL] [--pid PID] [--count N] [--seed S] [--concurrency C] [--json]\n`,
    )
    process.exitCode = 2
    return
  }
  const summary = await runP2pFuzz(opts)
  process.stdout.write(formatP2pSummary(summary) + '\n')
  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n')
  process.exitCode = summary.livenessFailures > 0 ? 1 : 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void main()
