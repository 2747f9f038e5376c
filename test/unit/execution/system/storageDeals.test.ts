/**
 * The StorageDeals system contract (src/execution/system/storageDeals.ts) on a real VM, with the
 * per-period settlement (src/consensus/deals/engine.ts) run between blocks as the chain runs it:
 * offers by pledged providers only, post with the NB escrow, cancel, accept with collateral and the
 * active-deal cap, prove checked against the file tree (wrong chunk, wrong period, twice, before the
 * term), payment of proved periods, the slash of a missed one, the end of the term. Σ balances hold.
 */
import t, { type Test } from 'tap'
import { Interface, getAddress, hexlify } from 'ethers'
import type { DposConfig } from '../../../../src/consensus/dpos/engine.js'
import { dealsBeginBlock } from '../../../../src/consensus/deals/engine.js'
import { challengeIndexes, challengeSeed, DealStatus, type DealsConfig } from '../../../../src/consensus/deals/rules.js'
import { DealsStore, STORAGE_DEALS } from '../../../../src/consensus/deals/store.js'
import { NbStore } from '../../../../src/consensus/povf/nbStore.js'
import { core } from '../../../../src/core/index.js'
import { chunkRange, proofOf, treeOf } from '../../../../src/deals/fileTree.js'
import { STORAGE_DEALS_GAS } from '../../../../src/execution/system/index.js'
import { uint64be } from '../../../../src/util/bytes.js'
import { abiJson, addrOf, CFG, eventsOf, hexOf, NFC, NODE_REGISTRY, outcome, registryIface, systemEnv, type SystemEnv } from '../../../helpers/systemVm.js'

const S = new Interface(abiJson('IStorageDeals') as never)
const PERIOD_MS = 10_000n
const DEALS: DealsConfig = { periodMs: PERIOD_MS, proofLeaves: 4, collateralWei: 10n * NFC, slashBps: 5_000n, maxActiveDeals: 2 }
const cfg: DposConfig = { ...CFG, deals: DEALS }
const PRICE = 1_000n // NB wei per MiB and period
const ENDPOINT = 'http://10.0.0.1:8080'
const PROVIDER = 1
const CLIENT = 2
// 6 leaves, each chunk different; under 1 MiB → PRICE per period
const FILE = Uint8Array.from({ length: 5 * 4096 + 100 }, (_, i) => (i * 13 + (i >> 12) * 7) % 256)
const TREE = treeOf(FILE)
const ROOT = hexlify(TREE.root)

const period = (env: SystemEnv) => env.timeMs / PERIOD_MS
const send = (env: SystemEnv, from: number, fn: string, args: unknown[], value = 0n) => env.send(from, STORAGE_DEALS, S.encodeFunctionData(fn, args), { value })
async function view(env: SystemEnv, fn: string, args: unknown[] = []): Promise<{ outcome: string; result?: unknown[]; gas: bigint }> {
  const r = await env.call(addrOf(9), STORAGE_DEALS, S.encodeFunctionData(fn, args))
  if (outcome(r) !== 'ok') return { outcome: outcome(r), gas: r.execResult.executionGasUsed }
  return { outcome: 'ok', result: [...S.decodeFunctionResult(fn, r.execResult.returnValue)], gas: r.execResult.executionGasUsed }
}
const nbOf = (env: SystemEnv, i: number) => new NbStore(env.sm).balanceOf(hexOf(i).toLowerCase())
const dealOf = async (env: SystemEnv, id: bigint) => (await new DealsStore(env.sm).getDeal(id))!

/** the first block of the next period: the settlement runs, then the block's transactions */
async function nextPeriod(env: SystemEnv) {
  env.timeMs = (period(env) + 1n) * PERIOD_MS
  const parentHash = core.keccak256(uint64be(env.number))
  return dealsBeginBlock(
    env.sm,
    { number: env.number, timestamp: env.timeMs, producer: '0x' + 'fe'.padStart(40, '0'), parentHash, parentTimestamp: env.timeMs - 1_000n, confirmations: [] },
    cfg,
  )
}

/** the chunks and paths the challenge of (id, period) asks for, as ethers arguments */
async function proofFor(env: SystemEnv, id: bigint, p: bigint, file = FILE) {
  const v = await view(env, 'challenge', [id, p])
  const idx = (v.result![0] as bigint[]).map(Number)
  const chunks = idx.map((i) => {
    const { start, end } = chunkRange(file.length, i)
    return hexlify(file.subarray(start, end))
  })
  return { idx, chunks, proofs: idx.map((i) => proofOf(TREE.leaves, i).map((n) => hexlify(n))) }
}

async function setUp(t: Test) {
  const env = await systemEnv({ cfg })
  t.equal(
    outcome(await env.send(PROVIDER, NODE_REGISTRY, registryIface.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })),
    'ok',
    'the provider pledges',
  )
  await new NbStore(env.sm).setBalance(hexOf(CLIENT).toLowerCase(), 1_000_000n)
  await new NbStore(env.sm).setBalance(hexOf(3).toLowerCase(), 1_000_000n)
  return env
}

t.test('offers: only pledged providers, checked endpoint and figures; removeOffer', async (t) => {
  const env = await setUp(t)
  t.equal(
    outcome(await send(env, 4, 'setOffer', [ENDPOINT, PRICE, 1n << 30n])),
    'revert: StorageDeals: only a provider pledged in NodeRegistry makes an offer (nfc flow provide pledges)',
  )
  t.equal(
    outcome(await send(env, PROVIDER, 'setOffer', ['ftp://x:1', PRICE, 100n])),
    'revert: StorageDeals: endpoint must be http://host:port, got "ftp://x:1"',
  )
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, 0n, 100n])), 'revert: StorageDeals: price per MiB and period must be above 0')
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 0n])), 'revert: StorageDeals: maxBytes must be above 0')
  t.equal(outcome(await send(env, PROVIDER, 'removeOffer', [])), 'revert: StorageDeals: the caller has no offer')
  const r = await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 1n << 30n])
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(S, r), [{ name: 'OfferSet', args: [getAddress(hexOf(PROVIDER)), ENDPOINT, PRICE, 1n << 30n] }])
  t.equal((await env.sm.getAccount(STORAGE_DEALS))?.nonce, 1n, 'the first write made StorageDeals a system account')
  const o = await view(env, 'offerOf', [hexOf(PROVIDER)])
  t.same(o.result, [ENDPOINT, PRICE, 1n << 30n])
  t.equal(o.gas, STORAGE_DEALS_GAS.view)
  t.same(await new DealsStore(env.sm).offers().all(), [hexOf(PROVIDER).toLowerCase()])
  t.same((await view(env, 'priceOf', [hexOf(PROVIDER), 20_000_000n, 3n])).result, [20n * PRICE * 3n])
  const rm = await send(env, PROVIDER, 'removeOffer', [])
  t.same(eventsOf(S, rm), [{ name: 'OfferRemoved', args: [getAddress(hexOf(PROVIDER))] }])
  t.same((await view(env, 'offerOf', [hexOf(PROVIDER)])).result, ['', 0n, 0n])
  t.same(await new DealsStore(env.sm).offers().all(), [])
  t.equal(
    outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, BigInt(FILE.length), 3n])),
    `revert: StorageDeals: ${hexOf(PROVIDER).toLowerCase()} has no storage offer`,
  )
})

t.test('post escrows NB; cancel refunds; the refusals', async (t) => {
  const env = await setUp(t)
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 100_000n])), 'ok')
  const size = BigInt(FILE.length)
  t.equal(
    outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, 100_001n, 3n])),
    "revert: StorageDeals: size 100001 is above the offer's maxBytes 100000",
  )
  t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, 0n, 3n])), 'revert: StorageDeals: size is 0: an empty file has no tree')
  t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, size, 0n])), 'revert: StorageDeals: periods is 0')
  t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), '0x' + '00'.repeat(32), size, 3n])), 'revert: StorageDeals: root is zero')
  t.equal(outcome(await send(env, PROVIDER, 'post', [hexOf(PROVIDER), ROOT, size, 3n])), 'revert: StorageDeals: a deal with oneself')
  t.equal(outcome(await send(env, 5, 'post', [hexOf(PROVIDER), ROOT, size, 3n])), 'revert: StorageDeals: the deal costs 3000 NB wei, the caller holds 0')
  const r = await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, size, 3n])
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(S, r), [{ name: 'DealPosted', args: [1n, getAddress(hexOf(CLIENT)), getAddress(hexOf(PROVIDER)), ROOT, size, 3n, 3n * PRICE] }])
  t.equal(await nbOf(env, CLIENT), 1_000_000n - 3n * PRICE, 'the price left the client')
  t.equal(await new NbStore(env.sm).balanceOf(STORAGE_DEALS.toString()), 3n * PRICE, 'into the escrow')
  const d = await view(env, 'deal', [1n])
  t.same(d.result, [getAddress(hexOf(CLIENT)), getAddress(hexOf(PROVIDER)), ROOT, size, 3n, 3n * PRICE, 0n, 0n, 0n, 0n, BigInt(DealStatus.Posted)])
  t.same((await view(env, 'deal', [9n])).result?.[10], 0n, 'an unknown id: all zero')
  t.same((await view(env, 'dealCount')).result, [1n])
  t.equal((await view(env, 'challenge', [1n, period(env)])).outcome, 'revert: StorageDeals: deal 1 was never accepted')
  t.equal(outcome(await send(env, 3, 'cancel', [1n])), "revert: StorageDeals: only the deal's client cancels it")
  t.equal(outcome(await send(env, CLIENT, 'cancel', [2n])), 'revert: StorageDeals: unknown deal 2')
  const c = await send(env, CLIENT, 'cancel', [1n])
  t.same(eventsOf(S, c), [{ name: 'DealCancelled', args: [1n, getAddress(hexOf(CLIENT)), 3n * PRICE] }])
  t.equal(await nbOf(env, CLIENT), 1_000_000n, 'refunded')
  t.equal((await dealOf(env, 1n)).status, DealStatus.Cancelled)
  t.equal(outcome(await send(env, CLIENT, 'cancel', [1n])), 'revert: StorageDeals: only a deal not yet accepted can be cancelled')
  t.equal(outcome(await send(env, PROVIDER, 'accept', [1n], DEALS.collateralWei)), 'revert: StorageDeals: the deal is not waiting for acceptance')
})

t.test('accept: collateral, the cap on active deals, no cancel after it', async (t) => {
  const env = await setUp(t)
  const total0 = (await env.total([STORAGE_DEALS])) + env.burned
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 100_000n])), 'ok')
  for (let i = 0; i < 3; i++) t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, BigInt(FILE.length), 2n])), 'ok')
  t.equal(outcome(await send(env, 3, 'accept', [1n], DEALS.collateralWei)), "revert: StorageDeals: only the deal's provider accepts it")
  t.equal(
    outcome(await send(env, PROVIDER, 'accept', [1n], DEALS.collateralWei - 1n)),
    'revert: StorageDeals: collateral too small: accepting puts up at least 10 NFC',
  )
  const r = await send(env, PROVIDER, 'accept', [1n], DEALS.collateralWei)
  const first = period(env) + 1n
  t.same(eventsOf(S, r), [{ name: 'DealAccepted', args: [1n, getAddress(hexOf(PROVIDER)), DEALS.collateralWei, first, first + 1n] }])
  t.equal(await env.balance(STORAGE_DEALS), DEALS.collateralWei, 'the collateral is held by StorageDeals')
  t.equal(outcome(await send(env, PROVIDER, 'accept', [2n], DEALS.collateralWei)), 'ok')
  t.equal(outcome(await send(env, PROVIDER, 'accept', [3n], DEALS.collateralWei)), 'revert: StorageDeals: 2 deals are active, the most the chain takes')
  t.same((await view(env, 'activeDealCount')).result, [2n])
  t.equal(outcome(await send(env, CLIENT, 'cancel', [1n])), 'revert: StorageDeals: only a deal not yet accepted can be cancelled')
  t.equal(await env.total([STORAGE_DEALS]), total0 - env.burned, 'Σ balances: only the burned base fee left')
})

t.test('a provider that exited NodeRegistry accepts no new deal', async (t) => {
  const env = await setUp(t)
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 100_000n])), 'ok')
  t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, BigInt(FILE.length), 2n])), 'ok')
  t.equal(outcome(await env.send(PROVIDER, NODE_REGISTRY, registryIface.encodeFunctionData('exit', []))), 'ok', 'the provider exits')
  t.equal(
    outcome(await send(env, PROVIDER, 'accept', [1n], DEALS.collateralWei)),
    'revert: StorageDeals: the provider has left NodeRegistry: an exited provider takes no new deal',
  )
  t.equal(
    outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 100_000n])),
    'revert: StorageDeals: only a provider pledged in NodeRegistry makes an offer (nfc flow provide pledges)',
  )
  t.equal(outcome(await send(env, CLIENT, 'cancel', [1n])), 'ok', 'the client takes its NB back')
})

t.test('prove, pay, slash, end: a whole term', async (t) => {
  const env = await setUp(t)
  const total0 = (await env.total([STORAGE_DEALS])) + env.burned
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 100_000n])), 'ok')
  // deal 1 is proved every period; deal 2 (client 3) is proved once, then missed
  t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, BigInt(FILE.length), 2n])), 'ok')
  t.equal(outcome(await send(env, 3, 'post', [hexOf(PROVIDER), ROOT, BigInt(FILE.length), 3n])), 'ok')
  t.equal(outcome(await send(env, PROVIDER, 'accept', [1n], DEALS.collateralWei)), 'ok')
  t.equal(outcome(await send(env, PROVIDER, 'accept', [2n], 2n * DEALS.collateralWei)), 'ok')
  const p0 = period(env)
  t.same((await view(env, 'currentPeriod')).result, [p0])
  t.equal((await view(env, 'challenge', [1n, p0 + 1n])).outcome, `revert: StorageDeals: period ${p0 + 1n} has not started (the current period is ${p0})`)
  t.equal(outcome(await send(env, PROVIDER, 'prove', [1n, p0, [], []])), `revert: StorageDeals: the deal's term starts at period ${p0 + 1n}`)
  const providerNb0 = await nbOf(env, PROVIDER)

  t.same(await nextPeriod(env), [
    { id: 1n, paid: 0n, refunded: 0n, slashed: 0n, status: DealStatus.Active },
    { id: 2n, paid: 0n, refunded: 0n, slashed: 0n, status: DealStatus.Active },
  ])
  const p1 = p0 + 1n
  const pr = await proofFor(env, 1n, p1)
  t.equal(pr.idx.length, 4, '4 of the 6 leaves')
  t.equal(
    outcome(await send(env, PROVIDER, 'prove', [1n, p1 + 1n, pr.chunks, pr.proofs])),
    `revert: StorageDeals: only the current period ${p1} can be proved, not ${p1 + 1n}`,
  )
  t.equal(outcome(await send(env, 3, 'prove', [1n, p1, pr.chunks, pr.proofs])), "revert: StorageDeals: only the deal's provider proves it")
  t.equal(
    outcome(await send(env, PROVIDER, 'prove', [1n, p1, pr.chunks.slice(1), pr.proofs.slice(1)])),
    `revert: StorageDeals: want 4 chunks and proofs (leaves ${pr.idx.join(', ')})`,
  )
  const bad = [...pr.chunks]
  bad[2] = '0x' + (bad[2]!.slice(2, 4) === 'ff' ? '00' : 'ff') + bad[2]!.slice(4)
  t.equal(outcome(await send(env, PROVIDER, 'prove', [1n, p1, bad, pr.proofs])), `revert: StorageDeals: wrong proof for leaf ${pr.idx[2]} (chunk 2)`)
  const swapped = [pr.proofs[1], pr.proofs[0], ...pr.proofs.slice(2)]
  t.equal(outcome(await send(env, PROVIDER, 'prove', [1n, p1, pr.chunks, swapped])), `revert: StorageDeals: wrong proof for leaf ${pr.idx[0]} (chunk 0)`)
  const ok = await send(env, PROVIDER, 'prove', [1n, p1, pr.chunks, pr.proofs])
  t.equal(outcome(ok), 'ok')
  t.same(eventsOf(S, ok), [{ name: 'Proved', args: [1n, getAddress(hexOf(PROVIDER)), p1] }])
  t.equal(outcome(await send(env, PROVIDER, 'prove', [1n, p1, pr.chunks, pr.proofs])), `revert: StorageDeals: period ${p1} is already proved`)
  const pr2 = await proofFor(env, 2n, p1)
  t.equal(outcome(await send(env, PROVIDER, 'prove', [2n, p1, pr2.chunks, pr2.proofs])), 'ok')

  // period 2: both proved period 1 → paid; deal 1 proves again, deal 2 misses
  t.same(await nextPeriod(env), [
    { id: 1n, paid: PRICE, refunded: 0n, slashed: 0n, status: DealStatus.Active },
    { id: 2n, paid: PRICE, refunded: 0n, slashed: 0n, status: DealStatus.Active },
  ])
  t.equal(await nbOf(env, PROVIDER), providerNb0 + 2n * PRICE)
  const p2 = p1 + 1n
  const again = await proofFor(env, 1n, p2)
  t.equal(outcome(await send(env, PROVIDER, 'prove', [1n, p2, again.chunks, again.proofs])), 'ok')
  const client3Nfc = await env.balance(addrOf(3))
  const client3Nb = await nbOf(env, 3)
  const providerNfc = await env.balance(addrOf(PROVIDER))

  // period 3: deal 1's term is over (completed); deal 2 missed period 2 → slashed
  t.same(await nextPeriod(env), [
    { id: 1n, paid: PRICE, refunded: 0n, slashed: 0n, status: DealStatus.Completed },
    { id: 2n, paid: 0n, refunded: 2n * PRICE, slashed: DEALS.collateralWei, status: DealStatus.Slashed },
  ])
  const d1 = await dealOf(env, 1n)
  t.match(d1, { status: DealStatus.Completed, paid: 2n * PRICE, refunded: 0n, provedPeriod: p2, endedPeriod: p2 + 1n })
  const d2 = await dealOf(env, 2n)
  t.match(d2, { status: DealStatus.Slashed, paid: PRICE, refunded: 2n * PRICE, slashed: DEALS.collateralWei, provedPeriod: p1 })
  t.equal(await env.balance(addrOf(3)), client3Nfc + DEALS.collateralWei, 'half of deal 2 collateral to its client')
  t.equal(await nbOf(env, 3), client3Nb + 2n * PRICE, 'and the NB of the periods not served')
  t.equal(await env.balance(addrOf(PROVIDER)), providerNfc + 2n * DEALS.collateralWei, 'the provider got 10 back from deal 1 and 10 of the 20 of deal 2')
  t.equal(await nbOf(env, PROVIDER), providerNb0 + 3n * PRICE, 'paid for the three proved deal-periods (deal 1: two, deal 2: one)')
  t.equal(await env.balance(STORAGE_DEALS), 0n, 'StorageDeals holds no NFC once every deal ended')
  t.equal(await new NbStore(env.sm).balanceOf(STORAGE_DEALS.toString()), 0n, 'nor NB')
  t.same((await view(env, 'activeDealCount')).result, [0n])
  t.equal(outcome(await send(env, PROVIDER, 'prove', [1n, p2 + 1n, again.chunks, again.proofs])), 'revert: StorageDeals: the deal is not active')
  t.same(await nextPeriod(env), [], 'nothing left to settle')
  t.equal(await env.total([STORAGE_DEALS]), total0 - env.burned, 'Σ balances: only the burned base fee left')
})

t.test('a period without any block is refunded, not slashed; the settlement waits for the account', async (t) => {
  const env = await setUp(t)
  t.same(await nextPeriod(env), [], 'no StorageDeals account yet: nothing runs')
  t.equal(await env.sm.getAccount(STORAGE_DEALS), undefined, 'and nothing is written')
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 100_000n])), 'ok')
  t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, BigInt(FILE.length), 3n])), 'ok')
  t.equal(outcome(await send(env, PROVIDER, 'accept', [1n], DEALS.collateralWei)), 'ok')
  // the chain makes no block for two whole periods
  env.timeMs += 2n * PERIOD_MS
  t.same(await nextPeriod(env), [{ id: 1n, paid: 0n, refunded: 2n * PRICE, slashed: 0n, status: DealStatus.Active }])
  const p = period(env)
  const pr = await proofFor(env, 1n, p)
  t.equal(outcome(await send(env, PROVIDER, 'prove', [1n, p, pr.chunks, pr.proofs])), 'ok')
  const providerNfc = await env.balance(addrOf(PROVIDER))
  t.same(await nextPeriod(env), [{ id: 1n, paid: PRICE, refunded: 0n, slashed: 0n, status: DealStatus.Completed }])
  t.equal(await env.balance(addrOf(PROVIDER)), providerNfc + DEALS.collateralWei, 'the collateral back')
  t.equal(await nbOf(env, CLIENT), 1_000_000n - PRICE, 'the client paid one period')
})

t.test('the challenge comes from the seed of the period: recorded at its first block', async (t) => {
  const env = await setUp(t)
  t.equal(outcome(await send(env, PROVIDER, 'setOffer', [ENDPOINT, PRICE, 100_000n])), 'ok')
  t.equal(outcome(await send(env, CLIENT, 'post', [hexOf(PROVIDER), ROOT, BigInt(FILE.length), 3n])), 'ok')
  t.equal(outcome(await send(env, PROVIDER, 'accept', [1n], DEALS.collateralWei)), 'ok')
  t.equal(
    (await view(env, 'challenge', [1n, period(env)])).outcome,
    `revert: StorageDeals: period ${period(env)} has no seed (no deal was live when it started)`,
  )
  await nextPeriod(env)
  const hash = core.keccak256(uint64be(env.number))
  const store = new DealsStore(env.sm)
  t.equal(hexlify(await store.seedOf(period(env))), hexlify(hash), 'the parent hash of the first block')
  const c = await view(env, 'challenge', [1n, period(env)])
  t.equal(c.gas, STORAGE_DEALS_GAS.challenge)
  t.same(c.result![0], challengeIndexes(challengeSeed(hash, 1n, period(env)), BigInt(FILE.length), 4).map(BigInt))
})
