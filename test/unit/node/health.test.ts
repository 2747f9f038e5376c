/** The node's /health report: stale head, syncing, and peers only where a network needs them. */
import t from 'tap'
import { HEALTH_STALE_INTERVALS, nodeHealth, type HealthSource } from '../../../src/node/health.js'

const INTERVAL = 1000
function source(o: { headTime: number; now: number; syncing?: boolean; peers?: number | null }): HealthSource {
  return {
    head: { header: { number: 42n, timestamp: BigInt(o.headTime) } },
    now: () => o.now,
    syncing: () => (o.syncing === true ? { startingBlock: 0n } : false),
    network: o.peers === null || o.peers === undefined ? null : { peerCount: o.peers },
    chain: { genesis: { params: { blockIntervalMs: INTERVAL } } },
  }
}

t.test('a producing node with peers is ok', async (t) => {
  const r = nodeHealth(source({ headTime: 10_000, now: 10_900, peers: 4 }), { requirePeers: true })
  t.same(r, { ok: true, reasons: [], head: '42', headAgeMs: 900, peers: 4, syncing: false })
})

t.test('a head older than the stale bound is reported, at the bound it is not', async (t) => {
  const bound = HEALTH_STALE_INTERVALS * INTERVAL
  t.ok(nodeHealth(source({ headTime: 0, now: bound }), { requirePeers: false }).ok, 'exactly at the bound: still ok')
  const r = nodeHealth(source({ headTime: 0, now: bound + 1 }), { requirePeers: false })
  t.equal(r.ok, false)
  t.match(r.reasons, [/^head is stale: block 42 is 5001 ms old/])
  t.ok(nodeHealth(source({ headTime: 60_000, now: 1_000 }), { requirePeers: false }).ok, 'before genesis time (negative age): ok')
})

t.test('syncing, and no peers where peers are required', async (t) => {
  t.same(nodeHealth(source({ headTime: 0, now: 100, syncing: true, peers: 2 }), { requirePeers: true }).reasons, ['syncing'])
  t.same(nodeHealth(source({ headTime: 0, now: 100, peers: 0 }), { requirePeers: true }).reasons, ['no peers'])
  t.ok(nodeHealth(source({ headTime: 0, now: 100, peers: 0 }), { requirePeers: false }).ok, 'the dev chain needs no peers')
  t.ok(nodeHealth(source({ headTime: 0, now: 100, peers: null }), { requirePeers: true }).ok, 'P2P off: there is nothing to require')
})
