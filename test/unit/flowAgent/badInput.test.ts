/**
 * Bad input over real sockets (issue 19 "done when"): the provider and consumer agents
 * in-process on loopback, hit as a stranger would. Malformed SOCKS5 conversations on a real TCP
 * connection to the consumer's listen port (bad version, no methods, BIND / UDP ASSOCIATE,
 * unknown address types, truncated requests, garbage, an over-long domain name) get the RFC 1928
 * reply code or a close, and the same tunnel keeps serving the next client. Half-closed sockets:
 * an application that shuts its write side after its request still gets the whole answer, and a
 * target that finishes first is a half-close the application can still write after. A
 * connection to the provider's tunnel port that sends garbage frames is closed, nothing of it is
 * counted or receipted, and the provider keeps serving the honest tunnel.
 */
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer, type Server } from 'node:net'
import { checkReceiptSignatures, type SignedReceipt } from '../../../src/flow/receipt.js'
import type { AuditedSession } from '../../../src/flow/sliceAnswers.js'
import { ConsumerAgent } from '../../../src/flowAgent/consumer.js'
import { ProviderAgent, type ProviderChain } from '../../../src/flowAgent/provider.js'
import { Reply } from '../../../src/flowAgent/socks5.js'
import { encodeFrame, FrameKind, jsonBody, TUNNEL_VERSION } from '../../../src/flowAgent/tunnel.js'
import { devAddress, devKey } from '../../helpers/inProcessNode.js'
import { socksConnect } from '../../helpers/socksClient.js'

const CHAIN_ID = 2100n

/** accepts every receipt with valid signatures and records it (the session rules are agents.test.ts's) */
class RecordingChain implements ProviderChain {
  readonly chainId = CHAIN_ID
  readonly submitted: SignedReceipt[] = []
  position() {
    return Promise.resolve({ cycle: 3n, head: 100n })
  }
  sampleSeed() {
    return Promise.resolve(new Uint8Array(32).fill(9))
  }
  submit(r: SignedReceipt): Promise<string | null> {
    checkReceiptSignatures(r)
    this.submitted.push(r)
    return Promise.resolve(null)
  }
  watch(_s: AuditedSession): void {}
}

async function listen(t: Test, server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return (server.address() as { port: number }).port
}

/** a provider agent and a consumer agent with one tunnel between them */
async function agents(t: Test, helloTimeoutMs?: number) {
  const chain = new RecordingChain()
  const provider = new ProviderAgent({
    key: devKey(2),
    host: '127.0.0.1',
    port: 0,
    chain,
    receiptIntervalMs: 100,
    ...(helloTimeoutMs === undefined ? {} : { helloTimeoutMs }),
  })
  const providerPort = await provider.start()
  t.teardown(() => provider.stop())
  const consumer = new ConsumerAgent({
    key: devKey(1),
    listenHost: '127.0.0.1',
    listenPort: 0,
    providerHost: '127.0.0.1',
    providerPort,
    provider: devAddress(2),
    chainId: CHAIN_ID,
  })
  const socksPort = await consumer.start()
  t.teardown(() => consumer.stop())
  return { chain, provider, providerPort, consumer, socksPort }
}

/** a target that sends `size` random bytes on each connection, then ends */
async function source(t: Test, size: number): Promise<{ port: number; data: Buffer }> {
  const data = randomBytes(size)
  const port = await listen(
    t,
    createServer((s) => {
      s.on('error', () => {})
      s.end(data)
    }),
  )
  return { port, data }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/**
 * Writes `writes` (each its own write) on a new connection to `port`, then ends the write side
 * if `end`; resolves with every byte the other side sent and how the connection finished:
 * 'end' (a FIN) or 'close' (reset / destroyed). Rejects if it is still open after `timeoutMs`.
 */
function exchange(port: number, writes: Uint8Array[], end: boolean, timeoutMs = 10_000): Promise<{ got: Buffer; how: 'end' | 'close' }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    const parts: Buffer[] = []
    let how: 'end' | 'close' | null = null
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`still open after ${timeoutMs} ms, having received ${Buffer.concat(parts).toString('hex') || 'nothing'}`))
    }, timeoutMs)
    s.on('data', (c: Buffer) => parts.push(c))
    s.on('error', () => {})
    s.on('end', () => (how ??= 'end'))
    s.on('close', () => {
      clearTimeout(timer)
      resolve({ got: Buffer.concat(parts), how: how ?? 'close' })
    })
    s.on('connect', () => {
      // one write each, a tick apart, so the agent sees them as separate reads
      void (async () => {
        for (const w of writes) {
          s.write(w)
          await new Promise((r) => setImmediate(r))
        }
        if (end) s.end()
      })()
    })
  })
}

const b = (...xs: number[]) => Uint8Array.from(xs)
const GREETING = b(5, 1, 0)
const METHOD_OK = b(5, 0)
const METHOD_REFUSED = b(5, 0xff)
/** VER REP RSV ATYP(IPv4) 0.0.0.0:0: a failure reply */
const failure = (code: number) => b(5, code, 0, 1, 0, 0, 0, 0, 0, 0)
const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'))
const domainRequest = (name: Uint8Array, port = 80) => b(5, 1, 0, 3, name.length, ...name, port >> 8, port & 0xff)

t.test('malformed SOCKS5 over a real connection: the RFC 1928 reply or a close; the tunnel serves the next client', async (t) => {
  const { provider, consumer, socksPort, chain } = await agents(t)
  const cases: { what: string; writes: Uint8Array[]; end?: boolean; expect: Uint8Array }[] = [
    { what: 'a SOCKS4 greeting (bad version): closed without an answer', writes: [b(4, 1, 0, 80, 127, 0, 0, 1, 0)], expect: b() },
    { what: 'an HTTP request (garbage): closed without an answer', writes: [ascii('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n')], expect: b() },
    { what: 'random bytes starting with 0x00: closed without an answer', writes: [b(0, ...randomBytes(300))], expect: b() },
    { what: 'a greeting with no methods: "no acceptable methods"', writes: [b(5, 0)], expect: METHOD_REFUSED },
    { what: 'a greeting offering only username/password and GSSAPI: refused', writes: [b(5, 2, 2, 1)], expect: METHOD_REFUSED },
    {
      what: 'BIND: command not supported',
      writes: [GREETING, b(5, 2, 0, 1, 127, 0, 0, 1, 0, 80)],
      expect: Buffer.concat([METHOD_OK, failure(Reply.COMMAND_NOT_SUPPORTED)]),
    },
    {
      what: 'UDP ASSOCIATE: command not supported',
      writes: [GREETING, b(5, 3, 0, 1, 0, 0, 0, 0, 0, 0)],
      expect: Buffer.concat([METHOD_OK, failure(Reply.COMMAND_NOT_SUPPORTED)]),
    },
    {
      what: 'an unknown command 0x7f: not supported',
      writes: [GREETING, b(5, 0x7f, 0, 1, 127, 0, 0, 1, 0, 80)],
      expect: Buffer.concat([METHOD_OK, failure(Reply.COMMAND_NOT_SUPPORTED)]),
    },
    {
      what: 'a request of version 4: general failure',
      writes: [GREETING, b(4, 1, 0, 1, 127, 0, 0, 1, 0, 80)],
      expect: Buffer.concat([METHOD_OK, failure(Reply.GENERAL_FAILURE)]),
    },
    {
      what: 'address type 5: address type not supported',
      writes: [GREETING, b(5, 1, 0, 5, 127, 0, 0, 1, 0, 80)],
      expect: Buffer.concat([METHOD_OK, failure(Reply.ADDRESS_TYPE_NOT_SUPPORTED)]),
    },
    {
      what: 'address type 0: not supported',
      writes: [GREETING, b(5, 1, 0, 0, 0, 80)],
      expect: Buffer.concat([METHOD_OK, failure(Reply.ADDRESS_TYPE_NOT_SUPPORTED)]),
    },
    {
      what: 'an empty domain name: refused',
      writes: [GREETING, domainRequest(b())],
      expect: Buffer.concat([METHOD_OK, failure(Reply.ADDRESS_TYPE_NOT_SUPPORTED)]),
    },
    {
      what: 'a domain name with a NUL and a space: refused',
      writes: [GREETING, domainRequest(b(0x61, 0, 0x20, 0x62))],
      expect: Buffer.concat([METHOD_OK, failure(Reply.ADDRESS_TYPE_NOT_SUPPORTED)]),
    },
    {
      what: 'a 255-byte domain name (above DNS’s 253): host unreachable, never looked up',
      writes: [GREETING, domainRequest(ascii('a'.repeat(255)))],
      expect: Buffer.concat([METHOD_OK, failure(Reply.HOST_UNREACHABLE)]),
    },
    {
      what: 'a 64-byte label: host unreachable',
      writes: [GREETING, domainRequest(ascii('a'.repeat(64) + '.example'))],
      expect: Buffer.concat([METHOD_OK, failure(Reply.HOST_UNREACHABLE)]),
    },
    { what: 'a truncated greeting, then the write side shut: closed', writes: [b(5, 3, 0)], end: true, expect: b() },
    {
      what: 'a truncated request, then the write side shut: closed after the method reply',
      writes: [GREETING, b(5, 1, 0, 1, 127, 0)],
      end: true,
      expect: METHOD_OK,
    },
    {
      what: 'a domain name shorter than its length byte, then the write side shut: closed',
      writes: [GREETING, b(5, 1, 0, 3, 200, ...ascii('example.com'))],
      end: true,
      expect: METHOD_OK,
    },
    {
      what: 'a greeting split byte by byte, then BIND: still parsed',
      writes: [b(5), b(1), b(0), b(5, 2, 0, 1, 127, 0, 0, 1, 0, 80)],
      expect: Buffer.concat([METHOD_OK, failure(Reply.COMMAND_NOT_SUPPORTED)]),
    },
  ]
  for (const c of cases) {
    const r = await exchange(socksPort, c.writes, c.end === true)
    t.equal(r.got.toString('hex'), Buffer.from(c.expect).toString('hex'), c.what)
  }
  const src = await source(t, 200_000)
  const ok = await socksConnect(socksPort, '127.0.0.1', src.port)
  t.equal(ok.reply, Reply.SUCCEEDED, 'the next client is served')
  t.equal(sha(await ok.readAll()), sha(src.data), 'and its bytes arrive intact')
  t.equal(consumer.stats.tunnels, 1, 'through the same tunnel all along')
  t.equal(provider.stats.openTunnels, 1, 'which the provider still has open')
  t.equal(provider.stats.streams, cases.length + 1, 'one stream per connection')
  await consumer.stop()
  t.equal(
    chain.submitted.at(-1)?.bytesDown,
    consumer.stats.bytesDown,
    'the bad conversations were counted like any bytes carried (replies included), and receipted',
  )
})

t.test('half-closed sockets: the answer after the request’s end, and the target’s end before the application’s', async (t) => {
  const { socksPort } = await agents(t)

  // a target that reads the whole request (until the client's FIN), then answers with its hash and 1 MB
  const answer = randomBytes(1024 * 1024)
  const readsToEnd = await listen(
    t,
    createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = []
      s.on('error', () => {})
      s.on('data', (c: Buffer) => got.push(c))
      s.on('end', () => s.end(Buffer.concat([Buffer.from(sha(Buffer.concat(got)), 'hex'), answer])))
    }),
  )
  const request = randomBytes(300_000)
  const c1 = await socksConnect(socksPort, '127.0.0.1', readsToEnd)
  c1.write(request)
  c1.socket.end()
  const got = await c1.readAll()
  t.equal(got.subarray(0, 32).toString('hex'), sha(request), 'the target got the whole request, ended by the shutdown')
  t.equal(sha(got.subarray(32)), sha(answer), 'and the application got the whole answer after its own end')

  // a target that says hello and ends its side at once, then reads what the application still sends
  let late!: (b: Buffer) => void
  const lateBytes = new Promise<Buffer>((r) => (late = r))
  const endsFirst = await listen(
    t,
    createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = []
      s.on('error', () => {})
      s.on('data', (c: Buffer) => got.push(c))
      s.on('end', () => {
        late(Buffer.concat(got))
        s.destroy()
      })
      s.end('hello, and goodbye')
    }),
  )
  const c2 = await socksConnect(socksPort, '127.0.0.1', endsFirst, { allowHalfOpen: true })
  t.equal((await c2.readAll()).toString(), 'hello, and goodbye', "the target's end reaches the application as an end (a half-close)")
  t.ok(c2.socket.writable, 'the application can still write')
  const after = randomBytes(200_000)
  c2.write(after)
  c2.socket.end()
  t.equal(sha(await lateBytes), sha(after), 'what it wrote after the end reached the target')
})

t.test('garbage on the provider’s tunnel port: closed, nothing counted or receipted, the honest tunnel still served', async (t) => {
  const { provider, providerPort, chain, socksPort } = await agents(t, 1000)
  const src = await source(t, 100_000)
  const first = await socksConnect(socksPort, '127.0.0.1', src.port)
  t.equal(sha(await first.readAll()), sha(src.data), 'the honest tunnel carries bytes')
  const stranger = devAddress(5)
  const hello = encodeFrame(0, FrameKind.HELLO, 0, jsonBody({ version: TUNNEL_VERSION, consumer: stranger, chainId: '0x834' }))
  const data = (seq: number) => encodeFrame(seq, FrameKind.DATA, 1, undefined, randomBytes(1000))
  const bad: { what: string; writes: Uint8Array[] }[] = [
    { what: 'nothing at all (no HELLO within the 1 s given)', writes: [] },
    { what: 'half a frame, then nothing', writes: [b(0, 0, 0, 40, 0, 0)] },
    { what: 'random bytes', writes: [randomBytes(4096)] },
    { what: 'an HTTP request', writes: [ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n')] },
    { what: 'a frame length of 4 GiB (not waited for)', writes: [b(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 0)] },
    { what: 'a frame of an unknown kind', writes: [b(0, 0, 0, 11, 0, 0, 0, 0, 0, 5, 0x42, 0, 0, 0, 0)] },
    { what: 'DATA before HELLO', writes: [data(0)] },
    { what: 'a HELLO whose body is not JSON', writes: [encodeFrame(0, FrameKind.HELLO, 0, ascii('{"version":1,'))] },
    {
      what: 'a HELLO for another chain',
      writes: [encodeFrame(0, FrameKind.HELLO, 0, jsonBody({ version: TUNNEL_VERSION, consumer: stranger, chainId: '0x1' }))],
    },
    { what: 'a HELLO, then random bytes', writes: [hello, randomBytes(4096)] },
    { what: 'a HELLO, then a WELCOME (the provider’s to send)', writes: [hello, encodeFrame(1, FrameKind.WELCOME, 0, jsonBody({}))] },
    { what: 'a HELLO, then OPEN of stream 0', writes: [hello, encodeFrame(1, FrameKind.OPEN, 0)] },
    {
      what: 'a HELLO, then a COSIGN of a receipt never sent',
      writes: [hello, encodeFrame(1, FrameKind.COSIGN, 0, jsonBody({ seq: '0x1', consumerSignature: '0x' + '11'.repeat(65) }))],
    },
  ]
  const before = { up: provider.stats.bytesUp, down: provider.stats.bytesDown, receipts: chain.submitted.length }
  for (const c of bad) {
    const r = await exchange(providerPort, c.writes, false)
    t.ok(r.how === 'close' || r.how === 'end', `${c.what}: the connection is closed (${r.how})`)
  }
  t.equal(provider.stats.bytesUp, before.up, 'no byte of the garbage was counted up')
  t.equal(provider.stats.bytesDown, before.down, 'nor down')
  t.notOk(
    chain.submitted.some((r) => r.consumer === stranger),
    'no receipt for the stranger',
  )
  t.equal(provider.stats.openTunnels, 1, 'only the honest tunnel is open')
  const again = await socksConnect(socksPort, '127.0.0.1', src.port)
  t.equal(sha(await again.readAll()), sha(src.data), 'and it still carries bytes')
})
