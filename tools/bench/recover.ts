/**
 * DESIGN §8: sender recovery ≥ 3,000 signatures/s per core (≥ 7× @noble/curves), in worker
 * threads across all cores. Baseline: noble's recovery exactly as @ethereumjs/util runs it.
 */
import { secp256k1 as noble } from '@noble/curves/secp256k1.js'
import { RecoverPool, type RecoverItem } from '../../src/crypto/recoverPool.js'
import { publicKeyOf, recoverPublicKey, secpBackend, sign } from '../../src/crypto/secp256k1.js'
import { opsPerSecond, progress, row } from './report.js'

const ITEMS = 20_000
const KEYS = 64
const TARGET = '≥ 3,000/s per core, ≥ 7× noble'

function makeItems(): RecoverItem[] {
  // Deterministic keys and hashes: the work is the same on every run.
  const keys = Array.from({ length: KEYS }, (_, i) => {
    const k = new Uint8Array(32)
    k[0] = 0x11
    k[31] = i + 1
    return k
  })
  // a cheap xorshift for hash bytes; their randomness is irrelevant to the cost
  let x = 0x9e3779b9
  const items: RecoverItem[] = []
  for (let i = 0; i < ITEMS; i++) {
    const msgHash = new Uint8Array(32)
    for (let j = 0; j < 32; j++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      msgHash[j] = x & 0xff
    }
    const { r, s, recovery } = sign(msgHash, keys[i % KEYS]!)
    items.push({ msgHash, r, s, recid: recovery })
  }
  // sanity: the figures below are only worth something if the answers are right
  const first = recoverPublicKey(items[0]!.msgHash, items[0]!.r, items[0]!.s, items[0]!.recid)
  if (first === null || Buffer.compare(first, publicKeyOf(keys[0]!)) !== 0) {
    throw new Error('bench/recover: recovery returned the wrong key')
  }
  return items
}

export async function run(): Promise<void> {
  progress(`sender recovery: signing ${ITEMS.toLocaleString('en-US')} items (backend ${secpBackend})…`)
  const items = makeItems()

  progress('sender recovery: 1 thread…')
  let i = 0
  const single = opsPerSecond(() => {
    for (let k = 0; k < 100; k++) {
      const it = items[i++ % ITEMS]!
      recoverPublicKey(it.msgHash, it.r, it.s, it.recid)
    }
    return 100
  }, 2000)

  progress('sender recovery: noble baseline…')
  let j = 0
  const nobleRate = opsPerSecond(() => {
    for (let k = 0; k < 5; k++) {
      const it = items[j++ % ITEMS]!
      const sig = new noble.Signature(BigInt('0x' + Buffer.from(it.r).toString('hex')), BigInt('0x' + Buffer.from(it.s).toString('hex')), it.recid)
      sig.recoverPublicKey(it.msgHash).toBytes(false)
    }
    return 5
  }, 2000)

  row({
    name: `sender recovery, 1 thread (${secpBackend})`,
    value: single,
    unit: 'recov/s',
    baseline: { name: '@noble/curves', value: nobleRate },
    target: TARGET,
    met: single >= 3000 && single >= 7 * nobleRate,
  })

  const pool = RecoverPool.create()
  try {
    const threads = pool.threads
    progress(`sender recovery: pool of ${threads} threads, warming up…`)
    await pool.recoverMany(items.slice(0, 2000)) // worker start-up is not the steady state
    let done = 0
    const start = performance.now()
    let elapsed = 0
    while (elapsed < 3000 || done < 2 * ITEMS) {
      progress(`sender recovery: pool of ${threads} threads, ${done.toLocaleString('en-US')} done…`)
      const res = await pool.recoverMany(items)
      if (res[ITEMS - 1] === null) throw new Error('bench/recover: pool returned null for a valid item')
      done += ITEMS
      elapsed = performance.now() - start
    }
    const total = (done * 1000) / elapsed
    const perCore = total / Math.max(1, threads)
    const met = perCore >= 3000 && perCore >= 7 * nobleRate
    row({
      name: `sender recovery, pool ${threads} threads`,
      value: total,
      unit: 'recov/s',
      baseline: { name: `@noble/curves ×${threads} (ideal)`, value: nobleRate * threads },
      target: TARGET,
      met,
    })
    row({
      name: `sender recovery, pool ${threads} threads, per core`,
      value: perCore,
      unit: 'recov/s',
      baseline: { name: '@noble/curves', value: nobleRate },
      target: TARGET,
      met,
    })
  } finally {
    await pool.close()
  }
}
