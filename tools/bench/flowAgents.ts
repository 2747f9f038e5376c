/**
 * `flowAgents` group: real TCP traffic through `nfc flow consume` → `nfc flow provide` (the
 * agents in this process, on loopback, with a chain that accepts every receipt) next to the same
 * transfer straight from the source, in the same run (DESIGN §13: target ≥ 50% of direct), over
 * FLOW_AGENTS_ROUNDS pairs (medians), with the process's CPU time per GB of each; and
 * the CPU cost of counting: the packet counter over tunnel frames of 64 KiB payloads, per CPU
 * second, next to node:crypto sha256 over the same bytes.
 */
import { createHash } from 'node:crypto'
import { connect, createServer, type Server } from 'node:net'
import { core, initialCounterState } from '../../src/core/index.js'
import type { SignedReceipt } from '../../src/flow/receipt.js'
import { ConsumerAgent } from '../../src/flowAgent/consumer.js'
import { ProviderAgent } from '../../src/flowAgent/provider.js'
import { encodeFrame, FrameKind, MAX_PAYLOAD_BYTES } from '../../src/flowAgent/tunnel.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { bytesOfHexLoose } from '../../src/util/bytes.js'
import { envInt, progress, row } from './report.js'

/** bytes of each download (direct and through the agents); FLOW_AGENTS_MIB overrides */
const TRANSFER_BYTES = envInt('FLOW_AGENTS_MIB', 256) * 1024 * 1024
/** direct + agents pairs measured; the figures are the medians (the machine is shared: one pair can be unlucky) */
const ROUNDS = envInt('FLOW_AGENTS_ROUNDS', 3)
const COUNT_BYTES = 512 * 1024 * 1024

function listen(server: Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)))
}

/** a source that sends TRANSFER_BYTES on each connection, then ends */
function source(): Server {
  const chunk = Buffer.alloc(1024 * 1024, 7)
  return createServer((s) => {
    let left = TRANSFER_BYTES
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

/** One transfer's figures: wall-clock MB/s and the process's CPU time per GB (user + system). */
interface Transfer {
  mbPerSec: number
  cpuMsPerGb: number
}

/** one TRANSFER_BYTES download from a socket `open` gives (after any handshake), timed and CPU-metered */
async function transfer(open: () => Promise<import('node:net').Socket>): Promise<Transfer> {
  const s = await open()
  const t = performance.now()
  const cpu = process.cpuUsage()
  let got = 0
  await new Promise<void>((resolve, reject) => {
    s.on('data', (c: Buffer) => (got += c.length))
    s.on('end', () => resolve())
    s.on('error', reject)
  })
  const used = process.cpuUsage(cpu)
  if (got !== TRANSFER_BYTES) throw new Error(`bench/flowAgents: got ${got} of ${TRANSFER_BYTES} bytes`)
  return {
    mbPerSec: TRANSFER_BYTES / 1e6 / ((performance.now() - t) / 1000),
    cpuMsPerGb: (used.user + used.system) / 1000 / (TRANSFER_BYTES / 1e9),
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

function socks(port: number, target: number): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff)))
    let head = Buffer.alloc(0)
    const onData = (c: Buffer) => {
      head = Buffer.concat([head, c])
      if (head.length < 12) return
      s.off('data', onData)
      if (head[3] !== 0) return reject(new Error(`SOCKS reply ${head[3]}`))
      s.pause()
      if (head.length > 12) s.unshift(head.subarray(12))
      resolve(s)
      s.resume()
    }
    s.on('data', onData)
    s.on('error', reject)
  })
}

async function throughput(): Promise<void> {
  const src = source()
  const srcPort = await listen(src)
  const key = (i: number) => bytesOfHexLoose(DEV_ACCOUNTS[i]!.privateKey)
  const chain = {
    chainId: 2100n,
    position: () => Promise.resolve({ cycle: 0n, head: 0n }),
    sampleSeed: () => Promise.resolve(new Uint8Array(32).fill(1)),
    submit: (_r: SignedReceipt) => Promise.resolve(null),
    watch: () => {},
  }
  const provider = new ProviderAgent({ key: key(2), host: '127.0.0.1', port: 0, chain })
  const consumer = new ConsumerAgent({
    key: key(1),
    listenHost: '127.0.0.1',
    listenPort: 0,
    providerHost: '127.0.0.1',
    providerPort: await provider.start(),
    chainId: 2100n,
  })
  const socksPort = await consumer.start()
  const directs: Transfer[] = []
  const agents: Transfer[] = []
  const mib = TRANSFER_BYTES / 2 ** 20
  try {
    for (let i = 1; i <= ROUNDS; i++) {
      progress(`flowAgents: round ${i}/${ROUNDS}: ${mib} MiB direct`)
      const d = await transfer(
        () =>
          new Promise((r) => {
            const s = connect({ host: '127.0.0.1', port: srcPort }, () => r(s))
          }),
      )
      progress(`flowAgents: round ${i}/${ROUNDS}: ${mib} MiB through the agents`)
      const a = await transfer(() => socks(socksPort, srcPort))
      directs.push(d)
      agents.push(a)
      process.stdout.write(
        `  round ${i}/${ROUNDS}: direct ${d.mbPerSec.toFixed(1)} MB/s (${d.cpuMsPerGb.toFixed(0)} CPU ms/GB), ` +
          `agents ${a.mbPerSec.toFixed(1)} MB/s (${a.cpuMsPerGb.toFixed(0)} CPU ms/GB): ${((100 * a.mbPerSec) / d.mbPerSec).toFixed(0)}% of direct\n`,
      )
    }
  } finally {
    await consumer.stop()
    await provider.stop()
    src.close()
  }
  const ratio = median(agents.map((a, i) => a.mbPerSec / directs[i]!.mbPerSec))
  const direct = median(directs.map((d) => d.mbPerSec))
  row({
    name: `${mib} MiB through consume → provide (SOCKS5), median of ${ROUNDS}`,
    value: direct * ratio,
    unit: 'MB/s',
    baseline: { name: 'direct TCP on loopback', value: direct },
    target: '≥ 50% of direct',
    met: ratio >= 0.5,
  })
  // the source and the client run in this process too: what the agents add is the difference
  const directCpu = median(directs.map((d) => d.cpuMsPerGb))
  const agentsCpu = median(agents.map((a) => a.cpuMsPerGb))
  row({
    name: `CPU through the agents (agents' own: ${(agentsCpu - directCpu).toFixed(0)} CPU ms per GB)`,
    value: 1000 / agentsCpu,
    unit: 'GB/cpu-s',
    baseline: { name: 'direct TCP, same process', value: 1000 / directCpu },
  })
}

function counting(): void {
  const payload = new Uint8Array(MAX_PAYLOAD_BYTES).fill(3)
  const frames = Array.from({ length: 16 }, (_, i) => encodeFrame(i, FrameKind.DATA, 1, undefined, payload))
  const sample = { seed: new Uint8Array(32).fill(1), rate: Math.floor(2 ** 32 / 64), sliceLen: 64 }
  let state = initialCounterState()
  let seq = 0
  const rounds = COUNT_BYTES / MAX_PAYLOAD_BYTES
  progress(`flowAgents: counting ${COUNT_BYTES / 2 ** 20} MiB of 64 KiB frames`)
  const before = process.cpuUsage()
  for (let i = 0; i < rounds; i++) {
    const f = frames[i % frames.length]!
    new DataView(f.buffer, f.byteOffset).setUint32(4, seq++)
    state = core.countPackets(f, state, sample).state
  }
  const used = process.cpuUsage(before)
  const countGbPerCpuSec = COUNT_BYTES / 1e9 / ((used.user + used.system) / 1e6)
  progress(`flowAgents: sha256 over the same ${COUNT_BYTES / 2 ** 20} MiB`)
  const shaBefore = process.cpuUsage()
  for (let i = 0; i < rounds; i++)
    createHash('sha256')
      .update(frames[i % frames.length]!)
      .digest()
  const shaUsed = process.cpuUsage(shaBefore)
  const shaGbPerCpuSec = COUNT_BYTES / 1e9 / ((shaUsed.user + shaUsed.system) / 1e6)
  row({
    name: `counting 64 KiB frames (${(1000 / countGbPerCpuSec).toFixed(0)} CPU ms/GB; sha256 ${(1000 / shaGbPerCpuSec).toFixed(0)})`,
    value: countGbPerCpuSec,
    unit: 'GB/cpu-s',
    baseline: { name: 'node:crypto sha256, same bytes', value: shaGbPerCpuSec },
  })
}

export async function run(): Promise<void> {
  counting()
  await throughput()
}
