/**
 * The supply invariant of issues 5 and 20: every NFC is accounted for — balances + pools + locks +
 * pledges + burned = 2,100,000,000 NFC — after every block of a 2,000-block run of the real
 * chain (Blockchain.produceBlock, signed transactions, classic-level in a temp dir) with random
 * traffic, votes, conversions, names, storage deals, governance and payment channels.
 *
 * One witness (dev account 0, an RN) produces every 100 ms slot; 2 s flow cycles. Per block ~0–7
 * transactions, from distinct accounts: NFC transfers (sometimes to a fresh address, which joins
 * the tracked set), Staking votes / unvotes / withdrawUnbonded / claimRewards, NB.convert (by
 * holders above 1,000 NFC, and refused ones at or below), NB transfers (providers funding
 * consumers make self-dealing pairs), NB fuel escrows of consumers for providers (escrow,
 * requestRelease, withdrawEscrow once released), EN/CN pledges, exits and pledge withdrawals,
 * FlowRewards.withdraw of unlocked rewards, team vesting claims, and names (register with an NFC
 * lock for terms of seconds, renew, transfer, release, and registering expired names again, which
 * pays the old owner's lock back), and storage deals (offers of pledged providers, posts escrowing
 * NB, cancels, accepts with NFC collateral, proofs of the challenged chunks — some left out, so
 * deals are slashed — and the settlement at each 1-second period), governance (supply/governance.ts:
 * four big stakers stake, unstake and withdraw under vote locks, propose grants from the shared
 * pool to three grantees and changes of fuelPricePerGb / nfcPriceNb / flowCapFactorBps, and vote;
 * 3-second votes, a 1-second timelock, settlement at flow-cycle boundaries; refused proposals and
 * votes planned on purpose) and payment channels (supply/channels.ts: open, top up, redeem
 * cumulative vouchers into the pair's fuel escrow, close, withdraw after the 1-second challenge
 * period; replayed, stale, over-deposit and forged vouchers refused). Calls the planner knows to
 * be refused must revert, those it knows to be valid must succeed. Signed receipts between consumers
 * and EN providers (some self-dealing, some with relays) accumulate; at the first block of each
 * cycle the previous cycle's checkpoint, signed by its committee, is submitted; it is applied one
 * challenge window later (rewards from the traffic pool, NB fuel burned from the pair's escrow
 * and then the consumer's balance, locks).
 *
 * After every block: Σ balances of the tracked accounts = TOTAL_SUPPLY; supplyOf's circulating =
 * Σ of the tracked non-protocol accounts; burned = NB.burnedNfc = Σ Converted.burned; the
 * foundation got exactly Σ Converted.toFoundation; FlowRewards holds exactly the unwithdrawn
 * locks; NodeRegistry holds exactly the pledges; the traffic pool lost exactly what was minted;
 * NB's totalSupply = Σ NB balances of the actors + Σ escrows of the pairs that ever escrowed, and
 * the escrows hold at most Σ Escrowed − Σ EscrowReleased (only fuel takes from them); Names holds
 * exactly the locks of its records = Σ locked (Registered, Renewed) − Σ LockReturned; StorageDeals
 * holds exactly the collateral of its active deals in NFC and their unspent escrow in NB;
 * PaymentChannels holds exactly Σ deposits − Σ redeemed − Σ withdrawn in NB (= Σ of its open
 * channels; their records and pair funds match the model) and redeemed NB joins the escrows
 * above; the shared pool changed by exactly its inflows (reward share, fee shares, traffic
 * shares) − the bonuses − the grants executed, and each grantee holds exactly its grants; each
 * staker's balance is its genesis − fees − stake + withdrawals + rewards claimed (a refused call
 * cost the fee only), a withdrawal of unbonded stake pays exactly the entries past their vote
 * lock; every proposal's tallies match its Voted logs and it settles at the first flow-cycle
 * boundary after its timelock as its votes say (supply/governance.ts lists the rest).
 * Every 1,000 blocks (and at the end) the whole account trie is summed.
 *
 * Why 2,000 blocks (it was 10,000, ~7 minutes of `npm test`): every period of the fixture is at
 * most 100 blocks (election cycle 100 blocks, flow cycle 20, locks and unlocks ≤ 60, pledge and
 * unbonding delays ≤ 20, an NB escrow release 50, a proposal settled ≤ 60 after it is made, a
 * channel's challenge period 10; the team vesting runs 20,000 blocks, so no run
 * sees its end), so 2,000 blocks are 20 election cycles, 100 flow cycles and two whole-trie
 * walks; every path the final assertions demand was already taken by block 400 (measured with
 * seed 5). A longer run only draws more random mixes: SUPPLY_BLOCKS=10000 runs the old length.
 *
 * SUPPLY_BLOCKS / SUPPLY_SEED override the run length and seed (to reproduce or lengthen a run).
 *
 * Runs as a plain node process (test/slow/supplyInvariant.test.ts starts it and turns its JSON
 * lines into tap assertions): inside tap, the async-hook domain that tracks every promise made
 * this promise-heavy loop a third slower, plus the garbage it leaves. `t` below is a stand-in
 * with the few Test methods the run uses; every assertion and comment is one JSON line on stdout.
 */
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Interface } from 'ethers'
import fs from 'node:fs'
import path from 'node:path'
import { BURN_ADDRESS, NFC, POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../src/chain/systemAddresses.js'
import { formatNfc } from '../../src/chain/genesis.js'
import { core } from '../../src/core/index.js'
import { DposStore, Role } from '../../src/consensus/dpos/store.js'
import { flowOf } from '../../src/consensus/dpos/engine.js'
import { flowCycleAt } from '../../src/consensus/povf/engine.js'
import { NbStore } from '../../src/consensus/povf/nbStore.js'
import { CpStatus, FlowStore } from '../../src/consensus/povf/store.js'
import { supplyOf } from '../../src/consensus/povf/supply.js'
import { lockFor, statusOf } from '../../src/consensus/names/rules.js'
import { NamesStore } from '../../src/consensus/names/store.js'
import { DealStatus, periodAt } from '../../src/consensus/deals/rules.js'
import { DealsStore } from '../../src/consensus/deals/store.js'
import { dealChallenge } from '../../src/consensus/deals/views.js'
import { chunkRange, proofOf, treeOf } from '../../src/deals/fileTree.js'
import { dealsOf, namesOf } from '../../src/consensus/dpos/engine.js'
import { readRewards } from '../../src/consensus/povf/views.js'
import { call } from '../../src/execution/call.js'
import { buildCheckpoint, encodeCheckpointCall, signCheckpoint, type CheckpointEntry } from '../../src/flow/checkpoint.js'
import { RECEIPT_DOMAIN_TAG, receiptHash, receiptTotal, signReceipt, type FlowReceipt } from '../../src/flow/receipt.js'
import { DEV_ACCOUNTS, DEV_TEAM_INDEX } from '../../src/node/devAccounts.js'
import { devKey, openChain, repoRoot, tempDir } from '../helpers/inProcessNode.js'
import { prng } from '../helpers/prng.js'
import { actorOf, generatedKey, supplyGenesis, walkAccounts, type Actor, type Kind } from '../helpers/supplyChain.js'
import { ChannelPlay } from './supply/channels.js'
import { GovernancePlay } from './supply/governance.js'
import type { Draws, Planned, TxFn } from './supply/play.js'

const BLOCKS = Number(process.env.SUPPLY_BLOCKS ?? 2_000)
const SEED = Number(process.env.SUPPLY_SEED ?? 5)
const WALK_EVERY = 1_000
const GWEI = 10n ** 9n
const PF = 1_344_000_000n * NFC

const abi = (name: string) => new Interface(JSON.parse(fs.readFileSync(path.join(repoRoot, 'src', 'execution', 'system', 'abi', `${name}.json`), 'utf8')))
const stakingIface = abi('IStaking')
const registryIface = abi('INodeRegistry')
const flowIface = abi('IFlowRewards')
const nbIface = abi('INB')
const namesIface = abi('INames')
/** the names the run plays with: few, so they are taken, expire and are registered again */
const ZERO32 = '0x' + '00'.repeat(32)
const NAME_POOL = Array.from({ length: 8 }, (_, i) => `name-${i}`)

const at = (a: string): Address => new Address(hexToBytes(a as `0x${string}`))
const STAKING = at(SYSTEM_CONTRACTS.staking)
const REGISTRY = at(SYSTEM_CONTRACTS.nodeRegistry)
const FLOW = at(SYSTEM_CONTRACTS.flowRewards)
const NB_AT = at(SYSTEM_CONTRACTS.nb)
const NAMES_AT = at(SYSTEM_CONTRACTS.names)
const DEALS_AT = at(SYSTEM_CONTRACTS.storageDeals)
const dealsIface = abi('IStorageDeals')
/** the files the storage deals are made on (random bytes, 1 to 9 chunks) */
const DEAL_FILES = [100, 4_096, 20_000, 36_000].map((size, i) => {
  const bytes = Uint8Array.from({ length: size }, (_, j) => (j * 31 + i * 7 + (j >> 12)) % 256)
  return { bytes, ...treeOf(bytes) }
})
const PROTOCOL = new Set<string>([...Object.values(SYSTEM_CONTRACTS), ...Object.values(POOLS), BURN_ADDRESS])

const emit = (r: { type: 'comment' | 'assert' | 'done'; name: string; ok?: boolean; diag?: unknown }) =>
  process.stdout.write(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n')
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))

/** The Test methods this run uses, reported as JSON lines (see the file header). */
const t = {
  teardowns: [] as (() => unknown)[],
  teardown(fn: () => unknown) {
    this.teardowns.push(fn)
  },
  comment(msg: string) {
    emit({ type: 'comment', name: msg })
  },
  ok(cond: unknown, name: string) {
    emit({ type: 'assert', ok: Boolean(cond), name })
  },
  equal(found: unknown, wanted: unknown, name: string) {
    emit({ type: 'assert', ok: found === wanted, name, ...(found === wanted ? {} : { diag: { found, wanted } }) })
  },
  strictSame(found: unknown, wanted: unknown, name: string) {
    const ok = json(found) === json(wanted)
    emit({ type: 'assert', ok, name, ...(ok ? {} : { diag: { found, wanted } }) })
  },
  async test(name: string, body: (t: any) => Promise<void>) {
    emit({ type: 'comment', name })
    try {
      await body(this)
    } finally {
      for (const fn of this.teardowns.reverse()) await fn()
    }
    emit({ type: 'done', name })
  },
}

await t.test(`supply invariant over ${BLOCKS} blocks with random traffic, votes and conversions`, async (t) => {
  const rand = prng(SEED)
  const int = (n: number): number => Math.floor(rand() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const chance = (p: number): boolean => rand() < p
  /** a random amount in [lo, hi] NFC with 6 random decimals */
  const nfc = (lo: number, hi: number): bigint => BigInt(lo) * NFC + (BigInt(int((hi - lo) * 1_000_000 + 1)) * NFC) / 1_000_000n

  // ---------------------------------------------------------------- actors and genesis
  const devs = DEV_ACCOUNTS.slice(0, 10).map((d, i) => actorOf(`dev${i}`, 'dev', devKey(i)))
  const witness = devs[0]!
  const team = actorOf('team', 'team', hexToBytes(DEV_ACCOUNTS[DEV_TEAM_INDEX]!.privateKey as `0x${string}`))
  const make = (n: number, kind: Kind, balance: bigint) =>
    Array.from({ length: n }, (_, i) => ({ actor: actorOf(`${kind}${i}`, kind, generatedKey(rand)), balance }))
  const funded = [
    ...make(8, 'consumer', 3_000n * NFC),
    ...make(4, 'poor', 600n * NFC),
    ...make(6, 'provider', 2_000n * NFC),
    ...make(4, 'relay', 10n * NFC),
    ...make(3, 'cn', 1_000n * NFC),
  ]
  const draws: Draws = { int, pick, chance, nfc }
  const gov = new GovernancePlay(draws, rand, witness)
  const genesis = supplyGenesis([...funded.map((f) => ({ addr: f.actor.addr, balance: f.balance })), { addr: team.addr, balance: 10n * NFC }, ...gov.funding()])
  const actors: Actor[] = [...devs, ...funded.map((f) => f.actor), team]
  const byKind = (...k: Kind[]) => actors.filter((a) => k.includes(a.kind))
  const consumers = byKind('consumer', 'poor')
  const providers = byKind('provider')
  const relays = byKind('relay')
  const cns = byKind('cn')
  const keyOf = new Map(actors.map((a) => [a.addr, a.key]))
  /** every address that may stake in Staking */
  const voters = [...actors, ...gov.stakers].map((a) => a.addr)
  const foundation = genesis.foundation!

  // every account that can hold NFC: the alloc, protocol accounts, the actors (fresh ones join)
  const tracked = new Set<string>([...genesis.alloc.map(([a]) => a), ...PROTOCOL, foundation, witness.addr, ...actors.map((a) => a.addr), ...gov.addresses()])

  const dir = tempDir(t, 'nfc-supply-')
  const { chain } = await openChain(t, dir, genesis, () => Number(genesis.timestamp))
  const cfg = chain.dpos
  gov.useConfig(cfg)
  const flow = flowOf(cfg)
  const chainId = chain.common.chainId()
  const foundationGenesis = genesis.alloc.find(([a]) => a === foundation)![1].balance
  const channels = new ChannelPlay(draws, chainId, consumers, providers, (c, pv, paid) => {
    escrowPairs.set(`${c}/${pv}`, [c, pv])
    escrowedIn += paid
  })

  // ---------------------------------------------------------------- traffic sessions
  interface Session {
    id: Uint8Array
    consumer: Actor
    provider: Actor
    relays: string[]
    seq: bigint
    up: bigint
    down: bigint
    latest?: FlowReceipt
    settledSeq: bigint
    settledTotal: bigint
  }
  const sessions = new Map<string, Session>()
  let sessionCount = 0
  const utf8 = new TextEncoder()

  /** one more signed receipt of a random (consumer, provider, relays) session */
  function traffic(cycle: bigint, number: bigint): void {
    const consumer = pick(consumers)
    let provider = pick(providers)
    let rs = relays.filter(() => chance(0.3)).map((r) => r.addr)
    const cheat = int(20)
    if (cheat === 0) provider = consumer // consumer == provider
    if (cheat === 1) rs = [...rs.slice(0, 3), consumer.addr] // consumer relays its own traffic
    if (cheat === 0 || cheat === 1) counts.selfDealingReceipts++
    const k = `${consumer.addr}/${provider.addr}/${rs.join(',')}`
    let s = sessions.get(k)
    if (s === undefined || chance(0.05)) {
      s = {
        id: core.keccak256(utf8.encode(`session ${sessionCount++} ${k}`)),
        consumer,
        provider,
        relays: rs,
        seq: 0n,
        up: 0n,
        down: 0n,
        settledSeq: 0n,
        settledTotal: 0n,
      }
      sessions.set(k, s)
    }
    s.seq++
    s.up += BigInt(int(400_000_000))
    s.down += BigInt(int(3_000_000_000)) + 1n
    const r: FlowReceipt = {
      domainTag: RECEIPT_DOMAIN_TAG,
      chainId,
      sessionId: s.id,
      consumer: consumer.addr,
      provider: provider.addr,
      relays: s.relays,
      seq: s.seq,
      bytesUp: s.up,
      bytesDown: s.down,
      sampleRoot: core.keccak256(utf8.encode(`sample ${bytesToHex(s.id)} ${s.seq}`)),
      prevReceiptHash: s.latest === undefined ? new Uint8Array(32) : receiptHash(s.latest),
      cycle,
      expiryHeight: number + 10_000n,
    }
    // both sides sign, as the side-chain requires (the main chain checks them in fraud proofs)
    signReceipt(r, consumer.key)
    signReceipt(r, provider.key)
    s.latest = r
    counts.receipts++
  }

  // ---------------------------------------------------------------- counters
  const counts = {
    blocks: 0,
    txs: 0,
    rejected: 0,
    receipts: 0,
    selfDealingReceipts: 0,
    checkpointsSubmitted: 0,
    checkpointsApplied: 0,
    checkpointsSkipped: 0,
    rewardBlocks: 0,
    fresh: 0,
  }
  const ok = new Map<string, number>()
  const reverted = new Map<string, number>()
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
  let convertedBurned = 0n
  let convertedToFoundation = 0n
  let nbMinted = 0n
  /** this block's conversions (NFC in, NB out): checked at the price in force after the block */
  let conversions: { value: bigint; nbOut: bigint }[] = []
  /** conversions at an NB price governance set (not the genesis one) */
  let governedConversions = 0
  /** every (consumer, provider) pair that ever escrowed NB, and Σ Escrowed / Σ EscrowReleased */
  const escrowPairs = new Map<string, [string, string]>()
  /** Σ of what the escrows of those pairs hold in `nb`'s state */
  const escrowTotal = async (nb: NbStore): Promise<bigint> => {
    let sum = 0n
    for (const [c, p] of escrowPairs.values()) sum += (await nb.escrowOf(c, p)).amount
    return sum
  }
  let escrowedIn = 0n
  let escrowedOut = 0n
  let withdrawnNfc = 0n
  let bonusNfc = 0n
  let refusedExpected = 0
  /** Σ NFC locked by Registered/Renewed and Σ LockReturned; re-registrations that paid an old owner back */
  let namesLocked = 0n
  let namesReturned = 0n
  let namesPaidBack = 0
  /** deals whose proof of a period was left out on purpose, so they are slashed */
  let dealsLeftUnproved = 0
  /** deal id → the period whose proof is left out */
  const unproved = new Map<bigint, bigint>()
  const submitted: bigint[] = []
  let appliedUpTo = 0

  // ---------------------------------------------------------------- transactions (Planned: supply/play.ts)

  async function plan(view: MerkleStateManager, blockTime: bigint, busy: Set<string>): Promise<Planned[]> {
    const store = new DposStore(view)
    const nb = new NbStore(view)
    const bal = async (a: Actor) => (await view.getAccount(a.address))?.balance ?? 0n
    const nonce = async (a: Actor) => (await view.getAccount(a.address))?.nonce ?? 0n
    const free = (xs: readonly Actor[]) => xs.filter((a) => !busy.has(a.addr))
    const out: Planned[] = []
    const tx: TxFn = async (kind, from, to, data, value = 0n, gasLimit = 300_000n) => {
      busy.add(from.addr)
      const tip = chance(0.3) ? GWEI : 0n
      const signed = createFeeMarket1559Tx(
        { nonce: await nonce(from), to, value, data: hexToBytes(data as `0x${string}`), gasLimit, maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: tip },
        { common: chain.common },
      ).sign(from.key)
      const p: Planned = { kind, from, tx: signed }
      out.push(p)
      return p
    }
    const GAS_RESERVE = 1_000_000n * 2n * GWEI

    const n = int(5)
    for (let i = 0; i < n; i++) {
      const what = int(100)
      if (what < 20) {
        // NFC transfer: between actors, sometimes to a fresh address
        const from = pick(free(actors.filter((a) => a !== witness)))
        if (from === undefined) continue
        const b = await bal(from)
        if (b < GAS_RESERVE * 2n) continue
        let to: Actor
        if (chance(0.05)) {
          to = actorOf(`fresh${counts.fresh++}`, 'fresh', generatedKey(rand))
          tracked.add(to.addr)
        } else {
          const cands = free(actors).filter((a) => a !== from)
          if (cands.length === 0) continue
          to = pick(cands)
        }
        busy.add(to.addr)
        const max = (b - GAS_RESERVE) / (chance(0.2) ? 2n : 20n)
        await tx('transfer', from, to.address, '0x', max > 0n ? (BigInt(Math.floor(rand() * 1e9)) * max) / 1_000_000_000n : 0n, 21_000n)
      } else if (what < 32) {
        // vote for the witness
        const from = pick(free(actors.filter((a) => a.kind !== 'fresh')))
        if (from === undefined) continue
        const b = await bal(from)
        if (b < 20n * NFC) continue
        const cap = b / 4n > 200n * NFC ? 200n * NFC : b / 4n
        const amount = (cap * BigInt(1 + int(1000))) / 1000n
        await tx('vote', from, STAKING, stakingIface.encodeFunctionData('vote', [witness.addr, amount]), amount)
      } else if (what < 40) {
        // unvote part of a position (or claim rewards / withdraw the matured unbonding)
        const from = pick(free(actors.filter((a) => a !== witness)))
        if (from === undefined) continue
        const pos = await store.getPosition(from.addr, witness.addr)
        const unb = await store.getUnbonding(from.addr)
        const r = int(3)
        if (r === 0 && pos.votes > 0n) {
          const amount = (pos.votes * BigInt(1 + int(1000))) / 1000n
          await tx('unvote', from, STAKING, stakingIface.encodeFunctionData('unvote', [witness.addr, amount]))
        } else if (r === 1 && unb.length > 0) {
          await tx('withdrawUnbonded', from, STAKING, stakingIface.encodeFunctionData('withdrawUnbonded', []))
        } else if (pos.votes > 0n) {
          await tx('claimRewards', from, STAKING, stakingIface.encodeFunctionData('claimRewards', []))
        }
      } else if (what < 54) {
        // NB.convert
        const from = pick(free(actors.filter((a) => a !== witness && a.kind !== 'dev')))
        if (from === undefined) continue
        const b = await bal(from)
        const value = nfc(1, 30)
        if (b < value + GAS_RESERVE) continue
        const p = await tx('convert', from, NB_AT, nbIface.encodeFunctionData('convert', []), value)
        // the rule: the NFC balance before the call (after the gas purchase) must exceed the minimum
        if (b <= flow.nbConvertMinBalance) {
          p.mustRevert = true
          refusedExpected++
        }
      } else if (what < 62) {
        // NB transfer: a holder (often a provider: it becomes the consumer's funder) to a consumer
        const holders = free(actors.filter((a) => a.kind === 'provider' || a.kind === 'consumer'))
        if (holders.length === 0) continue
        const from = pick(holders)
        const nbBal = await nb.balanceOf(from.addr)
        if (nbBal === 0n || (await bal(from)) < GAS_RESERVE) continue
        const to = pick(free(consumers).filter((c) => c !== from))
        if (to === undefined) continue
        busy.add(to.addr)
        const amount = (nbBal * BigInt(1 + int(500))) / 1000n
        await tx('nbTransfer', from, NB_AT, nbIface.encodeFunctionData('transfer', [to.addr, amount]))
      } else if (what < 72) {
        // pledges, exits, pledge withdrawals of the EN providers and the CNs
        const from = pick(free([...providers, ...cns]))
        if (from === undefined) continue
        const node = await store.getNode(from.addr)
        const role = from.kind === 'cn' ? Role.CN : Role.EN
        const min = role === Role.CN ? flow.cnPledge : flow.enPledge
        if (node.role === Role.None) {
          const amount = min + nfc(0, 20)
          if ((await bal(from)) < amount + GAS_RESERVE) continue
          await tx('pledge', from, REGISTRY, registryIface.encodeFunctionData('pledge', [role]), amount)
        } else if (node.exitTime === 0n) {
          if (chance(0.25)) await tx('exit', from, REGISTRY, registryIface.encodeFunctionData('exit', []))
          else if ((await bal(from)) > nfc(5, 5) + GAS_RESERVE)
            await tx('pledgeTopUp', from, REGISTRY, registryIface.encodeFunctionData('pledge', [role]), nfc(1, 5))
        } else {
          await tx('withdrawPledge', from, REGISTRY, registryIface.encodeFunctionData('withdrawPledge', []))
        }
      } else if (what < 90) {
        // FlowRewards.withdraw of unlocked traffic rewards
        const cands = free(actors.filter((a) => a.kind === 'provider' || a.kind === 'relay' || a.kind === 'consumer' || a.kind === 'poor'))
        const from = pick(cands)
        if (from === undefined) continue
        // the contract sees the block time in whole seconds (hooks.ts): ask at that time
        const r = await readRewards(view, from.addr, (blockTime / 1000n) * 1000n, cfg)
        if (r.withdrawable === 0n) continue
        const amount = chance(0.3) ? r.withdrawable : (r.withdrawable * BigInt(1 + int(1000))) / 1000n
        if (amount === 0n) continue
        await tx('withdraw', from, FLOW, flowIface.encodeFunctionData('withdraw', [amount]))
      } else if (what < 93) {
        if (busy.has(team.addr)) continue
        await tx('claimVested', team, FLOW, flowIface.encodeFunctionData('claimVested', []))
      } else if (what < 99) {
        // NB fuel escrow of a consumer for a provider: deposit, request its release, withdraw it
        const from = pick(free(consumers))
        if (from === undefined || (await bal(from)) < GAS_RESERVE) continue
        const mine = [...escrowPairs.values()].filter(([c]) => c === from.addr)
        const r = int(3)
        if (r === 0 || mine.length === 0) {
          const nbBal = await nb.balanceOf(from.addr)
          if (nbBal === 0n) continue
          const amount = (nbBal * BigInt(1 + int(1000))) / 1000n
          await tx('escrow', from, NB_AT, nbIface.encodeFunctionData('escrow', [pick(providers).addr, amount]))
        } else {
          const [, provider] = pick(mine)
          const e = await nb.escrowOf(from.addr, provider)
          if (r === 1 && e.amount > 0n && e.releaseAt === 0n) await tx('requestRelease', from, NB_AT, nbIface.encodeFunctionData('requestRelease', [provider]))
          else if (e.releaseAt !== 0n && e.releaseAt <= blockTime)
            await tx('withdrawEscrow', from, NB_AT, nbIface.encodeFunctionData('withdrawEscrow', [provider]))
        }
      }
    }
    if (chance(0.15)) await nameAction(view, blockTime, busy, tx, bal)
    await dealActions(view, blockTime, busy, tx, bal)
    await gov.plan(view, blockTime, busy, tx)
    await channels.plan(view, blockTime, busy, tx)
    return out
  }

  /**
   * StorageDeals transactions: every active deal of a free provider is proved in each period it
   * can be (not at a period's first block: its seed is recorded by that block), except now and
   * then on purpose (it is slashed at the next period); sometimes an offer, a post, an accept or
   * a cancel.
   */
  async function dealActions(view: MerkleStateManager, blockTime: bigint, busy: Set<string>, tx: TxFn, bal: (a: Actor) => Promise<bigint>): Promise<void> {
    const free = (xs: readonly Actor[]) => xs.filter((a) => !busy.has(a.addr))
    const ds = new DealsStore(view)
    const dcfg = dealsOf(cfg)
    const period = periodAt(blockTime, dcfg)
    const count = await ds.count()
    const byAddr = new Map(actors.map((a) => [a.addr, a]))
    if (period === (await ds.lastPeriod())) {
      for (const id of await ds.active().all()) {
        const d = (await ds.getDeal(id))!
        const provider = byAddr.get(d.provider)!
        if (d.provedPeriod === period || period < d.firstPeriod || busy.has(provider.addr) || (await bal(provider)) < 10n ** 15n) continue
        if (unproved.get(id) === period) continue
        if (chance(0.05)) {
          // this period is left out: the deal is slashed at the next one
          unproved.set(id, period)
          dealsLeftUnproved++
          continue
        }
        const file = DEAL_FILES.find((f) => f.bytes.length === Number(d.size))!
        const c = await dealChallenge(view, id, period, blockTime, dcfg)
        const chunks = c.indexes.map((i) => {
          const r = chunkRange(file.bytes.length, i)
          return file.bytes.subarray(r.start, r.end)
        })
        const proofs = c.indexes.map((i) => proofOf(file.leaves, i))
        await tx('dealProve', provider, DEALS_AT, dealsIface.encodeFunctionData('prove', [id, period, chunks, proofs]), 0n, 400_000n)
      }
    }
    if (!chance(0.2)) return
    const r = int(4)
    const pledged: Actor[] = []
    for (const p of providers) {
      const node = await new DposStore(view).getNode(p.addr)
      if (node.role !== Role.None && node.exitTime === 0n) pledged.push(p)
    }
    if (r === 0) {
      const from = pick(free(pledged))
      if (from === undefined || (await bal(from)) < 10n ** 15n) return
      await tx(
        'dealOffer',
        from,
        DEALS_AT,
        dealsIface.encodeFunctionData('setOffer', [`http://10.0.0.${1 + int(200)}:7000`, BigInt(1 + int(1_000)) * 10n ** 12n, 40_000n]),
      )
    } else if (r === 1) {
      const withOffer: Actor[] = []
      for (const p of providers) if ((await ds.getOffer(p.addr)).maxBytes > 0n) withOffer.push(p)
      const from = pick(free(consumers))
      const provider = pick(withOffer)
      if (from === undefined || provider === undefined || (await bal(from)) < 10n ** 15n) return
      const file = pick(DEAL_FILES)
      await tx('dealPost', from, DEALS_AT, dealsIface.encodeFunctionData('post', [provider.addr, file.root, BigInt(file.bytes.length), BigInt(1 + int(4))]))
    } else {
      // accept (or cancel) one of the posted deals of the last 20 ids
      for (let id = count; id > 0n && id > count - 20n; id--) {
        const d = (await ds.getDeal(id))!
        if (d.status !== DealStatus.Posted) continue
        if (r === 2) {
          const provider = byAddr.get(d.provider)!
          if (busy.has(provider.addr) || (await bal(provider)) < 5n * NFC) continue
          await tx('dealAccept', provider, DEALS_AT, dealsIface.encodeFunctionData('accept', [id]), dcfg.collateralWei + nfc(0, 2))
        } else {
          const client = byAddr.get(d.client)!
          if (busy.has(client.addr)) continue
          await tx('dealCancel', client, DEALS_AT, dealsIface.encodeFunctionData('cancel', [id]))
        }
        return
      }
    }
  }

  /** one Names transaction of a free actor on a name of NAME_POOL, by the name's state */
  async function nameAction(view: MerkleStateManager, blockTime: bigint, busy: Set<string>, tx: TxFn, bal: (a: Actor) => Promise<bigint>): Promise<void> {
    const name = pick(NAME_POOL)
    const rec = await new NamesStore(view).get(name)
    const status = statusOf(rec.owner, rec.expiresAtMs, blockTime)
    const owner = status === 'active' ? actors.find((a) => a.addr === rec.owner) : undefined
    const from = owner ?? pick(actors.filter((a) => a !== witness && a.kind !== 'fresh'))
    if (busy.has(from.addr) || (await bal(from)) < 10n * NFC) return
    const term = BigInt(1 + int(20)) * 1000n
    const lock = lockFor(namesOf(cfg), term)
    if (status !== 'active') {
      const p = await tx(
        'nameRegister',
        from,
        NAMES_AT,
        namesIface.encodeFunctionData('register', [name, term, ZERO32, chance(0.5) ? '' : `ws://${from.name}`]),
        lock + (chance(0.3) ? nfc(0, 1) : 0n),
      )
      if (status === 'expired' && rec.lockWei > 0n) p.onOk = () => namesPaidBack++
      return
    }
    const r = int(4)
    if (r === 0) await tx('nameRenew', from, NAMES_AT, namesIface.encodeFunctionData('renew', [name, term]), lock)
    else if (r === 1) {
      const to = pick(actors.filter((a) => a !== from))
      await tx('nameTransfer', from, NAMES_AT, namesIface.encodeFunctionData('transfer', [name, to.addr]))
    } else await tx('nameRelease', from, NAMES_AT, namesIface.encodeFunctionData('release', [name]))
  }

  /** the checkpoint of `cycle` from the pending receipts, signed by its whole committee */
  async function checkpointTx(
    view: MerkleStateManager,
    cycle: bigint,
    busy: Set<string>,
  ): Promise<{ p: Planned; entries: { s: Session; seq: bigint; total: bigint }[] } | undefined> {
    const fsv = new FlowStore(view)
    const committee = await fsv.committee(cycle).all()
    if (committee.length === 0) return undefined
    const chosen: { s: Session; seq: bigint; total: bigint }[] = []
    const entries: CheckpointEntry[] = []
    for (const s of sessions.values()) {
      const r = s.latest
      if (r === undefined || r.seq <= s.settledSeq) continue
      const total = receiptTotal(r)
      chosen.push({ s, seq: r.seq, total })
      entries.push({
        sessionId: r.sessionId,
        consumer: r.consumer,
        provider: r.provider,
        relays: r.relays,
        seq: r.seq,
        prevTotal: s.settledTotal,
        total,
        sampleRoot: r.sampleRoot,
        receiptHash: receiptHash(r),
      })
    }
    if (entries.length === 0) return undefined
    const cp = buildCheckpoint({ cycle, prevCheckpoint: await fsv.lastCheckpoint(), entries })
    const sigs = committee.map((m) => {
      const key = keyOf.get(m)
      if (key === undefined) throw new Error(`committee member ${m} of cycle ${cycle} is not an actor`)
      return signCheckpoint(cp, chainId, key)
    })
    const from = pick(devs.slice(1).filter((d) => !busy.has(d.addr)))
    busy.add(from.addr)
    const data = flowIface.encodeFunctionData('submitCheckpoint', [encodeCheckpointCall(cp, sigs)])
    const tx = createFeeMarket1559Tx(
      {
        nonce: (await view.getAccount(from.address))?.nonce ?? 0n,
        to: FLOW,
        data: hexToBytes(data as `0x${string}`),
        gasLimit: 300_000n + 80_000n * BigInt(entries.length),
        maxFeePerGas: 2n * GWEI,
        maxPriorityFeePerGas: 0n,
      },
      { common: chain.common },
    ).sign(from.key)
    return { p: { kind: 'submitCheckpoint', from, tx }, entries: chosen }
  }

  // ---------------------------------------------------------------- invariant checks
  const failures: string[] = []
  const fail = (number: bigint, msg: string) => {
    if (failures.length < 20) failures.push(`block ${number}: ${msg}`)
  }

  /** the invariant after block `number` (`all`: every channel record too, not only those touched) */
  async function check(view: MerkleStateManager, number: bigint, all = false): Promise<void> {
    let sum = 0n
    let free = 0n
    for (const a of tracked) {
      const b = (await view.getAccount(at(a)))?.balance ?? 0n
      sum += b
      if (!PROTOCOL.has(a)) free += b
    }
    if (sum !== TOTAL_SUPPLY) fail(number, `Σ tracked balances ${formatNfc(sum)} ≠ ${formatNfc(TOTAL_SUPPLY)} (off by ${sum - TOTAL_SUPPLY} wei)`)
    const s = await supplyOf(view, flow)
    const pooled = s.pools.shared + s.pools.blockMining + s.pools.trafficMining + s.pools.teamVesting
    const held = s.locked.staking + s.locked.pledges + s.locked.flowRewards + s.locked.names + s.locked.storageDeals + s.locked.other
    if (s.total !== TOTAL_SUPPLY) fail(number, `supplyOf total ${s.total}`)
    if (s.burned + pooled + held + s.circulating !== TOTAL_SUPPLY) fail(number, 'supplyOf parts do not add up')
    if (s.circulating !== free)
      fail(number, `supplyOf circulating ${s.circulating} ≠ Σ tracked non-protocol balances ${free} (off by ${s.circulating - free} wei)`)
    if (s.locked.other !== 0n) fail(number, `NB/Evidence hold ${s.locked.other} wei`)
    const nb = new NbStore(view)
    const burnedNfc = await nb.burnedNfc()
    if (s.burned !== burnedNfc || burnedNfc !== convertedBurned)
      fail(number, `burned ${s.burned}, NB.burnedNfc ${burnedNfc}, Σ Converted.burned ${convertedBurned}`)
    const fb = (await view.getAccount(at(foundation)))?.balance ?? 0n
    if (fb !== foundationGenesis + convertedToFoundation)
      fail(number, `foundation ${fb} ≠ genesis ${foundationGenesis} + Σ Converted.toFoundation ${convertedToFoundation}`)
    const fsv = new FlowStore(view)
    const net = await fsv.networkSums()
    if (s.locked.flowRewards !== net.sc)
      fail(number, `FlowRewards holds ${s.locked.flowRewards}, unwithdrawn locks Σc = ${net.sc} (off by ${s.locked.flowRewards - net.sc} wei)`)
    const { minted } = await fsv.totals()
    if (PF - s.pools.trafficMining !== minted) fail(number, `traffic pool lost ${PF - s.pools.trafficMining}, minted ${minted}`)
    const store = new DposStore(view)
    let pledges = 0n
    for (const a of await store.nodes.all()) pledges += (await store.getNode(a)).pledge
    if (pledges !== s.locked.pledges) fail(number, `NodeRegistry holds ${s.locked.pledges}, Σ pledges ${pledges}`)
    const nbSupply = await nb.totalSupply()
    if (nbSupply > nbMinted) fail(number, `NB supply ${nbSupply} above Σ converted ${nbMinted}`)
    let nbBalances = 0n
    for (const a of actors) nbBalances += await nb.balanceOf(a.addr)
    // StorageDeals holds the deals' NB escrow: exactly the unspent price of its posted and active deals
    const ds = new DealsStore(view)
    let dealEscrow = 0n
    let collateral = 0n
    for (let id = 1n; id <= (await ds.count()); id++) {
      const d = (await ds.getDeal(id))!
      if (d.status === DealStatus.Posted || d.status === DealStatus.Active) dealEscrow += d.price - d.paid - d.refunded
      if (d.status === DealStatus.Active) collateral += d.collateral
    }
    const dealsNb = await nb.balanceOf(SYSTEM_CONTRACTS.storageDeals)
    if (dealsNb !== dealEscrow) fail(number, `StorageDeals holds ${dealsNb} NB wei, its deals' unspent escrow is ${dealEscrow}`)
    if (s.locked.storageDeals !== collateral) fail(number, `StorageDeals holds ${s.locked.storageDeals} wei, the active deals' collateral is ${collateral}`)
    nbBalances += dealsNb
    // PaymentChannels holds its channels' NB (checked against the channels and the logs)
    nbBalances += await channels.afterBlock(view, number, fail, all)
    const escrows = await escrowTotal(nb)
    if (nbSupply !== nbBalances + escrows)
      fail(number, `NB supply ${nbSupply} ≠ Σ balances ${nbBalances} + Σ escrows ${escrows} (off by ${nbSupply - nbBalances - escrows} wei)`)
    if (escrows > escrowedIn - escrowedOut) fail(number, `escrows hold ${escrows}, more than Σ Escrowed − Σ EscrowReleased = ${escrowedIn - escrowedOut}`)
    const names = new NamesStore(view)
    let locks = 0n
    for (const name of NAME_POOL) locks += (await names.get(name)).lockWei
    if (s.locked.names !== locks || locks !== namesLocked - namesReturned)
      fail(number, `Names holds ${s.locked.names}, Σ record locks ${locks}, Σ locked − Σ returned ${namesLocked - namesReturned}`)
  }

  async function walk(view: MerkleStateManager, number: bigint): Promise<{ accounts: number }> {
    const w = await walkAccounts(view)
    if (w.sum !== TOTAL_SUPPLY) {
      const known = new Set<string>([...tracked].map((a) => bytesToHex(core.keccak256(hexToBytes(a as `0x${string}`)))))
      const outside = [...w.hashedKeys].filter((k) => !known.has(k))
      fail(number, `whole trie: Σ ${w.sum} ≠ TOTAL_SUPPLY (off by ${w.sum - TOTAL_SUPPLY} wei); ${outside.length} untracked accounts`)
    }
    return { accounts: w.accounts }
  }

  // ---------------------------------------------------------------- revert reasons
  const reasons = new Map<string, Set<string>>()
  /** the revert reason of a failed transaction: replayed as a call on its block's parent state */
  async function noteReason(p: Planned, parent: typeof chain.head.header, timestamp: bigint, allGas: boolean): Promise<string> {
    const ctx = {
      number: parent.number + 1n,
      timestamp,
      producer: witness.address,
      gasLimit: genesis.params.blockGasLimit,
      baseFeePerGas: genesis.params.minGasPrice,
      parentHash: chain.head.header.parentHash,
    }
    let reason: string
    try {
      await call(
        { common: chain.common, ctx, freshState: () => chain.stateAt(parent), blockchain: {}, dpos: cfg },
        { from: p.from.address.bytes, to: p.tx.to?.bytes, value: p.tx.value, data: p.tx.data, gas: p.tx.gasLimit },
      )
      reason = 'succeeds as a call on the parent state'
    } catch (e) {
      reason = (e as Error).message
    }
    let set = reasons.get(p.kind)
    if (set === undefined) reasons.set(p.kind, (set = new Set()))
    set.add(allGas ? `ALL GAS: ${reason}` : reason)
    return reason
  }
  const timing = { plan: 0, produce: 0, check: 0 }

  // ---------------------------------------------------------------- the run
  const started = Date.now()
  let view: MerkleStateManager = chain.state.live
  let mintedBefore = 0n
  await check(view, 0n)
  await walk(view, 0n)

  for (let i = 1; i <= BLOCKS && failures.length === 0; i++) {
    const t0 = Date.now()
    const parent = chain.head.header
    const timestamp = parent.timestamp + cfg.intervalMs
    const number = parent.number + 1n
    const cycle = flowCycleAt(timestamp, cfg)
    const busy = new Set<string>([witness.addr])
    const planned: Planned[] = []
    let cpEntries: { s: Session; seq: bigint; total: bigint }[] = []
    if (cycle > flowCycleAt(parent.timestamp, cfg) && cycle > 0n) {
      // the previous cycle ended: submit its checkpoint (now and then leave one out: its
      // receipts roll into the next checkpoint through the running totals)
      if (chance(0.04)) counts.checkpointsSkipped++
      else {
        const c = await checkpointTx(view, cycle - 1n, busy)
        if (c !== undefined) {
          planned.push(c.p)
          cpEntries = c.entries
        }
      }
    }
    planned.push(...(await plan(view, timestamp, busy)))
    const t1 = Date.now()
    const built = await chain.produceBlock(
      witness.key,
      timestamp,
      planned.map((p) => p.tx),
    )
    const t2 = Date.now()
    timing.plan += t1 - t0
    timing.produce += t2 - t1
    counts.blocks++
    counts.rejected += built.rejected.length
    for (const r of built.rejected) {
      const p = planned.find((x) => x.tx === r.tx)!
      bump(reverted, `${p.kind} (rejected: ${r.error.message.slice(0, 60)})`)
    }
    const included = built.block.transactions
    const baseFee = built.block.header.baseFeePerGas
    // the shared pool's inflows and outflows of this block's transactions (GovernancePlay's equation)
    const flows = { poolFees: 0n, flowWithdrawn: withdrawnNfc, bonus: bonusNfc }
    for (let k = 0; k < included.length; k++) {
      const p = planned.find((x) => bytesToHex(x.tx.hash()) === bytesToHex(included[k]!.hash()))!
      const rc = built.receipts[k]!
      counts.txs++
      // blockExecutor: half the tip above the base fee goes to the shared pool
      flows.poolFees += (rc.gasUsed * (rc.effectiveGasPrice - baseFee)) / 2n
      const outcome = {
        p,
        ok: rc.status === 1,
        fee: rc.gasUsed * rc.effectiveGasPrice,
        logs: rc.logs.map((l) => ({ address: bytesToHex(l.address), topics: l.topics.map((x) => bytesToHex(x)), data: bytesToHex(l.data) })),
      }
      gov.onOutcome(outcome, number, fail)
      channels.onOutcome(outcome, number, fail)
      if (rc.status !== 1) {
        // all the gas gone: an internal error (or out of gas), not a plain revert
        const allGas = rc.gasUsed === p.tx.gasLimit
        bump(reverted, allGas ? `${p.kind} (ALL GAS)` : p.kind)
        if (allGas || p.mustSucceed || (reasons.get(p.kind)?.size ?? 0) < 3) {
          const reason = await noteReason(p, parent, timestamp, allGas)
          if (p.mustSucceed) fail(number, `${p.kind} of ${p.from.name} was refused: ${reason}`)
        }
        if (p.kind === 'submitCheckpoint') fail(number, 'the checkpoint was refused')
        continue
      }
      if (p.mustRevert) fail(number, `${p.kind} of ${p.from.name} succeeded; it must be refused`)
      bump(ok, p.kind)
      p.onOk?.()
      if (p.kind === 'submitCheckpoint') {
        for (const e of cpEntries) {
          e.s.settledSeq = e.seq
          e.s.settledTotal = e.total
        }
        counts.checkpointsSubmitted++
        submitted.push(cycle - 1n)
      }
      for (const log of rc.logs) {
        const addr = bytesToHex(log.address)
        const topics = log.topics.map((x) => bytesToHex(x))
        const data = bytesToHex(log.data)
        if (addr === SYSTEM_CONTRACTS.nb) {
          const ev = nbIface.parseLog({ topics, data })
          if (ev?.name === 'Converted') {
            convertedBurned += ev.args.burned as bigint
            convertedToFoundation += ev.args.toFoundation as bigint
            nbMinted += ev.args.nbOut as bigint
            conversions.push({ value: p.tx.value, nbOut: ev.args.nbOut as bigint })
          } else if (ev?.name === 'Escrowed') {
            const [c, pv] = [(ev.args.consumer as string).toLowerCase(), (ev.args.provider as string).toLowerCase()]
            escrowPairs.set(`${c}/${pv}`, [c, pv])
            escrowedIn += ev.args.amount as bigint
          } else if (ev?.name === 'EscrowReleased') {
            escrowedOut += ev.args.amount as bigint
          }
        } else if (addr === SYSTEM_CONTRACTS.names) {
          const ev = namesIface.parseLog({ topics, data })
          if (ev?.name === 'Registered') namesLocked += ev.args.lock as bigint
          else if (ev?.name === 'Renewed') namesLocked += p.tx.value
          else if (ev?.name === 'LockReturned') namesReturned += ev.args.amount as bigint
        } else if (addr === SYSTEM_CONTRACTS.flowRewards) {
          const ev = flowIface.parseLog({ topics, data })
          if (ev?.name === 'Withdrawn') {
            withdrawnNfc += ev.args.amount as bigint
            bonusNfc += ev.args.bonus as bigint
          }
        }
      }
    }
    // receipts of this block's traffic (the side-chain's work between main-chain blocks)
    if (chance(0.6)) for (let r = 1 + int(2); r > 0; r--) traffic(cycle, number)

    const t3 = Date.now()
    // the node's live state is at the head between blocks (its caches make the reads cheap); the
    // periodic walk below reads a fresh view of the committed trie at the head's state root
    view = chain.state.live
    flows.flowWithdrawn = withdrawnNfc - flows.flowWithdrawn
    flows.bonus = bonusNfc - flows.bonus
    await check(view, number)
    await gov.afterBlock(view, number, timestamp, parent.timestamp, flows, voters, fail)
    // governance changes the NB price only at a block's start: its conversions all used the price after it
    if (conversions.length > 0) {
      const price = await new NbStore(view).price(flow)
      for (const c of conversions)
        if (c.nbOut !== (c.value * price) / NFC) fail(number, `${formatNfc(c.value)} converted to ${c.nbOut} NB wei at the price in force ${price}`)
      if (price !== flow.nfcPriceNb) governedConversions += conversions.length
      conversions = []
    }
    timing.check += Date.now() - t3
    const fsv = new FlowStore(view)
    const mintedNow = (await fsv.totals()).minted
    if (mintedNow > mintedBefore) counts.rewardBlocks++
    mintedBefore = mintedNow
    while (appliedUpTo < submitted.length && (await fsv.getCheckpoint(submitted[appliedUpTo]!)).status === CpStatus.Applied) {
      appliedUpTo++
      counts.checkpointsApplied++
    }
    if (i % WALK_EVERY === 0 || i === BLOCKS) {
      const committed = await chain.stateAt(chain.head.header)
      await check(committed, number, true)
      const w = await walk(committed, number)
      const s = await supplyOf(view, flow)
      t.comment(
        `block ${number} (${((Date.now() - started) / 1000).toFixed(0)} s): ${counts.txs} txs, ${counts.receipts} receipts, ` +
          `${counts.checkpointsApplied}/${counts.checkpointsSubmitted} checkpoints applied, minted ${formatNfc(PF - s.pools.trafficMining)}, ` +
          `burned ${formatNfc(s.burned)}, foundation +${formatNfc(convertedToFoundation)}, ${w.accounts} accounts (${tracked.size} tracked): Σ = ${formatNfc(TOTAL_SUPPLY)}`,
      )
    }
  }

  t.strictSame(failures, [], 'every NFC accounted for after every block')
  if (failures.length > 0) return
  t.equal(counts.blocks, BLOCKS, `${BLOCKS} blocks produced`)

  // the run exercised every path (a run that silently does nothing is a defect)
  const s = await supplyOf(view, flow)
  const nb = new NbStore(view)
  const fsv = new FlowStore(view)
  const stats = await fsv.totals()
  const g = (k: string) => ok.get(k) ?? 0
  t.ok(
    counts.checkpointsApplied > 0 && stats.minted > 0n && counts.rewardBlocks > 0,
    `traffic rewards applied: ${counts.checkpointsApplied} checkpoints, ${counts.rewardBlocks} blocks minted ${formatNfc(stats.minted)}`,
  )
  t.ok(stats.cumulativeBytes > 0n, `valued bytes ${stats.cumulativeBytes}`)
  t.ok(nbMinted > (await nb.totalSupply()), `NB fuel burned: ${formatNfc(nbMinted - (await nb.totalSupply())).replace('NFC', 'NB')}`)
  t.ok(s.burned > 0n && s.burned === flow.nbBurnCap, `NFC burned up to the cap: ${formatNfc(s.burned)}`)
  t.ok(convertedToFoundation > 0n, `foundation received ${formatNfc(convertedToFoundation)} past the burn cap`)
  t.ok(g('withdraw') > 0 && withdrawnNfc > 0n, `withdrawals: ${g('withdraw')} (${formatNfc(withdrawnNfc)}, bonus ${formatNfc(bonusNfc)})`)
  t.ok(bonusNfc > 0n, 'coin-time bonus paid from the shared pool')
  t.ok(
    g('vote') > 0 && g('unvote') > 0 && g('withdrawUnbonded') > 0,
    `votes ${g('vote')}, unvotes ${g('unvote')}, unbonded withdrawals ${g('withdrawUnbonded')}`,
  )
  t.ok(
    g('convert') > 0 && refusedExpected > 0 && (reverted.get('convert') ?? 0) >= refusedExpected,
    `conversions ${g('convert')}, refused ${reverted.get('convert') ?? 0} (${refusedExpected} at or below the minimum)`,
  )
  t.ok(g('nbTransfer') > 0, `NB transfers ${g('nbTransfer')}`)
  const escrowsLeft = await escrowTotal(nb)
  t.ok(
    g('escrow') > 0 && g('requestRelease') > 0 && g('withdrawEscrow') > 0,
    `NB escrows ${g('escrow')} (${escrowPairs.size} pairs), release requests ${g('requestRelease')}, escrow withdrawals ${g('withdrawEscrow')}`,
  )
  t.ok(escrowedIn - escrowedOut > escrowsLeft, `fuel burned from escrows: ${formatNfc(escrowedIn - escrowedOut - escrowsLeft).replace('NFC', 'NB')}`)
  t.ok(g('pledge') > 0 && g('exit') > 0 && g('withdrawPledge') > 0, `pledges ${g('pledge')}, exits ${g('exit')}, pledge withdrawals ${g('withdrawPledge')}`)
  t.ok(g('claimVested') > 0, `team vesting claims ${g('claimVested')}`)
  t.ok(
    g('nameRegister') > 0 && g('nameRenew') > 0 && g('nameTransfer') > 0 && g('nameRelease') > 0 && namesPaidBack > 0,
    `names: registered ${g('nameRegister')} (${namesPaidBack} expired ones, paying the old lock back), renewed ${g('nameRenew')}, ` +
      `transferred ${g('nameTransfer')}, released ${g('nameRelease')}; ${formatNfc(s.locked.names)} locked at the end`,
  )
  const ds = new DealsStore(view)
  const ended = { completed: 0, slashed: 0 }
  for (let id = 1n; id <= (await ds.count()); id++) {
    const st = (await ds.getDeal(id))!.status
    if (st === DealStatus.Completed) ended.completed++
    if (st === DealStatus.Slashed) ended.slashed++
  }
  t.ok(
    g('dealOffer') > 0 && g('dealPost') > 0 && g('dealAccept') > 0 && g('dealCancel') > 0 && g('dealProve') > 0 && ended.completed > 0 && ended.slashed > 0,
    `storage deals: offers ${g('dealOffer')}, posted ${g('dealPost')}, accepted ${g('dealAccept')}, cancelled ${g('dealCancel')}, ` +
      `proofs ${g('dealProve')} (${dealsLeftUnproved} left out), completed ${ended.completed}, slashed ${ended.slashed}; ` +
      `${formatNfc(s.locked.storageDeals)} collateral held at the end`,
  )
  gov.summary(t)
  t.ok(governedConversions > 0, `conversions at a governed NB price: ${governedConversions}`)
  channels.summary(t)
  t.ok(counts.selfDealingReceipts > 0, `self-dealing receipts ${counts.selfDealingReceipts}`)
  t.ok(counts.fresh > 0, `fresh accounts ${counts.fresh}`)

  const secs = (Date.now() - started) / 1000
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
  t.comment(`summary: ${BLOCKS} blocks in ${secs.toFixed(0)} s (${((secs * 1000) / BLOCKS).toFixed(1)} ms/block), seed ${SEED}`)
  t.comment(`  transactions ${counts.txs} (left out by the producer: ${counts.rejected}); ok: ${fmt(ok)}`)
  t.comment(`  reverted: ${fmt(reverted)}`)
  for (const [k, v] of [...reasons.entries()].sort()) t.comment(`    ${k}: ${[...v].join(' | ')}`)
  t.comment(
    `  time: planning and signing ${(timing.plan / 1000).toFixed(0)} s, produceBlock ${(timing.produce / 1000).toFixed(0)} s, checks ${(timing.check / 1000).toFixed(0)} s`,
  )
  t.comment(
    `  traffic: ${counts.receipts} signed receipts (${counts.selfDealingReceipts} self-dealing), ${sessionCount} sessions, ` +
      `${counts.checkpointsSubmitted} checkpoints submitted (${counts.checkpointsSkipped} cycles left out), ${counts.checkpointsApplied} applied, ` +
      `${stats.cumulativeBytes} valued bytes, minted ${formatNfc(stats.minted)} in ${counts.rewardBlocks} blocks`,
  )
  t.comment(
    `  supply: burned ${formatNfc(s.burned)}, foundation +${formatNfc(convertedToFoundation)}, locked in FlowRewards ${formatNfc(s.locked.flowRewards)}, ` +
      `withdrawn ${formatNfc(withdrawnNfc)} + bonus ${formatNfc(bonusNfc)}, shared pool ${formatNfc(s.pools.shared)}, pledges ${formatNfc(s.locked.pledges)}, ` +
      `staking ${formatNfc(s.locked.staking)}, team pool ${formatNfc(s.pools.teamVesting)}, issued ${formatNfc(s.issued)}, circulating ${formatNfc(s.circulating)}`,
  )
})
