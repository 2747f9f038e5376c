import t from 'tap'
import { SerialQueue } from '../../../src/util/serialQueue.js'

const tick = () => new Promise<void>((r) => setImmediate(r))

t.test('runs one call at a time, in call order', async (t) => {
  const q = new SerialQueue()
  const log: string[] = []
  let active = 0
  const job = (name: string) => async () => {
    active++
    t.equal(active, 1, `${name} runs alone`)
    log.push(`start ${name}`)
    await tick()
    log.push(`end ${name}`)
    active--
    return name
  }
  const results = await Promise.all([q.run(job('a')), q.run(job('b')), q.run(job('c'))])
  t.same(results, ['a', 'b', 'c'])
  t.same(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
})

t.test('a failure goes to its caller and does not block the queue', async (t) => {
  const q = new SerialQueue()
  const failed = q.run(async () => {
    throw new Error('boom')
  })
  const next = q.run(async () => 42)
  await t.rejects(failed, /boom/)
  t.equal(await next, 42)
})

t.test('idle resolves once everything queued so far has settled', async (t) => {
  const q = new SerialQueue()
  let done = false
  void q
    .run(async () => {
      await tick()
      throw new Error('late failure')
    })
    .catch(() => undefined)
  void q.run(async () => {
    await tick()
    done = true
  })
  await q.idle()
  t.ok(done)
  await q.idle() // an empty queue is idle at once
})
