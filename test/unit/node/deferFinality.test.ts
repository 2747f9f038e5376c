/**
 * Blockchain.deferFinality (issue 17, replay speed): a batch of imports — `nfc import`, a
 * range-sync answer — moves the final block once, at its end, with one synced write, instead of
 * one synced write and FINAL marker per block (~30 ms of fsyncs each, which capped a replay of
 * empty blocks at ~7 blocks/s). Nothing is called final inside the batch; after it, the final block
 * is the one a block-by-block import reaches; a batch that fails still moves it for what it imported.
 */
import t from 'tap'
import type { Block } from '../../../src/chain/block.js'
import { devGenesis, devKey, openChain, tempDir } from '../../helpers/inProcessNode.js'

const NOW = 1_700_000_000_500
const BLOCKS = 12

t.test('a batch of imports moves the final block once, at its end', async (t) => {
  const g = devGenesis((g) => (g.timestamp = 0))
  const source = await openChain(t, tempDir(t), g, () => NOW + 60_000)
  const ts0 = source.chain.head.header.timestamp
  for (let i = 1n; i <= BigInt(BLOCKS); i++) await source.chain.produceBlock(devKey(0), ts0 + i * 1000n, [])
  /** the import's clock: after the last block's slot */
  const at = ts0 + BigInt(BLOCKS + 1) * 1000n
  const blocks: Block[] = []
  for (let n = 1n; n <= BigInt(BLOCKS); n++) blocks.push((await source.chain.store.getBlock((await source.chain.store.getHashByNumber(n))!))!)

  // block by block: the reference
  const plain = await openChain(t, tempDir(t), g, () => NOW + 60_000)
  let plainSynced = 0
  const putMeta = plain.chain.store.putMeta.bind(plain.chain.store)
  plain.chain.store.putMeta = (name, value, opts) => {
    if (opts?.sync === true) plainSynced++
    return putMeta(name, value, opts)
  }
  for (const b of blocks) await plain.chain.importBlock(b, at)
  const finalPlain = plain.chain.finalized.header.number
  t.ok(finalPlain > 0n, `block by block, the final block moves (to ${finalPlain})`)
  t.ok(plainSynced >= 2, `with a synced write at each move (${plainSynced})`)

  const batched = await openChain(t, tempDir(t), g, () => NOW + 60_000)
  let synced = 0
  const events: bigint[] = []
  const put = batched.chain.store.putMeta.bind(batched.chain.store)
  batched.chain.store.putMeta = (name, value, opts) => {
    if (opts?.sync === true) synced++
    return put(name, value, opts)
  }
  batched.chain.on('finalized', (h) => events.push(h.header.number))
  await batched.chain.deferFinality(async () => {
    for (const b of blocks) await batched.chain.importBlock(b, at)
    t.equal(batched.chain.head.header.number, BigInt(BLOCKS), 'inside the batch, every block is imported')
    t.equal(batched.chain.finalized.header.number, 0n, 'but nothing is called final yet')
  })
  t.equal(batched.chain.finalized.header.number, finalPlain, 'after the batch, the same final block as block by block')
  t.equal(synced, 1, 'reached with one synced write')
  t.same(events, [finalPlain], "and one 'finalized' event")

  // a batch that fails half-way still records the finality of what it imported
  const failing = await openChain(t, tempDir(t), g, () => NOW + 60_000)
  await t.rejects(
    failing.chain.deferFinality(async () => {
      for (const b of blocks.slice(0, BLOCKS / 2)) await failing.chain.importBlock(b, at)
      throw new Error('the peer went away')
    }),
    /the peer went away/,
  )
  t.ok(failing.chain.finalized.header.number > 0n, `a failed batch's blocks are final (${failing.chain.finalized.header.number}) after it`)
})
