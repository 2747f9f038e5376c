import t from 'tap'
import { RLP } from '@ethereumjs/rlp'
import {
  MAX_BATCH_CONFIRMATIONS,
  MAX_CONFIRMATION_BYTES,
  MAX_CONFIRMATION_HOPS,
  decodeBlockAnnounce,
  decodeBlockByHash,
  decodeConfirmations,
  decodeGetBlockByHash,
  decodeWitnessId,
  encodeBlockAnnounce,
  encodeBlockByHash,
  encodeConfirmations,
  encodeGetBlockByHash,
  encodeWitnessId,
  MAX_GET_BLOCKS,
  MAX_PEER_URLS,
  decodeBlocks,
  decodeGetBlocks,
  decodeGetPeers,
  decodePeers,
  encodeBlocks,
  encodeGetBlocks,
  encodeGetPeers,
  encodePeers,
  normalizePeerUrl,
} from '../../../src/p2p/chainMessages.js'
import { BoundedSet } from '../../../src/p2p/dedupe.js'
import { MAX_PAYLOAD, MessageType } from '../../../src/p2p/messages.js'
import { listenUrlOf } from '../../../src/p2p/network.js'

const BAD = { code: 'P2P_BAD_MESSAGE' }

t.test('GetBlocks round-trips and rejects counts outside 1..128 and malformed fields', async (t) => {
  const r = { from: 12345678901n, count: MAX_GET_BLOCKS }
  t.same(decodeGetBlocks(encodeGetBlocks(r)), r)
  t.same(decodeGetBlocks(encodeGetBlocks({ from: 0n, count: 1 })), { from: 0n, count: 1 })
  t.ok(encodeGetBlocks(r).length <= MAX_PAYLOAD[MessageType.GetBlocks])
  t.throws(() => decodeGetBlocks(encodeGetBlocks({ from: 1n, count: 0 })), BAD)
  t.throws(() => decodeGetBlocks(RLP.encode([1, MAX_GET_BLOCKS + 1])), BAD)
  t.throws(() => decodeGetBlocks(RLP.encode([1])), BAD, 'one field')
  t.throws(() => decodeGetBlocks(RLP.encode([[1], 2])), BAD, 'a list for a number')
  t.throws(() => decodeGetBlocks(Uint8Array.of(0x00, 0x01, 0x02)), BAD, 'not RLP')
  t.throws(() => decodeGetBlocks(RLP.encode([Uint8Array.of(0, 1), 2])), BAD, 'leading zero')
})

t.test('Blocks, GetPeers and Peers', async (t) => {
  const blocks = [Uint8Array.of(1), new Uint8Array(300).fill(2)]
  t.same(
    decodeBlocks(encodeBlocks(blocks)).map((b) => [...b]),
    blocks.map((b) => [...b]),
  )
  t.same(decodeBlocks(encodeBlocks([])), [])
  t.throws(() => decodeBlocks(RLP.encode([[Uint8Array.of(1)]])), BAD, 'a list is not a block')
  t.throws(() => decodeBlocks(RLP.encode(new Array(MAX_GET_BLOCKS + 1).fill(Uint8Array.of(1)))), BAD, 'too many')
  t.throws(() => decodeBlocks(Uint8Array.of(1, 2)), BAD)

  decodeGetPeers(encodeGetPeers())
  t.ok(encodeGetPeers().length <= MAX_PAYLOAD[MessageType.GetPeers])
  t.throws(() => decodeGetPeers(Uint8Array.of(0x81)), BAD)

  const urls = ['ws://127.0.0.1:30303', 'wss://[::1]:4000', 'ws://node.example:1']
  t.same(decodePeers(encodePeers(urls)), urls)
  t.equal(decodePeers(encodePeers(new Array(100).fill(urls[0]))).length, MAX_PEER_URLS, 'encoder caps the list')
  t.throws(() => decodePeers(RLP.encode(new Array(MAX_PEER_URLS + 1).fill('ws://a:1'))), BAD)
  for (const bad of ['http://a:1', 'ws://u:p@a:1', 'ws://a:1/path', 'ws://a:1?q', 'nonsense']) t.throws(() => decodePeers(RLP.encode([bad])), BAD, bad)
  t.equal(normalizePeerUrl('ws://LOCALHOST:80/'), 'ws://localhost', 'the default port is implied')
  t.equal(normalizePeerUrl('WS://Host:81/'), 'ws://host:81')
})

t.test('listenUrlOf: the remote host with the Hello listen port', async (t) => {
  const hello = (listenPort: number) => ({ listenPort }) as never
  t.equal(listenUrlOf({ address: '127.0.0.1:5555', hello: hello(30303) }, 'ws'), 'ws://127.0.0.1:30303')
  t.equal(listenUrlOf({ address: '::ffff:10.0.0.7:5555', hello: hello(1) }, 'wss'), 'wss://10.0.0.7:1')
  t.equal(listenUrlOf({ address: '::1:5555', hello: hello(2) }, 'ws'), 'ws://[::1]:2')
  t.equal(listenUrlOf({ address: '[::1]:5555', hello: hello(2) }, 'ws'), 'ws://[::1]:2')
  t.equal(listenUrlOf({ address: '127.0.0.1:5555', hello: hello(0) }, 'ws'), undefined, 'not listening')
})

t.test('BoundedSet forgets the oldest, re-adding refreshes', async (t) => {
  const s = new BoundedSet(3)
  t.ok(s.add('a'))
  s.add('b')
  s.add('c')
  t.notOk(s.add('a'), 'already there')
  s.add('d')
  t.notOk(s.has('b'), 'b was the oldest after a was refreshed')
  t.same([...s.keys()], ['c', 'a', 'd'])
  t.equal(s.size, 3)
  t.throws(() => new BoundedSet(0))
})

t.test('BoundedSet keeps exactly the newest keys through refreshes, deletes and evictions (against a model)', async (t) => {
  const capacity = 50
  const s = new BoundedSet(capacity)
  /** the model: keys oldest first */
  let model: string[] = []
  let x = 12345
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648
    return x % n
  }
  for (let i = 0; i < 20_000; i++) {
    const key = `k${rand(120)}`
    if (rand(10) === 0) {
      if (s.delete(key) !== model.includes(key)) t.fail(`delete ${key} at step ${i}`)
      model = model.filter((k) => k !== key)
      continue
    }
    const fresh = !model.includes(key)
    model = [...model.filter((k) => k !== key), key]
    if (model.length > capacity) model.shift()
    if (s.add(key) !== fresh) t.fail(`add ${key} at step ${i} said ${!fresh}`)
    if (s.size !== model.length) t.fail(`size ${s.size} vs ${model.length} at step ${i}`)
  }
  t.same([...s.keys()], model, 'the same keys, oldest first')
})

t.test('BlockAnnounce, GetBlockByHash and BlockByHash round-trip and reject malformed fields', async (t) => {
  const hash = new Uint8Array(32).fill(7)
  t.same(decodeBlockAnnounce(encodeBlockAnnounce({ number: 42n, hash })), { number: 42n, hash })
  t.ok(encodeBlockAnnounce({ number: 2n ** 64n - 1n, hash }).length <= MAX_PAYLOAD[MessageType.BlockAnnounce])
  t.throws(() => decodeBlockAnnounce(RLP.encode([1, new Uint8Array(31)])), BAD, 'short hash')
  t.throws(() => decodeBlockAnnounce(RLP.encode([new Uint8Array(9).fill(1), hash])), BAD, 'number above u64')
  t.throws(() => decodeBlockAnnounce(RLP.encode([1])), BAD, 'one field')
  t.throws(() => decodeBlockAnnounce(Uint8Array.of(0xff)), BAD, 'not RLP')

  t.same(decodeGetBlockByHash(encodeGetBlockByHash(hash)), hash)
  t.ok(encodeGetBlockByHash(hash).length <= MAX_PAYLOAD[MessageType.GetBlockByHash])
  t.throws(() => decodeGetBlockByHash(RLP.encode([new Uint8Array(33)])), BAD, 'long hash')
  t.throws(() => decodeGetBlockByHash(RLP.encode([[hash]])), BAD, 'a list for the hash')
  t.throws(() => decodeGetBlockByHash(RLP.encode([])), BAD, 'no hash')

  const block = new Uint8Array(500).fill(3)
  t.same(decodeBlockByHash(encodeBlockByHash({ hash, block })), { hash, block })
  t.same(decodeBlockByHash(encodeBlockByHash({ hash, block: undefined })), { hash, block: undefined }, 'not held: empty')
  t.throws(() => decodeBlockByHash(RLP.encode([hash])), BAD, 'no block field')
  t.throws(() => decodeBlockByHash(RLP.encode([hash, [block]])), BAD, 'a list for the block')
  t.throws(() => decodeBlockByHash(RLP.encode([new Uint8Array(3), block])), BAD, 'short hash')
})

t.test('Confirmations and WitnessId round-trip and reject malformed batches', async (t) => {
  const c = new Uint8Array(103).fill(9)
  t.same(decodeConfirmations(encodeConfirmations({ hops: 2, items: [c, c] })), { hops: 2, items: [c, c] })
  const full = encodeConfirmations({ hops: MAX_CONFIRMATION_HOPS, items: new Array(MAX_BATCH_CONFIRMATIONS).fill(new Uint8Array(MAX_CONFIRMATION_BYTES)) })
  t.ok(full.length <= MAX_PAYLOAD[MessageType.Confirmations], 'a full batch fits its limit')
  t.throws(() => decodeConfirmations(encodeConfirmations({ hops: 1, items: [] })), BAD, 'empty batch')
  t.throws(() => decodeConfirmations(encodeConfirmations({ hops: 1, items: new Array(MAX_BATCH_CONFIRMATIONS + 1).fill(c) })), BAD, 'too many')
  t.throws(() => decodeConfirmations(encodeConfirmations({ hops: MAX_CONFIRMATION_HOPS + 1, items: [c] })), BAD, 'too many hops')
  t.throws(() => decodeConfirmations(encodeConfirmations({ hops: 1, items: [new Uint8Array(MAX_CONFIRMATION_BYTES + 1)] })), BAD, 'oversized item')
  t.throws(() => decodeConfirmations(RLP.encode([1, c])), BAD, 'items not a list')
  t.throws(() => decodeConfirmations(RLP.encode([1, [[c]]])), BAD, 'an item that is a list')
  t.throws(() => decodeConfirmations(RLP.encode([1])), BAD, 'one field')

  const sig = new Uint8Array(65).fill(1)
  t.same(decodeWitnessId(encodeWitnessId(sig)), sig)
  t.ok(encodeWitnessId(sig).length <= MAX_PAYLOAD[MessageType.WitnessId])
  t.throws(() => decodeWitnessId(encodeWitnessId(new Uint8Array(64))), BAD, 'short signature')
  t.throws(() => decodeWitnessId(RLP.encode([])), BAD, 'no signature')
})
