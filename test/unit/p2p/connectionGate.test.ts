/** The connection gate's rules on a ManualClock (src/p2p/connectionGate.ts): no sockets. */
import t from 'tap'
import { ManualClock } from '../../../src/util/clock.js'
import {
  BanReason,
  ConnectionGate,
  RefuseReason,
  normalizeIp,
  parseAddressRules,
  type GateOptions,
  type AcceptResult,
  type DialResult,
  type GateConnection,
} from '../../../src/p2p/connectionGate.js'

function gate(over: Partial<Omit<GateOptions, 'exempt'>> & { exempt?: string[] } = {}) {
  const clock = new ManualClock()
  const g = new ConnectionGate(
    {
      maxPeers: 6,
      maxPendingInbound: 100,
      maxConnectionsPerIp: 100,
      newConnectionsPerIpPerSecond: 1000,
      newConnectionsPerIpBurst: 1000,
      banMs: 60_000,
      ...over,
      exempt: parseAddressRules(over.exempt ?? []),
    },
    clock,
  )
  return { g, clock }
}

function accepted(r: AcceptResult | DialResult): GateConnection {
  if (!r.ok) throw new Error(`refused: ${r.reason}`)
  return r.conn
}

t.test('IPv4-mapped IPv6 is the IPv4 address; IPv6 in lower case', async (t) => {
  t.equal(normalizeIp('::ffff:1.2.3.4'), '1.2.3.4')
  t.equal(normalizeIp('::FFFF:127.0.0.1'), '127.0.0.1')
  t.equal(normalizeIp('FD00::1'), 'fd00::1')
  t.equal(normalizeIp('10.0.0.1'), '10.0.0.1')
  t.equal(normalizeIp(undefined), '')
  const { g } = gate({ maxConnectionsPerIp: 1 })
  accepted(g.acceptInbound(normalizeIp('::ffff:5.6.7.8')))
  t.match(g.acceptInbound('5.6.7.8'), { ok: false, reason: RefuseReason.PerIp }, 'the mapped and the plain form share one count')
})

t.test('exemption list: addresses and CIDR ranges, both families; bad entries named', async (t) => {
  const { g } = gate({ exempt: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '::ffff:192.168.1.1'] })
  t.ok(g.isExempt('127.0.0.1'))
  t.notOk(g.isExempt('127.0.0.2'), 'one address, not its /8')
  t.notOk(g.isExempt('127.0.1.5'))
  t.ok(g.isExempt('10.200.3.4'))
  t.notOk(g.isExempt('11.0.0.1'))
  t.ok(g.isExempt('::1'))
  t.ok(g.isExempt('fd12::7'))
  t.notOk(g.isExempt('fe80::1'))
  t.ok(g.isExempt('192.168.1.1'), 'a mapped entry is its IPv4 address')
  t.notOk(g.isExempt(''), 'no address is never exempt')
  t.throws(() => parseAddressRules(['localhost']), /"localhost" is not an IP address or CIDR range/)
  t.throws(() => parseAddressRules(['10.0.0.0/33']), /"10.0.0.0\/33" has a bad prefix length/)
  t.throws(() => parseAddressRules(['fd00::/129']), /bad prefix length/)
  t.throws(() => parseAddressRules(['10.0.0.0/8/1']), /not an IP address or CIDR range/)
  t.throws(() => parseAddressRules(['10.0.0.0/x']), /bad prefix length/)
})

t.test('per-address cap on open connections: closing one frees its place; exempt addresses are not capped', async (t) => {
  const { g } = gate({ maxConnectionsPerIp: 2, exempt: ['127.0.0.1'] })
  const a = accepted(g.acceptInbound('1.1.1.1'))
  accepted(g.acceptInbound('1.1.1.1'))
  t.match(g.acceptInbound('1.1.1.1'), { ok: false, reason: RefuseReason.PerIp })
  accepted(g.acceptInbound('1.1.1.2'))
  g.close(a)
  accepted(g.acceptInbound('1.1.1.1'))
  for (let i = 0; i < 10; i++) accepted(g.acceptInbound('127.0.0.1'))
  t.equal(g.stats().refused[RefuseReason.PerIp], 1)
})

t.test('token bucket: a burst, then the refill rate on the clock', async (t) => {
  const { g, clock } = gate({ newConnectionsPerIpBurst: 3, newConnectionsPerIpPerSecond: 2 })
  const open = (ip = '2.2.2.2') => {
    const r = g.acceptInbound(ip)
    if (r.ok) g.close(r.conn)
    return r.ok
  }
  t.same([open(), open(), open(), open()], [true, true, true, false], 'the burst of 3, then refused')
  t.ok(open('2.2.2.3'), 'another address has its own bucket')
  clock.advance(499)
  t.notOk(open(), 'not a whole token back after 499 ms at 2/s')
  clock.advance(1)
  t.ok(open(), 'one token back after 500 ms')
  t.notOk(open())
  clock.advance(60_000)
  t.same([open(), open(), open(), open()], [true, true, true, false], 'refilled to the burst, no more')
  t.equal(g.stats().refused[RefuseReason.Rate], 4)
})

t.test('pending cap: a new connection evicts the oldest pending one of the address holding the most', async (t) => {
  const { g, clock } = gate({ maxPendingInbound: 3 })
  const a1 = accepted(g.acceptInbound('3.3.3.1'))
  clock.advance(1)
  const b1 = accepted(g.acceptInbound('3.3.3.2'))
  clock.advance(1)
  const b2 = accepted(g.acceptInbound('3.3.3.2'))
  clock.advance(1)
  const r = g.acceptInbound('3.3.3.9')
  t.ok(r.ok)
  t.equal(r.ok && r.evicted, b1, 'the oldest of 3.3.3.2 (two pending), not the older a1')
  t.ok(b1.closed)
  // now one each: the oldest overall goes
  const r2 = g.acceptInbound('3.3.3.10')
  t.equal(r2.ok && r2.evicted, a1, 'a tie: the oldest pending connection')
  // an established connection leaves the pending table: never evicted
  g.established(b2)
  const c11 = g.acceptInbound('3.3.3.11')
  t.equal(c11.ok && c11.evicted, undefined, 'a place was free')
  const r3 = g.acceptInbound('3.3.3.12')
  t.equal(r3.ok && r3.evicted, r.ok ? r.conn : undefined, 'the oldest still pending (3.3.3.9), not the older established b2')
  t.notOk(b2.closed)
  t.equal(g.stats().pendingInbound, 3)
  t.equal(g.stats().refused[RefuseReason.PendingEvicted], 3)
  t.equal(g.stats().inboundPeers, 1)
})

t.test('peer table: inbound at most 2/3 of maxPeers, the rest kept for outbound; duplicates take no slot', async (t) => {
  const { g } = gate({ maxPeers: 6 })
  t.equal(g.maxInbound, 4)
  const ins: GateConnection[] = []
  for (let i = 0; i < 4; i++) {
    const c = accepted(g.acceptInbound(`4.4.4.${i}`))
    t.equal(g.admit(c, `in${i}`, false), undefined)
    g.established(c)
    ins.push(c)
  }
  const fifth = accepted(g.acceptInbound('4.4.4.9'))
  t.equal(g.admit(fifth, 'in9', false), RefuseReason.Full, 'the inbound share is full')
  t.equal(g.admit(fifth, 'in0', true), undefined, 'a node already connected may replace its connection')
  for (let i = 0; i < 2; i++) {
    const c = accepted(g.dialOutbound(`5.5.5.${i}`))
    t.equal(g.admit(c, `out${i}`, false), undefined, 'outbound slots are free under an inbound flood')
    g.established(c)
  }
  t.equal(g.admit(accepted(g.dialOutbound('5.5.5.9')), 'out9', false), RefuseReason.Full, 'the whole table is full')
  g.close(ins[0]!)
  t.equal(g.admit(accepted(g.dialOutbound('5.5.5.9')), 'out9', false), undefined, 'a freed inbound slot may go to an outbound peer')
  t.match(g.stats(), { inboundPeers: 3, outboundPeers: 2 })
})

t.test('bans: node id and address until they expire; exempt addresses only by node id', async (t) => {
  const { g, clock } = gate({ exempt: ['127.0.0.1'] })
  t.same(g.ban(BanReason.InvalidBlock, { nodeId: 'n1', ip: '6.6.6.6' }), { nodeId: true, ip: true })
  t.same(g.ban(BanReason.InvalidFrame, { nodeId: 'n2', ip: '127.0.0.1' }), { nodeId: true, ip: false }, 'an exempt address is not banned')
  t.same(g.ban(BanReason.BadHandshake, { ip: '7.7.7.7' }), { nodeId: false, ip: true }, 'an unproven node id is not banned')
  t.match(g.acceptInbound('6.6.6.6'), { ok: false, reason: RefuseReason.Banned }, 'refused at TCP accept')
  t.ok(g.acceptInbound('127.0.0.1').ok)
  const c = accepted(g.acceptInbound('8.8.8.8'))
  t.equal(g.admit(c, 'n2', false), RefuseReason.Banned, 'refused by node id at the handshake')
  t.match(g.stats(), { bannedNodes: 2, bannedIps: 2, bans: { 'invalid-block': 1, 'invalid-frame': 1, 'bad-handshake': 1, 'bad-score': 0 } })
  clock.advance(59_999)
  t.ok(g.isBanned({ ip: '6.6.6.6' }))
  t.ok(g.isBanned({ nodeId: 'n1' }))
  clock.advance(1)
  t.notOk(g.isBanned({ ip: '6.6.6.6' }), 'expired')
  t.notOk(g.isBanned({ nodeId: 'n1' }))
  t.ok(g.acceptInbound('6.6.6.6').ok, 'accepted again')
  t.equal(g.admit(c, 'n2', false), undefined)
  t.match(g.stats(), { bannedNodes: 0, bannedIps: 0, refused: { banned: 2 } })
})

t.test('a handshake timeout counts once; a closed or established connection cannot time out', async (t) => {
  const { g } = gate()
  const a = accepted(g.acceptInbound('9.9.9.1'))
  const b = accepted(g.acceptInbound('9.9.9.2'))
  g.established(b)
  g.timedOut(a)
  g.timedOut(a)
  g.timedOut(b)
  t.match(g.stats(), { pendingInbound: 0, inboundPeers: 1, refused: { 'handshake-timeout': 1 } })
})

t.test('a banned address is not dialed (counted as banned) until its ban expires; an exempt one always is', async (t) => {
  const { g, clock } = gate({ exempt: ['127.0.0.1'] })
  g.ban(BanReason.InvalidFrame, { ip: '6.6.6.6' })
  g.ban(BanReason.InvalidFrame, { nodeId: 'n1', ip: '127.0.0.1' })
  t.same(g.dialOutbound('6.6.6.6'), { ok: false, reason: RefuseReason.Banned })
  t.ok(g.dialOutbound('127.0.0.1').ok, 'exempt addresses are never banned')
  t.ok(g.dialOutbound('6.6.6.7').ok)
  t.match(g.stats(), { refused: { banned: 1 } })
  clock.advance(60_000)
  t.ok(g.dialOutbound('6.6.6.6').ok, 'dialed again once the ban expired')
})

t.test('over the handshake budget: counted once, frees the pending place; not for an established or closed connection', async (t) => {
  const { g } = gate()
  const a = accepted(g.acceptInbound('9.9.9.1'))
  const b = accepted(g.acceptInbound('9.9.9.2'))
  const out = accepted(g.dialOutbound('9.9.9.3'))
  g.established(b)
  g.overBudget(a)
  g.overBudget(a)
  g.overBudget(b)
  g.overBudget(out)
  t.ok(a.closed && out.closed)
  t.notOk(b.closed, 'an established connection is not cut by the budget')
  t.match(g.stats(), { pendingInbound: 0, inboundPeers: 1, outboundPeers: 0, refused: { 'handshake-oversize': 2 } })
})
