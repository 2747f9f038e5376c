/**
 * The NB token's records (DESIGN §6): storage words of the NB account (0x…1003), so the state
 * root commits to every NB balance. The NB system contract (src/execution/system/nb.ts) serves
 * the ERC-20 calls through this store; the flow engine burns fuel through `burnEscrow` and
 * `burnFrom` (NB has no public burn: fuel is only taken by consensus, when a checkpoint is applied).
 *
 * Layout (slotOf(tag, …) words of the NB account):
 *   nb.bal ‖ addr                    balance, NB wei
 *   nb.allow ‖ owner ‖ spender       allowance, NB wei
 *   nb.supply                        total supply, NB wei (balances and escrows:
 *                                    totalSupply = Σ balances + Σ escrows)
 *   nb.funder ‖ addr                 the first address that sent `addr` NB by transfer/transferFrom
 *   nb.fg.n ‖ addr                   how many funding edges `addr` keeps (≤ MAX_FUNDERS_KEPT)
 *   nb.fg.{from,amt,cyc} ‖ addr ‖ u64 i
 *                                    edge i: who sent `addr` NB, how much within the window, the
 *                                    flow cycle of the last such transfer (valuing.ts addFundingEdge)
 *   nb.price                         oracle price, NB wei per NFC; 0 = never set → the genesis value
 *                                    (cfg.nfcPriceNb, which is ≥ 1), so a genesis needs no NB words
 *   nb.burnedNfc                     NFC wei burned by conversions so far
 *   nb.esc ‖ consumer ‖ provider     fuel escrow of the pair, NB wei (DESIGN §5.1)
 *   nb.escAt ‖ consumer ‖ provider   when that escrow may be withdrawn, ms; 0 = no release requested
 *   nb.escs.len ‖ consumer           how many providers `consumer` has an escrow with
 *   nb.escs.item ‖ consumer ‖ u64 i  the provider at position i of that list
 *   nb.escs.index ‖ consumer ‖ provider
 *                                    its position + 1; 0 = not listed (an AddressList, as DPoS
 *                                    keeps its lists). A provider joins on the pair's first
 *                                    escrow() and leaves on withdrawEscrow() (the last one takes
 *                                    its place), so an escrow the engine burned down to 0 stays
 *                                    listed until it is withdrawn
 *
 * This file only reads and writes; the rules are in nb.ts (and the flow engine for fuel).
 */
import { Address, hexToBytes } from '@ethereumjs/util'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { AddressList, slotOf, toAddr, fromAddr, u64b, Words, type Addr, type StateAccess } from '../dpos/store.js'
import type { FlowConfig } from './params.js'
import { addFundingEdge, liveFundingEdges, type FundingEdge } from './valuing.js'

/** When a transfer happens, for the funding graph: its flow cycle and the genesis window N. */
export interface FundingTime {
  cycle: bigint
  windowCycles: bigint
}

export const NB = new Address(hexToBytes(SYSTEM_CONTRACTS.nb))

const key = (a: Addr): Uint8Array => hexToBytes(a as `0x${string}`)

export class NbStore {
  readonly words: Words

  constructor(readonly sm: StateAccess) {
    this.words = new Words(sm, NB)
  }

  balanceOf(a: Addr): Promise<bigint> {
    return this.words.get(slotOf('nb.bal', key(a)))
  }
  setBalance(a: Addr, v: bigint): Promise<void> {
    return this.words.set(slotOf('nb.bal', key(a)), v)
  }

  totalSupply(): Promise<bigint> {
    return this.words.get(slotOf('nb.supply'))
  }
  setTotalSupply(v: bigint): Promise<void> {
    return this.words.set(slotOf('nb.supply'), v)
  }

  allowance(owner: Addr, spender: Addr): Promise<bigint> {
    return this.words.get(slotOf('nb.allow', key(owner), key(spender)))
  }
  setAllowance(owner: Addr, spender: Addr, v: bigint): Promise<void> {
    return this.words.set(slotOf('nb.allow', key(owner), key(spender)), v)
  }

  /** the first address that sent `a` NB by transfer/transferFrom (null: none yet) */
  async funderOf(a: Addr): Promise<Addr | null> {
    return toAddr(await this.words.get(slotOf('nb.funder', key(a))))
  }
  setFunder(a: Addr, funder: Addr): Promise<void> {
    return this.words.set(slotOf('nb.funder', key(a)), fromAddr(funder))
  }

  /** the live oracle price, NB wei per NFC (the genesis value until the foundation sets one) */
  async price(cfg: Pick<FlowConfig, 'nfcPriceNb'>): Promise<bigint> {
    const p = await this.words.get(slotOf('nb.price'))
    return p === 0n ? cfg.nfcPriceNb : p
  }
  setPrice(v: bigint): Promise<void> {
    if (v <= 0n) throw new RangeError('NB price must be positive')
    return this.words.set(slotOf('nb.price'), v)
  }

  burnedNfc(): Promise<bigint> {
    return this.words.get(slotOf('nb.burnedNfc'))
  }
  setBurnedNfc(v: bigint): Promise<void> {
    return this.words.set(slotOf('nb.burnedNfc'), v)
  }

  /** creates `amount` NB for `to` (conversions only) */
  async mint(to: Addr, amount: bigint): Promise<void> {
    await this.setBalance(to, (await this.balanceOf(to)) + amount)
    await this.setTotalSupply((await this.totalSupply()) + amount)
  }

  /**
   * Burns up to `amount` NB of `from` (fuel): takes min(amount, balance) and returns what it
   * took. Never fails for a short balance: the fuel rule burns what there is.
   */
  async burnFrom(from: Addr, amount: bigint): Promise<bigint> {
    if (amount <= 0n) return 0n
    const bal = await this.balanceOf(from)
    const burned = amount < bal ? amount : bal
    if (burned === 0n) return 0n
    await this.setBalance(from, bal - burned)
    await this.setTotalSupply((await this.totalSupply()) - burned)
    return burned
  }

  /** the fuel escrow of the (consumer, provider) pair: amount (NB wei) and releaseAt (ms, 0 = none) */
  async escrowOf(consumer: Addr, provider: Addr): Promise<{ amount: bigint; releaseAt: bigint }> {
    return {
      amount: await this.words.get(slotOf('nb.esc', key(consumer), key(provider))),
      releaseAt: await this.words.get(slotOf('nb.escAt', key(consumer), key(provider))),
    }
  }
  setEscrow(consumer: Addr, provider: Addr, amount: bigint): Promise<void> {
    return this.words.set(slotOf('nb.esc', key(consumer), key(provider)), amount)
  }
  setReleaseAt(consumer: Addr, provider: Addr, ms: bigint): Promise<void> {
    return this.words.set(slotOf('nb.escAt', key(consumer), key(provider)), ms)
  }
  /** the providers `consumer` has an escrow with, from its first escrow() until withdrawEscrow() */
  escrowProviders(consumer: Addr): AddressList {
    return new AddressList(this.words, 'nb.escs', key(consumer))
  }

  /**
   * Burns up to `amount` NB from the pair's escrow (fuel): takes min(amount, escrow), lowers the
   * escrow and the supply, returns what it took. A pending release does not protect the escrow.
   */
  async burnEscrow(consumer: Addr, provider: Addr, amount: bigint): Promise<bigint> {
    if (amount <= 0n) return 0n
    const slot = slotOf('nb.esc', key(consumer), key(provider))
    const esc = await this.words.get(slot)
    const burned = amount < esc ? amount : esc
    if (burned === 0n) return 0n
    await this.words.set(slot, esc - burned)
    await this.setTotalSupply((await this.totalSupply()) - burned)
    return burned
  }

  /**
   * Moves NB between two balances with no funding bookkeeping (the caller checked `from` holds it):
   * a system contract's deposits, refunds and payouts, which are not one address funding another.
   */
  async move(from: Addr, to: Addr, amount: bigint): Promise<void> {
    await this.setBalance(from, (await this.balanceOf(from)) - amount)
    await this.setBalance(to, (await this.balanceOf(to)) + amount)
  }

  /**
   * Moves NB (the caller checked the balance). The first non-zero transfer to an address from
   * another address records the sender as its funder, and every one adds a funding edge (at
   * `at`): the self-dealing rules (DESIGN §5.5, §12) read both. Zero transfers do not count: they
   * would let anyone claim to be everyone's funder for free.
   */
  async transfer(from: Addr, to: Addr, amount: bigint, at: FundingTime): Promise<void> {
    const fromBal = await this.balanceOf(from)
    if (fromBal < amount) throw new RangeError(`${from} holds ${fromBal} NB wei, cannot move ${amount}`)
    if (from === to || amount === 0n) return
    await this.setBalance(from, fromBal - amount)
    await this.setBalance(to, (await this.balanceOf(to)) + amount)
    if ((await this.words.get(slotOf('nb.funder', key(to)))) === 0n) await this.setFunder(to, from)
    await this.setFundingEdges(to, addFundingEdge(await this.fundingEdges(to), from, amount, at.cycle, at.windowCycles))
  }

  /** every stored funding edge of `a`, in order (some may be outside the window: see liveFundingEdges) */
  async fundingEdges(a: Addr): Promise<FundingEdge[]> {
    const n = await this.words.get(slotOf('nb.fg.n', key(a)))
    const out: FundingEdge[] = []
    for (let i = 0n; i < n; i++) {
      out.push({
        from: toAddr(await this.words.get(slotOf('nb.fg.from', key(a), u64b(i))))!,
        amount: await this.words.get(slotOf('nb.fg.amt', key(a), u64b(i))),
        cycle: await this.words.get(slotOf('nb.fg.cyc', key(a), u64b(i))),
      })
    }
    return out
  }

  /** rewrites `a`'s funding edges, clearing the words of edges beyond the new count */
  async setFundingEdges(a: Addr, edges: readonly FundingEdge[]): Promise<void> {
    const old = await this.words.get(slotOf('nb.fg.n', key(a)))
    for (let i = 0; i < edges.length; i++) {
      const j = u64b(BigInt(i))
      await this.words.set(slotOf('nb.fg.from', key(a), j), fromAddr(edges[i]!.from as Addr))
      await this.words.set(slotOf('nb.fg.amt', key(a), j), edges[i]!.amount)
      await this.words.set(slotOf('nb.fg.cyc', key(a), j), edges[i]!.cycle)
    }
    for (let i = BigInt(edges.length); i < old; i++) {
      for (const f of ['nb.fg.from', 'nb.fg.amt', 'nb.fg.cyc']) await this.words.set(slotOf(f, key(a), u64b(i)), 0n)
    }
    await this.words.set(slotOf('nb.fg.n', key(a)), BigInt(edges.length))
  }

  /**
   * Who funded `consumer` with NB within 2 hops during the window at `cycle` (its funders and
   * theirs), sorted and without repeats; at most MAX_FUNDERS_KEPT × (1 + MAX_FUNDERS_KEPT).
   */
  async fundingSourcesOf(consumer: Addr, at: FundingTime): Promise<Addr[]> {
    const live = async (a: Addr) => liveFundingEdges(await this.fundingEdges(a), at.cycle, at.windowCycles).map((e) => e.from as Addr)
    const sources = new Set<Addr>()
    for (const f of await live(consumer)) {
      sources.add(f)
      for (const g of await live(f)) if (g !== consumer) sources.add(g)
    }
    return [...sources].sort()
  }
}
