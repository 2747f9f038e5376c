/**
 * The payment channels of the supply run (test/helpers/supplyRun.ts), PaymentChannels 0x…1005:
 * consumers open NB channels to providers and top them up; the consumer signs cumulative EIP-712
 * vouchers (src/flow/voucher.ts, what the flow agents send in-band) and the provider redeems the
 * latest, which moves the increase into the pair's NB fuel escrow (burned by the flow engine at
 * checkpoint application, DESIGN §5); the consumer closes, and withdraws the rest after the
 * challenge period. Refused calls are planned on purpose and must revert: a replayed or stale
 * voucher, one above the deposit or not signed by the consumer, a redeem after the challenge
 * period, a deposit above the NB balance or to oneself, a top-up of a closing channel, a second
 * close, a withdrawal before the challenge period ended or of an open channel.
 *
 * Checked after every block (`afterBlock`): PaymentChannels' NB balance = Σ deposits − Σ redeemed
 * − Σ withdrawn (from the logs) = Σ (deposit − redeemed) of the channels not withdrawn (the model);
 * each such channel's record equals the model's, each pair's funds (`pc.pair`) their Σ; a
 * withdrawal pays exactly deposit − redeemed; PaymentChannels holds no NFC (supplyOf's
 * locked.other, checked by the run). The run adds this NB balance to NB's totalSupply balance and
 * each redeemed amount to the escrows it follows.
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, hexToBytes } from '@ethereumjs/util'
import { Interface } from 'ethers'
import fs from 'node:fs'
import path from 'node:path'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { formatNfc } from '../../../src/chain/genesis.js'
import { ChannelStatus, ChannelStore } from '../../../src/consensus/povf/channelStore.js'
import { NbStore } from '../../../src/consensus/povf/nbStore.js'
import { signVoucher } from '../../../src/flow/voucher.js'
import { repoRoot } from '../inProcessNode.js'
import type { Actor } from '../supplyChain.js'
import type { Draws, Fail, Outcome, Planned, TxFn } from './play.js'

const pcIface = new Interface(JSON.parse(fs.readFileSync(path.join(repoRoot, 'src', 'execution', 'system', 'abi', 'IPaymentChannels.json'), 'utf8')))
const PC = SYSTEM_CONTRACTS.paymentChannels
const PC_AT = new Address(hexToBytes(PC as `0x${string}`))

interface ChannelModel {
  id: bigint
  consumer: Actor
  provider: Actor
  deposit: bigint
  redeemed: bigint
  closeAt: bigint
  status: number
  /** the cumulative vouchers the consumer signed, oldest first */
  vouchers: { amount: bigint; signature: Uint8Array }[]
}

export class ChannelPlay {
  private readonly channels = new Map<bigint, ChannelModel>()
  private deposited = 0n
  private redeemedPaid = 0n
  private withdrawn = 0n
  /** channels a log touched since the last check (their records are compared with the model) */
  private touched = new Set<bigint>()
  readonly counts = {
    opened: 0,
    toppedUp: 0,
    redeemed: 0,
    closes: 0,
    withdrawals: 0,
    refused: new Map<string, number>(),
  }

  constructor(
    private readonly d: Draws,
    private readonly chainId: bigint,
    private readonly consumers: readonly Actor[],
    private readonly providers: readonly Actor[],
    /** a redeem paid `paid` NB wei into the (consumer, provider) fuel escrow */
    private readonly onEscrow: (consumer: string, provider: string, paid: bigint) => void,
  ) {}

  private refused(p: Planned, why: string): void {
    p.mustRevert = true
    p.kind = `${p.kind} (${why})`
  }

  private voucher(c: ChannelModel, amount: bigint, key: Uint8Array): { amount: bigint; signature: Uint8Array } {
    return { amount, signature: signVoucher(this.chainId, { channelId: c.id, provider: c.provider.addr, amount }, key) }
  }

  /** At most one PaymentChannels call per block, of a free sender on a channel no other call of the block touches. */
  async plan(view: MerkleStateManager, blockTime: bigint, busy: Set<string>, tx: TxFn): Promise<void> {
    const { int, pick, chance } = this.d
    if (!chance(0.25)) return
    const nb = new NbStore(view)
    const live = [...this.channels.values()].filter((c) => c.status !== ChannelStatus.Closed && !busy.has(`ch${c.id}`))
    const call = async (kind: string, from: Actor, c: ChannelModel | undefined, fn: string, args: unknown[]): Promise<Planned> => {
      if (c !== undefined) busy.add(`ch${c.id}`)
      return tx(kind, from, PC_AT, pcIface.encodeFunctionData(fn, args), 0n, 200_000n)
    }
    const r = int(100)
    if (r < 18 || live.length === 0) {
      const from = pick(this.consumers.filter((a) => !busy.has(a.addr)))
      if (from === undefined) return
      const have = await nb.balanceOf(from.addr)
      if (have === 0n) return
      const q = int(12)
      const provider = q === 0 ? from : pick(this.providers)
      // the block's fuel burns may take NB from the consumer before the call: the deposit may fail then
      const p = await call('channelOpen', from, undefined, 'open', [provider.addr, q === 1 ? have + 1n : (have * BigInt(1 + int(400))) / 1000n + 1n])
      if (q === 0) this.refused(p, 'to oneself')
      else if (q === 1) this.refused(p, 'above the NB balance')
      return
    }
    const c = pick(live)
    const consumerFree = !busy.has(c.consumer.addr)
    const providerFree = !busy.has(c.provider.addr)
    const inChallenge = c.status === ChannelStatus.Open || blockTime < c.closeAt
    if (r < 30) {
      if (!consumerFree) return
      const have = await nb.balanceOf(c.consumer.addr)
      if (have === 0n) return
      const p = await call('channelTopUp', c.consumer, c, 'topUp', [c.id, (have * BigInt(1 + int(300))) / 1000n + 1n])
      if (c.status === ChannelStatus.Closing) this.refused(p, 'closing')
    } else if (r < 62) {
      // the provider redeems the consumer's newest voucher
      if (!providerFree || !inChallenge || c.deposit === c.redeemed) return
      const v = this.voucher(c, c.redeemed + 1n + ((c.deposit - c.redeemed - 1n) * BigInt(int(1001))) / 1000n, c.consumer.key)
      c.vouchers.push(v)
      const p = await call('channelRedeem', c.provider, c, 'redeem', [c.id, v.amount, v.signature])
      p.mustSucceed = true
    } else if (r < 76) {
      // a voucher the contract must refuse
      if (!providerFree) return
      const q = int(5)
      let v: { amount: bigint; signature: Uint8Array }
      let why: string
      if (!inChallenge) {
        v = this.voucher(c, c.deposit, c.consumer.key)
        why = c.redeemed === c.deposit ? 'replayed after the challenge period' : 'after the challenge period'
      } else if (q === 0 && c.redeemed > 0n) {
        v = c.vouchers.find((x) => x.amount === c.redeemed)!
        why = 'replayed'
      } else if (q === 1 && c.vouchers.some((x) => x.amount < c.redeemed)) {
        v = pick(c.vouchers.filter((x) => x.amount < c.redeemed))
        why = 'stale'
      } else if (q === 2) {
        v = this.voucher(c, c.deposit + 1n + BigInt(int(1000)), c.consumer.key)
        why = 'above the deposit'
      } else if (c.redeemed < c.deposit) {
        v = this.voucher(c, c.deposit, c.provider.key)
        why = "not the consumer's signature"
      } else return
      const p = await call('channelRedeem', c.provider, c, 'redeem', [c.id, v.amount, v.signature])
      this.refused(p, why)
    } else if (r < 86) {
      if (!consumerFree) return
      const p = await call('channelClose', c.consumer, c, 'close', [c.id])
      if (c.status === ChannelStatus.Closing) this.refused(p, 'already closing')
      else p.mustSucceed = true
    } else {
      if (!consumerFree) return
      const p = await call('channelWithdraw', c.consumer, c, 'withdraw', [c.id])
      if (c.status === ChannelStatus.Open) this.refused(p, 'not closed')
      else if (blockTime < c.closeAt) this.refused(p, 'challenge period running')
      else p.mustSucceed = true
    }
  }

  /** An included transaction: the model follows PaymentChannels' logs. */
  onOutcome(o: Outcome, number: bigint, fail: Fail): void {
    if (o.p.mustRevert && !o.ok && o.p.kind.startsWith('channel')) this.counts.refused.set(o.p.kind, (this.counts.refused.get(o.p.kind) ?? 0) + 1)
    if (!o.ok) return
    for (const log of o.logs) {
      if (log.address !== PC) continue
      const ev = pcIface.parseLog(log)
      if (ev === null) continue
      const id = ev.args.id as bigint
      this.touched.add(id)
      if (ev.name === 'ChannelOpened') {
        const by = (a: string, xs: readonly Actor[]) => xs.find((x) => x.addr === a.toLowerCase())!
        const deposit = ev.args.deposit as bigint
        this.channels.set(id, {
          id,
          consumer: by(ev.args.consumer as string, this.consumers),
          provider: by(ev.args.provider as string, this.providers),
          deposit,
          redeemed: 0n,
          closeAt: 0n,
          status: ChannelStatus.Open,
          vouchers: [],
        })
        this.deposited += deposit
        this.counts.opened++
        continue
      }
      const c = this.channels.get(id)
      if (c === undefined) {
        fail(number, `${ev.name} of channel ${id}, which the run never saw opened`)
        continue
      }
      if (ev.name === 'ToppedUp') {
        c.deposit += ev.args.amount as bigint
        this.deposited += ev.args.amount as bigint
        if (c.deposit !== (ev.args.deposit as bigint)) fail(number, `channel ${id} deposit ${ev.args.deposit}, the model ${c.deposit}`)
        this.counts.toppedUp++
      } else if (ev.name === 'Redeemed') {
        const amount = ev.args.amount as bigint
        const paid = ev.args.paid as bigint
        if (paid !== amount - c.redeemed) fail(number, `channel ${id} redeemed ${amount} paying ${paid}, ${c.redeemed} was already redeemed`)
        c.redeemed = amount
        this.redeemedPaid += paid
        this.onEscrow(c.consumer.addr, c.provider.addr, paid)
        this.counts.redeemed++
      } else if (ev.name === 'CloseStarted') {
        c.closeAt = ev.args.closeAt as bigint
        c.status = ChannelStatus.Closing
        this.counts.closes++
      } else if (ev.name === 'ChannelWithdrawn') {
        const amount = ev.args.amount as bigint
        if (amount !== c.deposit - c.redeemed) fail(number, `channel ${id} paid back ${amount}, its deposit ${c.deposit} − redeemed ${c.redeemed}`)
        c.status = ChannelStatus.Closed
        this.withdrawn += amount
        this.counts.withdrawals++
      }
    }
  }

  /**
   * The NB PaymentChannels holds (the run adds it to NB's Σ balances), checked against the logs
   * and the model; the records and pair funds of the channels a log touched since the last check
   * (of every channel when `all`: the run's periodic whole-trie walk) are compared with the model.
   */
  async afterBlock(view: MerkleStateManager, number: bigint, fail: Fail, all = false): Promise<bigint> {
    const held = await new NbStore(view).balanceOf(PC)
    const byLogs = this.deposited - this.redeemedPaid - this.withdrawn
    const store = new ChannelStore(view)
    let byChannels = 0n
    const pairs = new Map<string, { c: ChannelModel; funds: bigint; touched: boolean }>()
    for (const c of this.channels.values()) {
      const k = `${c.consumer.addr}/${c.provider.addr}`
      const pair = pairs.get(k) ?? { c, funds: 0n, touched: false }
      pairs.set(k, pair)
      const touched = all || this.touched.has(c.id)
      pair.touched ||= touched
      if (c.status !== ChannelStatus.Closed) {
        byChannels += c.deposit - c.redeemed
        pair.funds += c.deposit - c.redeemed
      }
      if (!touched) continue
      const s = await store.get(c.id)
      if (s === null || s.deposit !== c.deposit || s.redeemed !== c.redeemed || s.closeAt !== c.closeAt || s.status !== c.status)
        fail(number, `channel ${c.id} on chain ${JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v))} ≠ the model`)
    }
    this.touched.clear()
    if (held !== byLogs || held !== byChannels)
      fail(number, `PaymentChannels holds ${held} NB wei; Σ deposits − Σ redeemed − Σ withdrawn = ${byLogs}; Σ open channels ${byChannels}`)
    for (const { c, funds, touched } of pairs.values()) {
      if (!touched) continue
      const got = await store.pairFunds(c.consumer.addr, c.provider.addr)
      if (got !== funds) fail(number, `pair ${c.consumer.name}/${c.provider.name} funds ${got}, its channels ${funds}`)
    }
    if ((await store.count()) !== BigInt(this.channels.size)) fail(number, `${await store.count()} channels on chain, ${this.channels.size} opened in the logs`)
    return held
  }

  summary(t: { ok(cond: unknown, name: string): void }): void {
    const c = this.counts
    const refused = (k: string) => [...c.refused.entries()].filter(([x]) => x.includes(k)).reduce((s, [, n]) => s + n, 0)
    t.ok(
      c.opened > 0 && c.toppedUp > 0 && c.redeemed > 0 && c.closes > 0 && c.withdrawals > 0,
      `payment channels: opened ${c.opened}, topped up ${c.toppedUp}, vouchers redeemed ${c.redeemed} (${formatNfc(this.redeemedPaid).replace('NFC', 'NB')} ` +
        `into fuel escrows), closes ${c.closes}, withdrawals ${c.withdrawals} (${formatNfc(this.withdrawn).replace('NFC', 'NB')} back)`,
    )
    t.ok(
      refused('replayed') > 0 &&
        refused('stale') > 0 &&
        refused('above the deposit') > 0 &&
        refused("not the consumer's") > 0 &&
        refused('challenge period running') > 0,
      `refused channel calls: ${[...c.refused.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    )
  }
}
