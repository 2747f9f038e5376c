/**
 * Payment-channel vouchers (src/flow/voucher.ts): the EIP-712 digest and signature agree with
 * ethers' signTypedData (what wallets produce), and a voucher is refused for the wrong signer,
 * the wrong channel or provider, the wrong chain id, a stale (or replayed) amount and an amount
 * above the deposit — each with its code.
 */
import t from 'tap'
import { TypedDataEncoder, Wallet } from 'ethers'
import { FlowErrorCode } from '../../../src/flow/errors.js'
import {
  recoverVoucherSigner,
  signVoucher,
  verifyVoucher,
  voucherDigest,
  voucherDomain,
  voucherMessage,
  voucherRefusal,
  VOUCHER_TYPES,
  type SignedVoucher,
  type Voucher,
  type VoucherChannel,
} from '../../../src/flow/voucher.js'
import { devAddress, devKey } from '../../helpers/inProcessNode.js'

const CHAIN_ID = 2100n
const consumer = devAddress(1)
const provider = devAddress(2)
const channel: VoucherChannel = { id: 7n, consumer, provider, deposit: 1_000n, redeemed: 300n }
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex')

const signed = (v: Voucher, o: { key?: Uint8Array; chainId?: bigint } = {}): SignedVoucher => ({
  ...v,
  signature: signVoucher(o.chainId ?? CHAIN_ID, v, o.key ?? devKey(1)),
})

t.test('digest and signature are the EIP-712 ones wallets make', async (t) => {
  const v: Voucher = { channelId: 7n, provider, amount: 500n }
  const domain = voucherDomain(CHAIN_ID)
  t.equal(hex(voucherDigest(CHAIN_ID, v)), TypedDataEncoder.hash(domain, VOUCHER_TYPES, voucherMessage(v)), 'digest = ethers TypedDataEncoder.hash')
  const wallet = new Wallet(hex(devKey(1)))
  const theirs = await wallet.signTypedData(domain, VOUCHER_TYPES, voucherMessage(v))
  t.equal(hex(signVoucher(CHAIN_ID, v, devKey(1))), theirs, 'signature = ethers signTypedData (RFC 6979, low s, v 27/28)')
  t.equal(recoverVoucherSigner(CHAIN_ID, v, Buffer.from(theirs.slice(2), 'hex')), consumer, 'recovers the consumer')
  t.equal(domain.verifyingContract, '0x0000000000000000000000000000000000001005', 'the domain names PaymentChannels')
})

t.test('a good voucher pays its increase over what was redeemed', async (t) => {
  t.equal(verifyVoucher(CHAIN_ID, signed({ channelId: 7n, provider, amount: 500n }), channel), 200n)
  t.equal(verifyVoucher(CHAIN_ID, signed({ channelId: 7n, provider, amount: 1_000n }), channel), 700n, 'the whole deposit')
})

t.test('refusals, each with its code', async (t) => {
  const refused = (sv: SignedVoucher, code: string, what: string) => {
    t.equal(voucherRefusal(CHAIN_ID, sv, channel)?.code, code, what)
    t.throws(() => verifyVoucher(CHAIN_ID, sv, channel), { code }, `${what}: verifyVoucher throws ${code}`)
  }
  const good = { channelId: 7n, provider, amount: 500n }
  refused(signed(good, { key: devKey(3) }), FlowErrorCode.FLOW_VOUCHER_BAD_SIGNATURE, 'wrong signer')
  refused(signed(good, { chainId: 1n }), FlowErrorCode.FLOW_VOUCHER_BAD_SIGNATURE, 'wrong chain id (recovers someone else)')
  refused(signed({ ...good, channelId: 8n }), FlowErrorCode.FLOW_VOUCHER_WRONG_CHANNEL, 'another channel')
  refused(signed({ ...good, provider: devAddress(3) }), FlowErrorCode.FLOW_VOUCHER_WRONG_CHANNEL, 'another provider')
  // a voucher of another channel relabelled: the signature no longer matches
  refused({ ...signed({ ...good, channelId: 8n }), channelId: 7n }, FlowErrorCode.FLOW_VOUCHER_BAD_SIGNATURE, 'relabelled channel id')
  refused({ ...signed(good), amount: 600n }, FlowErrorCode.FLOW_VOUCHER_BAD_SIGNATURE, 'amount changed after signing')
  refused(signed({ ...good, amount: 300n }), FlowErrorCode.FLOW_VOUCHER_STALE, 'replayed: amount = redeemed')
  refused(signed({ ...good, amount: 100n }), FlowErrorCode.FLOW_VOUCHER_STALE, 'stale: amount below redeemed')
  refused(signed({ ...good, amount: 1_001n }), FlowErrorCode.FLOW_VOUCHER_ABOVE_DEPOSIT, 'above the deposit')
  const sig = signed(good).signature
  refused({ ...good, signature: sig.subarray(0, 64) }, FlowErrorCode.FLOW_VOUCHER_BAD_SIGNATURE, 'a 64-byte signature')
  const highS = Uint8Array.from(sig)
  highS[64] = 29
  refused({ ...good, signature: highS }, FlowErrorCode.FLOW_VOUCHER_BAD_SIGNATURE, 'v not 27/28')
  t.match(voucherRefusal(CHAIN_ID, signed({ ...good, amount: 100n }), channel)?.reason, /stale voucher: amount 100 is not above the 300 already redeemed/)
})

t.test('malformed fields are format errors, not silent', async (t) => {
  t.throws(() => voucherDigest(CHAIN_ID, { channelId: -1n, provider, amount: 1n }), { code: FlowErrorCode.FLOW_BAD_FORMAT })
  t.throws(() => voucherDigest(CHAIN_ID, { channelId: 1n, provider: 'nobody', amount: 1n }), { code: FlowErrorCode.FLOW_BAD_FORMAT })
  t.throws(
    () => voucherDigest(CHAIN_ID, { channelId: 1n, provider: provider.toUpperCase().replace('0X', '0x'), amount: 1n }),
    { code: FlowErrorCode.FLOW_BAD_FORMAT },
    'addresses are lowercase hex',
  )
  t.throws(() => voucherDigest(CHAIN_ID, { channelId: 1n, provider, amount: 1n << 256n }), { code: FlowErrorCode.FLOW_BAD_FORMAT })
})
