/**
 * Storage view against a real in-process node with 10-s proof periods: a provider's offer, two
 * posted deals, one accepted. The Storage tab (key 7) shows the period, the offer and the deals;
 * Enter on a deal opens it: parties, size, term, price, escrow, periods proved; its challenge once
 * the term starts (the chunks nfc_getDealChallenge names), "proved" after StorageDeals.prove, and
 * the period paid at the next one. The provider's account links to its deals.
 */
import t from 'tap'
import { Interface } from 'ethers'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { chunkRange, proofOf, treeOf } from '../../../src/deals/fileTree.js'
import { devGenesis, startNode } from '../../helpers/inProcessNode.js'
import { abiJson } from '../../helpers/systemVm.js'
import { devAddress, KEY, NFC, press, renderApp, send, waitFrame } from './harness.js'

const S = new Interface(abiJson('IStorageDeals') as never)
const R = new Interface(abiJson('INodeRegistry') as never)
const NBI = new Interface(abiJson('INB') as never)
const PERIOD_MS = 10_000n
const FILE = Uint8Array.from({ length: 3 * 4096 + 5 }, (_, i) => (i * 7 + (i >> 12)) % 251)
const TREE = treeOf(FILE)
/** 0.001 NB per MiB and period */
const PRICE = 10n ** 15n

t.test('the Storage tab: offers, deals, a deal and its challenge', async (t) => {
  const genesis = devGenesis((g) => {
    g.params.storageProofPeriodSec = 10
    g.params.storageCollateral = NFC
  })
  const n = await startNode(t, { genesis })
  const provider = devAddress(1)
  const deals = SYSTEM_CONTRACTS.storageDeals
  const block = async (calls: { from: number; to: string; data: string; value?: bigint }[], timestamp?: bigint) => {
    const hashes = []
    for (const c of calls) hashes.push(await send(n, c.from, { to: c.to, data: c.data, value: c.value, gasLimit: 2_000_000n }))
    await n.produceBlock(timestamp === undefined ? {} : { timestamp })
    for (const h of hashes) t.equal((await n.rpc('eth_getTransactionReceipt', [h])).status, '0x1', 'included')
  }
  await block([
    { from: 1, to: SYSTEM_CONTRACTS.nodeRegistry, data: R.encodeFunctionData('pledge', [3]), value: 1_000n * NFC },
    { from: 2, to: SYSTEM_CONTRACTS.nb, data: NBI.encodeFunctionData('convert', []), value: 100n * NFC },
    { from: 3, to: SYSTEM_CONTRACTS.nb, data: NBI.encodeFunctionData('convert', []), value: 100n * NFC },
  ])
  await block([{ from: 1, to: deals, data: S.encodeFunctionData('setOffer', ['http://127.0.0.1:7070', PRICE, 1n << 30n]) }])
  await block([
    { from: 2, to: deals, data: S.encodeFunctionData('post', [provider, TREE.root, BigInt(FILE.length), 5n]) },
    { from: 3, to: deals, data: S.encodeFunctionData('post', [provider, TREE.root, BigInt(FILE.length), 2n]) },
  ])
  await block([{ from: 1, to: deals, data: S.encodeFunctionData('accept', [1n]), value: NFC }])
  const period = n.node.chain.head.header.timestamp / PERIOD_MS

  const r = renderApp(t, { rpc: n.url })
  await waitFrame(r, 'Chain id')
  await press(r, '7')
  let f = await waitFrame(r, ['Storage', 'Offers (1)', 'Deals'])
  t.match(f, /7 Storage/, 'key 7')
  t.match(f, new RegExp(`Period\\s+#${period.toLocaleString('en-US')}\\s+\\(10 s each, 4 chunks proved per deal and period\\)`), 'the period at the head')
  t.match(f, /Collateral\s+1 NFC per deal/)
  t.match(
    f,
    new RegExp(`${provider.slice(0, 12)}[0-9a-f…]+\\s+0\\.001 NB\\s+1\\.07 GB\\s+http://127\\.0\\.0\\.1:7070`),
    'the offer: provider, price, largest file, endpoint',
  )
  t.match(f, /#1\s+active\s+12\.29 KB\s+0\/5\s+0\.005 NB\s+0x/, 'deal 1: accepted, 5 periods at 0.001 NB')
  t.match(f, /#2\s+posted\s+12\.29 KB\s+0\/2\s+0\.002 NB/, 'deal 2: posted')

  // the offer is the first selectable line, deal 1 the next
  await press(r, 'j', KEY.enter)
  f = await waitFrame(r, ['Deal #1', 'Challenge'])
  t.match(f, /Status\s+active/)
  t.match(f, new RegExp(`Client\\s+${devAddress(2)}`))
  t.match(f, new RegExp(`Provider\\s+${provider}`))
  t.match(f, /Endpoint\s+http:\/\/127\.0\.0\.1:7070/)
  t.match(f, /Size\s+12\.29 KB\s+\(12,293 bytes, 4 chunks\)/)
  t.match(f, new RegExp(`Term\\s+5 periods: #${(period + 1n).toLocaleString('en-US')} … #${(period + 5n).toLocaleString('en-US')}`))
  t.match(f, /Price\s+0\.005 NB\s+\(0\.001 NB per period\)/)
  t.match(f, /Escrow left\s+0\.005 NB/)
  t.match(f, /Proved\s+0 of 5 periods/)
  t.match(f, /Collateral\s+1 NFC/)
  t.match(f, /the term starts in period #/, 'no challenge before the term')

  // the first period of the term: its challenge
  await n.produceBlock({ timestamp: (period + 1n) * PERIOD_MS })
  f = await waitFrame(r, /Chunks\s+0, 1, 2, 3\s+\(4 of 4\)/)
  t.match(f, /Period\s+#[\d,]+\s+to prove before the period ends/)
  const c = await n.rpc('nfc_getDealChallenge', ['0x1', '0x' + (period + 1n).toString(16)])
  t.match(f, new RegExp(`Seed\\s+${c.periodHash}`), "the period's seed")
  const idx = c.indexes.map((i: string) => Number(i))
  const chunks = idx.map((i: number) => {
    const { start, end } = chunkRange(FILE.length, i)
    return FILE.subarray(start, end)
  })
  await block([{ from: 1, to: deals, data: S.encodeFunctionData('prove', [1n, period + 1n, chunks, idx.map((i: number) => proofOf(TREE.leaves, i))]) }])
  f = await waitFrame(r, /Period\s+#[\d,]+\s+proved/)
  t.match(f, /Proved\s+1 of 5 periods/, 'proved, paid at the next period')
  await n.produceBlock({ timestamp: (period + 2n) * PERIOD_MS })
  f = await waitFrame(r, /Paid\s+0\.001 NB to the provider/)
  t.match(f, /Escrow left\s+0\.004 NB/)
  t.match(f, /Proved\s+1 of 5 periods/)
  t.match(f, /Period\s+#[\d,]+\s+to prove/, "the next period's challenge")

  // Enter on the provider opens its account, which links to its deals as provider
  await press(r, 'j', KEY.enter)
  await waitFrame(r, new RegExp(`Account ${provider}`))
  f = await waitFrame(r, /▶ Storage deals\s+as client ›/)
  await press(r, 'j')
  await waitFrame(r, /▶\s+as provider ›/)
  await press(r, KEY.enter)
  f = await waitFrame(r, /Deals of provider 0x/)
  t.match(f, /#1\s+active/)
  t.match(f, /#2\s+posted/)
  t.notMatch(f, /Offers/, 'the filtered list has no offers')
})
