/**
 * The provider and consumer agents in-process on real loopback sockets, against a fake chain that
 * checks receipts the way the side-chain does (both signatures, seq above the last, running totals
 * not decreasing, prevReceiptHash the last accepted receipt's): bytes through SOCKS5 arrive intact
 * and the last receipt counts exactly the stream bytes the application wrote and read; an
 * unreachable target gets its SOCKS reply code; a consumer that never co-signs is cut off after a
 * bounded unpaid amount; a tunnel cut mid-transfer leaves receipts only up to what was
 * acknowledged and the next session counts from zero (nothing counted twice); paid through a
 * channel, a consumer that replays an old voucher is cut off the same way; the slices of accepted
 * receipts survive a restart on disk and are pruned after the window.
 */
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { checkReceiptSignatures, hexOf, receiptHash, ZERO_HASH, type SignedReceipt } from '../../../src/flow/receipt.js'
import type { AuditedSession } from '../../../src/flow/sliceAnswers.js'
import { ConsumerAgent } from '../../../src/flowAgent/consumer.js'
import { TunnelLink } from '../../../src/flowAgent/link.js'
import { ProviderAgent, SAMPLE_RATE, type ProviderChain } from '../../../src/flowAgent/provider.js'
import { ConsumerChannelPayment, ProviderChannelPayment, type ChannelReader, type PaymentHook } from '../../../src/flowAgent/payment.js'
import { SliceStore } from '../../../src/flowAgent/sliceStore.js'
import { Reply } from '../../../src/flowAgent/socks5.js'
import { openingFor } from '../../../src/flow/sampledStream.js'
import { checkSampleFloor, EMPTY_SAMPLE_ROOT, openingIndex, openingSeed, verifyOpening } from '../../../src/flow/sampling.js'
import type { VoucherChannel } from '../../../src/flow/voucher.js'
import { decodeClose, FrameKind, jsonBody, TUNNEL_VERSION, type VoucherJson } from '../../../src/flowAgent/tunnel.js'
import { devAddress, devKey } from '../../helpers/inProcessNode.js'
import { socksConnect } from '../../helpers/socksClient.js'
import { seedSamplingNone } from '../../helpers/sampleSeeds.js'

const CHAIN_ID = 2100n

/** The side-chain's session rules, in memory. */
class FakeChain implements ProviderChain {
  readonly chainId = CHAIN_ID
  readonly accepted: SignedReceipt[] = []
  readonly rejected: string[] = []
  readonly watched: AuditedSession[] = []
  private readonly last = new Map<string, SignedReceipt>()
  cycle = 3n
  /** drafts after which the cycle ends at once (the receipt's round trip crosses a boundary) */
  endCycleAfterDrafts = 0
  position(fresh?: boolean) {
    const cycle = this.cycle
    if (fresh !== true && this.endCycleAfterDrafts > 0) {
      this.endCycleAfterDrafts--
      this.cycle++
    }
    return Promise.resolve({ cycle, head: 100n })
  }
  /** the session's sample seed (a final block hash on a real chain) */
  seed: Uint8Array = new Uint8Array(32).fill(9)
  sampleSeed() {
    return Promise.resolve(this.seed)
  }
  submit(r: SignedReceipt): Promise<string | null> {
    checkReceiptSignatures(r)
    try {
      checkSampleFloor(r) // the edge's check: a receipt that claims bytes commits to a slice
    } catch (e) {
      this.rejected.push((e as { code: string }).code)
      return Promise.resolve((e as { code: string }).code)
    }
    const prev = this.last.get(hexOf(r.sessionId))
    const why =
      r.cycle !== this.cycle
        ? 'FLOW_WRONG_CYCLE'
        : prev === undefined
          ? r.prevReceiptHash.every((b, i) => b === ZERO_HASH[i])
            ? null
            : 'prevReceiptHash of a first receipt'
          : r.seq <= prev.seq
            ? 'FLOW_REPLAY'
            : r.bytesUp < prev.bytesUp || r.bytesDown < prev.bytesDown
              ? 'FLOW_TOTAL_DECREASED'
              : hexOf(r.prevReceiptHash) !== hexOf(receiptHash(prev))
                ? 'prevReceiptHash'
                : null
    if (why !== null) {
      this.rejected.push(why)
      return Promise.resolve(why)
    }
    this.last.set(hexOf(r.sessionId), r)
    this.accepted.push(r)
    return Promise.resolve(null)
  }
  watch(s: AuditedSession): void {
    this.watched.push(s)
  }
  /** each session's last accepted receipt */
  lastOf(): SignedReceipt[] {
    return [...this.last.values()]
  }
}

/** a TCP server that sends `size` random bytes on each connection, then ends; it records what it was sent */
async function source(t: Test, size: number): Promise<{ port: number; data: Buffer; received: () => number }> {
  const data = randomBytes(size)
  let received = 0
  const server = createServer((s) => {
    s.on('data', (c: Buffer) => (received += c.length))
    s.on('error', () => {})
    s.end(data)
  })
  await listen(t, server)
  return { port: (server.address() as { port: number }).port, data, received: () => received }
}

async function listen(t: Test, server: Server): Promise<void> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
}

async function agents(
  t: Test,
  chain: FakeChain,
  opts: { maxUnpaidBytes?: bigint; receiptEveryBytes?: bigint; slices?: SliceStore; providerPort?: (port: number) => Promise<number> } = {},
) {
  const provider = new ProviderAgent({ key: devKey(2), host: '127.0.0.1', port: 0, chain, receiptIntervalMs: 100, ...opts })
  const port = await provider.start()
  t.teardown(() => provider.stop())
  const consumer = new ConsumerAgent({
    key: devKey(1),
    listenHost: '127.0.0.1',
    listenPort: 0,
    providerHost: '127.0.0.1',
    providerPort: opts.providerPort === undefined ? port : await opts.providerPort(port),
    provider: devAddress(2),
    chainId: CHAIN_ID,
  })
  const socksPort = await consumer.start()
  t.teardown(() => consumer.stop())
  return { provider, consumer, socksPort }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

t.test('bytes through SOCKS5 arrive intact; the last receipt counts exactly the stream bytes, both ways', async (t) => {
  const chain = new FakeChain()
  const src = await source(t, 3 * 1024 * 1024 + 17)
  // a receipt per MiB, so the 3 MiB make several however fast the machine is (the 100 ms timer alone made one on an idle one)
  const { provider, consumer, socksPort } = await agents(t, chain, { receiptEveryBytes: 1n << 20n })
  const conn = await socksConnect(socksPort, 'localhost', src.port)
  t.equal(conn.reply, Reply.SUCCEEDED, 'CONNECT to a domain name succeeded')
  const request = randomBytes(5000)
  conn.write(request)
  conn.socket.end()
  const got = await conn.readAll()
  t.equal(sha(got), sha(src.data), 'the 3 MiB arrived intact')
  await until('the target got the upload', () => src.received() === request.length)

  await consumer.stop()
  await until('the final receipt', () => provider.stats.openTunnels === 0)
  const [last] = chain.lastOf()
  t.ok(last, 'receipts were accepted')
  t.equal(last!.bytesDown, BigInt(conn.read()), 'bytesDown = every byte the application read (SOCKS replies included)')
  t.equal(last!.bytesUp, BigInt(conn.written()), 'bytesUp = every byte the application wrote (SOCKS requests included)')
  t.equal(consumer.stats.bytesCosigned, last!.bytesUp + last!.bytesDown, 'the consumer co-signed that total')
  t.equal(provider.stats.bytesReceipted, last!.bytesUp + last!.bytesDown, "the provider's accepted total")
  t.same(chain.rejected, [], 'no receipt rejected')
  t.ok(chain.accepted.length >= 2, `cumulative receipts (${chain.accepted.length})`)
  t.equal(chain.watched.length, 1, 'the session is watched for openings')
  const s = chain.watched[0]!
  t.ok(s.down.sampledSeqs.length > 0 && s.sliceCounts.get(last!.seq) === s.down.sampledSeqs.length, 'the slices the last receipt commits to are kept')
})

t.test('a short session (one small request and answer) commits each receipt to a slice: an audit that draws it is answered', async (t) => {
  // the gap this closes: at 1 in 64, a session of a few frames down usually sampled nothing, its
  // receipts committed to no slice, and an audit that drew one voided an honest provider's entry
  const chain = new FakeChain()
  chain.seed = seedSamplingNone(SAMPLE_RATE, 64) // the draw alone samples none of the session's frames
  const src = await source(t, 120)
  const { provider, consumer, socksPort } = await agents(t, chain)
  const conn = await socksConnect(socksPort, '127.0.0.1', src.port)
  conn.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'))
  conn.socket.end()
  const got = await conn.readAll()
  t.equal(sha(got), sha(src.data), 'the answer arrived intact')
  await consumer.stop()
  await until('the final receipt', () => provider.stats.openTunnels === 0)
  const [last] = chain.lastOf()
  t.ok(last !== undefined && last.bytesDown > 0n, `the session was receipted (${last?.bytesDown} bytes down)`)
  t.same(chain.rejected, [], 'no receipt refused (none without a slice)')
  const s = chain.watched[0]!
  t.ok(
    s.down.sampledSeqs.every((q) => q < 64),
    `a short session: its frames down are all below seq 64 (sampled ${s.down.sampledSeqs.join(', ')})`,
  )
  t.equal(s.down.sampledSeqs.length, 1, 'one slice: the floor’s, the first frame with payload (the draw picked none)')
  for (const r of chain.accepted) {
    const count = s.sliceCounts.get(r.seq)
    t.ok(count !== undefined && count >= 1, `receipt ${r.seq} (${r.bytesUp + r.bytesDown} bytes) commits to ${count} slice(s)`)
    t.not(Buffer.from(r.sampleRoot).toString('hex'), Buffer.from(EMPTY_SAMPLE_ROOT).toString('hex'), `receipt ${r.seq}: not the root of no slice`)
    // the opening the audit of this receipt would ask for, from what the provider kept
    const seedHash = new Uint8Array(32).fill(0x5e)
    const index = openingIndex(openingSeed(seedHash, r.sessionId, r.seq), count!)
    t.ok(verifyOpening(r.sampleRoot, index, openingFor(s.down, count!, seedHash, r.sessionId, r.seq)), `receipt ${r.seq}: the provider's opening verifies`)
  }
})

t.test('a receipt whose cycle ends while the consumer co-signs is not submitted but drafted again in the new cycle; nothing is lost', async (t) => {
  const chain = new FakeChain()
  chain.endCycleAfterDrafts = 1
  const src = await source(t, 256 * 1024)
  const { provider, consumer, socksPort } = await agents(t, chain)
  const conn = await socksConnect(socksPort, 'localhost', src.port)
  conn.socket.end()
  const got = await conn.readAll()
  t.equal(sha(got), sha(src.data), 'the bytes arrived intact')
  await consumer.stop()
  await until('the final receipt', () => provider.stats.openTunnels === 0)
  t.same(chain.rejected, [], 'no receipt of an ended cycle reached the chain')
  t.equal(provider.stats.receiptsRedrafted, 1, 'the one drafted before the boundary was drafted again')
  const [last] = chain.lastOf()
  t.equal(last?.cycle, 4n, 'the accepted receipts are of the new cycle')
  t.equal(last!.bytesUp + last!.bytesDown, BigInt(conn.read() + conn.written()), 'and count every byte carried')
})

t.test('an unreachable target gets the SOCKS reply code; the tunnel stays up', async (t) => {
  const chain = new FakeChain()
  const closed = createServer()
  await listen(t, closed)
  const deadPort = (closed.address() as { port: number }).port
  await new Promise<void>((r) => closed.close(() => r()))
  const { socksPort } = await agents(t, chain)
  const refused = await socksConnect(socksPort, '127.0.0.1', deadPort)
  t.equal(refused.reply, Reply.CONNECTION_REFUSED, 'connection refused → reply 5')
  const noHost = await socksConnect(socksPort, 'no-such-host.invalid', 80)
  t.equal(noHost.reply, Reply.HOST_UNREACHABLE, 'unknown domain name → reply 4')
  const src = await source(t, 1000)
  const ok = await socksConnect(socksPort, '127.0.0.1', src.port)
  t.equal(ok.reply, Reply.SUCCEEDED, 'the next stream of the same tunnel still works')
  t.equal(sha(await ok.readAll()), sha(src.data))
})

t.test('a consumer that stops co-signing has its tunnel closed after a bounded unpaid amount', async (t) => {
  const chain = new FakeChain()
  const src = await source(t, 64 * 1024 * 1024)
  const maxUnpaid = 1024n * 1024n
  const provider = new ProviderAgent({ key: devKey(2), host: '127.0.0.1', port: 0, chain, maxUnpaidBytes: maxUnpaid, unpaidGraceMs: 300 })
  const port = await provider.start()
  t.teardown(() => provider.stop())
  // a consumer of its own: hello, one stream to the source, never a COSIGN
  let closeReason = ''
  let ended!: () => void
  const done = new Promise<void>((r) => (ended = r))
  let welcomed!: () => void
  const welcome = new Promise<void>((r) => (welcomed = r))
  const link: TunnelLink = new TunnelLink(connect({ host: '127.0.0.1', port }), {
    onFrame: (f) => {
      if (f.kind === FrameKind.WELCOME) welcomed()
      if (f.kind === FrameKind.CLOSE) closeReason = decodeClose(f.body).reason
    },
    onClose: () => ended(),
  })
  link.send(FrameKind.HELLO, 0, jsonBody({ version: TUNNEL_VERSION, consumer: devAddress(1), chainId: '0x834' }))
  await welcome
  link.send(FrameKind.OPEN, 1)
  link.send(FrameKind.DATA, 1, undefined, Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, src.port >> 8, src.port & 0xff))
  await done
  t.match(closeReason, /unpaid/, `CLOSE says why: ${closeReason}`)
  t.equal(provider.stats.closedUnpaid, 1)
  const frameSlack = 256n * 1024n
  t.ok(
    link.received.payloadBytes <= maxUnpaid + frameSlack,
    `it got ${link.received.payloadBytes} bytes, at most the bound + one read (${maxUnpaid + frameSlack})`,
  )
  t.equal(chain.accepted.length, 0, 'nothing was receipted')
})

t.test('a tunnel cut mid-transfer: receipts only up to the acknowledged bytes; the next session counts from zero', async (t) => {
  const chain = new FakeChain()
  const src = await source(t, 24 * 1024 * 1024)
  // the consumer reaches the provider through a relay the test cuts
  const relayed: Socket[] = []
  const relay = createServer((inbound) => {
    const out = connect({ host: '127.0.0.1', port: providerPort })
    relayed.push(inbound, out)
    inbound.pipe(out).on('error', () => {})
    out.pipe(inbound).on('error', () => {})
    inbound.on('error', () => {})
    out.on('error', () => {})
  })
  let providerPort = 0
  await listen(t, relay)
  const { provider, consumer, socksPort } = await agents(t, chain, {
    providerPort: (p) => {
      providerPort = p
      return Promise.resolve((relay.address() as { port: number }).port)
    },
  })
  const conn = await socksConnect(socksPort, '127.0.0.1', src.port)
  conn.socket.on('error', () => {})
  await until('some receipts and 4 MiB through', () => chain.accepted.length >= 2 && conn.read() >= 4 * 1024 * 1024)
  for (const s of relayed.splice(0)) s.destroy()
  await until('the provider noticed', () => provider.stats.openTunnels === 0)
  const first = chain.lastOf()
  t.equal(first.length, 1, 'one session so far')
  const cut = first[0]!
  t.ok(cut.bytesDown <= consumer.stats.bytesDown, `its last receipt (${cut.bytesDown} down) is within what the consumer received (${consumer.stats.bytesDown})`)
  t.ok(cut.bytesUp + cut.bytesDown <= consumer.stats.bytesCosigned, 'and within what it co-signed')

  // the consumer makes a new tunnel by itself: a new session, counted from zero
  const src2 = await source(t, 100_000)
  await until('a new tunnel', () => consumer.stats.tunnels === 2)
  const again = await socksConnect(socksPort, '127.0.0.1', src2.port)
  t.equal(sha(await again.readAll()), sha(src2.data), 'the next transfer arrives intact')
  await consumer.stop()
  await until('the final receipt', () => provider.stats.openTunnels === 0)
  const sessions = chain.lastOf()
  t.equal(sessions.length, 2, 'two sessions')
  const second = sessions.find((r) => hexOf(r.sessionId) !== hexOf(cut.sessionId))!
  t.equal(second.bytesDown, BigInt(again.read()), 'the new session counts only its own bytes')
  const receipted = sessions.reduce((s, r) => s + r.bytesUp + r.bytesDown, 0n)
  t.equal(provider.stats.bytesReceipted, receipted, 'accepted totals, each counted once')
  t.ok(receipted <= consumer.stats.bytesDown + consumer.stats.bytesUp, 'never more than the consumer counted')
  t.same(chain.rejected, [], 'no receipt rejected')
})

t.test('paid through a channel: a consumer that replays an old voucher has its tunnel closed, unpaid bytes bounded', async (t) => {
  const chain = new FakeChain()
  const channel: VoucherChannel = { id: 1n, consumer: devAddress(1).toLowerCase(), provider: devAddress(2).toLowerCase(), deposit: 10n ** 18n, redeemed: 0n }
  const channels: ChannelReader = { channel: () => Promise.resolve({ ...channel }), fuelPricePerGb: () => Promise.resolve(10n ** 16n) }
  const redeemed: bigint[] = []
  const paying = new ProviderChannelPayment(CHAIN_ID, channel.provider, channels, (v) => {
    redeemed.push(v.amount)
    return Promise.resolve(v.amount)
  })
  const maxUnpaid = 1024n * 1024n
  const provider = new ProviderAgent({ key: devKey(2), host: '127.0.0.1', port: 0, chain, payment: paying, maxUnpaidBytes: maxUnpaid, receiptIntervalMs: 100 })
  const port = await provider.start()
  t.teardown(() => provider.stop())
  // the consumer pays its first two receipts, then sends its second voucher again
  const honest = new ConsumerChannelPayment(CHAIN_ID, devKey(1), 1n, channel.provider, channels)
  const sent: VoucherJson[] = []
  const replaying: PaymentHook = {
    voucherFor: async (r) => {
      const v = sent.length < 2 ? (await honest.voucherFor(r))! : sent[1]!
      sent.push(v)
      return v
    },
    onVoucher: () => Promise.resolve(),
  }
  const lines: string[] = []
  const consumer = new ConsumerAgent({
    key: devKey(1),
    listenHost: '127.0.0.1',
    listenPort: 0,
    providerHost: '127.0.0.1',
    providerPort: port,
    provider: devAddress(2),
    chainId: CHAIN_ID,
    payment: replaying,
    log: (l) => lines.push(l),
  })
  const socksPort = await consumer.start()
  t.teardown(() => consumer.stop())
  const src = await source(t, 64 * 1024 * 1024)
  const conn = await socksConnect(socksPort, '127.0.0.1', src.port)
  conn.socket.end()
  await conn.readAll().catch(() => undefined)
  await until('the provider closed the tunnel', () => provider.stats.closedUnpaid === 1)
  t.equal(paying.stats.refused, 1, 'the replayed voucher was refused')
  t.equal(paying.stats.vouchers, 2, 'the two good ones were kept')
  await until('the consumer heard why', () => lines.some((l) => /replayed voucher/.test(l)))
  const paidTotal = chain.lastOf()[0]!.bytesUp + chain.lastOf()[0]!.bytesDown
  const frameSlack = 256n * 1024n
  t.ok(BigInt(conn.read()) <= paidTotal + maxUnpaid + frameSlack, `the application got ${conn.read()} bytes: at most the paid ${paidTotal} + the bound`)
  t.ok(BigInt(conn.read()) < 64n * 1024n * 1024n, 'not the whole source')
  await provider.stop()
  t.same(redeemed, [BigInt(sent[1]!.amount!)], 'the latest good voucher was redeemed once')
})

t.test('the slices of accepted receipts are kept on disk: a restarted agent answers the same openings; pruned after the window', async (t) => {
  const chain = new FakeChain()
  const dir = t.testdir({})
  const retainMs = 60_000
  const { provider, consumer, socksPort } = await agents(t, chain, { slices: new SliceStore(dir, retainMs) })
  const src = await source(t, 2 * 1024 * 1024)
  const conn = await socksConnect(socksPort, '127.0.0.1', src.port)
  conn.socket.end()
  await conn.readAll()
  await consumer.stop()
  await until('the final receipt', () => provider.stats.openTunnels === 0)
  const live = chain.watched[0]!
  const [last] = chain.lastOf()

  // a new agent process: what the disk kept
  const store = new SliceStore(dir, retainMs)
  const [kept, ...more] = store.load(devAddress(2).toLowerCase())
  t.equal(more.length, 0, 'one session on disk')
  t.equal(hexOf(kept!.id), hexOf(live.id), 'the session')
  t.same([...kept!.sliceCounts], [...live.sliceCounts], 'every accepted receipt and the slices it commits to')
  const count = kept!.sliceCounts.get(last!.seq)!
  t.ok(count > 0, `the last receipt commits to ${count} slices`)
  const seed = new Uint8Array(32).fill(3)
  t.same(openingFor(kept!.down, count, seed, kept!.id, last!.seq), openingFor(live.down, count, seed, live.id, last!.seq), 'the same opening as from memory')
  t.equal(store.prune(Date.now()), 0, 'kept within the window')
  t.equal(store.prune(Date.now() + retainMs + 1_000), 1, 'pruned after it')
  t.same(store.load(devAddress(2).toLowerCase()), [], 'nothing left')
})
