/**
 * `flowAgents` group: real TCP traffic through `nfc flow consume` → `nfc flow provide` (loopback,
 * a chain that accepts every receipt) next to the same transfer straight from the source, in the
 * same run (DESIGN §13: target ≥ 50% of direct), over FLOW_AGENTS_ROUNDS rounds (medians), each
 * after a warm-up. The agents run as deployed, each in a process of its own (flowAgentsChild.ts),
 * and also both in the bench's own thread, which then carries three connections for direct's one
 * (its share of direct is bounded near 1/3 by that alone; shown, not targeted, next to a bare
 * two-hop `pipe` relay in the same thread, the floor of that set-up). The same bare relay with each
 * hop in a process of its own is what relaying alone costs in the agents' set-up (each byte crosses
 * loopback three times, in three processes, on 2 cores): the reference for their figure. Each figure has
 * the CPU time per GB of every process involved, summed. And the CPU cost of counting: the packet
 * counter over tunnel frames of 64 KiB payloads given as the link gives them (head and payload
 * parts), per CPU second, next to node:crypto sha256 over the same bytes.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { core, initialCounterState } from '../../src/core/index.js'
import { encodeFrameHead, FrameKind, MAX_PAYLOAD_BYTES } from '../../src/flowAgent/tunnel.js'
import { startConsumer, startHop, startProvider } from './flowAgentsChild.js'
import { envInt, progress, row } from './report.js'

/** bytes of each download (direct and through the agents); FLOW_AGENTS_MIB overrides */
const TRANSFER_BYTES = envInt('FLOW_AGENTS_MIB', 256) * 1024 * 1024
/** direct + agents pairs measured; the figures are the medians (the machine is shared: one pair can be unlucky) */
const ROUNDS = envInt('FLOW_AGENTS_ROUNDS', 3)
const COUNT_BYTES = 512 * 1024 * 1024
/** each path's warm-up download before the rounds, not measured: the counter's WASM is tiered up after some thousand calls (~2,000 frames each end) */
const WARM_UP_BYTES = 128 * 1024 * 1024

function listen(server: Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)))
}

/** bytes the source sends on its next connection (one download at a time) */
let sourceBytes = TRANSFER_BYTES

/** a source that sends `sourceBytes` on each connection, then ends */
function source(): Server {
  const chunk = Buffer.alloc(1024 * 1024, 7)
  return createServer((s) => {
    let left = sourceBytes
    const pump = () => {
      while (left > 0) {
        left -= chunk.length
        if (!s.write(chunk)) return void s.once('drain', pump)
      }
      s.end()
    }
    s.on('error', () => {})
    pump()
  })
}

/** One transfer's figures: wall-clock MB/s and the CPU time per GB (user + system) of every process involved. */
interface Transfer {
  mbPerSec: number
  cpuMsPerGb: number
}

/** µs of CPU time used so far by the processes a transfer runs in */
type CpuProbe = () => Promise<number>

const ownCpu: CpuProbe = () => {
  const c = process.cpuUsage()
  return Promise.resolve(c.user + c.system)
}

/** one `bytes` download from a socket `open` gives (after any handshake; paused or not read yet), timed and CPU-metered */
async function transfer(open: () => Promise<Socket>, cpu: CpuProbe, bytes = TRANSFER_BYTES): Promise<Transfer> {
  sourceBytes = bytes
  const s = await open()
  const cpuBefore = await cpu()
  const t = performance.now()
  let got = 0
  await new Promise<void>((resolve, reject) => {
    s.on('data', (c: Buffer) => (got += c.length))
    s.on('end', () => resolve())
    s.on('error', reject)
    s.resume()
  })
  const ms = performance.now() - t
  const used = (await cpu()) - cpuBefore
  if (got !== bytes) throw new Error(`bench/flowAgents: got ${got} of ${bytes} bytes`)
  return { mbPerSec: bytes / 1e6 / (ms / 1000), cpuMsPerGb: used / 1000 / (bytes / 1e9) }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** a SOCKS5 CONNECT to 127.0.0.1:`target` through the endpoint on `port`; resolves once the stream is open, paused */
function socks(port: number, target: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff)))
    let head = Buffer.alloc(0)
    const onData = (c: Buffer) => {
      head = Buffer.concat([head, c])
      if (head.length < 12) return
      s.off('data', onData)
      if (head[3] !== 0) return reject(new Error(`SOCKS reply ${head[3]}`))
      // paused until the transfer listens (it reads the CPU probes first)
      s.pause()
      if (head.length > 12) s.unshift(head.subarray(12))
      resolve(s)
    }
    s.on('data', onData)
    s.on('error', reject)
  })
}

/**
 * A bare relay of the agents' shape in this thread — client → hop 1 → hop 2 → source, each hop
 * a `pipe` both ways, no framing, no counting: the socket work any two-hop proxy pays, the floor
 * of the in-thread figure.
 */
async function bareRelay(srcPort: number): Promise<{ port: number; close(): void }> {
  const two = await startHop(srcPort)
  const one = await startHop(two.port)
  return { port: one.port, close: () => void (one.stop(), two.stop()) }
}

/** an agent in a process of its own (flowAgentsChild.ts), as `nfc flow provide|consume` runs */
class ChildAgent {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static start(args: string[]): Promise<ChildAgent> {
    // no bench flags: the agent runs with node's defaults, as the nfc command does
    const child = fork(new URL('./flowAgentsChild.js', import.meta.url), args, { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return new Promise((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`bench/flowAgents: the ${args[0]} agent exited (${code}) before it listened`)))
      child.once('message', (m: { port: number }) => resolve(new ChildAgent(child, m.port)))
    })
  }

  cpu(): Promise<number> {
    return new Promise((resolve) => {
      this.child.once('message', (m: { cpu: number }) => resolve(m.cpu))
      this.child.send('cpu')
    })
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit')
      this.child.once('exit', () => resolve())
      this.child.send('stop')
    })
  }
}

async function throughput(): Promise<void> {
  const src = source()
  const srcPort = await listen(src)
  const provider = await ChildAgent.start(['provider'])
  const consumer = await ChildAgent.start(['consumer', String(provider.port)])
  const inProvider = await startProvider()
  const inConsumer = await startConsumer(inProvider.port)
  const relay = await bareRelay(srcPort)
  // the same bare relay with each hop in a process of its own, as the agents run: what relaying alone costs in that set-up
  const hop2 = await ChildAgent.start(['hop', String(srcPort)])
  const hop1 = await ChildAgent.start(['hop', String(hop2.port)])
  const hopsCpu: CpuProbe = async () => (await ownCpu()) + (await hop1.cpu()) + (await hop2.cpu())
  const hopped = () =>
    new Promise<Socket>((r) => {
      const s = connect({ host: '127.0.0.1', port: hop1.port }, () => r(s))
    })
  const relayed = () =>
    new Promise<Socket>((r) => {
      const s = connect({ host: '127.0.0.1', port: relay.port }, () => r(s))
    })
  const allCpu: CpuProbe = async () => (await ownCpu()) + (await provider.cpu()) + (await consumer.cpu())
  const straight = () =>
    new Promise<Socket>((r) => {
      const s = connect({ host: '127.0.0.1', port: srcPort }, () => r(s))
    })
  const directs: Transfer[] = []
  const agents: Transfer[] = []
  const inProcess: Transfer[] = []
  const relays: Transfer[] = []
  const hops: Transfer[] = []
  const mib = TRANSFER_BYTES / 2 ** 20
  const pct = (a: Transfer, d: Transfer) => `${((100 * a.mbPerSec) / d.mbPerSec).toFixed(0)}%`
  const fig = (x: Transfer) => `${x.mbPerSec.toFixed(1)} MB/s (${x.cpuMsPerGb.toFixed(0)} CPU ms/GB)`
  try {
    progress(`flowAgents: warm-up, ${WARM_UP_BYTES / 2 ** 20} MiB each way`)
    await transfer(straight, ownCpu, WARM_UP_BYTES)
    await transfer(() => socks(consumer.port, srcPort), allCpu, WARM_UP_BYTES)
    await transfer(() => socks(inConsumer.port, srcPort), ownCpu, WARM_UP_BYTES)
    await transfer(relayed, ownCpu, WARM_UP_BYTES)
    await transfer(hopped, hopsCpu, WARM_UP_BYTES)
    for (let i = 1; i <= ROUNDS; i++) {
      progress(`flowAgents: round ${i}/${ROUNDS}: ${mib} MiB direct`)
      const d = await transfer(straight, ownCpu)
      progress(`flowAgents: round ${i}/${ROUNDS}: ${mib} MiB through the agents, each in its own process`)
      const a = await transfer(() => socks(consumer.port, srcPort), allCpu)
      progress(`flowAgents: round ${i}/${ROUNDS}: ${mib} MiB through the agents, both in the bench's thread`)
      const p = await transfer(() => socks(inConsumer.port, srcPort), ownCpu)
      progress(`flowAgents: round ${i}/${ROUNDS}: ${mib} MiB through a bare two-hop relay in the bench's thread`)
      const b = await transfer(relayed, ownCpu)
      progress(`flowAgents: round ${i}/${ROUNDS}: ${mib} MiB through a bare two-hop relay, each hop in its own process`)
      const h = await transfer(hopped, hopsCpu)
      directs.push(d)
      agents.push(a)
      inProcess.push(p)
      relays.push(b)
      hops.push(h)
      process.stdout.write(
        `  round ${i}/${ROUNDS}: direct ${fig(d)}; agents in their own processes ${fig(a)}: ${pct(a, d)} of direct; ` +
          `agents in the bench's thread ${fig(p)}: ${pct(p, d)}; bare two-hop relay in the bench's thread ${fig(b)}: ${pct(b, d)}; ` +
          `bare two-hop relay, a process per hop ${fig(h)}: ${pct(h, d)}\n`,
      )
    }
  } finally {
    await inConsumer.stop()
    await inProvider.stop()
    await consumer.stop()
    await provider.stop()
    await hop1.stop()
    await hop2.stop()
    relay.close()
    src.close()
  }
  const direct = median(directs.map((d) => d.mbPerSec))
  const ratio = median(agents.map((a, i) => a.mbPerSec / directs[i]!.mbPerSec))
  const inRatio = median(inProcess.map((a, i) => a.mbPerSec / directs[i]!.mbPerSec))
  const relayRatio = median(relays.map((a, i) => a.mbPerSec / directs[i]!.mbPerSec))
  const hopRatio = median(hops.map((a, i) => a.mbPerSec / directs[i]!.mbPerSec))
  row({
    name: `${mib} MiB through consume → provide (SOCKS5), each agent in its own process, median of ${ROUNDS}`,
    value: direct * ratio,
    unit: 'MB/s',
    baseline: { name: 'direct TCP on loopback', value: direct },
    target: '≥ 50% of direct',
    met: ratio >= 0.5,
  })
  row({
    name: `${mib} MiB through a bare two-hop relay (pipe), a process per hop (relaying alone, the agents' set-up), median of ${ROUNDS}`,
    value: direct * hopRatio,
    unit: 'MB/s',
    baseline: { name: 'direct TCP on loopback', value: direct },
  })
  row({
    name: `${mib} MiB through the agents, both in the bench's thread (3 connections on one thread), median of ${ROUNDS}`,
    value: direct * inRatio,
    unit: 'MB/s',
    baseline: { name: 'direct TCP on loopback', value: direct },
  })
  // the source and the client are the bench's in every case: what the agents add is the difference
  const directCpu = median(directs.map((d) => d.cpuMsPerGb))
  const agentsCpu = median(agents.map((a) => a.cpuMsPerGb))
  const inCpu = median(inProcess.map((a) => a.cpuMsPerGb))
  const relayCpu = median(relays.map((a) => a.cpuMsPerGb))
  row({
    name: `CPU through the agents, all 3 processes (agents' own: ${(agentsCpu - directCpu).toFixed(0)} CPU ms per GB; in the bench's thread: ${(inCpu - directCpu).toFixed(0)})`,
    value: 1000 / agentsCpu,
    unit: 'GB/cpu-s',
    baseline: { name: 'direct TCP, same process', value: 1000 / directCpu },
  })
  row({
    name: `CPU through the agents in the bench's thread (a bare two-hop relay's own: ${(relayCpu - directCpu).toFixed(0)} CPU ms per GB)`,
    value: 1000 / inCpu,
    unit: 'GB/cpu-s',
    baseline: { name: "bare two-hop relay (pipe), the bench's thread", value: 1000 / relayCpu },
  })
  summary.push(
    `agents ${(direct * ratio).toFixed(0)} MB/s = ${(100 * ratio).toFixed(0)}% of direct ${direct.toFixed(0)} MB/s ` +
      `(target ≥ 50%: ${ratio >= 0.5 ? 'met' : 'MISSED'}; a bare two-hop relay with a process per hop ${(100 * hopRatio).toFixed(0)}%, the agents ${((100 * ratio) / hopRatio).toFixed(0)}% of it; in the bench's thread ${(100 * inRatio).toFixed(0)}%, a bare two-hop relay there ${(100 * relayRatio).toFixed(0)}%); ` +
      `the agents' own CPU ${(agentsCpu - directCpu).toFixed(0)} ms per GB`,
  )
}

/** the group's one-line summary, printed at its end */
const summary: string[] = []

function counting(): void {
  const payload = Buffer.alloc(MAX_PAYLOAD_BYTES, 3)
  const sample = { seed: new Uint8Array(32).fill(1), rate: Math.floor(2 ** 32 / 64), sliceLen: 64 }
  let state = initialCounterState()
  let seq = 0
  const rounds = COUNT_BYTES / MAX_PAYLOAD_BYTES
  progress(`flowAgents: counting ${COUNT_BYTES / 2 ** 20} MiB of 64 KiB frames`)
  // as the link counts what it sends: the frame's head and its payload, as two parts
  const count = () => (state = core.countPackets([encodeFrameHead(seq++, FrameKind.DATA, 1, undefined, payload.length), payload], state, sample).state)
  for (let i = 0; i < rounds / 2; i++) count() // warm-up, not measured: the WASM is tiered up after some thousand calls
  state = initialCounterState()
  const before = process.cpuUsage()
  for (let i = 0; i < rounds; i++) count()
  const used = process.cpuUsage(before)
  if (state.payloadBytes !== BigInt(COUNT_BYTES)) throw new Error(`bench/flowAgents: counted ${state.payloadBytes} of ${COUNT_BYTES} bytes`)
  const countMsPerGb = (used.user + used.system) / 1000 / (COUNT_BYTES / 1e9)
  progress(`flowAgents: sha256 over the same ${COUNT_BYTES / 2 ** 20} MiB`)
  const frames = Array.from({ length: 16 }, (_, i) => Buffer.concat([encodeFrameHead(i, FrameKind.DATA, 1, undefined, payload.length), payload]))
  for (let i = 0; i < rounds / 8; i++)
    createHash('sha256')
      .update(frames[i % frames.length]!)
      .digest()
  const shaBefore = process.cpuUsage()
  for (let i = 0; i < rounds; i++)
    createHash('sha256')
      .update(frames[i % frames.length]!)
      .digest()
  const shaUsed = process.cpuUsage(shaBefore)
  const shaMsPerGb = (shaUsed.user + shaUsed.system) / 1000 / (COUNT_BYTES / 1e9)
  row({
    name: `counting 64 KiB frames (${countMsPerGb.toFixed(0)} CPU ms/GB; sha256 ${shaMsPerGb.toFixed(0)})`,
    value: 1000 / countMsPerGb,
    unit: 'GB/cpu-s',
    baseline: { name: 'node:crypto sha256, same bytes', value: 1000 / shaMsPerGb },
  })
  summary.push(`counting ${countMsPerGb.toFixed(0)} CPU ms per GB (sha256 ${shaMsPerGb.toFixed(0)})`)
}

export async function run(): Promise<void> {
  summary.length = 0
  counting()
  await throughput()
  process.stdout.write(`flowAgents summary: ${summary.join('; ')}\n`)
}
