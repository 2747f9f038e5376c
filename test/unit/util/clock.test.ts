import t from 'tap'
import { ManualClock, systemClock } from '../../../src/util/clock.js'

t.test('ManualClock: time moves only on advance; due timers run in order, each at its due time', async (t) => {
  const c = new ManualClock(1000)
  const seen: string[] = []
  c.setTimeout(() => seen.push(`b@${c.now()}`), 20)
  c.setTimeout(() => seen.push(`a@${c.now()}`), 10)
  c.setTimeout(() => seen.push(`c@${c.now()}`), 20)
  const gone = c.setTimeout(() => seen.push('cleared'), 5)
  c.clearTimeout(gone)
  t.equal(c.now(), 1000)
  t.equal(c.pending, 3)
  t.equal(c.advance(15), 1)
  t.equal(c.now(), 1015)
  t.equal(c.advance(5), 2)
  t.same(seen, ['a@1010', 'b@1020', 'c@1020'])
  t.equal(c.pending, 0)
})

t.test('ManualClock: intervals repeat until cleared; a timer set by a timer runs in the same advance', async (t) => {
  const c = new ManualClock(0)
  const ticks: number[] = []
  const iv = c.setInterval(() => {
    ticks.push(c.now())
    if (ticks.length === 2) c.setTimeout(() => ticks.push(-c.now()), 1)
  }, 10)
  t.equal(c.advance(35), 4)
  t.same(ticks, [10, 20, -21, 30])
  c.clearInterval(iv)
  t.equal(c.advance(100), 0)
  t.equal(c.now(), 135)
  // like Node, a delay under 1 ms is 1 ms
  let ran = false
  c.setTimeout(() => (ran = true), 0)
  c.advance(0)
  t.notOk(ran)
  c.advance(1)
  t.ok(ran)
  t.throws(() => c.advance(-1), RangeError)
})

t.test('systemClock runs on Date.now and real timers', async (t) => {
  const before = Date.now()
  t.ok(systemClock.now() >= before)
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1))
  const h = systemClock.setInterval(() => t.fail('cleared interval ran'), 1)
  systemClock.clearInterval(h)
})
