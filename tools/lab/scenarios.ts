/**
 * The lab's scenarios, ported from the real-process network tests (test/e2e/network): a healthy
 * run on impaired links, a 2/2 partition and its heal, a witness killed with -9 and restarted,
 * a stranger sending invalid blocks (badPeer.test.ts).
 * Each returns its checks (the outcome: what must hold whatever the timing) and its figures:
 * finality lag in block intervals (slot start → the block seen final on a node, polled every
 * 100 ms over the management plane), wire bytes per block, blocks made, missed slots.
 */
import { BLOCK_INTERVAL_MS, type Lab } from './lab.js'

const POLL_MS = 100
const WAIT_POLL_MS = 250
/** after a partition, confirmations already in flight may still finalize a block or two */
const PARTITION_SETTLE_MS = 3000
const HEAL_TIMEOUT_MS = 90_000
const CATCH_UP_TIMEOUT_MS = 90_000
const GENESIS_TIMEOUT_MS = 60_000

/** One outcome a scenario asserts. */
export interface Check {
  what: string
  ok: boolean
}

/** A scenario's outcome and figures. */
export interface ScenarioResult {
  name: string
  checks: Check[]
  /** finality lag, block intervals (slot start → seen final), over the nodes that stayed up */
  lagMedian: number
  lagMax: number
  lagSamples: number
  blocks: number
  /** wire bytes per block: every host's sent bytes summed (each byte once), and per node (sent + received) */
  bytesPerBlockTotal: number
  bytesPerBlockPerNode: number[]
  missedSlots: number
  durationMs: number
}

interface Finalized {
  number: number
  hash: string
  head: number
}

interface LagSample {
  node: number
  at: number
  lagIntervals: number
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `fn` until it returns true; throws `what` after `timeoutMs`. */
export async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await fn().catch(() => false)) return
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(WAIT_POLL_MS)
  }
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * Watches every node's finalized block for the whole run: lag samples per newly final block, and
 * every (node, number, hash) it was told is final, to check later that none was reverted.
 */
export class FinalityObserver {
  readonly samples: LagSample[] = []
  readonly finals = new Map<string, { node: number; number: number; hash: string }>()
  private readonly last: (number | undefined)[]
  private timer: NodeJS.Timeout | undefined
  private polling = false

  constructor(private readonly lab: Lab) {
    this.last = lab.nodes.map(() => undefined)
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), POLL_MS)
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** Forgets node `i`'s last final block (it restarts: its catch-up is not a finality lag). */
  reset(i: number): void {
    this.last[i] = undefined
  }

  private async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    await Promise.all(this.lab.nodes.map((_, i) => this.pollNode(i).catch(() => undefined)))
    this.polling = false
  }

  private async pollNode(i: number): Promise<void> {
    const f = await this.lab.rpc<{ number: string; hash: string; timestamp: string }>(i, 'dpos_getFinalized')
    const at = Date.now()
    const n = Number(f.number)
    if (n > 0) this.finals.set(`${i}:${n}`, { node: i, number: n, hash: f.hash })
    const prev = this.last[i]
    this.last[i] = n
    if (prev === undefined || n <= prev) return
    for (let b = prev + 1; b <= n; b++) {
      // dpos_getFinalized gives the header's timestamp in ms, eth_getBlockByNumber in seconds
      const tsMs =
        b === n
          ? Number(f.timestamp)
          : Number((await this.lab.rpc<{ timestamp: string }>(i, 'eth_getBlockByNumber', [`0x${b.toString(16)}`, false])).timestamp) * 1000
      this.samples.push({ node: i, at, lagIntervals: (at - tsMs) / BLOCK_INTERVAL_MS })
    }
  }
}

async function finalized(lab: Lab, i: number): Promise<Finalized> {
  const f = await lab.rpc<{ number: string; hash: string; head: string }>(i, 'dpos_getFinalized')
  return { number: Number(f.number), hash: f.hash, head: Number(f.head) }
}

export async function hashAt(lab: Lab, i: number, n: number): Promise<string | null> {
  const b = await lab.rpc<{ hash: string } | null>(i, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
  return b?.hash ?? null
}

async function missedSlots(lab: Lab, i: number): Promise<number> {
  const w = await lab.rpc<{ witnesses: ({ missed: string } | null)[] }>(i, 'dpos_getWitnesses')
  return w.witnesses.reduce((sum, x) => sum + (x === null ? 0 : Number(x.missed)), 0)
}

/** Whether `nodes` hold the same block at the highest height all of them have (one chain). */
async function oneChain(lab: Lab, nodes: number[]): Promise<boolean> {
  const heads = await Promise.all(nodes.map(async (i) => (await finalized(lab, i)).head))
  const common = Math.min(...heads) - 1
  if (common < 1) return false
  const hashes = await Promise.all(nodes.map((i) => hashAt(lab, i, common)))
  return hashes[0] !== null && new Set(hashes).size === 1
}

/** What a scenario measures between its start and its end. */
class Window {
  private readonly startAt = Date.now()
  private constructor(
    private readonly lab: Lab,
    private readonly head0: number,
    private readonly missed0: number,
    private readonly bytes0: { sent: bigint; received: bigint }[],
  ) {}

  static async open(lab: Lab, ref: number): Promise<Window> {
    return new Window(lab, (await finalized(lab, ref)).head, await missedSlots(lab, ref), lab.wireBytes())
  }

  /** Closes the window on node `ref`'s chain; `lagNodes`: whose finality lag counts. */
  async close(name: string, checks: Check[], obs: FinalityObserver, ref: number, lagNodes: number[]): Promise<ScenarioResult> {
    const end = Date.now()
    const blocks = (await finalized(this.lab, ref)).head - this.head0
    const missed = (await missedSlots(this.lab, ref)) - this.missed0
    const bytes = this.lab.wireBytes()
    const per = bytes.map((b, i) => Number(b.sent - this.bytes0[i]!.sent + (b.received - this.bytes0[i]!.received)))
    const total = bytes.reduce((s, b, i) => s + Number(b.sent - this.bytes0[i]!.sent), 0)
    const lags = obs.samples.filter((s) => s.at >= this.startAt && s.at <= end && lagNodes.includes(s.node)).map((s) => s.lagIntervals)
    return {
      name,
      checks,
      lagMedian: median(lags),
      lagMax: lags.length > 0 ? Math.max(...lags) : NaN,
      lagSamples: lags.length,
      blocks,
      bytesPerBlockTotal: blocks > 0 ? total / blocks : NaN,
      bytesPerBlockPerNode: per.map((p) => (blocks > 0 ? p / blocks : NaN)),
      missedSlots: missed,
      durationMs: end - this.startAt,
    }
  }
}

const all = (lab: Lab) => lab.nodes.map((_, i) => i)

/** Waits until every node is past genesis and has a final block (the run's warm-up). */
export async function warmUp(lab: Lab, log: (m: string) => void): Promise<void> {
  await waitUntil(
    async () => (await Promise.all(all(lab).map((i) => finalized(lab, i)))).every((f) => f.number >= 1),
    GENESIS_TIMEOUT_MS,
    'a first final block on every node',
  )
  log('every node has a final block')
}

/** Every node runs for `durationMs`: one chain, finality advancing on every node. */
export async function healthy(lab: Lab, obs: FinalityObserver, durationMs: number, log: (m: string) => void): Promise<ScenarioResult> {
  const nodes = all(lab)
  const w = await Window.open(lab, 0)
  const before = await Promise.all(nodes.map((i) => finalized(lab, i)))
  const end = Date.now() + durationMs
  while (Date.now() < end) {
    await sleep(Math.min(5000, end - Date.now()))
    const f = await Promise.all(nodes.map((i) => finalized(lab, i).catch(() => undefined)))
    log(`healthy: heads ${f.map((x) => x?.head ?? '?').join(' ')}, final ${f.map((x) => x?.number ?? '?').join(' ')}`)
  }
  const after = await Promise.all(nodes.map((i) => finalized(lab, i)))
  const checks: Check[] = [
    { what: 'finality advanced on every node', ok: after.every((f, i) => f.number > before[i]!.number) },
    { what: 'one chain on every node', ok: await oneChain(lab, nodes) },
  ]
  return w.close('healthy', checks, obs, 0, nodes)
}

/**
 * The first half of the nodes is cut off from the second for `holdMs`: neither half holds a
 * quorum (with 4: 2 < ⌊8/3⌋+1), so finality stalls on both; healed, the network settles on one
 * chain, finality resumes past the partition, and no node ever reverts a block it called final.
 */
export async function partition(lab: Lab, obs: FinalityObserver, holdMs: number, log: (m: string) => void): Promise<ScenarioResult> {
  const nodes = all(lab)
  const half = Math.floor(nodes.length / 2)
  const groups = [nodes.slice(0, half), nodes.slice(half)]
  const w = await Window.open(lab, 0)
  // blocks made before the cut may still become final during it: their confirmations were signed
  // before it, and reach the other nodes inside the next blocks (or late, over lossy links). The
  // heads are read once the cut is in place: a block made while the rules were being applied (a
  // CI run once saw block 14 made between a reading before the cut and the cut) counts as before
  // it. A block made after the cut cannot gather ⌊2n/3⌋+1 confirmations in either half.
  lab.partition(groups)
  const cutAt = Math.max(...(await Promise.all(nodes.map((i) => finalized(lab, i)))).map((f) => f.head))
  log(`partition: ${groups.map((g) => `{${g.join(',')}}`).join(' | ')} for ${holdMs} ms (highest head at the cut: ${cutAt})`)
  await sleep(PARTITION_SETTLE_MS)
  const settled = await Promise.all(nodes.map((i) => finalized(lab, i)))
  await sleep(Math.max(0, holdMs - PARTITION_SETTLE_MS))
  const held = await Promise.all(nodes.map((i) => finalized(lab, i)))
  log(`partition: heads ${held.map((f) => f.head).join(' ')}, final ${held.map((f) => f.number).join(' ')}`)
  const checks: Check[] = [
    { what: `no block made during the partition became final (final ≤ ${cutAt})`, ok: held.every((f) => f.number <= cutAt) },
    { what: 'both halves kept producing', ok: groups.every((g) => g.some((i) => held[i]!.head > settled[i]!.head)) },
  ]
  lab.heal()
  const target = Math.max(...held.map((f) => f.head)) + 1
  log(`heal: waiting for every node to finalize block ${target}`)
  let resumed = true
  await waitUntil(
    async () => (await Promise.all(nodes.map((i) => finalized(lab, i)))).every((f) => f.number >= target),
    HEAL_TIMEOUT_MS,
    'finality after the heal',
  ).catch(() => (resumed = false))
  checks.push({ what: `finality resumed on every node past the partition (block ${target})`, ok: resumed })
  checks.push({ what: 'one chain after the heal', ok: await oneChain(lab, nodes) })
  checks.push({ what: 'no block any node called final was reverted', ok: await noFinalReverted(lab, obs) })
  return w.close('partition 2/2 + heal', checks, obs, 0, nodes)
}

/** Every (node, number, hash) ever reported final is still that node's block at that height. */
export async function noFinalReverted(lab: Lab, obs: FinalityObserver): Promise<boolean> {
  for (const f of obs.finals.values()) {
    const now = await hashAt(lab, f.node, f.number).catch(() => undefined)
    if (now !== undefined && now !== f.hash) return false
  }
  return true
}

/** The last node is killed with -9 for `downMs`; the others keep finalizing; restarted, it catches up. */
export async function crash(lab: Lab, obs: FinalityObserver, downMs: number, log: (m: string) => void): Promise<ScenarioResult> {
  const nodes = all(lab)
  const victim = nodes.length - 1
  const others = nodes.filter((i) => i !== victim)
  const w = await Window.open(lab, 0)
  await lab.crash(victim)
  obs.reset(victim)
  log(`crash: node ${victim} killed (-9) for ${downMs} ms`)
  const before = await Promise.all(others.map((i) => finalized(lab, i)))
  await sleep(downMs)
  const during = await Promise.all(others.map((i) => finalized(lab, i)))
  const checks: Check[] = [{ what: `the ${others.length} others kept finalizing`, ok: during.every((f, k) => f.number > before[k]!.number) }]
  await lab.startNode(victim)
  const target = Math.max(...during.map((f) => f.head))
  log(`crash: node ${victim} restarted, catching up to ${target}`)
  let caughtUp = true
  await waitUntil(async () => (await finalized(lab, victim)).number >= target, CATCH_UP_TIMEOUT_MS, 'the restarted node to catch up').catch(
    () => (caughtUp = false),
  )
  checks.push({ what: `the restarted node caught up (final ≥ ${target})`, ok: caughtUp })
  checks.push({ what: 'one chain on every node', ok: await oneChain(lab, nodes) })
  checks.push({ what: 'no block any node called final was reverted', ok: await noFinalReverted(lab, obs) })
  return w.close('crash -9 + restart', checks, obs, 0, others)
}

/** tampered blocks the Byzantine peer sends each node at most, and how often */
const BAD_PEER_MAX_INVALID = 20
const BAD_PEER_INTERVAL_MS = 200

/**
 * A stranger (not a witness, its own namespace) sends every node invalid blocks (block 1 with a
 * changed state root: the signature is not the producer's): each node drops it, the witnesses
 * keep one chain and keep finalizing. Whether a reconnect is refused (a ban) is reported.
 */
export async function byzantine(lab: Lab, obs: FinalityObserver, log: (m: string) => void): Promise<ScenarioResult> {
  const nodes = all(lab)
  const w = await Window.open(lab, 0)
  const before = await Promise.all(nodes.map((i) => finalized(lab, i)))
  const chainId = await lab.rpc<string>(0, 'eth_chainId')
  const genesisHash = (await hashAt(lab, 0, 0))!
  log(`byzantine: a stranger sends every node up to ${BAD_PEER_MAX_INVALID} invalid blocks`)
  const reports = await lab.runBadPeer({ chainId, genesisHash, maxInvalid: BAD_PEER_MAX_INVALID, intervalMs: BAD_PEER_INTERVAL_MS })
  for (const r of reports) log(`byzantine: ${r.target}: ${r.invalidSent} invalid sent, dropped: ${r.closed ?? 'no'}, reconnect ${r.reconnect}`)
  const beforeHeads = Math.max(...before.map((f) => f.head))
  let advanced = true
  await waitUntil(
    async () => (await Promise.all(nodes.map((i) => finalized(lab, i)))).every((f) => f.number > beforeHeads),
    HEAL_TIMEOUT_MS,
    'finality past the attack',
  ).catch(() => (advanced = false))
  const checks: Check[] = [
    { what: 'every node was attacked', ok: reports.length === nodes.length && reports.every((r) => r.invalidSent > 0) },
    { what: 'every node dropped the peer sending invalid blocks', ok: reports.every((r) => r.closed !== null) },
    { what: 'finality went on past the attack on every node', ok: advanced },
    { what: 'one chain on every node', ok: await oneChain(lab, nodes) },
    { what: 'no block any node called final was reverted', ok: await noFinalReverted(lab, obs) },
  ]
  return w.close('byzantine: invalid blocks', checks, obs, 0, nodes)
}
