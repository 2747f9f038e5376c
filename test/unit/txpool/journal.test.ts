/** The local-transaction journal: format, torn and corrupt files, appends and rewrites (real files in a temp dir). */
import t, { type Test } from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TxJournal } from '../../../src/txpool/journal.js'
import { decodeJournal, encodeJournal, encodeRecord, JOURNAL_MAGIC } from '../../../src/txpool/journalFormat.js'
import { createLogger } from '../../../src/util/logger.js'
import { bytesToHex } from '@ethereumjs/util'
import { GWEI, key, legacyTx } from './fixtures/txs.js'

const raws = [0n, 1n, 2n].map((n) => legacyTx(key(1), n, 2n * GWEI).serialize())
const hex = (b: Uint8Array) => bytesToHex(b)

function journalIn(t: Test, o: { rotateEveryMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-journal-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lines: string[] = []
  let clock = 0
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) })
  const open = () => new TxJournal({ file: join(dir, 'transactions.journal'), logger, now: () => clock, ...o })
  return { dir, file: join(dir, 'transactions.journal'), lines, open, tick: (ms: number) => (clock += ms) }
}

t.test('format: round trip, torn tails, damage', async (t) => {
  const bytes = encodeJournal(raws)
  t.same(decodeJournal(bytes).records.map(hex), raws.map(hex))
  t.same(decodeJournal(bytes), { records: raws, torn: false })
  t.same(decodeJournal(JOURNAL_MAGIC), { records: [], torn: false })
  t.same(decodeJournal(new Uint8Array()), { records: [], torn: false })
  t.same(decodeJournal(JOURNAL_MAGIC.subarray(0, 3)), { records: [], torn: true }, 'killed while writing the magic')

  // cut at every byte inside the last record: always torn, the first two kept
  const twoLen = encodeJournal(raws.slice(0, 2)).length
  for (let cut = twoLen + 1; cut < bytes.length; cut++) {
    const d = decodeJournal(bytes.subarray(0, cut))
    if (d.torn !== true || d.records.length !== 2 || d.corrupt !== undefined) t.fail(`cut at ${cut}: ${JSON.stringify(d)}`)
  }
  t.pass('every cut inside the last record is a torn tail')
  // a zero-filled tail (power loss after the size grew)
  const zeroTail = new Uint8Array(bytes.length + 64)
  zeroTail.set(bytes)
  t.same(decodeJournal(zeroTail), { records: raws, torn: true })
  // a flipped payload byte in the last record: its checksum fails at the end of the file, a torn write
  const lastFlip = bytes.slice()
  lastFlip[bytes.length - 1] ^= 0xff
  t.same(decodeJournal(lastFlip), { records: raws.slice(0, 2), torn: true })

  // a flipped byte in the middle record: damage, the records before it are kept
  const midFlip = bytes.slice()
  const firstLen = encodeJournal(raws.slice(0, 1)).length
  midFlip[firstLen + 20] ^= 0xff
  t.same(decodeJournal(midFlip), { records: raws.slice(0, 1), torn: false, corrupt: { offset: firstLen, reason: 'checksum mismatch' } })
  const badLen = bytes.slice()
  badLen.set([0xff, 0xff, 0xff, 0xff], firstLen)
  t.same(decodeJournal(badLen).corrupt, { offset: firstLen, reason: 'impossible record length 4294967295' })
  t.same(decodeJournal(new TextEncoder().encode('{"not":"a journal"}')), {
    records: [],
    torn: false,
    corrupt: { offset: 0, reason: 'not a transaction journal' },
  })
  t.equal(encodeRecord(raws[0]).length, raws[0].length + 8)
})

t.test('append on insert; a rewrite after blocks drops what left the pool', async (t) => {
  const j = journalIn(t, { rotateEveryMs: 1000 })
  const a = j.open()
  t.same(a.load(), [], 'no file yet')
  for (const raw of raws) a.insert(hex(raw), raw)
  t.same(decodeJournal(readFileSync(j.file)).records.map(hex), raws.map(hex), 'each insert is on disk at once')

  a.forget(hex(raws[0]))
  a.forget('0xunknown')
  a.maybeRotate()
  t.same(decodeJournal(readFileSync(j.file)).records.map(hex), raws.slice(1).map(hex), 'rewritten without the mined tx')
  a.forget(hex(raws[1]))
  a.maybeRotate()
  t.equal(decodeJournal(readFileSync(j.file)).records.length, 2, 'not again within rotateEveryMs')
  j.tick(1000)
  a.maybeRotate()
  t.same(decodeJournal(readFileSync(j.file)).records.map(hex), [hex(raws[2])])
  // appends after a rewrite go to the new file
  a.insert(hex(raws[0]), raws[0])
  a.close()
  t.same(decodeJournal(readFileSync(j.file)).records.map(hex), [raws[2], raws[0]].map(hex))
  t.notOk(existsSync(`${j.file}.new`), 'no temp file left')

  const b = j.open()
  t.same(b.load().map(hex), [raws[2], raws[0]].map(hex), 'the next run reads them back')
  t.equal(j.lines.filter((l) => l.includes('warn')).length, 0, 'no warnings on a clean journal')
})

t.test('a torn last record is dropped with a warning; appends after it stay readable', async (t) => {
  const j = journalIn(t)
  writeFileSync(j.file, encodeJournal(raws))
  truncateSync(j.file, readFileSync(j.file).length - 5)
  const a = j.open()
  t.same(a.load().map(hex), raws.slice(0, 2).map(hex))
  t.match(j.lines.join('\n'), /torn record/)
  // the caller re-adds what the pool takes back; a new insert must not land behind the torn bytes
  a.adopt(hex(raws[0]), raws[0])
  a.insert(hex(raws[2]), raws[2])
  const d = decodeJournal(readFileSync(j.file))
  t.same(d.records.map(hex), [raws[0], raws[2]].map(hex))
  t.equal(d.torn, false)
})

t.test('a damaged journal is moved aside with a warning, never fatal', async (t) => {
  const j = journalIn(t)
  const bytes = encodeJournal(raws)
  const firstLen = encodeJournal(raws.slice(0, 1)).length
  bytes[firstLen + 20] ^= 0xff
  writeFileSync(j.file, bytes)
  const a = j.open()
  t.same(a.load().map(hex), [hex(raws[0])], 'the records before the damage are kept')
  t.match(j.lines.join('\n'), /damaged: moved it aside.*checksum mismatch/)
  t.same(readFileSync(`${j.file}.corrupt`), Buffer.from(bytes), 'kept byte for byte for a look')
  t.notOk(existsSync(j.file))

  // a second damaged file does not overwrite the first one aside
  writeFileSync(j.file, 'garbage')
  t.same(j.open().load(), [])
  t.ok(existsSync(`${j.file}.corrupt.1`))
  t.match(j.lines.join('\n'), /not a transaction journal/)

  // a fresh journal starts where the damaged one was
  const b = j.open()
  b.insert(hex(raws[1]), raws[1])
  t.same(decodeJournal(readFileSync(j.file)).records.map(hex), [hex(raws[1])])
  appendFileSync(j.file, new Uint8Array(3))
  t.same(j.open().load().map(hex), [hex(raws[1])], 'a 3-byte tail is torn')
})
