/**
 * DESIGN §8 figures for PoVF: flow receipts verified per second on the side-chain (both
 * signatures of every receipt, recovered in batches on the worker pool; target ≥ 20,000/s) and
 * slice openings verified per second in the WASM core — each next to its baseline in the same
 * run. (The packet counter's MB/s, WASM vs the JS counter, is in the `core` group.)
 */
import { secp256k1 as noble } from '@noble/curves/secp256k1.js'
import { jsCore, wasmCore } from '../../src/core/index.js'
import { RecoverPool } from '../../src/crypto/recoverPool.js'
import { publicKeyOf, addressOf } from '../../src/crypto/secp256k1.js'
import { RECEIPT_DOMAIN_TAG, receiptHash, signReceipt, type SignedReceipt } from '../../src/flow/receipt.js'
import { makeOpening, openingIndex, sampleRootOf, sliceLeaf, verifyOpening } from '../../src/flow/sampling.js'
import { verifyReceipts } from '../../src/flow/verifyPool.js'
import { entryOfReceipt } from '../../src/flow/checkpoint.js'
import { checkFraud, FraudKind } from '../../src/flow/fraudProof.js'
import { poolVerifier } from '../../src/flow/sideChain.js'
import { FlowWatcher, type FlowWatchView } from '../../src/flow/watcher.js'
import type { Logger } from '../../src/util/logger.js'
import { hexOf } from '../../src/util/bytes.js'
import { opsPerSecond, progress, row } from './report.js'

const RECEIPTS = 20_000
const KEYS = 64

function key(i: number): Uint8Array {
  const k = new Uint8Array(32)
  k[0] = 0x22
  k[30] = i >> 8
  k[31] = (i & 0xff) + 1
  return k
}

const hex = hexOf

function bytes32(n: number): Uint8Array {
  const b = new Uint8Array(32)
  new DataView(b.buffer).setUint32(28, n)
  return b
}

function makeReceipts(): SignedReceipt[] {
  const keys = Array.from({ length: KEYS }, (_, i) => key(i))
  const addrs = keys.map((k) => hex(addressOf(publicKeyOf(k))))
  const out: SignedReceipt[] = []
  for (let i = 0; i < RECEIPTS; i++) {
    const c = i % KEYS
    const p = (i * 7 + 1) % KEYS === c ? (c + 1) % KEYS : (i * 7 + 1) % KEYS
    const r = {
      domainTag: RECEIPT_DOMAIN_TAG,
      chainId: 2100n,
      sessionId: bytes32(i >> 4),
      consumer: addrs[c]!,
      provider: addrs[p]!,
      relays: [],
      seq: BigInt((i & 15) + 1),
      bytesUp: BigInt(i) * 1000n,
      bytesDown: BigInt(i) * 50_000n,
      sampleRoot: bytes32(i),
      prevReceiptHash: bytes32(i + 1),
      cycle: 7n,
      expiryHeight: 1_000_000n,
    }
    out.push({ ...r, consumerSignature: signReceipt(r, keys[c]!), providerSignature: signReceipt(r, keys[p]!) })
    if (i % 2000 === 0) progress(`flow: signing ${RECEIPTS.toLocaleString('en-US')} receipts (${i})…`)
  }
  return out
}

/** The baseline: the same two recoveries per receipt with @noble/curves on one thread. */
function nobleVerify(r: SignedReceipt): boolean {
  const digest = receiptHash(r)
  const ok = (sig: Uint8Array, who: string) => {
    const s = noble.Signature.fromBytes(sig.subarray(0, 64), 'compact').addRecoveryBit(sig[64]! - 27)
    const pub = s.recoverPublicKey(digest).toBytes(false)
    return hex(addressOf(pub)) === who
  }
  return ok(r.consumerSignature, r.consumer) && ok(r.providerSignature, r.provider)
}

async function receipts(): Promise<void> {
  const all = makeReceipts()
  let j = 0
  progress('flow: receipt verification, noble baseline…')
  const base = opsPerSecond(() => {
    for (let k = 0; k < 4; k++) if (!nobleVerify(all[j++ % RECEIPTS]!)) throw new Error('bench/flow: noble rejected a valid receipt')
    return 4
  }, 2000)
  const pool = RecoverPool.create()
  try {
    progress(`flow: receipt verification, pool of ${pool.threads} threads, warming up…`)
    await verifyReceipts(pool, all.slice(0, 2000))
    let done = 0
    const start = performance.now()
    let elapsed = 0
    while (elapsed < 3000 || done < 2 * RECEIPTS) {
      progress(`flow: receipt verification, pool of ${pool.threads} threads, ${done.toLocaleString('en-US')} done…`)
      const res = await verifyReceipts(pool, all)
      const bad = res.findIndex((r) => !r.ok)
      if (bad >= 0) throw new Error(`bench/flow: receipt ${bad} rejected: ${JSON.stringify(res[bad])}`)
      done += RECEIPTS
      elapsed = performance.now() - start
    }
    const rate = (done * 1000) / elapsed
    row({
      name: `flow receipts verified (2 sigs, pool ${pool.threads} thr)`,
      value: rate,
      unit: 'rcpt/s',
      baseline: { name: '@noble/curves, 1 thread', value: base },
      target: '≥ 20,000/s',
      met: rate >= 20_000,
    })
    await watcherFirstLook(pool, all.slice(0, WATCHED_ENTRIES))
  } finally {
    await pool.close()
  }
}

const WATCHED_ENTRIES = 4096

/**
 * The fraud-proof watcher's first look at a checkpoint of WATCHED_ENTRIES honest entries whose
 * receipts it holds, in entries per second of this (the node's main) thread: its signatures are
 * checked in one batch on the pool. Baseline: every candidate proof through checkFraud on this
 * thread (what the watcher did before; 4 recoveries per entry).
 */
async function watcherFirstLook(pool: RecoverPool, rs: SignedReceipt[]): Promise<void> {
  const entries = rs.map((r) => ({ ...entryOfReceipt(r, 0n), status: 'live' as const }))
  progress('flow: watcher, checkFraud on every candidate (baseline)…')
  const start = performance.now()
  entries.forEach((e, i) => {
    for (const kind of [FraudKind.BadSignature, FraudKind.Inflated]) {
      if (checkFraud({ kind, cycle: 7n, entryIndex: i, receipt: rs[i]! }, e).proven) throw new Error('bench/flow: an honest entry was proven')
    }
  })
  const base = (entries.length * 1000) / (performance.now() - start)

  const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet }
  const view: FlowWatchView = {
    head: () => ({ number: 1n, timestampMs: 0n }),
    pendingCheckpoints: async () => [{ cycle: 7n, checkpointHash: '0x07', challengeEndsMs: 1n << 60n, signers: 3 }],
    entries: async () => entries,
    entryLive: async () => true,
    entryUnchallenged: async () => true,
    canSubmitEvidence: async () => true,
  }
  let busyMs = 0
  for (let round = 0; round < 3; round++) {
    progress(`flow: watcher, first look at a ${entries.length}-entry checkpoint (${round + 1}/3)…`)
    const watcher = new FlowWatcher({
      view,
      submitEvidence: async () => {
        throw new Error('bench/flow: the watcher tried to submit a proof against honest entries')
      },
      logger: quiet,
      verify: poolVerifier(pool),
    })
    for (const r of rs) watcher.see(r)
    const before = performance.eventLoopUtilization()
    await watcher.onHead()
    busyMs += performance.eventLoopUtilization(before).active
    if (watcher.checksRun !== 0) throw new Error('bench/flow: honest entries went through checkFraud')
  }
  row({
    name: `watcher: first look, ${entries.length} entries (main thr)`,
    value: (3 * entries.length * 1000) / busyMs,
    unit: 'entry/s',
    baseline: { name: 'checkFraud per candidate, 1 thread', value: base },
  })
}

function openings(): void {
  if (!wasmCore) throw new Error('build/release.wasm did not load: run `npm run build:wasm`')
  const count = 4096
  const slices = Array.from({ length: count }, (_, i) => ({ pktSeq: i * 3, slice: bytes32(i * 31 + 5).subarray(0, 32) }))
  const leaves = new Uint8Array(32 * count)
  slices.forEach((s, i) => leaves.set(sliceLeaf(s.pktSeq, s.slice), 32 * i))
  const sampleRoot = sampleRootOf(wasmCore.merkleRoot('keccak256', leaves), count)
  const cases = Array.from({ length: 256 }, (_, i) => {
    const index = openingIndex(bytes32(i + 99), count)
    return { index, opening: makeOpening(slices, index) }
  })
  for (const c of cases) {
    if (!verifyOpening(sampleRoot, c.index, c.opening, wasmCore) || !verifyOpening(sampleRoot, c.index, c.opening, jsCore)) {
      throw new Error('bench/flow: a valid opening did not verify')
    }
  }
  progress('flow: slice openings (WASM)…')
  let i = 0
  const w = opsPerSecond(() => {
    for (let k = 0; k < 32; k++) {
      const c = cases[i++ % cases.length]!
      verifyOpening(sampleRoot, c.index, c.opening, wasmCore!)
    }
    return 32
  })
  progress('flow: slice openings (JS)…')
  const j = opsPerSecond(() => {
    for (let k = 0; k < 32; k++) {
      const c = cases[i++ % cases.length]!
      verifyOpening(sampleRoot, c.index, c.opening, jsCore)
    }
    return 32
  })
  row({
    name: `slice openings verified (${count} slices, WASM)`,
    value: w,
    unit: 'open/s',
    baseline: { name: 'JS core (@noble/hashes)', value: j },
  })
}

export async function run(): Promise<void> {
  await receipts()
  openings()
  progress('')
}
