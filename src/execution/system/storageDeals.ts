/**
 * StorageDeals (0x…1008, DESIGN §14, Flowcoin): storage deals with proofs of possession. Records:
 * src/consensus/deals/store.ts; pure rules (price, periods, challenge draw, settlement):
 * src/consensus/deals/rules.ts; the settlement at each period's first block:
 * src/consensus/deals/engine.ts; the file tree: src/deals/fileTree.ts.
 *
 *  setOffer(endpoint, priceNbPerMiBPeriod, maxBytes) — a provider pledged in NodeRegistry (any
 *     role, not exited) publishes or replaces its offer; endpoint http://host:port (≤ 200 bytes).
 *  removeOffer() — the caller's offer is withdrawn (posted and active deals go on).
 *  post(provider, root, size, periods) — the client posts a deal under the provider's current offer
 *     (size ≤ maxBytes, 1 ≤ periods ≤ MAX_DEAL_PERIODS); price = ⌈size / MiB⌉ × price × periods NB
 *     of the caller move to this account's NB balance (as PaymentChannels.open). Status Posted.
 *  accept(id) payable — the deal's provider, still pledged, msg.value ≥ storageCollateral (all of it is held);
 *     refused when storageMaxActiveDeals deals are active. Status Active, first period = the next.
 *  cancel(id) — the client, while Posted: the escrow comes back. Status Cancelled.
 *  prove(id, period, chunks, proofs) — the provider, for the current period only, once: chunks[i]
 *     is leaf challenge(id, period)[i] of the file, proofs[i] its sibling path; any wrong chunk or
 *     path reverts (the period then counts as missed at the next period's first block).
 *  offerOf(provider), deal(id), dealCount(), activeDealCount(), priceOf(provider, size, periods),
 *     currentPeriod(), challenge(id, period) — views.
 *
 * Supply: this account's NFC balance is the collateral of the posted-then-accepted deals, its NB
 * balance (NB's records) the escrow; supply.ts counts the NFC as locked.
 * The account did not exist at genesis: the first post makes it a system account
 * (`ensureSystemAccount`) and records the period, so genesis hashes hold.
 */
import { bytesToHex } from '@ethereumjs/util'
import { formatNfc } from '../../chain/genesisSchema.js'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { dealsOf } from '../../consensus/dpos/engine.js'
import type { Addr } from '../../consensus/dpos/store.js'
import {
  challengeIndexes,
  challengeSeed,
  dealPrice,
  dealProblem,
  DealStatus,
  lastPeriodOf,
  offerEndpointProblem,
  offerProblem,
  periodAt,
} from '../../consensus/deals/rules.js'
import { DealsStore, STORAGE_DEALS, type DealRecord } from '../../consensus/deals/store.js'
import { NbStore } from '../../consensus/povf/nbStore.js'
import { verifyChunk } from '../../deals/fileTree.js'
import { ensure, ensureSystemAccount, event, fn, type CallContext, type SystemContract } from './contract.js'

/** Gas (also in the gas table of index.ts). */
export const STORAGE_DEALS_GAS = {
  view: 2_600n,
  /** the offer words and the offers list entry */
  setOffer: 50_000n,
  /** setOffer: per 32-byte word of endpoint (≤ 7) */
  perEndpointWord: 5_000n,
  removeOffer: 30_000n,
  /** two NB balances, fifteen deal words, the count */
  post: 90_000n,
  /** the deal words, the active list entry */
  accept: 60_000n,
  cancel: 40_000n,
  /** the deal, the seed, the draw */
  prove: 40_000n,
  /** prove: per chunk (hashing 4 KiB and its path) */
  perChunk: 2_000n,
  /** prove: per proof node */
  perProofNode: 60n,
  /** challenge: the deal, the seed, the draw */
  challenge: 5_000n,
} as const

const ZERO: Addr = '0x0000000000000000000000000000000000000000'
const SELF: Addr = SYSTEM_CONTRACTS.storageDeals
const ZERO32 = new Uint8Array(32)

export const OfferSet = event('OfferSet', [
  { name: 'provider', type: 'address', indexed: true },
  { name: 'endpoint', type: 'string' },
  { name: 'priceNbPerMiBPeriod', type: 'uint256' },
  { name: 'maxBytes', type: 'uint64' },
] as const)
export const OfferRemoved = event('OfferRemoved', [{ name: 'provider', type: 'address', indexed: true }] as const)
export const DealPosted = event('DealPosted', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'client', type: 'address', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'root', type: 'bytes32' },
  { name: 'size', type: 'uint64' },
  { name: 'periods', type: 'uint32' },
  { name: 'price', type: 'uint256' },
] as const)
export const DealAccepted = event('DealAccepted', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'collateral', type: 'uint256' },
  { name: 'firstPeriod', type: 'uint64' },
  { name: 'lastPeriod', type: 'uint64' },
] as const)
export const DealCancelled = event('DealCancelled', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'client', type: 'address', indexed: true },
  { name: 'refund', type: 'uint256' },
] as const)
export const Proved = event('Proved', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'period', type: 'uint64' },
] as const)

async function dealOf(store: DealsStore, id: bigint): Promise<DealRecord> {
  const d = await store.getDeal(id)
  ensure(d !== null, `StorageDeals: unknown deal ${id}`)
  return d
}

/** a provider pledged in NodeRegistry: a role, a pledge, not exited */
async function isPledged(ctx: CallContext, a: Addr): Promise<boolean> {
  const n = await ctx.store.getNode(a)
  return n.role !== 0 && n.pledge > 0n && n.exitTime === 0n
}

async function setOffer(ctx: CallContext, endpoint: string, price: bigint, maxBytes: bigint): Promise<[]> {
  const epProblem = offerEndpointProblem(endpoint)
  ensure(epProblem === undefined, `StorageDeals: ${epProblem ?? ''}`)
  ctx.gas.use(BigInt(Math.ceil(endpoint.length / 32)) * STORAGE_DEALS_GAS.perEndpointWord)
  const problem = offerProblem(price, maxBytes)
  ensure(problem === undefined, `StorageDeals: ${problem ?? ''}`)
  ensure(await isPledged(ctx, ctx.sender), 'StorageDeals: only a provider pledged in NodeRegistry makes an offer (nfc flow provide pledges)')
  await ensureSystemAccount(ctx.sm, STORAGE_DEALS)
  await new DealsStore(ctx.sm).putOffer({ provider: ctx.sender, endpoint, pricePerMiBPeriod: price, maxBytes })
  ctx.emit(OfferSet, [ctx.sender, endpoint, price, maxBytes])
  return []
}

async function removeOffer(ctx: CallContext): Promise<[]> {
  const store = new DealsStore(ctx.sm)
  const o = await store.getOffer(ctx.sender)
  ensure(o.maxBytes !== 0n, 'StorageDeals: the caller has no offer')
  await store.putOffer({ provider: ctx.sender, endpoint: '', pricePerMiBPeriod: 0n, maxBytes: 0n })
  ctx.emit(OfferRemoved, [ctx.sender])
  return []
}

/** the price of a deal under `provider`'s current offer (reverts without an offer or for a bad size/term) */
async function priceUnderOffer(store: DealsStore, provider: Addr, size: bigint, periods: bigint): Promise<bigint> {
  const o = await store.getOffer(provider)
  ensure(o.maxBytes !== 0n, `StorageDeals: ${provider} has no storage offer`)
  const problem = dealProblem(size, periods, o.maxBytes)
  ensure(problem === undefined, `StorageDeals: ${problem ?? ''}`)
  return dealPrice(size, o.pricePerMiBPeriod, periods)
}

async function post(ctx: CallContext, provider: Addr, root: Uint8Array, size: bigint, periods: bigint): Promise<[bigint]> {
  ensure(provider !== ZERO, 'StorageDeals: provider is the zero address')
  ensure(provider !== ctx.sender, 'StorageDeals: a deal with oneself')
  ensure(bytesToHex(root) !== bytesToHex(ZERO32), 'StorageDeals: root is zero')
  const store = new DealsStore(ctx.sm)
  const price = await priceUnderOffer(store, provider, size, periods)
  const nb = new NbStore(ctx.sm)
  const balance = await nb.balanceOf(ctx.sender)
  ensure(balance >= price, `StorageDeals: the deal costs ${price} NB wei, the caller holds ${balance}`)
  await ensureSystemAccount(ctx.sm, STORAGE_DEALS)
  if ((await store.lastPeriod()) === 0n) await store.setLastPeriod(periodAt(ctx.call.blockTimeMs, dealsOf(ctx.cfg)))
  await nb.move(ctx.sender, SELF, price)
  const id = await store.nextId()
  await store.putDeal(id, { client: ctx.sender, provider, root, size, periods, price, status: DealStatus.Posted })
  ctx.emit(DealPosted, [id, ctx.sender, provider, root, size, periods, price])
  return [id]
}

async function accept(ctx: CallContext, id: bigint): Promise<[]> {
  const store = new DealsStore(ctx.sm)
  const d = await dealOf(store, id)
  ensure(ctx.sender === d.provider, "StorageDeals: only the deal's provider accepts it")
  ensure(d.status === DealStatus.Posted, 'StorageDeals: the deal is not waiting for acceptance')
  ensure(await isPledged(ctx, ctx.sender), 'StorageDeals: the provider has left NodeRegistry: an exited provider takes no new deal')
  const cfg = dealsOf(ctx.cfg)
  ensure(ctx.call.value >= cfg.collateralWei, `StorageDeals: collateral too small: accepting puts up at least ${formatNfc(cfg.collateralWei)}`)
  const active = store.active()
  ensure((await active.length()) < BigInt(cfg.maxActiveDeals), `StorageDeals: ${cfg.maxActiveDeals} deals are active, the most the chain takes`)
  const firstPeriod = periodAt(ctx.call.blockTimeMs, cfg) + 1n
  await store.putDeal(id, { collateral: ctx.call.value, firstPeriod, status: DealStatus.Active })
  await active.add(id)
  ctx.emit(DealAccepted, [id, ctx.sender, ctx.call.value, firstPeriod, lastPeriodOf({ firstPeriod, periods: d.periods })])
  return []
}

async function cancel(ctx: CallContext, id: bigint): Promise<[]> {
  const store = new DealsStore(ctx.sm)
  const d = await dealOf(store, id)
  ensure(ctx.sender === d.client, "StorageDeals: only the deal's client cancels it")
  ensure(d.status === DealStatus.Posted, 'StorageDeals: only a deal not yet accepted can be cancelled')
  const nb = new NbStore(ctx.sm)
  await nb.move(SELF, d.client, d.price)
  await store.putDeal(id, { status: DealStatus.Cancelled, refunded: d.price, endedPeriod: periodAt(ctx.call.blockTimeMs, dealsOf(ctx.cfg)) })
  ctx.emit(DealCancelled, [id, ctx.sender, d.price])
  return []
}

/** The challenge of deal `d` for a started period (reverts before it starts). */
async function challengeOf(ctx: CallContext, store: DealsStore, d: DealRecord, period: bigint): Promise<number[]> {
  const current = periodAt(ctx.call.blockTimeMs, dealsOf(ctx.cfg))
  ensure(period <= current, `StorageDeals: period ${period} has not started (the current period is ${current})`)
  const hash = await store.seedOf(period)
  ensure(bytesToHex(hash) !== bytesToHex(ZERO32), `StorageDeals: period ${period} has no seed (no deal was live when it started)`)
  return challengeIndexes(challengeSeed(hash, d.id, period), d.size, dealsOf(ctx.cfg).proofLeaves)
}

async function prove(ctx: CallContext, id: bigint, period: bigint, chunks: Uint8Array[], proofs: Uint8Array[][]): Promise<[]> {
  ctx.gas.use(BigInt(chunks.length) * STORAGE_DEALS_GAS.perChunk + BigInt(proofs.reduce((n, p) => n + p.length, 0)) * STORAGE_DEALS_GAS.perProofNode)
  const store = new DealsStore(ctx.sm)
  const d = await dealOf(store, id)
  ensure(ctx.sender === d.provider, "StorageDeals: only the deal's provider proves it")
  ensure(d.status === DealStatus.Active, 'StorageDeals: the deal is not active')
  const current = periodAt(ctx.call.blockTimeMs, dealsOf(ctx.cfg))
  ensure(period === current, `StorageDeals: only the current period ${current} can be proved, not ${period}`)
  ensure(period >= d.firstPeriod, `StorageDeals: the deal's term starts at period ${d.firstPeriod}`)
  ensure(period <= lastPeriodOf(d), `StorageDeals: the deal's term ended at period ${lastPeriodOf(d)}`)
  ensure(d.provedPeriod !== period, `StorageDeals: period ${period} is already proved`)
  const indexes = await challengeOf(ctx, store, d, period)
  ensure(
    chunks.length === indexes.length && proofs.length === indexes.length,
    `StorageDeals: want ${indexes.length} chunks and proofs (leaves ${indexes.join(', ')})`,
  )
  indexes.forEach((leaf, i) => {
    ensure(verifyChunk(d.root, d.size, leaf, chunks[i]!, proofs[i]!), `StorageDeals: wrong proof for leaf ${leaf} (chunk ${i})`)
  })
  await store.putDeal(id, { provedPeriod: period })
  ctx.emit(Proved, [id, ctx.sender, period])
  return []
}

type DealTuple = [Addr, Addr, Uint8Array, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint]

async function dealView(ctx: CallContext, id: bigint): Promise<DealTuple> {
  const d = await new DealsStore(ctx.sm).getDeal(id)
  if (d === null) return [ZERO, ZERO, ZERO32, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]
  return [d.client, d.provider, d.root, d.size, d.periods, d.price, d.paid, d.collateral, d.firstPeriod, d.provedPeriod, BigInt(d.status)]
}

export const storageDeals: SystemContract = {
  name: 'StorageDeals',
  address: STORAGE_DEALS,
  events: [OfferSet, OfferRemoved, DealPosted, DealAccepted, DealCancelled, Proved],
  functions: [
    fn({
      name: 'setOffer',
      inputs: ['string', 'uint256', 'uint64'],
      outputs: [],
      mutability: 'nonpayable',
      gas: STORAGE_DEALS_GAS.setOffer,
      run: (ctx, [endpoint, price, maxBytes]) => setOffer(ctx, endpoint, price, maxBytes),
    }),
    fn({ name: 'removeOffer', inputs: [], outputs: [], mutability: 'nonpayable', gas: STORAGE_DEALS_GAS.removeOffer, run: (ctx) => removeOffer(ctx) }),
    fn({
      name: 'post',
      inputs: ['address', 'bytes32', 'uint64', 'uint32'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: STORAGE_DEALS_GAS.post,
      run: (ctx, [provider, root, size, periods]) => post(ctx, provider.toLowerCase(), root, size, periods),
    }),
    fn({ name: 'accept', inputs: ['uint256'], outputs: [], mutability: 'payable', gas: STORAGE_DEALS_GAS.accept, run: (ctx, [id]) => accept(ctx, id) }),
    fn({ name: 'cancel', inputs: ['uint256'], outputs: [], mutability: 'nonpayable', gas: STORAGE_DEALS_GAS.cancel, run: (ctx, [id]) => cancel(ctx, id) }),
    fn({
      name: 'prove',
      inputs: ['uint256', 'uint64', 'bytes[]', 'bytes32[][]'],
      outputs: [],
      mutability: 'nonpayable',
      gas: STORAGE_DEALS_GAS.prove,
      run: (ctx, [id, period, chunks, proofs]) => prove(ctx, id, period, chunks, proofs),
    }),
    fn({
      name: 'offerOf',
      inputs: ['address'],
      outputs: ['string', 'uint256', 'uint64'],
      mutability: 'view',
      gas: STORAGE_DEALS_GAS.view,
      run: async (ctx, [provider]) => {
        const o = await new DealsStore(ctx.sm).getOffer(provider.toLowerCase())
        return [o.endpoint, o.pricePerMiBPeriod, o.maxBytes]
      },
    }),
    fn({
      name: 'deal',
      inputs: ['uint256'],
      outputs: ['address', 'address', 'bytes32', 'uint64', 'uint32', 'uint256', 'uint256', 'uint256', 'uint64', 'uint64', 'uint8'],
      mutability: 'view',
      gas: STORAGE_DEALS_GAS.view,
      run: (ctx, [id]) => dealView(ctx, id),
    }),
    fn({
      name: 'dealCount',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: STORAGE_DEALS_GAS.view,
      run: async (ctx) => [await new DealsStore(ctx.sm).count()],
    }),
    fn({
      name: 'activeDealCount',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: STORAGE_DEALS_GAS.view,
      run: async (ctx) => [await new DealsStore(ctx.sm).active().length()],
    }),
    fn({
      name: 'priceOf',
      inputs: ['address', 'uint64', 'uint32'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: STORAGE_DEALS_GAS.view,
      run: async (ctx, [provider, size, periods]) => [await priceUnderOffer(new DealsStore(ctx.sm), provider.toLowerCase(), size, periods)],
    }),
    fn({
      name: 'currentPeriod',
      inputs: [],
      outputs: ['uint64'],
      mutability: 'view',
      gas: STORAGE_DEALS_GAS.view,
      run: async (ctx) => [periodAt(ctx.call.blockTimeMs, dealsOf(ctx.cfg))],
    }),
    fn({
      name: 'challenge',
      inputs: ['uint256', 'uint64'],
      outputs: ['uint64[]'],
      mutability: 'view',
      gas: STORAGE_DEALS_GAS.challenge,
      run: async (ctx, [id, period]) => {
        const store = new DealsStore(ctx.sm)
        const d = await dealOf(store, id)
        ensure(d.status !== DealStatus.Posted && d.status !== DealStatus.Cancelled, `StorageDeals: deal ${id} was never accepted`)
        return [(await challengeOf(ctx, store, d, period)).map(BigInt)]
      },
    }),
  ],
}
