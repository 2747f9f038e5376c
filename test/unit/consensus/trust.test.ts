import t from 'tap'
import { INITIAL_TRUST, REMOVAL_THRESHOLD, TRUST_CONFIRMED, TRUST_PRODUCED, TRUST_VIOLATION } from '../../../src/consensus/dpos/params.js'
import { applyTrust, isBelowRemoval, replaceRemoved, resetOnElection, trustOf, type TrustEvent } from '../../../src/consensus/dpos/trust.js'

const addr = (n: number): string => '0x' + n.toString(16).padStart(40, '0')
const A = addr(1)
const B = addr(2)
const C = addr(3)
const D = addr(4)
const E = addr(5)

t.test('the §4 numbers', async (t) => {
  t.equal(INITIAL_TRUST, 28_800n)
  t.equal(TRUST_VIOLATION, -100n)
  t.equal(TRUST_CONFIRMED, 1n)
  t.equal(TRUST_PRODUCED, 10n)
  t.equal(REMOVAL_THRESHOLD, 10_000n)
})

t.test('applyTrust', async (t) => {
  const s0 = {}
  t.equal(trustOf(s0, A), 28_800n, 'unknown address: initial trust')
  const ev: TrustEvent[] = [
    { kind: 'produced', address: A },
    { kind: 'confirmed', address: B },
    { kind: 'confirmed', address: B },
    { kind: 'violation', address: C },
    { kind: 'produced', address: A.toUpperCase().replace('0X', '0x') },
  ]
  const s1 = applyTrust(s0, ev)
  t.strictSame(s1, { [A]: 28_820n, [B]: 28_802n, [C]: 28_700n })
  t.strictSame(Object.keys(s1), [A, B, C], 'keys sorted')
  t.strictSame(s0, {}, 'input untouched')
  const s2 = applyTrust({ [C]: 50n, [A]: 7n }, [{ kind: 'violation', address: C }])
  t.strictSame(Object.keys(s2), [A, C])
  t.equal(s2[C], -50n, 'no floor: §4 sets none')
  t.strictSame(applyTrust(s1, []), s1)
  t.throws(() => applyTrust(s0, [{ kind: 'bogus' as 'produced', address: A }]), { code: 'DPOS_BAD_ARG' })
  t.throws(() => applyTrust(s0, [{ kind: 'produced', address: '0x12' }]), { code: 'DPOS_BAD_ADDRESS' })
})

t.test('a silent witness falls below 10,000 after 189 missed slots', async (t) => {
  let s = {}
  const miss: TrustEvent = { kind: 'violation', address: A }
  s = applyTrust(s, Array(188).fill(miss))
  t.equal(trustOf(s, A), 10_000n)
  t.notOk(isBelowRemoval(trustOf(s, A)), '10,000 itself stays')
  s = applyTrust(s, [miss])
  t.equal(trustOf(s, A), 9_900n)
  t.ok(isBelowRemoval(trustOf(s, A)))
})

t.test('replaceRemoved: seat filled in place by the next standby', async (t) => {
  const trust = { [A]: 28_800n, [B]: 9_999n, [C]: 10_000n, [D]: 20_000n, [E]: 30_000n }
  const r = replaceRemoved([A, B, C], [D, E], trust)
  t.strictSame(r.witnesses, [A, D, C])
  t.strictSame(r.standby, [E])
  t.strictSame(r.removed, [B])
  t.strictSame(r.promoted, [{ seat: 1, removed: B, by: D }])
  // nothing to remove: unchanged
  const same = replaceRemoved([A, C], [D], trust)
  t.strictSame(same, { witnesses: [A, C], standby: [D], removed: [], promoted: [] })
})

t.test('replaceRemoved: several removals, low-trust standby skipped, standby exhausted', async (t) => {
  const trust = { [A]: 1n, [B]: 9_000n, [C]: 5n, [D]: 9_999n, [E]: 10_000n }
  const r = replaceRemoved([A, B, C], [D, E], trust)
  t.strictSame(r.witnesses, [E, null, null], 'seat order; D (below the threshold) is never promoted')
  t.strictSame(r.standby, [D])
  t.strictSame(r.removed, [A, B, C])
  t.strictSame(
    r.promoted.map((p) => p.by),
    [E, null, null],
  )
  t.strictSame(replaceRemoved([null, A], [], trust).witnesses, [null, null], 'vacant seats stay vacant')
})

t.test('resetOnElection: a removed witness re-elected starts over at 28,800', async (t) => {
  const trust = { [A]: 9_000n, [B]: 31_000n, [C]: 12_000n, [D]: 500n }
  const s = resetOnElection(trust, [A, B, C, E])
  t.equal(s[A], 28_800n, 'removed earlier, re-elected: reset')
  t.equal(s[B], 31_000n, 'kept')
  t.equal(s[C], 12_000n, 'kept (never removed)')
  t.equal(s[D], 500n, 'not elected: unchanged')
  t.equal(s[E], 28_800n, 'new witness: explicit initial trust')
  t.strictSame(Object.keys(s), [A, B, C, D, E])
})
