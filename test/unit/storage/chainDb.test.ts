/**
 * ChainDb on a real classic-level in a temp dir: one handle behind every store, the key-space
 * bytes that are on disk (pinned: renumbering one would orphan existing data directories), a
 * reopen that keeps what was written.
 */
import t from 'tap'
import path from 'node:path'
import { ChainDb } from '../../../src/storage/chainDb.js'
import { KeySpace } from '../../../src/chain/db/keys.js'
import { makeCommon } from '../../../src/execution/common.js'
import { tempDir } from '../../helpers/inProcessNode.js'

t.test('the key spaces keep their on-disk bytes', async (t) => {
  const letters = Object.fromEntries(Object.entries(KeySpace).map(([k, v]) => [k, String.fromCharCode(v)]))
  t.same(letters, {
    header: 'h',
    body: 'b',
    receipts: 'r',
    number: 'n',
    tx: 't',
    receiptRecord: 'R',
    oldAddress: 'a',
    addressTx: 'A',
    head: 'H',
    meta: 'M',
    logs: 'l',
    txHashes: 'x',
    trie: 's',
    side: 'F',
  })
  t.equal(new Set(Object.values(KeySpace)).size, Object.keys(KeySpace).length, 'no two spaces share a byte')
  t.equal(ChainDb.keySpaces, KeySpace)
})

t.test('every store writes through the one handle, and a reopen keeps it', async (t) => {
  const dir = path.join(tempDir(t), 'chaindata')
  const db = await ChainDb.open(dir)
  t.ok(await db.isEmpty())
  await db.blockStore(makeCommon(1337n)).putMeta('probe', Uint8Array.of(7))
  await db.side.putEvidence(new Uint8Array(32).fill(1), Uint8Array.of(9))
  const trie = db.trieNodes()
  await trie.put('ab', Uint8Array.of(5))
  await db.level.batch(trie.drain() as never)
  t.notOk(await db.isEmpty())
  t.same([...(await db.level.keys().all())].map((k) => String.fromCharCode(k[0]!)).sort(), ['F', 'M', 's'])
  const none: unknown[] = []
  for await (const b of db.logs.blocks(0n, 10n)) none.push(b)
  t.same(none, [])
  t.equal(await db.logs.txHashes(new Uint8Array(32)), undefined)
  await db.close()

  const again = await ChainDb.open(dir)
  t.same(await again.blockStore(makeCommon(1337n)).getMeta('probe'), Uint8Array.of(7))
  t.same(await again.side.evidence(new Uint8Array(32).fill(1)), Uint8Array.of(9))
  t.same(await again.trieNodes().get('ab'), Uint8Array.of(5))
  await again.close()
})
