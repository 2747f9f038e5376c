/**
 * DurableRecords, the running node's writer of FINAL and SIGNED: writes off the main thread, one
 * after the other in the order asked, so the newest asked is what a restart reads.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DurableRecords, readFinalMarker, readSignedHeight } from '../../../src/storage/finalMarker.js'
import { tempDir } from '../../helpers/inProcessNode.js'

const genesis = new Uint8Array(32).fill(7)
const hash = (n: number) => new Uint8Array(32).fill(n)

t.test('many writes asked at once: the last one asked is on disk, each record whole', async (t) => {
  const dir = tempDir(t, 'nfc-records-')
  const records = new DurableRecords(dir)
  const writes: Promise<void>[] = []
  for (let n = 1; n <= 40; n++) {
    writes.push(records.signedHeight(genesis, BigInt(n)))
    writes.push(records.finalMarker({ number: BigInt(n), hash: hash(n) }))
  }
  await Promise.all(writes)
  t.equal(readSignedHeight(dir, genesis), 40n, 'SIGNED holds the newest height')
  t.same(readFinalMarker(dir), { number: 40n, hash: hash(40) }, 'FINAL holds the newest block')
  t.same(readdirSync(dir).sort(), ['FINAL', 'SIGNED'], 'no temporary file left')
})

t.test('a failed write rejects and the next one still runs', async (t) => {
  const root = tempDir(t, 'nfc-records-')
  const dir = join(root, 'datadir')
  mkdirSync(dir)
  const records = new DurableRecords(dir)
  await records.signedHeight(genesis, 5n)
  rmSync(dir, { recursive: true })
  await t.rejects(records.signedHeight(genesis, 6n), { code: 'ENOENT' }, 'no directory: the write fails')
  mkdirSync(dir)
  await records.signedHeight(genesis, 7n)
  await records.settle()
  t.equal(readSignedHeight(dir, genesis), 7n, 'the write after the failure landed')
})
