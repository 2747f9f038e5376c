import t from 'tap'
import { beatsHead, compareHashes, isViable, pickHead, type Candidate } from '../../../src/chain/forkChoice.js'

const h = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)
const cand = (hash: number, number: bigint, parent: number, containsFinal = true): Candidate => ({
  hash: h(hash),
  number,
  parentHash: h(parent),
  containsFinal,
})

t.test('compareHashes is bytewise', async (t) => {
  t.ok(compareHashes(h(1), h(2)) < 0)
  t.ok(compareHashes(h(2), h(1)) > 0)
  t.equal(compareHashes(h(7), h(7)), 0)
  t.ok(compareHashes(Uint8Array.of(1, 0xff), Uint8Array.of(2, 0)) < 0, 'the first differing byte decides')
  t.ok(compareHashes(Uint8Array.of(1), Uint8Array.of(1, 0)) < 0, 'a prefix first')
})

t.test('beatsHead: extends, longer, or as long with the lower hash', async (t) => {
  const head = { hash: h(0x50), number: 10n }
  t.ok(beatsHead(cand(0x90, 11n, 0x50), head), 'extends the head')
  t.ok(beatsHead(cand(0x90, 12n, 0x33), head), 'a longer fork')
  t.notOk(beatsHead(cand(0x10, 9n, 0x33), head), 'a shorter fork, whatever its hash')
  t.ok(beatsHead(cand(0x40, 10n, 0x33), head), 'as long, lower hash')
  t.notOk(beatsHead(cand(0x60, 10n, 0x33), head), 'as long, higher hash')
})

t.test('isViable: above the final block and on its branch', async (t) => {
  const fin = { hash: h(5), number: 5n }
  t.ok(isViable(cand(1, 6n, 5), fin))
  t.notOk(isViable(cand(1, 5n, 4), fin), 'at the final number')
  t.notOk(isViable(cand(1, 3n, 2), fin), 'below it')
  t.notOk(isViable(cand(1, 9n, 8, false), fin), 'a branch without the final block')
})

t.test('pickHead: candidates in arrival order, non-viable ones ignored', async (t) => {
  const head = { hash: h(0x50), number: 10n }
  const fin = { hash: h(1), number: 8n }
  const got = pickHead(head, [cand(0x60, 10n, 0x33), cand(0x40, 10n, 0x34), cand(0x99, 30n, 0x35, false), cand(0x70, 11n, 0x40)], fin)
  t.same(got, { hash: h(0x70), number: 11n }, 'the lower-hash fork, then the block extending it')
  t.same(pickHead(head, [cand(0x01, 8n, 0x02)], fin), head, 'nothing viable: the head stays')
})
