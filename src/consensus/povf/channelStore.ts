/**
 * The payment channels' records (DESIGN §13): storage words of the PaymentChannels account
 * (0x…1005), so the state root commits to every channel. The contract
 * (src/execution/system/paymentChannels.ts) holds the rules; this file only reads and writes.
 *
 * The NB a channel holds is the NB balance of 0x…1005 in NB's own records (nbStore.ts), so NB's
 * totalSupply = Σ balances + Σ escrows stays exact without a term for channels:
 *   NB balance of 0x…1005 = Σ (deposit − redeemed) over the channels not yet withdrawn.
 *
 * Layout (slotOf(tag, …) words of 0x…1005; ids are u64 big-endian, from 1):
 *   pc.count                          the last channel id given (0: none yet)
 *   pc.consumer ‖ id                  the consumer (who deposits and signs vouchers)
 *   pc.provider ‖ id                  the provider (who redeems them)
 *   pc.deposit ‖ id                   NB wei deposited over the channel's life (open + top-ups)
 *   pc.redeemed ‖ id                  the cumulative voucher amount redeemed so far, NB wei
 *   pc.closeAt ‖ id                   when the challenge period ends, ms; 0 = not closing
 *   pc.status ‖ id                    ChannelStatus (0: no such channel)
 *   pc.ids.len ‖ addr                 how many channels `addr` is a party of (consumer or provider)
 *   pc.ids.item ‖ addr ‖ u64 i        the id of the i-th of them, in opening order (never removed)
 *   pc.pair ‖ consumer ‖ provider     Σ (deposit − redeemed) over the pair's channels not yet
 *                                     withdrawn: what still backs the pair's fuel (the flow edge's
 *                                     admission check reads it beside the pair's escrow)
 */
import { Address, hexToBytes } from '@ethereumjs/util'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { fromAddr, slotOf, toAddr, u64b, Words, type Addr, type StateAccess } from '../dpos/store.js'

export const PAYMENT_CHANNELS = new Address(hexToBytes(SYSTEM_CONTRACTS.paymentChannels))

/** A channel's life: open → closing (challenge period) → closed (the rest withdrawn). */
export const ChannelStatus = { None: 0, Open: 1, Closing: 2, Closed: 3 } as const
export type ChannelStatus = (typeof ChannelStatus)[keyof typeof ChannelStatus]

/** Channel ids are below this (they are stored as u64). */
export const MAX_CHANNEL_ID = (1n << 64n) - 1n

export interface Channel {
  id: bigint
  consumer: Addr
  provider: Addr
  /** NB wei deposited (open + top-ups) */
  deposit: bigint
  /** cumulative voucher amount redeemed, NB wei */
  redeemed: bigint
  /** end of the challenge period, ms (0: not closing) */
  closeAt: bigint
  status: ChannelStatus
}

const key = (a: Addr): Uint8Array => hexToBytes(a as `0x${string}`)

export class ChannelStore {
  readonly words: Words

  constructor(readonly sm: StateAccess) {
    this.words = new Words(sm, PAYMENT_CHANNELS)
  }

  /** the last id given (ids run 1 … count) */
  count(): Promise<bigint> {
    return this.words.get(slotOf('pc.count'))
  }

  /** the channel `id`, or null when there is none */
  async get(id: bigint): Promise<Channel | null> {
    if (id <= 0n || id > MAX_CHANNEL_ID) return null
    const k = u64b(id)
    const status = Number(await this.words.get(slotOf('pc.status', k))) as ChannelStatus
    if (status === ChannelStatus.None) return null
    return {
      id,
      consumer: toAddr(await this.words.get(slotOf('pc.consumer', k)))!,
      provider: toAddr(await this.words.get(slotOf('pc.provider', k)))!,
      deposit: await this.words.get(slotOf('pc.deposit', k)),
      redeemed: await this.words.get(slotOf('pc.redeemed', k)),
      closeAt: await this.words.get(slotOf('pc.closeAt', k)),
      status,
    }
  }

  /** records a new channel (next id) and lists it for both parties; returns its id */
  async create(consumer: Addr, provider: Addr, deposit: bigint): Promise<bigint> {
    const id = (await this.count()) + 1n
    if (id > MAX_CHANNEL_ID) throw new RangeError('channel ids exhausted')
    const k = u64b(id)
    await this.words.set(slotOf('pc.count'), id)
    await this.words.set(slotOf('pc.consumer', k), fromAddr(consumer))
    await this.words.set(slotOf('pc.provider', k), fromAddr(provider))
    await this.words.set(slotOf('pc.deposit', k), deposit)
    await this.words.set(slotOf('pc.status', k), BigInt(ChannelStatus.Open))
    await this.addId(consumer, id)
    await this.addId(provider, id)
    return id
  }

  /** writes the changing fields of `c` (deposit, redeemed, closeAt, status) */
  async update(c: Channel): Promise<void> {
    const k = u64b(c.id)
    await this.words.set(slotOf('pc.deposit', k), c.deposit)
    await this.words.set(slotOf('pc.redeemed', k), c.redeemed)
    await this.words.set(slotOf('pc.closeAt', k), c.closeAt)
    await this.words.set(slotOf('pc.status', k), BigInt(c.status))
  }

  /** how many channels `a` is a party of */
  idCount(a: Addr): Promise<bigint> {
    return this.words.get(slotOf('pc.ids.len', key(a)))
  }

  /** the ids of `a`'s channels at positions from … to − 1 (opening order), `to` cut to the count */
  async ids(a: Addr, from: bigint, to: bigint): Promise<bigint[]> {
    const n = await this.idCount(a)
    const end = to < n ? to : n
    const out: bigint[] = []
    for (let i = from; i < end; i++) out.push(await this.words.get(slotOf('pc.ids.item', key(a), u64b(i))))
    return out
  }

  private async addId(a: Addr, id: bigint): Promise<void> {
    const n = await this.idCount(a)
    await this.words.set(slotOf('pc.ids.item', key(a), u64b(n)), id)
    await this.words.set(slotOf('pc.ids.len', key(a)), n + 1n)
  }

  /** Σ (deposit − redeemed) over the pair's channels not yet withdrawn, NB wei */
  pairFunds(consumer: Addr, provider: Addr): Promise<bigint> {
    return this.words.get(slotOf('pc.pair', key(consumer), key(provider)))
  }
  setPairFunds(consumer: Addr, provider: Addr, v: bigint): Promise<void> {
    return this.words.set(slotOf('pc.pair', key(consumer), key(provider)), v)
  }
}
