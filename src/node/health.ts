/**
 * The node's health as a load balancer or an orchestrator asks for it (`GET /health`): ok, or
 * not ok with the reasons — the head is stale (older than a few block intervals: production or
 * import stopped), the node is range-syncing (it serves old state), or a networked node has no
 * peers. The dev chain (one node, P2P off by default) does not need peers.
 */

/** the head may be this many block intervals old before the node reports itself stale */
export const HEALTH_STALE_INTERVALS = 5

export interface HealthReport {
  ok: boolean
  /** empty when ok: 'head is stale', 'syncing', 'no peers' */
  reasons: string[]
  head: string
  /** now − the head's timestamp, ms (negative before genesis time) */
  headAgeMs: number
  /** connected peers; null when P2P is off */
  peers: number | null
  syncing: boolean
}

export interface HealthSource {
  readonly head: { header: { number: bigint; timestamp: bigint } }
  now(): number
  syncing(): false | object
  /** null when P2P is off */
  readonly network: { peerCount: number } | null
  readonly chain: { genesis: { params: { blockIntervalMs: number } } }
}

/** `requirePeers`: a node on a network (not the dev chain) is unhealthy without peers */
export function nodeHealth(node: HealthSource, opts: { requirePeers: boolean }): HealthReport {
  const { header } = node.head
  const headAgeMs = node.now() - Number(header.timestamp)
  const peers = node.network === null ? null : node.network.peerCount
  const syncing = node.syncing() !== false
  const reasons: string[] = []
  const staleMs = HEALTH_STALE_INTERVALS * node.chain.genesis.params.blockIntervalMs
  if (headAgeMs > staleMs) reasons.push(`head is stale: block ${header.number} is ${headAgeMs} ms old (more than ${staleMs} ms)`)
  if (syncing) reasons.push('syncing')
  if (opts.requirePeers && peers !== null && peers === 0) reasons.push('no peers')
  return { ok: reasons.length === 0, reasons, head: header.number.toString(), headAgeMs, peers, syncing }
}
