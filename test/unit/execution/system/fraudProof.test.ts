/**
 * Evidence.submitFraudProof and the slice challenge-response through real transactions: a bad
 * checkpoint entry is voided inside the window and its signers are penalised; proofs after the
 * window, from outsiders or proving nothing are refused; an answered slice challenge keeps the
 * entry, an unanswered one voids it at application.
 */
import t from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { getAddress } from 'ethers'
import { EVIDENCE_ALREADY_APPLIED, evidenceRefusal } from '../../../../src/execution/system/evidencePrecheck.js'
import { TRUST_VIOLATION } from '../../../../src/consensus/dpos/params.js'
import { Challenge, EntryStatus } from '../../../../src/consensus/povf/store.js'
import { encodeFraudProof, FraudKind, type FraudProof } from '../../../../src/flow/fraudProof.js'
import { makeOpening, openingIndex, openingSeed, sampleRootOf } from '../../../../src/flow/sampling.js'
import { devKey } from '../../../helpers/inProcessNode.js'
import { CFG, EVIDENCE, eventsOf, hexOf, NODE_REGISTRY, outcome, registryIface, SHARED_POOL } from '../../../helpers/systemVm.js'
import {
  blockHashOf,
  checkpointData,
  CONSUMER,
  cycleStart,
  entryOf,
  evidenceIface2 as E,
  FLOW,
  FLOW_REWARDS,
  flowEnv,
  flowIface as F,
  receipt,
  type FlowEnv,
} from './flowEnv.js'
import { core } from '../../../../src/core/index.js'
import type { CheckpointEntry } from '../../../../src/flow/checkpoint.js'

const ZERO = new Uint8Array(32)
const NB1 = 10n ** 18n
const AUDITOR = 8

/** committee of cycle 0 = RNs 1–4; RN 8 pledged after the draw (an auditor outside it); clock in cycle 1 */
async function ready(): Promise<FlowEnv> {
  const env = await flowEnv()
  await env.emptyBlock()
  const p = await env.send(AUDITOR, NODE_REGISTRY, registryIface.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })
  if (outcome(p) !== 'ok') throw new Error('pledge')
  await env.nb.mint(hexOf(CONSUMER), NB1)
  env.at(cycleStart(1n) + 10_000n)
  return env
}

async function submit(env: FlowEnv, entries: CheckpointEntry[], signers = [1, 2, 3]): Promise<void> {
  const com = (await env.fs.committee(0n).all()).map((a) => [1, 2, 3, 4].find((i) => hexOf(i) === a)!)
  const r = await env.tx(
    9,
    FLOW_REWARDS,
    checkpointData(
      0n,
      ZERO,
      entries,
      signers.filter((s) => com.includes(s)),
    ),
  )
  if (outcome(r) !== 'ok') throw new Error(`submit: ${outcome(r)}`)
}

const proofData = (p: FraudProof) => E.encodeFunctionData('submitFraudProof', [encodeFraudProof(p)])

t.test('a forged consumer signature: caught inside the window, entry voided, signers penalised', async (t) => {
  const env = await ready()
  const forged = receipt({}, { consumer: devKey(0) })
  await submit(env, [entryOf(forged)])
  const sharedBefore = await env.balance(SHARED_POOL)
  const proof: FraudProof = { kind: FraudKind.BadSignature, cycle: 0n, entryIndex: 0, receipt: forged }

  t.equal(outcome(await env.tx(9, EVIDENCE, proofData(proof))), 'revert: sender is not an active RN or CN')
  t.equal(outcome(await env.tx(AUDITOR, EVIDENCE, E.encodeFunctionData('submitFraudProof', ['0x12']))).startsWith('revert: invalid fraud proof'), true)
  const honest = receipt({ sessionId: new Uint8Array(32).fill(9) })
  t.match(outcome(await env.tx(AUDITOR, EVIDENCE, proofData({ ...proof, receipt: honest }))), /fraud not proven: the receipt is not the entry's receipt/)

  t.equal(await evidenceRefusal(env.sm, hexToBytes(proofData(proof) as `0x${string}`), CFG), undefined, 'a live entry: the pool lets the proof in')
  const r = await env.tx(AUDITOR, EVIDENCE, proofData(proof))
  t.equal(outcome(r), 'ok')
  const slashed = (CFG.rnPledge * CFG.evidenceSlashBps) / 10_000n
  const ev = eventsOf(E, r)
  t.same(ev[0], { name: 'FraudProven', args: [0n, 0n, 1n] })
  t.same(
    ev.slice(1).map((e) => e.args[0]),
    [1, 2, 3].map((i) => getAddress(hexOf(i))).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
    'every signer, in address order',
  )
  for (const i of [1, 2, 3]) {
    t.equal(await env.store.getCandidateField(hexOf(i), 'trust'), TRUST_VIOLATION, `signer ${i}: −100 trust`)
    t.equal((await env.store.getNode(hexOf(i))).pledge, CFG.rnPledge - slashed, `signer ${i}: pledge slashed`)
  }
  t.equal((await env.store.getNode(hexOf(4))).pledge, CFG.rnPledge, 'a member who did not sign keeps its pledge')
  t.equal(await env.balance(SHARED_POOL), sharedBefore + 3n * slashed, 'the slices go to the shared pool')
  t.equal((await env.fs.getEntry(0n, 0n)).status, EntryStatus.Voided)
  t.strictSame(await env.fs.getSession(forged.sessionId), { seq: 0n, total: 0n }, 'settled totals rolled back')
  t.equal(outcome(await env.tx(AUDITOR, EVIDENCE, proofData(proof))), 'revert: entry already voided')
  t.equal(await evidenceRefusal(env.sm, hexToBytes(proofData(proof) as `0x${string}`), CFG), EVIDENCE_ALREADY_APPLIED, 'the pool refuses it first')

  env.at((await env.fs.getCheckpoint(0n)).challengeEndsMs)
  const applied = (await env.emptyBlock()).applied
  t.strictSame(applied[0]!.pairs, [], 'no reward for a voided entry')
  t.equal(await env.balance(FLOW_REWARDS), 0n)
  t.equal(await env.nb.balanceOf(hexOf(CONSUMER)), NB1, 'no fuel burned either')
})

t.test('inflated entry and duplicate seq are proven; proofs after the window are refused', async (t) => {
  const env = await ready()
  const r1 = receipt()
  const r2 = receipt({ sessionId: core.keccak256(new TextEncoder().encode('session 2')) })
  const inflated = entryOf(r1, 0n, { total: 9n * 10n ** 9n })
  await submit(
    env,
    [inflated, entryOf(r2)].sort((a, b) => Buffer.compare(Buffer.from(a.sessionId), Buffer.from(b.sessionId))),
  )
  const idx = async (sid: Uint8Array) => {
    for (let i = 0n; i < 2n; i++) if (Buffer.compare(Buffer.from((await env.fs.getEntry(0n, i)).sessionId), Buffer.from(sid)) === 0) return Number(i)
    throw new Error('entry')
  }
  const i1 = await idx(r1.sessionId)
  const i2 = await idx(r2.sessionId)
  t.equal(
    outcome(await env.tx(AUDITOR, EVIDENCE, proofData({ kind: FraudKind.Inflated, cycle: 0n, entryIndex: i2, receipt: r2 }))),
    'revert: fraud not proven: the entry matches its receipt',
  )
  const r = await env.tx(AUDITOR, EVIDENCE, proofData({ kind: FraudKind.Inflated, cycle: 0n, entryIndex: i1, receipt: r1 }))
  t.equal(outcome(r), 'ok')
  t.equal(eventsOf(E, r).filter((e) => e.name === 'SignerPenalized').length, 3)

  const second = receipt({ sessionId: r2.sessionId, bytesDown: 1n })
  const d = await env.tx(AUDITOR, EVIDENCE, proofData({ kind: FraudKind.DuplicateSeq, cycle: 0n, entryIndex: i2, receipt: r2, second }))
  t.equal(outcome(d), 'ok', 'a second receipt with the same seq and other totals')
  t.strictSame(
    eventsOf(E, d).map((e) => e.name),
    ['FraudProven'],
    'signers are penalised once per checkpoint',
  )
  t.equal(await env.store.getCandidateField(hexOf(1), 'trust'), TRUST_VIOLATION)

  // a fresh bad entry in cycle 1, proven only after its window: refused
  env.at(cycleStart(2n) + 10_000n)
  const com1 = (await env.fs.committee(1n).all()).map((a) => [1, 2, 3, 4, 8].find((i) => hexOf(i) === a)!)
  const forged = receipt({ seq: 5n, cycle: 1n }, { consumer: devKey(0) })
  const prev = (await env.fs.getCheckpoint(0n)).hash
  t.equal(outcome(await env.tx(9, FLOW_REWARDS, checkpointData(1n, prev, [entryOf(forged)], com1.slice(0, 4)))), 'ok')
  env.at((await env.fs.getCheckpoint(1n)).challengeEndsMs)
  const late = await env.tx(AUDITOR, EVIDENCE, proofData({ kind: FraudKind.BadSignature, cycle: 1n, entryIndex: 0, receipt: forged }))
  t.equal(outcome(late), 'revert: checkpoint is not pending', 'applied at the first block of the window end')
  t.equal((await env.fs.getEntry(1n, 0n)).status, EntryStatus.Live)
})

t.test('slice challenge: answered keeps the entry, unanswered voids it', async (t) => {
  const env = await ready()
  const slices = Array.from({ length: 5 }, (_, i) => ({ pktSeq: 100 + i, slice: new TextEncoder().encode(`payload ${i}`) }))
  const merkleRoot = makeOpening(slices, 0).merkleRoot
  const sampleRoot = sampleRootOf(merkleRoot, slices.length)
  const ra = receipt({ sampleRoot, sessionId: core.keccak256(new TextEncoder().encode('answered')) })
  const ru = receipt({ sampleRoot, sessionId: core.keccak256(new TextEncoder().encode('unanswered')) })
  const entries = [entryOf(ra), entryOf(ru)].sort((a, b) => Buffer.compare(Buffer.from(a.sessionId), Buffer.from(b.sessionId)))
  await submit(env, entries)
  const committedAt = env.number - 1n
  const ia = Buffer.compare(Buffer.from(entries[0]!.sessionId), Buffer.from(ra.sessionId)) === 0 ? 0n : 1n
  const iu = 1n - ia
  const challenge = (i: bigint, from = AUDITOR) => env.tx(from, EVIDENCE, E.encodeFunctionData('challengeSlice', [0n, i]))

  t.equal(outcome(await challenge(ia)), 'revert: the sample seed block is not known yet', 'block committedAt + 1')
  await env.emptyBlock()
  await env.emptyBlock() // committedAt + 3 = the seed block
  t.equal(outcome(await challenge(ia, 9)), 'revert: sender is not an active RN or CN')
  const c = await challenge(ia) // block committedAt + 4 records the hash of committedAt + 3 first
  t.equal(outcome(c), 'ok')
  t.same(eventsOf(E, c), [{ name: 'SliceChallenged', args: [0n, ia, getAddress(hexOf(AUDITOR))] }])
  t.equal(outcome(await challenge(ia)), 'revert: entry already challenged')
  t.equal(outcome(await challenge(iu)), 'ok')
  t.equal(outcome(await challenge(7n)), 'revert: no such entry')

  const cp = await env.fs.getCheckpoint(0n)
  t.same(cp.seedHash, blockHashOf(committedAt + FLOW.sampleLagBlocks), 'seed = hash of block committedAt + k')
  const index = openingIndex(openingSeed(cp.seedHash, ra.sessionId, ra.seq), slices.length)
  const open = (o: ReturnType<typeof makeOpening>, i = ia) =>
    env.tx(6, FLOW_REWARDS, F.encodeFunctionData('openSlice', [0n, i, o.pktSeq, o.slice, o.merkleRoot, o.count, o.proof]))
  t.equal(outcome(await open(makeOpening(slices, (index + 1) % slices.length))), 'revert: opening does not match the sample root', 'another leaf')
  const ok = await open(makeOpening(slices, index))
  t.equal(outcome(ok), 'ok')
  t.same(eventsOf(F, ok), [{ name: 'SliceOpened', args: [0n, ia, BigInt(index)] }])
  t.equal((await env.fs.getEntry(0n, ia)).challenge, Challenge.Answered)
  t.equal(outcome(await open(makeOpening(slices, index))), 'revert: no open challenge on this entry')

  env.at(cp.challengeEndsMs - FLOW.challengeMs / 2n)
  t.match(outcome(await challenge(iu)), /too late to challenge|already challenged/)

  env.at(cp.challengeEndsMs)
  const applied = (await env.emptyBlock()).applied[0]!
  t.strictSame(applied.voided, [iu], 'the unanswered entry is voided at application')
  t.equal(applied.pairs.length, 1)
  t.equal(applied.pairs[0]!.counted, 4n * 10n ** 9n, 'only the answered entry counts')
  t.ok(applied.pairs[0]!.reward > 0n)
  t.strictSame(await env.fs.getSession(ru.sessionId), { seq: 0n, total: 0n })
})
