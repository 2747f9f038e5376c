/**
 * A provider agent restarted with its slices on disk (--data-dir) must answer the openings of
 * checkpoints submitted before it started: the slice store keeps each receipt's flow cycle, a
 * loaded session carries its first one (`firstCycle`), and the auditor reads the checkpoints
 * from there — not only from the cycle it started in, which is past them (found by
 * test/e2e/flowAgentAudits.test.ts).
 */
import t from 'tap'
import type { Contract } from 'ethers'
import { newStream } from '../../../src/flow/sampledStream.js'
import { Auditor, type AuditedSession, type ProviderAudit } from '../../../src/flow/sliceAnswers.js'
import { SliceStore } from '../../../src/flowAgent/sliceStore.js'
import { devAddress } from '../../helpers/inProcessNode.js'

const PROVIDER = devAddress(2)

const session = (fill: number): AuditedSession => ({
  id: new Uint8Array(32).fill(fill),
  provider: { address: PROVIDER },
  down: newStream(),
  sliceCounts: new Map(),
})

/** an auditor whose node has no checkpoint at all; returns the cycles it asked for */
function auditor(): { a: Auditor; asked: bigint[] } {
  const asked: bigint[] = []
  const call = (method: string, params: unknown[]) => {
    if (method === 'flow_getCheckpoint') asked.push(BigInt(params[0] as string))
    return Promise.resolve(null)
  }
  const audit: ProviderAudit = { address: PROVIDER, cheater: false, challenged: 0, answered: 0, voided: 0 }
  return { a: new Auditor(call, [], [audit], [PROVIDER], [], {} as Contract, () => {}), asked }
}

t.test('the slice store keeps each receipt’s cycle; a loaded session starts at its first', async (t) => {
  const dir = t.testdir({})
  const store = new SliceStore(dir, 60_000)
  const s = session(1)
  store.commit(s, 1n, 0, 7n)
  store.commit(s, 2n, 0, 8n)
  store.commit(session(2), 1n, 0, 9n)
  const loaded = new SliceStore(dir, 60_000).load(PROVIDER)
  t.same(
    loaded.map((l) => l.firstCycle),
    [7n, 9n],
    'each session’s first cycle',
  )
  t.same(
    [...loaded[0]!.sliceCounts],
    [
      [1n, 0],
      [2n, 0],
    ],
  )
})

t.test('the auditor reads the checkpoints from a loaded session’s first cycle', async (t) => {
  const restarted = auditor()
  restarted.a.addSession({ ...session(1), firstCycle: 7n })
  await restarted.a.poll(10n)
  t.same(restarted.asked, [7n, 8n, 9n, 10n], 'cycles 7 to 10: the session’s checkpoints were submitted before this process')

  const fresh = auditor()
  fresh.a.addSession(session(1))
  await fresh.a.poll(10n)
  t.same(fresh.asked, [10n], 'a live session (no firstCycle) starts where the auditor does')
})
