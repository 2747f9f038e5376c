/**
 * The flow engine on a real MerkleStateManager: committee draw, seed recording, and the
 * application of matured checkpoints (valuing, fuel, cap, split, locks). Checkpoints are written
 * straight into the flow store here (the FlowRewards contract test submits real ones).
 */
import t from 'tap'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, bytesToHex } from '@ethereumjs/util'
import type { BlockInfo, DposConfig } from '../../../../src/consensus/dpos/engine.js'
import { shuffle } from '../../../../src/consensus/dpos/shuffle.js'
import { addressOfHex, DposStore, NODE_REGISTRY, Role, SHARED_POOL, STAKING, type Addr } from '../../../../src/consensus/dpos/store.js'
import { trafficIssuance } from '../../../../src/consensus/povf/curve.js'
import {
  creditLock,
  EMPTY_SAMPLE_ROOT,
  flowBeginBlock,
  MAX_REDRAWS,
  quorumOf,
  signDeadlineMs,
  TRAFFIC_POOL_ACCOUNT,
  type FlowBeginResult,
} from '../../../../src/consensus/povf/engine.js'
import { NB, NbStore } from '../../../../src/consensus/povf/nbStore.js'
import { DEFAULT_FLOW_CONFIG } from '../../../../src/consensus/povf/params.js'
import { Challenge, CpStatus, EntryStatus, FLOW_REWARDS, FlowStore, type EntryRecord } from '../../../../src/consensus/povf/store.js'
import { readCheckpoint, readCommittee, readFlowStats, readRewards } from '../../../../src/consensus/povf/views.js'
import { NFC } from '../../../../src/chain/systemAddresses.js'
import { addr, config, GENESIS_TIME, hashOf, RN_PLEDGE } from '../../../helpers/dposHarness.js'

const DAY = 86_400_000n
const CYCLE = 60_000n
const CHALLENGE = 10_000n
const L = 10n ** 9n

const cfg: DposConfig = config({
  flow: { ...DEFAULT_FLOW_CONFIG, cycleMs: CYCLE, challengeMs: CHALLENGE, logThresholdBytes: L, committeeSize: 4, sampleLagBlocks: 2n },
})

async function state(pathNodes = true): Promise<MerkleStateManager> {
  const sm = new MerkleStateManager()
  for (const a of [STAKING, NODE_REGISTRY, NB, FLOW_REWARDS, SHARED_POOL]) await sm.putAccount(a, new Account(1n, 0n))
  await sm.putAccount(TRAFFIC_POOL_ACCOUNT, new Account(1n, 1_344_000_000n * NFC))
  if (!pathNodes) return sm
  // only pledged nodes earn: the providers are edge nodes, the relays central nodes
  const store = new DposStore(sm)
  const flow = cfg.flow!
  for (const [tag, role, pledge] of [
    ['provider', Role.EN, flow.enPledge],
    ['provider2', Role.EN, flow.enPledge],
    ['relay', Role.CN, flow.cnPledge],
    ['relay2', Role.CN, flow.cnPledge],
  ] as const) {
    await store.putNode(addr(tag), { role, pledge })
    await store.nodes.add(addr(tag))
  }
  return sm
}

const info = (number: bigint, timestamp: bigint, parent = `b${number - 1n}`): BlockInfo => ({
  number,
  timestamp,
  producer: addr('producer'),
  parentHash: hashOf(parent),
  parentTimestamp: timestamp - 1_000n,
  confirmations: [],
})

const balance = async (sm: MerkleStateManager, a: Addr | ReturnType<typeof addressOfHex>) =>
  (await sm.getAccount(typeof a === 'string' ? addressOfHex(a) : a))?.balance ?? 0n

const C = addr('consumer')
const P = addr('provider')
const R = addr('relay')

function entry(over: Partial<EntryRecord> = {}): EntryRecord {
  return {
    sessionId: hashOf('session'),
    consumer: C,
    provider: P,
    relays: [R],
    seq: 1n,
    prevTotal: 0n,
    total: 4n * 10n ** 9n,
    prevSeq: 0n,
    sampleRoot: hashOf('root'),
    receiptHash: hashOf('receipt'),
    status: EntryStatus.Live,
    challenge: Challenge.None,
    ...over,
  }
}

/** A pending checkpoint of `cycle` committed at block `at`, window ending at `ends`. */
async function pendingCheckpoint(sm: MerkleStateManager, cycle: bigint, entries: EntryRecord[], at = 5n, ends = GENESIS_TIME + 2n * CYCLE): Promise<void> {
  const fs = new FlowStore(sm)
  for (let i = 0; i < entries.length; i++) {
    await fs.putEntry(cycle, BigInt(i), entries[i]!)
    await fs.putSession(entries[i]!.sessionId, { seq: entries[i]!.seq, total: entries[i]!.total })
  }
  await fs.putCheckpoint(cycle, {
    hash: hashOf(`cp${cycle}`),
    status: CpStatus.Pending,
    committedAt: at,
    challengeEndsMs: ends,
    entryCount: BigInt(entries.length),
  })
  await fs.enqueue(cycle)
}

t.test('committee: eligible RN/CN nodes, shuffled by the parent hash, per cycle', async (t) => {
  const sm = await state(false)
  const store = new DposStore(sm)
  const flow = cfg.flow!
  const nodes: [string, number, bigint, bigint][] = [
    ['rn1', Role.RN, RN_PLEDGE, 0n],
    ['rn2', Role.RN, 2n * RN_PLEDGE, 0n],
    ['rnLow', Role.RN, RN_PLEDGE - 1n, 0n],
    ['cn1', Role.CN, flow.cnPledge, 0n],
    ['cn2', Role.CN, flow.cnPledge, 0n],
    ['cn3', Role.CN, flow.cnPledge + 5n, 0n],
    ['cnLow', Role.CN, flow.cnPledge - 1n, 0n],
    ['cnExited', Role.CN, flow.cnPledge, 123n],
    ['en', Role.EN, flow.cnPledge, 0n],
  ]
  for (const [tag, role, pledge, exitTime] of nodes) {
    await store.putNode(addr(tag), { role, pledge, exitTime })
    await store.nodes.add(addr(tag))
  }
  const eligible = ['rn1', 'rn2', 'cn1', 'cn2', 'cn3'].map(addr).sort()
  const first = await flowBeginBlock(sm, info(1n, GENESIS_TIME + 1_000n), cfg)
  const expected = shuffle(hashOf('b0'), eligible).slice(0, 4)
  t.strictSame(first.committee, expected, 'shuffle(parentHash, sorted eligible).slice(0, size)')
  t.strictSame(await new FlowStore(sm).committee(0n).all(), expected, 'stored in order')
  t.strictSame([1n, 2n, 3n, 4n, 6n, 7n].map(quorumOf), [1n, 2n, 2n, 3n, 4n, 5n], '⌈2n/3⌉: at least 2/3')

  const again = await flowBeginBlock(sm, info(2n, GENESIS_TIME + 2_000n), cfg)
  t.equal(again.committee, null, 'once per cycle')

  const sm2 = await state(false)
  const store2 = new DposStore(sm2)
  for (const [tag, role, pledge, exitTime] of [...nodes].reverse()) {
    await store2.putNode(addr(tag), { role, pledge, exitTime })
    await store2.nodes.add(addr(tag))
  }
  t.strictSame((await flowBeginBlock(sm2, info(1n, GENESIS_TIME + 1_000n), cfg)).committee, expected, 'independent of registration order')

  const later = await flowBeginBlock(sm, info(3n, GENESIS_TIME + 2n * CYCLE + 5n, 'other'), cfg)
  t.equal(later.cycle, 2n)
  t.strictSame(later.committee, shuffle(hashOf('other'), eligible).slice(0, 4))
  t.strictSame(await new FlowStore(sm).committee(1n).all(), [], 'a cycle without blocks has no committee')
})

t.test('redraw (E2): a cycle with no checkpoint by its signing deadline gets the next in draw order, same size, at most MAX_REDRAWS times', async (t) => {
  const sm = await state(false)
  const store = new DposStore(sm)
  const tags = ['rn1', 'rn2', 'cn1', 'cn2', 'cn3']
  for (const tag of tags) {
    await store.putNode(addr(tag), { role: tag.startsWith('rn') ? Role.RN : Role.CN, pledge: tag.startsWith('rn') ? RN_PLEDGE : cfg.flow!.cnPledge })
    await store.nodes.add(addr(tag))
  }
  const order = shuffle(hashOf('b0'), tags.map(addr).sort())
  const fs = new FlowStore(sm)
  const deadline = GENESIS_TIME + CYCLE + cfg.flow!.signDeadlineMs
  t.equal(signDeadlineMs(0n, 0n, cfg), deadline, 'the cycle end + one deadline')
  t.strictSame((await flowBeginBlock(sm, info(1n, GENESIS_TIME + 1_000n), cfg)).committee, order.slice(0, 4))
  const of0 = (r: FlowBeginResult) => r.redrawn.filter((x) => x.cycle === 0n)
  t.strictSame(of0(await flowBeginBlock(sm, info(2n, deadline - 1_000n), cfg)), [], 'not before the deadline')
  t.strictSame(await readCommittee(sm, 0n), order.slice(0, 4))
  const round1 = [order[4]!, order[0]!, order[1]!, order[2]!]
  t.strictSame(of0(await flowBeginBlock(sm, info(3n, deadline), cfg)), [{ cycle: 0n, committee: round1 }], 'the next four, wrapping around')
  t.strictSame(await readCommittee(sm, 0n), round1, 'the current round is what the node and RPC see')
  t.strictSame(await fs.committeeRounds(0n), [order.slice(0, 4), round1])
  t.strictSame(of0(await flowBeginBlock(sm, info(4n, deadline + 1_000n), cfg)), [], 'once per deadline')
  const round2 = [order[3]!, order[4]!, order[0]!, order[1]!]
  t.strictSame(of0(await flowBeginBlock(sm, info(5n, deadline + cfg.flow!.signDeadlineMs), cfg)), [{ cycle: 0n, committee: round2 }])
  await flowBeginBlock(sm, info(6n, deadline + 2n * cfg.flow!.signDeadlineMs), cfg)
  t.equal(await fs.redraws(0n), MAX_REDRAWS)
  t.strictSame(of0(await flowBeginBlock(sm, info(7n, deadline + 3n * cfg.flow!.signDeadlineMs), cfg)), [], `at most ${MAX_REDRAWS} redraws`)

  // a cycle whose checkpoint is on chain is not redrawn; nor one with nobody else to draw
  const sm2 = await state(false)
  const store2 = new DposStore(sm2)
  for (const tag of tags) {
    await store2.putNode(addr(tag), { role: Role.RN, pledge: RN_PLEDGE })
    await store2.nodes.add(addr(tag))
  }
  await flowBeginBlock(sm2, info(1n, GENESIS_TIME + 1_000n), cfg)
  await new FlowStore(sm2).putCheckpoint(0n, { status: CpStatus.Pending })
  t.strictSame(of0(await flowBeginBlock(sm2, info(2n, deadline), cfg)), [], 'checkpointed: stays')
  const sm3 = await state(false)
  const store3 = new DposStore(sm3)
  for (const tag of tags.slice(0, 3)) {
    await store3.putNode(addr(tag), { role: Role.RN, pledge: RN_PLEDGE })
    await store3.nodes.add(addr(tag))
  }
  await flowBeginBlock(sm3, info(1n, GENESIS_TIME + 1_000n), cfg)
  t.strictSame(of0(await flowBeginBlock(sm3, info(2n, deadline), cfg)), [], 'three candidates, committee of four: nobody else')
  t.equal(await new FlowStore(sm3).lapses(0n), 1n, 'the lapse counts: the next try is a deadline later')
  t.equal(await new FlowStore(sm3).redraws(0n), 0n)
})

t.test('application: the hand-computed reward, split and locks', async (t) => {
  const sm = await state()
  const nb = new NbStore(sm)
  await nb.mint(C, NFC) // 1 NB
  await pendingCheckpoint(sm, 0n, [entry()])
  const ends = GENESIS_TIME + 2n * CYCLE

  // seed: recorded at block committedAt + k + 1 = 5 + 2 + 1 = 8 as that block's parent hash
  const r7 = await flowBeginBlock(sm, info(7n, ends - 3_000n), cfg)
  t.strictSame(r7.seeded, [])
  const r8 = await flowBeginBlock(sm, info(8n, ends - 2_000n), cfg)
  t.strictSame(r8.seeded, [0n])
  t.equal(bytesToHex((await new FlowStore(sm).getCheckpoint(0n)).seedHash), bytesToHex(hashOf('b7')), 'hash of block committedAt + k')
  t.strictSame(r8.applied, [], 'still inside the window')

  const r = await flowBeginBlock(sm, info(9n, ends), cfg)
  t.equal(r.applied.length, 1, 'applied at the first block with time ≥ challengeEndsMs')
  const pair = r.applied[0]!.pairs[0]!
  // counted b = 4·10^9 bytes > L = 10^9: value = L + ⌊L·ln(b/L)⌋ = 10^9 + ⌊10^9 · ln 4⌋
  //   = 10^9 + ⌊1,386,294,361.1199⌋ = 2,386,294,361
  t.equal(pair.counted, 4_000_000_000n)
  t.equal(pair.value, 2_386_294_361n)
  // I(1) = ⌊Pf·(1 − 2^(−1000/51709))⌋ = 17,895,796,548,389,559,159,290,712 wei; B = 0 so k = 0 and
  // M(v) − M(0) = ⌊v · (I(1) − I(0)) / 10^18⌋ = ⌊2,386,294,361 · I(1) / 10^18⌋ = 42,704,638,389,025,268 wei
  t.equal(trafficIssuance(1n), 17_895_796_548_389_559_159_290_712n)
  // fuel = ⌈4·10^9 · 10^16 / 10^9⌉ = 4·10^16 NB wei (0.04 NB), all burned; cap = 4·10^16 · 10,000 ·
  // 10^18 / (10^17 · 10,000) = 4·10^17 wei (0.4 NFC) — not binding
  t.equal(pair.fuelOwed, 4n * 10n ** 16n)
  t.equal(pair.fuelBurned, 4n * 10n ** 16n)
  t.equal(pair.reward, 42_704_638_389_025_268n)
  // split: provider ⌊r·9000/10^4⌋, one relay ⌊r·600/10^4⌋, shared the rest
  t.equal(pair.provided, 38_434_174_550_122_741n)
  t.equal(pair.perRelay, 2_562_278_303_341_516n)
  t.equal(pair.shared, 1_708_185_535_561_011n)

  t.equal(await nb.balanceOf(C), NFC - 4n * 10n ** 16n, 'fuel burned from the consumer')
  t.equal(await balance(sm, TRAFFIC_POOL_ACCOUNT), 1_344_000_000n * NFC - pair.reward)
  t.equal(await balance(sm, FLOW_REWARDS), pair.provided + pair.perRelay, 'locked rewards sit in FlowRewards')
  t.equal(await balance(sm, SHARED_POOL), pair.shared)

  const pr = await readRewards(sm, P, ends, cfg)
  t.equal(pr.locked, pair.provided)
  t.equal(pr.withdrawable, 0n)
  t.equal(pr.coinTime, 0n, 'coin-time starts at the block time')
  t.equal((await readRewards(sm, P, ends + DAY, cfg)).coinTime, pair.provided * DAY)
  t.equal((await readRewards(sm, R, ends, cfg)).locked, pair.perRelay)
  // bonus budgets (locks.ts): each lock's share of cap − reward = 4·10^17 − 42,704,638,389,025,268
  const headroom = 4n * 10n ** 17n - pair.reward
  t.equal(await new FlowStore(sm).bonusBudget(P), (headroom * pair.provided) / pair.reward, "the provider's bonus budget")
  t.equal(await new FlowStore(sm).bonusBudget(R), (headroom * pair.perRelay) / pair.reward, "the relay's bonus budget")
  t.ok(
    pair.provided + pair.perRelay + (await new FlowStore(sm).bonusBudget(P)) + (await new FlowStore(sm).bonusBudget(R)) <= 4n * 10n ** 17n,
    'locks + budgets ≤ the cap',
  )

  const stats = await readFlowStats(sm)
  t.equal(stats.cumulativeBytes, 2_386_294_361n, 'B grows by the value')
  t.equal(stats.minted, pair.reward)
  t.strictSame(stats.topProviders, [{ address: P, bytes: 4_000_000_000n, rewards: pair.provided }])
  t.equal((await readCheckpoint(sm, 0n))!.status, 'applied')
  t.strictSame((await flowBeginBlock(sm, info(10n, ends + 1_000n), cfg)).applied, [], 'applied once')
})

t.test("application: only pledged nodes earn — an unpledged or exited provider gets nothing, an unpledged relay's share goes to the shared pool", async (t) => {
  const sm = await state()
  const nb = new NbStore(sm)
  const store = new DposStore(sm)
  const c2 = addr('consumer2')
  await nb.mint(C, NFC)
  await nb.mint(c2, NFC)
  await store.putNode(addr('provider2'), { exitTime: 5n }) // exited: qualification ended at once
  await pendingCheckpoint(sm, 0n, [
    entry({ sessionId: hashOf('s1'), relays: [R, addr('stranger')] }), // one relay is no node at all
    entry({ sessionId: hashOf('s2'), consumer: c2, provider: addr('provider2'), relays: [] }),
    entry({ sessionId: hashOf('s3'), consumer: c2, provider: addr('nobody'), relays: [] }),
  ])
  const pool0 = await store.balanceOf(SHARED_POOL)
  const r = await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)
  const pairs = r.applied[0]!.pairs
  const paid = pairs.find((p) => p.provider === P)!
  t.strictSame(paid.relays, [R], 'only the pledged relay is paid')
  t.equal(paid.shared, paid.reward - paid.provided - paid.perRelay, "the stranger's 6% share went to the shared pool")
  t.ok(paid.perRelay > 0n)
  for (const who of [addr('provider2'), addr('nobody')]) {
    const p = pairs.find((x) => x.provider === who)!
    t.equal(p.reward, 0n, `${who === addr('nobody') ? 'an unpledged' : 'an exited'} provider earns nothing`)
    t.ok(p.fuelBurned > 0n, 'its consumer still paid the fuel')
  }
  t.equal((await readRewards(sm, addr('stranger'), GENESIS_TIME + 2n * CYCLE, cfg)).locked, 0n, 'no lock for the stranger')
  t.equal(
    (await store.balanceOf(SHARED_POOL)) - pool0,
    pairs.reduce((s, p) => s + p.shared, 0n),
    'the shared pool received every shared part',
  )
})

t.test('application: the fuel cap binds', async (t) => {
  const sm = await state()
  const nb = new NbStore(sm)
  await nb.mint(C, 10n ** 15n) // 0.001 NB: less than the 0.04 NB owed
  await pendingCheckpoint(sm, 0n, [entry({ relays: [] })])
  const r = await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)
  const pair = r.applied[0]!.pairs[0]!
  t.equal(pair.fuelBurned, 10n ** 15n, 'burns what the balance allows')
  // cap = 10^15 · 10,000 · 10^18 / (10^17 · 10,000) = 10^16 wei < the curve's 42,704,638,389,025,268
  t.equal(pair.reward, 10n ** 16n)
  t.equal(pair.value, 2_386_294_361n, 'B still grows by the full value')
  t.equal(pair.perRelay, 0n)
  t.equal(pair.shared, 10n ** 16n - (10n ** 16n * 9_000n) / 10_000n, 'no relays: their 6% goes to the shared pool')
  t.equal(await nb.balanceOf(C), 0n)
  t.equal(await new FlowStore(sm).bonusBudget(P), 0n, 'the reward is the cap: no coin-time bonus budget')
})

t.test('rule 0: every block indexes the shared pool growth at its own time, whoever withdraws later', async (t) => {
  const sm = await state()
  const fs = new FlowStore(sm)
  const store = new DposStore(sm)
  await flowBeginBlock(sm, info(1n, GENESIS_TIME + 1_000n), cfg)
  // a lock of 1,000 NFC: 1 s later its coin-time is far above MIN_INDEXED_COIN_TIME
  await creditLock(fs, P, 1_000n * NFC, GENESIS_TIME + 1_000n, 0n)
  await store.transfer(TRAFFIC_POOL_ACCOUNT, SHARED_POOL, 10n * NFC)
  const before = await fs.bonusIndex()
  t.equal(before.seen, 0n, 'the growth is not indexed yet')
  await flowBeginBlock(sm, info(2n, GENESIS_TIME + 2_000n), cfg)
  const after = await fs.bonusIndex()
  t.equal(after.seen, 10n * NFC, 'the next block indexed it')
  t.ok(after.a > before.a && after.b > before.b, 'at the block time: the index moved')
})

t.test("application: fuel from the pair's escrow first, then the balance", async (t) => {
  // owed for 4·10^9 bytes = ⌈4·10^9 · fuelPricePerGb / 10^9⌉ (valuing.ts fuelOwed)
  const owed = (4n * 10n ** 9n * cfg.flow!.fuelPricePerGb + 10n ** 9n - 1n) / 10n ** 9n
  t.equal(owed, 4n * 10n ** 16n, '0.04 NB at the default 0.01 NB per GB')
  const P2 = addr('provider2')
  const run = async (balance: bigint, escrow: bigint, opts: { releaseAt?: bigint; other?: bigint } = {}) => {
    const sm = await state()
    const nb = new NbStore(sm)
    await nb.mint(C, balance + escrow + (opts.other ?? 0n))
    await nb.setBalance(C, balance) // the rest sits in escrows (as NB.escrow leaves it)
    await nb.setEscrow(C, P, escrow)
    if (opts.releaseAt !== undefined) await nb.setReleaseAt(C, P, opts.releaseAt)
    if (opts.other !== undefined) await nb.setEscrow(C, P2, opts.other)
    await pendingCheckpoint(sm, 0n, [entry()])
    const r = await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)
    return { nb, pair: r.applied[0]!.pairs[0]! }
  }

  const none = await run(NFC, 0n)
  t.equal(none.pair.fuelBurned, owed, 'no escrow: all from the balance, as before')
  t.equal(await none.nb.balanceOf(C), NFC - owed)

  const covered = await run(NFC, 5n * 10n ** 16n)
  t.equal(covered.pair.fuelOwed, owed)
  t.equal(covered.pair.fuelBurned, owed)
  t.equal(await covered.nb.balanceOf(C), NFC, 'the balance is untouched')
  t.strictSame(await covered.nb.escrowOf(C, P), { amount: 5n * 10n ** 16n - owed, releaseAt: 0n }, 'the escrow lowered by exactly the fuel')
  t.equal(await covered.nb.totalSupply(), NFC + 5n * 10n ** 16n - owed)
  t.equal(covered.pair.reward, none.pair.reward, 'the same reward as when the balance paid')
  t.equal(covered.pair.reward, 42_704_638_389_025_268n, 'the hand-computed reward of the first application test')

  const short = await run(NFC, 10n ** 16n)
  t.equal(short.pair.fuelBurned, owed, 'fuelBurned = owed')
  t.equal((await short.nb.escrowOf(C, P)).amount, 0n, 'the escrow emptied')
  t.equal(await short.nb.balanceOf(C), NFC - (owed - 10n ** 16n), 'the rest from the balance')
  t.equal(short.pair.reward, none.pair.reward)

  const both = await run(4n * 10n ** 14n, 6n * 10n ** 14n)
  t.equal(both.pair.fuelBurned, 10n ** 15n, 'escrow and balance together short: what both allow')
  // cap = 10^15 · 10,000 · 10^18 / (10^17 · 10,000) = 10^16 wei < the curve's 42,704,638,389,025,268
  t.equal(both.pair.reward, 10n ** 16n, 'the cap follows what was burned, escrow and balance alike')
  t.equal(await both.nb.balanceOf(C), 0n)
  t.equal(await both.nb.totalSupply(), 0n)

  const pending = await run(0n, NFC, { releaseAt: GENESIS_TIME + 3n * CYCLE })
  t.equal(pending.pair.fuelBurned, owed, 'an escrow with a pending release is charged')
  t.strictSame(await pending.nb.escrowOf(C, P), { amount: NFC - owed, releaseAt: GENESIS_TIME + 3n * CYCLE }, 'and its release stays pending')

  const other = await run(10n ** 16n, 0n, { other: NFC })
  t.equal(other.pair.fuelBurned, 10n ** 16n, 'only the balance paid')
  t.equal((await other.nb.escrowOf(C, P2)).amount, NFC, 'the escrow for another provider is not touched')
  t.equal(await other.nb.balanceOf(C), 0n)
})

t.test('application: self-dealing pairs earn nothing but still burn fuel', async (t) => {
  const sm = await state()
  const nb = new NbStore(sm)
  const store = new DposStore(sm)
  const cs = ['c1', 'c2', 'c3', 'c4'].map(addr)
  for (const c of cs) await nb.mint(c, NFC)
  await store.putPosition(cs[0]!, P, { votes: 1n, debt: 0n }) // votes on the provider
  await nb.mint(P, NFC)
  await nb.transfer(P, cs[1]!, 1n, { cycle: 0n, windowCycles: 720n }) // funded by the provider
  const entries = [
    entry({ sessionId: hashOf('s1'), consumer: cs[0]!, relays: [] }),
    entry({ sessionId: hashOf('s2'), consumer: cs[1]!, relays: [] }),
    entry({ sessionId: hashOf('s3'), consumer: cs[2]!, relays: [cs[2]!] }), // consumer is a relay
    entry({ sessionId: hashOf('s4'), consumer: P, relays: [] }), // consumer = provider
  ]
  await pendingCheckpoint(sm, 0n, entries)
  const r = await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)
  const pairs = r.applied[0]!.pairs
  t.equal(pairs.length, 4)
  for (const p of pairs) {
    t.equal(p.selfDealing, true, `${p.consumer} self-dealing`)
    t.equal(p.value, 0n)
    t.equal(p.reward, 0n)
    t.equal(p.fuelBurned, 4n * 10n ** 16n)
  }
  t.equal((await readFlowStats(sm)).cumulativeBytes, 0n)
  t.equal(await balance(sm, FLOW_REWARDS), 0n)
})

t.test('EXPLOIT E4: NB sent to the consumer through one intermediate address (the provider funded it) makes the pair self-dealing', async (t) => {
  // Before the funding graph only the consumer's first NB funder was compared with the provider:
  // provider → X → consumer earned the full reward for traffic the provider paid for itself.
  const window = cfg.flow!.selfDealingWindowCycles
  const run = async (fund: (nb: NbStore, x: Addr) => Promise<void>) => {
    const sm = await state()
    const nb = new NbStore(sm)
    const x = addr('intermediate')
    await nb.mint(P, 10n * NFC)
    await fund(nb, x)
    await pendingCheckpoint(sm, 0n, [entry({ sessionId: hashOf('s1'), consumer: C, relays: [] })])
    const r = await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)
    return r.applied[0]!.pairs[0]!
  }
  const hop = await run(async (nb, x) => {
    await nb.mint(x, NFC) // X holds NB of its own; the first-funder rule sees only X
    await nb.transfer(P, x, 2n * NFC, { cycle: 0n, windowCycles: window })
    await nb.transfer(x, C, 2n * NFC, { cycle: 0n, windowCycles: window })
  })
  t.equal(hop.selfDealing, true, 'provider → intermediate → consumer: self-dealing')
  t.equal(hop.reward, 0n, 'no reward')
  t.ok(hop.fuelBurned > 0n, 'the fuel still burns')

  const two = await run(async (nb, x) => {
    const y = addr('second')
    await nb.transfer(P, y, 2n * NFC, { cycle: 0n, windowCycles: window })
    await nb.transfer(y, x, 2n * NFC, { cycle: 0n, windowCycles: window })
    await nb.transfer(x, C, 2n * NFC, { cycle: 0n, windowCycles: window })
  })
  t.equal(two.selfDealing, false, 'three hops away: beyond the rule (DESIGN §12: within 2 hops)')

  const honest = await run(async (nb, x) => {
    await nb.mint(x, 2n * NFC)
    await nb.transfer(x, C, 2n * NFC, { cycle: 0n, windowCycles: window })
  })
  t.equal(honest.selfDealing, false, 'funded by an address the provider never funded: counts')
  t.ok(honest.reward > 0n)
})

t.test('application: pairs grouped and sorted; unanswered challenges voided', async (t) => {
  const sm = await state()
  const nb = new NbStore(sm)
  const c2 = addr('consumer2')
  await nb.mint(C, NFC)
  await nb.mint(c2, NFC)
  const fs = new FlowStore(sm)
  await fs.putSession(hashOf('s9'), { seq: 0n, total: 0n })
  const entries = [
    entry({ sessionId: hashOf('s1'), total: 10n ** 9n, relays: [R] }),
    entry({ sessionId: hashOf('s2'), prevTotal: 5n * 10n ** 8n, total: 15n * 10n ** 8n, relays: [addr('relay2')] }),
    entry({ sessionId: hashOf('s3'), consumer: c2, total: 10n ** 9n }),
    entry({ sessionId: hashOf('s9'), consumer: c2, seq: 7n, prevSeq: 3n, prevTotal: 100n, total: 10n ** 9n, challenge: Challenge.Open }),
    entry({ sessionId: hashOf('s5'), consumer: c2, challenge: Challenge.Answered, total: 10n ** 9n, provider: addr('provider2') }),
  ]
  await pendingCheckpoint(sm, 0n, entries)
  const r = await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)
  const a = r.applied[0]!
  t.strictSame(a.voided, [3n], 'the entry with an open challenge')
  t.equal((await fs.getEntry(0n, 3n)).status, EntryStatus.Voided)
  t.strictSame(await fs.getSession(hashOf('s9')), { seq: 3n, total: 100n }, 'its session rolled back')
  const keys = a.pairs.map((p) => `${p.consumer}${p.provider}`)
  t.strictSame(keys, [...keys].sort(), 'pairs in (consumer, provider) order')
  const cp = a.pairs.find((p) => p.consumer === C && p.provider === P)!
  t.equal(cp.counted, 2n * 10n ** 9n, 'Σ(total − prevTotal) of the pair')
  t.strictSame(cp.relays, [R, addr('relay2')].sort(), 'union of the relays')
  t.equal(a.pairs.length, 3)
  t.equal((await readCheckpoint(sm, 0n))!.entries[3]!.status, 'voided')
})

t.test('application: bounded per block, FIFO', async (t) => {
  const sm = await state()
  await new NbStore(sm).mint(C, NFC)
  for (let c = 0n; c < 6n; c++) await pendingCheckpoint(sm, c, [entry({ sessionId: hashOf(`s${c}`), total: 1_000n })], 5n, GENESIS_TIME + 10n * CYCLE + c)
  const r1 = await flowBeginBlock(sm, info(20n, GENESIS_TIME + 20n * CYCLE), cfg)
  t.strictSame(
    r1.applied.map((a) => a.cycle),
    [0n, 1n, 2n, 3n],
  )
  const r2 = await flowBeginBlock(sm, info(21n, GENESIS_TIME + 20n * CYCLE + 1_000n), cfg)
  t.strictSame(
    r2.applied.map((a) => a.cycle),
    [4n, 5n],
  )
  t.equal((await readFlowStats(sm)).cumulativeBytes, 6_000n, 'below L value = bytes')
})

// ------------------------------------------------------------ bounds (DESIGN §12, issue 21)

t.test('a chain halted by an unbounded total recovers: the overflowing pair is voided, the block goes on', async (t) => {
  // the state a node halted by the 2^256−1 receipt holds at its head: cycle 0's checkpoint was
  // applied before the bound existed (the provider's byte total is 2^256−1), and cycle 1's
  // checkpoint adds 1,000 bytes for the same provider — the old engine threw "storage word out
  // of range" in every block from the one that applied it
  const sm = await state()
  const nb = new NbStore(sm)
  await nb.mint(C, NFC)
  const fs = new FlowStore(sm)
  const P2 = addr('provider2')
  await fs.addProviderTotals(P, 2n ** 256n - 1n, 0n)
  await fs.putSession(hashOf('attack'), { seq: 1n, total: 0n })
  await pendingCheckpoint(sm, 1n, [
    entry({ sessionId: hashOf('attack'), seq: 2n, prevSeq: 1n, prevTotal: 0n, total: 1_000n }),
    entry({ sessionId: hashOf('honest'), provider: P2, total: 10n ** 9n }),
  ])
  const r = await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)
  const a = r.applied[0]!
  t.equal(a.outOfBounds.length, 1, 'one entry out of bounds')
  t.equal(a.outOfBounds[0]!.index, 0n)
  t.match(a.outOfBounds[0]!.reason, /byte total would overflow/)
  t.equal((await fs.getEntry(1n, 0n)).status, EntryStatus.Voided, 'voided')
  t.strictSame(await fs.getSession(hashOf('attack')), { seq: 1n, total: 0n }, 'its session rolled back')
  t.equal((await fs.providerTotals(P)).bytes, 2n ** 256n - 1n, 'the overflowing total is left as it was')
  t.strictSame(
    a.pairs.map((p) => p.provider),
    [P2],
    'the honest pair of the same checkpoint is paid',
  )
  t.ok(a.pairs[0]!.reward > 0n, 'with a reward')
  t.equal((await fs.providerTotals(P2)).bytes, 10n ** 9n)
  t.equal((await readCheckpoint(sm, 1n))!.status, 'applied', 'the checkpoint is applied, not stuck in the queue')
  // the next blocks go on
  const next = await flowBeginBlock(sm, info(10n, GENESIS_TIME + 2n * CYCLE + 1_000n), cfg)
  t.equal(next.applied.length, 0, 'nothing left to apply')
})

t.test('an entry whose total exceeds uint64 (a committee that signed it anyway) is voided at application', async (t) => {
  const sm = await state()
  await new NbStore(sm).mint(C, NFC)
  const fs = new FlowStore(sm)
  await pendingCheckpoint(sm, 0n, [
    entry({ sessionId: hashOf('big'), total: 2n ** 256n - 1n }),
    entry({ sessionId: hashOf('ok'), total: 2n ** 64n - 1n, provider: addr('provider2') }),
  ])
  const a = (await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)).applied[0]!
  t.strictSame(
    a.outOfBounds.map((o) => o.index),
    [0n],
    'only the entry past 2^64−1',
  )
  t.match(a.outOfBounds[0]!.reason, /exceeds the uint64 bound/)
  t.equal((await fs.getEntry(0n, 0n)).status, EntryStatus.Voided)
  t.strictSame(await fs.getSession(hashOf('big')), { seq: 0n, total: 0n }, 'session rolled back to its prevTotal')
  t.equal((await fs.providerTotals(P)).bytes, 0n, 'the provider counts nothing for it')
  t.strictSame(
    a.pairs.map((p) => [p.provider, p.counted]),
    [[addr('provider2'), 2n ** 64n - 1n]],
    '2^64−1 itself is within the bound',
  )
})

t.test('the sampling floor: an entry claiming bytes whose receipt commits to no sampled slice is voided at application', async (t) => {
  // such an entry could never answer a slice challenge: it must not count whether an auditor drew
  // it (the old gap voided it only then) or not (a cheater's unauditable traffic)
  const sm = await state()
  await new NbStore(sm).mint(C, NFC)
  const fs = new FlowStore(sm)
  await fs.putSession(hashOf('empty'), { seq: 0n, total: 0n })
  await pendingCheckpoint(sm, 0n, [
    entry({ sessionId: hashOf('empty'), seq: 4n, prevSeq: 2n, prevTotal: 300n, total: 10n ** 9n, sampleRoot: EMPTY_SAMPLE_ROOT }),
    entry({ sessionId: hashOf('sampled'), provider: addr('provider2'), total: 10n ** 9n }),
    entry({ sessionId: hashOf('nothing'), provider: addr('provider2'), total: 0n, sampleRoot: EMPTY_SAMPLE_ROOT }),
  ])
  const a = (await flowBeginBlock(sm, info(9n, GENESIS_TIME + 2n * CYCLE), cfg)).applied[0]!
  t.strictSame(
    a.outOfBounds.map((o) => o.index),
    [0n],
    'only the entry that claims bytes with no slice',
  )
  t.match(a.outOfBounds[0]!.reason, /claims 1000000000 bytes but its receipt commits to no sampled slice/)
  t.strictSame(a.voided, [], 'not for a challenge: nobody had to draw it')
  t.equal((await fs.getEntry(0n, 0n)).status, EntryStatus.Voided, 'voided')
  t.strictSame(await fs.getSession(hashOf('empty')), { seq: 2n, total: 300n }, 'its session rolled back to the previous receipt')
  t.equal((await fs.providerTotals(P)).bytes, 0n, 'its provider counts nothing for it')
  t.equal((await fs.getEntry(0n, 2n)).status, EntryStatus.Live, 'an entry with no bytes needs no slice')
  t.strictSame(
    a.pairs.map((p) => [p.provider, p.counted]),
    [[addr('provider2'), 10n ** 9n]],
    'the entry with a slice is paid',
  )
  t.ok(a.pairs[0]!.reward > 0n)
  t.not(bytesToHex(EMPTY_SAMPLE_ROOT), bytesToHex(hashOf('root')), 'the other entries commit to a slice')
})
