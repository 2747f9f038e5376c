/**
 * Storage deals on a real node process (DESIGN §14, issue 20), driven over JSON-RPC with ethers
 * and signed transactions, with 3-second proof periods: a pledged provider's offer, two deals
 * posted (NB escrowed) and accepted (NFC collateral); deal 1 is proved in each period of its term
 * with the chunks nfc_getDealChallenge names, is paid for each and completes with its collateral
 * back; deal 2 is never proved and is slashed at the first block after its first period. The
 * collateral shows in nfc_getSupply while held; StorageDeals ends holding nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Interface, Wallet } from 'ethers'
import { chunkRange, proofOf, treeOf } from '../../src/deals/fileTree.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { walletProvider } from '../../src/util/walletProvider.js'
import { DEV_GENESIS, rpc, rpcRaw, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'
import { abiJson } from '../helpers/systemVm.js'

const DEALS = '0x0000000000000000000000000000000000001008'
const REGISTRY = '0x0000000000000000000000000000000000001001'
const NB = '0x0000000000000000000000000000000000001003'
const S = new Interface(abiJson('IStorageDeals') as never)
const NFC = 10n ** 18n
const PRICE = 10n ** 15n // NB wei per MiB and period
const FILE = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7 + (i >> 12)) % 251)
const TREE = treeOf(FILE)

t.test('offer, post, accept, prove each period, paid and completed; unproved: slashed', async (t) => {
  const dir = tempDir(t)
  const genesis = JSON.parse(readFileSync(DEV_GENESIS, 'utf8')) as { params: Record<string, unknown> }
  genesis.params.storageProofPeriodSec = 3
  genesis.params.storageCollateral = NFC.toString()
  const genesisFile = join(dir, 'deals-dev.json')
  writeFileSync(genesisFile, JSON.stringify(genesis))
  const node = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile, extraArgs: ['--rpc-max-lag', '0'] })
  t.teardown(() => node.kill('SIGKILL'))

  // one wallet sends again as soon as its last transaction is mined: no ethers request sharing (walletProvider.ts)
  const provider = walletProvider(node.url, { pollingInterval: 200 })
  t.teardown(() => provider.destroy())
  const wallet = (i: number) => new Wallet(DEV_ACCOUNTS[i]!.privateKey, provider)
  const [prov, client] = [wallet(1), wallet(2)]
  const send = async (w: Wallet, to: string, data: string, value = 0n) => {
    const r = await (await w.sendTransaction({ to, data, value, gasLimit: 1_000_000n })).wait()
    t.equal(r?.status, 1, `${S.parseTransaction({ data })?.name ?? 'tx'} mined`)
    return r!
  }
  const deal = (id: number) => rpc(node.url, 'nfc_getDeal', [`0x${id.toString(16)}`])

  const registry = new Interface(abiJson('INodeRegistry') as never)
  const nb = new Interface(abiJson('INB') as never)
  await Promise.all([
    send(prov, REGISTRY, registry.encodeFunctionData('pledge', [3]), 1_000n * NFC),
    send(client, NB, nb.encodeFunctionData('convert', []), 100n * NFC),
  ])
  await send(prov, DEALS, S.encodeFunctionData('setOffer', ['http://127.0.0.1:7070', PRICE, 1_000_000n]))
  const offers = await rpc(node.url, 'nfc_listStorageOffers', [])
  t.equal(offers.offers[0].endpoint, 'http://127.0.0.1:7070')
  await send(client, DEALS, S.encodeFunctionData('post', [prov.address, TREE.root, BigInt(FILE.length), 2n]))
  await send(client, DEALS, S.encodeFunctionData('post', [prov.address, TREE.root, BigInt(FILE.length), 1n]))
  await send(prov, DEALS, S.encodeFunctionData('accept', [1n]), NFC)
  await send(prov, DEALS, S.encodeFunctionData('accept', [2n]), 2n * NFC)
  t.equal(BigInt((await rpc(node.url, 'nfc_getSupply', [])).lockedDetail.storageDeals), 3n * NFC, 'the collateral is locked NFC')
  const d1 = await deal(1)
  t.equal(d1.status, 'active')
  const providerNb0 = BigInt(await provider.call({ to: NB, data: nb.encodeFunctionData('balanceOf', [prov.address]) }))

  // prove deal 1 in each period of its term
  for (let p = BigInt(d1.firstPeriod); p <= BigInt(d1.lastPeriod); p++) {
    const c = await waitFor(
      async () => {
        const r = await rpcRaw(node.url, 'nfc_getDealChallenge', ['0x1', `0x${p.toString(16)}`])
        return r.error === undefined ? r.result : undefined
      },
      20_000,
      `period ${p} to start`,
    )
    t.equal(c.leafCount, '0x3')
    const idx = (c.indexes as string[]).map(Number)
    const chunks = idx.map((i) => {
      const r = chunkRange(FILE.length, i)
      return FILE.subarray(r.start, r.end)
    })
    await send(prov, DEALS, S.encodeFunctionData('prove', [1n, p, chunks, idx.map((i) => proofOf(TREE.leaves, i))]))
    t.equal((await deal(1)).provedPeriod, `0x${p.toString(16)}`, `period ${p} proved`)
  }
  const done = await waitFor(async () => ((await deal(1)).status === 'completed' ? deal(1) : undefined), 20_000, 'deal 1 to complete')
  t.equal(BigInt(done.paid), 2n * PRICE, 'both periods paid')
  const slashed = await deal(2)
  t.equal(slashed.status, 'slashed', 'deal 2 was never proved')
  t.equal(BigInt(slashed.slashed), NFC, 'half of its 2 NFC collateral to the client')
  t.equal(BigInt(slashed.refunded), PRICE, 'its NB back to the client')
  const providerNb = BigInt(await provider.call({ to: NB, data: nb.encodeFunctionData('balanceOf', [prov.address]) }))
  t.equal(providerNb - providerNb0, 2n * PRICE, "the provider's NB grew by what deal 1 paid")
  t.equal(BigInt(await provider.getBalance(DEALS)), 0n, 'StorageDeals holds no NFC at the end')
  t.equal((await rpc(node.url, 'nfc_getSupply', [])).lockedDetail.storageDeals, '0x0')
})
