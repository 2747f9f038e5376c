/**
 * The lab's network: one Linux network namespace per node ("host"), each joined to two bridges in
 * the root namespace by veth pairs:
 *
 * - the data plane (`nfclab-data`, 10.77.0.0/24, no address in the root namespace): P2P only, so
 *   the root-side veth counters are the node's honest wire bytes (Ethernet frames with TCP/IP
 *   headers and retransmissions);
 * - the management plane (`nfclab-mgmt`, 10.78.0.0/24, the bridge holds 10.78.0.254): the lab
 *   reaches each node's JSON-RPC here, so polling does not pollute the data counters.
 *
 * Impairments are applied inside each namespace, on its data interface only: `tc netem` when the
 * kernel has it, otherwise loss with nftables (`numgen random`: the packet is really dropped, TCP
 * really retransmits) and latency ± jitter with the userspace relay of `relay.ts`, placed in the
 * dialer's namespace behind an nftables DNAT (docs/decisions.md, issue 15 — the lab). Partitions
 * are nftables drop rules between address sets.
 *
 * Everything is named with the `nfclab` prefix, so a killed earlier run's leftovers are found and
 * removed (`cleanStale`) without touching anything else on the machine.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'

export const PREFIX = 'nfclab'
export const DATA_BRIDGE = `${PREFIX}-data`
export const MGMT_BRIDGE = `${PREFIX}-mgmt`
export const MGMT_BRIDGE_IP = '10.78.0.254'
/** the data interface's name inside each namespace */
export const DATA_IF = 'data0'
const MGMT_IF = 'mgmt0'
/** nftables table names inside a namespace */
const LOSS_TABLE = `${PREFIX}_loss`
const PARTITION_TABLE = `${PREFIX}_partition`
const RELAY_TABLE = `${PREFIX}_relay`
/** the relay's outgoing sockets bind source ports here (outside the kernel's ephemeral range), so its DNAT skips them */
export const RELAY_SOURCE_PORT_FIRST = 61000
export const RELAY_SOURCE_PORT_LAST = 61999
/** relay listen port for remote node j: RELAY_LISTEN_PORT_BASE + j, on 127.0.0.1 */
export const RELAY_LISTEN_PORT_BASE = 40000
/** the stranger's host index: its data address is 10.77.0.200, out of the witnesses' range (≤ 64 nodes) */
const STRANGER_INDEX = 199

/** One namespace's names and addresses. */
export interface Host {
  index: number
  ns: string
  /** P2P address (data plane) */
  dataIp: string
  /** JSON-RPC address (management plane) */
  mgmtIp: string
  /** the root-side end of the data veth: its counters are this host's wire bytes */
  dataVeth: string
}

/** Link impairments, per direction, on every data link. */
export interface Impairment {
  /** one-way delay added to each direction, ms */
  delayMs: number
  /** ± uniform jitter on the delay, ms */
  jitterMs: number
  /** packets dropped on egress, per mille (10 = 1%) */
  lossPerMille: number
}

export const NO_IMPAIRMENT: Impairment = { delayMs: 0, jitterMs: 0, lossPerMille: 0 }

/** Runs a command, throwing with its stderr when it fails. */
export function sh(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? '').trim() || err.message}`, { cause: e })
  }
}

/** Like `sh`, but a failure is ignored (teardown of what may already be gone). */
function shQuiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' })
  } catch {
    // already gone
  }
}

function nsExec(ns: string, cmd: string, args: string[], input?: string): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], input)
}

export function hostOf(index: number): Host {
  return {
    index,
    ns: `${PREFIX}-${index}`,
    dataIp: `10.77.0.${index + 1}`,
    mgmtIp: `10.78.0.${index + 1}`,
    dataVeth: `${PREFIX}-d${index}`,
  }
}

/** Why the lab cannot run here, or undefined when it can (root, `ip`, `nft`). */
export function unavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux network namespaces'
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the lab needs root (ip netns, nft)'
  for (const [bin, versionFlag] of [
    ['ip', '-V'],
    ['nft', '--version'],
  ] as const) {
    try {
      execFileSync(bin, [versionFlag], { stdio: 'ignore' })
    } catch {
      return `the lab needs \`${bin}\` (apt-get install -y iproute2 nftables)`
    }
  }
  return undefined
}

let netemProbe: boolean | undefined
/** Whether the kernel has the netem qdisc (probed once, on a throwaway namespace's loopback). */
export function hasNetem(): boolean {
  if (netemProbe !== undefined) return netemProbe
  const ns = `${PREFIX}-probe`
  shQuiet('ip', ['netns', 'del', ns])
  sh('ip', ['netns', 'add', ns])
  try {
    nsExec(ns, 'tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'])
    netemProbe = true
  } catch {
    netemProbe = false
  } finally {
    shQuiet('ip', ['netns', 'del', ns])
  }
  return netemProbe
}

/** Removes every namespace and link an earlier run left behind (its processes are killed first). */
export function cleanStale(): string[] {
  const removed: string[] = []
  const namespaces = sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${PREFIX}-`))
  for (const ns of namespaces) {
    killNamespaceProcesses(ns)
    shQuiet('ip', ['netns', 'del', ns])
    removed.push(`netns ${ns}`)
  }
  for (const link of fs.readdirSync('/sys/class/net').filter((n) => n.startsWith(`${PREFIX}-`))) {
    shQuiet('ip', ['link', 'del', link])
    removed.push(`link ${link}`)
  }
  return removed
}

/** SIGKILLs every process still running inside `ns`. */
export function killNamespaceProcesses(ns: string): void {
  let pids: string[]
  try {
    pids = sh('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)
  } catch {
    return
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

function addBridge(name: string, ip?: string): void {
  sh('ip', ['link', 'add', name, 'type', 'bridge'])
  if (ip !== undefined) sh('ip', ['addr', 'add', `${ip}/24`, 'dev', name])
  sh('ip', ['link', 'set', name, 'up'])
}

function addVeth(host: Host, rootSide: string, nsSide: string, bridge: string, ip: string): void {
  sh('ip', ['link', 'add', rootSide, 'type', 'veth', 'peer', 'name', `${rootSide}p`])
  sh('ip', ['link', 'set', `${rootSide}p`, 'netns', host.ns])
  nsExec(host.ns, 'ip', ['link', 'set', `${rootSide}p`, 'name', nsSide])
  nsExec(host.ns, 'ip', ['addr', 'add', `${ip}/24`, 'dev', nsSide])
  nsExec(host.ns, 'ip', ['link', 'set', nsSide, 'up'])
  sh('ip', ['link', 'set', rootSide, 'master', bridge])
  sh('ip', ['link', 'set', rootSide, 'up'])
}

/** Creates the bridges and `n` namespaces (call `cleanStale` first). */
export function createTopology(n: number): Host[] {
  addBridge(DATA_BRIDGE)
  addBridge(MGMT_BRIDGE, MGMT_BRIDGE_IP)
  const hosts: Host[] = []
  for (let i = 0; i < n; i++) {
    const host = hostOf(i)
    sh('ip', ['netns', 'add', host.ns])
    nsExec(host.ns, 'ip', ['link', 'set', 'lo', 'up'])
    addVeth(host, host.dataVeth, DATA_IF, DATA_BRIDGE, host.dataIp)
    addVeth(host, `${PREFIX}-m${i}`, MGMT_IF, MGMT_BRIDGE, host.mgmtIp)
    hosts.push(host)
  }
  return hosts
}

/** The host of a non-witness stranger (the Byzantine peer): its own namespace, data plane only. */
export function createStranger(): Host {
  const host: Host = { index: STRANGER_INDEX, ns: `${PREFIX}-x`, dataIp: `10.77.0.${STRANGER_INDEX + 1}`, mgmtIp: '', dataVeth: `${PREFIX}-dx` }
  sh('ip', ['netns', 'add', host.ns])
  nsExec(host.ns, 'ip', ['link', 'set', 'lo', 'up'])
  addVeth(host, host.dataVeth, DATA_IF, DATA_BRIDGE, host.dataIp)
  return host
}

/** Kills what runs in the namespaces, deletes them (their veths go with them) and the bridges. */
export function destroyTopology(hosts: Host[]): void {
  for (const h of hosts) {
    killNamespaceProcesses(h.ns)
    // deleting a namespace frees its veths later, in the kernel's cleanup work: delete them now
    for (const link of [h.dataVeth, `${PREFIX}-m${h.index}`]) if (fs.existsSync(`/sys/class/net/${link}`)) shQuiet('ip', ['link', 'del', link])
    shQuiet('ip', ['netns', 'del', h.ns])
  }
  shQuiet('ip', ['link', 'del', DATA_BRIDGE])
  shQuiet('ip', ['link', 'del', MGMT_BRIDGE])
}

/** An nftables chain: its hook line and its rules, one a line. */
function chain(name: string, hook: string, rules: string[]): string {
  return `chain ${name} {\n${[`${hook};`, ...rules].join('\n')}\n}`
}

function replaceTable(ns: string, family: string, table: string, body: string | undefined): void {
  const exists = nsExec(ns, 'nft', ['list', 'tables']).includes(`table ${family} ${table}`)
  if (exists) nsExec(ns, 'nft', ['delete', 'table', family, table])
  if (body !== undefined) nsExec(ns, 'nft', ['-f', '-'], `table ${family} ${table} {\n${body}\n}\n`)
}

/** Packet loss on `host`'s data interface egress: nftables `numgen random` (0 removes it). */
export function setLoss(host: Host, perMille: number): void {
  const body =
    perMille > 0 ? chain('out', 'type filter hook output priority 0', [`oifname "${DATA_IF}" numgen random mod 1000 < ${perMille} counter drop`]) : undefined
  replaceTable(host.ns, 'inet', LOSS_TABLE, body)
}

/** netem delay/jitter/loss on `host`'s data interface (only when `hasNetem()`). */
export function setNetem(host: Host, imp: Impairment): void {
  const args = ['delay', `${imp.delayMs}ms`, `${imp.jitterMs}ms`, 'loss', `${imp.lossPerMille / 10}%`]
  nsExec(host.ns, 'tc', ['qdisc', 'replace', 'dev', DATA_IF, 'root', 'netem', ...args])
}

/**
 * Sends `host`'s connections to the other hosts' P2P port through its relay: a DNAT of each
 * remote's address to 127.0.0.1:RELAY_LISTEN_PORT_BASE + j, skipping the relay's own outgoing
 * sockets (source ports RELAY_SOURCE_PORT_FIRST..LAST). `undefined` removes it.
 */
export function setRelayRedirect(host: Host, remotes: Host[] | undefined, p2pPort: number): void {
  if (remotes === undefined) return replaceTable(host.ns, 'ip', RELAY_TABLE, undefined)
  const rules = remotes
    .filter((r) => r.index !== host.index)
    .map(
      (r) =>
        `ip daddr ${r.dataIp} tcp dport ${p2pPort} tcp sport != ${RELAY_SOURCE_PORT_FIRST}-${RELAY_SOURCE_PORT_LAST} dnat to 127.0.0.1:${RELAY_LISTEN_PORT_BASE + r.index}`,
    )
  replaceTable(host.ns, 'ip', RELAY_TABLE, chain('out', 'type nat hook output priority -100', rules))
  // a DNAT to 127.0.0.1 of a packet whose source is the data address needs local routing of 127/8
  nsExec(host.ns, 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.route_localnet=1'])
}

/** Cuts `host` off from `others` (packets both ways dropped); an empty list heals it. */
export function setPartition(host: Host, others: Host[]): void {
  if (others.length === 0) return replaceTable(host.ns, 'inet', PARTITION_TABLE, undefined)
  const set = others.map((o) => o.dataIp).join(', ')
  replaceTable(
    host.ns,
    'inet',
    PARTITION_TABLE,
    chain('out', 'type filter hook output priority -10', [`ip daddr { ${set} } drop`]) +
      '\n' +
      chain('in', 'type filter hook input priority -10', [`ip saddr { ${set} } drop`]),
  )
}

/** Wire bytes through `host`'s data veth so far: sent (by the host) and received. */
export function wireBytes(host: Host): { sent: bigint; received: bigint } {
  const stat = (name: string) => BigInt(fs.readFileSync(`/sys/class/net/${host.dataVeth}/statistics/${name}`, 'utf8').trim())
  // the root-side end: what it receives the host sent
  return { sent: stat('rx_bytes'), received: stat('tx_bytes') }
}
