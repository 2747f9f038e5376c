/**
 * Issue 17: on a node that snapshot-synced, the state below the pivot was never downloaded. A query
 * for it says so (the pivot, and where that state can be had) — not "pruned … run with --archive",
 * which would send the operator to a flag that cannot help. The pivot is adopted in-process on a
 * chain that produced its own blocks (adoptSnapshot only needs the pivot's state and the blocks
 * below it stored), and the floor survives a restart (read back from the metadata).
 */
import t from 'tap'
import { devGenesis, devKey, openChain, tempDir } from '../../helpers/inProcessNode.js'

const NOW = 1_700_000_000_500
const PIVOT = 5n

t.test('state below a snapshot pivot: "never downloaded", naming the pivot', async (t) => {
  const dir = tempDir(t)
  const g = devGenesis((g) => (g.timestamp = 0))
  const a = await openChain(t, dir, g, () => NOW)
  const ts0 = a.chain.head.header.timestamp
  for (let i = 1n; i <= PIVOT; i++) await a.chain.produceBlock(devKey(0), ts0 + i * 1000n, [])
  await a.chain.adoptSnapshot(a.chain.head)
  const below = (await a.chain.headerByNumber(2n))!.header
  const error = (n: number) => ({
    code: 'STATE_NOT_DOWNLOADED',
    message: new RegExp(`block ${n} is below block ${PIVOT}, where this node's snapshot sync started: that state was never downloaded`),
  })
  await t.rejects(a.chain.stateAt(below), error(2), 'the snapshot message, not the pruned one')
  await t.rejects(a.chain.stateAt(below), { message: /--sync full/ }, 'it says how to have that state')
  await t.resolves(a.chain.stateAt(a.chain.head.header), 'the pivot state is there')
  await a.close()

  const b = await openChain(t, dir, g, () => NOW)
  await t.rejects(b.chain.stateAt((await b.chain.headerByNumber(1n))!.header), error(1), 'the same after a restart')
  await b.close()
})
