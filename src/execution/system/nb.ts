/**
 * NB (0x…1003, DESIGN §6): the bandwidth token that pays traffic fuel. A native ERC-20 — name
 * "NetFlow Bandwidth", symbol "NB", 18 decimals, the standard functions and Transfer/Approval
 * events — so ethers/viem ERC-20 ABIs and wallets work unchanged. Records: src/consensus/povf/nbStore.ts.
 *
 * Supply: NB is only created by convert() and only destroyed by the flow engine burning fuel
 * (NbStore.burnEscrow / burnFrom at checkpoint application; no public function burns or mints
 * otherwise). Escrowed NB is still NB: totalSupply = Σ balances + Σ escrows.
 *
 *  convert() payable — mints msg.value × price / 10^18 NB to the caller (price = NB wei per NFC,
 *     the live oracle word). Only for an account whose NFC balance before the call was above
 *     nbConvertMinBalance: the EVM has already moved msg.value here, so "before" = its balance
 *     now + msg.value. The NFC received is burned (sent to BURN_ADDRESS) until burnedNfc reaches
 *     nbBurnCap, then it goes to the foundation; one conversion crossing the cap is split
 *     exactly. With no foundation configured everything keeps burning (burnedNfc then exceeds
 *     the cap: it counts every NFC wei conversions burned). A conversion minting 0 NB reverts
 *     (it would take NFC for nothing). Emits Transfer(0, caller, nbOut) and Converted.
 *  setPrice(p) — the foundation only; p > 0. Emits PriceSet.
 *  funder(a) — the first address that sent `a` NB by transfer/transferFrom (zero: none).
 *     Conversions and zero-amount transfers do not set it. Every non-zero transfer also adds an
 *     edge of the funding graph (NbStore.transfer; the flow engine's self-dealing rule reads it).
 *
 * Fuel escrow (DESIGN §5.1), one per (consumer, provider) pair, covering all of its sessions; the
 * flow engine burns a pair's fuel from its escrow first, then from the consumer's balance:
 *  escrow(provider, amount) — moves `amount` of the caller's balance into escrow(caller, provider)
 *     and cancels a pending release (a consumer topping up means to keep using the provider).
 *     Emits Escrowed(consumer, provider, amount, total).
 *  requestRelease(provider) — releaseAt = block time + 2·cycleMs + challengeMs (ms, the unit of
 *     every time the system contracts expose). The delay covers the cycle in progress, the next
 *     one (in which its checkpoint is submitted) and the challenge window before it is applied:
 *     traffic served until the request is still charged to the escrow. A request while one is
 *     pending keeps the earlier time and emits nothing (no way to push it back or forth).
 *     Also accepted for a listed escrow the engine burned down to 0, so it can be cleared.
 *     Emits ReleaseRequested(consumer, provider, releaseAt).
 *  withdrawEscrow(provider) — from releaseAt on: what the engine left in the escrow goes back to
 *     the caller's balance; the escrow and its releaseAt are cleared. Emits EscrowReleased.
 *  escrowOf(consumer, provider) — (amount, releaseAt).
 *  escrowCount(consumer) — how many providers `consumer` has an escrow with: a provider is listed
 *     from the pair's first escrow() until withdrawEscrow(), so an escrow the engine burned down to
 *     0 stays listed (requestRelease accepts it, so the consumer can clear it).
 *  escrowsOf(consumer) — (providers, amounts, releaseAts) of the first MAX_ESCROWS_LISTED (256)
 *     listed escrows, in list order (a provider is appended when listed; a withdrawal moves the last
 *     one into the freed place), not sorted: sorting would need the whole list whatever its length.
 *     Costs the view price plus perEscrow per escrow returned.
 *
 * ERC-20 details: transfer/transferFrom to the zero address revert (NB is never burned by
 * users); an allowance of 2^256 − 1 is infinite (not decreased by transferFrom), as in
 * OpenZeppelin; approve overwrites.
 */
import { Address, hexToBytes } from '@ethereumjs/util'
import { BURN_ADDRESS, NFC } from '../../chain/systemAddresses.js'
import { formatNfc } from '../../chain/genesisSchema.js'
import { flowOf } from '../../consensus/dpos/engine.js'
import type { Addr } from '../../consensus/dpos/store.js'
import { flowCycleAt } from '../../consensus/povf/engine.js'
import { NB, NbStore } from '../../consensus/povf/nbStore.js'
import type { FlowConfig } from '../../consensus/povf/params.js'
import { ensure, event, fn, type CallContext, type SystemContract } from './contract.js'

export const NB_GAS = {
  view: 2_600n,
  transfer: 30_000n,
  approve: 25_000n,
  transferFrom: 35_000n,
  convert: 60_000n,
  setPrice: 25_000n,
  /** the escrow words and, for a new pair, the consumer's list entry (3 words) */
  escrow: 45_000n,
  requestRelease: 25_000n,
  /** the escrow words and the list entry (the last entry moves into its place) */
  withdrawEscrow: 45_000n,
  /** escrowsOf: per escrow returned (its provider, amount and releaseAt words) */
  perEscrow: 6_300n,
} as const

/** escrowsOf returns at most this many escrows (the first of the consumer's list) */
export const MAX_ESCROWS_LISTED = 256

const MAX_UINT256 = (1n << 256n) - 1n
const ZERO: Addr = '0x0000000000000000000000000000000000000000'
const BURN = new Address(hexToBytes(BURN_ADDRESS))

export const Transfer = event('Transfer', [
  { name: 'from', type: 'address', indexed: true },
  { name: 'to', type: 'address', indexed: true },
  { name: 'value', type: 'uint256' },
] as const)
export const Approval = event('Approval', [
  { name: 'owner', type: 'address', indexed: true },
  { name: 'spender', type: 'address', indexed: true },
  { name: 'value', type: 'uint256' },
] as const)
export const Converted = event('Converted', [
  { name: 'account', type: 'address', indexed: true },
  { name: 'nfcIn', type: 'uint256' },
  { name: 'nbOut', type: 'uint256' },
  { name: 'burned', type: 'uint256' },
  { name: 'toFoundation', type: 'uint256' },
] as const)
export const PriceSet = event('PriceSet', [
  { name: 'oldPrice', type: 'uint256' },
  { name: 'newPrice', type: 'uint256' },
] as const)

export const Escrowed = event('Escrowed', [
  { name: 'consumer', type: 'address', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
  { name: 'total', type: 'uint256' },
] as const)
export const ReleaseRequested = event('ReleaseRequested', [
  { name: 'consumer', type: 'address', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'releaseAt', type: 'uint256' },
] as const)
export const EscrowReleased = event('EscrowReleased', [
  { name: 'consumer', type: 'address', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
] as const)

/**
 * How long after requestRelease an escrow can be withdrawn (ms): the cycle in progress, the next
 * cycle (its checkpoint is submitted then) and the challenge window before application.
 */
export function escrowReleaseDelayMs(flow: Pick<FlowConfig, 'cycleMs' | 'challengeMs'>): bigint {
  return 2n * flow.cycleMs + flow.challengeMs
}

/** How one conversion of `value` NFC wei splits between burning and the foundation. */
export function convertSplit(value: bigint, burnedSoFar: bigint, cap: bigint, hasFoundation: boolean): { burned: bigint; toFoundation: bigint } {
  if (!hasFoundation) return { burned: value, toFoundation: 0n }
  const room = cap > burnedSoFar ? cap - burnedSoFar : 0n
  const burned = value < room ? value : room
  return { burned, toFoundation: value - burned }
}

async function move(ctx: CallContext, nb: NbStore, from: Addr, to: Addr, amount: bigint): Promise<void> {
  ensure(to !== ZERO, 'NB: transfer to the zero address')
  ensure((await nb.balanceOf(from)) >= amount, 'NB: transfer amount exceeds balance')
  await nb.transfer(from, to, amount, { cycle: flowCycleAt(ctx.call.blockTimeMs, ctx.cfg), windowCycles: flowOf(ctx.cfg).selfDealingWindowCycles })
  ctx.emit(Transfer, [from, to, amount])
}

async function transferFrom(ctx: CallContext, from: Addr, to: Addr, amount: bigint): Promise<[boolean]> {
  const nb = new NbStore(ctx.sm)
  const allowed = await nb.allowance(from, ctx.sender)
  ensure(allowed >= amount, 'NB: insufficient allowance')
  if (allowed !== MAX_UINT256) await nb.setAllowance(from, ctx.sender, allowed - amount)
  await move(ctx, nb, from, to, amount)
  return [true]
}

async function convert(ctx: CallContext): Promise<[bigint]> {
  const cfg = flowOf(ctx.cfg)
  const value = ctx.call.value
  ensure(value > 0n, 'convert needs NFC: send it as msg.value')
  const before = (await ctx.store.balanceOf(ctx.call.caller)) + value
  ensure(before > cfg.nbConvertMinBalance, `convert needs a balance above ${formatNfc(cfg.nbConvertMinBalance)}`)
  const nb = new NbStore(ctx.sm)
  const out = (value * (await nb.price(cfg))) / NFC
  ensure(out > 0n, 'convert: too little NFC for 1 NB wei')
  const burnedSoFar = await nb.burnedNfc()
  const foundation = cfg.foundation
  const split = convertSplit(value, burnedSoFar, cfg.nbBurnCap, foundation !== null)
  await nb.setBurnedNfc(burnedSoFar + split.burned)
  await ctx.store.transfer(NB, BURN, split.burned)
  if (split.toFoundation > 0n) await ctx.store.transfer(NB, new Address(hexToBytes(foundation as `0x${string}`)), split.toFoundation)
  await nb.mint(ctx.sender, out)
  ctx.emit(Transfer, [ZERO, ctx.sender, out])
  ctx.emit(Converted, [ctx.sender, value, out, split.burned, split.toFoundation])
  return [out]
}

async function setPrice(ctx: CallContext, price: bigint): Promise<[]> {
  const foundation = flowOf(ctx.cfg).foundation
  ensure(foundation !== null && ctx.sender === foundation, 'NB: only the foundation sets the price')
  ensure(price > 0n, 'NB: price must be positive')
  const nb = new NbStore(ctx.sm)
  const old = await nb.price(flowOf(ctx.cfg))
  await nb.setPrice(price)
  ctx.emit(PriceSet, [old, price])
  return []
}

async function escrow(ctx: CallContext, provider: Addr, amount: bigint): Promise<[]> {
  ensure(amount > 0n, 'NB: escrow amount is zero')
  ensure(provider !== ZERO, 'NB: escrow for the zero address')
  ensure(provider !== ctx.sender, 'NB: escrow for oneself')
  const nb = new NbStore(ctx.sm)
  const bal = await nb.balanceOf(ctx.sender)
  ensure(bal >= amount, 'NB: escrow amount exceeds balance')
  const total = (await nb.escrowOf(ctx.sender, provider)).amount + amount
  await nb.setBalance(ctx.sender, bal - amount)
  await nb.setEscrow(ctx.sender, provider, total)
  await nb.setReleaseAt(ctx.sender, provider, 0n)
  await nb.escrowProviders(ctx.sender).add(provider)
  ctx.emit(Escrowed, [ctx.sender, provider, amount, total])
  return []
}

async function requestRelease(ctx: CallContext, provider: Addr): Promise<[]> {
  const nb = new NbStore(ctx.sm)
  const e = await nb.escrowOf(ctx.sender, provider)
  // an escrow the engine burned down to 0 is still listed: releasing it is how the consumer clears it
  ensure(e.amount > 0n || (await nb.escrowProviders(ctx.sender).has(provider)), 'NB: no escrow for this provider')
  if (e.releaseAt !== 0n) return []
  const releaseAt = ctx.call.blockTimeMs + escrowReleaseDelayMs(flowOf(ctx.cfg))
  await nb.setReleaseAt(ctx.sender, provider, releaseAt)
  ctx.emit(ReleaseRequested, [ctx.sender, provider, releaseAt])
  return []
}

async function withdrawEscrow(ctx: CallContext, provider: Addr): Promise<[bigint]> {
  const nb = new NbStore(ctx.sm)
  const e = await nb.escrowOf(ctx.sender, provider)
  ensure(e.releaseAt !== 0n, 'NB: no escrow release requested')
  ensure(ctx.call.blockTimeMs >= e.releaseAt, 'NB: escrow is not released yet')
  await nb.setEscrow(ctx.sender, provider, 0n)
  await nb.setReleaseAt(ctx.sender, provider, 0n)
  await nb.escrowProviders(ctx.sender).remove(provider)
  await nb.setBalance(ctx.sender, (await nb.balanceOf(ctx.sender)) + e.amount)
  ctx.emit(EscrowReleased, [ctx.sender, provider, e.amount])
  return [e.amount]
}

/** The first MAX_ESCROWS_LISTED escrows of `consumer`'s list, in list order; gas per escrow returned. */
async function escrowsOf(ctx: CallContext, consumer: Addr): Promise<[Addr[], bigint[], bigint[]]> {
  const nb = new NbStore(ctx.sm)
  const list = nb.escrowProviders(consumer)
  const len = await list.length()
  const n = len < BigInt(MAX_ESCROWS_LISTED) ? len : BigInt(MAX_ESCROWS_LISTED)
  ctx.gas.use(n * NB_GAS.perEscrow)
  const providers = await list.slice(0n, n)
  const amounts: bigint[] = []
  const releaseAts: bigint[] = []
  for (const p of providers) {
    const e = await nb.escrowOf(consumer, p)
    amounts.push(e.amount)
    releaseAts.push(e.releaseAt)
  }
  return [providers, amounts, releaseAts]
}

const view = NB_GAS.view

export const nb: SystemContract = {
  name: 'NB',
  address: NB,
  events: [Transfer, Approval, Converted, PriceSet, Escrowed, ReleaseRequested, EscrowReleased],
  functions: [
    fn({ name: 'name', inputs: [], outputs: ['string'], mutability: 'view', gas: view, run: async () => ['NetFlow Bandwidth'] }),
    fn({ name: 'symbol', inputs: [], outputs: ['string'], mutability: 'view', gas: view, run: async () => ['NB'] }),
    fn({ name: 'decimals', inputs: [], outputs: ['uint8'], mutability: 'view', gas: view, run: async () => [18n] }),
    fn({
      name: 'totalSupply',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx) => [await new NbStore(ctx.sm).totalSupply()],
    }),
    fn({
      name: 'balanceOf',
      inputs: ['address'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [a]) => [await new NbStore(ctx.sm).balanceOf(a)],
    }),
    fn({
      name: 'allowance',
      inputs: ['address', 'address'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [owner, spender]) => [await new NbStore(ctx.sm).allowance(owner, spender)],
    }),
    fn({
      name: 'transfer',
      inputs: ['address', 'uint256'],
      outputs: ['bool'],
      mutability: 'nonpayable',
      gas: NB_GAS.transfer,
      run: async (ctx, [to, amount]) => {
        await move(ctx, new NbStore(ctx.sm), ctx.sender, to, amount)
        return [true]
      },
    }),
    fn({
      name: 'approve',
      inputs: ['address', 'uint256'],
      outputs: ['bool'],
      mutability: 'nonpayable',
      gas: NB_GAS.approve,
      run: async (ctx, [spender, amount]) => {
        ensure(spender !== ZERO, 'NB: approve to the zero address')
        await new NbStore(ctx.sm).setAllowance(ctx.sender, spender, amount)
        ctx.emit(Approval, [ctx.sender, spender, amount])
        return [true]
      },
    }),
    fn({
      name: 'transferFrom',
      inputs: ['address', 'address', 'uint256'],
      outputs: ['bool'],
      mutability: 'nonpayable',
      gas: NB_GAS.transferFrom,
      run: (ctx, [from, to, amount]) => transferFrom(ctx, from, to, amount),
    }),
    fn({ name: 'convert', inputs: [], outputs: ['uint256'], mutability: 'payable', gas: NB_GAS.convert, run: (ctx) => convert(ctx) }),
    fn({
      name: 'price',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx) => [await new NbStore(ctx.sm).price(flowOf(ctx.cfg))],
    }),
    fn({
      name: 'setPrice',
      inputs: ['uint256'],
      outputs: [],
      mutability: 'nonpayable',
      gas: NB_GAS.setPrice,
      run: (ctx, [p]) => setPrice(ctx, p),
    }),
    fn({
      name: 'burnedNfc',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx) => [await new NbStore(ctx.sm).burnedNfc()],
    }),
    fn({
      name: 'funder',
      inputs: ['address'],
      outputs: ['address'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [a]) => [(await new NbStore(ctx.sm).funderOf(a)) ?? ZERO],
    }),
    fn({
      name: 'escrow',
      inputs: ['address', 'uint256'],
      outputs: [],
      mutability: 'nonpayable',
      gas: NB_GAS.escrow,
      run: (ctx, [provider, amount]) => escrow(ctx, provider, amount),
    }),
    fn({
      name: 'requestRelease',
      inputs: ['address'],
      outputs: [],
      mutability: 'nonpayable',
      gas: NB_GAS.requestRelease,
      run: (ctx, [provider]) => requestRelease(ctx, provider),
    }),
    fn({
      name: 'withdrawEscrow',
      inputs: ['address'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: NB_GAS.withdrawEscrow,
      run: (ctx, [provider]) => withdrawEscrow(ctx, provider),
    }),
    fn({
      name: 'escrowOf',
      inputs: ['address', 'address'],
      outputs: ['uint256', 'uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [consumer, provider]) => {
        const e = await new NbStore(ctx.sm).escrowOf(consumer, provider)
        return [e.amount, e.releaseAt]
      },
    }),
    fn({
      name: 'escrowCount',
      inputs: ['address'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [consumer]) => [await new NbStore(ctx.sm).escrowProviders(consumer).length()],
    }),
    fn({
      name: 'escrowsOf',
      inputs: ['address'],
      outputs: ['address[]', 'uint256[]', 'uint256[]'],
      mutability: 'view',
      gas: view,
      run: (ctx, [consumer]) => escrowsOf(ctx, consumer),
    }),
  ],
}
