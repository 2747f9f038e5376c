import t from 'tap'
import { Account } from '@ethereumjs/util'
import { beginBlock, endBlock, penalizeViolation } from '../../../src/consensus/dpos/engine.js'
import { writeGenesisState } from '../../../src/consensus/dpos/genesisState.js'
import { blockReward, splitBlockReward } from '../../../src/consensus/dpos/rewards.js'
import { roundOrder } from '../../../src/consensus/dpos/schedule.js'
import { BLOCK_MINING_POOL, EVIDENCE, NODE_REGISTRY, SHARED_POOL, STAKING, type Addr } from '../../../src/consensus/dpos/store.js'
import { lastConfirmedOf, readCandidates, readTrust, readVoter, readWitnesses } from '../../../src/consensus/dpos/views.js'
import { NFC } from '../../../src/execution/systemAddresses.js'
import { addr, balance, Chain, config, genesisState, hex, registerCandidate, RN_PLEDGE, witnessInputs } from '../../helpers/dposHarness.js'

const W = 21

t.test('genesis state and views', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  for (const a of [STAKING, NODE_REGISTRY, EVIDENCE]) t.equal((await sm.getAccount(a))!.nonce, 1n)
  t.equal(
    await balance(sm, STAKING),
    ws.reduce((s, w) => s + w.votes, 0n),
    'balances kept',
  )

  const wv = await readWitnesses(sm)
  t.equal(wv.cycle, 0n)
  t.strictSame(
    wv.seats,
    ws.map((w) => w.address),
  )
  t.strictSame(wv.standby, [])
  t.equal(wv.pending, null)

  const cands = await readCandidates(sm)
  t.equal(cands.length, W)
  t.strictSame(cands[3], {
    address: ws[3]!.address,
    registered: true,
    votes: 103n * NFC,
    trust: 28_800n,
    bonusRatioBps: 2_000n,
    pendingBonusRatioBps: 2_000n,
    removed: false,
    url: 'https://w3.example',
    pledge: 2n * RN_PLEDGE,
    produced: 0n,
    missed: 0n,
    lastConfirmed: 0n,
    witnessBalance: 0n,
  })
  t.equal(await readTrust(sm, ws[0]!.address.toUpperCase().replace('0X', '0x')), 28_800n)
  t.equal(await readTrust(sm, addr('nobody')), null)
  t.strictSame(await readVoter(sm, ws[5]!.address), { positions: [{ candidate: ws[5]!.address, votes: 105n * NFC, pendingReward: 0n }], unbonding: [] })
  t.equal(await lastConfirmedOf(sm, ws[0]!.address), 0n)

  // padding with vacant seats; bad inputs
  const few = await genesisState(witnessInputs(3), cfg)
  t.equal((await readWitnesses(few)).seats.filter((s) => s === null).length, W - 3)
  await t.rejects(writeGenesisState(few, witnessInputs(22), cfg), { code: 'DPOS_BAD_GENESIS_WITNESSES' })
  const dup = witnessInputs(2)
  dup[1]!.address = dup[0]!.address
  await t.rejects(writeGenesisState(few, dup, cfg), { code: 'DPOS_BAD_GENESIS_WITNESSES' })
  // an existing account keeps its balance and gets nonce 1
  const pre = new (await import('@ethereumjs/statemanager')).MerkleStateManager()
  await pre.putAccount(EVIDENCE, new Account(0n, 7n))
  await writeGenesisState(pre, [], cfg)
  t.equal((await pre.getAccount(EVIDENCE))!.balance, 7n)
  t.equal((await pre.getAccount(EVIDENCE))!.nonce, 1n)
})

t.test('a 21-witness chain over four counting cycles (250 blocks): elections take effect at the activation round', async (t) => {
  const cfg = config() // 63 blocks = 3 rounds per cycle
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const [c0, c1, c2] = [addr('c0'), addr('c1'), addr('c2')]
  await registerCandidate(sm, c0, 50n * NFC)
  await registerCandidate(sm, c1, 60n * NFC)
  await registerCandidate(sm, c2, 70n * NFC)

  const setVotes = async (a: Addr, votes: bigint) => {
    await chain.store.putCandidate(a, { votes })
    await chain.store.putPosition(a, a, { votes, debt: 0n })
  }
  // expected seats per round, derived from the vote changes the test makes
  let seatsNow: (Addr | null)[] = ws.map((w) => w.address)
  let nextSeats: { round: bigint; seats: Addr[] } | null = null
  const changes: Record<string, [Addr, bigint][]> = {
    '61': [
      [c0, 1_000n * NFC],
      [ws[0]!.address, 1n * NFC],
    ], // c0 in, w0 out
    '124': [
      [c1, 2_000n * NFC],
      [ws[1]!.address, 2n * NFC],
    ], // c1 in, w1 out
    '187': [[ws[0]!.address, 3_000n * NFC]], // w0 back, at the top
  }
  const electedExpect: Record<string, Addr[]> = {
    '62': [
      c0,
      ...ws
        .slice(1)
        .reverse()
        .map((w) => w.address),
    ],
    '125': [
      c1,
      c0,
      ...ws
        .slice(2)
        .reverse()
        .map((w) => w.address),
    ],
    '188': [
      ws[0]!.address,
      c1,
      c0,
      ...ws
        .slice(3)
        .reverse()
        .map((w) => w.address),
    ],
  }

  for (let slot = 1n; slot <= 250n; slot++) {
    const round = slot / 21n
    if (nextSeats !== null && round >= nextSeats.round) {
      t.equal(round, nextSeats.round, `new seats exactly at round ${round}`)
      seatsNow = nextSeats.seats
      nextSeats = null
    }
    const sched = await chain.schedule(slot)
    const order = roundOrder(chain.expectedSeed(round), seatsNow, W)
    if (hex(sched.seed) !== hex(chain.expectedSeed(round))) t.fail(`seed of round ${round}`)
    if (sched.owner !== order[Number(slot % 21n)]) t.fail(`owner of slot ${slot}`)
    if (JSON.stringify(sched.order) !== JSON.stringify(order)) t.fail(`order of round ${round}`)
    for (const [a, v] of changes[String(slot)] ?? []) await setVotes(a, v)
    const made = await chain.make(slot)
    const exp = electedExpect[String(made.number)]
    if (exp !== undefined) {
      t.strictSame(made.elected, exp, `election after block ${made.number}`)
      const pend = (await readWitnesses(sm)).pending!
      t.equal(pend.activationRound, round + 1n)
      t.equal(pend.seats.length, W)
      nextSeats = { round: round + 1n, seats: exp }
    } else if ((made.number + 1n) % 63n === 0n) t.fail(`no election expected at ${made.number}`)
  }
  const wv = await readWitnesses(sm)
  t.equal(wv.cycle, 3n, 'three elections ran')
  t.equal(wv.pending, null, 'the last one took effect at round 9')
  t.strictSame(wv.seats, electedExpect['188'])
  t.strictSame(wv.standby, [ws[2]!.address, c2, ws[1]!.address], 'the rest by rank')
  const cands = await readCandidates(sm)
  t.equal(
    cands.reduce((s, c) => s + c.produced, 0n),
    250n,
    'every block counted once',
  )
  t.equal(
    cands.reduce((s, c) => s + c.missed, 0n),
    0n,
  )
})

t.test('seeds: rounds 0 and 1 use the genesis hash, round r the first block of r−1, an empty round reuses', async (t) => {
  const cfg = config()
  const sm = await genesisState(witnessInputs(W), cfg)
  const chain = new Chain(sm, cfg)
  const seeds = new Map<bigint, string>()
  const made = new Map<bigint, Uint8Array>()
  const produce = async (slot: bigint) => {
    const s = await chain.schedule(slot)
    seeds.set(s.round, hex(s.seed))
    const m = await chain.make(slot)
    made.set(slot, m.hash)
    return m
  }
  for (let s = 1n; s < 63n; s += 2n) await produce(s) // rounds 0–2, odd slots: round 1 starts with slot 21, round 2 with 43
  // round 3 (slots 63..83) is empty; next block in round 4
  const m = await produce(90n)
  t.ok(m.begin.missed.length > 21, 'the empty round was walked')
  await produce(106n) // round 5
  const g = hex(cfg.genesisHash)
  t.equal(seeds.get(0n), g)
  t.equal(seeds.get(1n), g)
  t.equal(seeds.get(2n), hex(made.get(21n)!), 'round 2: first block of round 1 (slot 21)')
  t.equal(seeds.get(4n), hex(made.get(43n)!), 'round 4 after the empty round 3: first block of round 2 (slot 43)')
  t.equal(seeds.get(5n), hex(made.get(90n)!), 'round 5: first block of round 4')
  const rr = await chain.store.getRound()
  t.equal(rr.round, 5n)
  t.equal(hex(rr.seed), hex(made.get(90n)!))
  t.equal(hex(rr.roundFirst), '00'.repeat(32), 'the first block of round 5 is the last executed block')
})

t.test('a silent witness loses 100 per missed slot and is replaced in place by the first fit standby', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const [low, exited, removed, fit, later] = ['low', 'exited', 'removed', 'fit', 'later'].map(addr) as [Addr, Addr, Addr, Addr, Addr]
  for (const a of [low, exited, removed, fit, later]) await registerCandidate(sm, a, 10n * NFC)
  await chain.store.putCandidate(low, { trust: 9_000n })
  await chain.store.putNode(exited, { exitTime: 5n })
  await chain.store.putCandidate(removed, { removedInCycle: 1n }) // cycle 0 + 1
  await chain.store.setStandby([low, exited, removed, fit, later])

  const sched0 = await chain.schedule(1n)
  const x = sched0.order[5]! // owns slot 5 of round 0
  const y = sched0.order[9]!
  const xSeat = ws.findIndex((w) => w.address === x)
  await chain.store.putCandidate(x, { trust: 10_050n })
  const yTrust0 = (await readTrust(sm, y))!

  let yMisses = 0n
  let removedAt: bigint | null = null
  for (let slot = 1n; slot < 63n; slot++) {
    const owner = (await chain.schedule(slot)).owner
    if (owner === y) yMisses++
    if (slot === 5n || owner === y) continue // x misses its first slot, y misses every slot
    const m = await chain.make(slot)
    if (m.begin.removed.length > 0) {
      t.strictSame(m.begin.removed, [x])
      t.ok(m.begin.missed.some((e) => e.slot === 5n && e.witness === x))
      removedAt = slot
    }
  }
  t.equal(removedAt, 6n, 'x removed by the block after its missed slot')
  const seats = (await readWitnesses(sm)).seats
  t.equal(seats[xSeat], fit, 'same seat index, first fit standby')
  t.strictSame((await readWitnesses(sm)).standby, [low, exited, removed, later])
  const xv = (await readCandidates(sm)).find((c) => c.address === x)!
  t.equal(xv.trust, 9_950n)
  t.equal(xv.missed, 1n)
  t.equal(xv.removed, true)
  const yv = (await readCandidates(sm)).find((c) => c.address === y)!
  t.equal(yv.missed, yMisses)
  t.equal(yMisses, 3n, 'one slot per round')
  t.equal(yv.trust, yTrust0 - 300n)
  t.equal(yv.produced, 0n)
  // in the next round the seat's slot belongs to `fit`
  const next = await chain.schedule(63n)
  t.strictSame(next.order, roundOrder(chain.expectedSeed(3n), seats, W))
  t.equal(next.order.indexOf(x), -1)
  const m = await chain.make(63n + BigInt(next.order.indexOf(fit)))
  t.equal(m.producer, fit)
})

t.test('a gap of more than 100,000 slots is walked quickly; the last seat is never vacated', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const [s0, s1] = [addr('s0'), addr('s1')]
  await registerCandidate(sm, s0, 10n * NFC)
  await registerCandidate(sm, s1, 9n * NFC)
  await chain.store.setStandby([s0, s1])
  const started = Date.now()
  const sched = await chain.schedule(100_001n)
  const occupied = sched.seats.filter((a) => a !== null)
  t.equal(occupied.length, 1, 'one witness left')
  const survivor = occupied[0]!
  t.ok(survivor === s0 || survivor === s1, 'a promoted standby outlived the witnesses')
  let slot = sched.round * 21n + BigInt(sched.order.indexOf(survivor))
  if (slot < 100_001n) slot += 21n
  t.equal((await chain.schedule(slot)).owner, survivor)
  const m = await chain.make(slot)
  const ms = Date.now() - started
  t.ok(ms < 20_000, `walked ${slot} slots in ${ms} ms`)
  t.equal(m.begin.removed.length, 22, '21 witnesses and one promoted standby removed')
  const cands = await readCandidates(sm)
  const missed = cands.reduce((s, c) => s + c.missed, 0n)
  t.equal(m.begin.missedCount, missed, 'every missed slot counted')
  t.ok(m.begin.missed.length <= 1024, 'the list is capped')
  const sv = cands.find((c) => c.address === survivor)!
  t.equal(sv.trust, 28_800n - 100n * sv.missed + 10n)
  t.equal(sv.removed, false)
  for (const w of ws) t.equal(cands.find((c) => c.address === w.address)!.missed, 189n, 'removed after 189 misses (28,800 − 18,900 < 10,000)')
  await t.rejects(beginBlock(sm, chain.info(slot + 1n, survivor), cfg), { code: 'DPOS_WRONG_PRODUCER' }, 'vacant seats produce nothing')
})

t.test('WRONG_PRODUCER, BAD_SLOT, BAD_CONFIRMATION — and a rejected block writes nothing', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W - 1) // one vacant seat
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  for (let s = 1n; s <= 5n; s++) if ((await chain.schedule(s)).owner !== null) await chain.make(s)
  const P = chain.parentSlot()
  let N = P + 1n
  while ((await chain.schedule(N)).owner === null) N++
  const root = hex(await sm.getStateRoot())
  const sched = await chain.schedule(N)
  const other = ws.map((w) => w.address).find((a) => a !== sched.owner)!
  await t.rejects(beginBlock(sm, chain.info(N, other), cfg), { code: 'DPOS_WRONG_PRODUCER' })
  const r = (await chain.schedule(21n)).order
  const vacant = 21n + BigInt(r.indexOf(null))
  await t.rejects(beginBlock(sm, chain.info(vacant, ws[0]!.address), cfg), { code: 'DPOS_WRONG_PRODUCER' }, 'vacant seat')
  await t.rejects(beginBlock(sm, chain.info(P, sched.owner!), cfg), { code: 'DPOS_BAD_SLOT' }, 'same slot as the parent')
  const early = { ...chain.info(N, sched.owner!), timestamp: cfg.genesisTime - 1n }
  await t.rejects(beginBlock(sm, early, cfg), { code: 'DPOS_BAD_SLOT' }, 'before genesis')
  await t.rejects(chain.schedule(P), { code: 'DPOS_BAD_SLOT' })
  const producers = new Set((await readCandidates(sm)).filter((c) => c.produced > 0n).map((c) => c.address))
  const w0 = ws.map((w) => w.address).find((a) => !producers.has(a))!
  await t.rejects(
    beginBlock(sm, chain.info(N, sched.owner!, [{ witness: addr('outsider'), number: 5n }]), cfg),
    { code: 'DPOS_BAD_CONFIRMATION' },
    'not a witness',
  )
  await t.rejects(
    beginBlock(sm, chain.info(N, sched.owner!, [{ witness: w0, number: chain.number + 1n }]), cfg),
    { code: 'DPOS_BAD_CONFIRMATION' },
    'not below the block number',
  )
  await t.rejects(
    beginBlock(
      sm,
      chain.info(N, sched.owner!, [
        { witness: w0, number: 3n },
        { witness: w0, number: 3n },
      ]),
      cfg,
    ),
    { code: 'DPOS_BAD_CONFIRMATION' },
    'twice',
  )
  const p = (await readCandidates(sm)).find((c) => c.produced > 0n)!
  await t.rejects(
    beginBlock(sm, chain.info(N, sched.owner!, [{ witness: p.address, number: p.lastConfirmed }]), cfg),
    { code: 'DPOS_BAD_CONFIRMATION' },
    'not above lastConfirmed',
  )
  t.equal(hex(await sm.getStateRoot()), root, 'nothing written by the rejected blocks')
  await chain.make(N)
})

t.test('confirmations: +1 trust each and lastConfirmed moves; the producer may confirm the parent', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const m1 = await chain.make(1n)
  await chain.make(2n)
  const owner3 = (await chain.schedule(3n)).owner!
  const busy = new Set([owner3, m1.producer, (await readCandidates(sm)).find((c) => c.lastConfirmed === 2n)!.address])
  const a = ws.map((w) => w.address).find((x) => !busy.has(x))!
  const before = { a: (await readTrust(sm, a))!, o: (await readTrust(sm, owner3))! }
  await chain.make(3n, {
    confirmations: [
      { witness: a, number: 1n },
      { witness: a, number: 2n },
      { witness: owner3, number: 2n },
    ],
  })
  t.equal(await readTrust(sm, a), before.a + 2n)
  t.equal(await lastConfirmedOf(sm, a), 2n)
  t.equal(await readTrust(sm, owner3), before.o + 1n + 10n)
  t.equal(await lastConfirmedOf(sm, owner3), 3n, 'its own block counts')
  t.equal(await lastConfirmedOf(sm, m1.producer), 1n)
})

t.test('rewards: supply conserved, 10 % / bonus split, voters paid pro rata', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const owner = (await chain.schedule(1n)).owner!
  // two extra voters for the owner: 3 : 1, plus its own self-vote
  const self = (await chain.store.getPosition(owner, owner)).votes
  const [va, vb] = [addr('voter a'), addr('voter b')]
  await chain.store.putPosition(va, owner, { votes: 3n * self, debt: 0n })
  await chain.store.voterCandidates(va).add(owner)
  await chain.store.putPosition(vb, owner, { votes: self, debt: 0n })
  await chain.store.voterCandidates(vb).add(owner)
  await chain.store.putCandidate(owner, { votes: 5n * self })

  const pool0 = await balance(sm, BLOCK_MINING_POOL)
  const shared0 = await balance(sm, SHARED_POOL)
  const staking0 = await balance(sm, STAKING)
  const m = await chain.make(1n)
  t.equal(m.producer, owner)
  const R = blockReward(1n, cfg.intervalMs)
  t.equal(m.begin.reward, R)
  const split = splitBlockReward(R, 2_000n)
  t.equal(pool0 - (await balance(sm, BLOCK_MINING_POOL)), R)
  t.equal((await balance(sm, SHARED_POOL)) - shared0, split.sharedPool)
  t.equal((await balance(sm, STAKING)) - staking0, split.supervisory)
  t.equal(split.sharedPool, R / 10n)
  const wb = (await readCandidates(sm)).find((c) => c.address === owner)!.witnessBalance
  t.equal(wb, split.witness)
  const pa = (await readVoter(sm, va)).positions[0]!.pendingReward
  const pb = (await readVoter(sm, vb)).positions[0]!.pendingReward
  const ps = (await readVoter(sm, owner)).positions[0]!.pendingReward
  t.ok(pa + pb + ps <= split.voters && pa + pb + ps >= split.voters - 3n, 'voter part distributed, < 1 wei dust each')
  t.ok(pa - 3n * pb >= -3n && pa - 3n * pb <= 3n, 'pro rata')
  t.ok(ps - pb >= -1n && ps - pb <= 1n)

  // a witness with no votes: its voter part goes to the witness
  const owner2 = (await chain.schedule(2n)).owner!
  await chain.store.putCandidate(owner2, { votes: 0n })
  const m2 = await chain.make(2n)
  const wb2 = (await readCandidates(sm)).find((c) => c.address === owner2)!.witnessBalance
  t.equal(wb2, splitBlockReward(m2.begin.reward, 2_000n).supervisory)

  // the pool caps the reward
  const poolNow = await balance(sm, BLOCK_MINING_POOL)
  const acc = (await sm.getAccount(BLOCK_MINING_POOL))!
  acc.balance = 5n
  await sm.putAccount(BLOCK_MINING_POOL, acc)
  const m3 = await chain.make(3n)
  t.equal(m3.begin.reward, 5n)
  t.equal(await balance(sm, BLOCK_MINING_POOL), 0n)
  const m4 = await chain.make(4n)
  t.equal(m4.begin.reward, 0n)
  t.ok(poolNow > 0n)
})

t.test('election with no eligible candidate keeps the seats; the cycle still turns', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  for (const w of ws) await chain.store.putNode(w.address, { pledge: RN_PLEDGE - 1n })
  await chain.store.putCandidate(ws[0]!.address, { pendingBonusBps: 9_000n })
  const info = { ...chain.info(62n, ws[0]!.address), number: 62n }
  t.strictSame(await endBlock(sm, info, cfg), { elected: null })
  const wv = await readWitnesses(sm)
  t.strictSame(
    wv.seats,
    ws.map((w) => w.address),
  )
  t.equal(wv.pending, null)
  t.equal(wv.cycle, 1n)
  t.equal((await readCandidates(sm))[0]!.bonusRatioBps, 9_000n, 'ratio frozen for the next cycle')
  t.strictSame(await endBlock(sm, { ...info, number: 61n }, cfg), { elected: null }, 'not the last block of a cycle')
})

t.test('an elected witness below 10,000 restarts at 28,800; removal marks are cleared', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const a = ws[4]!.address
  await chain.store.putCandidate(a, { trust: 5_000n, removedInCycle: 1n })
  const info = { ...chain.info(62n, ws[0]!.address), number: 62n }
  const r = await endBlock(sm, info, cfg)
  t.ok(r.elected!.includes(a))
  t.equal(await readTrust(sm, a), 28_800n)
  t.equal((await chain.store.getCandidate(a)).removedInCycle, 0n)
  t.equal((await readWitnesses(sm)).pending!.activationRound, 3n)
})

t.test('a seated witness whose node exits is replaced at the next block, without a trust change', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const sb = addr('standby')
  await registerCandidate(sm, sb, 1n * NFC)
  await chain.store.setStandby([sb])
  await chain.make(1n)
  const x = ws[2]!.address
  const trust = (await readTrust(sm, x))!
  await chain.store.putNode(x, { exitTime: 123n })
  const s2 = await chain.schedule(2n)
  t.equal(s2.seats[2], sb, 'scheduleFor sees the replacement')
  t.equal((await readWitnesses(sm)).seats[2], x, 'scheduleFor writes nothing')
  const m = await chain.make(2n)
  t.strictSame(m.begin.removed, [x])
  t.equal((await readWitnesses(sm)).seats[2], sb)
  t.equal(await readTrust(sm, x), trust)
  t.equal((await readCandidates(sm)).find((c) => c.address === x)!.removed, true)
})

t.test('penalizeViolation: −100, a pledge slice to the shared pool, removal when seated and below 10,000', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const sb = addr('standby')
  await registerCandidate(sm, sb, 1n * NFC)
  await chain.store.setStandby([sb])
  const reg0 = await balance(sm, NODE_REGISTRY)
  const shared0 = await balance(sm, SHARED_POOL)

  const r1 = await penalizeViolation(sm, ws[1]!.address, cfg)
  const slice = (2n * RN_PLEDGE * 500n) / 10_000n
  t.strictSame(r1, { trust: 28_700n, slashed: slice, slashedPledge: slice, slashedRewards: 0n, removed: false })
  t.equal((await chain.store.getNode(ws[1]!.address)).pledge, 2n * RN_PLEDGE - r1.slashed)
  t.equal(reg0 - (await balance(sm, NODE_REGISTRY)), r1.slashed)
  t.equal((await balance(sm, SHARED_POOL)) - shared0, r1.slashed)

  const r2 = await penalizeViolation(sm, sb, cfg) // a standby: no removal
  t.equal(r2.removed, false)
  t.equal(r2.trust, 28_700n)

  const x = ws[9]!.address
  await chain.store.putCandidate(x, { trust: 10_050n })
  const r3 = await penalizeViolation(sm, x.toUpperCase().replace('0X', '0x'), cfg)
  t.equal(r3.removed, true)
  t.equal(r3.trust, 9_950n)
  const wv = await readWitnesses(sm)
  t.equal(wv.seats[9], sb)
  t.strictSame(wv.standby, [])
  // the chain goes on with the new seat
  const sched = await chain.schedule(1n)
  t.equal(sched.seats[9], sb)
  await chain.make(1n)
})

t.test('a gap over the activation boundary: old seats before it, new seats after', async (t) => {
  const cfg = config({ cycleBlocks: 10n })
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const c0 = addr('c0')
  await registerCandidate(sm, c0, 1_000n * NFC)
  await chain.store.putCandidate(ws[0]!.address, { votes: 1n })
  for (let s = 1n; s <= 9n; s++) await chain.make(s)
  const pend = (await readWitnesses(sm)).pending!
  t.equal(pend.activationRound, 1n, 'election at block 9 (slot 9) → round 1')
  const oldSeats = ws.map((w) => w.address)
  t.strictSame(pend.seats, [
    c0,
    ...ws
      .slice(1)
      .reverse()
      .map((w) => w.address),
  ])
  const g = cfg.genesisHash
  const expected: { slot: bigint; witness: Addr }[] = []
  for (let s = 10n; s < 25n; s++) expected.push({ slot: s, witness: roundOrder(g, s < 21n ? oldSeats : pend.seats, W)[Number(s % 21n)]! })
  const owner = roundOrder(g, pend.seats, W)[25 % 21]!
  const m = await chain.make(25n)
  t.equal(m.producer, owner)
  t.strictSame(m.begin.missed, expected)
  const wv = await readWitnesses(sm)
  t.equal(wv.pending, null)
  t.strictSame(wv.seats, pend.seats)
  t.strictSame(wv.standby, [ws[0]!.address])
})

t.test('a witness slashed below the RN minimum pledge is replaced by the next standby at once', async (t) => {
  const cfg = config()
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const sb = addr('standby')
  await registerCandidate(sm, sb, 1n * NFC)
  await chain.store.setStandby([sb])
  const x = ws[4]!.address
  await chain.store.putNode(x, { pledge: RN_PLEDGE }) // exactly the minimum: any slash takes it below

  const r = await penalizeViolation(sm, x, cfg)
  t.equal(r.trust, 28_700n, 'trust is still far above the threshold')
  t.equal(r.removed, true, 'removed by the slash itself')
  const wv = await readWitnesses(sm)
  t.equal(wv.seats[4], sb, 'the standby holds the seat in the same state: no slot of the round is left to a node that no longer qualifies')
  t.strictSame(wv.standby, [])
  t.equal((await readCandidates(sm)).find((c) => c.address === x)!.removed, true)
  const sched = await chain.schedule(1n)
  t.equal(sched.seats[4], sb)
  t.notOk(sched.seats.includes(x))
  const m = await chain.make(1n)
  t.strictSame(m.begin.removed, [], 'nothing left for the next block to sweep')
})
