// Long on purpose (905 lines): one generator of malformed parameters per JSON-RPC method family, in one table.
/**
 * JSON-RPC fuzzer: sends random and mutated requests to a running node over HTTP and WebSocket
 * and checks that every one gets a JSON-RPC answer (result or error) or a closed connection,
 * and that the node keeps answering eth_blockNumber on a fresh connection after every batch.
 *
 *   node dist/tools/fuzz/rpcFuzz.js --url http://127.0.0.1:8545 [--pid PID] [--count N]
 *        [--seed S] [--concurrency C] [--batch B] [--json]
 *
 * Cases (picked by a seeded PRNG, so a seed replays the same run):
 *   valid     a known method with well-formed params (the baseline)
 *   types     known methods with params of the wrong type, count, or shape
 *   huge      huge quantities, 0x + thousands of digits, long strings, big arrays
 *   envelope  bad jsonrpc/id/method members, notifications, by-name params
 *   garbage   invalid JSON: random bytes, truncated and byte-mutated valid requests
 *   nested    deeply nested arrays/objects (up to 100,000 levels) in params and as the body
 *   batch     batches: empty, mixed valid/invalid, over the batch limit
 *   big       10 MB bodies (HTTP) and 10 MB frames (WS): over the 5 MiB limit
 *   ws        the same payloads as WS text frames, binary frames, subscription floods
 *   raw       raw TCP: half-closed sockets, slow (byte-by-byte) requests, broken HTTP
 *
 * Outcomes: result, error (a JSON-RPC error object), batch (an array of those), empty (a
 * notification's empty 200), http-status (a 4xx with a JSON-RPC error or a plain refusal the
 * case asked for: 413, 415, 400, 404), closed (the connection was closed or reset), and the
 * bad ones: invalid (an answer that is not a JSON-RPC envelope, a 5xx) and timeout.
 *
 * With --pid, the node's peak RSS (VmHWM in /proc/PID/status) is read after every batch.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { memoryOf, prng, Rand } from './fuzzKit.js'
import { pathToFileURL } from 'node:url'
import { WebSocket } from 'ws'

export type Outcome = 'result' | 'error' | 'batch' | 'empty' | 'http-status' | 'closed' | 'invalid' | 'timeout'
export const GOOD_OUTCOMES: readonly Outcome[] = ['result', 'error', 'batch', 'empty', 'http-status', 'closed']

export interface FuzzOptions {
  url: string
  pid?: number
  count: number
  seed: number
  /** requests in flight at once (default 16) */
  concurrency?: number
  /** requests between liveness checks (default 500) */
  batch?: number
  /** per-request timeout (default 15 s) */
  timeoutMs?: number
  /** progress lines go here (default stderr); null for silence */
  log?: ((line: string) => void) | null
}

export interface FuzzSummary {
  seed: number
  sent: number
  byOutcome: Record<Outcome, number>
  byCase: Record<string, number>
  /** total time spent per case kind (ms), to see what makes a run slow */
  msByCase: Record<string, number>
  /** the first few bad answers, for the report */
  bad: Array<{ case: string; transport: string; outcome: Outcome; request: string; answer: string }>
  /** liveness probes after each batch that failed */
  livenessFailures: number
  livenessChecks: number
  /** node's VmHWM / VmRSS in kB (undefined without --pid) */
  peakRssKb?: number
  lastRssKb?: number
  startRssKb?: number
  elapsedMs: number
}

// ---------------------------------------------------------------------------- cases

const METHODS = [
  'eth_blockNumber',
  'eth_chainId',
  'eth_getBalance',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_getTransactionCount',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_call',
  'eth_estimateGas',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_getLogs',
  'eth_getProof',
  'eth_sendRawTransaction',
  'net_version',
  'web3_clientVersion',
  'eth_subscribe',
  'eth_unsubscribe',
  'eth_newFilter',
  'eth_newBlockFilter',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_uninstallFilter',
  'eth_syncing',
  'eth_accounts',
  'debug_traceCall',
  'txpool_status',
  'no_such_method',
  '',
  'eth_',
  'rpc.discover',
] as const

const ADDR = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
const TAGS = ['latest', 'pending', 'earliest', 'safe', 'finalized', '0x0', '0x1']

function validParams(r: Rand, method: string): unknown[] {
  switch (method) {
    case 'eth_getBalance':
    case 'eth_getCode':
    case 'eth_getTransactionCount':
      return [ADDR, r.pick(TAGS)]
    case 'eth_getStorageAt':
      return [ADDR, '0x0', r.pick(TAGS)]
    case 'eth_getBlockByNumber':
      return [r.pick(TAGS), r.chance(0.5)]
    case 'eth_getBlockByHash':
    case 'eth_getTransactionByHash':
    case 'eth_getTransactionReceipt':
      return ['0x' + r.hex(32)].concat(method === 'eth_getBlockByHash' ? [false as any] : [])
    case 'eth_call':
    case 'eth_estimateGas':
      return [{ from: ADDR, to: '0x' + r.hex(20), data: '0x' + r.hex(r.int(40)) }, 'latest']
    case 'eth_feeHistory':
      return ['0x' + (1 + r.int(10)).toString(16), 'latest', [10, 50, 90]]
    case 'eth_getLogs':
      return [{ fromBlock: '0x0', toBlock: 'latest', address: '0x' + r.hex(20) }]
    case 'eth_getProof':
      return [ADDR, [], 'latest']
    case 'eth_sendRawTransaction':
      return ['0x' + r.hex(1 + r.int(200))]
    case 'eth_subscribe':
      return [r.pick(['newHeads', 'logs', 'newPendingTransactions', 'bogus'])]
    case 'eth_newFilter':
      return [{ fromBlock: 'latest' }]
    default:
      return []
  }
}

const hugeNumber = (r: Rand) =>
  r.pick([
    '0x' + 'f'.repeat(64 + r.int(4000)),
    '0x' + '0'.repeat(1 + r.int(5000)) + '1',
    '0x' + 'f'.repeat(65),
    '-0x1',
    '0x',
    '0xg',
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 64,
    1.5,
    NaN.toString(),
    '9'.repeat(1 + r.int(10_000)),
  ])

function wrongValue(r: Rand): unknown {
  switch (r.int(12)) {
    case 0:
      return null
    case 1:
      return r.chance(0.5)
    case 2:
      return r.int(1e9) - 5e8
    case 3:
      return hugeNumber(r)
    case 4:
      return 'x'.repeat(r.int(100_000))
    case 5:
      return { [r.hex(4)]: r.hex(4), from: r.hex(3), to: [] }
    case 6:
      return []
    case 7:
      return new Array(1 + r.int(2000)).fill(ADDR)
    case 8:
      return '\u0000\ud800\uffff' + r.hex(3)
    case 9:
      return '0x' + r.hex(r.int(100))
    case 10:
      return { blockHash: '0x' + r.hex(32), fromBlock: '0x1', toBlock: '0x0' }
    default:
      return r.pick(TAGS)
  }
}

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
}

function mutate(r: Rand, text: string): string {
  const chars = text.split('')
  const n = 1 + r.int(4)
  for (let i = 0; i < n; i++) {
    const at = r.int(chars.length + 1)
    switch (r.int(4)) {
      case 0:
        chars.splice(at, 1)
        break
      case 1:
        chars.splice(at, 0, r.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'e9', '-', ' ', '\n']))
        break
      case 2:
        chars[at] = String.fromCharCode(r.int(128))
        break
      default:
        chars.splice(at, chars.length) // truncation
    }
  }
  return chars.join('')
}

interface Case {
  name: string
  /** the body (HTTP) or frame (WS) text; Buffer for binary */
  body: string | Buffer
  /** a JSON content type (false: a wrong one, 415 expected) */
  contentType?: string
  transport: 'http' | 'ws' | 'raw'
  /** raw TCP cases */
  raw?: 'half-close' | 'slow' | 'broken-http' | 'ws-flood' | 'ws-big'
}

let nextId = 1

function request(method: string, params: unknown, id: unknown = nextId++): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params })
}

const TEN_MB = 10 * 1024 * 1024

function makeCase(r: Rand): Case {
  const transport: 'http' | 'ws' = r.chance(0.6) ? 'http' : 'ws'
  const roll = r.int(1000)
  if (roll < 150) {
    const m = r.pick(METHODS)
    return { name: 'valid', transport, body: request(m, validParams(r, m)) }
  }
  if (roll < 350) {
    const m = r.pick(METHODS)
    const params = validParams(r, m)
    const mutated =
      params.length === 0 || r.chance(0.3) ? Array.from({ length: r.int(5) }, () => wrongValue(r)) : params.map((p) => (r.chance(0.5) ? wrongValue(r) : p))
    return { name: 'types', transport, body: request(m, r.chance(0.05) ? wrongValue(r) : mutated) }
  }
  if (roll < 450) {
    const m = r.pick(METHODS)
    return { name: 'huge', transport, body: request(m, [hugeNumber(r), hugeNumber(r), { gas: hugeNumber(r), value: hugeNumber(r) }]) }
  }
  if (roll < 560) {
    const m = r.pick(METHODS)
    const variants = [
      () => JSON.stringify({ id: 1, method: m, params: [] }),
      () => JSON.stringify({ jsonrpc: '1.0', id: 1, method: m }),
      () => JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: m }),
      () => JSON.stringify({ jsonrpc: '2.0', id: [1], method: m }),
      () => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 42 }),
      () => JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params: { a: 1 } }),
      () => JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params: 'x' }),
      () => JSON.stringify({ jsonrpc: '2.0', method: 'eth_blockNumber' }), // a notification
      () => JSON.stringify({ jsonrpc: '2.0', id: 'x'.repeat(10_000), method: m }),
      () => JSON.stringify({ jsonrpc: '2.0', id: 1e308, method: m }),
      () => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x'.repeat(100_000) }),
      () => JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, __proto__x: 1, constructor: {} }),
      () => '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","__proto__":{"polluted":1},"params":[]}',
      () => JSON.stringify(null),
      () => JSON.stringify(42),
      () => JSON.stringify('eth_blockNumber'),
      () => '',
    ]
    return { name: 'envelope', transport, body: r.pick(variants)() }
  }
  if (roll < 700) {
    const m = r.pick(METHODS)
    const kinds = [
      () => r.bytes(1 + r.int(300)).toString('latin1'),
      () => mutate(r, request(m, validParams(r, m))),
      () => mutate(r, request(m, validParams(r, m))),
      () => '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[' + '1,'.repeat(r.int(100)),
      () => '\ufeff' + request('eth_blockNumber', []),
      () => request('eth_blockNumber', []) + request('eth_blockNumber', []),
    ]
    return { name: 'garbage', transport, body: r.pick(kinds)() }
  }
  if (roll < 770) {
    const depth = r.pick([100, 1_000, 10_000, 100_000])
    const kind = r.chance(0.5) ? 'array' : 'object'
    const inner = nested(depth, kind)
    const asBody = r.chance(0.3)
    const m = r.pick(METHODS)
    return {
      name: 'nested',
      transport,
      body: asBody ? inner : `{"jsonrpc":"2.0","id":1,"method":"${m}","params":[${inner}]}`,
    }
  }
  if (roll < 880) {
    const size = r.pick([0, 1, 2, 10, 100, 999, 1000, 1001, 5000])
    const items = Array.from({ length: size }, () => {
      if (r.chance(0.7)) {
        // big batches stick to cheap calls: the point is the envelope handling, not state reads
        const m = r.pick(
          size > 100 ? ['eth_blockNumber', 'eth_chainId', 'no_such_method'] : ['eth_blockNumber', 'eth_chainId', 'eth_getBalance', 'no_such_method'],
        )
        return { jsonrpc: '2.0', id: nextId++, method: m, params: validParams(r, m) }
      }
      return wrongValue(r)
    })
    return { name: 'batch', transport, body: JSON.stringify(items) }
  }
  if (roll < 885) {
    // 10 MB: a big params string, or a batch of many requests, or plain filler
    const kind = r.int(3)
    const body =
      kind === 0
        ? `{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"0x${'ab'.repeat(TEN_MB / 2)}"}]}`
        : kind === 1
          ? '[' + new Array(Math.floor(TEN_MB / 60)).fill('{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}').join(',') + ']'
          : ' '.repeat(TEN_MB)
    return transport === 'ws' ? { name: 'big', transport: 'raw', raw: 'ws-big', body } : { name: 'big', transport, body }
  }
  if (roll < 930) {
    // wrong content type (415) or binary frame on WS
    if (transport === 'ws') return { name: 'envelope', transport, body: Buffer.from(request('eth_chainId', [])) }
    return { name: 'envelope', transport, body: request('eth_chainId', []), contentType: r.pick(['text/plain', 'application/x-www-form-urlencoded', '']) }
  }
  if (roll < 950) {
    return { name: 'ws-flood', transport: 'raw', raw: 'ws-flood', body: '' }
  }
  const raw = r.pick(['half-close', 'slow', 'broken-http'] as const)
  return { name: raw, transport: 'raw', raw, body: request('eth_blockNumber', []) }
}

// ---------------------------------------------------------------------------- checks

const isErrorObject = (e: any) => typeof e === 'object' && e !== null && Number.isInteger(e.code) && typeof e.message === 'string'

function isEnvelope(x: any): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || x.jsonrpc !== '2.0' || !('id' in x)) return false
  if ('error' in x) return isErrorObject(x.error) && !('result' in x)
  return 'result' in x
}

/** Classifies a parsed answer text. */
export function classify(text: string): Outcome {
  if (text === '') return 'empty'
  let x: any
  try {
    x = JSON.parse(text)
  } catch {
    return 'invalid'
  }
  if (Array.isArray(x)) return x.length > 0 && x.every(isEnvelope) ? 'batch' : 'invalid'
  if (!isEnvelope(x)) return 'invalid'
  return 'error' in x ? 'error' : 'result'
}

// ---------------------------------------------------------------------------- transports

interface Answer {
  outcome: Outcome
  detail: string
}

async function sendHttp(url: string, c: Case, timeoutMs: number): Promise<Answer> {
  const ctrl = new AbortController()
  const timer = setTimeout(() => ctrl.abort(), timeoutMs)
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': c.contentType ?? 'application/json' },
      body: c.body,
      signal: ctrl.signal,
    })
    const text = await res.text()
    if (res.status === 200) {
      const outcome = classify(text)
      return { outcome, detail: text.slice(0, 300) }
    }
    // a refusal the request asked for: too large, wrong type, bad request
    if ([400, 403, 404, 413, 415].includes(res.status)) return { outcome: 'http-status', detail: `${res.status} ${text.slice(0, 200)}` }
    return { outcome: 'invalid', detail: `HTTP ${res.status} ${text.slice(0, 200)}` }
  } catch (e) {
    if (ctrl.signal.aborted) return { outcome: 'timeout', detail: `no answer within ${timeoutMs} ms` }
    return { outcome: 'closed', detail: String((e as Error).cause ?? e) }
  } finally {
    clearTimeout(timer)
  }
}

/** One shared WS connection per worker; a case that closes it opens a new one next time. */
class WsLane {
  private ws: WebSocket | undefined
  private opening: Promise<WebSocket> | undefined
  constructor(private readonly url: string) {}

  private open(): Promise<WebSocket> {
    if (this.ws?.readyState === WebSocket.OPEN) return Promise.resolve(this.ws)
    return (this.opening ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url, { maxPayload: 64 * 1024 * 1024 })
      ws.once('open', () => {
        this.ws = ws
        this.opening = undefined
        resolve(ws)
      })
      ws.once('error', (e) => {
        this.opening = undefined
        reject(e)
      })
    }))
  }

  /**
   * Sends one frame and waits for one answer. A frame that gets no answer (a notification) is
   * followed by a probe so that "no answer" is told apart from "hung".
   */
  async send(c: Case, timeoutMs: number): Promise<Answer> {
    let ws: WebSocket
    try {
      ws = await this.open()
    } catch (e) {
      return { outcome: 'closed', detail: `cannot open: ${(e as Error).message}` }
    }
    return new Promise<Answer>((resolve) => {
      let done = false
      const finish = (a: Answer) => {
        if (done) return
        done = true
        clearTimeout(timer)
        ws.off('message', onMessage)
        ws.off('close', onClose)
        resolve(a)
      }
      const timer = setTimeout(() => {
        // the connection is in an unknown state: drop it
        ws.terminate()
        finish({ outcome: 'timeout', detail: `no answer within ${timeoutMs} ms` })
      }, timeoutMs)
      const probeId = `probe-${nextId++}`
      let expectedId: unknown
      const onMessage = (data: Buffer) => {
        const text = data.toString('utf8')
        if (text.includes(`"${probeId}"`)) {
          // the probe came back first: the fuzz frame was a notification (or empty answer)
          return finish({ outcome: 'empty', detail: 'no answer; the probe was answered' })
        }
        if (expectedId !== undefined && expectedId !== null) {
          try {
            const x = JSON.parse(text)
            if (typeof x === 'object' && x !== null && !Array.isArray(x) && x.id !== null && x.id !== undefined && x.id !== expectedId) return
          } catch {
            // classified below
          }
        }
        const outcome = classify(text)
        // subscription pushes are fine, keep waiting for the answer
        if (outcome === 'invalid' && text.includes('"eth_subscription"')) return
        finish({ outcome, detail: text.slice(0, 300) })
      }
      const onClose = (code: number) => finish({ outcome: 'closed', detail: `ws closed ${code}` })
      ws.on('message', onMessage)
      ws.once('close', onClose)
      // a request without an id (or a batch of them) is answered with nothing at all: a probe
      // after it tells "no answer" from "hung"; answers to earlier, timed-out frames are skipped
      let parsed: unknown
      try {
        parsed = typeof c.body === 'string' ? JSON.parse(c.body) : undefined
      } catch {
        parsed = undefined
      }
      const hasId = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x) && Object.hasOwn(x, 'id')
      const isNotification =
        (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && !hasId(parsed)) ||
        (Array.isArray(parsed) && parsed.length > 0 && parsed.some((x) => !hasId(x)))
      expectedId = hasId(parsed) ? (parsed as { id: unknown }).id : undefined
      try {
        ws.send(c.body, { binary: Buffer.isBuffer(c.body) })
        if (isNotification) ws.send(JSON.stringify({ jsonrpc: '2.0', id: probeId, method: 'eth_chainId', params: [] }))
      } catch (e) {
        finish({ outcome: 'closed', detail: String(e) })
      }
    })
  }

  close(): void {
    this.ws?.terminate()
  }
}

function rawSocket(url: string): Promise<Socket> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) }, () => resolve(s))
    s.once('error', reject)
  })
}

/** Collects what the server sends until it closes (or `ms` passes: then we close). */
function collect(s: Socket, ms: number): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    let text = ''
    const timer = setTimeout(() => {
      s.destroy()
      resolve({ text, closedByServer: false })
    }, ms)
    s.setEncoding('utf8')
    s.on('data', (d: string) => (text += d))
    s.on('error', () => undefined)
    s.once('close', () => {
      clearTimeout(timer)
      resolve({ text, closedByServer: true })
    })
  })
}

function httpRequestText(url: string, body: string, extraHeaders = ''): string {
  const u = new URL(url)
  return (
    `POST / HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n${extraHeaders}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  )
}

/** The JSON body of a raw HTTP response (after the headers), classified. */
function classifyRawHttp(text: string): Answer {
  if (text === '') return { outcome: 'closed', detail: 'closed without an answer' }
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)
  if (status === null) return { outcome: 'invalid', detail: text.slice(0, 200) }
  const code = Number(status[1])
  const i = text.indexOf('\r\n\r\n')
  let body = i < 0 ? '' : text.slice(i + 4)
  if (/transfer-encoding: chunked/i.test(text.slice(0, i))) {
    // de-chunk
    let out = ''
    let rest = body
    for (;;) {
      const nl = rest.indexOf('\r\n')
      if (nl < 0) break
      const n = parseInt(rest.slice(0, nl), 16)
      if (!(n > 0)) break
      out += rest.slice(nl + 2, nl + 2 + n)
      rest = rest.slice(nl + 2 + n + 2)
    }
    body = out
  }
  if (code === 200) return { outcome: classify(body), detail: body.slice(0, 200) }
  if ([400, 403, 404, 408, 413, 415, 431].includes(code)) return { outcome: 'http-status', detail: `${code}` }
  return { outcome: 'invalid', detail: text.slice(0, 200) }
}

async function sendRaw(url: string, wsUrl: string, c: Case, r: Rand, timeoutMs: number): Promise<Answer> {
  try {
    switch (c.raw) {
      case 'half-close': {
        // a complete (or cut) request, then FIN: the server may answer or close
        const s = await rawSocket(url)
        const full = httpRequestText(url, c.body as string)
        const cut = r.chance(0.5) ? full : full.slice(0, r.int(full.length))
        const got = collect(s, timeoutMs)
        s.end(cut)
        const { text, closedByServer } = await got
        if (!closedByServer) return { outcome: 'timeout', detail: 'half-closed socket never closed' }
        return text === '' ? { outcome: 'closed', detail: 'closed' } : classifyRawHttp(text)
      }
      case 'slow': {
        // a slowloris: a few bytes at a time, then stop or finish
        const s = await rawSocket(url)
        const full = httpRequestText(url, c.body as string)
        const got = collect(s, timeoutMs)
        const finishIt = r.chance(0.5)
        const upTo = finishIt ? full.length : r.int(full.length)
        for (let i = 0; i < upTo && !s.destroyed; i += 16) {
          s.write(full.slice(i, Math.min(i + 16, upTo)))
          await new Promise((res) => setTimeout(res, 5))
        }
        if (!finishIt) s.destroy()
        const { text } = await got
        return finishIt ? classifyRawHttp(text) : { outcome: 'closed', detail: 'client gave up' }
      }
      case 'broken-http': {
        const s = await rawSocket(url)
        const variants = [
          'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
          'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
          'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}',
          'GARBAGE\r\n\r\n',
          'POST / HTTP/1.1\r\n' + 'X-A: ' + 'a'.repeat(100_000) + '\r\n\r\n',
          'GET /' + 'a'.repeat(20_000) + ' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${(c.body as string).length.toString(16)}\r\n${c.body}\r\n0\r\n\r\n`,
        ]
        const got = collect(s, timeoutMs)
        s.write(r.pick(variants))
        const { text, closedByServer } = await got
        if (!closedByServer && text === '') return { outcome: 'timeout', detail: 'no answer and no close' }
        return classifyRawHttp(text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))
      }
      case 'ws-flood': {
        // one connection, many subscriptions and calls without reading in between, then close
        const ws = new WebSocket(wsUrl)
        await new Promise<void>((res, rej) => {
          ws.once('open', () => res())
          ws.once('error', rej)
        })
        const n = 200 + r.int(800)
        let answers = 0
        const allAnswered = new Promise<void>((res) => {
          ws.on('message', (d: Buffer) => {
            const text = d.toString('utf8')
            // pushes (eth_subscription) may interleave; only count answers
            if (text.includes('"eth_subscription"')) return
            if (classify(text) === 'invalid') return
            if (++answers >= n) res()
          })
          ws.once('close', () => res())
        })
        for (let i = 0; i < n; i++) {
          const kind = r.pick(['newHeads', 'logs', 'newPendingTransactions'])
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: r.chance(0.8) ? 'eth_subscribe' : 'eth_newBlockFilter', params: [kind] }))
        }
        let timer: NodeJS.Timeout | undefined
        const t = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), timeoutMs)))
        const res = await Promise.race([allAnswered, t])
        clearTimeout(timer)
        const closed = ws.readyState !== WebSocket.OPEN
        ws.terminate()
        if (res === 'timeout') return { outcome: 'timeout', detail: `${answers}/${n} flood answers` }
        return closed && answers < n ? { outcome: 'closed', detail: `closed after ${answers}/${n}` } : { outcome: 'batch', detail: `${n} subscription answers` }
      }
      case 'ws-big': {
        const ws = new WebSocket(wsUrl)
        await new Promise<void>((res, rej) => {
          ws.once('open', () => res())
          ws.once('error', rej)
        })
        const answer = new Promise<Answer>((res) => {
          ws.once('message', (d: Buffer) => res({ outcome: classify(d.toString('utf8')), detail: d.toString('utf8').slice(0, 200) }))
          ws.once('close', (code) => res({ outcome: 'closed', detail: `ws closed ${code}` }))
          ws.on('error', () => undefined)
        })
        ws.send(c.body)
        let timer: NodeJS.Timeout | undefined
        const t = new Promise<Answer>((res) => (timer = setTimeout(() => res({ outcome: 'timeout', detail: 'big frame' }), timeoutMs)))
        const a = await Promise.race([answer, t])
        clearTimeout(timer)
        ws.terminate()
        return a
      }
    }
  } catch (e) {
    return { outcome: 'closed', detail: String((e as Error).message ?? e) }
  }
  return { outcome: 'invalid', detail: `unknown raw case ${c.raw}` }
}

// ---------------------------------------------------------------------------- liveness, memory

/** eth_blockNumber on a fresh connection within `ms`. */
export async function alive(url: string, ms = 5000): Promise<boolean> {
  const ctrl = new AbortController()
  const timer = setTimeout(() => ctrl.abort(), ms)
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: ctrl.signal,
    })
    const body = (await res.json()) as { result?: string }
    return typeof body.result === 'string' && /^0x[0-9a-f]+$/.test(body.result)
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

/** VmHWM and VmRSS of `pid` in kB (undefined if /proc has no such process). */
// ---------------------------------------------------------------------------- the run

export async function runFuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const r = new Rand(prng(opts.seed))
  const url = opts.url.replace(/\/$/, '')
  const wsUrl = url.replace(/^http/, 'ws')
  const concurrency = opts.concurrency ?? 16
  const batchSize = opts.batch ?? 500
  const timeoutMs = opts.timeoutMs ?? 15_000
  const log = opts.log === undefined ? (l: string) => process.stderr.write(l + '\n') : opts.log
  const started = Date.now()

  const byOutcome = Object.fromEntries(
    (['result', 'error', 'batch', 'empty', 'http-status', 'closed', 'invalid', 'timeout'] as Outcome[]).map((o) => [o, 0]),
  ) as Record<Outcome, number>
  const byCase: Record<string, number> = {}
  const msByCase: Record<string, number> = {}
  const bad: FuzzSummary['bad'] = []
  let livenessFailures = 0
  let livenessChecks = 0
  let sent = 0
  const startMem = opts.pid === undefined ? undefined : memoryOf(opts.pid)
  let lastMem = startMem

  const lanes = Array.from({ length: concurrency }, () => new WsLane(wsUrl))
  try {
    while (sent < opts.count) {
      const n = Math.min(batchSize, opts.count - sent)
      // every case gets its own PRNG, seeded in order from the run's: a seed always yields the
      // same cases whatever the scheduling; a case (10 MB bodies…) is built only when sent
      const seeds = Array.from({ length: n }, () => r.int(2 ** 31))
      let next = 0
      await Promise.all(
        lanes.map(async (lane) => {
          for (;;) {
            const i = next++
            if (i >= seeds.length) return
            const cr = new Rand(prng(seeds[i]!))
            const c = makeCase(cr)
            const t0 = Date.now()
            const a =
              c.transport === 'http'
                ? await sendHttp(url, c, timeoutMs)
                : c.transport === 'ws'
                  ? await lane.send(c, timeoutMs)
                  : await sendRaw(url, wsUrl, c, cr, timeoutMs)
            byOutcome[a.outcome]++
            byCase[c.name] = (byCase[c.name] ?? 0) + 1
            msByCase[c.name] = (msByCase[c.name] ?? 0) + Date.now() - t0
            if (!GOOD_OUTCOMES.includes(a.outcome) && bad.length < 20) {
              const body = typeof c.body === 'string' ? c.body : `<binary ${c.body.length} bytes>`
              bad.push({
                case: c.name,
                transport: c.raw ?? c.transport,
                outcome: a.outcome,
                request: body.length > 300 ? `${body.slice(0, 300)}… (${body.length} chars)` : body,
                answer: JSON.stringify(a.detail.slice(0, 300)),
              })
            }
          }
        }),
      )
      sent += n
      livenessChecks++
      const ok = await alive(url)
      if (!ok) livenessFailures++
      if (opts.pid !== undefined) lastMem = memoryOf(opts.pid) ?? lastMem
      log?.(
        `[fuzz] ${sent}/${opts.count} ${((Date.now() - started) / 1000).toFixed(1)}s ` +
          Object.entries(byOutcome)
            .filter(([, v]) => v > 0)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') +
          ` alive=${ok ? 'yes' : 'NO'}` +
          (lastMem ? ` rss=${(lastMem.rssKb / 1024).toFixed(0)}MB peak=${(lastMem.hwmKb / 1024).toFixed(0)}MB` : ''),
      )
      if (!ok && !(await alive(url, 15_000))) {
        log?.('[fuzz] the node stopped answering eth_blockNumber: giving up')
        break
      }
    }
  } finally {
    for (const l of lanes) l.close()
  }
  return {
    seed: opts.seed,
    sent,
    byOutcome,
    byCase,
    msByCase,
    bad,
    livenessFailures,
    livenessChecks,
    peakRssKb: lastMem?.hwmKb,
    lastRssKb: lastMem?.rssKb,
    startRssKb: startMem?.rssKb,
    elapsedMs: Date.now() - started,
  }
}

export function formatSummary(s: FuzzSummary): string {
  const lines = [
    `[fuzz] summary: seed=${s.seed} sent=${s.sent} in ${(s.elapsedMs / 1000).toFixed(1)}s`,
    `[fuzz] outcomes: ${Object.entries(s.byOutcome)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `[fuzz] cases: ${Object.entries(s.byCase)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `[fuzz] time per case kind: ${Object.entries(s.msByCase)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}s`)
      .join(' ')}`,
    `[fuzz] liveness: ${s.livenessChecks - s.livenessFailures}/${s.livenessChecks} checks answered eth_blockNumber`,
  ]
  if (s.peakRssKb !== undefined) {
    lines.push(
      `[fuzz] node memory: start rss=${((s.startRssKb ?? 0) / 1024).toFixed(1)} MB, end rss=${((s.lastRssKb ?? 0) / 1024).toFixed(1)} MB, ` +
        `peak (VmHWM)=${(s.peakRssKb / 1024).toFixed(1)} MB`,
    )
  }
  for (const b of s.bad) lines.push(`[fuzz] BAD ${b.outcome} (${b.case}/${b.transport}): ${b.request} -> ${b.answer}`)
  return lines.join('\n')
}

// ---------------------------------------------------------------------------- CLI

function parseArgs(argv: string[]): FuzzOptions & { json: boolean } {
  const out: FuzzOptions & { json: boolean } = { url: '', count: 10_000, seed: 1, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const v = () => {
      const x = argv[++i]
      if (x === undefined) throw new Error(`${a} needs a value`)
      return x
    }
    if (a === '--url') out.url = v()
    else if (a === '--pid') out.pid = Number(v())
    else if (a === '--count') out.count = Number(v())
    else if (a === '--seed') out.seed = Number(v())
    else if (a === '--concurrency') out.concurrency = Number(v())
    else if (a === '--batch') out.batch = Number(v())
    else if (a === '--timeout') out.timeoutMs = Number(v())
    else if (a === '--json') out.json = true
    else throw new Error(`unknown argument ${a}`)
  }
  if (out.url === '') throw new Error('--url URL is required')
  for (const k of ['count', 'seed', 'pid', 'concurrency', 'batch', 'timeoutMs'] as const) {
    if (out[k] !== undefined && !Number.isFinite(out[k])) throw new Error(`--${k} must be a number`)
  }
  return out
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseArgs>
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(
      `rpcFuzz: ${(e as Error).message}\nusage: node dist/tools/fuzz/rpcFuzz.js --url URL [--pid PID] [--count N] [--seed S] [--concurrency C] [--batch B] [--timeout MS] [--json]\n`,
    )
    process.exitCode = 2
    return
  }
  const summary = await runFuzz(opts)
  process.stdout.write(formatSummary(summary) + '\n')
  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n')
  const bad = summary.byOutcome.invalid + summary.byOutcome.timeout
  process.exitCode = bad > 0 || summary.livenessFailures > 0 ? 1 : 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void main()
