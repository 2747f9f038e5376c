/**
 * PaymentChannels (0x…1005) through real transactions on the system VM: open / topUp / redeem /
 * close / withdraw and their refusals (zero deposit, unknown channel, redeem by someone else, a
 * stale, replayed or foreign voucher, withdraw before the challenge period), where the NB goes
 * (redeemed → the pair's fuel escrow, the rest → back to the consumer) and that NB's accounting
 * stays exact: totalSupply = Σ balances (0x…1005's included) + Σ escrows, 0x…1005 holds
 * Σ (deposit − redeemed) of the channels not withdrawn, and no NFC ever sits at 0x…1005.
 */
import t, { type Test } from 'tap'
import { getAddress, Interface } from 'ethers'
import { SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../../../src/chain/systemAddresses.js'
import { ChannelStatus, ChannelStore } from '../../../../src/consensus/povf/channelStore.js'
import { readReceiptParties } from '../../../../src/consensus/povf/views.js'
import { sumOfBalances } from '../../../../src/consensus/povf/supply.js'
import { NbStore } from '../../../../src/consensus/povf/nbStore.js'
import { PAYMENT_CHANNELS_GAS } from '../../../../src/execution/system/index.js'
import { signVoucher } from '../../../../src/flow/voucher.js'
import { devAddress, devKey } from '../../../helpers/inProcessNode.js'
import { abiJson, NFC, outcome } from '../../../helpers/systemVm.js'
import { at, KNOWN, NB_ADDR, nbIface, tokenEnv, type TokenEnv } from '../../../helpers/tokenEnv.js'

const PC = new Interface(abiJson('IPaymentChannels') as never)
const PC_ADDR = at(SYSTEM_CONTRACTS.paymentChannels)
const CHAIN_ID = 2100n
const CHALLENGE_MS = 30_000n
const NB = 10n ** 18n
const hex = (i: number) => devAddress(i).toLowerCase()
const CONSUMER = 1
const PROVIDER = 2
const STRANGER = 3

const send = (env: TokenEnv, from: number, fn: string, args: unknown[] = [], value = 0n) => env.send(from, PC_ADDR, PC.encodeFunctionData(fn, args), { value })

async function view(env: TokenEnv, fn: string, args: unknown[] = []) {
  const r = await env.call(at(hex(9)), PC_ADDR, PC.encodeFunctionData(fn, args), { isStatic: true })
  if (outcome(r) !== 'ok') throw new Error(`${fn}: ${outcome(r)}`)
  return PC.decodeFunctionResult(fn, r.execResult.returnValue)
}

const channel = async (env: TokenEnv, id: bigint) => {
  const [consumer, provider, deposit, redeemed, closeAt, status] = await view(env, 'channel', [id])
  return { consumer: (consumer as string).toLowerCase(), provider: (provider as string).toLowerCase(), deposit, redeemed, closeAt, status: Number(status) }
}

const events = (r: Awaited<ReturnType<TokenEnv['send']>>) =>
  r.receipt.logs.map(([, topics, data]) => {
    const p = PC.parseLog({ topics: topics.map((x) => '0x' + Buffer.from(x).toString('hex')), data: '0x' + Buffer.from(data).toString('hex') })
    return p === null ? null : { name: p.name, args: [...p.args] }
  })

/** the consumer's voucher for cumulative `amount` on channel `id` (signer, chain and provider overridable) */
const voucher = (id: bigint, amount: bigint, o: { signer?: number; chainId?: bigint; provider?: string } = {}) =>
  '0x' +
  Buffer.from(signVoucher(o.chainId ?? CHAIN_ID, { channelId: id, provider: o.provider ?? hex(PROVIDER), amount }, devKey(o.signer ?? CONSUMER))).toString(
    'hex',
  )

const redeem = (env: TokenEnv, from: number, id: bigint, amount: bigint, sig = voucher(id, amount)) => send(env, from, 'redeem', [id, amount, sig])

/** dev 1 (consumer) holds 10 NB (100 NFC converted); dev 2 is its provider */
async function setup(): Promise<TokenEnv> {
  const env = await tokenEnv({ channelChallengeMs: CHALLENGE_MS })
  const r = await env.send(CONSUMER, NB_ADDR, nbIface.encodeFunctionData('convert'), { value: 100n * NFC })
  if (outcome(r) !== 'ok') throw new Error(`convert: ${outcome(r)}`)
  return env
}

async function openChannel(env: TokenEnv, amount: bigint): Promise<bigint> {
  const r = await send(env, CONSUMER, 'open', [hex(PROVIDER), amount])
  if (outcome(r) !== 'ok') throw new Error(`open: ${outcome(r)}`)
  return PC.decodeFunctionResult('open', r.execResult.returnValue)[0] as bigint
}

/** NB and NFC accounting over every account the tests touch */
async function checkSupply(t: Test, env: TokenEnv, what: string): Promise<void> {
  const nb = new NbStore(env.sm)
  const store = new ChannelStore(env.sm)
  let balances = 0n
  for (const a of KNOWN) balances += await nb.balanceOf(a.toString())
  let escrows = 0n
  for (let c = 0; c < 10; c++) for (let p = 0; p < 10; p++) escrows += (await nb.escrowOf(hex(c), hex(p))).amount
  t.equal(await nb.totalSupply(), balances + escrows, `${what}: NB totalSupply = Σ balances + Σ escrows`)
  let held = 0n
  for (let id = 1n; id <= (await store.count()); id++) {
    const c = (await store.get(id))!
    if (c.status !== ChannelStatus.Closed) held += c.deposit - c.redeemed
  }
  t.equal(await nb.balanceOf(SYSTEM_CONTRACTS.paymentChannels), held, `${what}: 0x…1005 holds Σ (deposit − redeemed) of the live channels`)
  t.equal(await store.pairFunds(hex(CONSUMER), hex(PROVIDER)), held, `${what}: the pair's channel funds are that too`)
  t.equal(await env.balance(PC_ADDR), 0n, `${what}: no NFC at 0x…1005`)
  t.equal(await sumOfBalances(env.sm, KNOWN), TOTAL_SUPPLY, `${what}: Σ NFC balances = the supply`)
}

t.test('open: NB moves into the channel, event, listed for both parties', async (t) => {
  const env = await setup()
  const r = await send(env, CONSUMER, 'open', [hex(PROVIDER), 4n * NB])
  t.equal(outcome(r), 'ok')
  t.equal(r.execResult.executionGasUsed, PAYMENT_CHANNELS_GAS.open, 'open costs its fixed gas')
  t.same(events(r), [{ name: 'ChannelOpened', args: [1n, getAddress(hex(CONSUMER)), getAddress(hex(PROVIDER)), 4n * NB] }])
  t.same(await channel(env, 1n), { consumer: hex(CONSUMER), provider: hex(PROVIDER), deposit: 4n * NB, redeemed: 0n, closeAt: 0n, status: ChannelStatus.Open })
  const nb = new NbStore(env.sm)
  t.equal(await nb.balanceOf(hex(CONSUMER)), 6n * NB, "taken from the consumer's NB")
  t.equal(await nb.balanceOf(SYSTEM_CONTRACTS.paymentChannels), 4n * NB, 'held by 0x…1005')
  t.equal(await openChannel(env, NB), 2n, 'ids count up')
  t.equal((await view(env, 'channelCount'))[0], 2n)
  t.same([...(await view(env, 'channelsOf', [hex(CONSUMER), 0n]))[0]], [1n, 2n], "the consumer's channels")
  t.same([...(await view(env, 'channelsOf', [hex(PROVIDER), 1n]))[0]], [2n], "the provider's, from position 1")
  t.same([...(await view(env, 'channelsOf', [hex(STRANGER), 5n]))[0]], [], 'none, start past the end')
  t.equal((await view(env, 'channelCountOf', [hex(PROVIDER)]))[0], 2n)
  t.equal((await view(env, 'challengePeriod'))[0], CHALLENGE_MS)
  await checkSupply(t, env, 'after two opens')
})

t.test('open and topUp refuse bad input with a reason', async (t) => {
  const env = await setup()
  t.equal(outcome(await send(env, CONSUMER, 'open', [hex(PROVIDER), 0n])), 'revert: PaymentChannels: deposit is zero')
  t.equal(outcome(await send(env, CONSUMER, 'open', ['0x' + '00'.repeat(20), NB])), 'revert: PaymentChannels: provider is the zero address')
  t.equal(outcome(await send(env, CONSUMER, 'open', [hex(CONSUMER), NB])), 'revert: PaymentChannels: a channel to oneself')
  t.equal(outcome(await send(env, CONSUMER, 'open', [hex(PROVIDER), 11n * NB])), 'revert: PaymentChannels: deposit exceeds the NB balance')
  t.equal(outcome(await send(env, CONSUMER, 'open', [hex(PROVIDER), NB], 1n)), 'revert: function is not payable', 'NFC is refused')
  const id = await openChannel(env, NB)
  t.equal(outcome(await send(env, CONSUMER, 'topUp', [7n, NB])), 'revert: PaymentChannels: unknown channel 7')
  t.equal(outcome(await send(env, STRANGER, 'topUp', [id, NB])), "revert: PaymentChannels: only the channel's consumer tops it up")
  t.equal(outcome(await send(env, CONSUMER, 'topUp', [id, 0n])), 'revert: PaymentChannels: top-up is zero')
  t.equal(outcome(await send(env, CONSUMER, 'topUp', [id, 10n * NB])), 'revert: PaymentChannels: top-up exceeds the NB balance')
  const r = await send(env, CONSUMER, 'topUp', [id, 2n * NB])
  t.equal(outcome(r), 'ok')
  t.same(events(r), [{ name: 'ToppedUp', args: [id, 2n * NB, 3n * NB] }])
  t.equal((await channel(env, id)).deposit, 3n * NB)
  t.equal(
    outcome(await env.call(at(hex(9)), PC_ADDR, PC.encodeFunctionData('channel', [0n]), { isStatic: true })),
    'revert: PaymentChannels: unknown channel 0',
  )
  await checkSupply(t, env, 'after the refusals and one top-up')
})

t.test('redeem pays only the increase into the fuel escrow; stale, replayed and foreign vouchers are refused', async (t) => {
  const env = await setup()
  const id = await openChannel(env, 5n * NB)
  const nb = new NbStore(env.sm)
  // a pending escrow release of the pair is cancelled by a redeem (as NB.escrow does)
  t.equal(outcome(await env.send(CONSUMER, NB_ADDR, nbIface.encodeFunctionData('escrow', [hex(PROVIDER), NB]))), 'ok')
  t.equal(outcome(await env.send(CONSUMER, NB_ADDR, nbIface.encodeFunctionData('requestRelease', [hex(PROVIDER)]))), 'ok')
  t.not((await nb.escrowOf(hex(CONSUMER), hex(PROVIDER))).releaseAt, 0n, 'a release is pending')

  const r1 = await redeem(env, PROVIDER, id, 2n * NB)
  t.equal(outcome(r1), 'ok')
  t.equal(r1.execResult.executionGasUsed, PAYMENT_CHANNELS_GAS.redeem, 'redeem costs its fixed gas')
  t.same(events(r1), [{ name: 'Redeemed', args: [id, getAddress(hex(PROVIDER)), 2n * NB, 2n * NB] }])
  t.same(await nb.escrowOf(hex(CONSUMER), hex(PROVIDER)), { amount: 3n * NB, releaseAt: 0n }, 'paid into the fuel escrow; release cancelled')
  const r2 = await redeem(env, PROVIDER, id, 3n * NB)
  t.same(events(r2), [{ name: 'Redeemed', args: [id, getAddress(hex(PROVIDER)), 3n * NB, NB] }], 'the next voucher pays only its increase')
  t.equal((await channel(env, id)).redeemed, 3n * NB)
  t.equal((await nb.escrowOf(hex(CONSUMER), hex(PROVIDER))).amount, 4n * NB)

  t.match(
    outcome(await redeem(env, PROVIDER, id, 3n * NB)),
    /^revert: PaymentChannels: stale voucher: amount 3000000000000000000 is not above the 3000000000000000000 already redeemed$/,
    'replayed',
  )
  t.match(outcome(await redeem(env, PROVIDER, id, 2n * NB)), /stale voucher/, 'older')
  t.match(
    outcome(await redeem(env, PROVIDER, id, 6n * NB)),
    /voucher amount 6000000000000000000 is above the channel's deposit 5000000000000000000/,
    'above the deposit',
  )
  const notConsumer = "revert: PaymentChannels: voucher is not signed by the channel's consumer"
  t.equal(outcome(await redeem(env, PROVIDER, id, 4n * NB, voucher(id, 4n * NB, { signer: STRANGER }))), notConsumer, 'wrong signer')
  t.equal(outcome(await redeem(env, PROVIDER, id, 4n * NB, voucher(id, 4n * NB, { chainId: 1n }))), notConsumer, 'signed for another chain')
  t.equal(outcome(await redeem(env, PROVIDER, id, 4n * NB, voucher(id + 1n, 4n * NB))), notConsumer, 'signed for another channel')
  t.equal(outcome(await redeem(env, PROVIDER, id, 4n * NB, voucher(id, 4n * NB, { provider: hex(STRANGER) }))), notConsumer, 'signed for another provider')
  t.equal(outcome(await redeem(env, PROVIDER, id, 4n * NB, '0x1234')), notConsumer, 'a malformed signature')
  t.equal(outcome(await redeem(env, STRANGER, id, 4n * NB)), "revert: PaymentChannels: only the channel's provider redeems", 'redeem by someone else')
  t.equal(outcome(await redeem(env, CONSUMER, id, 4n * NB)), "revert: PaymentChannels: only the channel's provider redeems", 'by the consumer')
  t.equal(outcome(await redeem(env, PROVIDER, 99n, NB)), 'revert: PaymentChannels: unknown channel 99')
  t.equal((await channel(env, id)).redeemed, 3n * NB, 'no refusal changed the channel')
  await checkSupply(t, env, 'after redeems')
})

t.test('close → challenge period (redeem still allowed, withdraw refused) → withdraw the rest', async (t) => {
  const env = await setup()
  const id = await openChannel(env, 5n * NB)
  t.equal(outcome(await send(env, CONSUMER, 'withdraw', [id])), 'revert: PaymentChannels: close the channel first')
  t.equal(outcome(await send(env, PROVIDER, 'close', [id])), "revert: PaymentChannels: only the channel's consumer closes it")
  const closing = await send(env, CONSUMER, 'close', [id])
  const closeAt = env.timeMs + CHALLENGE_MS
  t.equal(outcome(closing), 'ok')
  t.same(events(closing), [{ name: 'CloseStarted', args: [id, closeAt] }])
  t.same(await channel(env, id), { consumer: hex(CONSUMER), provider: hex(PROVIDER), deposit: 5n * NB, redeemed: 0n, closeAt, status: ChannelStatus.Closing })
  t.equal(outcome(await send(env, CONSUMER, 'close', [id])), 'revert: PaymentChannels: channel is already closing')
  t.equal(outcome(await send(env, CONSUMER, 'topUp', [id, NB])), 'revert: PaymentChannels: channel is closing or closed: open a new one')
  t.equal(
    outcome(await send(env, CONSUMER, 'withdraw', [id])),
    `revert: PaymentChannels: the challenge period runs until ${closeAt} (ms)`,
    'withdraw before the period',
  )
  env.timeMs = closeAt - 1_000n
  t.equal(outcome(await redeem(env, PROVIDER, id, 2n * NB)), 'ok', 'the provider still redeems during the period')
  t.equal(outcome(await send(env, STRANGER, 'withdraw', [id])), "revert: PaymentChannels: only the channel's consumer withdraws")
  env.timeMs = closeAt
  t.equal(outcome(await redeem(env, PROVIDER, id, 3n * NB)), 'revert: PaymentChannels: the challenge period is over', 'not after it')
  const nb = new NbStore(env.sm)
  const before = await nb.balanceOf(hex(CONSUMER))
  const w = await send(env, CONSUMER, 'withdraw', [id])
  t.equal(outcome(w), 'ok')
  t.same(events(w), [{ name: 'ChannelWithdrawn', args: [id, getAddress(hex(CONSUMER)), 3n * NB] }])
  t.equal(await nb.balanceOf(hex(CONSUMER)), before + 3n * NB, 'deposit − redeemed back to the consumer')
  t.equal((await channel(env, id)).status, ChannelStatus.Closed)
  t.equal(outcome(await send(env, CONSUMER, 'withdraw', [id])), 'revert: PaymentChannels: channel is closed', 'only once')
  t.equal(outcome(await redeem(env, PROVIDER, id, 3n * NB)), 'revert: PaymentChannels: channel is closed')
  t.equal(outcome(await send(env, CONSUMER, 'close', [id])), 'revert: PaymentChannels: channel is closed')
  t.equal((await nb.escrowOf(hex(CONSUMER), hex(PROVIDER))).amount, 2n * NB, 'what was redeemed stays as fuel escrow')
  await checkSupply(t, env, 'after the withdrawal')
})

t.test('the flow edge (FLOW_NO_ESCROW) counts a pair’s channel funds beside its NB escrow', async (t) => {
  const env = await setup()
  const parties = () => readReceiptParties(env.sm, hex(CONSUMER), hex(PROVIDER), env.cfg)
  t.equal((await parties()).escrow, 0n, 'no escrow, no channel: nothing backs the fuel (the edge refuses)')
  const id = await openChannel(env, 5n * NB)
  t.equal((await parties()).escrow, 5n * NB, 'a channel alone backs the fuel: its deposit counts')
  t.equal(outcome(await redeem(env, PROVIDER, id, 2n * NB)), 'ok')
  t.equal((await parties()).escrow, 5n * NB, 'after a redeem: 2 NB escrow + 3 NB still in the channel')
  t.equal(outcome(await send(env, CONSUMER, 'close', [id])), 'ok')
  env.timeMs += CHALLENGE_MS
  t.equal(outcome(await send(env, CONSUMER, 'withdraw', [id])), 'ok')
  t.equal((await parties()).escrow, 2n * NB, 'a withdrawn channel backs nothing: only the redeemed escrow is left')
})
