/**
 * SnapProtocol (src/p2p/snapProtocol.ts), both sides wired back to back in memory: requests are
 * answered from a real trie (snapRange.ts over MptBatch nodes), answers are matched by id, and a
 * peer that misbehaves (bad request, answer to nothing, silence, a proof the caller refuses) is
 * penalised as the module says.
 */
import t from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { core } from '../../../src/core/index.js'
import { BanReason } from '../../../src/p2p/connectionGate.js'
import { MessageType, type ChainMessageType } from '../../../src/p2p/messages.js'
import { encodeGetAccountRange, encodeGetReceipts, encodeRangeAnswer, SNAP_MAX_RECEIPT_BLOCKS } from '../../../src/p2p/snapMessages.js'
import { INVALID_PROOF_PENALTY, SnapProtocol, type SnapPeer, type SnapServer } from '../../../src/p2p/snapProtocol.js'
import { MptBatch, type NodeStore } from '../../../src/state/mptBatch.js'
import { readRange, verifyRange } from '../../../src/state/snapRange.js'
import { ManualClock } from '../../../src/util/clock.js'
import { silentLogger } from '../../../src/util/logger.js'
import { prng, randomBytes } from '../../helpers/prng.js'

const EMPTY_ROOT = hexToBytes('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
const ZERO = new Uint8Array(32)
const TIMEOUT_MS = 5_000

class MapStore implements NodeStore {
  readonly map = new Map<string, Uint8Array>()
  async get(k: string) {
    return this.map.get(k)
  }
  async put(k: string, v: Uint8Array) {
    this.map.set(k, v)
  }
}

/** one side's view of the other: sends go to `deliver`, penalties are recorded */
class TestPeer implements SnapPeer {
  closed = false
  penalties: { points: number; why: string; offence?: BanReason }[] = []
  deliver: (type: number, payload: Uint8Array) => void = () => {}
  constructor(readonly id: string) {}
  send(type: ChainMessageType, payload: Uint8Array): void {
    queueMicrotask(() => this.deliver(type, payload))
  }
  penalize(points: number, why: string, offence?: BanReason): void {
    this.penalties.push({ points, why, offence })
  }
}

async function setup() {
  const rand = prng(7)
  const store = new MapStore()
  const leaves: [Uint8Array, Uint8Array][] = Array.from({ length: 300 }, () => [randomBytes(rand, 32), randomBytes(rand, 30)])
  const root = await new MptBatch(store, core.keccak256, EMPTY_ROOT).apply(EMPTY_ROOT, leaves)
  const served: SnapServer = {
    accountRange: async (r, origin, maxBytes) => (Buffer.compare(r, root) === 0 ? readRange((k) => store.get(k), r, origin, maxBytes) : undefined),
    storageRange: async () => undefined,
    byteCodes: async (hashes) => hashes.map(() => Uint8Array.of(0x60, 0)),
    // the receipts of the blocks whose hash starts with 0x01, up to the first one not held
    receipts: async (hashes) => {
      const held: Uint8Array[] = []
      for (const h of hashes) {
        if (h[0] !== 1) break
        held.push(Uint8Array.of(0xc1, 0xc0))
      }
      return held
    },
  }
  const clock = new ManualClock()
  const server = new SnapProtocol({ server: served, log: silentLogger, clock, timeoutMs: TIMEOUT_MS })
  const client = new SnapProtocol({ server: undefined, log: silentLogger, clock, timeoutMs: TIMEOUT_MS })
  // toServer: the server's handle on the client; toClient: the client's handle on the server
  const toServer = new TestPeer('server')
  const toClient = new TestPeer('client')
  toServer.deliver = (type, payload) => server.onMessage(toClient, type, payload)
  toClient.deliver = (type, payload) => client.onMessage(toServer, type, payload)
  return { root, server, client, toServer, toClient, clock }
}

t.test('a range request is served from the trie and its answer verifies against the root', async (t) => {
  const { root, client, toServer, toClient } = await setup()
  const answer = await client.requestAccountRange(toServer, { root, origin: ZERO, maxBytes: 2_000 })
  t.equal(answer.available, true)
  t.ok(answer.keys.length > 10 && answer.keys.length < 300, `a bounded range (${answer.keys.length} leaves)`)
  t.equal(await verifyRange(root, ZERO, answer), true, 'proven, more to come')
  const codes = await client.requestByteCodes(toServer, [ZERO, ZERO])
  t.equal(codes.length, 2, 'codes answered in order')
  t.same(toServer.penalties, [], 'no penalty for an honest exchange')
  t.same(toClient.penalties, [])
})

t.test('a root the server does not hold is answered "unavailable"; a node without a server answers so to everything', async (t) => {
  const { client, server, toServer, toClient } = await setup()
  const answer = await client.requestAccountRange(toServer, { root: new Uint8Array(32).fill(9), origin: ZERO, maxBytes: 2_000 })
  t.same(answer, { id: answer.id, available: false, keys: [], values: [], proof: [] })
  // the other way round: the client has no SnapServer
  const back = await server.requestStorageRange(toClient, { root: ZERO, account: ZERO, origin: ZERO, maxBytes: 100 })
  t.equal(back.available, false)
  t.same(await server.requestByteCodes(toClient, [ZERO]), [], 'no codes')
  t.same(await server.requestReceipts(toClient, [ZERO]), [], 'no receipts')
})

t.test('receipts are answered in the order asked, up to the first block not held', async (t) => {
  const { client, server, toServer, toClient } = await setup()
  const held = new Uint8Array(32).fill(1)
  const answer = await client.requestReceipts(toServer, [held, held, ZERO, held])
  t.same(answer, [Uint8Array.of(0xc1, 0xc0), Uint8Array.of(0xc1, 0xc0)], 'the two held before the gap')
  server.onMessage(toClient, MessageType.GetReceipts, encodeGetReceipts({ id: 1n, hashes: [] }))
  server.onMessage(toClient, MessageType.GetReceipts, encodeGetReceipts({ id: 2n, hashes: Array.from({ length: SNAP_MAX_RECEIPT_BLOCKS + 1 }, () => held) }))
  t.match(toClient.penalties, [{ why: /0 hashes, want 1\.\.128/ }, { why: /129 hashes, want 1\.\.128/ }], 'no hash, or more than a batch, is a bad request')
  t.same(toServer.penalties, [], 'an honest exchange costs the server nothing')
})

t.test('a bad request, an answer to no request and silence cost the peer score', async (t) => {
  const { client, server, toServer, toClient, clock } = await setup()
  server.onMessage(toClient, MessageType.GetAccountRange, Uint8Array.of(0xc0))
  t.equal(toClient.penalties.length, 1, 'a GetAccountRange that does not decode')
  client.onMessage(toServer, MessageType.AccountRange, encodeRangeAnswer({ id: 99n, available: false, keys: [], values: [], proof: [] }))
  t.match(toServer.penalties, [{ why: /no request/ }], 'an answer nobody asked for')
  const silent = new TestPeer('silent')
  const pending = client.requestAccountRange(silent, { root: ZERO, origin: ZERO, maxBytes: 10 })
  clock.advance(TIMEOUT_MS)
  await t.rejects(pending, /timed out/)
  t.match(silent.penalties, [{ why: /no snapshot answer/ }], 'the silent peer is penalised')
  const gone = new TestPeer('gone')
  const waiting = client.requestAccountRange(gone, { root: ZERO, origin: ZERO, maxBytes: 10 })
  client.peerClosed(gone, 'peer closed: Requested')
  await t.rejects(waiting, /peer closed/, 'a closed peer fails its requests')
})

t.test('flooding requests is penalised beyond the queue', async (t) => {
  const { server, toClient } = await setup()
  const req = encodeGetAccountRange({ id: 1n, root: ZERO, origin: ZERO, maxBytes: 10 })
  for (let i = 0; i < 5; i++) server.onMessage(toClient, MessageType.GetAccountRange, req)
  t.match(toClient.penalties, [{ why: /too many snapshot requests/ }], 'the fifth one at once')
})

t.test('a proof the caller refuses bans the peer', async (t) => {
  const { client, toServer } = await setup()
  client.penalizeProof(toServer, 'invalid range proof: test')
  t.same(toServer.penalties, [{ points: INVALID_PROOF_PENALTY, why: 'invalid snapshot proof: invalid range proof: test', offence: BanReason.InvalidProof }])
})
