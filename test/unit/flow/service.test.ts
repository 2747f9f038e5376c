/**
 * FlowService against an in-memory main chain (FlowChainView) and a real classic-level side
 * store: a member runs the cycle's side-chain, closes it when the head enters the next cycle,
 * signs and gossips the checkpoint, submits it at quorum (alone, or with a peer's signature),
 * refuses outsiders' signatures, rebuilds it when the previous checkpoint lands late, closes a
 * cycle it ran after a restart and resumes a signed one from the database; waits for every member
 * until the signing deadline, then goes with ≥ 2/3; follows a redrawn committee (a reserve node
 * that kept the receipts signs, a node drawn out stops submitting); a non-member forwards, and a member holds receipts of the next
 * cycle until its head enters it; the watcher is told where each receipt came from.
 */
import t, { type Test } from 'tap'
import path from 'node:path'
import { openDatabase } from '../../../src/chain/blockStore.js'
import { checkpointHash, decodeCheckpointCall, recoverCheckpointSigners, signCheckpoint } from '../../../src/flow/checkpoint.js'
import {
  RECEIPT_DOMAIN_TAG,
  ZERO_HASH,
  encodeReceipt,
  receiptHash,
  signReceipt,
  receiptToJson,
  type FlowReceipt,
  type SignedReceipt,
} from '../../../src/flow/receipt.js'
import { verifyOnThread } from '../../../src/flow/sideChain.js'
import { FlowErrorCode } from '../../../src/flow/errors.js'
import { FlowService, quorumOf, type FlowChainView, type FlowServiceOptions } from '../../../src/flow/service.js'
import { SideStore } from '../../../src/flow/sideStore.js'
import { silentLogger } from '../../../src/util/logger.js'
import { devAddress, devKey, tempDir } from '../../helpers/inProcessNode.js'

const CHAIN = 2100n
const CYCLE_MS = 10_000n
/** the service's signing deadline after its cycle ended (genesis flowSignDeadlineSec) */
const SIGN_DEADLINE_MS = 4_000n
const hx = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** the main chain as the service sees it: head, committees, settled sessions, checkpoints */
class FakeChain implements FlowChainView {
  number = 1n
  time = 0n
  committees = new Map<bigint, string[]>()
  last = new Uint8Array(32)
  onChain = new Set<bigint>()
  head() {
    return { number: this.number, timestampMs: this.time }
  }
  cycleAt(t: bigint) {
    return t / CYCLE_MS
  }
  async committee(c: bigint) {
    return this.committees.get(c) ?? []
  }
  /** the nodes a redraw may bring in */
  reserves = new Map<bigint, string[]>()
  async reserve(c: bigint) {
    return this.reserves.get(c) ?? []
  }
  async settled() {
    return { seq: 0n, total: 0n }
  }
  async lastCheckpointHash() {
    return this.last
  }
  async checkpointOnChain(c: bigint) {
    return this.onChain.has(c)
  }
  cycleStartMs(c: bigint) {
    return c * CYCLE_MS
  }
  /** providers that are not pledged / (consumer:provider) pairs without escrow, for the edge tests */
  unpledged = new Set<string>()
  noEscrow = new Set<string>()
  async parties(consumer: string, provider: string) {
    return { providerPledged: !this.unpledged.has(provider), escrow: this.noEscrow.has(`${consumer}:${provider}`) ? 0n : 10n ** 18n }
  }
  /** the next block, at `cycle`'s start + `offset` ms */
  at(cycle: bigint, offset = 0n) {
    this.number++
    this.time = cycle * CYCLE_MS + offset
  }
}

function receipt(cycle: bigint, over: Partial<FlowReceipt> = {}): SignedReceipt {
  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: CHAIN,
    sessionId: new Uint8Array(32).fill(5),
    consumer: devAddress(5),
    provider: devAddress(6),
    relays: [],
    seq: 1n,
    bytesUp: 1000n,
    bytesDown: 2000n,
    sampleRoot: new Uint8Array(32).fill(1),
    prevReceiptHash: ZERO_HASH,
    cycle,
    expiryHeight: 1000n,
    ...over,
  }
  return { ...r, consumerSignature: signReceipt(r, devKey(5)), providerSignature: signReceipt(r, devKey(6)) }
}

async function service(t: Test, chain: FakeChain, key: number | null, dir = path.join(tempDir(t), 'db'), watcher?: FlowServiceOptions['watcher']) {
  const db = await openDatabase(dir)
  t.teardown(() => (db.status === 'open' ? db.close() : undefined))
  const submitted: Uint8Array[] = []
  const signatures: { cycle: bigint; checkpointHash: Uint8Array; signature: Uint8Array }[] = []
  const receipts: Uint8Array[] = []
  const svc = new FlowService({
    chainId: CHAIN,
    key: key === null ? undefined : devKey(key),
    store: new SideStore(db),
    view: chain,
    verify: verifyOnThread,
    submitCheckpoint: async (calldata) => (submitted.push(calldata), new Uint8Array(32)),
    logger: silentLogger,
    now: () => 0,
    maxBytesPerSec: 10n ** 12n,
    blockDelayMs: 5,
    signDeadlineMs: SIGN_DEADLINE_MS,
    watcher,
  })
  svc.gossip = { receipt: (e) => receipts.push(e), signature: (s) => signatures.push(s) }
  t.teardown(() => svc.stop())
  return { svc, db, submitted, signatures, receipts, dir }
}

t.test('quorum of n is ⌈2n/3⌉: at least 2/3 of the committee (DESIGN §12)', async (t) => {
  t.same([1, 2, 3, 4, 6, 7].map(quorumOf), [1, 2, 2, 3, 4, 5])
})

/** heads into `cycle` until a member closes the ended cycle (CLOSE_GRACE_BLOCKS = 3 more heads) */
async function pastGrace(chain: FakeChain, svc: { onHead(): Promise<void> }, cycle: bigint): Promise<void> {
  for (let i = 1n; i <= 3n; i++) {
    chain.at(cycle, i * 10n)
    await svc.onHead()
  }
}

t.test('a lone member: side-chain, close a few blocks into the next cycle, sign, submit', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0)])
  chain.at(1n)
  const { svc, submitted, signatures, receipts } = await service(t, chain, 0)
  await svc.onHead()
  const r = receipt(1n)
  const got = await svc.submitReceipt(receiptToJson(r))
  t.equal(got.height, 1n)
  t.equal(receipts.length, 1, 'gossiped')
  t.equal((await svc.sideChain())!.receipts, 1n)
  chain.at(2n)
  await svc.onHead()
  t.equal(signatures.length, 0, 'the first head of cycle 2: still open for late receipts')
  await pastGrace(chain, svc, 2n)
  t.equal(signatures.length, 1, 'signature gossiped')
  t.equal((await svc.sideChain(1n))!.receipts, 1n, 'a past cycle: the count stored with its head')
  t.equal(submitted.length, 1, 'quorum 1: submitted at once')
  const { checkpoint, signatures: sigs } = decodeCheckpointCall(submitted[0]!)
  t.equal(checkpoint.cycle, 1n)
  t.equal(checkpoint.totalBytes, 3000n)
  t.equal(hx(checkpoint.entries[0]!.receiptHash), hx(receiptHash(r)))
  t.same(recoverCheckpointSigners(checkpoint, CHAIN, sigs), [devAddress(0)])
  chain.at(2n, 1000n)
  await svc.onHead()
  t.equal(submitted.length, 1, 'not sent twice while it is on its way')
  chain.onChain.add(1n)
  chain.at(2n, 2000n)
  await svc.onHead()
  t.equal(submitted.length, 1)
})

t.test('two members: a peer signature completes the quorum; outsiders are refused', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0), devAddress(1)])
  chain.at(1n)
  const { svc, submitted, signatures } = await service(t, chain, 0)
  await svc.onHead()
  await svc.submitReceipt(receiptToJson(receipt(1n)))
  chain.at(2n)
  await svc.onHead()
  await pastGrace(chain, svc, 2n)
  t.equal(submitted.length, 0, 'one of two signatures: waits')
  const mine = signatures[0]!
  const cp = decodeCheckpointCall((await svc['o'].store.checkpoint(1n))!.encoded).checkpoint
  t.equal(hx(checkpointHash(cp, CHAIN)), hx(mine.checkpointHash))
  await t.rejects(svc.onPeerSignature({ cycle: 1n, checkpointHash: mine.checkpointHash, signature: signCheckpoint(cp, CHAIN, devKey(9)) }), {
    code: 'FLOW_NOT_COMMITTEE',
  })
  t.equal(await svc.onPeerSignature({ cycle: 1n, checkpointHash: mine.checkpointHash, signature: signCheckpoint(cp, CHAIN, devKey(1)) }), 'relay')
  t.equal(submitted.length, 1, 'submitted with two signatures')
  t.same(recoverCheckpointSigners(cp, CHAIN, decodeCheckpointCall(submitted[0]!).signatures), [devAddress(0), devAddress(1)], 'in committee order')
})

t.test('one absent member of three does not stop the checkpoint: skipped at the deadline (E2)', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0), devAddress(1), devAddress(2)])
  chain.at(1n)
  const { svc, submitted, signatures } = await service(t, chain, 0)
  await svc.onHead()
  await svc.submitReceipt(receiptToJson(receipt(1n)))
  chain.at(2n)
  await svc.onHead()
  await pastGrace(chain, svc, 2n)
  const cp = decodeCheckpointCall((await svc['o'].store.checkpoint(1n))!.encoded).checkpoint
  await svc.onPeerSignature({ cycle: 1n, checkpointHash: signatures[0]!.checkpointHash, signature: signCheckpoint(cp, CHAIN, devKey(1)) })
  t.equal(submitted.length, 0, 'two of three before the deadline: waits for the third member')
  // devAddress(2) never signs: past the deadline the two that did are enough (≥ 2/3)
  for (let i = 0; i < 5; i++) {
    chain.at(2n, SIGN_DEADLINE_MS + 100n + BigInt(i) * 10n)
    await svc.onHead()
  }
  t.equal(submitted.length, 1, 'submitted without the absent member')
  t.same(recoverCheckpointSigners(cp, CHAIN, decodeCheckpointCall(submitted[0]!).signatures), [devAddress(0), devAddress(1)])
})

t.test('a checkpoint built before its predecessor landed is rebuilt and signed again', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0), devAddress(1)])
  chain.at(1n)
  const { svc, signatures } = await service(t, chain, 0)
  await svc.onHead()
  await svc.submitReceipt(receiptToJson(receipt(1n)))
  chain.at(2n)
  await svc.onHead()
  await pastGrace(chain, svc, 2n)
  const first = signatures[0]!
  chain.last = new Uint8Array(32).fill(0xaa) // another checkpoint landed in between
  chain.at(2n, 1000n)
  await svc.onHead()
  t.equal(signatures.length, 2, 'signed again')
  t.not(hx(signatures[1]!.checkpointHash), hx(first.checkpointHash))
  const cp = decodeCheckpointCall((await svc['o'].store.checkpoint(1n))!.encoded).checkpoint
  t.equal(hx(cp.prevCheckpoint), 'aa'.repeat(32), 'names the new previous checkpoint')
})

t.test('after a restart a member closes the cycle it ran', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0)])
  chain.at(1n)
  const a = await service(t, chain, 0)
  await a.svc.onHead()
  await a.svc.submitReceipt(receiptToJson(receipt(1n)))
  await a.svc.stop()
  await a.db.close()
  chain.at(2n)
  const b = await service(t, chain, 0, a.dir)
  await b.svc.onHead()
  t.equal(b.submitted.length, 1, 'closed, signed and submitted cycle 1 on start')
  t.equal(decodeCheckpointCall(b.submitted[0]!).checkpoint.cycle, 1n)
})

t.test('after a restart the signed checkpoint and its signatures come back from the database', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0), devAddress(1), devAddress(2)])
  chain.at(1n)
  const a = await service(t, chain, 0)
  await a.svc.onHead()
  await a.svc.submitReceipt(receiptToJson(receipt(1n)))
  chain.at(2n)
  await a.svc.onHead()
  await pastGrace(chain, a.svc, 2n)
  const cp = decodeCheckpointCall((await a.svc['o'].store.checkpoint(1n))!.encoded).checkpoint
  const hash = a.signatures[0]!.checkpointHash
  await a.svc.onPeerSignature({ cycle: 1n, checkpointHash: hash, signature: signCheckpoint(cp, CHAIN, devKey(1)) })
  t.equal(a.submitted.length, 0, 'two of three before the deadline')
  await a.svc.stop()
  await a.db.close()
  const b = await service(t, chain, 0, a.dir)
  chain.at(2n, 200n)
  await b.svc.onHead()
  t.equal(b.submitted.length, 0, 'still before the deadline')
  await b.svc.onPeerSignature({ cycle: 1n, checkpointHash: hash, signature: signCheckpoint(cp, CHAIN, devKey(2)) })
  t.equal(b.submitted.length, 1, 'the third signature completes the stored two: submitted')
  t.same(recoverCheckpointSigners(cp, CHAIN, decodeCheckpointCall(b.submitted[0]!).signatures), [devAddress(0), devAddress(1), devAddress(2)])
})

t.test('redrawn out of the committee: a node stops submitting (the new members do, with its signature)', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0), devAddress(1)])
  chain.at(1n)
  const { svc, submitted, signatures } = await service(t, chain, 0)
  await svc.onHead()
  await svc.submitReceipt(receiptToJson(receipt(1n)))
  chain.at(2n)
  await svc.onHead()
  await pastGrace(chain, svc, 2n)
  t.equal(signatures.length, 1, 'signed and gossiped while a member')
  chain.at(2n, SIGN_DEADLINE_MS + 100n)
  await svc.onHead()
  t.equal(submitted.length, 0, 'one of two past the deadline: no quorum')
  chain.committees.set(1n, [devAddress(3), devAddress(4)])
  chain.at(2n, SIGN_DEADLINE_MS + 200n)
  await svc.onHead()
  t.equal(submitted.length, 0, 'no longer a member: it leaves the submission to the new round')
})

t.test('a reserve node keeps the receipts, builds the checkpoint unsigned, and signs once a redraw makes it a member', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(1), devAddress(2)])
  chain.reserves.set(1n, [devAddress(0)])
  chain.at(1n)
  const { svc, submitted, signatures } = await service(t, chain, 0)
  await svc.onHead()
  const got = await svc.submitReceipt(receiptToJson(receipt(1n)))
  t.equal(got.height, 1n, 'taken into its own copy of the side-chain')
  chain.at(2n)
  await svc.onHead()
  await pastGrace(chain, svc, 2n)
  t.equal(signatures.length, 0, 'not a member: nothing signed')
  const stored = await svc['o'].store.checkpoint(1n)
  const cp = decodeCheckpointCall(stored!.encoded).checkpoint
  t.equal(cp.totalBytes, 3000n, 'the checkpoint is built')
  t.equal(await svc.onPeerSignature({ cycle: 1n, checkpointHash: stored!.checkpointHash, signature: signCheckpoint(cp, CHAIN, devKey(1)) }), 'relay')
  chain.at(2n, SIGN_DEADLINE_MS + 100n)
  await svc.onHead()
  t.equal(submitted.length, 0, 'one of two past the deadline, and no member here: nothing sent')
  chain.committees.set(1n, [devAddress(0), devAddress(3)])
  chain.at(2n, SIGN_DEADLINE_MS + 200n)
  await svc.onHead()
  t.equal(signatures.length, 1, 'redrawn into the committee: signed and gossiped')
  await svc.onPeerSignature({ cycle: 1n, checkpointHash: stored!.checkpointHash, signature: signCheckpoint(cp, CHAIN, devKey(3)) })
  t.equal(submitted.length, 1)
  t.same(
    recoverCheckpointSigners(cp, CHAIN, decodeCheckpointCall(submitted[0]!).signatures),
    [devAddress(0), devAddress(3), devAddress(1)],
    'the new round, then the earlier signer',
  )
})

t.test('a non-member forwards; a member holds next-cycle receipts from peers until it gets there', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0)])
  chain.committees.set(2n, [devAddress(0)])
  chain.at(1n)
  const outsider = await service(t, chain, 3)
  await outsider.svc.onHead()
  const fwd = await outsider.svc.submitReceipt(receiptToJson(receipt(1n)))
  t.equal(fwd.height, null, 'forwarded')
  t.equal(outsider.receipts.length, 1)
  await t.rejects(
    outsider.svc.submitReceipt(receiptToJson({ ...receipt(1n), bytesDown: 9999n })),
    { code: 'FLOW_BAD_SIGNATURE' },
    'a tampered total is caught before forwarding',
  )
  t.equal(outsider.receipts.length, 1, 'and not gossiped')

  const member = await service(t, chain, 0)
  await member.svc.onHead()
  const early = receipt(2n, { sessionId: new Uint8Array(32).fill(8) })
  t.equal(await member.svc.onPeerReceipt(encodeReceipt(early)), 'relay', 'next cycle: held and relayed')
  await t.rejects(member.svc.submitReceipt(receiptToJson(receipt(2n))), { code: 'FLOW_WRONG_CYCLE' }, 'over RPC the next cycle is refused')
  chain.at(2n)
  await member.svc.onHead()
  await member.svc['current']!.side!.flush()
  t.equal((await member.svc.session(early.sessionId))?.lastSeq, 1n, 'the held receipt went in when cycle 2 opened')
})

t.test('a receipt of the ended cycle that arrives in the grace blocks is in its checkpoint', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0)])
  chain.committees.set(2n, [devAddress(0)])
  chain.at(1n)
  const { svc, submitted } = await service(t, chain, 0)
  await svc.onHead()
  await svc.submitReceipt(receiptToJson(receipt(1n)))
  chain.at(2n)
  await svc.onHead()
  // gossiped at the very end of cycle 1, it reaches this member after its head entered cycle 2
  const late = receipt(1n, { sessionId: new Uint8Array(32).fill(9) })
  t.equal(await svc.onPeerReceipt(encodeReceipt(late)), 'relay', 'taken by the ended cycle')
  await pastGrace(chain, svc, 2n)
  t.equal(submitted.length, 1)
  const { checkpoint } = decodeCheckpointCall(submitted[0]!)
  t.equal(checkpoint.cycle, 1n)
  t.equal(checkpoint.entries.length, 2, 'both sessions, the late one too')
  await t.rejects(
    svc.submitReceipt(receiptToJson(receipt(1n, { sessionId: new Uint8Array(32).fill(7) }))),
    { code: 'FLOW_WRONG_CYCLE' },
    'after the close: refused',
  )
})

t.test('the watcher is told where each receipt came from: rpc, or the peer that sent it', async (t) => {
  const chain = new FakeChain()
  chain.at(1n)
  const seen: [string, string | undefined][] = []
  const watcher = {
    see: (sr: SignedReceipt, source?: string) => void seen.push([hx(receiptHash(sr)), source]),
    signedByParties: () => {},
    onHead: async () => {},
  }
  const { svc } = await service(t, chain, null, undefined, watcher)
  await svc.onHead()
  const good = receipt(1n)
  const forged = { ...receipt(1n, { sessionId: new Uint8Array(32).fill(8) }), bytesDown: 9999n }
  await svc.submitReceipt(receiptToJson(good))
  t.equal(await svc.onPeerReceipt(encodeReceipt(good), 'ab12'), 'relay')
  await t.rejects(svc.onPeerReceipt(encodeReceipt(forged), 'cd34'), { code: 'FLOW_BAD_SIGNATURE' })
  await svc.onPeerReceipt(encodeReceipt(good))
  t.same(
    seen,
    [
      [hx(receiptHash(good)), 'rpc'],
      [hx(receiptHash(good)), 'peer:ab12'],
      [hx(receiptHash(forged)), 'peer:cd34'],
      [hx(receiptHash(good)), 'peer'],
    ],
    'flow_submitReceipt: rpc; a peer receipt, refused too: peer:<its id>; without an id: peer',
  )
})

t.test('the edge refuses receipts of an unpledged provider, without escrow, or past uint64, before they cost any work', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0)])
  chain.at(1n)
  const seen: string[] = []
  const { svc, receipts } = await service(t, chain, 0, undefined, {
    see: (sr) => seen.push(hx(receiptHash(sr))),
    signedByParties: () => {},
    onHead: async () => {},
  })
  await svc.onHead()
  const refused = async (r: SignedReceipt, code: string, what: string) => {
    try {
      await svc.submitReceipt(receiptToJson(r))
      t.fail(`${what}: accepted`)
    } catch (e) {
      t.equal((e as { code?: string }).code, code, what)
    }
  }
  chain.unpledged.add(devAddress(6))
  await refused(receipt(1n), FlowErrorCode.FLOW_NOT_PLEDGED, 'a provider that is not a pledged node')
  t.equal(await svc.onPeerReceipt(encodeReceipt(receipt(1n)), 'p1'), 'drop', 'the same from a peer: dropped, not relayed')
  chain.unpledged.clear()
  chain.noEscrow.add(`${devAddress(5)}:${devAddress(6)}`)
  await refused(receipt(1n), FlowErrorCode.FLOW_NO_ESCROW, 'a consumer with no NB escrow for the provider')
  chain.noEscrow.clear()
  await refused(receipt(1n, { bytesUp: 2n ** 256n - 1n, bytesDown: 0n }), FlowErrorCode.FLOW_OUT_OF_BOUNDS, 'a 2^256−1 running total')
  t.equal(receipts.length, 0, 'nothing refused was gossiped')
  t.equal((await svc.sideChain())!.receipts, 0n, 'nothing refused reached the side-chain')
  t.ok(seen.length >= 3, 'the watcher still saw them (it keeps evidence of what arrived)')
  t.equal((await svc.submitReceipt(receiptToJson(receipt(1n)))).height, 1n, 'the honest receipt of a pledged, escrowed pair goes in')
})

t.test('a node outside the committee refuses an unpledged provider or an unescrowed pair too: nothing reaches the committee', async (t) => {
  const chain = new FakeChain()
  chain.committees.set(1n, [devAddress(0)])
  chain.at(1n)
  const { svc, receipts } = await service(t, chain, 3)
  await svc.onHead()
  chain.unpledged.add(devAddress(6))
  await t.rejects(svc.submitReceipt(receiptToJson(receipt(1n))), { code: FlowErrorCode.FLOW_NOT_PLEDGED }, 'unpledged provider over RPC')
  t.equal(await svc.onPeerReceipt(encodeReceipt(receipt(1n)), 'p1'), 'drop', 'from a peer: dropped, not relayed')
  chain.unpledged.clear()
  chain.noEscrow.add(`${devAddress(5)}:${devAddress(6)}`)
  await t.rejects(svc.submitReceipt(receiptToJson(receipt(1n))), { code: FlowErrorCode.FLOW_NO_ESCROW }, 'no NB escrow over RPC')
  // the parties come before the signatures here as at a member: a forged one costs no recovery
  const forged = { ...receipt(1n), providerSignature: receipt(1n, { seq: 9n }).providerSignature }
  await t.rejects(svc.submitReceipt(receiptToJson(forged)), { code: FlowErrorCode.FLOW_NO_ESCROW }, 'parties before signatures')
  t.equal(receipts.length, 0, 'nothing refused was forwarded')
  chain.noEscrow.clear()
  t.equal((await svc.submitReceipt(receiptToJson(receipt(1n)))).height, null, 'a pledged, escrowed pair is forwarded')
  t.equal(receipts.length, 1)
})
