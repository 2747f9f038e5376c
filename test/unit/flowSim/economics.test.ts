/**
 * The simulator's economic table (flowSim/report.ts formatEconomics): one row per strategy and a
 * FAIL line for each strategy whose rewards and coin-time bonus exceed its fuel × capFactor.
 */
import t from 'tap'
import { formatEconomics, type Economics } from '../../../src/flowSim/simulate.js'

const NFC = 10n ** 18n
const row = (strategy: string, rewardsNfc: bigint, bonusNfc: bigint, limitNfc = NFC): Economics => ({
  strategy,
  fuelBurnedNb: NFC / 10n,
  limitNfc,
  rewardsNfc,
  bonusNfc,
  ok: rewardsNfc + bonusNfc <= limitNfc,
})

t.test('a row per strategy; no FAIL while every strategy earns at most its limit', async (t) => {
  const lines = formatEconomics([row('honest', NFC / 2n, 0n), row('hop-self-dealing', 0n, 0n)])
  t.match(lines[0]!, /^economics \(capFactor 1×\): strategy \| NB fuel burned \| may earn \(NFC\) \| rewards \(NFC\) \| bonus \(NFC\) \| check$/)
  t.equal(lines[1], '  honest | 0.1 | 1.0 | 0.5 | 0.0 | ok')
  t.equal(lines[2], '  hop-self-dealing | 0.1 | 1.0 | 0.0 | 0.0 | ok')
  t.equal(lines.length, 3)
  t.notMatch(lines.join('\n'), /FAIL/)
})

t.test('the bonus counts: a strategy over its limit gets a FAIL row and line', async (t) => {
  const lines = formatEconomics([row('split-withdrawals', NFC / 2n, NFC)])
  t.equal(lines[1], '  split-withdrawals | 0.1 | 1.0 | 0.5 | 1.0 | FAIL')
  t.equal(lines[2], 'FAIL: split-withdrawals earned 1.5 NFC, more than its fuel allows (1.0 NFC)')
})
