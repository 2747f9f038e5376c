/**
 * Snapshot sync's client (src/node/snapSync.ts) in-process, against a source chain served through
 * a stand-in for the network (the real snapServer for the state, the source's block store for
 * blocks and receipts): it reaches the source's state at a pivot with the history below stored,
 * the producers' signatures checked in batches by the `recoverMany` it is given (the node's worker
 * pool) or on its own thread without one; a block whose signature is not its producer's gets the
 * peer banned (penalizeProof) and the snapshot sync given up, nothing of it left behind.
 */
import t, { type Test } from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { decodeBlock, encodeBlock } from '../../../src/chain/block.js'
import type { Genesis } from '../../../src/chain/genesis.js'
import { recoverPublicKey } from '../../../src/crypto/secp256k1.js'
import type { RecoverItem } from '../../../src/crypto/recoverPool.js'
import type { PeerInfo } from '../../../src/p2p/network.js'
import { snapServer } from '../../../src/node/snapServe.js'
import { SnapSync, SNAP_MIN_BLOCKS_AHEAD, type SnapNetwork } from '../../../src/node/snapSync.js'
import { createLogger } from '../../../src/util/logger.js'
import { devGenesis, devKey, openChain, tempDir } from '../../helpers/inProcessNode.js'

const NOW = 1_800_000_000_000
/** blocks on the source: far enough ahead for a snapshot sync, all in the pivot window */
const BLOCKS = Number(SNAP_MIN_BLOCKS_AHEAD) + 22

type Chain = Awaited<ReturnType<typeof openChain>>

async function sourceChain(t: Test, genesis: Genesis): Promise<Chain> {
  const source = await openChain(t, tempDir(t), genesis, () => NOW)
  const ts0 = source.chain.head.header.timestamp
  for (let i = 1; i <= BLOCKS; i++) await source.chain.produceBlock(devKey(0), ts0 + BigInt(i) * 1000n, [])
  return source
}

/** The network calls of a snapshot sync, answered from `source`; `forge(n)` says which block numbers go out with a changed signature. */
function standIn(source: Chain, forge: (n: bigint) => boolean = () => false) {
  const server = snapServer(source.chain, createLogger({ level: 'error', write: () => {} }))
  const banned: string[] = []
  let released = 0
  const peer: PeerInfo = {
    id: 'source',
    address: '127.0.0.1:1',
    inbound: false,
    head: source.chain.head.header.number,
    score: 0,
    rttMs: 1,
    listenUrl: undefined,
  }
  const range = (r: Awaited<ReturnType<typeof server.accountRange>>) =>
    r === undefined ? { id: 0n, available: false, keys: [], values: [], proof: [] } : { id: 0n, available: true, ...r }
  const network: SnapNetwork = {
    peers: [peer],
    on: () => network as never,
    off: () => network as never,
    async requestBlocksOf(_id, from, count) {
      const out: Uint8Array[] = []
      for (let n = from; n < from + BigInt(count) && n <= peer.head; n++) {
        const block = (await source.chain.store.getBlock((await source.chain.store.getHashByNumber(n))!))!
        if (!forge(n)) out.push(encodeBlock(block))
        else {
          const signature = Uint8Array.from(block.header.signature)
          signature[10]! ^= 1
          out.push(encodeBlock({ ...block, header: { ...block.header, signature } }))
        }
      }
      return out
    },
    async requestReceipts(_id, hashes) {
      const out: Uint8Array[] = []
      for (const h of hashes) out.push((await source.chain.store.getEncodedReceipts(h))!)
      return out
    },
    requestAccountRange: async (_id, r) => range(await server.accountRange(r.root, r.origin, r.maxBytes)),
    requestStorageRange: async (_id, r) => range(await server.storageRange(r.root, r.account, r.origin, r.maxBytes)),
    requestByteCodes: (_id, hashes) => server.byteCodes(hashes, 1 << 20),
    penalizeProof: (id, why) => void banned.push(`${id}: ${why}`),
    releaseSync: () => void released++,
  } as SnapNetwork
  return { network, banned, released: () => released }
}

/** runs a snapshot sync into a fresh chain until it is adopted or given up; its log lines */
async function sync(t: Test, genesis: Genesis, network: SnapNetwork, recoverMany?: (items: readonly RecoverItem[]) => Promise<(Uint8Array | null)[]>) {
  const target = await openChain(t, tempDir(t), genesis, () => NOW)
  const lines: string[] = []
  let done: () => void = () => {}
  const ended = new Promise<void>((r) => (done = r))
  const logger = createLogger({
    level: 'info',
    write: (line) => {
      lines.push(line)
      if (/snapshot sync (finished|failed)/.test(line)) done()
    },
  })
  const snap = new SnapSync({ network, chain: target.chain, db: target.db, logger, explicit: true, witnessesPerRound: 1, recoverMany })
  snap.start()
  await ended
  // the run ends just after its last log line (then range sync is released)
  while (snap.status() !== false) await new Promise((r) => setImmediate(r))
  await snap.stop()
  return { target, log: lines.join('') }
}

t.test('a snapshot sync reaches the pivot, the signatures checked by the pool it is given', async (t) => {
  const genesis = devGenesis((g) => (g.timestamp = 0))
  const source = await sourceChain(t, genesis)
  const { network, banned, released } = standIn(source)
  let recovered = 0
  const recoverMany = async (items: readonly RecoverItem[]) => {
    recovered += items.length
    return items.map((i) => recoverPublicKey(i.msgHash, i.r, i.s, i.recid))
  }
  const { target, log } = await sync(t, genesis, network, recoverMany)
  t.match(log, /snapshot sync finished/, 'finished')
  const pivot = target.chain.head.header
  t.ok(pivot.number > 0n && pivot.number < source.chain.head.header.number, `the pivot (${pivot.number}) is a block below the source's head`)
  t.equal(bytesToHex(pivot.stateRoot), bytesToHex((await source.chain.headerByNumber(pivot.number))!.header.stateRoot), "its state root is the source's")
  t.ok(await target.chain.stateAt(pivot), 'and its state is there')
  t.equal(
    bytesToHex((await target.chain.store.getHashByNumber(1n))!),
    bytesToHex((await source.chain.store.getHashByNumber(1n))!),
    'the history below is stored',
  )
  t.equal(recovered, BLOCKS, 'every downloaded block had its signature recovered by the pool, once')
  t.same(banned, [], 'nobody banned')
  t.equal(released(), 1, 'range sync released once')
})

t.test('without a pool the signatures are recovered on the calling thread, same outcome', async (t) => {
  const genesis = devGenesis((g) => (g.timestamp = 0))
  const source = await sourceChain(t, genesis)
  const { network, banned } = standIn(source)
  const { target, log } = await sync(t, genesis, network)
  t.match(log, /snapshot sync finished/, 'finished')
  t.ok(target.chain.head.header.number > 0n)
  t.same(banned, [])
})

t.test("a block whose signature is not its producer's bans the peer; the snapshot sync is given up", async (t) => {
  const genesis = devGenesis((g) => (g.timestamp = 0))
  const source = await sourceChain(t, genesis)
  for (const [pool, what] of [
    [true, 'checked by the pool'],
    [false, 'checked on the calling thread'],
  ] as const) {
    const { network, banned } = standIn(source, (n) => n === 40n)
    const recoverMany = pool ? async (items: readonly RecoverItem[]) => items.map((i) => recoverPublicKey(i.msgHash, i.r, i.s, i.recid)) : undefined
    const { target, log } = await sync(t, genesis, network, recoverMany)
    t.match(log, /snapshot sync failed/, `${what}: given up`)
    t.equal(banned.length, 1, `${what}: the peer banned once`)
    t.match(banned[0], /source: block 40: signature is not the producer's/, banned[0])
    t.equal(target.chain.head.header.number, 0n, 'the chain is still at genesis')
    t.equal(await target.chain.store.getHashByNumber(1n), undefined, 'no downloaded block is left behind')
  }
})

t.test('the stand-in serves what the source holds (a check of the test itself)', async (t) => {
  const genesis = devGenesis((g) => (g.timestamp = 0))
  const source = await sourceChain(t, genesis)
  const { network } = standIn(source, (n) => n === 2n)
  const [one, two] = await network.requestBlocksOf('source', 1n, 2)
  const common = source.chain.common
  t.same(decodeBlock(one!, common).hash, (await source.chain.store.getHashByNumber(1n))!, 'block 1 as stored')
  const forged = decodeBlock(two!, common)
  t.same(forged.hash, (await source.chain.store.getHashByNumber(2n))!, 'the forged block 2 keeps its hash (the signature is not in it)')
  t.not(bytesToHex(forged.header.signature), bytesToHex((await source.chain.store.getBlock(forged.hash))!.header.signature), 'but not its signature')
})
