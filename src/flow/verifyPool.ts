/**
 * Checks the two signatures of many receipts at once. The receipts are taken in chunks: the
 * typed hashes of a chunk are computed on this thread while the RecoverPool's workers recover
 * the previous chunk, so hashing and recovery overlap instead of running one after the other.
 * Results are exactly those of checkReceiptSignatures, one by one.
 */
import type { RecoverItem, RecoverPool } from '../crypto/recoverPool.js'
import { recoverPublicKey } from '../crypto/secp256k1.js'
import { FlowError, FlowErrorCode } from './errors.js'
import { addrOfPublicKey, receiptHash, sigParts, type Addr, type SignedReceipt } from './receipt.js'

export type ReceiptCheck = { ok: true; hash: Uint8Array } | { ok: false; reason: string; code: FlowErrorCode }

const SIDES = ['consumer', 'provider'] as const

/** Receipts per pipeline stage: big enough for one postMessage per worker to be noise. */
export const VERIFY_CHUNK = 2048

/**
 * `pool` null → recover on this thread. Never rejects for a bad receipt (its slot says why);
 * rejects only if the pool itself fails (closed, worker crash).
 */
export async function verifyReceipts(pool: RecoverPool | null, receipts: readonly SignedReceipt[]): Promise<ReceiptCheck[]> {
  const stages: Promise<ReceiptCheck[]>[] = []
  for (let at = 0; at < receipts.length; at += VERIFY_CHUNK) {
    // recoverMany posts its batch before it first awaits: the workers start on this chunk while
    // the loop goes on to hash the next one
    stages.push(verifyChunk(pool, receipts.slice(at, at + VERIFY_CHUNK)))
  }
  return (await Promise.all(stages)).flat()
}

async function verifyChunk(pool: RecoverPool | null, receipts: readonly SignedReceipt[]): Promise<ReceiptCheck[]> {
  const hashes: (Uint8Array | null)[] = []
  const early: (ReceiptCheck | null)[] = []
  const items: RecoverItem[] = []
  const where: { i: number; side: (typeof SIDES)[number] }[] = []
  receipts.forEach((sr, i) => {
    let hash: Uint8Array
    try {
      hash = receiptHash(sr)
    } catch (e) {
      const code = e instanceof FlowError ? e.code : FlowErrorCode.FLOW_BAD_FORMAT
      hashes.push(null)
      early.push({ ok: false, reason: e instanceof Error ? e.message : String(e), code })
      return
    }
    hashes.push(hash)
    early.push(null)
    for (const side of SIDES) {
      const p = sigParts(side === 'consumer' ? sr.consumerSignature : sr.providerSignature)
      if (p === null) continue
      items.push({ msgHash: hash, r: p.r, s: p.s, recid: p.recid })
      where.push({ i, side })
    }
  })

  const pubs = pool === null ? items.map((it) => recoverPublicKey(it.msgHash, it.r, it.s, it.recid)) : await pool.recoverMany(items)
  // recovered signers per receipt and side; null = recovers to nobody
  const got = receipts.map(() => ({ consumer: null as Addr | null, provider: null as Addr | null }))
  pubs.forEach((pub, k) => {
    const { i, side } = where[k]!
    got[i]![side] = pub === null ? null : addrOfPublicKey(pub)
  })

  return receipts.map((sr, i) => {
    const e = early[i]
    if (e != null) return e
    // the consumer first, as checkReceiptSignatures does
    for (const side of SIDES) if (got[i]![side] !== sr[side]) return badSig(side, sr[side], got[i]![side])
    return { ok: true, hash: hashes[i]! }
  })
}

function badSig(side: string, expected: Addr, recovered: Addr | null): ReceiptCheck {
  return {
    ok: false,
    reason: `${side} signature ${recovered === null ? 'is invalid' : `recovers to ${recovered}, not ${expected}`}`,
    code: FlowErrorCode.FLOW_BAD_SIGNATURE,
  }
}
