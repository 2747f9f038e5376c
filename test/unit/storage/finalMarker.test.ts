/**
 * DurableRecords, the running node's writer of FINAL and SIGNED: writes off the main thread, one
 * after the other in the order asked, so the newest asked is what a restart reads.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DurableRecords, readFinalMarker, readSignedVote, SIGNED_FILE } from '../../../src/storage/finalMarker.js'
import { tempDir } from '../../helpers/inProcessNode.js'

const genesis = new Uint8Array(32).fill(7)
const hash = (n: number) => new Uint8Array(32).fill(n)
const vote = (n: number) => ({ number: BigInt(n), hash: hash(n), atMs: 1_000n * BigInt(n) })

t.test('many writes asked at once: the last one asked is on disk, each record whole', async (t) => {
  const dir = tempDir(t, 'nfc-records-')
  const records = new DurableRecords(dir)
  const writes: Promise<void>[] = []
  for (let n = 1; n <= 40; n++) {
    writes.push(records.signedVote(genesis, vote(n)))
    writes.push(records.finalMarker({ number: BigInt(n), hash: hash(n) }))
  }
  await Promise.all(writes)
  t.same(readSignedVote(dir, genesis), vote(40), 'SIGNED holds the newest vote: height, block and time')
  t.same(readFinalMarker(dir), { number: 40n, hash: hash(40) }, 'FINAL holds the newest block')
  t.same(readdirSync(dir).sort(), ['FINAL', 'SIGNED'], 'no temporary file left')
})

t.test('a failed write rejects and the next one still runs', async (t) => {
  const root = tempDir(t, 'nfc-records-')
  const dir = join(root, 'datadir')
  mkdirSync(dir)
  const records = new DurableRecords(dir)
  await records.signedVote(genesis, vote(5))
  rmSync(dir, { recursive: true })
  await t.rejects(records.signedVote(genesis, vote(6)), { code: 'ENOENT' }, 'no directory: the write fails')
  mkdirSync(dir)
  await records.signedVote(genesis, vote(7))
  await records.settle()
  t.same(readSignedVote(dir, genesis), vote(7), 'the write after the failure landed')
})

t.test('SIGNED as read: a record without the block (written before the hold), another chain, damage', async (t) => {
  const dir = tempDir(t, 'nfc-records-')
  const write = (v: unknown) => writeFileSync(join(dir, SIGNED_FILE), typeof v === 'string' ? v : `${JSON.stringify(v)}\n`)
  const g = `0x${'07'.repeat(32)}`
  write({ genesis: g, number: '12' })
  t.same(readSignedVote(dir, genesis), { number: 12n }, 'an older record: the height only, nothing holds the witness')
  write({ genesis: `0x${'08'.repeat(32)}`, number: '12', hash: `0x${'01'.repeat(32)}`, at: '5' })
  t.equal(readSignedVote(dir, genesis), undefined, "another chain's record says nothing about this one")
  for (const bad of [
    { genesis: g, number: '12', hash: '0x01', at: '5' },
    { genesis: g, number: '12', hash: `0x${'01'.repeat(32)}`, at: '-5' },
    { genesis: g, number: 'x' },
    'not json',
  ]) {
    write(bad)
    t.throws(
      () => readSignedVote(dir, genesis),
      { code: 'CHAIN_DATADIR_CORRUPT', message: /SIGNED \(the highest height this witness voted at\) is damaged/ },
      JSON.stringify(bad),
    )
  }
})
