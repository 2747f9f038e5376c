/**
 * The governance actors of the supply run (test/helpers/supplyRun.ts): four big stakers that vote
 * in Staking, unvote and withdraw, propose grants from the shared pool and parameter changes
 * (fuelPricePerGb, nfcPriceNb, flowCapFactorBps) in Governance 0x…1006, and vote on them; plus
 * three grantees that only ever receive grants. Refused calls are planned on purpose and must
 * revert: grants above the pool, of 0 or to the zero address, values outside the genesis bounds,
 * an unknown parameter, double votes, votes after the vote ended or on no proposal, a
 * withdrawUnbonded of stake still locked by a vote.
 *
 * Checked after every block (`afterBlock`), from a model fed only by the planned calls and their
 * logs:
 *  - each staker's NFC balance = genesis − Σ fees − Σ NFC voted + Σ Staking.Withdrawn +
 *    Σ RewardsClaimed (so a refused call cost its sender the fee and nothing else);
 *  - a withdrawUnbonded pays exactly the entries whose max(release time, vote lock) has passed
 *    (consensus/gov/engine.ts releaseAfterVotes), and is refused when there are none;
 *  - each grantee holds exactly the grants executed to it;
 *  - the shared pool changed by exactly ⌊R/10⌋ of the block reward R + the fee shares + the
 *    traffic shares (Pf's loss not credited to FlowRewards locks) − the coin-time bonuses paid −
 *    the grants executed in the block; the traffic term is 0 in a block that minted nothing;
 *  - every proposal's yes/no equal the model's tallies of Voted; one settles only at a flow-cycle
 *    boundary at or after its vote end + timelock, never later than the first such boundary, as
 *    Executed when it passes (quorum and majority of the model's tallies) — a grant only if the
 *    pool holds it at the block's start after the earlier grants, Failed otherwise — and Rejected
 *    otherwise; after a parameter change the config in force (governedConfig) has the value, and
 *    for nfcPriceNb NB's live price too;
 *  - Governance holds no NFC (supplyOf's locked.other, checked by the run), and Staking holds at
 *    least Σ votes + Σ unbonding of every voter.
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, hexToBytes } from '@ethereumjs/util'
import { Interface } from 'ethers'
import fs from 'node:fs'
import path from 'node:path'
import { NFC, POOLS, SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { flowOf, type DposConfig } from '../../../src/consensus/dpos/engine.js'
import { SHARED_POOL_BPS } from '../../../src/consensus/dpos/rewards.js'
import { DposStore, MAX_UNBONDING_ENTRIES } from '../../../src/consensus/dpos/store.js'
import { executableAtMs, isCycleBoundary, MAX_SETTLE_PER_BLOCK, passes, releaseAfterVotes, stakeOf, totalStake } from '../../../src/consensus/gov/engine.js'
import { governedConfig, governedParam } from '../../../src/consensus/gov/params.js'
import { GovStore, ProposalKind, ProposalStatus } from '../../../src/consensus/gov/store.js'
import { NbStore } from '../../../src/consensus/povf/nbStore.js'
import { formatNfc } from '../../../src/chain/genesis.js'
import { repoRoot } from '../inProcessNode.js'
import { actorOf, generatedKey, type Actor } from '../supplyChain.js'
import type { Draws, Fail, Outcome, Planned, TxFn } from './play.js'

const abi = (name: string) => new Interface(JSON.parse(fs.readFileSync(path.join(repoRoot, 'src', 'execution', 'system', 'abi', `${name}.json`), 'utf8')))
const govIface = abi('IGovernance')
const stakingIface = abi('IStaking')
const at = (a: string): Address => new Address(hexToBytes(a as `0x${string}`))
const GOV_AT = at(SYSTEM_CONTRACTS.governance)
const STAKING_AT = at(SYSTEM_CONTRACTS.staking)
const ZERO = '0x0000000000000000000000000000000000000000'
/** the parameters proposals change (each read by later conversions, fuel burns or reward caps) */
const PARAMS = ['fuelPricePerGb', 'nfcPriceNb', 'flowCapFactorBps'] as const

interface ProposalModel {
  id: bigint
  kind: number
  param: string
  to: string
  value: bigint
  endsMs: bigint
  /** the quorum's base, read from the state once the proposal exists */
  stake: bigint
  yes: bigint
  no: bigint
  voters: Set<string>
}

/** Balances the shared-pool equation reads, at the end of the previous block. */
interface PoolSnapshot {
  shared: bigint
  blockMining: bigint
  trafficMining: bigint
  flowRewards: bigint
}

export class GovernancePlay {
  readonly stakers: Actor[]
  readonly grantees: Actor[]
  /** the stakers' expected NFC balances */
  private readonly expected = new Map<string, bigint>()
  /** Σ grants executed to each grantee */
  private readonly granted = new Map<string, bigint>()
  private readonly proposals = new Map<bigint, ProposalModel>()
  /** ids not yet seen settled, in id order */
  private pending: bigint[] = []
  /** proposals made in this block (their stake is read after it) */
  private made: bigint[] = []
  private readonly expectedWeight = new Map<Planned, bigint>()
  private readonly expectedWithdrawal = new Map<Planned, bigint>()
  private readonly paramInForce = new Map<string, bigint>()
  private prev: PoolSnapshot | undefined
  readonly counts = {
    grantsProposed: 0,
    paramsProposed: 0,
    votes: 0,
    executedGrants: 0,
    grantedWei: 0n,
    failedGrants: 0,
    executedParams: 0,
    rejectedQuorum: 0,
    rejectedMajority: 0,
    timelockWaits: 0,
    lockedWithdrawalsRefused: 0,
    withdrawalsAfterVotes: 0,
    refused: new Map<string, number>(),
  }

  /** the chain's genesis config (set once the chain is open: useConfig) */
  private cfg: DposConfig | undefined

  constructor(
    private readonly d: Draws,
    rand: () => number,
    private readonly witness: Actor,
  ) {
    this.stakers = Array.from({ length: 4 }, (_, i) => actorOf(`staker${i}`, 'staker', generatedKey(rand)))
    this.grantees = Array.from({ length: 3 }, (_, i) => actorOf(`grantee${i}`, 'grantee', generatedKey(rand)))
  }

  useConfig(cfg: DposConfig): void {
    this.cfg = cfg
  }

  private get config(): DposConfig {
    if (this.cfg === undefined) throw new Error('GovernancePlay: useConfig first')
    return this.cfg
  }

  /** the genesis allocations of the stakers (the grantees start empty) */
  funding(): { addr: string; balance: bigint }[] {
    return this.stakers.map((s) => ({ addr: s.addr, balance: 300_000n * NFC }))
  }

  /** the addresses the run must track (their NFC is part of the supply) */
  addresses(): string[] {
    return [...this.stakers, ...this.grantees].map((a) => a.addr)
  }

  private refused(p: Planned, why: string): void {
    p.mustRevert = true
    p.kind = `${p.kind} (${why})`
  }

  /** This block's Staking and Governance calls of free stakers (one call per sender per block). */
  async plan(view: MerkleStateManager, blockTime: bigint, busy: Set<string>, tx: TxFn): Promise<void> {
    if (this.expected.size === 0) for (const f of this.funding()) this.expected.set(f.addr, f.balance)
    const { int, pick, chance, nfc } = this.d
    const store = new DposStore(view)
    const gs = new GovStore(view)
    const free = () => this.stakers.filter((s) => !busy.has(s.addr))
    const bal = async (a: Actor) => (await view.getAccount(a.address))?.balance ?? 0n

    if (chance(0.12)) {
      const s = pick(free())
      if (s !== undefined) {
        const pos = await store.getPosition(s.addr, this.witness.addr)
        const unb = await store.getUnbonding(s.addr)
        const r = int(3)
        if (r === 0 || (pos.votes === 0n && unb.length === 0)) {
          const amount = nfc(10_000, 90_000)
          if ((await bal(s)) > amount + 10n * NFC) {
            const p = await tx('govStake', s, STAKING_AT, stakingIface.encodeFunctionData('vote', [this.witness.addr, amount]), amount)
            p.mustSucceed = true
          }
        } else if (r === 1 && pos.votes > 0n && unb.length < MAX_UNBONDING_ENTRIES) {
          const amount = (pos.votes * BigInt(1 + int(1000))) / 1000n
          const p = await tx('govUnstake', s, STAKING_AT, stakingIface.encodeFunctionData('unvote', [this.witness.addr, amount]))
          p.mustSucceed = true
        } else if (unb.length > 0) {
          // what withdrawUnbonded pays: the entries past their release time and past the vote lock
          const lock = await gs.voteLockUntil(s.addr)
          let amount = 0n
          for (const e of unb) if (releaseAfterVotes(e.releaseTime, lock) <= blockTime) amount += e.amount
          const p = await tx('govWithdrawUnbonded', s, STAKING_AT, stakingIface.encodeFunctionData('withdrawUnbonded', []))
          if (amount === 0n) {
            const lockedByVote = unb.some((e) => e.releaseTime <= blockTime)
            if (lockedByVote) this.counts.lockedWithdrawalsRefused++
            this.refused(p, lockedByVote ? 'locked by a vote' : 'not released')
          } else {
            p.mustSucceed = true
            this.expectedWithdrawal.set(p, amount)
            if (unb.some((e) => e.releaseTime <= blockTime && e.releaseTime < lock)) this.counts.withdrawalsAfterVotes++
          }
        }
      }
    }

    if (!chance(0.2)) return
    const s = pick(free())
    if (s === undefined || (await bal(s)) < NFC) return
    const stake = await stakeOf(store, s.addr)
    const flow = flowOf(this.config)
    const r = int(100)
    let p: Planned
    if (r < 20) {
      const pool = (await view.getAccount(at(POOLS.shared)))?.balance ?? 0n
      const q = int(12)
      const to = q === 0 ? ZERO : pick(this.grantees).addr
      // q 3: nearly the whole pool, so two of them passing together leave the second unpaid (Failed)
      const share = q === 3 ? 850 + int(150) : 1 + int(60)
      const amount = q === 1 ? 0n : q === 2 ? pool + nfc(1, 2) : (pool * BigInt(share)) / 1000n
      p = await tx('govProposeGrant', s, GOV_AT, govIface.encodeFunctionData('proposeGrant', [to, amount]))
      if (q === 0) this.refused(p, 'to the zero address')
      else if (amount === 0n) this.refused(p, q === 1 ? 'of 0' : 'of 0: empty pool')
      else if (q === 2) this.refused(p, 'above the pool')
      else if (stake === 0n) this.refused(p, 'not a staker')
      else p.mustSucceed = true
      this.counts.grantsProposed++
    } else if (r < 35) {
      const name = pick(PARAMS)
      const gp = governedParam(name)!
      const g = gp.read(this.config)
      const f = flow.gov.rangeFactor
      const q = int(10)
      const value = q === 0 ? g * f + 1n + BigInt(int(1000)) : q === 1 ? g / f - 1n : (g * BigInt(2 + int(18))) / 10n
      const asked = q === 2 ? 'maxFlowThing' : name
      p = await tx('govProposeParam', s, GOV_AT, govIface.encodeFunctionData('proposeParam', [asked, value]))
      if (q === 0 || q === 1) this.refused(p, 'out of bounds')
      else if (q === 2) this.refused(p, 'unknown parameter')
      else if (stake === 0n) this.refused(p, 'not a staker')
      else p.mustSucceed = true
      this.counts.paramsProposed++
    } else {
      const open = [...this.proposals.values()].filter((m) => m.endsMs > blockTime)
      const q = int(10)
      if (q === 0) {
        const ended = [...this.proposals.values()].filter((m) => m.endsMs <= blockTime)
        const id = ended.length > 0 && chance(0.7) ? pick(ended).id : (await gs.count()) + 3n
        p = await tx('govVote', s, GOV_AT, govIface.encodeFunctionData('vote', [id, true]))
        this.refused(p, ended.length > 0 && this.proposals.has(id) ? 'vote ended' : 'no such proposal')
      } else {
        // vote on an open proposal (on one already voted on: refused as a double vote)
        const m = open.find((x) => x.voters.has(s.addr) && q === 1) ?? pick(open)
        if (m === undefined) return
        p = await tx('govVote', s, GOV_AT, govIface.encodeFunctionData('vote', [m.id, chance(0.65)]))
        if (m.voters.has(s.addr)) this.refused(p, 'double vote')
        else if (stake === 0n) this.refused(p, 'not a staker')
        else {
          p.mustSucceed = true
          this.expectedWeight.set(p, stake)
        }
      }
    }
  }

  /** An included transaction (any sender): the model follows the stakers' balances and Governance's logs. */
  onOutcome(o: Outcome, number: bigint, fail: Fail): void {
    const sender = o.p.from.addr
    const isStaker = this.expected.has(sender)
    if (isStaker) this.expected.set(sender, this.expected.get(sender)! - o.fee - (o.ok ? o.p.tx.value : 0n))
    if (o.p.mustRevert && !o.ok && o.p.kind.startsWith('gov')) bump(this.counts.refused, o.p.kind)
    if (!o.ok) return
    let withdrawn: bigint | undefined
    for (const log of o.logs) {
      if (log.address === SYSTEM_CONTRACTS.governance) {
        const ev = govIface.parseLog(log)
        if (ev?.name === 'Proposed') {
          const id = ev.args.id as bigint
          const kind = Number(ev.args.kind)
          this.proposals.set(id, {
            id,
            kind,
            param: ev.args.param as string,
            to: (ev.args.to as string).toLowerCase(),
            value: ev.args.value as bigint,
            endsMs: ev.args.endsMs as bigint,
            stake: 0n,
            yes: 0n,
            no: 0n,
            voters: new Set(),
          })
          this.pending.push(id)
          this.made.push(id)
        } else if (ev?.name === 'Voted') {
          const m = this.proposals.get(ev.args.id as bigint)
          const weight = ev.args.weight as bigint
          if (m === undefined) fail(number, `a vote on proposal ${ev.args.id} the run never saw made`)
          else {
            if (ev.args.support as boolean) m.yes += weight
            else m.no += weight
            m.voters.add((ev.args.voter as string).toLowerCase())
          }
          const w = this.expectedWeight.get(o.p)
          if (w !== undefined && w !== weight) fail(number, `${o.p.from.name} voted with weight ${weight}, its stake is ${w}`)
          this.counts.votes++
        }
      } else if (log.address === SYSTEM_CONTRACTS.staking && isStaker) {
        const ev = stakingIface.parseLog(log)
        if (ev?.name === 'Withdrawn' && (ev.args.voter as string).toLowerCase() === sender) {
          withdrawn = ev.args.amount as bigint
          this.expected.set(sender, this.expected.get(sender)! + withdrawn)
        } else if (ev?.name === 'RewardsClaimed' && (ev.args.account as string).toLowerCase() === sender)
          this.expected.set(sender, this.expected.get(sender)! + (ev.args.amount as bigint))
      }
    }
    const want = this.expectedWithdrawal.get(o.p)
    if (want !== undefined && withdrawn !== want)
      fail(number, `${o.p.from.name} withdrew ${withdrawn ?? 'nothing'} of its unbonding, the entries past release and vote lock hold ${want}`)
  }

  /**
   * The checks of the file header, after block `number` at `blockTime` (parent at `parentTime`).
   * `flows`: this block's fee shares to the pool, FlowRewards withdrawals and bonuses (from its logs).
   */
  async afterBlock(
    view: MerkleStateManager,
    number: bigint,
    blockTime: bigint,
    parentTime: bigint,
    flows: { poolFees: bigint; flowWithdrawn: bigint; bonus: bigint },
    voters: readonly string[],
    fail: Fail,
  ): Promise<void> {
    this.expectedWeight.clear()
    this.expectedWithdrawal.clear()
    const bal = async (a: string) => (await view.getAccount(at(a)))?.balance ?? 0n
    for (const [a, want] of this.expected) {
      const got = await bal(a)
      if (got !== want) fail(number, `staker ${a} holds ${got}, the model ${want} (off by ${got - want} wei)`)
    }

    // proposals: tallies, settlement, outcome
    const gs = new GovStore(view)
    const gov = flowOf(this.config).gov
    const boundary = isCycleBoundary({ timestamp: blockTime, parentTimestamp: parentTime }, this.config)
    for (const id of this.made) this.proposals.get(id)!.stake = (await gs.getProposal(id)).stake
    this.made = []
    let grants = 0n
    let settledNow = 0n
    // what the pool holds when the proposals are settled: the block's start (DPoS beginBlock has
    // added the reward share; grants run in id order, each taking from what the previous left)
    const blockMining = await bal(POOLS.blockMining)
    let poolAtSettlement = this.prev === undefined ? -1n : this.prev.shared + ((this.prev.blockMining - blockMining) * SHARED_POOL_BPS) / 10_000n
    const still: bigint[] = []
    for (const id of this.pending) {
      const m = this.proposals.get(id)!
      const rec = await gs.getProposal(id)
      if (rec.yes !== m.yes || rec.no !== m.no) fail(number, `proposal ${id}: yes ${rec.yes} no ${rec.no}, the Voted logs say ${m.yes} / ${m.no}`)
      const pass = passes(m, gov)
      const due = executableAtMs(m, gov)
      if (rec.status === ProposalStatus.Open) {
        if (boundary && blockTime >= due && settledNow < MAX_SETTLE_PER_BLOCK) fail(number, `proposal ${id} was due at ${due} ms and is still open`)
        if (pass && blockTime >= m.endsMs && blockTime < due) this.counts.timelockWaits++
        still.push(id)
        continue
      }
      settledNow++
      if (rec.settledBlock !== number) fail(number, `proposal ${id} was settled in block ${rec.settledBlock}, seen settled first after block ${number}`)
      if (!boundary) fail(number, `proposal ${id} settled off a flow-cycle boundary`)
      if (blockTime < due) fail(number, `proposal ${id} settled at ${blockTime} ms, before its timelock ended at ${due} ms`)
      // a passing grant is paid when the pool holds it then, and fails (pays nothing) otherwise
      const payable = poolAtSettlement >= m.value
      const wanted: number[] = !pass
        ? [ProposalStatus.Rejected]
        : m.kind === ProposalKind.Grant
          ? poolAtSettlement < 0n
            ? [ProposalStatus.Executed, ProposalStatus.Failed]
            : [payable ? ProposalStatus.Executed : ProposalStatus.Failed]
          : [ProposalStatus.Executed]
      if (pass && m.kind === ProposalKind.Grant && payable) poolAtSettlement -= m.value
      if (!wanted.includes(rec.status)) fail(number, `proposal ${id} settled as ${rec.status}, passing ${pass} (yes ${m.yes}, no ${m.no}, stake ${m.stake})`)
      if (rec.status === ProposalStatus.Rejected) {
        if ((m.yes + m.no) * 10_000n < gov.quorumBps * m.stake) this.counts.rejectedQuorum++
        else this.counts.rejectedMajority++
      } else if (rec.status === ProposalStatus.Failed) this.counts.failedGrants++
      else if (m.kind === ProposalKind.Grant) {
        grants += m.value
        this.granted.set(m.to, (this.granted.get(m.to) ?? 0n) + m.value)
        this.counts.executedGrants++
        this.counts.grantedWei += m.value
      } else {
        this.paramInForce.set(m.param, m.value)
        this.counts.executedParams++
      }
    }
    this.pending = still
    if (settledNow > 0n) {
      const inForceConfig = await governedConfig(view, this.config)
      const inForce = flowOf(inForceConfig)
      for (const [name, value] of this.paramInForce) {
        const got = governedParam(name)!.read(inForceConfig)
        if (got !== value) fail(number, `${name} in force is ${got}, the last executed proposal set ${value}`)
      }
      const price = this.paramInForce.get('nfcPriceNb')
      if (price !== undefined && (await new NbStore(view).price(inForce)) !== price) fail(number, `NB's live price is not the governed ${price}`)
    }
    for (const g of this.grantees) {
      const got = await bal(g.addr)
      const want = this.granted.get(g.addr) ?? 0n
      if (got !== want) fail(number, `grantee ${g.name} holds ${formatNfc(got)}, the grants executed to it ${formatNfc(want)}`)
    }

    // the shared pool: in by rewards, fees, traffic; out by bonuses and grants
    const now: PoolSnapshot = {
      shared: await bal(POOLS.shared),
      blockMining: await bal(POOLS.blockMining),
      trafficMining: await bal(POOLS.trafficMining),
      flowRewards: await bal(SYSTEM_CONTRACTS.flowRewards),
    }
    if (this.prev !== undefined) {
      const reward = this.prev.blockMining - now.blockMining
      const minted = this.prev.trafficMining - now.trafficMining
      const traffic = minted - (now.flowRewards - this.prev.flowRewards) - flows.flowWithdrawn
      if (traffic < 0n || (minted === 0n && traffic !== 0n)) fail(number, `the shared pool's traffic share is ${traffic} with ${minted} minted`)
      const want = this.prev.shared + (reward * SHARED_POOL_BPS) / 10_000n + flows.poolFees + traffic - flows.bonus - grants
      if (now.shared !== want)
        fail(
          number,
          `shared pool ${now.shared} ≠ ${this.prev.shared} + reward share + fees ${flows.poolFees} + traffic ${traffic} − bonus ${flows.bonus} − grants ${grants} (off by ${now.shared - want} wei)`,
        )
    }
    this.prev = now

    // Staking holds the stake and the unbonding entries (plus rewards not yet claimed); every
    // 10 blocks (it reads every voter's entries)
    if (number % 10n !== 0n) return
    const store = new DposStore(view)
    let held = await totalStake(store)
    for (const a of voters) for (const e of await store.getUnbonding(a)) held += e.amount
    const staking = await bal(SYSTEM_CONTRACTS.staking)
    if (staking < held) fail(number, `Staking holds ${staking}, less than Σ votes + Σ unbonding ${held}`)
  }

  /** the final assertions: every path was taken */
  summary(t: { ok(cond: unknown, name: string): void; comment(msg: string): void }): void {
    const c = this.counts
    const refused = (k: string) => [...c.refused.entries()].filter(([x]) => x.includes(k)).reduce((s, [, n]) => s + n, 0)
    t.ok(
      c.executedGrants > 0 && c.grantedWei > 0n,
      `governance grants: ${c.grantsProposed} proposed, ${c.executedGrants} executed (${formatNfc(c.grantedWei)} from the shared pool), ${c.failedGrants} failed`,
    )
    t.ok(c.executedParams > 0, `governance parameter changes: ${c.paramsProposed} proposed, ${c.executedParams} executed`)
    t.ok(c.rejectedQuorum > 0 && c.rejectedMajority > 0, `proposals rejected: ${c.rejectedQuorum} below quorum, ${c.rejectedMajority} without a majority`)
    t.ok(c.timelockWaits > 0, `passing proposals seen waiting for their timelock: ${c.timelockWaits} block·proposals`)
    t.ok(
      refused('double vote') > 0 &&
        refused('out of bounds') > 0 &&
        refused('unknown parameter') > 0 &&
        refused('above the pool') > 0 &&
        refused('vote ended') > 0,
      `refused governance calls: ${[...c.refused.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    )
    t.ok(
      c.lockedWithdrawalsRefused > 0 && c.withdrawalsAfterVotes > 0,
      `vote locks: ${c.lockedWithdrawalsRefused} withdrawals of released stake refused while a vote ran, ${c.withdrawalsAfterVotes} paid after it`,
    )
    t.comment(`  governance: ${c.votes} votes; params in force ${[...this.paramInForce.entries()].map(([k, v]) => `${k}=${v}`).join(', ')}`)
  }
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1)
}
