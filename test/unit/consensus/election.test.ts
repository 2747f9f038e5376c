import t from 'tap'
import {
  compareCandidates,
  cycleOf,
  elect,
  isCycleBoundary,
  isLastBlockOfCycle,
  normalizeAddress,
  rankCandidates,
  type Candidate,
} from '../../../src/consensus/dpos/election.js'
import { CYCLE_BLOCKS, INITIAL_TRUST, WITNESSES_PER_ROUND } from '../../../src/consensus/dpos/params.js'

const addr = (n: number): string => '0x' + n.toString(16).padStart(40, '0')
const cand = (n: number, votes: bigint, trust = INITIAL_TRUST, eligible = true): Candidate => ({ address: addr(n), votes, trust, eligible })

t.test('ranking: votes desc, then trust desc, then address asc', async (t) => {
  const cs = [cand(1, 100n), cand(2, 300n), cand(3, 200n, 10n), cand(4, 200n, 20n), cand(6, 50n), cand(5, 50n)]
  const r = elect(cs, 3)
  t.strictSame(r.witnesses, [addr(2), addr(4), addr(3)])
  t.strictSame(r.standby, [addr(1), addr(5), addr(6)])
  t.strictSame(elect([...cs].reverse(), 3), r, 'input order does not matter')
  t.ok(compareCandidates(cand(1, 2n), cand(2, 1n)) < 0)
  t.ok(compareCandidates(cand(1, 1n, 5n), cand(2, 1n, 6n)) > 0)
  t.ok(compareCandidates(cand(1, 1n), cand(2, 1n)) < 0)
  t.equal(compareCandidates(cand(1, 1n), cand(1, 1n)), 0)
})

t.test('addresses compare as lowercase hex and come back lowercase', async (t) => {
  const upper = '0x' + 'AB'.repeat(20)
  const lower = '0x' + 'ab'.repeat(20)
  const mixed = '0x' + 'Ac'.repeat(20)
  // 'ab…' < 'ac…' in lowercase; in raw code units 'AB…' < 'Ac…' too, so also check against '0xa0…'
  const r = elect(
    [
      { address: mixed, votes: 1n, trust: 1n, eligible: true },
      { address: upper, votes: 1n, trust: 1n, eligible: true },
      { address: '0x' + 'a0'.repeat(20), votes: 1n, trust: 1n, eligible: true },
    ],
    2,
  )
  t.strictSame(r.witnesses, ['0x' + 'a0'.repeat(20), lower])
  t.strictSame(r.standby, ['0x' + 'ac'.repeat(20)])
  t.equal(normalizeAddress(upper), lower)
  t.throws(
    () =>
      elect(
        [
          { address: upper, votes: 1n, trust: 1n, eligible: true },
          { address: lower, votes: 2n, trust: 1n, eligible: true },
        ],
        2,
      ),
    { code: 'DPOS_DUPLICATE_ADDRESS' },
  )
})

t.test('ineligible candidates are skipped; fewer candidates than W', async (t) => {
  const r = elect([cand(1, 1000n, INITIAL_TRUST, false), cand(2, 10n), cand(3, 5n), cand(4, 0n)], 2)
  t.strictSame(r.witnesses, [addr(2), addr(3)])
  t.strictSame(r.standby, [addr(4)], 'zero votes still ranks (every RN is a candidate)')
  const few = elect([cand(7, 1n), cand(8, 2n)], WITNESSES_PER_ROUND)
  t.strictSame(few, { witnesses: [addr(8), addr(7)], standby: [] })
  t.strictSame(elect([], 21), { witnesses: [], standby: [] })
  t.equal(rankCandidates([cand(1, 1n, 1n, false)]).length, 0)
})

t.test('21 witnesses out of 30', async (t) => {
  const cs = Array.from({ length: 30 }, (_, i) => cand(i + 1, BigInt(1000 - (i % 10) * 10), BigInt(i)))
  const r = elect(cs, WITNESSES_PER_ROUND)
  t.equal(r.witnesses.length, 21)
  t.equal(r.standby.length, 9)
  // votes 1000 for i ∈ {0,10,20}: trust 20 > 10 > 0
  t.strictSame(r.witnesses.slice(0, 3), [addr(21), addr(11), addr(1)])
  t.strictSame(r.standby, [addr(28), addr(18), addr(8), addr(29), addr(19), addr(9), addr(30), addr(20), addr(10)])
})

t.test('bad input', async (t) => {
  t.throws(() => elect([cand(1, 1n)], 0), { code: 'DPOS_BAD_ARG' })
  t.throws(() => elect([cand(1, 1n)], 1.5), { code: 'DPOS_BAD_ARG' })
  t.throws(() => elect([cand(1, -1n)], 1), { code: 'DPOS_BAD_ARG' })
  t.throws(() => elect([{ address: '0x1234', votes: 1n, trust: 1n, eligible: true }], 1), { code: 'DPOS_BAD_ADDRESS' })
  t.throws(() => elect([{ address: 'ab'.repeat(20), votes: 1n, trust: 1n, eligible: true }], 1), { code: 'DPOS_BAD_ADDRESS' })
})

t.test('cycles', async (t) => {
  t.equal(cycleOf(0n, 100n), 0n)
  t.equal(cycleOf(99n, 100n), 0n)
  t.equal(cycleOf(100n, 100n), 1n)
  t.equal(cycleOf(604_799n, CYCLE_BLOCKS), 0n)
  t.equal(cycleOf(604_800n, CYCLE_BLOCKS), 1n)
  t.ok(isCycleBoundary(0n, 100n), 'genesis opens cycle 0')
  t.ok(isCycleBoundary(200n, 100n))
  t.notOk(isCycleBoundary(199n, 100n))
  t.ok(isLastBlockOfCycle(199n, 100n))
  t.notOk(isLastBlockOfCycle(200n, 100n))
  t.ok(isCycleBoundary(5n, 1n) && isLastBlockOfCycle(5n, 1n), 'cycle of one block')
  t.throws(() => cycleOf(1n, 0n), { code: 'DPOS_BAD_ARG' })
  t.throws(() => cycleOf(-1n, 10n), { code: 'DPOS_BAD_ARG' })
})
