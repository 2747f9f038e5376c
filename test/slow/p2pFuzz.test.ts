/**
 * The P2P fuzzer (tools/fuzz/p2pFuzz.ts) against a real witness process, with a fixed seed, as
 * CI runs it (issue 15): ≥ 10,000 random and mutated frames and handshakes from many loopback
 * source addresses. The node is the only witness, so every slot is its own:
 *
 * - it misses none of them (/metrics nfc_producer_missed_slots_total unchanged) and keeps answering
 *   JSON-RPC (after every batch, and a side client polling all along is always served);
 * - no hostile case is left open by the node (bad frames, bad Hellos, text messages are dropped);
 * - its RSS grows by at most MEMORY_BOUND_MB;
 * - afterwards a legitimate follower node process (from 127.0.0.1) connects and syncs to its head.
 *
 * Then the compiled CLI is run briefly, as a user would.
 */
import path from 'node:path'
import t from 'tap'
import { memoryOf } from '../../tools/fuzz/fuzzKit.js'
import { CASE_KINDS, formatP2pSummary, runP2pFuzz } from '../../tools/fuzz/p2pFuzz.js'
import { REPO_ROOT, rpc, runScript, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'
import { freePort, headOf } from '../helpers/devnetProcess.js'
import { slotCounts, startLoneWitness, type LoneWitness } from '../helpers/loneWitness.js'

const SEED = 20_261_205
const COUNT = Number(process.env.NFC_P2P_FUZZ_COUNT ?? 10_000)

/**
 * The bound on the node's RSS growth over the run (VmRSS after − before), in MiB. What a stranger
 * can make the node hold is bounded by its limits: ≤ 16 pending handshakes, ≤ 50 peers, each
 * connection with at most one WebSocket message in assembly, and the fuzzer keeps 24 connections
 * in flight. GC lag and V8's heap growth on top make +150 MiB a generous bound; a leak per
 * connection (thousands of connections) would pass it.
 */
const MEMORY_BOUND_MB = 150

t.setTimeout(600_000)

let dir: string
let w: LoneWitness
t.before(async () => {
  dir = tempDir(t, 'nfc-p2pfuzz-')
  w = await startLoneWitness(t, dir)
})

t.test(`${COUNT} fuzzed P2P items (seed ${SEED}) at a lone witness`, async (t) => {
  const { node } = w
  const pid = node.proc.pid!
  const before = await slotCounts(node.url)
  const headBefore = await headOf(node.url)
  const rssBefore = memoryOf(pid)!.rssKb

  // a well-behaved JSON-RPC client polls all along: it must be served throughout
  let stop = false
  const side = { ok: 0, failed: 0 }
  const sideLoop = (async () => {
    while (!stop) {
      try {
        if ((await rpc<string>(node.url, 'eth_chainId')) === '0x834') side.ok++
        else side.failed++
      } catch {
        side.failed++
      }
      // pacing, not a wait: one probe every 250 ms for as long as the fuzzer runs
      await new Promise((r) => setTimeout(r, 250))
    }
  })()
  let summary
  try {
    summary = await runP2pFuzz({
      url: w.p2pUrl,
      chainId: w.chainId,
      genesisHash: w.genesisHash,
      count: COUNT,
      seed: SEED,
      rpcUrl: node.url,
      pid,
      log: (l) => t.comment(l),
    })
  } finally {
    stop = true
    await sideLoop
  }
  t.comment(formatP2pSummary(summary))

  t.ok(summary.sent >= COUNT, `${summary.sent} items sent (≥ ${COUNT}) over ${summary.connections} connections`)
  for (const kind of CASE_KINDS) t.ok(summary.byKind[kind]!.items > 0, `case kind ${kind} was exercised`)
  const sessions = summary.byKind.session!
  t.ok(sessions.items > sessions.connections * 2, 'sessions got through the handshake and sent frames after it (not just refusals)')
  for (const kind of ['ws-text', 'ws-garbage', 'frame', 'hello'] as const) {
    const k = summary.byKind[kind]!
    t.equal(
      k.open,
      0,
      `${kind}: the node dropped every such connection, by its handshake deadline at the latest (${k.disconnected} dropped, ${k.refused} refused)`,
    )
    t.ok(k.disconnected > 0, `${kind}: reached the node's real code, not only refusals`)
  }
  t.equal(summary.livenessFailures, 0, `eth_blockNumber answered after each of ${summary.livenessChecks} batches`)
  t.equal(side.failed, 0, `the side RPC client was always served (${side.ok} calls)`)
  t.equal(node.proc.exitCode, null, 'the node is still running')

  const headAfter = await headOf(node.url)
  const after = await slotCounts(node.url)
  const own = after.own - before.own
  const missed = after.missed - before.missed
  t.ok(headAfter > headBefore && own > 0, `the witness kept producing (head ${headBefore} → ${headAfter}, ${own} own slots)`)
  t.equal(missed, 0, `no own slot missed of ${own}`)

  const rssAfter = memoryOf(pid)!.rssKb
  const growthMb = (rssAfter - rssBefore) / 1024
  t.comment(`node RSS ${(rssBefore / 1024).toFixed(1)} → ${(rssAfter / 1024).toFixed(1)} MiB (bound +${MEMORY_BOUND_MB} MiB)`)
  t.ok(growthMb <= MEMORY_BOUND_MB, `RSS growth ${growthMb.toFixed(1)} MiB ≤ ${MEMORY_BOUND_MB} MiB`)

  // a legitimate peer from 127.0.0.1 is still accepted and syncs to the head
  const follower = await startNode({
    dev: false,
    datadir: path.join(dir, 'follower'),
    genesis: w.genesisFile,
    extraArgs: ['--p2p', `127.0.0.1:${await freePort()}`, '--peers', w.p2pUrl],
  })
  t.teardown(() => follower.stop().catch(() => follower.kill('SIGKILL')))
  const target = await headOf(node.url)
  await waitFor(async () => (await headOf(follower.url)) >= target, 60_000, `the follower syncs to block ${target}`)
  const hash = (n: number) => rpc<{ hash: string }>(node.url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
  const theirs = await rpc<{ hash: string }>(follower.url, 'eth_getBlockByNumber', [`0x${target.toString(16)}`, false])
  t.equal(theirs.hash, (await hash(target)).hash, `a follower started after the fuzzing synced to the witness's block ${target}`)
})

t.test('the CLI: node dist/tools/fuzz/p2pFuzz.js', async (t) => {
  const script = path.join(REPO_ROOT, 'dist/tools/fuzz/p2pFuzz.js')
  const run = (args: string[]) => runScript(script, args)
  const genesis = `0x${Buffer.from(w.genesisHash).toString('hex')}`
  const res = await run([
    '--url',
    w.p2pUrl,
    '--chain-id',
    String(w.chainId),
    '--genesis',
    genesis,
    '--rpc',
    w.node.url,
    '--count',
    '200',
    '--seed',
    '7',
    '--json',
  ])
  if (res.code !== 0) t.comment(res.out, res.err)
  t.equal(res.code, 0, 'exit code 0')
  t.match(res.err, /\[p2pfuzz\] \d+\/200 items, \d+ connections, .* alive=yes/, 'a progress line per batch')
  t.match(res.out, /\[p2pfuzz\] summary: seed=7 items=\d+/)
  const json = JSON.parse(res.out.trim().split('\n').pop()!)
  t.ok(json.sent >= 200)
  t.equal(json.livenessFailures, 0)

  const usage = await run(['--count', '5'])
  t.equal(usage.code, 2, 'no --url: usage error')
  t.match(usage.err, /--url ws:\/\/HOST:PORT is required/)
  const badGenesis = await run(['--url', 'ws://127.0.0.1:1', '--chain-id', '1', '--genesis', '0x12'])
  t.equal(badGenesis.code, 2)
  t.match(badGenesis.err, /--genesis must be a 0x-prefixed 32-byte hash/)
})
