/**
 * Payment-channel vouchers (DESIGN §13): the consumer's signed promise that the provider may take
 * `amount` NB wei in total from channel `channelId`. Vouchers are cumulative, like receipts: each
 * one supersedes the last, and redeeming it pays only the increase over what the channel already
 * redeemed, so a replayed or older voucher pays nothing and is refused.
 *
 * Signed as EIP-712 typed data, so any wallet's `signTypedData` makes one:
 *   domain  {name "NetFlowCoin PaymentChannels", version "1", chainId, verifyingContract 0x…1005}
 *   Voucher(uint256 channelId,address provider,uint256 amount)
 * The chain id and the contract are in the domain: a voucher signed for another chain recovers to
 * someone else and is refused as a bad signature. Signatures are 65 bytes r ‖ s ‖ v, v = 27/28,
 * low s (receipt.ts sigParts): one valid signature per voucher and key.
 *
 * Pure: the agents check vouchers in-band with `verifyVoucher`, and the PaymentChannels contract
 * redeems them through `voucherRefusal` — one rule for both.
 */
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { FlowError, FlowErrorCode } from './errors.js'
import { addrWord, checkAddr, checkUint, concatBytes, keccak, recoverAddress, signDigest, typeString, u256, type Addr } from './receipt.js'

export interface Voucher {
  channelId: bigint
  /** lowercase 0x address */
  provider: Addr
  /** cumulative NB wei the consumer owes the channel's provider so far */
  amount: bigint
}

export interface SignedVoucher extends Voucher {
  /** 65 bytes r ‖ s ‖ v by the channel's consumer */
  signature: Uint8Array
}

/** What a voucher is checked against: the channel as the chain (or the agent's copy) has it; addresses lowercase. */
export interface VoucherChannel {
  id: bigint
  consumer: Addr
  provider: Addr
  /** NB wei deposited */
  deposit: bigint
  /** cumulative amount already redeemed, NB wei */
  redeemed: bigint
}

const DOMAIN_NAME = 'NetFlowCoin PaymentChannels'
const DOMAIN_VERSION = '1'
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const DOMAIN_TYPEHASH = keccak(utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'))

/** The EIP-712 types (without EIP712Domain, as ethers wants them). */
export const VOUCHER_TYPES = {
  Voucher: [
    { name: 'channelId', type: 'uint256' },
    { name: 'provider', type: 'address' },
    { name: 'amount', type: 'uint256' },
  ],
}

const VOUCHER_TYPEHASH = keccak(utf8(typeString('Voucher', VOUCHER_TYPES.Voucher)))

/** The EIP-712 domain of vouchers on chain `chainId`, as ethers (`TypedDataDomain`) and viem take it. */
export function voucherDomain(chainId: bigint): { name: string; version: string; chainId: bigint; verifyingContract: string } {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: SYSTEM_CONTRACTS.paymentChannels }
}

/** The typed-data message of a voucher, for `signTypedData(voucherDomain(chainId), VOUCHER_TYPES, …)`. */
export function voucherMessage(v: Voucher): { channelId: bigint; provider: Addr; amount: bigint } {
  return { channelId: v.channelId, provider: v.provider, amount: v.amount }
}

const separators = new Map<bigint, Uint8Array>()

function domainSeparator(chainId: bigint): Uint8Array {
  let sep = separators.get(chainId)
  if (sep === undefined) {
    sep = keccak(
      concatBytes(
        DOMAIN_TYPEHASH,
        keccak(utf8(DOMAIN_NAME)),
        keccak(utf8(DOMAIN_VERSION)),
        u256(chainId, 'chainId'),
        addrWord(SYSTEM_CONTRACTS.paymentChannels),
      ),
    )
    separators.set(chainId, sep)
  }
  return sep
}

/** keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(voucher)); throws FLOW_BAD_FORMAT on a malformed field */
export function voucherDigest(chainId: bigint, v: Voucher): Uint8Array {
  checkUint(v.channelId, 256, 'channelId')
  checkUint(v.amount, 256, 'amount')
  const separator = domainSeparator(chainId)
  const structHash = keccak(concatBytes(VOUCHER_TYPEHASH, u256(v.channelId), addrWord(checkAddr(v.provider, 'provider')), u256(v.amount)))
  return keccak(concatBytes(Uint8Array.of(0x19, 0x01), separator, structHash))
}

/** The consumer's 65-byte signature of `v` on chain `chainId`. */
export function signVoucher(chainId: bigint, v: Voucher, privateKey: Uint8Array): Uint8Array {
  return signDigest(voucherDigest(chainId, v), privateKey)
}

/** Who signed `v` (null: a malformed or high-s signature). Never throws on a bad signature. */
export function recoverVoucherSigner(chainId: bigint, v: Voucher, signature: Uint8Array): Addr | null {
  return recoverAddress(voucherDigest(chainId, v), signature)
}

/**
 * Why `sv` cannot be redeemed from `channel` (the first rule it breaks), or null when it can.
 * Throws FLOW_BAD_FORMAT for a malformed field (e.g. a provider not in lowercase hex).
 */
export function voucherRefusal(chainId: bigint, sv: SignedVoucher, channel: VoucherChannel): { code: FlowErrorCode; reason: string } | null {
  if (sv.channelId !== channel.id || sv.provider !== channel.provider) {
    return { code: FlowErrorCode.FLOW_VOUCHER_WRONG_CHANNEL, reason: 'voucher is for another channel or provider' }
  }
  if (recoverVoucherSigner(chainId, sv, sv.signature) !== channel.consumer) {
    return { code: FlowErrorCode.FLOW_VOUCHER_BAD_SIGNATURE, reason: "voucher is not signed by the channel's consumer" }
  }
  if (sv.amount <= channel.redeemed) {
    return { code: FlowErrorCode.FLOW_VOUCHER_STALE, reason: `stale voucher: amount ${sv.amount} is not above the ${channel.redeemed} already redeemed` }
  }
  if (sv.amount > channel.deposit) {
    return { code: FlowErrorCode.FLOW_VOUCHER_ABOVE_DEPOSIT, reason: `voucher amount ${sv.amount} is above the channel's deposit ${channel.deposit}` }
  }
  return null
}

/**
 * Checks `sv` against `channel`; returns what redeeming it would pay (amount − redeemed). Throws
 * FlowError with the code of the first rule it breaks (voucherRefusal).
 */
export function verifyVoucher(chainId: bigint, sv: SignedVoucher, channel: VoucherChannel): bigint {
  const refusal = voucherRefusal(chainId, sv, channel)
  if (refusal !== null) throw new FlowError(refusal.code, refusal.reason, { channelId: String(sv.channelId), amount: String(sv.amount) })
  return sv.amount - channel.redeemed
}
