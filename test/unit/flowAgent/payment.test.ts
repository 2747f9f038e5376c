/**
 * The agents' payment-channel hooks (src/flowAgent/payment.ts) against a fake chain: the fuel a
 * voucher must cover is the checkpoint's rule (flow/fuel.ts fuelOwed, per cycle); the
 * consumer's vouchers are accepted; a stale, replayed, short, foreign or above-deposit voucher and
 * a co-signature without one are refused; the latest voucher is redeemed once.
 */
import t from 'tap'
import { fuelOwed } from '../../../src/flow/fuel.js'
import type { SignedReceipt } from '../../../src/flow/receipt.js'
import type { SignedVoucher, VoucherChannel } from '../../../src/flow/voucher.js'
import {
  CHANNEL_READ_ATTEMPTS,
  ConsumerChannelPayment,
  FuelMeter,
  ProviderChannelPayment,
  voucherFromJson,
  voucherToJson,
  type ChannelReader,
} from '../../../src/flowAgent/payment.js'
import type { VoucherJson } from '../../../src/flowAgent/tunnel.js'
import { devAddress, devKey } from '../../helpers/inProcessNode.js'

const CHAIN_ID = 2100n
const PRICE = 10n ** 16n
const CONSUMER = devAddress(1).toLowerCase()
const PROVIDER = devAddress(2).toLowerCase()
const STRANGER = devAddress(3).toLowerCase()

class FakeChannels implements ChannelReader {
  price = PRICE
  readonly channels = new Map<bigint, VoucherChannel>()
  readonly redeemed: SignedVoucher[] = []
  constructor() {
    this.channels.set(1n, { id: 1n, consumer: CONSUMER, provider: PROVIDER, deposit: 10n ** 18n, redeemed: 0n })
    this.channels.set(2n, { id: 2n, consumer: STRANGER, provider: PROVIDER, deposit: 10n ** 18n, redeemed: 0n })
  }
  /** channel reads to fail (a node shedding load) */
  failReads = 0
  channel(id: bigint) {
    if (this.failReads > 0) {
      this.failReads--
      return Promise.reject(new Error('server busy'))
    }
    const c = this.channels.get(id)
    return Promise.resolve(c === undefined ? null : { ...c })
  }
  fuelPricePerGb() {
    return Promise.resolve(this.price)
  }
  redeem = (v: SignedVoucher): Promise<bigint> => {
    const c = this.channels.get(v.channelId)!
    const paid = v.amount - c.redeemed
    c.redeemed = v.amount
    this.redeemed.push(v)
    return Promise.resolve(paid)
  }
}

const SESSION = new Uint8Array(32).fill(7)
/** the fields of a receipt the hooks read */
const receipt = (seq: bigint, total: bigint, cycle = 3n, session = SESSION): SignedReceipt =>
  ({ sessionId: session, seq, consumer: CONSUMER, provider: PROVIDER, bytesUp: total / 10n, bytesDown: total - total / 10n, cycle }) as unknown as SignedReceipt

t.test('FuelMeter: per cycle, each cycle rounded up on its own, as the checkpoint burns it', async (t) => {
  const m = new FuelMeter()
  const price = () => 3n
  t.equal(m.owedAfter(receipt(1n, 100n, 3n), price), fuelOwed(100n, 3n))
  t.equal(m.owedAfter(receipt(2n, 500n, 3n), price), fuelOwed(500n, 3n), 'same cycle: the running total')
  t.equal(m.owedAfter(receipt(3n, 800n, 4n), price), fuelOwed(500n, 3n) + fuelOwed(300n, 3n), 'a new cycle: its own bytes, rounded on their own')
  t.equal(
    m.owedAfter(receipt(4n, 900n, 4n), () => 99n),
    fuelOwed(500n, 3n) + fuelOwed(400n, 3n),
    'the price is the one read at the cycle start',
  )
})

t.test('voucher JSON round trip and bad fields', async (t) => {
  const v = { channelId: 5n, provider: PROVIDER, amount: 77n, signature: new Uint8Array(65).fill(1) }
  t.same(voucherFromJson(voucherToJson(v)), v)
  t.throws(() => voucherFromJson({ ...voucherToJson(v), amount: '12' }), { code: 'FLOW_BAD_FORMAT', message: /voucher\.amount/ })
  t.throws(() => voucherFromJson({ ...voucherToJson(v), signature: '0x00' }), { code: 'FLOW_BAD_FORMAT', message: /voucher\.signature/ })
  t.throws(() => voucherFromJson({ ...voucherToJson(v), provider: PROVIDER.toUpperCase() }), { code: 'FLOW_BAD_FORMAT', message: /voucher\.provider/ })
})

function pair() {
  const chain = new FakeChannels()
  const consumer = new ConsumerChannelPayment(CHAIN_ID, devKey(1), 1n, PROVIDER, chain)
  const provider = new ProviderChannelPayment(CHAIN_ID, PROVIDER, chain, chain.redeem)
  return { chain, consumer, provider }
}

t.test("the consumer's vouchers cover the fuel; the provider keeps the latest and redeems it once", async (t) => {
  const { chain, consumer, provider } = pair()
  const r1 = receipt(1n, 1_000_000n)
  const v1 = (await consumer.voucherFor(r1))!
  t.equal(BigInt(v1.amount!), fuelOwed(1_000_000n, PRICE), 'voucher 1: the fuel of the bytes co-signed')
  await provider.onVoucher(r1, v1)
  const r2 = receipt(2n, 3_000_000n)
  const v2 = (await consumer.voucherFor(r2))!
  t.equal(BigInt(v2.amount!), fuelOwed(3_000_000n, PRICE), 'cumulative')
  await provider.onVoucher(r2, v2)
  t.equal(provider.stats.vouchers, 2)
  t.equal(provider.stats.held, fuelOwed(3_000_000n, PRICE), 'held, not redeemed yet')
  await provider.redeemDue(3n)
  t.equal(chain.redeemed.length, 0, 'not while its cycle runs')
  await provider.redeemDue(4n)
  t.equal(chain.redeemed.length, 1, 'redeemed once the cycle moved on')
  t.equal(chain.redeemed[0]!.amount, BigInt(v2.amount!), 'the latest voucher')
  await provider.redeemAll()
  provider.sessionEnded(SESSION)
  await provider.redeemAll()
  t.equal(chain.redeemed.length, 1, 'once')
  t.equal(provider.stats.redeemed, BigInt(v2.amount!))
  t.equal(consumer.stats.paid, BigInt(v2.amount!))

  // a new session starts from what the channel paid: nothing owed twice
  const s2 = new Uint8Array(32).fill(8)
  const r3 = receipt(1n, 2_000n, 4n, s2)
  const v3 = (await consumer.voucherFor(r3))!
  t.equal(BigInt(v3.amount!), BigInt(v2.amount!) + fuelOwed(2_000n, PRICE), 'base + the new session’s fuel')
  await provider.onVoucher(r3, v3)
})

t.test('refused: no voucher, stale, replayed, short, foreign, above the deposit', async (t) => {
  const { chain, consumer, provider } = pair()
  const r1 = receipt(1n, 1_000_000n)
  const v1 = (await consumer.voucherFor(r1))!
  await t.rejects(provider.onVoucher(r1, undefined), /without a voucher/, 'a co-signature without a voucher')
  await provider.onVoucher(r1, v1)
  const r2 = receipt(2n, 2_000_000n)
  const v2 = (await consumer.voucherFor(r2))!
  await t.rejects(provider.onVoucher(r2, v1), /replayed voucher/, 'the same voucher again for more bytes')
  await provider.onVoucher(r2, v2)
  const r3 = receipt(3n, 2_500_000n)
  await t.rejects(provider.onVoucher(r3, v1), /stale voucher/, 'an older voucher')
  const short: VoucherJson = await new ConsumerChannelPayment(CHAIN_ID, devKey(1), 1n, PROVIDER, chain).voucherFor(receipt(1n, 10n))!.then((v) => v!)
  await t.rejects(provider.onVoucher(r3, short), /stale voucher|short voucher/, 'a voucher below what is owed')
  const foreign = (await new ConsumerChannelPayment(CHAIN_ID, devKey(3), 2n, PROVIDER, chain).voucherFor(receipt(1n, 2_500_000n)))!
  await t.rejects(provider.onVoucher(r3, foreign), /the session pays on channel 1/, 'a voucher on another channel mid-session')
  await t.rejects(pair().provider.onVoucher(r1, foreign), /not a channel of consumer/, "a voucher on someone else's channel")
  const forged = (await new ConsumerChannelPayment(CHAIN_ID, devKey(3), 1n, PROVIDER, chain).voucherFor(receipt(1n, 1n)))!
  await t.rejects(provider.onVoucher(r3, { ...forged, amount: `0x${(10n ** 17n).toString(16)}` }), /not signed by the channel's consumer/, 'a forged signature')
  const fresh = pair()
  const big = receipt(1n, 10n ** 12n)
  await t.rejects(fresh.provider.onVoucher(big, (await fresh.consumer.voucherFor(big))!), /above the channel's deposit/, 'more than the deposit')
  t.equal(provider.stats.refused, 6, 'every refusal counted')
  t.equal(provider.stats.vouchers, 2, 'the refused ones are not kept')
  await provider.redeemAll()
  t.equal(chain.redeemed[0]!.amount, BigInt(v2.amount!), 'the latest good voucher is what gets redeemed')
})

t.test('a node that cannot answer a channel read for a moment does not refuse a good voucher', async (t) => {
  const { chain, consumer, provider } = pair()
  const r1 = receipt(1n, 1_000_000n)
  const v1 = (await consumer.voucherFor(r1))!
  chain.failReads = CHANNEL_READ_ATTEMPTS - 1
  await provider.onVoucher(r1, v1)
  t.equal(chain.failReads, 0, 'the read was tried again until it answered')
  const r2 = receipt(2n, 2_000_000n)
  const v2 = (await consumer.voucherFor(r2))!
  chain.failReads = CHANNEL_READ_ATTEMPTS
  await provider.onVoucher(r2, v2)
  t.equal(provider.stats.refused, 0, 'every read failing: checked against the record read before, accepted')
  const other = pair()
  const v = (await other.consumer.voucherFor(r1))!
  other.chain.failReads = CHANNEL_READ_ATTEMPTS
  await t.rejects(other.provider.onVoucher(r1, v), /server busy/, 'a channel never read has nothing to fall back on')
})
