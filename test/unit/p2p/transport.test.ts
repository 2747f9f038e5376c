/**
 * Real sockets on 127.0.0.1, port 0. Raw `ws` clients play the misbehaving peers, running the
 * real handshake code over a hand-made channel so they can tamper with it.
 */
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import fs from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import path from 'node:path'
import { WebSocket, WebSocketServer } from 'ws'
import { ManualClock } from '../../../src/util/clock.js'
import { createLogger } from '../../../src/util/logger.js'
import { FrameDecoder, encodeFrame } from '../../../src/p2p/framing.js'
import { performHandshake, type ChainStatus, type HandshakeChannel } from '../../../src/p2p/handshake.js'
import { generateIdentity, type NodeIdentity } from '../../../src/p2p/identity.js'
import { DisconnectReason, MessageType, decodeMessage, encodeMessage, messageLimits, type Message } from '../../../src/p2p/messages.js'
import type { Peer, PeerCloseInfo } from '../../../src/p2p/peer.js'
import { Transport, type TransportOptions } from '../../../src/p2p/transport.js'
import { waitFor } from '../../helpers/nodeProcess.js'

/** a `wanted` for t.rejects that matches a P2pError on its meta alone (tap's type asks for a message, name, code, cause or errors) */
const byMeta = (meta: Record<string, unknown>) => ({ meta }) as unknown as Exclude<Parameters<Test['rejects']>[1], string | undefined>

const status: ChainStatus = {
  chainId: 7777n,
  genesisHash: new Uint8Array(32).fill(9),
  head: { number: 5n, hash: new Uint8Array(32).fill(5) },
}

function handles(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) if (/TCP|Timeout/.test(r)) out[r] = (out[r] ?? 0) + 1
  return out
}

function make(t: Test, over: Partial<TransportOptions> & { chain?: Partial<ChainStatus> } = {}): { tr: Transport; lines: string[] } {
  const lines: string[] = []
  const tr = new Transport({
    identity: generateIdentity(),
    status: () => ({ ...status, ...over.chain }),
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    host: '127.0.0.1',
    port: 0,
    handshakeTimeoutMs: 2000,
    backoffInitialMs: 50,
    backoffMaxMs: 400,
    // many connections from 127.0.0.1 in quick succession: the per-address caps are tested apart
    exempt: ['127.0.0.1'],
    ...over,
  })
  t.teardown(() => tr.close())
  return { tr, lines }
}

function nextEvent<T extends unknown[]>(em: EventEmitter, ev: string, ms = 20_000): Promise<T> {
  return once(em, ev, { signal: AbortSignal.timeout(ms) }) as Promise<T>
}

/** a raw client: the real handshake over a channel the test controls */
async function rawClient(url: string) {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  // the listener's Hello can arrive in the same chunk as the upgrade: listen before 'open'
  const opened = once(ws, 'open')
  const decoder = new FrameDecoder(messageLimits)
  const inbox: { message: Message; payload: Uint8Array }[] = []
  const waiters: ((q: { message: Message; payload: Uint8Array }) => void)[] = []
  ws.on('message', (raw: Buffer) => {
    for (const f of decoder.push(raw)) {
      const q = { message: decodeMessage(f.type, f.payload), payload: f.payload }
      const w = waiters.shift()
      if (w) w(q)
      else inbox.push(q)
    }
  })
  const closed = once(ws, 'close')
  await opened
  const channel: HandshakeChannel = {
    send: (m) => ws.send(encodeFrame(m.type, encodeMessage(m), messageLimits)),
    next: () => {
      const q = inbox.shift()
      return q ? Promise.resolve(q) : new Promise((r) => waiters.push(r))
    },
  }
  return { ws, channel, inbox, closed, next: channel.next }
}

async function rawHandshake(url: string, identity: NodeIdentity = generateIdentity(), tamper = false) {
  const c = await rawClient(url)
  const channel: HandshakeChannel = tamper
    ? {
        next: c.channel.next,
        send: (m) => {
          if (m.type === MessageType.HelloAck) {
            const sig = m.signature.slice()
            sig[0]! ^= 1
            return c.channel.send({ ...m, signature: sig })
          }
          c.channel.send(m)
        },
      }
    : c.channel
  const result = performHandshake(channel, { identity, role: 'initiator', status, listenPort: 0, client: 'raw', timeoutMs: 2000 })
  return { ...c, result }
}

t.test('two transports handshake and exchange messages both ways', async (t) => {
  const before = handles()
  const a = make(t, { pingIntervalMs: 30 })
  const b = make(t, { pingIntervalMs: 30 })
  const { url } = await a.tr.listen()
  await b.tr.listen()
  const aPeer = nextEvent<[Peer]>(a.tr, 'peer')
  const bPeer = await b.tr.connect(url)
  const [pa] = await aPeer
  t.equal(bPeer.nodeId, a.tr.nodeId)
  t.equal(pa.nodeId, b.tr.nodeId)
  t.equal(pa.hello!.listenPort, b.tr.port, 'Hello carries the listen port')
  t.equal(pa.hello!.head.number, 5n)

  const gotB = nextEvent<[Peer, { type: number; payload: Uint8Array }]>(b.tr, 'message')
  pa.send(MessageType.Tx, Uint8Array.of(1, 2, 3))
  const [fromA, m1] = await gotB
  t.equal(fromA.nodeId, a.tr.nodeId)
  t.same({ type: m1.type, payload: [...m1.payload] }, { type: MessageType.Tx, payload: [1, 2, 3] })
  const gotA = nextEvent<[Peer, { type: number; payload: Uint8Array }]>(a.tr, 'message')
  t.equal(b.tr.broadcast(MessageType.Block, new Uint8Array(1000).fill(7)), 1)
  const [, m2] = await gotA
  t.equal(m2.type, MessageType.Block)
  t.equal(m2.payload.length, 1000)

  // pings every 30 ms: wait for the first pong (a fixed 120 ms is not enough on a loaded machine)
  await waitFor(() => typeof pa.rttMs === 'number', 20_000, 'a ping/pong round trip').catch(() => undefined)
  t.type(pa.rttMs, 'number', 'ping/pong measured a round trip')

  const closedOnA = nextEvent<[Peer, PeerCloseInfo]>(a.tr, 'peerClosed')
  await b.tr.close()
  const [, info] = await closedOnA
  t.equal(info.reason, DisconnectReason.Shutdown)
  t.ok(info.remote)
  await a.tr.close()
  // libuv lists a closed server handle until its own close callback, a few loop turns later
  await waitFor(() => JSON.stringify(handles()) === JSON.stringify(before), 10_000, 'the handles to go').catch(() => undefined)
  t.same(handles(), before, 'close() leaves no sockets or timers')
})

for (const [what, chain, reason] of [
  ['genesis', { genesisHash: new Uint8Array(32).fill(8) }, DisconnectReason.GenesisMismatch],
  ['chain id', { chainId: 1n }, DisconnectReason.ChainMismatch],
] as const) {
  t.test(`wrong ${what}: both sides refuse with a logged reason, no peer`, async (t) => {
    const a = make(t)
    const b = make(t, { chain })
    const { url } = await a.tr.listen()
    let peers = 0
    a.tr.on('peer', () => peers++)
    b.tr.on('peer', () => peers++)
    const err = await b.tr.connect(url).then(
      () => undefined,
      (e: { meta: Record<string, unknown> }) => e,
    )
    t.equal(err?.meta.reason, reason)
    // both ends are done with the connection once each has logged its failed handshake
    const failed = (lines: string[]) => lines.some((l) => l.includes('handshake failed'))
    await waitFor(() => failed(a.lines) && failed(b.lines), 20_000, 'both handshakes failed').catch(() => undefined)
    t.equal(peers, 0)
    const name = reason === DisconnectReason.GenesisMismatch ? 'GenesisMismatch' : 'ChainMismatch'
    t.ok(
      a.lines.some((l) => l.includes('handshake failed') && l.includes(name)),
      'listener logged the reason',
    )
    t.ok(
      b.lines.some((l) => l.includes('handshake failed') && l.includes(name)),
      'dialer logged the reason',
    )
    t.equal(a.tr.peers.length + b.tr.peers.length, 0)
  })
}

t.test('a tampered HelloAck is rejected', async (t) => {
  const a = make(t)
  const { url } = await a.tr.listen()
  let peers = 0
  a.tr.on('peer', () => peers++)
  const c = await rawHandshake(url, generateIdentity(), true)
  // our side verified the listener's (good) signature; the listener refuses ours
  await c.result.then(
    () => {},
    () => {},
  )
  const bye = await c.next()
  t.same(bye.message, { type: MessageType.Disconnect, reason: DisconnectReason.BadHandshake, text: 'bad handshake signature' })
  await c.closed
  t.equal(peers, 0)
  t.ok(a.lines.some((l) => l.includes('handshake failed') && l.includes('BadHandshake')))
})

t.test('self-dial is rejected, and a static self-peer is dropped', async (t) => {
  const a = make(t)
  const { url } = await a.tr.listen()
  await t.rejects(a.tr.connect(url), byMeta({ reason: DisconnectReason.SelfConnection }))
  a.tr.addStaticPeer(url)
  await waitFor(() => a.lines.some((l) => l.includes('static peer is this node')), 20_000, 'the static self-peer dropped').catch(() => undefined)
  t.ok(a.lines.some((l) => l.includes('static peer is this node')))
  t.equal(a.tr.peers.length, 0)
})

t.test('bad input: oversized, truncated, garbage, undecodable; the transport keeps serving', async (t) => {
  const a = make(t)
  const { url } = await a.tr.listen()

  // garbage before any handshake
  const g = await rawClient(url)
  g.ws.send(Buffer.from('this is not a frame at all, just junk bytes'))
  await g.closed
  const g2 = await rawClient(url)
  g2.ws.send('text frame')
  await g2.closed

  // established peer, then an oversized frame header (nothing behind it)
  const c1 = await rawHandshake(url)
  const [p1] = await nextEvent<[Peer]>(a.tr, 'peer')
  await c1.result
  const closed1 = nextEvent<[Peer, PeerCloseInfo]>(a.tr, 'peerClosed')
  const head = Buffer.alloc(5)
  head.writeUInt32BE(64 * 1024 * 1024)
  head[4] = MessageType.Tx
  c1.ws.send(head)
  const [, info1] = await closed1
  t.equal(info1.reason, DisconnectReason.ProtocolError)
  t.match(info1.text, /announces/)
  t.ok(p1.score <= -100, 'scored down')

  // truncated frame: a WebSocket message that ends inside a frame
  const c2 = await rawHandshake(url)
  await nextEvent(a.tr, 'peer')
  await c2.result
  const closed2 = nextEvent<[Peer, PeerCloseInfo]>(a.tr, 'peerClosed')
  c2.ws.send(encodeFrame(MessageType.Tx, new Uint8Array(100), messageLimits).subarray(0, 60))
  const [, info2] = await closed2
  t.match(info2.text, /ended inside a frame/)

  // well-framed but undecodable payloads: −25 each, dropped at −100 and banned
  const id3 = generateIdentity()
  const c3 = await rawHandshake(url, id3)
  const [p3] = await nextEvent<[Peer]>(a.tr, 'peer')
  await c3.result
  const closed3 = nextEvent<[Peer, PeerCloseInfo]>(a.tr, 'peerClosed')
  c3.ws.send(encodeFrame(MessageType.Ping, Uint8Array.of(0xff), messageLimits))
  await waitFor(() => p3.score !== 0, 20_000, 'the bad message scored').catch(() => undefined)
  t.equal(p3.score, -25)
  t.notOk(p3.closed, 'one bad message is not enough to drop')
  for (let i = 0; i < 3; i++) c3.ws.send(encodeFrame(MessageType.Ping, Uint8Array.of(0xff), messageLimits))
  const [, info3] = await closed3
  t.equal(info3.reason, DisconnectReason.BadScore)
  const again = await rawHandshake(url, id3)
  await t.rejects(again.result, byMeta({ reason: DisconnectReason.BadScore, remote: true }), 'banned node refused')

  // a good peer still gets in
  const b = make(t)
  const peer = await b.tr.connect(url)
  t.equal(peer.nodeId, a.tr.nodeId)
  t.equal(a.tr.peers.length, 1)
  for (const c of [c1, c2, c3, again]) c.ws.terminate()
})

t.test('handshake timeout when the other side stays silent', async (t) => {
  const clock = new ManualClock()
  const a = make(t, { handshakeTimeoutMs: 150, clock })
  const { url } = await a.tr.listen()
  const c = await rawClient(url)
  const hello = await c.next()
  t.equal(hello.message.type, MessageType.Hello)
  // the deadline was set before the Hello went out: move time past it
  clock.advance(150)
  const bye = await c.next()
  t.match(bye.message, { type: MessageType.Disconnect, reason: DisconnectReason.Timeout })
  await c.closed
})

t.test('pings run on the clock: the round trip is measured on it, and silence past pingTimeoutMs drops the peer', async (t) => {
  const clock = new ManualClock()
  const a = make(t, { clock, pingIntervalMs: 100, pingTimeoutMs: 250 })
  const { url } = await a.tr.listen()
  const c = await rawHandshake(url)
  const [p] = await nextEvent<[Peer]>(a.tr, 'peer')
  await c.result
  clock.advance(100)
  const ping = await c.next()
  t.equal(ping.message.type, MessageType.Ping)
  clock.advance(7)
  c.channel.send({ type: MessageType.Pong, nonce: (ping.message as Extract<Message, { type: typeof MessageType.Ping }>).nonce })
  await waitFor(() => p.rttMs !== undefined, 20_000, 'the pong', 10).catch(() => undefined)
  t.equal(p.rttMs, 7, 'round trip in clock time')
  // silent from 107 on: still pinged at 200 and 300, dropped at 400
  const closed = nextEvent<[Peer, PeerCloseInfo]>(a.tr, 'peerClosed')
  clock.advance(300)
  const [, info] = await closed
  t.equal(info.reason, DisconnectReason.Timeout)
  t.match(info.text, /silent for 250 ms/)
  c.ws.terminate()
})

t.test('a ban lasts banMs on the clock', async (t) => {
  const clock = new ManualClock()
  const a = make(t, { clock, banMs: 60_000 })
  const { url } = await a.tr.listen()
  const id = generateIdentity()
  const c = await rawHandshake(url, id)
  await nextEvent(a.tr, 'peer')
  await c.result
  const closed = nextEvent<[Peer, PeerCloseInfo]>(a.tr, 'peerClosed')
  for (let i = 0; i < 4; i++) c.ws.send(encodeFrame(MessageType.Ping, Uint8Array.of(0xff), messageLimits))
  const [, info] = await closed
  t.equal(info.reason, DisconnectReason.BadScore)
  clock.advance(59_999)
  const early = await rawHandshake(url, id)
  await t.rejects(early.result, byMeta({ reason: DisconnectReason.BadScore, remote: true }), 'still banned')
  clock.advance(1)
  const back = await rawHandshake(url, id)
  await back.result
  t.pass('admitted once the ban is over')
  for (const x of [c, early, back]) x.ws.terminate()
})

t.test('a static peer is redialed with backoff after the other side restarts', async (t) => {
  const identity = generateIdentity()
  const a = make(t, { identity })
  const { url, port } = await a.tr.listen()
  // B's redials wait on its clock: each backoff is at most backoffMaxMs (400), moved on by hand
  const clock = new ManualClock()
  const b = make(t, { clock })
  b.tr.addStaticPeer(url)
  const [p1] = await nextEvent<[Peer]>(b.tr, 'peer')
  t.equal(p1.nodeId, identity.nodeId)

  const lost = nextEvent(b.tr, 'peerClosed')
  await a.tr.close()
  await lost
  // the redial is due; it fails while A is down, and the next one is scheduled as it is logged
  clock.advance(400)
  await waitFor(() => b.lines.some((l) => l.includes('static peer dial failed')), 20_000, 'a failed redial').catch(() => undefined)
  t.ok(
    b.lines.some((l) => l.includes('static peer dial failed')),
    'redials failed while it was down',
  )
  const a2 = make(t, { identity, port })
  const back = nextEvent<[Peer]>(b.tr, 'peer')
  await a2.tr.listen()
  clock.advance(400)
  const [p2] = await back
  t.equal(p2.nodeId, identity.nodeId)
  t.equal(b.tr.peers.length, 1)
})

t.test('simultaneous dials keep one connection on both sides', async (t) => {
  const a = make(t)
  const b = make(t)
  const ua = (await a.tr.listen()).url
  const ub = (await b.tr.listen()).url
  await Promise.allSettled([a.tr.connect(ub), b.tr.connect(ua)])
  // the losing connection is closed on both ends a moment later: wait until each side holds one,
  // the same one (the states checked below), rather than for a fixed 150 ms
  await waitFor(
    () => a.tr.peers.length === 1 && b.tr.peers.length === 1 && a.tr.peers[0]!.role !== b.tr.peers[0]!.role,
    20_000,
    'one connection on both sides',
  ).catch(() => undefined)
  t.equal(a.tr.peers.length, 1)
  t.equal(b.tr.peers.length, 1)
  const pa = a.tr.peers[0]!
  const pb = b.tr.peers[0]!
  t.not(pa.role, pb.role, 'the same connection seen from both ends')
  const got = nextEvent<[Peer, { payload: Uint8Array }]>(b.tr, 'message')
  pa.send(MessageType.Tx, Uint8Array.of(1))
  await got
})

t.test("a message sent from the other side's 'peer' handler is not lost", async (t) => {
  // the responder finishes first and sends at once: the frame lands right behind its HelloAck
  for (let i = 0; i < 5; i++) {
    const a = make(t)
    const b = make(t)
    const { url } = await a.tr.listen()
    a.tr.on('peer', (p) => p.send(MessageType.Tx, Uint8Array.of(i)))
    const got = nextEvent<[Peer, { payload: Uint8Array }]>(b.tr, 'message')
    await b.tr.connect(url)
    const [, m] = await got
    t.same([...m.payload], [i])
    await a.tr.close()
    await b.tr.close()
  }
})

/** a TCP socket from `localAddress` that never sends a byte; resolves once connected */
async function silentSocket(port: number, localAddress = '127.0.0.1') {
  const s = connect({ host: '127.0.0.1', port, localAddress })
  s.on('error', () => undefined)
  const closed = once(s, 'close')
  await once(s, 'connect')
  return { s, closed }
}

t.test('silent TCP sockets and silent upgrades: the oldest pending is evicted, a real peer still gets in, the deadline cuts the rest', async (t) => {
  const clock = new ManualClock()
  const a = make(t, { clock, maxPendingHandshakes: 4, handshakeTimeoutMs: 5000 })
  const { url, port } = await a.tr.listen()
  const raw = []
  for (let i = 0; i < 6; i++) raw.push(await silentSocket(port))
  // upgraded but silent: the listener's Hello arrives, no answer is ever sent
  const upgraded = []
  for (let i = 0; i < 3; i++) upgraded.push(await rawClient(url))
  await waitFor(() => a.tr.connectionStats().refused['pending-evicted'] >= 5, 20_000, 'evictions')
  await Promise.all(raw.slice(0, 5).map((r) => r.closed))
  t.pass('the five oldest silent sockets were cut to make room')
  const announced = nextEvent(a.tr, 'peer')
  const peer = await rawHandshake(url)
  await peer.result
  await announced
  t.pass('a real peer connects while silent connections fill the pending table')
  // the peer's own connection evicted one more (the oldest silent one) while it was pending
  t.match(a.tr.connectionStats(), { inboundPeers: 1, pendingInbound: 3, refused: { 'pending-evicted': 6 } })
  clock.advance(5000)
  await Promise.all([raw[5]!.closed, ...upgraded.map((u) => u.closed)])
  t.pass('the deadline cut every connection still pending, raw and upgraded')
  t.match(a.tr.connectionStats(), { inboundPeers: 1, pendingInbound: 0, refused: { 'handshake-timeout': 3 } })
  peer.ws.terminate()
})

t.test('per-address caps on loopback sources that are not exempt; a raw peer breaking frames is banned by address', async (t) => {
  const clock = new ManualClock()
  const a = make(t, { clock, maxConnectionsPerIp: 2, newConnectionsPerIpBurst: 3, newConnectionsPerIpPerSecond: 1, banMs: 60_000 })
  const { url, port } = await a.tr.listen()
  const one = await silentSocket(port, '127.0.0.2')
  const two = await silentSocket(port, '127.0.0.2')
  const three = await silentSocket(port, '127.0.0.2')
  await three.closed
  t.pass('a third open connection from 127.0.0.2 is cut at once')
  const pendingIs = (n: number) => waitFor(() => a.tr.connectionStats().pendingInbound === n, 20_000, `${n} pending`)
  one.s.destroy()
  await pendingIs(1)
  const four = await silentSocket(port, '127.0.0.2')
  await pendingIs(2)
  t.pass('a closed connection frees its place: the third token is spent')
  four.s.destroy()
  await pendingIs(1)
  const five = await silentSocket(port, '127.0.0.2')
  await five.closed
  t.pass('a fourth new connection within the second is refused by the rate, though a place is free')
  t.match(a.tr.connectionStats().refused, { 'per-ip': 1, rate: 1 })
  two.s.destroy()

  // an invalid frame from 127.0.0.3: dropped and its address banned
  const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: '127.0.0.3' })
  await once(ws, 'open')
  ws.send('text is not a frame')
  await once(ws, 'close')
  await waitFor(() => a.tr.connectionStats().bans['invalid-frame'] === 1, 20_000, 'the ban')
  const again = await silentSocket(port, '127.0.0.3')
  await again.closed
  t.equal(a.tr.connectionStats().refused.banned, 1, 'refused at TCP accept while banned')
  t.ok(
    a.lines.some((l) => /WARN .*peer banned .*reason=invalid-frame/.test(l)),
    'the ban is logged with its reason',
  )
  clock.advance(60_000)
  const back = await rawHandshake(url, generateIdentity())
  await back.result
  back.ws.terminate()
  const after = await silentSocket(port, '127.0.0.3')
  t.equal(a.tr.connectionStats().pendingInbound >= 1, true, 'accepted once the ban expired')
  after.s.destroy()
})

t.test('a bad handshake signature bans the address, not the node id it claimed', async (t) => {
  const a = make(t, { exempt: [] })
  const { url } = await a.tr.listen()
  // the raw client claims the victim's node id and sends a broken HelloAck signature
  const victim = generateIdentity()
  const forged = await rawHandshake(url, victim, true)
  await forged.closed
  await waitFor(() => a.tr.connectionStats().bans['bad-handshake'] === 1, 20_000, 'the ban')
  t.match(a.tr.connectionStats(), { bannedIps: 1, bannedNodes: 0 }, 'only the address: a forged Hello must not get the real node banned')
  forged.ws.terminate()
})

t.test('a big chain message right behind the HelloAck (both ways) waits for the handshake and is not taken for a pre-handshake flood', async (t) => {
  const big = new Uint8Array(3 * 1024 * 1024).fill(3)
  for (let i = 0; i < 3; i++) {
    const a = make(t, { exempt: [] })
    const b = make(t, { exempt: [] })
    const { url } = await a.tr.listen()
    a.tr.on('peer', (p) => p.send(MessageType.Block, big))
    const gotOnB = nextEvent<[Peer, { payload: Uint8Array }]>(b.tr, 'message')
    const gotOnA = nextEvent<[Peer, { payload: Uint8Array }]>(a.tr, 'message')
    const p = await b.tr.connect(url)
    p.send(MessageType.Block, big)
    const [[, onB], [, onA]] = await Promise.all([gotOnB, gotOnA])
    t.same([onB.payload.length, onA.payload.length], [big.length, big.length])
    for (const x of [a, b]) t.match(x.tr.connectionStats(), { refused: { 'handshake-oversize': 0 }, bans: { 'invalid-frame': 0 } })
    await a.tr.close()
    await b.tr.close()
  }
})

/** a raw WebSocket client from `localAddress` sending a 16 MiB message before any Hello; resolves once the node closed it */
async function floodBeforeHello(url: string, localAddress: string): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false, localAddress })
  const closed = once(ws, 'close')
  ws.on('error', () => undefined)
  await once(ws, 'open')
  ws.send(Buffer.alloc(16 * 1024 * 1024), { binary: true })
  await closed
}

t.test('inbound: a 16 MiB message before the handshake is cut on its header, counted and its address banned; a real peer still gets in', async (t) => {
  const a = make(t, { exempt: [] })
  const { url, port } = await a.tr.listen()
  await Promise.all(['127.0.0.6', '127.0.0.7', '127.0.0.8'].map((src) => floodBeforeHello(url, src)))
  t.pass('the node closed each connection')
  await waitFor(() => a.tr.connectionStats().bans['invalid-frame'] === 3, 20_000, 'the bans')
  t.match(a.tr.connectionStats(), { refused: { 'handshake-oversize': 3 }, bannedIps: 3, pendingInbound: 0 })
  t.ok(
    a.lines.some((l) => /DEBUG .*connection over its handshake budget .*16777216-byte message/.test(l)),
    'the cut is logged (debug) with why',
  )
  const again = await silentSocket(port, '127.0.0.6')
  await again.closed
  t.equal(a.tr.connectionStats().refused.banned, 1, 'the address is refused at TCP accept while banned')
  const real = await rawHandshake(url)
  await real.result
  t.pass('a real peer from 127.0.0.1 is accepted')
  real.ws.terminate()
})

t.test('outbound: a listener flooding before the handshake is cut and banned, and its banned address is not dialed again', async (t) => {
  const host = '127.0.0.9'
  const server = new WebSocketServer({ host, port: 0, perMessageDeflate: false })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  await once(server, 'listening')
  let connections = 0
  server.on('connection', (ws) => {
    connections++
    ws.on('error', () => undefined)
    ws.send(Buffer.alloc(16 * 1024 * 1024), { binary: true })
  })
  const url = `ws://${host}:${(server.address() as { port: number }).port}`
  const b = make(t, { exempt: [] })
  await t.rejects(b.tr.connect(url), { code: 'P2P_HANDSHAKE' }, 'the dial fails')
  await waitFor(() => b.tr.connectionStats().bans['invalid-frame'] === 1, 20_000, 'the ban')
  t.match(b.tr.connectionStats(), { refused: { 'handshake-oversize': 1 }, bannedIps: 1 })
  await t.rejects(
    b.tr.connect(url),
    { code: 'P2P_HANDSHAKE', message: `not dialing ${url}: its address is banned`, meta: { url, refused: 'banned' } },
    'a dial to the banned address is refused',
  )
  b.tr.addStaticPeer(url)
  await waitFor(() => b.tr.connectionStats().refused.banned >= 2, 20_000, 'the static peer refused too')
  b.tr.removeStaticPeer(url)
  t.equal(connections, 1, 'no TCP connection was made to the banned address')
  t.ok(
    b.lines.some((l) => /DEBUG .*outbound dial refused .*reason=banned/.test(l)),
    'the refusal is logged (debug)',
  )
})

t.test('outbound dial deadline: a listener that accepts and stays silent fails the dial after handshakeTimeoutMs, and the connection is dropped', async (t) => {
  const clock = new ManualClock()
  const b = make(t, { clock, handshakeTimeoutMs: 3000 })
  const accepted: Socket[] = []
  const server = createServer((s) => {
    s.on('error', () => undefined)
    s.resume() // read, so the dialer's FIN is seen
    accepted.push(s)
  })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`
  const dial = b.tr.connect(url)
  await waitFor(() => accepted.length === 1, 20_000, 'the dial to arrive')
  const dropped = once(accepted[0]!, 'close')
  clock.advance(2999)
  t.equal(b.tr.connectionStats().refused['handshake-timeout'], 0, 'not before the deadline')
  clock.advance(1)
  await t.rejects(dial, { code: 'P2P_HANDSHAKE', message: `cannot connect to ${url}: no connection within 3000 ms`, meta: { url, timeout: true } })
  await dropped
  t.pass('the silent connection was dropped')
  t.match(b.tr.connectionStats(), { refused: { 'handshake-timeout': 1 }, outboundPeers: 0 })
  t.ok(
    b.lines.some((l) => /DEBUG .*outbound handshake timed out .*timeoutMs=3000/.test(l)),
    'the timeout is logged',
  )
})

t.test('outbound dial deadline: a listener that upgrades and stays silent fails the handshake after handshakeTimeoutMs', async (t) => {
  const clock = new ManualClock()
  const b = make(t, { clock, handshakeTimeoutMs: 3000 })
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  await once(server, 'listening')
  const upgraded = once(server, 'connection') as Promise<[WebSocket]>
  const dial = b.tr.connect(`ws://127.0.0.1:${(server.address() as { port: number }).port}`)
  const [ws] = await upgraded
  ws.on('error', () => undefined)
  const dropped = once(ws, 'close')
  await once(ws, 'message')
  t.pass("the dialer's Hello came: its handshake is under way")
  clock.advance(3000)
  await t.rejects(dial, { code: 'P2P_HANDSHAKE', message: /no handshake within 3000 ms/, meta: { reason: DisconnectReason.Timeout } })
  await dropped
  t.pass('the upgraded connection was dropped')
  t.match(b.tr.connectionStats(), { refused: { 'handshake-timeout': 1 }, outboundPeers: 0 })
})

t.test(
  'over TLS (wss): the budget reads the decrypted stream — an honest peer with a big message behind its HelloAck gets in, a 16 MiB message before the Hello is cut',
  async (t) => {
    const dir = t.testdir({})
    // a throwaway self-signed certificate for 127.0.0.1 (the repository keeps no key material)
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    const cert = fs.readFileSync(path.join(dir, 'cert.pem'))
    const tls = { cert, key: fs.readFileSync(path.join(dir, 'key.pem')) }
    const a = make(t, { tls, exempt: [] })
    const b = make(t, { ca: cert, exempt: [] })
    const { url } = await a.tr.listen()
    t.match(url, /^wss:\/\//)
    const big = new Uint8Array(3 * 1024 * 1024).fill(4)
    a.tr.on('peer', (p) => p.send(MessageType.Block, big))
    const got = nextEvent<[Peer, { payload: Uint8Array }]>(b.tr, 'message')
    await b.tr.connect(url)
    const [, m] = await got
    t.equal(m.payload.length, big.length, 'the big message right behind the HelloAck arrived')

    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: '127.0.0.10', ca: cert })
    ws.on('error', () => undefined)
    const closed = once(ws, 'close')
    await once(ws, 'open')
    ws.send(Buffer.alloc(16 * 1024 * 1024), { binary: true })
    await closed
    await waitFor(() => a.tr.connectionStats().bans['invalid-frame'] === 1, 20_000, 'the ban')
    t.match(a.tr.connectionStats(), { refused: { 'handshake-oversize': 1 }, inboundPeers: 1 })
  },
)
