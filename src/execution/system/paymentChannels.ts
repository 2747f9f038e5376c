/**
 * PaymentChannels (0x…1005, DESIGN §13): NB payment channels from a consumer to a provider, the
 * way traffic fuel is paid in-band (SoFa's micropayments; Orchid and Mysterium's Hermes are the
 * models). Records: src/consensus/povf/channelStore.ts; vouchers: src/flow/voucher.ts.
 *
 *  open(provider, amount) — moves `amount` NB of the caller (the consumer) into a new channel to
 *     `provider`; returns its id (1, 2, …). Emits ChannelOpened.
 *  topUp(id, amount) — the consumer adds NB to an open channel (not to one that is closing: the
 *     challenge period was announced for the deposit as it was). Emits ToppedUp.
 *  redeem(id, amount, signature) — the provider presents the consumer's latest voucher
 *     {channelId, provider, cumulative amount} (EIP-712, voucher.ts); it pays amount − redeemed,
 *     so a stale or replayed voucher (amount ≤ redeemed) is refused, as is one above the deposit.
 *     Allowed while the channel is open and during the challenge period, not after it.
 *     Where the NB goes: into the pair's NB fuel escrow (NB.escrowOf(consumer, provider)), which
 *     the flow engine burns at checkpoint application for the bytes counted (DESIGN §5): a voucher
 *     pays fuel, and fuel is burned in one place only. Like NB.escrow it cancels a pending escrow
 *     release. Emits Redeemed.
 *  close(id) — the consumer starts closing: closeAt = block time + channelChallengeSec·1000 (ms).
 *     Emits CloseStarted.
 *  withdraw(id) — from closeAt on, the consumer takes back deposit − redeemed to its NB balance;
 *     the channel is closed for good. Emits ChannelWithdrawn.
 *  channel(id) — (consumer, provider, deposit, redeemed, closeAt, status); reverts for an unknown id.
 *     status: 1 open, 2 closing, 3 closed (channelStore.ts ChannelStatus).
 *  channelCount() — the last id given. channelCountOf(a) — how many channels `a` is a party of.
 *  channelsOf(a, start) — the ids of `a`'s channels (as consumer or provider, in opening order)
 *     from position `start`, at most MAX_CHANNELS_LISTED; perId gas per id returned.
 *  challengePeriod() — channelChallengeSec in ms.
 *
 * Supply: the channels' NB is the NB balance of 0x…1005 in NB's records (no NB is created or
 * destroyed here), and no function is payable, so this account never holds NFC.
 */
import { ensure, event, fn, type CallContext, type SystemContract } from './contract.js'
import { chainIdOf } from './flowRewards.js'
import { flowOf } from '../../consensus/dpos/engine.js'
import type { Addr } from '../../consensus/dpos/store.js'
import { ChannelStatus, ChannelStore, PAYMENT_CHANNELS, type Channel } from '../../consensus/povf/channelStore.js'
import { NbStore } from '../../consensus/povf/nbStore.js'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { voucherRefusal } from '../../flow/voucher.js'

/** Gas (also in the gas table of index.ts). */
export const PAYMENT_CHANNELS_GAS = {
  view: 2_600n,
  /** the consumer's NB balance, this account's, six channel words, the count and two list entries */
  open: 70_000n,
  topUp: 30_000n,
  /** an ecrecover (3,000), the channel words, two NB balances, the pair's escrow words and list entry */
  redeem: 60_000n,
  close: 25_000n,
  withdraw: 40_000n,
  /** channelsOf: per id returned */
  perId: 200n,
} as const

/** channelsOf returns at most this many ids per call */
export const MAX_CHANNELS_LISTED = 256n

const ZERO: Addr = '0x0000000000000000000000000000000000000000'
const SELF: Addr = SYSTEM_CONTRACTS.paymentChannels

export const ChannelOpened = event('ChannelOpened', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'consumer', type: 'address', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'deposit', type: 'uint256' },
] as const)
export const ToppedUp = event('ToppedUp', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'amount', type: 'uint256' },
  { name: 'deposit', type: 'uint256' },
] as const)
export const Redeemed = event('Redeemed', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'provider', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
  { name: 'paid', type: 'uint256' },
] as const)
export const CloseStarted = event('CloseStarted', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'closeAt', type: 'uint256' },
] as const)
export const ChannelWithdrawn = event('ChannelWithdrawn', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'consumer', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
] as const)

async function channelOf(store: ChannelStore, id: bigint): Promise<Channel> {
  const c = await store.get(id)
  ensure(c !== null, `PaymentChannels: unknown channel ${id}`)
  return c
}

async function open(ctx: CallContext, provider: Addr, amount: bigint): Promise<[bigint]> {
  ensure(amount > 0n, 'PaymentChannels: deposit is zero')
  ensure(provider !== ZERO, 'PaymentChannels: provider is the zero address')
  ensure(provider !== ctx.sender, 'PaymentChannels: a channel to oneself')
  const nb = new NbStore(ctx.sm)
  ensure((await nb.balanceOf(ctx.sender)) >= amount, 'PaymentChannels: deposit exceeds the NB balance')
  await nb.move(ctx.sender, SELF, amount)
  const store = new ChannelStore(ctx.sm)
  const id = await store.create(ctx.sender, provider, amount)
  await store.setPairFunds(ctx.sender, provider, (await store.pairFunds(ctx.sender, provider)) + amount)
  ctx.emit(ChannelOpened, [id, ctx.sender, provider, amount])
  return [id]
}

async function topUp(ctx: CallContext, id: bigint, amount: bigint): Promise<[]> {
  const store = new ChannelStore(ctx.sm)
  const c = await channelOf(store, id)
  ensure(ctx.sender === c.consumer, "PaymentChannels: only the channel's consumer tops it up")
  ensure(c.status === ChannelStatus.Open, 'PaymentChannels: channel is closing or closed: open a new one')
  ensure(amount > 0n, 'PaymentChannels: top-up is zero')
  const nb = new NbStore(ctx.sm)
  ensure((await nb.balanceOf(ctx.sender)) >= amount, 'PaymentChannels: top-up exceeds the NB balance')
  await nb.move(ctx.sender, SELF, amount)
  c.deposit += amount
  await store.update(c)
  await store.setPairFunds(c.consumer, c.provider, (await store.pairFunds(c.consumer, c.provider)) + amount)
  ctx.emit(ToppedUp, [id, amount, c.deposit])
  return []
}

async function redeem(ctx: CallContext, id: bigint, amount: bigint, signature: Uint8Array): Promise<[bigint]> {
  const store = new ChannelStore(ctx.sm)
  const c = await channelOf(store, id)
  ensure(ctx.sender === c.provider, "PaymentChannels: only the channel's provider redeems")
  ensure(c.status !== ChannelStatus.Closed, 'PaymentChannels: channel is closed')
  ensure(c.status !== ChannelStatus.Closing || ctx.call.blockTimeMs < c.closeAt, 'PaymentChannels: the challenge period is over')
  const refusal = voucherRefusal(chainIdOf(ctx.sm), { channelId: id, provider: ctx.sender, amount, signature }, c)
  ensure(refusal === null, `PaymentChannels: ${refusal?.reason ?? ''}`)
  const paid = amount - c.redeemed
  const nb = new NbStore(ctx.sm)
  await nb.setBalance(SELF, (await nb.balanceOf(SELF)) - paid)
  await nb.setEscrow(c.consumer, c.provider, (await nb.escrowOf(c.consumer, c.provider)).amount + paid)
  await nb.setReleaseAt(c.consumer, c.provider, 0n)
  await nb.escrowProviders(c.consumer).add(c.provider)
  c.redeemed = amount
  await store.update(c)
  await store.setPairFunds(c.consumer, c.provider, (await store.pairFunds(c.consumer, c.provider)) - paid)
  ctx.emit(Redeemed, [id, c.provider, amount, paid])
  return [paid]
}

async function close(ctx: CallContext, id: bigint): Promise<[bigint]> {
  const store = new ChannelStore(ctx.sm)
  const c = await channelOf(store, id)
  ensure(ctx.sender === c.consumer, "PaymentChannels: only the channel's consumer closes it")
  ensure(c.status !== ChannelStatus.Closing, 'PaymentChannels: channel is already closing')
  ensure(c.status === ChannelStatus.Open, 'PaymentChannels: channel is closed')
  const at = ctx.call.blockTimeMs + flowOf(ctx.cfg).channelChallengeMs
  // closeAt 0 means "not closing": a block at time 0 cannot exist after genesis, but be exact
  c.closeAt = at > 0n ? at : 1n
  c.status = ChannelStatus.Closing
  await store.update(c)
  ctx.emit(CloseStarted, [id, c.closeAt])
  return [c.closeAt]
}

async function withdraw(ctx: CallContext, id: bigint): Promise<[bigint]> {
  const store = new ChannelStore(ctx.sm)
  const c = await channelOf(store, id)
  ensure(ctx.sender === c.consumer, "PaymentChannels: only the channel's consumer withdraws")
  ensure(c.status !== ChannelStatus.Open, 'PaymentChannels: close the channel first')
  ensure(c.status !== ChannelStatus.Closed, 'PaymentChannels: channel is closed')
  ensure(ctx.call.blockTimeMs >= c.closeAt, `PaymentChannels: the challenge period runs until ${c.closeAt} (ms)`)
  const rest = c.deposit - c.redeemed
  await new NbStore(ctx.sm).move(SELF, c.consumer, rest)
  c.status = ChannelStatus.Closed
  await store.update(c)
  await store.setPairFunds(c.consumer, c.provider, (await store.pairFunds(c.consumer, c.provider)) - rest)
  ctx.emit(ChannelWithdrawn, [id, c.consumer, rest])
  return [rest]
}

async function channelsOf(ctx: CallContext, account: Addr, start: bigint): Promise<[bigint[]]> {
  const store = new ChannelStore(ctx.sm)
  const n = await store.idCount(account)
  const from = start < n ? start : n
  const to = n - from > MAX_CHANNELS_LISTED ? from + MAX_CHANNELS_LISTED : n
  ctx.gas.use((to - from) * PAYMENT_CHANNELS_GAS.perId)
  return [await store.ids(account, from, to)]
}

const view = PAYMENT_CHANNELS_GAS.view

export const paymentChannels: SystemContract = {
  name: 'PaymentChannels',
  address: PAYMENT_CHANNELS,
  events: [ChannelOpened, ToppedUp, Redeemed, CloseStarted, ChannelWithdrawn],
  functions: [
    fn({
      name: 'open',
      inputs: ['address', 'uint256'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: PAYMENT_CHANNELS_GAS.open,
      run: (ctx, [provider, amount]) => open(ctx, provider, amount),
    }),
    fn({
      name: 'topUp',
      inputs: ['uint256', 'uint256'],
      outputs: [],
      mutability: 'nonpayable',
      gas: PAYMENT_CHANNELS_GAS.topUp,
      run: (ctx, [id, amount]) => topUp(ctx, id, amount),
    }),
    fn({
      name: 'redeem',
      inputs: ['uint256', 'uint256', 'bytes'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: PAYMENT_CHANNELS_GAS.redeem,
      run: (ctx, [id, amount, signature]) => redeem(ctx, id, amount, signature),
    }),
    fn({
      name: 'close',
      inputs: ['uint256'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: PAYMENT_CHANNELS_GAS.close,
      run: (ctx, [id]) => close(ctx, id),
    }),
    fn({
      name: 'withdraw',
      inputs: ['uint256'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: PAYMENT_CHANNELS_GAS.withdraw,
      run: (ctx, [id]) => withdraw(ctx, id),
    }),
    fn({
      name: 'channel',
      inputs: ['uint256'],
      outputs: ['address', 'address', 'uint256', 'uint256', 'uint256', 'uint8'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [id]) => {
        const c = await channelOf(new ChannelStore(ctx.sm), id)
        return [c.consumer, c.provider, c.deposit, c.redeemed, c.closeAt, BigInt(c.status)]
      },
    }),
    fn({
      name: 'channelCount',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx) => [await new ChannelStore(ctx.sm).count()],
    }),
    fn({
      name: 'channelCountOf',
      inputs: ['address'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [a]) => [await new ChannelStore(ctx.sm).idCount(a)],
    }),
    fn({
      name: 'channelsOf',
      inputs: ['address', 'uint256'],
      outputs: ['uint256[]'],
      mutability: 'view',
      gas: view,
      run: (ctx, [a, start]) => channelsOf(ctx, a, start),
    }),
    fn({
      name: 'challengePeriod',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx) => [flowOf(ctx.cfg).channelChallengeMs],
    }),
  ],
}
