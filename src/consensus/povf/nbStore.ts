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
import { AddressList, slotOf, toAddr, fromAddr, Words, type Addr, type StateAccess } from '../dpos/store.js'
import type { FlowConfig } from './params.js'

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
   * Moves NB (the caller checked the balance). The first non-zero transfer to an address from
   * another address records the sender as its funder: the self-dealing rule (DESIGN §5.3) reads
   * it. Zero transfers do not count: they would let anyone claim to be everyone's funder for free.
   */
  async transfer(from: Addr, to: Addr, amount: bigint): Promise<void> {
    const fromBal = await this.balanceOf(from)
    if (fromBal < amount) throw new RangeError(`${from} holds ${fromBal} NB wei, cannot move ${amount}`)
    if (from === to || amount === 0n) return
    await this.setBalance(from, fromBal - amount)
    await this.setBalance(to, (await this.balanceOf(to)) + amount)
    if ((await this.words.get(slotOf('nb.funder', key(to)))) === 0n) await this.setFunder(to, from)
  }
}
