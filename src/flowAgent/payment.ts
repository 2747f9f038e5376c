/**
 * The seam where payment channels (PaymentChannels 0x…1005, DESIGN §13) plug into the agents: the
 * consumer attaches a cumulative voucher (flow/voucher.ts) to each co-signature (COSIGN's optional
 * `voucher`, tunnel.ts) and the provider checks it with the co-signed receipt before it counts the
 * receipt as paid. `NO_PAYMENT` attaches nothing and accepts everything (tests of the tunnel alone).
 *
 * What a voucher must cover (`FuelMeter`): the fuel of the bytes co-signed so far, by the rule the
 * checkpoint burns it (flow/fuel.ts fuelOwed, the one rule consensus/povf/engine.ts burns by): per flow cycle,
 * ⌈counted × fuelPricePerGb / 10^9⌉ NB wei, at the governed price in force (nfc_getParams). A voucher
 * of a session is `base + owed`, base being what the channel already paid before the session
 * (the chain's `redeemed`, or the last voucher of the channel this process signed / holds, when
 * higher). The provider keeps the latest voucher of each channel, refuses one below what is owed,
 * below the one it holds (stale or replayed), above the deposit, or not the channel's consumer's
 * (the tunnel is then closed as unpaid: provider.ts), and redeems the latest once: when the tunnel
 * ends, when the flow cycle moves past the voucher's receipt, and when the agent stops
 * (docs/decisions.md).
 */
import type { SignedReceipt } from '../flow/receipt.js'
import { hexOf } from '../flow/receipt.js'
import { FlowError, FlowErrorCode } from '../flow/errors.js'
import { fuelOwed } from '../flow/fuel.js'
import { signVoucher, voucherRefusal, type SignedVoucher, type VoucherChannel } from '../flow/voucher.js'
import { bytesOfHexLoose } from '../util/bytes.js'
import type { VoucherJson } from './tunnel.js'

export interface PaymentHook {
  /** consumer: the voucher to send with its co-signature of `receipt` (undefined: none) */
  voucherFor(receipt: SignedReceipt): Promise<VoucherJson | undefined>
  /** provider: `receipt` was co-signed with `voucher`; throw to refuse it (the tunnel is closed as unpaid) */
  onVoucher(receipt: SignedReceipt, voucher: VoucherJson | undefined): Promise<void>
  /** provider: the tunnel of `sessionId` ended (the latest voucher may be redeemed now) */
  sessionEnded?(sessionId: Uint8Array): void
}

/** reads of a channel tried before the provider falls back on the record it read last */
export const CHANNEL_READ_ATTEMPTS = 3
/** the pause between those reads */
const CHANNEL_READ_RETRY_MS = 200

/** No channel: no voucher sent, none required. */
export const NO_PAYMENT: PaymentHook = {
  voucherFor: () => Promise.resolve(undefined),
  onVoucher: () => Promise.resolve(),
}

/**
 * The fuel one session's co-signed receipts owe, cumulative, per flow cycle as the checkpoint burns
 * it: a cycle's bytes are its last receipt's running total minus the previous cycle's last one.
 */
export class FuelMeter {
  private cycle = -1n
  private cycleStart = 0n
  private last = 0n
  private closedOwed = 0n
  private price = 0n

  /** the fuel owed once `r` (the session's next co-signed receipt) counts; `price` is read at a cycle's first receipt */
  owedAfter(r: SignedReceipt, priceOfNewCycle: () => bigint): bigint {
    const total = r.bytesUp + r.bytesDown
    if (r.cycle !== this.cycle) {
      this.closedOwed += fuelOwed(this.last - this.cycleStart, this.price)
      this.cycleStart = this.last
      this.cycle = r.cycle
      this.price = priceOfNewCycle()
    }
    this.last = total
    return this.closedOwed + fuelOwed(total - this.cycleStart, this.price)
  }
}

/** A voucher as COSIGN carries it: 0x quantities and 0x hex. */
export function voucherToJson(v: SignedVoucher): VoucherJson {
  return { channelId: `0x${v.channelId.toString(16)}`, provider: v.provider, amount: `0x${v.amount.toString(16)}`, signature: hexOf(v.signature) }
}

/** The voucher of a COSIGN; throws FLOW_BAD_FORMAT naming the field that is not what it should be. */
export function voucherFromJson(j: VoucherJson): SignedVoucher {
  const q = (f: string): bigint => {
    const v = j[f]
    if (typeof v !== 'string' || !/^0x[0-9a-f]{1,64}$/i.test(v)) throw new FlowError(FlowErrorCode.FLOW_BAD_FORMAT, `voucher.${f}: expected a 0x quantity`)
    return BigInt(v)
  }
  const provider = j.provider
  if (typeof provider !== 'string' || !/^0x[0-9a-f]{40}$/.test(provider)) {
    throw new FlowError(FlowErrorCode.FLOW_BAD_FORMAT, 'voucher.provider: expected a lowercase 0x address')
  }
  const sig = j.signature
  if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig))
    throw new FlowError(FlowErrorCode.FLOW_BAD_FORMAT, 'voucher.signature: expected 65 bytes of 0x hex')
  return { channelId: q('channelId'), provider, amount: q('amount'), signature: bytesOfHexLoose(sig) }
}

/** What the channel hooks read of the chain (rpcChain.ts over JSON-RPC; tests pass a fake). */
export interface ChannelReader {
  /** the channel `id` as the head state has it (null: no such channel) */
  channel(id: bigint): Promise<VoucherChannel | null>
  /** the governed fuel price in force, NB wei per 10^9 bytes */
  fuelPricePerGb(): Promise<bigint>
}

/** What the consumer paid (progress line and summary). */
export interface ConsumerPaymentStats {
  vouchers: number
  /** NB wei the vouchers of this run promised above what the channel had paid before */
  paid: bigint
}

/**
 * The consumer's side: signs `base + owed` on channel `channelId` with every co-signature. The
 * price is read when a session or cycle starts (`ChannelReader.fuelPricePerGb`).
 */
export class ConsumerChannelPayment implements PaymentHook {
  readonly stats: ConsumerPaymentStats = { vouchers: 0, paid: 0n }
  private readonly sessions = new Map<string, { base: bigint; meter: FuelMeter }>()
  /** the highest amount signed so far on the channel, and the chain's redeemed at the first session */
  private signed = -1n
  private first = -1n
  private price = 0n

  constructor(
    private readonly chainId: bigint,
    private readonly key: Uint8Array,
    readonly channelId: bigint,
    private readonly provider: string,
    private readonly chain: ChannelReader,
  ) {}

  async voucherFor(r: SignedReceipt): Promise<VoucherJson | undefined> {
    const id = hexOf(r.sessionId)
    let s = this.sessions.get(id)
    if (s === undefined) {
      const c = await this.chain.channel(this.channelId)
      if (c === null) throw new Error(`channel ${this.channelId} does not exist`)
      if (this.first < 0n) this.first = c.redeemed
      s = { base: c.redeemed > this.signed ? c.redeemed : this.signed, meter: new FuelMeter() }
      this.sessions.set(id, s)
    }
    this.price = await this.chain.fuelPricePerGb()
    const amount = s.base + s.meter.owedAfter(r, () => this.price)
    if (amount > this.signed) this.signed = amount
    this.stats.vouchers++
    this.stats.paid = this.signed - this.first
    const v = { channelId: this.channelId, provider: this.provider, amount }
    return voucherToJson({ ...v, signature: signVoucher(this.chainId, v, this.key) })
  }

  onVoucher(): Promise<void> {
    return Promise.resolve()
  }
}

/** What the provider earned by channel (progress line and summary). */
export interface ProviderPaymentStats {
  vouchers: number
  refused: number
  redeems: number
  /** NB wei redeemed (paid by the redeem transactions) */
  redeemed: bigint
  /** NB wei held in vouchers not redeemed yet */
  held: bigint
}

/** The provider's redeem transaction: resolves with the NB wei it paid, or throws. */
export type Redeem = (v: SignedVoucher) => Promise<bigint>

interface Held {
  voucher: SignedVoucher
  consumer: string
  cycle: bigint
  /** the amount the chain had redeemed when last read or redeemed by this agent */
  redeemed: bigint
}

/**
 * The provider's side: every co-signed receipt must come with a voucher of the receipt's consumer
 * for at least `base + owed` on one of the pair's channels; the latest is kept and redeemed once
 * (`redeemDue`, `redeemAll`).
 */
export class ProviderChannelPayment implements PaymentHook {
  readonly stats: ProviderPaymentStats = { vouchers: 0, refused: 0, redeems: 0, redeemed: 0n, held: 0n }
  private readonly held = new Map<bigint, Held>()
  private readonly sessions = new Map<string, { channelId: bigint; base: bigint; meter: FuelMeter }>()
  private redeeming: Promise<void> = Promise.resolve()

  constructor(
    private readonly chainId: bigint,
    private readonly provider: string,
    private readonly chain: ChannelReader,
    private readonly redeem: Redeem,
    private readonly log: (line: string) => void = () => {},
  ) {}

  voucherFor(): Promise<VoucherJson | undefined> {
    return Promise.resolve(undefined)
  }

  async onVoucher(r: SignedReceipt, json: VoucherJson | undefined): Promise<void> {
    try {
      await this.check(r, json)
    } catch (e) {
      this.stats.refused++
      throw e
    }
  }

  /** the last record read of each channel: what a voucher is checked against while the node cannot answer */
  private readonly lastRead = new Map<bigint, VoucherChannel | null>()

  /**
   * The channel as the node has it. A node shedding load (-32005) or a dropped connection must
   * not close a paying consumer's tunnel as unpaid: the read is tried CHANNEL_READ_ATTEMPTS times,
   * then the record last read is used (what can change since — a top-up, a redeem by this very
   * agent, a close — is caught at the next read; a close has a challenge period during which the
   * provider's voucher still redeems). A channel never read before has nothing to fall back on.
   */
  private async readChannel(id: bigint): Promise<VoucherChannel | null> {
    let error: unknown
    for (let attempt = 1; attempt <= CHANNEL_READ_ATTEMPTS; attempt++) {
      try {
        const c = await this.chain.channel(id)
        this.lastRead.set(id, c)
        return c
      } catch (e) {
        error = e
        if (attempt < CHANNEL_READ_ATTEMPTS) await new Promise((r) => setTimeout(r, CHANNEL_READ_RETRY_MS))
      }
    }
    const last = this.lastRead.get(id)
    if (last === undefined) throw error
    this.log(`cannot read channel ${id} (${(error as Error).message}): checking the voucher against the record read before`)
    return last
  }

  private async check(r: SignedReceipt, json: VoucherJson | undefined): Promise<void> {
    if (json === undefined) throw new Error(`receipt ${r.seq} came without a voucher: this provider is paid through a payment channel`)
    const sv = voucherFromJson(json)
    const sid = hexOf(r.sessionId)
    let s = this.sessions.get(sid)
    if (s !== undefined && s.channelId !== sv.channelId) throw new Error(`voucher on channel ${sv.channelId}, the session pays on channel ${s.channelId}`)
    await this.redeeming // a redeem in flight sets the base of a new session
    const channel = await this.readChannel(sv.channelId)
    if (channel === null) throw new Error(`voucher on channel ${sv.channelId}, which does not exist`)
    if (channel.provider !== this.provider) throw new Error(`channel ${sv.channelId} pays provider ${channel.provider}, not this one`)
    if (channel.consumer !== r.consumer) throw new Error(`channel ${sv.channelId} is not a channel of consumer ${r.consumer}`)
    const held = this.held.get(sv.channelId)
    if (s === undefined) {
      const floor = held !== undefined && held.voucher.amount > channel.redeemed ? held.voucher.amount : channel.redeemed
      s = { channelId: sv.channelId, base: floor, meter: new FuelMeter() }
      this.sessions.set(sid, s)
    }
    const price = await this.chain.fuelPricePerGb()
    const owed = s.base + s.meter.owedAfter(r, () => price)
    if (held !== undefined && sv.amount < held.voucher.amount) {
      throw new Error(`stale voucher: amount ${sv.amount} is below the ${held.voucher.amount} already signed on channel ${sv.channelId}`)
    }
    if (sv.amount < owed) {
      const replay = held !== undefined && sv.amount === held.voucher.amount
      throw new Error(
        `${replay ? 'replayed' : 'short'} voucher: amount ${sv.amount} on channel ${sv.channelId}, receipt ${r.seq} brings what is owed to ${owed}`,
      )
    }
    const refusal = voucherRefusal(this.chainId, sv, channel)
    // an amount equal to what is redeemed is fine while nothing more is owed (a fuel price of 0)
    if (refusal !== null && !(refusal.code === FlowErrorCode.FLOW_VOUCHER_STALE && sv.amount === owed)) throw new Error(refusal.reason)
    this.held.set(sv.channelId, { voucher: sv, consumer: r.consumer, cycle: r.cycle, redeemed: channel.redeemed })
    this.stats.vouchers++
    this.updateHeld()
  }

  private updateHeld(): void {
    let held = 0n
    for (const h of this.held.values()) held += h.voucher.amount - h.redeemed
    this.stats.held = held
  }

  sessionEnded(sessionId: Uint8Array): void {
    const s = this.sessions.get(hexOf(sessionId))
    this.sessions.delete(hexOf(sessionId))
    if (s !== undefined) void this.redeemWhere((id) => id === s.channelId)
  }

  /** redeems the vouchers whose receipts are of a cycle before `cycle` (the flow cycle moved on) */
  redeemDue(cycle: bigint): Promise<void> {
    return this.redeemWhere((_id, h) => h.cycle < cycle)
  }

  /** redeems every voucher held (the agent stops) */
  redeemAll(): Promise<void> {
    return this.redeemWhere(() => true)
  }

  private redeemWhere(due: (id: bigint, h: Held) => boolean): Promise<void> {
    this.redeeming = this.redeeming.then(async () => {
      for (const [id, h] of [...this.held]) {
        if (h.voucher.amount <= h.redeemed || !due(id, h)) continue
        try {
          const paid = await this.redeem(h.voucher)
          h.redeemed = h.voucher.amount
          this.stats.redeems++
          this.stats.redeemed += paid
          this.log(`redeemed the voucher of channel ${id} for ${h.voucher.amount} NB wei (paid ${paid})`)
        } catch (e) {
          this.log(`could not redeem the voucher of channel ${id} (retried later): ${(e as Error).message}`)
        }
      }
      this.updateHeld()
    })
    return this.redeeming
  }
}
