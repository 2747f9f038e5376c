/**
 * FlowWatcher against an in-memory main chain (FlowWatchView) with real signed receipts: each
 * fraud kind the cache holds is proven and submitted once, with calldata that decodes and that
 * checkFraud proves; honest, voided, unknown and out-of-window entries draw nothing; a proof is
 * sent again RESUBMIT_BLOCKS later only while its entry is live and the window open; nothing
 * goes out without the RN/CN right; a failed send is logged and retried; the cache forgets the
 * oldest receipt of the source holding the most first (a flood from one source evicts only its
 * own; one source is oldest-first; ties go to the smaller source string; the (session, seq) index
 * forgets with it), and a proof already found is still sent. Cost: a checkpoint's entries are
 * read and proven once (the fake view counts the calls, `provesRun` the proofs); a head with
 * nothing new reads headers only; a receipt arriving later re-proves only the entries it concerns
 * (its own, or DuplicateSeq by session and seq); a checkpoint replaced in its cycle is read again;
 * at most MAX_WATCHED_CHECKPOINTS are held. The flow service shows the watcher every receipt that
 * decodes, refused ones too, without changing how it answers, and survives a failing watcher.
 */
import t from 'tap'
import path from 'node:path'
import { openDatabase } from '../../../src/chain/blockStore.js'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { core } from '../../../src/core/index.js'
import { entryOfReceipt } from '../../../src/flow/checkpoint.js'
import { checkFraud, decodeFraudProof, FraudKind, type FraudProof } from '../../../src/flow/fraudProof.js'
import {
  RECEIPT_DOMAIN_TAG,
  encodeReceipt,
  hexOf,
  receiptHash,
  receiptToJson,
  signReceipt,
  type FlowReceipt,
  type SignedReceipt,
} from '../../../src/flow/receipt.js'
import { FlowService } from '../../../src/flow/service.js'
import { verifyOnThread, type SignatureVerifier } from '../../../src/flow/sideChain.js'
import { SideStore } from '../../../src/flow/sideStore.js'
import { tempDir } from '../../helpers/inProcessNode.js'
import { auditSelected, EMPTY_SAMPLE_ROOT } from '../../../src/flow/sampling.js'
import {
  CHALLENGE_SLICE_GAS,
  fraudProofGas,
  FlowWatcher,
  MAX_WATCHED_CHECKPOINTS,
  RESUBMIT_BLOCKS,
  type FlowWatchView,
  type PendingCheckpoint,
  type WatchedEntry,
} from '../../../src/flow/watcher.js'
import type { Logger } from '../../../src/util/logger.js'

const h = (s: string): Uint8Array => core.keccak256(new TextEncoder().encode(s))
const addrOfKey = (k: Uint8Array): string => hexOf(addressOf(publicKeyOf(k)))
const cKey = h('consumer')
const pKey = h('provider')
const consumer = addrOfKey(cKey)
const provider = addrOfKey(pKey)

function receipt(over: Partial<FlowReceipt> = {}, keys: { c?: Uint8Array; p?: Uint8Array } = {}): SignedReceipt {
  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 2100n,
    sessionId: h('session'),
    consumer,
    provider,
    relays: [],
    seq: 3n,
    bytesUp: 1_000n,
    bytesDown: 9_000n,
    sampleRoot: h('samples'),
    prevReceiptHash: h('prev'),
    cycle: 4n,
    expiryHeight: 1_000n,
    ...over,
  }
  return { ...r, consumerSignature: signReceipt(r, keys.c ?? cKey), providerSignature: signReceipt(r, keys.p ?? pKey) }
}

function entryOf(r: SignedReceipt, over: Partial<WatchedEntry> = {}): WatchedEntry {
  return { ...entryOfReceipt(r, 0n), status: 'live', ...over }
}

/** a pending checkpoint of the fake chain: its header and its entries */
interface FakeCheckpoint extends PendingCheckpoint {
  entries: WatchedEntry[]
}

/** the main chain as the watcher sees it, counting what the watcher asks */
class FakeChain implements FlowWatchView {
  number = 10n
  time = 100_000n
  checkpoints: FakeCheckpoint[] = []
  allowed = true
  allowedReads = 0
  calls = { pendingCheckpoints: 0, entries: 0, entryLive: 0, entryUnchallenged: 0 }
  /** `${cycle}:${index}` of the entries challenged on chain */
  challenged = new Set<string>()
  head() {
    return { number: this.number, timestampMs: this.time }
  }
  async pendingCheckpoints() {
    this.calls.pendingCheckpoints++
    return this.checkpoints.map(({ entries: _, ...header }) => header)
  }
  async entries(cycle: bigint) {
    this.calls.entries++
    return this.checkpoints.find((c) => c.cycle === cycle)?.entries ?? []
  }
  async entryLive(cycle: bigint, index: number) {
    this.calls.entryLive++
    return this.checkpoints.find((c) => c.cycle === cycle)?.entries[index]?.status === 'live'
  }
  async entryUnchallenged(cycle: bigint, index: number) {
    this.calls.entryUnchallenged++
    return (await this.entryLive(cycle, index)) && !this.challenged.has(`${cycle}:${index}`)
  }
  async canSubmitEvidence() {
    this.allowedReads++
    return this.allowed
  }
  next(blocks = 1n) {
    this.number += blocks
    this.time += blocks * 1_000n
  }
}

interface Sent {
  proof: FraudProof
  calldata: Uint8Array
  gas: bigint
}

function recordingLogger() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = []
  const logger: Logger = {
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
    child: () => logger,
  }
  return { logger, lines }
}

interface Challenged {
  cycle: bigint
  entryIndex: number
  gas: bigint
}

function setup(opts: { maxReceipts?: number; leadMs?: bigint; verify?: SignatureVerifier; audit?: { auditor: string; auditBps: number } } = {}) {
  const chain = new FakeChain()
  const sent: Sent[] = []
  const challenges: Challenged[] = []
  const { logger, lines } = recordingLogger()
  let fail = 0
  const { audit, ...rest } = opts
  const watcher = new FlowWatcher({
    view: chain,
    submitEvidence: async (calldata, gas) => {
      if (fail > 0) {
        fail--
        throw new Error('pool refused it')
      }
      sent.push({ proof: decodeFraudProof(calldata), calldata, gas })
      return h(`tx ${sent.length}`)
    },
    logger,
    ...rest,
    ...(audit === undefined
      ? {}
      : {
          audit: {
            ...audit,
            challengeSlice: async (cycle: bigint, entryIndex: number, gas: bigint) => {
              if (fail > 0) {
                fail--
                throw new Error('pool refused it')
              }
              challenges.push({ cycle, entryIndex, gas })
              return h(`challenge ${challenges.length}`)
            },
          },
        }),
  })
  return { chain, watcher, sent, challenges, lines, failNext: (n = 1) => (fail = n) }
}

const checkpoint = (cycle: bigint, entries: WatchedEntry[], challengeEndsMs = 130_000n, signers = 3, name = 'a'): FakeCheckpoint => ({
  cycle,
  checkpointHash: hexOf(h(`checkpoint ${cycle} ${name}`)),
  challengeEndsMs,
  signers,
  entries,
})

const hx = (b: Uint8Array) => Buffer.from(b).toString('hex')

t.test('each kind is detected, submitted once, and proves on the entry', async (t) => {
  const { chain, watcher, sent, lines } = setup()
  const honest = receipt({ sessionId: h('honest') })
  const forged = receipt({ sessionId: h('forged') }, { c: h('mallory') })
  const inflatedSrc = receipt({ sessionId: h('inflated') })
  const dup = receipt({ sessionId: h('dup') })
  const dupSecond = receipt({ sessionId: h('dup'), bytesDown: 1n, prevReceiptHash: h('other') })
  for (const r of [honest, forged, inflatedSrc, dup, dupSecond]) watcher.see(r)
  t.equal(watcher.size, 5)

  const entries = [entryOf(honest), entryOf(forged), entryOf(inflatedSrc, { total: 10n ** 12n }), entryOf(dup)]
  chain.checkpoints = [checkpoint(4n, entries)]
  await watcher.onHead()

  t.same(
    sent.map((s) => [s.proof.entryIndex, s.proof.kind]),
    [
      [1, FraudKind.BadSignature],
      [2, FraudKind.Inflated],
      [3, FraudKind.DuplicateSeq],
    ],
    'the honest entry draws nothing; the others in entry order',
  )
  for (const s of sent) {
    t.equal(s.proof.cycle, 4n)
    t.same(checkFraud(s.proof, entries[s.proof.entryIndex]!), { proven: true }, `entry ${s.proof.entryIndex}: the decoded calldata proves fraud`)
    t.equal(s.gas, fraudProofGas(s.calldata, 3), 'gas from the Evidence table')
    t.ok(s.gas > ((80_000n + 3n * 30_000n + 21_000n) * 3n) / 2n, 'with headroom above the execution + intrinsic cost')
  }
  t.equal(hx(receiptHash(sent[2]!.proof.second!)), hx(receiptHash(dupSecond)), 'DuplicateSeq carries the other receipt of the seq')
  t.same(
    lines.filter((l) => l.level === 'info').map((l) => [l.msg, l.fields?.kind]),
    [
      ['submitted a flow fraud proof', 'BadSignature'],
      ['submitted a flow fraud proof', 'Inflated'],
      ['submitted a flow fraud proof', 'DuplicateSeq'],
    ],
  )

  chain.next()
  await watcher.onHead()
  t.equal(sent.length, 3, 'not sent again on the next head')
})

t.test('honest, unknown, voided and out-of-window entries draw nothing', async (t) => {
  const { chain, watcher, sent } = setup({ leadMs: 1_000n })
  const honest = receipt({ sessionId: h('a') })
  const forged = receipt({ sessionId: h('b') }, { c: h('mallory') })
  const unseen = receipt({ sessionId: h('c') }, { c: h('mallory') })
  const sameTotals = receipt({ sessionId: h('a'), prevReceiptHash: h('x') }) // same seq, same totals: no DuplicateSeq
  watcher.see(honest)
  watcher.see(forged)
  watcher.see(sameTotals)

  chain.checkpoints = [
    checkpoint(4n, [entryOf(honest), entryOf(unseen), entryOf(forged, { status: 'voided' })]),
    checkpoint(5n, [entryOf(forged)], chain.time), // window over
    checkpoint(6n, [entryOf(forged)], chain.time + 1_000n), // closes before a block could carry a proof
  ]
  await watcher.onHead()
  t.same(sent, [], 'nothing proven, nothing sent')
  t.equal(chain.allowedReads, 0, 'the RN/CN right is not read when there is nothing to send')

  chain.checkpoints.push(checkpoint(7n, [entryOf(forged)], chain.time + 1_001n))
  await watcher.onHead()
  t.same(
    sent.map((s) => [s.proof.cycle, s.proof.entryIndex]),
    [[7n, 0]],
    'a window still open one block later',
  )
})

t.test('resent after RESUBMIT_BLOCKS while live and open; never once voided or closed', async (t) => {
  const { chain, watcher, sent } = setup()
  const forged = receipt({}, { c: h('mallory') })
  watcher.see(forged)
  const e = entryOf(forged)
  chain.checkpoints = [checkpoint(4n, [e], chain.time + 100n * 1_000n)]
  await watcher.onHead()
  t.equal(sent.length, 1)

  chain.next(RESUBMIT_BLOCKS - 1n)
  await watcher.onHead()
  t.equal(sent.length, 1, 'not before RESUBMIT_BLOCKS')
  chain.next()
  await watcher.onHead()
  t.equal(sent.length, 2, 'sent again: the entry is still live')

  chain.next(RESUBMIT_BLOCKS)
  e.status = 'voided'
  await watcher.onHead()
  t.equal(sent.length, 2, 'the proof took effect: not again')

  e.status = 'live'
  chain.time = chain.checkpoints[0]!.challengeEndsMs
  await watcher.onHead()
  t.equal(sent.length, 2, 'never after the window closed')

  chain.checkpoints = []
  await watcher.onHead()
  chain.time = 0n
  chain.checkpoints = [checkpoint(4n, [e], 1_000_000n)]
  await watcher.onHead()
  t.equal(sent.length, 3, 'records of checkpoints no longer pending are dropped')
})

t.test('nothing is sent without the RN/CN right', async (t) => {
  const { chain, watcher, sent } = setup()
  const forged = receipt({}, { c: h('mallory') })
  watcher.see(forged)
  chain.checkpoints = [checkpoint(4n, [entryOf(forged)])]
  chain.allowed = false
  await watcher.onHead()
  t.same(sent, [])
  t.equal(chain.allowedReads, 1)
  chain.allowed = true
  chain.next()
  await watcher.onHead()
  t.equal(sent.length, 1, 'sent once the key became an RN/CN')
})

t.test('a failed send is logged and retried on the next head', async (t) => {
  const { chain, watcher, sent, lines, failNext } = setup()
  const forged = receipt({}, { c: h('mallory') })
  watcher.see(forged)
  chain.checkpoints = [checkpoint(4n, [entryOf(forged)])]
  failNext()
  await watcher.onHead()
  t.same(sent, [])
  const warn = lines.find((l) => l.level === 'warn')
  t.equal(warn?.msg, 'could not submit a flow fraud proof')
  t.match(warn?.fields, { cycle: 4n, entryIndex: 0, kind: 'BadSignature' })
  t.match(String(warn?.fields?.error), /pool refused it/)
  chain.next()
  await watcher.onHead()
  t.equal(sent.length, 1, 'retried')
})

t.test('the cache forgets the oldest receipt first and ignores odd input', async (t) => {
  const { chain, watcher, sent } = setup({ maxReceipts: 2 })
  const a = receipt({ sessionId: h('a') }, { c: h('mallory') })
  const b = receipt({ sessionId: h('b') }, { c: h('mallory') })
  const c = receipt({ sessionId: h('c') }, { c: h('mallory') })
  watcher.see(a)
  watcher.see(b)
  watcher.see(a) // already held: keeps its place
  watcher.see(c)
  t.equal(watcher.size, 2)
  t.notOk(watcher.has(receiptHash(a)), 'the oldest is gone')
  t.ok(watcher.has(receiptHash(b)))
  t.ok(watcher.has(receiptHash(c)))

  chain.checkpoints = [checkpoint(4n, [entryOf(a), entryOf(b), entryOf(c)])]
  await watcher.onHead()
  t.same(
    sent.map((s) => s.proof.entryIndex),
    [1, 2],
    'only what is still cached is proven',
  )

  // an evicted second receipt of a seq no longer proves DuplicateSeq
  const w2 = setup({ maxReceipts: 2 })
  const first = receipt({ sessionId: h('d') })
  const second = receipt({ sessionId: h('d'), bytesUp: 7n })
  w2.watcher.see(second)
  w2.watcher.see(first)
  w2.watcher.see(receipt({ sessionId: h('e') }))
  w2.chain.checkpoints = [checkpoint(4n, [entryOf(first)])]
  await w2.watcher.onHead()
  t.same(w2.sent, [], 'the index forgot the evicted receipt too')

  const odd = [null, undefined, 7, {}, { sessionId: 5 }, { ...a, consumerSignature: 'x' }, { ...a, seq: -1n }, { ...a, relays: null }]
  odd.forEach((x, i) => t.doesNotThrow(() => watcher.see(x as never), `odd input ${i}`))
  t.throws(() => setup({ maxReceipts: 0 }), /maxReceipts/)
})

t.test('a flood from one source evicts only its own receipts once it holds the most', async (t) => {
  const { chain, watcher, sent } = setup({ maxReceipts: 12 })
  const forged = receipt({ sessionId: h('a 0') }, { c: h('mallory') })
  const fromA = [forged, ...[1, 2, 3, 4].map((i) => receipt({ sessionId: h(`a ${i}`) }))]
  const fromB = Array.from({ length: 100 }, (_, i) => receipt({ sessionId: h(`b ${i}`) }, { c: h('junk') }))
  for (const r of fromA) watcher.see(r, 'peer:a')
  for (const r of fromB) watcher.see(r, 'peer:b')
  t.equal(watcher.size, 12)
  t.same(
    fromA.filter((r) => !watcher.has(receiptHash(r))),
    [],
    'all 5 of peer:a are still cached',
  )
  t.same(
    fromB.flatMap((r, i) => (watcher.has(receiptHash(r)) ? [i] : [])),
    [93, 94, 95, 96, 97, 98, 99],
    'peer:b holds its 7 newest only',
  )

  chain.checkpoints = [checkpoint(4n, [entryOf(fromA[1]!), entryOf(forged)])]
  await watcher.onHead()
  t.same(
    sent.map((s) => [s.proof.entryIndex, s.proof.kind]),
    [[1, FraudKind.BadSignature]],
    'the forgery is still proven',
  )
  t.same(checkFraud(sent[0]!.proof, chain.checkpoints[0]!.entries[1]!), { proven: true })
})

t.test('one source: the oldest receipt is forgotten first, as before', async (t) => {
  for (const source of ['peer:a', undefined]) {
    const { watcher } = setup({ maxReceipts: 8 })
    const rs = Array.from({ length: 10 }, (_, i) => receipt({ sessionId: h(`r ${i}`) }))
    for (const r of rs) watcher.see(r, source)
    t.same(
      rs.flatMap((r, i) => (watcher.has(receiptHash(r)) ? [] : [i])),
      [0, 1],
      `${source ?? 'no source given'}: the first 2 are gone`,
    )
  }
})

t.test('equal counts: the smaller source string loses its oldest; a receipt seen again stays under its first source', async (t) => {
  const { watcher } = setup({ maxReceipts: 4 })
  const [b1, b2, a1, a2, c1] = ['b1', 'b2', 'a1', 'a2', 'c1'].map((n) => receipt({ sessionId: h(n) }))
  watcher.see(b1!, 'peer:b')
  watcher.see(b2!, 'peer:b')
  watcher.see(a1!, 'peer:a')
  watcher.see(a2!, 'peer:a')
  watcher.see(c1!, 'peer:c')
  t.same(
    [b1, b2, a1, a2, c1].map((r) => watcher.has(receiptHash(r!))),
    [true, true, false, true, true],
    'peer:a (2) ties peer:b (2), and peer:a < peer:b: a1 goes, not the oldest of all (b1)',
  )

  const w = setup({ maxReceipts: 2 }).watcher
  const [x, y, z] = ['x', 'y', 'z'].map((n) => receipt({ sessionId: h(n) }))
  w.see(x!, 'peer:z')
  w.see(x!, 'peer:b') // already held: still peer:z's
  w.see(y!, 'peer:b')
  w.see(z!, 'peer:c')
  t.same(
    [x, y, z].map((r) => w.has(receiptHash(r!))),
    [true, false, true],
    'peer:b holds y only (1, ties peer:z, smaller): y goes, x stays',
  )
})

t.test('evicting a receipt of a (session, seq) from another source leaves the index consistent: DuplicateSeq is found', async (t) => {
  const { chain, watcher, sent } = setup({ maxReceipts: 5 })
  const other = receipt({ sessionId: h('d'), bytesUp: 5n, prevReceiptHash: h('b') })
  const first = receipt({ sessionId: h('d') })
  const second = receipt({ sessionId: h('d'), bytesUp: 7n })
  watcher.see(other, 'peer:b') // same session and seq, the oldest receipt of all
  watcher.see(first, 'peer:a')
  watcher.see(second, 'peer:a')
  for (let i = 0; i < 4; i++) watcher.see(receipt({ sessionId: h(`junk ${i}`) }), 'peer:b')
  t.notOk(watcher.has(receiptHash(other)), "peer:b's receipt of the seq is gone (peer:b held the most)")
  t.ok(watcher.has(receiptHash(first)) && watcher.has(receiptHash(second)), "peer:a's two are kept")

  chain.checkpoints = [checkpoint(4n, [entryOf(first)])]
  await watcher.onHead()
  t.same(
    sent.map((s) => s.proof.kind),
    [FraudKind.DuplicateSeq],
  )
  t.equal(hx(receiptHash(sent[0]!.proof.second!)), hx(receiptHash(second)), 'with the cached second receipt, not the evicted one')
  t.equal(watcher.checksRun, 1, 'the evicted one is no longer indexed: the cached second was the only candidate checked')
})

t.test('checkpoints in cycle order whatever order the view gives', async (t) => {
  const { chain, watcher, sent } = setup()
  const x = receipt({ sessionId: h('x') }, { c: h('mallory') })
  const y = receipt({ sessionId: h('y') }, { c: h('mallory') })
  watcher.see(x)
  watcher.see(y)
  chain.checkpoints = [checkpoint(9n, [entryOf(y)]), checkpoint(8n, [entryOf(x), entryOf(y)])]
  await watcher.onHead()
  t.same(
    sent.map((s) => [s.proof.cycle, s.proof.entryIndex]),
    [
      [8n, 0],
      [8n, 1],
      [9n, 0],
    ],
  )
})

t.test('a head with nothing new reads no entry and proves nothing again', async (t) => {
  const { chain, watcher, sent } = setup()
  const honest = Array.from({ length: 8 }, (_, i) => receipt({ sessionId: h(`honest ${i}`) }))
  const forged = receipt({ sessionId: h('forged') }, { c: h('mallory') })
  const late = receipt({ sessionId: h('late') }, { c: h('mallory') }) // seen only later
  for (const r of [...honest, forged]) watcher.see(r)
  const entries = [...honest.map((r) => entryOf(r)), entryOf(forged)]
  chain.checkpoints = [
    checkpoint(4n, entries, chain.time + 100n * 1_000n),
    checkpoint(5n, [...honest.slice(0, 3).map((r) => entryOf(r)), entryOf(late)], chain.time + 100n * 1_000n),
  ]
  await watcher.onHead()
  t.same(
    chain.calls,
    { pendingCheckpoints: 1, entries: 2, entryLive: 1, entryUnchallenged: 0 },
    'each checkpoint read once; the live check before the one send',
  )
  t.equal(watcher.provesRun, 12, 'every entry with a cached receipt proven once (not the late one)')
  t.same(
    sent.map((s) => [s.proof.cycle, s.proof.entryIndex]),
    [[4n, 8]],
  )

  for (let i = 1n; i < RESUBMIT_BLOCKS; i++) {
    chain.next()
    await watcher.onHead()
  }
  t.same(
    chain.calls,
    { pendingCheckpoints: Number(RESUBMIT_BLOCKS), entries: 2, entryLive: 1, entryUnchallenged: 0 },
    'later heads: one header read each, no entry read',
  )
  t.equal(watcher.provesRun, 12, 'and no proof run again')
  t.equal(chain.allowedReads, 1, 'the RN/CN right read only when there was something to send')

  watcher.see(receipt({ sessionId: h('unrelated') }))
  chain.next()
  await watcher.onHead()
  t.equal(sent.length, 2, 'resent RESUBMIT_BLOCKS later from the proof kept')
  t.equal(chain.calls.entryLive, 2)
  t.equal(chain.calls.entries, 2)
  t.equal(watcher.provesRun, 12, 'a receipt of no entry proves nothing')

  entries[8]!.status = 'voided'
  chain.next(RESUBMIT_BLOCKS)
  await watcher.onHead()
  t.equal(chain.calls.entryLive, 3, 'its status read once more')
  t.equal(sent.length, 2, 'voided: not sent')
  chain.next(RESUBMIT_BLOCKS)
  await watcher.onHead()
  t.equal(chain.calls.entryLive, 3, 'and the proof forgotten')

  watcher.see(late)
  chain.next()
  await watcher.onHead()
  t.equal(watcher.provesRun, 13, 'a receipt arriving after its entry was read: that entry alone is proven')
  t.same(
    sent.map((s) => [s.proof.cycle, s.proof.entryIndex]),
    [
      [4n, 8],
      [4n, 8],
      [5n, 3],
    ],
  )
  t.equal(chain.calls.entries, 2, 'still no entry read')

  // at most MAX_WATCHED_CHECKPOINTS checkpoints are read and held
  const many = setup()
  many.watcher.see(forged)
  many.chain.checkpoints = Array.from({ length: Number(MAX_WATCHED_CHECKPOINTS) + 6 }, (_, i) => checkpoint(BigInt(i), [entryOf(forged)]))
  await many.watcher.onHead()
  t.equal(many.chain.calls.entries, Number(MAX_WATCHED_CHECKPOINTS))
  t.equal(many.sent.length, Number(MAX_WATCHED_CHECKPOINTS), 'the oldest cycles first')
  t.equal(many.sent.at(-1)!.proof.cycle, MAX_WATCHED_CHECKPOINTS - 1n)
})

t.test('a DuplicateSeq second receipt arriving after the checkpoint was read is found', async (t) => {
  const { chain, watcher, sent } = setup()
  const first = receipt({ sessionId: h('dup') })
  const second = receipt({ sessionId: h('dup'), bytesDown: 1n, prevReceiptHash: h('other') })
  const other = receipt({ sessionId: h('other') })
  watcher.see(first)
  watcher.see(other)
  const entries = [entryOf(other), entryOf(first)]
  chain.checkpoints = [checkpoint(4n, entries)]
  await watcher.onHead()
  t.same(sent, [], 'honest as far as the cache knows')
  t.equal(watcher.provesRun, 2)

  watcher.see(second)
  chain.next()
  await watcher.onHead()
  t.equal(chain.calls.entries, 1, 'the entries are not read again')
  t.equal(watcher.provesRun, 3, 'only the entry of that session and seq is proven again')
  t.equal(sent.length, 1)
  t.equal(sent[0]!.proof.kind, FraudKind.DuplicateSeq)
  t.equal(sent[0]!.proof.entryIndex, 1)
  t.equal(hx(receiptHash(sent[0]!.proof.second!)), hx(receiptHash(second)))
  t.same(checkFraud(sent[0]!.proof, entries[1]!), { proven: true })
})

t.test('a failed read of a new checkpoint loses nothing a receipt marked in a loaded one', async (t) => {
  const { chain, watcher, sent } = setup()
  const first = receipt({ sessionId: h('dup') })
  const second = receipt({ sessionId: h('dup'), bytesDown: 1n, prevReceiptHash: h('other') })
  const forged = receipt({ sessionId: h('forged') }, { c: h('mallory') })
  watcher.see(first)
  watcher.see(forged)
  chain.checkpoints = [checkpoint(4n, [entryOf(first)])]
  await watcher.onHead()
  t.same(sent, [])

  // the second receipt marks cycle 4's entry; cycle 5 appears, and reading it fails once
  watcher.see(second)
  chain.checkpoints.push(checkpoint(5n, [entryOf(forged)]))
  const entries = chain.entries.bind(chain)
  let failOnce = true
  chain.entries = async (cycle: bigint) => {
    if (cycle === 5n && failOnce) {
      failOnce = false
      throw new Error('state read failed')
    }
    return entries(cycle)
  }
  chain.next()
  await t.rejects(watcher.onHead(), /state read failed/)
  t.same(sent, [], 'nothing sent from a failed head')

  chain.next()
  await watcher.onHead()
  t.same(
    sent.map((x) => [x.proof.cycle, x.proof.entryIndex, x.proof.kind]),
    [
      [4n, 0, FraudKind.DuplicateSeq],
      [5n, 0, FraudKind.BadSignature],
    ],
    'the marked entry was proven at the failed head; the new checkpoint is read at the next',
  )
})

t.test('a checkpoint replaced in its cycle (another hash) is read again', async (t) => {
  const { chain, watcher, sent } = setup()
  const honest = receipt({ sessionId: h('honest') })
  const forged = receipt({ sessionId: h('forged') }, { c: h('mallory') })
  watcher.see(honest)
  watcher.see(forged)
  chain.checkpoints = [checkpoint(4n, [entryOf(honest)])]
  await watcher.onHead()
  t.same(sent, [])

  chain.checkpoints = [checkpoint(4n, [entryOf(honest), entryOf(forged)], 130_000n, 3, 'reorg')]
  chain.next()
  await watcher.onHead()
  t.equal(chain.calls.entries, 2, 'the new checkpoint of the cycle is read')
  t.same(
    sent.map((s) => [s.proof.cycle, s.proof.entryIndex, s.proof.kind]),
    [[4n, 1, FraudKind.BadSignature]],
  )
  chain.next()
  await watcher.onHead()
  t.equal(chain.calls.entries, 2, 'and then kept')
})

t.test('a proof found is still sent after the cache forgot its receipt', async (t) => {
  const { chain, watcher, sent } = setup({ maxReceipts: 1 })
  const forged = receipt({ sessionId: h('forged') }, { c: h('mallory') })
  watcher.see(forged)
  chain.checkpoints = [checkpoint(4n, [entryOf(forged)])]
  chain.allowed = false
  await watcher.onHead()
  t.same(sent, [])
  watcher.see(receipt({ sessionId: h('next') }))
  t.notOk(watcher.has(receiptHash(forged)), 'evicted')
  chain.allowed = true
  chain.next()
  await watcher.onHead()
  t.equal(sent.length, 1)
  t.equal(hx(receiptHash(sent[0]!.proof.receipt)), hx(receiptHash(forged)))
})

t.test('signatures are checked once, in one batch; honest entries go through no checkFraud', async (t) => {
  const batches: number[] = []
  const { chain, watcher, sent } = setup({
    verify: async (rs) => {
      batches.push(rs.length)
      return verifyOnThread(rs)
    },
  })
  const honest = Array.from({ length: 40 }, (_, i) => receipt({ sessionId: h(`honest ${i}`) }))
  const forged = receipt({ sessionId: h('forged') }, { c: h('mallory') })
  // a second receipt of an honest seq signed by another consumer, and one with the same totals: neither proves DuplicateSeq
  const strangers = receipt({ sessionId: h('honest 0'), consumer: addrOfKey(h('eve')), bytesDown: 1n }, { c: h('eve') })
  const sameTotals = receipt({ sessionId: h('honest 1'), prevReceiptHash: h('y') })
  // signed by the entry's consumer, but with a forged provider signature: still a DuplicateSeq (the consumer signed two totals)
  const halfForged = receipt({ sessionId: h('honest 2'), bytesDown: 7n }, { p: h('mallory') })
  for (const r of [...honest, forged, strangers, sameTotals, halfForged]) watcher.see(r)

  chain.checkpoints = [checkpoint(4n, [...honest.map((r) => entryOf(r)), entryOf(forged)])]
  await watcher.onHead()
  t.same(batches, [44], "one batch: the 41 entries' receipts and the 3 other receipts of their seqs")
  t.same(
    sent.map((s) => [s.proof.entryIndex, s.proof.kind]),
    [
      [2, FraudKind.DuplicateSeq],
      [40, FraudKind.BadSignature],
    ],
    "the forgery and the consumer's two totals are found",
  )
  t.equal(watcher.checksRun, 2, 'checkFraud ran only on candidates: BadSignature of the forgery (proven at once) and the half-forged DuplicateSeq')
  t.equal(watcher.provesRun, 41)

  // a receipt arriving later is checked in a batch of its own; what was learnt is not checked again
  const late = receipt({ sessionId: h('honest 3'), bytesUp: 5n })
  watcher.see(late)
  chain.next()
  await watcher.onHead()
  t.same(batches, [44, 1], 'only the new receipt')
  t.equal(sent.length, 3)
  t.equal(sent[2]!.proof.kind, FraudKind.DuplicateSeq, 'and it proves DuplicateSeq on entry 3')
  t.equal(sent[2]!.proof.entryIndex, 3)

  // one the flow service took (its signatures checked there) is not checked again, and still proves
  const taken = receipt({ sessionId: h('honest 4'), bytesUp: 6n })
  watcher.see(taken)
  watcher.signedByParties(receiptHash(taken))
  watcher.signedByParties(h('never seen')) // unknown: ignored
  chain.next()
  await watcher.onHead()
  t.same(batches, [44, 1], 'no batch for a receipt already known signed')
  t.equal(sent.length, 4)
  t.same([sent[3]!.proof.kind, sent[3]!.proof.entryIndex], [FraudKind.DuplicateSeq, 4], 'its DuplicateSeq is found')
})

t.test('when the batch check fails, proving falls back to checkFraud and finds the same', async (t) => {
  const { chain, watcher, sent, lines } = setup({
    verify: async () => {
      throw new Error('recover pool closed')
    },
  })
  const honest = receipt({ sessionId: h('a') })
  const forged = receipt({ sessionId: h('b') }, { c: h('mallory') })
  const inflatedSrc = receipt({ sessionId: h('c') })
  for (const r of [honest, forged, inflatedSrc]) watcher.see(r)
  chain.checkpoints = [checkpoint(4n, [entryOf(honest), entryOf(forged), entryOf(inflatedSrc, { total: 1n })])]
  await watcher.onHead()
  t.same(
    sent.map((s) => [s.proof.entryIndex, s.proof.kind]),
    [
      [1, FraudKind.BadSignature],
      [2, FraudKind.Inflated],
    ],
  )
  t.equal(watcher.checksRun, 2 + 1 + 2, 'honest: both kinds checked; forged: BadSignature; inflated: both')
  t.ok(
    lines.some((l) => l.level === 'warn' && /could not check signatures in a batch/.test(l.msg)),
    'the failure is logged',
  )
})

t.test('the flow service shows the watcher every decodable receipt and survives its failures', async (t) => {
  const db = await openDatabase(path.join(tempDir(t), 'db'))
  t.teardown(() => (db.status === 'open' ? db.close() : undefined))
  const seen: SignedReceipt[] = []
  const taken: string[] = []
  let heads = 0
  let failHead = false
  const { logger, lines } = recordingLogger()
  const svc = new FlowService({
    chainId: 2100n,
    store: new SideStore(db),
    view: {
      head: () => ({ number: 5n, timestampMs: 4n * 10_000n }),
      cycleAt: (ms) => ms / 10_000n,
      committee: async () => [],
      settled: async () => ({ seq: 0n, total: 0n }),
      lastCheckpointHash: async () => new Uint8Array(32),
      checkpointOnChain: async () => false,
      cycleStartMs: (c) => c * 10_000n,
      parties: async () => ({ providerPledged: true, escrow: 1n }),
    },
    verify: verifyOnThread,
    submitCheckpoint: async () => new Uint8Array(32),
    logger,
    now: () => 0,
    maxBytesPerSec: 10n ** 12n,
    watcher: {
      see: (sr) => {
        seen.push(sr)
        throw new Error('a watcher that throws')
      },
      signedByParties: (hash) => {
        taken.push(hx(hash))
        throw new Error('a watcher that throws')
      },
      onHead: async () => {
        heads++
        if (failHead) throw new Error('the watcher broke')
      },
    },
  })
  t.teardown(() => svc.stop())
  await svc.onHead()
  t.equal(heads, 1, 'the watcher runs after each head')

  const good = receipt()
  const forged = receipt({ sessionId: h('forged') }, { c: h('mallory') })
  t.equal((await svc.submitReceipt(receiptToJson(good))).height, null, 'accepted (forwarded) as before')
  await t.rejects(svc.submitReceipt(receiptToJson(forged)), { code: 'FLOW_BAD_SIGNATURE' }, 'refused with the same error as before')
  await t.rejects(svc.submitReceipt({ nonsense: true }), { code: 'FLOW_BAD_FORMAT' }, 'undecodable: refused, never seen')
  t.equal(await svc.onPeerReceipt(encodeReceipt(good)), 'relay')
  await t.rejects(svc.onPeerReceipt(encodeReceipt(forged)), { code: 'FLOW_BAD_SIGNATURE' })
  t.same(
    seen.map((sr) => hx(receiptHash(sr))),
    [good, forged, good, forged].map((r) => hx(receiptHash(r))),
    'every decodable receipt, accepted or refused, RPC or P2P',
  )
  t.same(taken, [hx(receiptHash(good)), hx(receiptHash(good))], 'the accepted ones are marked signed by their parties (RPC, then P2P)')

  failHead = true
  await svc.onHead()
  t.equal(heads, 2)
  t.match(
    lines.find((l) => l.level === 'warn'),
    { msg: 'the fraud-proof watcher failed' },
    'a watcher failure is logged, not thrown',
  )
  failHead = false
  await svc.onHead()
  t.equal(heads, 3, 'and the service goes on')
})

// --- audits (DESIGN §12 "Audits run by themselves"): slice challenges sent by the watcher itself ---

const AUDITOR = '0x00000000000000000000000000000000000000a1'

/** a pending checkpoint whose seed block is known, challengeable until 130 s (the fake head is at 100 s) */
const audited = (cycle: bigint, entries: WatchedEntry[], over: Partial<PendingCheckpoint> = {}): FakeCheckpoint => ({
  ...checkpoint(cycle, entries, 160_000n),
  seedHash: h(`seed ${cycle}`),
  challengeClosesMs: 130_000n,
  ...over,
})

/** `n` honest entries of distinct sessions */
const honestEntries = (n: number, tag = 's'): WatchedEntry[] => Array.from({ length: n }, (_, i) => entryOf(receipt({ sessionId: h(`${tag} ${i}`) })))

t.test('a provider that never opens is caught: the watcher challenges entries by itself, with no receipt of them', async (t) => {
  // the exploit (issue 16, E5): nobody challenged unless by hand, so a provider that cannot open its
  // slices was paid all the same. With every entry audited, each is challenged once, unasked.
  const { chain, watcher, challenges, sent } = setup({ audit: { auditor: AUDITOR, auditBps: 10_000 } })
  t.equal(watcher.size, 0, 'the watcher holds no receipt: auditing needs none')
  chain.checkpoints = [audited(4n, honestEntries(3))]
  await watcher.onHead()
  t.same(
    challenges.map((c) => [c.cycle, c.entryIndex]),
    [
      [4n, 0],
      [4n, 1],
      [4n, 2],
    ],
    'every entry challenged, in entry order',
  )
  t.equal(challenges[0]!.gas, CHALLENGE_SLICE_GAS, 'gas from the Evidence table, with headroom')
  t.ok(CHALLENGE_SLICE_GAS > 21_000n + 30_000n, 'above the intrinsic + challengeSlice cost')
  t.same(sent, [], 'no fraud proof: an honest entry proves nothing')

  for (const c of challenges) chain.challenged.add(`${c.cycle}:${c.entryIndex}`)
  chain.next(RESUBMIT_BLOCKS)
  await watcher.onHead()
  t.equal(challenges.length, 3, 'not again once challenged on chain')
})

t.test('an entry claiming bytes with no sampled slice is not challenged: the chain voids it anyway (the sampling floor)', async (t) => {
  const { chain, watcher, challenges } = setup({ audit: { auditor: AUDITOR, auditBps: 10_000 } })
  chain.checkpoints = [
    audited(4n, [
      entryOf(receipt({ sessionId: h('no slice'), sampleRoot: EMPTY_SAMPLE_ROOT })),
      entryOf(receipt({ sessionId: h('with a slice') })),
      entryOf(receipt({ sessionId: h('no bytes'), sampleRoot: EMPTY_SAMPLE_ROOT, bytesUp: 0n, bytesDown: 0n })),
    ]),
  ]
  await watcher.onHead()
  t.same(
    challenges.map((c) => c.entryIndex),
    [1, 2],
    'the entries that can be opened (or claim nothing) are challenged; not the one voided at application whatever happens',
  )
})

t.test('audit selection: the seeded fraction auditSelected draws, per auditor', async (t) => {
  const entries = honestEntries(60)
  const picked = async (auditor: string, auditBps: number, seedHash = h('seed 4')) => {
    const { chain, watcher, challenges } = setup({ audit: { auditor, auditBps } })
    chain.checkpoints = [audited(4n, entries, { seedHash })]
    await watcher.onHead()
    return challenges.map((c) => c.entryIndex)
  }
  const half = await picked(AUDITOR, 5_000)
  const want = entries.map((_, i) => i).filter((i) => auditSelected(h('seed 4'), AUDITOR, i, 5_000))
  t.same(half, want, 'exactly the entries auditSelected draws')
  t.ok(half.length > 15 && half.length < 45, `about half of 60 (${half.length})`)
  t.same(await picked(AUDITOR, 5_000), half, 'deterministic: the same seed and auditor pick the same entries')
  t.not((await picked('0x00000000000000000000000000000000000000b2', 5_000)).join(), half.join(), 'another auditor picks another set')
  t.not((await picked(AUDITOR, 5_000, h('another seed'))).join(), half.join(), 'another seed block picks another set')
  t.same(await picked(AUDITOR, 0), [], 'auditBps 0: no audit')
  t.equal((await picked(AUDITOR, 10_000)).length, 60, 'auditBps 10,000: every entry')
})

t.test('no audit before the seed is known, after the challenge half of the window, or without the RN/CN right', async (t) => {
  const { chain, watcher, challenges } = setup({ audit: { auditor: AUDITOR, auditBps: 10_000 }, leadMs: 1_000n })
  const cp = audited(4n, honestEntries(2), { seedHash: new Uint8Array(32) })
  chain.checkpoints = [cp, audited(5n, honestEntries(1, 'late'), { challengeClosesMs: chain.time + 1_000n })]
  await watcher.onHead()
  t.same(challenges, [], 'seed block not recorded yet (zero hash); a challenge that could only land at or after the close')

  chain.allowed = false
  cp.seedHash = h('seed 4')
  await watcher.onHead()
  t.same(challenges, [], 'not an active RN or CN: nothing sent')

  chain.allowed = true
  await watcher.onHead()
  t.same(
    challenges.map((c) => [c.cycle, c.entryIndex]),
    [
      [4n, 0],
      [4n, 1],
    ],
    'once the seed is known (the header is read again each head)',
  )
})

t.test('a failed challenge is logged and retried; a voided or already challenged entry is not challenged', async (t) => {
  const { chain, watcher, challenges, lines, failNext } = setup({ audit: { auditor: AUDITOR, auditBps: 10_000 } })
  const entries = honestEntries(3)
  entries[1]!.status = 'voided'
  chain.challenged.add('4:2') // another auditor was first
  chain.checkpoints = [audited(4n, entries)]
  failNext()
  await watcher.onHead()
  t.same(challenges, [], 'the one send failed')
  t.match(
    lines.filter((l) => l.level === 'warn'),
    [{ msg: 'could not send a slice challenge', fields: { cycle: 4n, entryIndex: 0 } }],
  )
  await watcher.onHead()
  t.same(
    challenges.map((c) => c.entryIndex),
    [0],
    'retried on the next head; entry 1 voided and entry 2 challenged by someone else draw nothing',
  )
  t.match(
    lines.filter((l) => l.level === 'info'),
    [{ msg: 'sent a slice challenge', fields: { cycle: 4n, entryIndex: 0 } }],
  )
  chain.next(RESUBMIT_BLOCKS)
  await watcher.onHead()
  t.same(
    challenges.map((c) => c.entryIndex),
    [0, 0],
    'sent again RESUBMIT_BLOCKS later while still unchallenged on chain (dropped or reverted)',
  )
})

t.test('without the audit option the watcher challenges nothing', async (t) => {
  const { chain, watcher, challenges } = setup()
  watcher.see(receipt())
  chain.checkpoints = [audited(4n, honestEntries(2))]
  await watcher.onHead()
  t.same(challenges, [])
  t.equal(chain.calls.entryUnchallenged, 0)
})

t.test('a bad audit option is refused at construction', async (t) => {
  const make = (auditor: string, auditBps: number) => () =>
    new FlowWatcher({
      view: new FakeChain(),
      submitEvidence: async () => h('tx'),
      logger: recordingLogger().logger,
      audit: { auditor, auditBps, challengeSlice: async () => h('tx') },
    })
  t.throws(make(AUDITOR, 10_001), /auditBps must be an integer from 0 to 10000/)
  t.throws(make(AUDITOR, 0.5), /auditBps must be an integer from 0 to 10000/)
  t.throws(make('0x1234', 100), /auditor must be a 0x-prefixed 20-byte address/)
})
