/**
 * The pure rules of names (src/consensus/names/rules.ts): name and endpoint syntax, the lock a
 * term needs, the term bounds, a record's status at a time; and the name key of the store.
 */
import t from 'tap'
import { DEFAULT_PARAMS } from '../../../../src/chain/genesis.js'
import {
  DEFAULT_NAMES_CONFIG,
  endpointProblem,
  lockFor,
  nameProblem,
  namesConfigFromParams,
  statusOf,
  termProblem,
  YEAR_MS,
  type NamesConfig,
} from '../../../../src/consensus/names/rules.js'
import { nameKey, nameOfWord } from '../../../../src/consensus/names/store.js'
import { bytesToBigInt } from '@ethereumjs/util'

const NFC = 10n ** 18n
const DAY_MS = 86_400_000n

t.test('name syntax: 3 to 32 of a-z 0-9 -, no - at either end', async (t) => {
  for (const ok of ['abc', 'node-1', 'a1b', '123', 'a'.repeat(32), 'my-relay-01']) t.equal(nameProblem(ok), undefined, `${ok} is valid`)
  t.equal(nameProblem('ab'), 'invalid name: 2 characters; a name has 3 to 32')
  t.equal(nameProblem(''), 'invalid name: 0 characters; a name has 3 to 32')
  t.equal(nameProblem('a'.repeat(33)), 'invalid name: 33 characters; a name has 3 to 32')
  for (const bad of ['Abc', 'ab c', 'ab_c', 'ab.c', 'abç', 'ab\u0000c', 'ABC']) {
    t.equal(nameProblem(bad), 'invalid name: only lowercase a-z, 0-9 and - are allowed', JSON.stringify(bad))
  }
  t.equal(nameProblem('-abc'), 'invalid name: it cannot start or end with -')
  t.equal(nameProblem('abc-'), 'invalid name: it cannot start or end with -')
})

t.test('endpoint syntax: printable ASCII, no spaces, at most 256', async (t) => {
  t.equal(endpointProblem(''), undefined, 'empty is allowed (no endpoint)')
  t.equal(endpointProblem('ws://10.0.0.1:30303'), undefined)
  t.equal(endpointProblem('x'.repeat(256)), undefined)
  t.equal(endpointProblem('x'.repeat(257)), 'invalid endpoint: 257 characters; at most 256')
  t.equal(endpointProblem('ws://a b'), 'invalid endpoint: printable ASCII without spaces only')
  t.equal(endpointProblem('ws://é'), 'invalid endpoint: printable ASCII without spaces only')
})

t.test('lockFor: pro rata per 365-day year, rounded up', async (t) => {
  const cfg: NamesConfig = { lockPerYearWei: 100n * NFC, minTermMs: DAY_MS, maxTermMs: 10n * YEAR_MS }
  t.equal(lockFor(cfg, YEAR_MS), 100n * NFC)
  t.equal(lockFor(cfg, 2n * YEAR_MS), 200n * NFC)
  t.equal(lockFor(cfg, 73n * DAY_MS), 20n * NFC, '73 days are a fifth of a year')
  t.equal(lockFor(cfg, 1n), (100n * NFC + YEAR_MS - 1n) / YEAR_MS, 'a ms still locks its share, rounded up')
  t.ok(lockFor(cfg, 1n) * YEAR_MS >= 100n * NFC, 'rounded up, never down')
  t.equal(lockFor(cfg, 0n), 0n)
  t.equal(lockFor({ ...cfg, lockPerYearWei: 0n }, YEAR_MS), 0n, 'a free chain locks nothing')
})

t.test('termProblem: at least the minimum, expiry at most the maximum ahead', async (t) => {
  const cfg: NamesConfig = { lockPerYearWei: NFC, minTermMs: 30n * DAY_MS, maxTermMs: 365n * DAY_MS }
  const now = 1_000_000n
  t.equal(termProblem(cfg, now, 30n * DAY_MS, now), undefined)
  t.equal(termProblem(cfg, now, 365n * DAY_MS, now), undefined)
  t.equal(termProblem(cfg, now, 30n * DAY_MS - 1n, now), `term too short: at least ${30n * DAY_MS} ms`)
  t.equal(termProblem(cfg, now, 365n * DAY_MS + 1n, now), `term too long: a name expires at most ${365n * DAY_MS} ms ahead`)
  // a renewal extends the current expiry: 300 days left + 65 days is the maximum, + 66 is not
  const exp = now + 300n * DAY_MS
  t.equal(termProblem(cfg, exp, 65n * DAY_MS, now), undefined)
  t.match(termProblem(cfg, exp, 66n * DAY_MS, now), /term too long/)
})

t.test('statusOf: free, active until the expiry ms, then expired', async (t) => {
  t.equal(statusOf(null, 0n, 5n), 'free')
  t.equal(statusOf('0x01', 10n, 9n), 'active')
  t.equal(statusOf('0x01', 10n, 10n), 'expired', 'the expiry ms itself is past the term')
  t.equal(statusOf('0x01', 10n, 11n), 'expired')
})

t.test('config from genesis params, defaults', async (t) => {
  t.same(DEFAULT_NAMES_CONFIG, { lockPerYearWei: 100n * NFC, minTermMs: 30n * DAY_MS, maxTermMs: 3650n * DAY_MS })
  const cfg = namesConfigFromParams({ ...DEFAULT_PARAMS, nameLockPerYear: 7n, nameMinTermSec: 2, nameMaxTermSec: 60 })
  t.same(cfg, { lockPerYearWei: 7n, minTermMs: 2000n, maxTermMs: 60_000n })
})

t.test('name key: the bytes left-aligned in a word, and back', async (t) => {
  for (const n of ['abc', 'node-1', 'z'.repeat(32)]) t.equal(nameOfWord(bytesToBigInt(nameKey(n))), n)
  t.equal(nameKey('abc').length, 32)
  t.equal(nameKey('abc')[0], 0x61)
  t.throws(() => nameKey('a'.repeat(33)), RangeError)
  t.throws(() => nameKey(''), RangeError)
})
