/**
 * The storage-deal reads on an in-process dev node with 10-second periods: nfc_listStorageOffers,
 * nfc_getDeal and nfc_listDeals (pages, provider/client filters) against rpc/openrpc.json, and
 * nfc_getDealChallenge — the same leaves StorageDeals.prove accepts, shown by proving them in a
 * block — plus its errors (unknown deal, never accepted, period not started) and bad options; the
 * collateral in nfc_getSupply.
 */
import t from 'tap'
import { hexlify, Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../../../src/chain/systemAddresses.js'
import { chunkRange, proofOf, treeOf } from '../../../../src/deals/fileTree.js'
import { devAddress, devGenesis, devKey, startNode } from '../../../helpers/inProcessNode.js'
import { sendTx } from '../../../helpers/flowChain.js'
import { abiJson } from '../../../helpers/systemVm.js'
import { documented, rpcError } from '../flow/documented.js'

const S = new Interface(abiJson('IStorageDeals') as never)
const R = new Interface(abiJson('INodeRegistry') as never)
const NBI = new Interface(abiJson('INB') as never)
const PERIOD_MS = 10_000n
const COLLATERAL = NFC
const hex = (n: bigint) => '0x' + n.toString(16)
const FILE = Uint8Array.from({ length: 3 * 4096 + 5 }, (_, i) => (i * 7 + (i >> 12)) % 251)
const TREE = treeOf(FILE)

t.test('nfc_getDeal / nfc_listDeals / nfc_getDealChallenge / nfc_listStorageOffers', async (t) => {
  const genesis = devGenesis((g) => {
    g.params.storageProofPeriodSec = 10
    g.params.storageCollateral = COLLATERAL
  })
  const n = await startNode(t, { genesis })
  const provider = devAddress(1)
  const send = (i: number, to: string, data: string, value = 0n) => sendTx(n, devKey(i), to, data, value)
  const deals = SYSTEM_CONTRACTS.storageDeals
  await send(1, SYSTEM_CONTRACTS.nodeRegistry, R.encodeFunctionData('pledge', [3]), 1_000n * NFC)
  await send(2, SYSTEM_CONTRACTS.nb, NBI.encodeFunctionData('convert', []), 100n * NFC)
  await send(3, SYSTEM_CONTRACTS.nb, NBI.encodeFunctionData('convert', []), 100n * NFC)
  await n.produceBlock()
  await send(1, deals, S.encodeFunctionData('setOffer', ['http://127.0.0.1:7070', 1_000n, 1n << 30n]))
  await n.produceBlock()
  await send(2, deals, S.encodeFunctionData('post', [provider, TREE.root, BigInt(FILE.length), 5n]))
  await send(3, deals, S.encodeFunctionData('post', [provider, TREE.root, BigInt(FILE.length), 2n]))
  await n.produceBlock()
  await send(1, deals, S.encodeFunctionData('accept', [1n]), COLLATERAL)
  await n.produceBlock()
  const acceptedIn = n.node.chain.head.header.timestamp / PERIOD_MS

  const offers = await documented(t, n, 'nfc_listStorageOffers', [])
  t.same(offers, {
    offers: [{ provider, endpoint: 'http://127.0.0.1:7070', priceNbPerMiBPeriod: '0x3e8', maxBytes: hex(1n << 30n) }],
    next: null,
    period: hex(acceptedIn),
    periodSec: '0xa',
    proofLeaves: '0x4',
    collateral: hex(COLLATERAL),
  })
  const one = await documented(t, n, 'nfc_getDeal', ['0x1'])
  t.same(one, {
    id: '0x1',
    client: devAddress(2),
    provider,
    root: hexlify(TREE.root),
    size: hex(BigInt(FILE.length)),
    periods: '0x5',
    price: hex(5_000n),
    paid: '0x0',
    refunded: '0x0',
    collateral: hex(COLLATERAL),
    slashed: '0x0',
    firstPeriod: hex(acceptedIn + 1n),
    lastPeriod: hex(acceptedIn + 5n),
    provedPeriod: '0x0',
    endedPeriod: '0x0',
    status: 'active',
  })
  t.equal((await documented(t, n, 'nfc_getDeal', ['0x2'])).status, 'posted')
  t.equal(await documented(t, n, 'nfc_getDeal', ['0x3']), null, 'unknown id')
  t.equal((await documented(t, n, 'nfc_listDeals', [])).deals.length, 2)
  const p1 = await documented(t, n, 'nfc_listDeals', [{ limit: 1 }])
  t.same([p1.deals.map((d: { id: string }) => d.id), p1.next], [['0x1'], '0x2'])
  const p2 = await documented(t, n, 'nfc_listDeals', [{ limit: 1, cursor: p1.next }])
  t.same([p2.deals.map((d: { id: string }) => d.id), p2.next], [['0x2'], null])
  t.same(
    (await documented(t, n, 'nfc_listDeals', [{ client: devAddress(3) }])).deals.map((d: { id: string }) => d.id),
    ['0x2'],
  )
  t.same((await documented(t, n, 'nfc_listDeals', [{ provider: devAddress(2) }])).deals, [], 'no deal with this provider')
  t.equal((await n.rpc('nfc_getSupply', [])).lockedDetail.storageDeals, hex(COLLATERAL), 'the collateral is locked NFC')

  // the challenge of a period not yet started, then of the first period of the term
  const notYet = await rpcError(n, 'nfc_getDealChallenge', ['0x1', hex(acceptedIn + 1n)])
  t.same(notYet, {
    code: -32000,
    message: `period ${acceptedIn + 1n} has not started (the current period is ${acceptedIn})`,
    data: { code: 'STORAGE_PERIOD_NOT_STARTED' },
  })
  t.same(await rpcError(n, 'nfc_getDealChallenge', ['0x2', hex(acceptedIn)]), {
    code: -32000,
    message: 'deal 2 was never accepted: it has no challenges',
    data: { code: 'STORAGE_NOT_ACCEPTED' },
  })
  t.same((await rpcError(n, 'nfc_getDealChallenge', ['0x9', '0x1'])).data, { code: 'STORAGE_UNKNOWN_DEAL' })
  t.equal((await rpcError(n, 'nfc_getDealChallenge', ['0x1'])).code, -32602, 'the period is required')
  await n.produceBlock({ timestamp: (acceptedIn + 1n) * PERIOD_MS })
  const c = await documented(t, n, 'nfc_getDealChallenge', ['0x1', hex(acceptedIn + 1n)])
  t.equal(c.leafCount, '0x4')
  t.same(c.indexes, ['0x0', '0x1', '0x2', '0x3'], 'four leaves: all of them')
  t.equal(c.periodHash, hexlify(n.node.chain.head.header.parentHash), "the parent hash of the period's first block")
  // the leaves it names are what prove takes
  const idx = c.indexes.map((i: string) => Number(i))
  const chunks = idx.map((i: number) => {
    const { start, end } = chunkRange(FILE.length, i)
    return FILE.subarray(start, end)
  })
  const proofs = idx.map((i: number) => proofOf(TREE.leaves, i))
  await send(1, deals, S.encodeFunctionData('prove', [1n, acceptedIn + 1n, chunks, proofs]))
  await n.produceBlock()
  t.equal((await n.rpc('nfc_getDeal', ['0x1'])).provedPeriod, hex(acceptedIn + 1n), 'proved')
  await n.produceBlock({ timestamp: (acceptedIn + 2n) * PERIOD_MS })
  t.equal((await n.rpc('nfc_getDeal', ['0x1'])).paid, hex(1_000n), 'the proved period paid at the next one')

  // bad input
  t.equal((await rpcError(n, 'nfc_getDeal', [1])).code, -32602, 'a JSON number id')
  t.equal((await rpcError(n, 'nfc_listDeals', [{ limit: 101 }])).message, 'invalid argument 0: field "limit": want an integer from 1 to 100, got 101')
  t.equal((await rpcError(n, 'nfc_listDeals', [{ provider: '0x12' }])).code, -32602)
  t.equal((await rpcError(n, 'nfc_listStorageOffers', [[]])).message, 'invalid argument 0: cannot unmarshal array into options object {cursor, limit}')
})
