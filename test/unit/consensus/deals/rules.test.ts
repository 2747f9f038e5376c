/**
 * The pure storage-deal rules (src/consensus/deals/rules.ts): price, periods, offer and deal checks,
 * the challenge draw, and the settlement of a period — proved, missed, periods without blocks, the
 * end of the term.
 */
import t from 'tap'
import {
  challengeIndexes,
  challengeSeed,
  DEFAULT_DEALS_CONFIG,
  dealPrice,
  dealProblem,
  dealsConfigFromParams,
  offerEndpointProblem,
  offerProblem,
  periodAt,
  perPeriodPrice,
  settle,
  slashOf,
} from '../../../../src/consensus/deals/rules.js'
import { DEFAULT_PARAMS } from '../../../../src/chain/genesisSchema.js'
import { hexOf } from '../../../../src/util/bytes.js'

const MIB = 1_048_576n

t.test('defaults and the config from genesis params', async (t) => {
  t.same(DEFAULT_DEALS_CONFIG, { periodMs: 3_600_000n, proofLeaves: 4, collateralWei: 100n * 10n ** 18n, slashBps: 5_000n, maxActiveDeals: 1_024 })
  t.equal(dealsConfigFromParams({ ...DEFAULT_PARAMS, storageProofPeriodSec: 10 }).periodMs, 10_000n)
})

t.test('price: ⌈size / MiB⌉ × price × periods', async (t) => {
  t.equal(perPeriodPrice(1n, 7n), 7n, 'one byte pays a whole MiB')
  t.equal(perPeriodPrice(MIB, 7n), 7n)
  t.equal(perPeriodPrice(MIB + 1n, 7n), 14n)
  t.equal(dealPrice(20_000_000n, 1_000n, 24n), 20n * 1_000n * 24n, '20 MB = 19.07 MiB → 20 MiB')
})

t.test('periods are global: ⌊time / period⌋', async (t) => {
  const cfg = { ...DEFAULT_DEALS_CONFIG, periodMs: 10_000n }
  t.equal(periodAt(0n, cfg), 0n)
  t.equal(periodAt(9_999n, cfg), 0n)
  t.equal(periodAt(10_000n, cfg), 1n)
  t.equal(periodAt(1_700_000_012_345n, cfg), 170_000_001n)
})

t.test('offer and deal checks', async (t) => {
  t.equal(offerEndpointProblem('http://10.0.0.1:8080'), undefined)
  t.equal(offerEndpointProblem('http://provider.example.org:80'), undefined)
  t.equal(offerEndpointProblem('http://[::1]:9000'), undefined)
  t.equal(offerEndpointProblem('https://a:1'), 'endpoint must be http://host:port, got "https://a:1"')
  t.equal(offerEndpointProblem('http://a'), 'endpoint must be http://host:port, got "http://a"')
  t.equal(offerEndpointProblem('http://a:1/path'), 'endpoint must be http://host:port, got "http://a:1/path"')
  t.equal(offerEndpointProblem('http://a:70000'), 'endpoint port must be 1..65535, got 70000')
  t.equal(offerEndpointProblem('http://a:0'), 'endpoint port must be 1..65535, got 0')
  t.equal(offerEndpointProblem(`http://${'a'.repeat(200)}:1`), 'endpoint longer than 200 bytes')
  t.equal(offerProblem(1n, 1n), undefined)
  t.equal(offerProblem(0n, 1n), 'price per MiB and period must be above 0')
  t.equal(offerProblem(1n, 0n), 'maxBytes must be above 0')
  t.equal(offerProblem(1n, 2n ** 41n), 'maxBytes above 1099511627776')
  t.equal(dealProblem(100n, 3n, 100n), undefined)
  t.equal(dealProblem(0n, 3n, 100n), 'size is 0: an empty file has no tree')
  t.equal(dealProblem(101n, 3n, 100n), "size 101 is above the offer's maxBytes 100")
  t.equal(dealProblem(100n, 0n, 100n), 'periods is 0')
  t.equal(dealProblem(100n, 100_001n, 100n), 'periods above 100000')
})

t.test('challenge: k distinct leaves, ascending, fixed by (hash, id, period)', async (t) => {
  const hash = new Uint8Array(32).fill(7)
  const seed = challengeSeed(hash, 1n, 5n)
  t.equal(hexOf(seed), hexOf(challengeSeed(hash, 1n, 5n)), 'deterministic')
  t.not(hexOf(seed), hexOf(challengeSeed(hash, 2n, 5n)), 'another deal, another seed')
  t.not(hexOf(seed), hexOf(challengeSeed(hash, 1n, 6n)), 'another period, another seed')
  t.not(hexOf(seed), hexOf(challengeSeed(new Uint8Array(32).fill(8), 1n, 5n)), 'another period hash, another seed')
  const size = 20_000_000n // 4,883 leaves
  const idx = challengeIndexes(seed, size, 4)
  t.equal(idx.length, 4)
  t.same(
    idx,
    [...idx].sort((a, b) => a - b),
    'ascending',
  )
  t.equal(new Set(idx).size, 4, 'distinct')
  t.ok(
    idx.every((i) => i >= 0 && i < 4_883),
    'in range',
  )
  t.same(challengeIndexes(seed, 3n * 4_096n, 4), [0, 1, 2], 'fewer leaves than k: every leaf')
  t.same(challengeIndexes(seed, 1n, 4), [0], 'one leaf')
  t.equal(challengeIndexes(seed, 5n * 4_096n, 5).length, 5, 'k = leaf count: all of them, drawn until distinct')
  // over many seeds every leaf of a small file gets drawn (the draw is not stuck on a few)
  const seen = new Set<number>()
  for (let q = 0n; q < 200n; q++) for (const i of challengeIndexes(challengeSeed(hash, 1n, q), 64n * 4_096n, 4)) seen.add(i)
  t.equal(seen.size, 64)
  t.throws(() => challengeIndexes(seed, 0n, 4), { code: 'DEAL_BAD_SIZE' })
})

t.test('settlement of a period', async (t) => {
  const d = { firstPeriod: 10n, periods: 3n, provedPeriod: 0n, perPeriod: 5n } // term 10..12
  t.same(settle(d, 9n, 10n), { pay: 0n, refund: 0n, missed: false, ended: false }, 'before the term: nothing')
  t.same(settle({ ...d, provedPeriod: 10n }, 10n, 11n), { pay: 5n, refund: 0n, missed: false, ended: false }, 'proved: paid')
  t.same(settle(d, 10n, 11n), { pay: 0n, refund: 0n, missed: true, ended: true }, 'missed: slashed and ended')
  t.same(settle({ ...d, provedPeriod: 11n }, 10n, 11n), { pay: 0n, refund: 0n, missed: true, ended: true }, 'a proof of another period does not count')
  t.same(settle({ ...d, provedPeriod: 12n }, 12n, 13n), { pay: 5n, refund: 0n, missed: false, ended: true }, 'the last period proved: paid and ended')
  t.same(settle({ ...d, provedPeriod: 10n }, 10n, 13n), { pay: 5n, refund: 10n, missed: false, ended: true }, '11 and 12 had no block: refunded')
  t.same(settle(d, 9n, 12n), { pay: 0n, refund: 10n, missed: false, ended: false }, 'no blocks in 10 and 11: refunded, 12 still to prove')
  t.same(settle(d, 9n, 20n), { pay: 0n, refund: 15n, missed: false, ended: true }, 'no block in the whole term')
  t.equal(slashOf(1_000n, DEFAULT_DEALS_CONFIG), 500n)
  t.equal(slashOf(999n, { ...DEFAULT_DEALS_CONFIG, slashBps: 3_333n }), 332n, 'rounded down')
})
