/**
 * The automatic slice audits (DESIGN §12) against the REAL traffic agents (DESIGN §13, issue 19:
 * "a provider that drops its slices is caught by the automatic audit"): a dev chain (`nfc node`,
 * every entry audited, flowAuditBps 10,000), two `nfc flow provide` agents keeping their slices
 * under --data-dir, a `nfc flow consume` agent for each paying through a channel, request/answer
 * traffic through SOCKS5 early in a flow cycle. Once the sessions are receipted and their
 * vouchers redeemed, both provider machines crash (SIGKILL) before that cycle's checkpoint; one
 * comes back with its disk, the other has lost it (its data directory deleted, as an operator
 * whose disk died) and comes back empty. The node's watcher challenges every entry by itself:
 * the provider with its disk answers each opening from the slices it kept and is paid; the one
 * without cannot, its entries are voided when the window ends and it earns nothing.
 *
 * A third consumer makes one short request through the provider that keeps its disk: a session
 * of a few frames down, which at 1 in 64 usually samples nothing by the draw alone. The sampling
 * floor (its first payload frame is always sampled) gives each of its receipts a slice, so its
 * entries too are challenged, answered and paid (docs/decisions.md "Short sessions are
 * auditable"); before, they could not be opened and were voided.
 *
 * Slow tier: 15 s flow cycles and a 20 s challenge window (half of it to answer, for a busy
 * machine) make it over a minute even on an idle machine.
 */
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../src/chain/systemAddresses.js'
import nbAbi from '../../src/execution/system/abi/INB.json' with { type: 'json' }
import { DEV_GENESIS, rpc, spawnCli, startNode, tempDir, waitFor, type CliProcess } from '../helpers/nodeProcess.js'
import { devAddress, devKey } from '../helpers/inProcessNode.js'
import { sendTx, toHex } from '../helpers/flowChain.js'
import { socksConnect, type SocksConn } from '../helpers/socksClient.js'

// 4 agent processes, 2 restarts, a node: about a minute on an idle machine, several on a busy one
t.setTimeout(8 * 60_000)

const nb = new Interface(nbAbi)
const CYCLE_SEC = 15
/** the watcher challenges in the first half, the providers answer in the second (10 s each: a busy machine) */
const CHALLENGE_SEC = 20
/** request/answer round trips of each session (pingPong) */
const ROUNDS = 400
const ROUND_BYTES = 1024
/** the short session's one request (and its echo) */
const SHORT_BYTES = 100

interface Pair {
  name: string
  consumer: { key: Uint8Array; address: string }
  provider: { key: Uint8Array; address: string }
  dataDir: string
  prov?: CliProcess
  cons?: CliProcess
  sessionId?: string
  channelId?: bigint
}

/** `nfc flow provide` for `p`, keeping slices under its data dir; resolves once it listens and advertised */
async function provide(t: Test, url: string, keyFile: string, p: Pair): Promise<CliProcess> {
  const prov = spawnCli(t, ['flow', 'provide', '--key', keyFile, '--listen', '127.0.0.1:0', '--rpc', url, '--pledge', '--data-dir', p.dataDir])
  await prov.line(/advertised tcp:\/\/127\.0\.0\.1:\d+ on chain/, `provider ${p.name} advertised`)
  return prov
}

/** SIGKILL (a machine that dies: no last word, no clean-up), resolved once the process is gone */
async function crash(c: CliProcess): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return
  const gone = new Promise<void>((r) => c.proc.once('close', () => r()))
  c.proc.kill('SIGKILL')
  await gone
}

/** a TCP echo server: every byte back, and its end after the client's */
async function echoServer(t: Test): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {})
    s.pipe(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return (server.address() as AddressInfo).port
}

/**
 * `ROUNDS` request/answer round trips through `conn` to the echo server, each waiting for its
 * echo: each answer is at least one frame of its own from the provider, however busy the machine,
 * so the provider samples (1 in 64) several slices. True when every byte came back in order.
 */
async function pingPong(conn: SocksConn): Promise<boolean> {
  const sent: Buffer[] = []
  const echoed: Buffer[] = []
  let got = 0
  let want = 0
  let wake: (() => void) | null = null
  conn.socket.on('data', (c: Buffer) => {
    echoed.push(c)
    got += c.length
    if (got >= want) wake?.()
  })
  for (let i = 0; i < ROUNDS; i++) {
    const b = randomBytes(ROUND_BYTES)
    sent.push(b)
    want += b.length
    conn.write(b)
    await new Promise<void>((r) => (got >= want ? r() : (wake = r)))
  }
  conn.socket.end()
  await conn.readAll()
  return Buffer.concat(echoed).equals(Buffer.concat(sent))
}

/** the receipts a provider's slice file commits: seq (0x) → how many sampled slices */
function slicesCommitted(dataDir: string, sessionId: string): Map<string, number> {
  const out = new Map<string, number>()
  const file = join(dataDir, 'slices', `${sessionId}.jsonl`)
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue
    const o = JSON.parse(line) as { seq?: string; count?: number }
    if (o.seq !== undefined && o.count !== undefined) out.set(o.seq, o.count)
  }
  return out
}

interface EntryJson {
  sessionId: string
  provider: string
  seq: string
  status: 'live' | 'voided'
  challenge: 'none' | 'open' | 'answered'
}
interface CheckpointJson {
  status: 'pending' | 'applied' | 'voided'
  entries: EntryJson[]
}

t.test('a provider that lost its slices is caught by the automatic audit and unpaid; the one that kept them is paid', async (t) => {
  const dir = tempDir(t)
  const genesisFile = join(dir, 'genesis.json')
  const g = JSON.parse(readFileSync(DEV_GENESIS, 'utf8')) as { timestamp: number; params: Record<string, number> }
  g.timestamp = Math.floor(Date.now() / 1000) * 1000
  g.params.flowCycleSec = CYCLE_SEC
  g.params.flowChallengeSec = CHALLENGE_SEC
  g.params.flowSampleLagBlocks = 1
  g.params.flowAuditBps = 10_000
  writeFileSync(genesisFile, JSON.stringify(g, null, 2))
  const node = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile, extraArgs: ['--rpc-max-lag', '0'] })
  t.teardown(() => node.stop())
  const url = node.url
  const n = { rpc: (m: string, p: unknown[] = []) => rpc(url, m, p) }
  const mined = async (hash: Promise<string>): Promise<{ status: string }> => {
    const h = await hash
    return waitFor(async () => (await rpc(url, 'eth_getTransactionReceipt', [h])) ?? undefined, 60_000, `receipt of ${h}`)
  }

  const pairs: Pair[] = [
    { name: 'kept', consumer: { key: devKey(1), address: devAddress(1) }, provider: { key: devKey(2), address: devAddress(2) }, dataDir: join(dir, 'kept') },
    { name: 'lost', consumer: { key: devKey(4), address: devAddress(4) }, provider: { key: devKey(3), address: devAddress(3) }, dataDir: join(dir, 'lost') },
  ]
  const keyFile = (who: string, key: Uint8Array) => {
    const f = join(dir, `${who}.key`)
    writeFileSync(f, toHex(key))
    return f
  }
  // the short session: a third consumer of the provider that keeps its disk
  const short: Pair = { name: 'short', consumer: { key: devKey(5), address: devAddress(5) }, provider: pairs[0]!.provider, dataDir: pairs[0]!.dataDir }
  const consumers = [...pairs, short]
  const providerKeys = pairs.map((p) => keyFile(`provider-${p.name}`, p.provider.key))
  const consumerKeys = consumers.map((p) => keyFile(`consumer-${p.name}`, p.consumer.key))

  // each consumer's fuel: 1 NFC → 0.1 NB, all of it in a channel its agent opens (--channel-deposit)
  const bought = await Promise.all(consumers.map((p) => mined(sendTx(n, p.consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), NFC))))
  t.same(
    bought.map((r) => r.status),
    ['0x1', '0x1', '0x1'],
    'NB bought',
  )
  await Promise.all(pairs.map(async (p, i) => (p.prov = await provide(t, url, providerKeys[i]!, p))))
  await Promise.all(
    consumers.map(async (p, i) => {
      const cons = spawnCli(t, [
        'flow',
        'consume',
        '--key',
        consumerKeys[i]!,
        '--provider',
        p.provider.address,
        '--listen',
        '127.0.0.1:0',
        '--rpc',
        url,
        '--channel-deposit',
        '0.1',
      ])
      p.cons = cons
      p.sessionId = (await cons.line(/session (0x[0-9a-f]{64})/, `the ${p.name} consumer's session`))[1]
      p.channelId = BigInt((await cons.line(/paying through channel (\d+) to/, `the ${p.name} consumer's channel`))[1]!)
    }),
  )

  // the traffic, early in a fresh cycle, so that the receipts, the vouchers' redeems and the crashes
  // all come before that cycle's checkpoint is even submitted (nothing can be challenged before)
  const cycleNow = async () => BigInt((await rpc(url, 'flow_getSideChain')).cycle)
  const before = await cycleNow()
  const cycle = await waitFor(
    async () => {
      const c = await cycleNow()
      return c > before ? c : undefined
    },
    60_000,
    'a fresh flow cycle',
  )
  const echo = await echoServer(t)
  await Promise.all([
    ...pairs.map(async (p) => {
      const socksPort = Number(/SOCKS5 on 127\.0\.0\.1:(\d+)/.exec(p.cons!.out())![1])
      const conn = await socksConnect(socksPort, '127.0.0.1', echo)
      t.ok(await pingPong(conn), `${p.name}: ${ROUNDS} round trips of ${ROUND_BYTES} bytes through SOCKS5, every byte back in order`)
    }),
    (async () => {
      const socksPort = Number(/SOCKS5 on 127\.0\.0\.1:(\d+)/.exec(short.cons!.out())![1])
      const conn = await socksConnect(socksPort, '127.0.0.1', echo)
      const request = randomBytes(SHORT_BYTES)
      conn.write(request)
      conn.socket.end()
      t.ok((await conn.readAll()).equals(request), `short: one request of ${SHORT_BYTES} bytes through SOCKS5, echoed whole`)
    })(),
  ])
  // the consumers exit: each tunnel's last receipt is co-signed and submitted, the provider redeems the voucher
  for (const p of consumers) t.equal(await p.cons!.stop(), 0, `${p.name}: the consumer exits cleanly`)
  await Promise.all(
    consumers.map((p) =>
      waitFor(
        async () => BigInt((await rpc(url, 'flow_getChannel', [`0x${p.channelId!.toString(16)}`])).redeemed) > 0n,
        60_000,
        `the ${p.name} provider redeemed its voucher`,
      ),
    ),
  )
  // both provider machines die
  await Promise.all(pairs.map((p) => crash(p.prov!)))
  for (const p of pairs) t.comment(`${p.name} provider before the crash:\n${p.prov!.out()}\n${p.name} consumer:\n${p.cons!.out()}`)
  t.comment(`short consumer:\n${short.cons!.out()}`)
  for (const p of consumers) {
    const s = await rpc(url, 'flow_getSession', [p.sessionId])
    t.ok(s !== null && BigInt(s.lastSeq) > 0n, `${p.name}: the session's receipts were accepted (last seq ${s?.lastSeq})`)
  }
  // what each receipt committed to (the disks are still there), and what was answered before the crashes
  const counts = new Map(consumers.map((p) => [p.sessionId!, slicesCommitted(p.dataDir, p.sessionId!)]))
  const answeredBefore = new Set<string>()
  for (const c of [cycle - 1n, cycle, cycle + 1n]) {
    const cp = await rpc<CheckpointJson | null>(url, 'flow_getCheckpoint', [`0x${c.toString(16)}`])
    for (const e of cp?.entries ?? []) if (e.challenge === 'answered') answeredBefore.add(`${e.sessionId.toLowerCase()}:${e.seq}`)
  }

  // one comes back with its disk, the other with an empty one
  const [kept, lost] = pairs as [Pair, Pair]
  rmSync(lost.dataDir, { recursive: true, force: true })
  await Promise.all(pairs.map(async (p, i) => (p.prov = await provide(t, url, providerKeys[i]!, p))))
  t.match(kept.prov!.out(), /slices under \S+: 2 sessions kept for their openings/, 'the provider with its disk has both its sessions back (the short one too)')
  t.match(lost.prov!.out(), /slices under \S+: 0 sessions kept for their openings/, 'the one whose disk died has nothing')

  // the node challenges every entry by itself; wait for the sessions' checkpoints to be applied
  const entriesOf = async (): Promise<{ entries: (EntryJson & { cycle: bigint })[]; applied: boolean }> => {
    const out: (EntryJson & { cycle: bigint })[] = []
    let applied = true
    for (const c of [cycle - 1n, cycle, cycle + 1n, cycle + 2n]) {
      const cp = await rpc<CheckpointJson | null>(url, 'flow_getCheckpoint', [`0x${c.toString(16)}`])
      const ours = (cp?.entries ?? []).filter((e) => consumers.some((p) => e.sessionId.toLowerCase() === p.sessionId))
      if (ours.length > 0 && cp!.status !== 'applied') applied = false
      out.push(...ours.map((e) => ({ ...e, cycle: c })))
    }
    return { entries: out, applied }
  }
  const settled = await waitFor(
    async () => {
      const r = await entriesOf()
      const sessions = new Set(r.entries.map((e) => e.sessionId.toLowerCase()))
      return r.applied && sessions.size === 3 ? r.entries : undefined
    },
    180_000,
    'the checkpoints of the three sessions applied',
    500,
  )
  for (const p of pairs) t.comment(`${p.name} provider after the restart:\n${p.prov!.out()}`)
  const of = (p: Pair) => settled.filter((e) => e.sessionId.toLowerCase() === p.sessionId)
  const count = (e: EntryJson) => counts.get(e.sessionId.toLowerCase())?.get(e.seq) ?? -1
  for (const e of settled) t.comment(`cycle ${e.cycle}: ${e.provider} seq ${BigInt(e.seq)} (${count(e)} slices): ${e.status}, challenge ${e.challenge}`)
  // the sampling floor: every receipt commits to a slice, the short session's too (before, an
  // entry with none could not be opened by anyone and was voided when drawn)
  t.ok(
    settled.every((e) => count(e) > 0),
    'every entry commits to at least one slice',
  )
  t.ok(of(kept).length > 0, `the provider that kept its slices has entries (${of(kept).length})`)
  t.ok(
    of(kept).every((e) => e.challenge === 'answered' && e.status === 'live'),
    'each of them was challenged by the node and answered from the disk after the restart',
  )
  t.ok(
    of(short).length > 0,
    `the short session has entries (${of(short)
      .map((e) => `seq ${BigInt(e.seq)}: ${count(e)} slice(s)`)
      .join(', ')})`,
  )
  t.ok(
    of(short).every((e) => e.challenge === 'answered' && e.status === 'live'),
    'the short session drawn for audit is answered and stays live: not voided',
  )
  t.notOk(
    of(lost).some((e) => answeredBefore.has(`${e.sessionId.toLowerCase()}:${e.seq}`)),
    'none of its entries was answered before it crashed (the traffic was early in a cycle, the crash before its checkpoint)',
  )
  t.ok(of(lost).length > 0, `the provider that lost its slices has entries (${of(lost).length})`)
  t.ok(
    of(lost).every((e) => e.challenge === 'open' && e.status === 'voided'),
    'each of them was challenged by the node, never answered, and voided when the window ended',
  )
  t.ok(
    of(lost).every((e) => e.status === 'voided'),
    'every entry of the provider that lost its slices is voided',
  )

  const earned = async (p: Pair) => {
    const r = await rpc(url, 'flow_getRewards', [p.provider.address])
    return BigInt(r.locked) + BigInt(r.unlocking) + BigInt(r.withdrawable) + BigInt(r.withdrawn)
  }
  t.ok((await earned(kept)) > 0n, `the provider that kept its slices earned ${await earned(kept)} wei`)
  t.equal(await earned(lost), 0n, 'the one that lost them earned nothing')

  for (const p of pairs) t.equal(await p.prov!.stop(), 0, `${p.name}: the restarted provider exits cleanly`)
  t.match(kept.prov!.out(), /slice challenges on its entries: [1-9]\d*, answered [1-9]\d*, voided 0/, "the kept provider's summary counts its answers")
})
