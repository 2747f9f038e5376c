import t from 'tap'
import { PovfErrorCode } from '../../../../src/consensus/povf/errors.js'
import { vestedAt } from '../../../../src/consensus/povf/vesting.js'

const NFC = 10n ** 18n
const DAY = 86_400_000n
const YEAR = 365n * DAY
const GENESIS = 1_700_000_000_000n

t.test('1-year cliff + 6-year linear vesting of 315M NFC', async (t) => {
  const grant = { amount: 315_000_000n * NFC, cliffMs: YEAR, durationMs: 6n * YEAR }
  const at = (days: bigint): bigint => vestedAt(grant, GENESIS, GENESIS + days * DAY)
  t.equal(vestedAt(grant, GENESIS, GENESIS - 1n), 0n, 'before genesis')
  t.equal(at(0n), 0n)
  t.equal(at(364n), 0n, 'day 364: cliff not reached')
  t.equal(at(365n), 0n, 'day 365: at the cliff, 0 elapsed')
  // day 366: ⌊315·10^6·10^18 × 1 / 2190⌋ = 143835616438356164383561 wei (≈ 143,835.6 NFC)
  t.equal(at(366n), 143_835_616_438_356_164_383_561n, 'day 366: one day of 2190')
  // day 365 + 1095: exactly half
  t.equal(at(365n + 1095n), 157_500_000n * NFC, 'half way')
  t.equal(at(7n * 365n), 315_000_000n * NFC, '7 years: all')
  t.equal(at(8n * 365n), 315_000_000n * NFC, '8 years: all, no more')
  // 1 ms before the end: 315·10^24 − ⌈315·10^24 / 189216000000⌉ (6 years in ms) = 315·10^24 − 1664764079147641
  t.equal(vestedAt(grant, GENESIS, GENESIS + 7n * YEAR - 1n), 314_999_999_998_335_235_920_852_359n, '1 ms before the end: floor')
})

t.test('zero duration vests everything at the cliff; bad grants are refused', async (t) => {
  const g = { amount: 5n, cliffMs: 10n, durationMs: 0n }
  t.equal(vestedAt(g, 0n, 9n), 0n)
  t.equal(vestedAt(g, 0n, 10n), 5n)
  t.throws(() => vestedAt({ amount: -1n, cliffMs: 0n, durationMs: 1n }, 0n, 0n), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => vestedAt({ amount: 1n, cliffMs: -1n, durationMs: 1n }, 0n, 0n), { code: PovfErrorCode.POVF_BAD_ARG })
})
