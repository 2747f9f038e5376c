import t from 'tap'
import { lockBalances, unlockedOf, type LockEntry } from '../../../../src/consensus/povf/locks.js'
import { slashLockEntries } from '../../../../src/consensus/povf/slashLocks.js'
import { prng } from '../../../helpers/prng.js'

const DAY = 86_400_000n
const LOCK = 30n * DAY
const UNLOCK = 180n * DAY

t.test('a slash scales every entry: what is left to pay shrinks by the share, what was paid stays', async (t) => {
  const entries: LockEntry[] = [
    { amount: 1_000n, startMs: 0n, withdrawn: 200n },
    { amount: 300n, startMs: 100n * DAY, withdrawn: 0n },
  ]
  const r = slashLockEntries(entries, 1_000n)
  t.strictSame(r.entries, [
    { amount: 900n, startMs: 0n, withdrawn: 180n },
    { amount: 270n, startMs: 100n * DAY, withdrawn: 0n },
  ])
  t.strictSame(r.parts, [
    { startMs: 0n, amount: 80n, debt: 0n },
    { startMs: 100n * DAY, amount: 30n, debt: 0n },
  ])
  t.strictSame(entries[0], { amount: 1_000n, startMs: 0n, withdrawn: 200n }, 'inputs untouched')
  t.strictSame(slashLockEntries(entries, 0n).parts, [], '0 bps takes nothing')
  t.strictSame(
    slashLockEntries(entries, 10_000n),
    {
      entries: [],
      parts: [
        { startMs: 0n, amount: 800n, debt: 0n },
        { startMs: 100n * DAY, amount: 300n, debt: 0n },
      ],
    },
    'all of it',
  )
  t.strictSame(slashLockEntries([], 1_000n), { entries: [], parts: [] })
})

t.test('never a negative withdrawable, never more than the share, at any time after the slash', async (t) => {
  const rand = prng(16)
  const big = (max: number) => BigInt(Math.floor(rand() * max))
  let worst = 0n
  for (let i = 0; i < 2_000; i++) {
    const start = big(1_000) * DAY
    const amount = 1n + big(1e15) * (rand() < 0.5 ? 1n : 10n ** 6n)
    const now = start + big(250) * DAY + big(86_400_000)
    const withdrawn = (unlockedOf({ amount, startMs: start, withdrawn: 0n }, now, LOCK, UNLOCK) * big(1_001)) / 1_000n
    const bps = big(10_001)
    const e: LockEntry = { amount, startMs: start, withdrawn }
    const r = slashLockEntries([e], bps)
    const left = amount - withdrawn
    const taken = r.parts.reduce((s, p) => s + p.amount, 0n)
    const share = (left * bps) / 10_000n
    if (taken > share + 1n || taken + 1n < share) t.fail(`taken ${taken} vs share ${share} of ${left} at ${bps} bps`)
    if (share - taken > worst) worst = share - taken
    const after = r.entries[0]
    if (after !== undefined && after.amount - after.withdrawn !== left - taken) t.fail('left to pay must be what was left minus what was taken')
    for (const at of [now, now + 7n * DAY, start + LOCK + UNLOCK]) {
      if (lockBalances(r.entries, at, LOCK, UNLOCK).withdrawable < 0n)
        t.fail(`negative withdrawable at ${at} (amount ${amount}, withdrawn ${withdrawn}, ${bps} bps)`)
    }
  }
  t.ok(worst <= 1n, 'the share, to the wei')
})

t.test('a slashed entry keeps its per-wei bonus index debt (locks.ts): the part taken carries it too', async (t) => {
  const r = slashLockEntries([{ amount: 1_000n, startMs: 5n, withdrawn: 0n, debt: -42n }], 1_000n)
  t.strictSame(r.entries, [{ amount: 900n, startMs: 5n, withdrawn: 0n, debt: -42n }])
  t.strictSame(r.parts, [{ startMs: 5n, amount: 100n, debt: -42n }])
})
