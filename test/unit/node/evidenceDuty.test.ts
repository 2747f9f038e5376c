/**
 * Double-production evidence is submitted once (issue 15): the witnesses rank themselves from the
 * seats, the offender and the slot; the designated one (rank 0) submits at once, the others only
 * if the evidence is still unused on chain after their fallback wait. Driven on a ManualClock.
 */
import t from 'tap'
import { EVIDENCE_FALLBACK_INTERVALS, evidenceRank, evidenceSubmitters, scheduleEvidence, type EvidenceDutyOptions } from '../../../src/node/evidenceDuty.js'
import { ManualClock } from '../../../src/util/clock.js'
import { silentLogger } from '../../../src/util/logger.js'
import { NfcError } from '../../../src/util/errors.js'
import { TxPoolErrorCode } from '../../../src/txpool/errors.js'

const W = Array.from({ length: 7 }, (_, i) => `0x${String(i + 1).repeat(40)}`)
const OFFENDER = W[2]!
const SLOT = 1234n
const STEP_MS = EVIDENCE_FALLBACK_INTERVALS * 1000

/** lets the duty's promise chain (used → submit → done) run to the end */
const settle = () => new Promise((r) => setImmediate(r))

function duty(me: string, over: Partial<EvidenceDutyOptions> & { clock: ManualClock; usedNow: () => boolean }) {
  const calls = { submitted: 0, usedChecks: 0, done: 0 }
  const cancel = scheduleEvidence(
    { producer: OFFENDER, slot: SLOT },
    {
      me,
      seats: () => [...W, null],
      used: async () => {
        calls.usedChecks++
        return over.usedNow()
      },
      submit: async () => {
        calls.submitted++
      },
      done: () => calls.done++,
      stepMs: STEP_MS,
      logger: silentLogger,
      ...over,
    },
  )
  return { calls, cancel }
}

t.test('the ranking: every witness but the offender, a fixed order per offence, the offender last', async (t) => {
  const order = evidenceSubmitters([...W, null], OFFENDER, SLOT)
  t.equal(order.length, W.length, 'every seated witness once, vacant seats skipped')
  t.equal(order.at(-1), OFFENDER, 'the offender ranks last')
  t.same(new Set(order), new Set(W))
  t.same(evidenceSubmitters([...W].reverse(), OFFENDER.toUpperCase().replace('0X', '0x'), SLOT), order, 'the seat order and address case do not matter')
  t.same(evidenceSubmitters([null, ...W], OFFENDER, SLOT), order, 'the same on every node')
  const firsts = new Set(Array.from({ length: 40 }, (_, i) => evidenceSubmitters(W, OFFENDER, BigInt(i))[0]))
  t.ok(firsts.size > 1, `another designated witness for other slots (${firsts.size} of ${W.length - 1} seen over 40 slots)`)
  t.equal(evidenceRank(order, order[0]!), 0)
  t.equal(evidenceRank(order, '0x' + 'ab'.repeat(20)), W.length, 'a key without a seat ranks after every seated witness')
  t.same(evidenceSubmitters([OFFENDER], OFFENDER, SLOT), [OFFENDER], 'a lone witness still reports (itself)')
})

t.test('the designated witness submits at once, without waiting', async (t) => {
  const clock = new ManualClock()
  const first = evidenceSubmitters(W, OFFENDER, SLOT)[0]!
  const { calls } = duty(first, { clock, usedNow: () => false })
  await settle()
  t.equal(calls.submitted, 1, 'submitted')
  t.equal(calls.usedChecks, 0, 'rank 0 does not even look at the chain first')
  t.equal(calls.done, 1)
  t.equal(clock.pending, 0, 'no timer left')
})

t.test('a non-designated witness does not submit when the evidence is on chain by its turn', async (t) => {
  const clock = new ManualClock()
  const order = evidenceSubmitters(W, OFFENDER, SLOT)
  const second = order[1]!
  const { calls } = duty(second, { clock, usedNow: () => true })
  await settle()
  t.equal(calls.submitted, 0, 'nothing sent at once')
  clock.advance(STEP_MS - 1)
  await settle()
  t.equal(calls.usedChecks, 0, 'not checked before its turn')
  clock.advance(1)
  await settle()
  t.equal(calls.usedChecks, 1, 'checked once at rank × step')
  t.equal(calls.submitted, 0, 'the designated witness’s evidence was used: not submitted again')
  t.equal(calls.done, 1)
  clock.advance(100 * STEP_MS)
  await settle()
  t.equal(calls.submitted, 0, 'and never later')
})

t.test('fallback: when the designated witness is silent, the next one submits after its wait', async (t) => {
  const clock = new ManualClock()
  const order = evidenceSubmitters(W, OFFENDER, SLOT)
  let onChain = false
  const second = duty(order[1]!, {
    clock,
    usedNow: () => onChain,
    submit: async () => {
      second.calls.submitted++
      onChain = true // included by the next block
    },
  })
  const third = duty(order[2]!, { clock, usedNow: () => onChain })
  clock.advance(STEP_MS)
  await settle()
  t.equal(second.calls.submitted, 1, 'rank 1 found the evidence unused after 1 step and submitted it')
  t.equal(third.calls.submitted, 0, 'rank 2 is still waiting')
  clock.advance(STEP_MS)
  await settle()
  t.equal(third.calls.usedChecks, 1)
  t.equal(third.calls.submitted, 0, 'rank 2 sees it used: exactly one submission in all')
})

t.test('cancelled at shutdown: no check, no submission', async (t) => {
  const clock = new ManualClock()
  const { calls, cancel } = duty(evidenceSubmitters(W, OFFENDER, SLOT)[3]!, { clock, usedNow: () => false })
  cancel()
  t.equal(clock.pending, 0, 'the timer is cleared')
  clock.advance(10 * STEP_MS)
  await settle()
  t.same(calls, { submitted: 0, usedChecks: 0, done: 0 })
})

t.test('a failing submission is logged, not thrown', async (t) => {
  const clock = new ManualClock()
  const warnings: string[] = []
  const logger = { ...silentLogger, warn: (msg: string) => warnings.push(msg) } as typeof silentLogger
  const { calls } = duty(evidenceSubmitters(W, OFFENDER, SLOT)[0]!, {
    clock,
    usedNow: () => false,
    logger,
    submit: async () => {
      throw new Error('txpool is full')
    },
  })
  await settle()
  t.same(warnings, ['could not submit double-production evidence'])
  t.equal(calls.done, 1)
})

t.test('evidence the pool refuses as already applied is not a failure: logged at debug only', async (t) => {
  const clock = new ManualClock()
  const warnings: string[] = []
  const debug: string[] = []
  const logger = { ...silentLogger, warn: (msg: string) => warnings.push(msg), debug: (msg: string) => debug.push(msg) } as typeof silentLogger
  const { calls } = duty(evidenceSubmitters(W, OFFENDER, SLOT)[0]!, {
    clock,
    usedNow: () => false,
    logger,
    submit: async () => {
      throw new NfcError(TxPoolErrorCode.PRECHECK_REFUSED, 'evidence already applied')
    },
  })
  await settle()
  t.same(warnings, [])
  t.same(debug, ['double-production evidence already applied: not submitted'])
  t.equal(calls.done, 1)
})
