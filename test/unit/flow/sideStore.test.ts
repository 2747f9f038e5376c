/**
 * The side-chain store on a real classic-level in a temp dir: blocks, sessions, seq records,
 * per-cycle latest receipts and the head in one batch; evidence and checkpoints; kept across a
 * reopen; keys only under the `F` prefix.
 */
import t from 'tap'
import path from 'node:path'
import { RLP } from '@ethereumjs/rlp'
import { openDatabase } from '../../../src/chain/blockStore.js'
import {
  SIDE_PREFIX,
  SideStore,
  ZERO_HASH,
  decodeSideBlock,
  encodeSideBlock,
  sideBlockHash,
  type SessionRecord,
  type SideBlock,
} from '../../../src/flow/sideStore.js'
import { same, tempDir } from '../../helpers/inProcessNode.js'

const id = (n: number) => new Uint8Array(32).fill(n)
const addr = (n: number) => '0x' + n.toString(16).padStart(40, '0')

function session(n: number, seq: bigint): SessionRecord {
  return {
    sessionId: id(n),
    consumer: addr(1),
    provider: addr(2),
    relays: [addr(3)],
    lastSeq: seq,
    bytesUp: 10n * seq,
    bytesDown: 20n * seq,
    lastReceiptHash: id(100 + Number(seq)),
    lastCycle: 7n,
    receipts: seq,
  }
}

t.test('block codec round-trips and the hash covers every field', async (t) => {
  const b: SideBlock = { sideChainId: id(9), height: 3n, parentHash: id(8), cycle: 7n, timestampMs: 1234n, receipts: [Uint8Array.of(1, 2), Uint8Array.of(3)] }
  same(t, decodeSideBlock(encodeSideBlock(b)), b)
  const h = sideBlockHash(b)
  t.not(Buffer.from(sideBlockHash({ ...b, timestampMs: 1235n })).toString('hex'), Buffer.from(h).toString('hex'))
  t.not(Buffer.from(sideBlockHash({ ...b, receipts: [Uint8Array.of(1, 2)] })).toString('hex'), Buffer.from(h).toString('hex'))
})

t.test('commitBlock writes block, head, sessions, seqs and latest receipts atomically; reopen keeps them', async (t) => {
  const dir = path.join(tempDir(t), 'db')
  let db = await openDatabase(dir)
  let store = new SideStore(db)
  t.equal(await store.head(7n), undefined)
  const b1: SideBlock = {
    sideChainId: id(9),
    height: 1n,
    parentHash: ZERO_HASH,
    cycle: 7n,
    timestampMs: 1n,
    receipts: [Uint8Array.of(0xa1), Uint8Array.of(0xa2)],
  }
  const h1 = await store.commitBlock({
    block: b1,
    sessions: [session(1, 1n), session(2, 1n)],
    accepted: [
      { receiptHash: id(201), sessionId: id(1), seq: 1n, bytesUp: 10n, bytesDown: 20n, encoded: Uint8Array.of(0xa1) },
      { receiptHash: id(202), sessionId: id(2), seq: 1n, bytesUp: 10n, bytesDown: 20n, encoded: Uint8Array.of(0xa2) },
    ],
    receiptsTotal: 2n,
  })
  same(t, h1, sideBlockHash(b1))
  const b2: SideBlock = { sideChainId: id(9), height: 2n, parentHash: h1, cycle: 7n, timestampMs: 2n, receipts: [Uint8Array.of(0xb1)] }
  await store.commitBlock({
    block: b2,
    sessions: [session(1, 2n)],
    accepted: [{ receiptHash: id(203), sessionId: id(1), seq: 2n, bytesUp: 20n, bytesDown: 40n, encoded: Uint8Array.of(0xb1) }],
    receiptsTotal: 3n,
  })
  await store.putEvidence(id(250), Uint8Array.of(0xee))
  await store.putCheckpoint(7n, {
    encoded: Uint8Array.of(1),
    checkpointHash: id(77),
    signatures: new Map([
      [addr(5), id(5)],
      [addr(4), id(4)],
    ]),
    submittedTx: null,
  })
  await db.close()

  db = await openDatabase(dir)
  t.teardown(() => db.close())
  store = new SideStore(db)
  same(t, await store.head(7n), { height: 2n, hash: sideBlockHash(b2), receipts: 3n })
  t.equal(await store.receiptCount(7n), 3n, 'the receipt count kept with the head')
  t.equal(await store.receiptCount(8n), 0n, 'a cycle without blocks has none')
  same(t, await store.block(7n, 1n), b1)
  same(t, await store.session(id(1)), session(1, 2n))
  same(t, await store.seq(id(1), 1n), { receiptHash: id(201), bytesUp: 10n, bytesDown: 20n })
  same(t, await store.receiptAt(id(203)), { cycle: 7n, height: 2n })
  // session 1's latest is the seq-2 receipt; sorted by session id
  same(t, await store.cycleLatest(7n), [Uint8Array.of(0xb1), Uint8Array.of(0xa2)])
  same(t, await store.cycleLatest(8n), [])
  same(t, await store.evidence(id(250)), Uint8Array.of(0xee))
  same(t, await store.allEvidence(), [Uint8Array.of(0xee)])
  const cp = await store.checkpoint(7n)
  t.same([...cp!.signatures.keys()], [addr(4), addr(5)])
  same(t, cp!.checkpointHash, id(77))
  t.equal(cp!.submittedTx, null)
  // every key this store wrote is under its prefix
  for await (const k of db.keys()) t.equal(k[0], SIDE_PREFIX, 'key under F')
})

t.test('a head written before the receipt count was kept: the count comes from the blocks', async (t) => {
  const db = await openDatabase(path.join(tempDir(t), 'db'))
  t.teardown(() => db.close())
  const store = new SideStore(db)
  const b1: SideBlock = { sideChainId: id(9), height: 1n, parentHash: ZERO_HASH, cycle: 4n, timestampMs: 1n, receipts: [Uint8Array.of(1), Uint8Array.of(2)] }
  const h1 = await store.commitBlock({ block: b1, sessions: [], accepted: [], receiptsTotal: 2n })
  const b2: SideBlock = { sideChainId: id(9), height: 2n, parentHash: h1, cycle: 4n, timestampMs: 2n, receipts: [Uint8Array.of(3)] }
  const h2 = await store.commitBlock({ block: b2, sessions: [], accepted: [], receiptsTotal: 3n })
  // rewrite the head the way older nodes stored it: [height, hash]
  const headKey = Uint8Array.of(SIDE_PREFIX, 0x48, 0, 0, 0, 0, 0, 0, 0, 4)
  same(t, RLP.decode((await db.get(headKey))!), [Uint8Array.of(2), h2, Uint8Array.of(3)], 'the head key holds [height, hash, receipts]')
  await db.put(headKey, RLP.encode([Uint8Array.of(2), h2]))
  same(t, await store.head(4n), { height: 2n, hash: h2 })
  t.equal(await store.receiptCount(4n), 3n, 'counted from blocks 1 and 2')
})
