/**
 * The flow side-chain's records in the node's classic-level database, under their own prefix
 * `F` (0x46; the block store uses h b r n t a A H M, the trie s, the log index l x).
 *
 * Key layout (after `F`, a one-byte table tag; big-endian numbers so keys sort):
 *   b ‖ u64 cycle ‖ u64 height  → side block RLP       H ‖ u64 cycle → [height, headHash, receipts]
 *   s ‖ sessionId               → session RLP          q ‖ sessionId ‖ u64 seq → [receiptHash, up, down]
 *   c ‖ u64 cycle ‖ sessionId   → the session's latest receipt of that cycle (encoded receipt)
 *   r ‖ receiptHash             → [cycle, height]      e ‖ receiptHash → evidence (encoded receipt)
 *   k ‖ u64 cycle               → this node's checkpoint of the cycle [encoded, [signer, sig]…, submitted]
 *
 * A side block, the session updates it makes, its per-cycle latest receipts and the new head
 * are written in ONE batch (`commitBlock`), so a node killed mid-write restarts at a block
 * boundary with sessions that match the blocks.
 *
 * Receipts are stored as their wire bytes: this file does not depend on the receipt format. The
 * side block and session encodings are pure formats in ./sideBlock.ts.
 */
import { RLP } from '@ethereumjs/rlp'
import { KeySpace, key, u64 } from '../chain/db/keys.js'
import type { BatchOp, Db } from '../chain/db/level.js'
import {
  addrBytes,
  addrHex,
  big,
  num,
  decodeSession,
  decodeSideBlock,
  encodeSession,
  encodeSideBlock,
  sideBlockHash,
  type SessionRecord,
  type SideBlock,
} from './sideBlock.js'

/** the side-chain's prefix byte in the node database ('F') */
export const SIDE_PREFIX = KeySpace.side

const T = {
  block: 0x62, // b
  head: 0x48, // H
  session: 0x73, // s
  seq: 0x71, // q
  cycleLatest: 0x63, // c
  receipt: 0x72, // r
  evidence: 0x65, // e
  checkpoint: 0x6b, // k
} as const

const k = (table: number, ...parts: Uint8Array[]): Uint8Array => key(SIDE_PREFIX, Uint8Array.of(table), ...parts)

/** (the side block and session formats are ./sideBlock.ts; re-exported for the store's callers) */
export { ZERO_HASH, decodeSession, decodeSideBlock, encodeSession, encodeSideBlock, sideBlockHash, type SessionRecord, type SideBlock } from './sideBlock.js'

/** An accepted receipt of a session at one seq (to recognise a second receipt with that seq). */
export interface SeqRecord {
  receiptHash: Uint8Array
  bytesUp: bigint
  bytesDown: bigint
}

/** This node's copy of a cycle's checkpoint and the committee signatures it has gathered. */
export interface CheckpointRecord {
  /** the encoded checkpoint (without signatures) */
  encoded: Uint8Array
  checkpointHash: Uint8Array
  /** signer (lowercase 0x) → 65-byte signature */
  signatures: Map<string, Uint8Array>
  /** the main-chain transaction that carried it, once sent */
  submittedTx: Uint8Array | null
}

export interface SideHead {
  height: bigint
  hash: Uint8Array
  /** receipts in blocks 1..height; absent in a head written before the count was kept */
  receipts?: bigint
}

/** A block's writes: the block, the session records it changed, and the receipts' lookups. */
export interface BlockWrite {
  block: SideBlock
  sessions: SessionRecord[]
  /** per accepted receipt: its hash, session, seq, totals and bytes */
  accepted: { receiptHash: Uint8Array; sessionId: Uint8Array; seq: bigint; bytesUp: bigint; bytesDown: bigint; encoded: Uint8Array }[]
  /** receipts in the side-chain's blocks 1..block.height (stored with the head) */
  receiptsTotal: bigint
}

export class SideStore {
  constructor(readonly db: Db) {}

  async head(cycle: bigint): Promise<SideHead | undefined> {
    const raw = await this.db.get(k(T.head, u64(cycle)))
    if (raw === undefined) return undefined
    const f = RLP.decode(raw) as Uint8Array[]
    return f.length > 2 ? { height: num(f[0]), hash: f[1]!, receipts: num(f[2]) } : { height: num(f[0]), hash: f[1]! }
  }

  /**
   * Receipts in the side blocks of `cycle`: the count kept with the head, or for a head written
   * before it was kept, counted from the blocks.
   */
  async receiptCount(cycle: bigint, head?: SideHead): Promise<bigint> {
    const h = head ?? (await this.head(cycle))
    if (h === undefined) return 0n
    if (h.receipts !== undefined) return h.receipts
    let n = 0n
    for (let i = 1n; i <= h.height; i++) n += BigInt((await this.block(cycle, i))?.receipts.length ?? 0)
    return n
  }

  async block(cycle: bigint, height: bigint): Promise<SideBlock | undefined> {
    const raw = await this.db.get(k(T.block, u64(cycle), u64(height)))
    return raw === undefined ? undefined : decodeSideBlock(raw)
  }

  async session(sessionId: Uint8Array): Promise<SessionRecord | undefined> {
    const raw = await this.db.get(k(T.session, sessionId))
    return raw === undefined ? undefined : decodeSession(raw)
  }

  async seq(sessionId: Uint8Array, seq: bigint): Promise<SeqRecord | undefined> {
    const raw = await this.db.get(k(T.seq, sessionId, u64(seq)))
    if (raw === undefined) return undefined
    const f = RLP.decode(raw) as Uint8Array[]
    return { receiptHash: f[0]!, bytesUp: num(f[1]), bytesDown: num(f[2]) }
  }

  /** where an accepted receipt sits, if this node accepted it */
  async receiptAt(receiptHash: Uint8Array): Promise<{ cycle: bigint; height: bigint } | undefined> {
    const raw = await this.db.get(k(T.receipt, receiptHash))
    if (raw === undefined) return undefined
    const f = RLP.decode(raw) as Uint8Array[]
    return { cycle: num(f[0]), height: num(f[1]) }
  }

  /** the latest accepted receipt (encoded) of every session with traffic in `cycle`, by sessionId */
  async cycleLatest(cycle: bigint): Promise<Uint8Array[]> {
    const prefix = k(T.cycleLatest, u64(cycle))
    const out: Uint8Array[] = []
    for await (const v of this.db.values({ gte: prefix, lt: k(T.cycleLatest, u64(cycle + 1n)) })) out.push(v)
    return out
  }

  /**
   * One side block, the sessions it changed and the receipt indexes, plus the new head of the
   * cycle, in ONE atomic batch.
   */
  async commitBlock(w: BlockWrite): Promise<Uint8Array> {
    const { block } = w
    const hash = sideBlockHash(block)
    const ops: BatchOp[] = [
      { type: 'put', key: k(T.block, u64(block.cycle), u64(block.height)), value: encodeSideBlock(block) },
      { type: 'put', key: k(T.head, u64(block.cycle)), value: RLP.encode([big(block.height), hash, big(w.receiptsTotal)]) },
    ]
    for (const s of w.sessions) ops.push({ type: 'put', key: k(T.session, s.sessionId), value: encodeSession(s) })
    for (const a of w.accepted) {
      ops.push({ type: 'put', key: k(T.seq, a.sessionId, u64(a.seq)), value: RLP.encode([a.receiptHash, big(a.bytesUp), big(a.bytesDown)]) })
      ops.push({ type: 'put', key: k(T.receipt, a.receiptHash), value: RLP.encode([big(block.cycle), big(block.height)]) })
      // later receipts of the session in this block overwrite earlier ones: the latest stays
      ops.push({ type: 'put', key: k(T.cycleLatest, u64(block.cycle), a.sessionId), value: a.encoded })
    }
    await this.db.batch(ops as never)
    return hash
  }

  async putEvidence(receiptHash: Uint8Array, encoded: Uint8Array): Promise<void> {
    await this.db.put(k(T.evidence, receiptHash), encoded)
  }

  async evidence(receiptHash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(k(T.evidence, receiptHash))
  }

  async allEvidence(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = []
    for await (const v of this.db.values({ gte: k(T.evidence), lt: k(T.evidence + 1) })) out.push(v)
    return out
  }

  async checkpoint(cycle: bigint): Promise<CheckpointRecord | undefined> {
    const raw = await this.db.get(k(T.checkpoint, u64(cycle)))
    if (raw === undefined) return undefined
    const f = RLP.decode(raw) as unknown as [Uint8Array, Uint8Array, [Uint8Array, Uint8Array][], Uint8Array]
    return {
      encoded: f[0],
      checkpointHash: f[1],
      signatures: new Map(f[2].map(([a, s]) => [addrHex(a), s])),
      submittedTx: f[3].length === 0 ? null : f[3],
    }
  }

  async putCheckpoint(cycle: bigint, c: CheckpointRecord): Promise<void> {
    // signers sorted: one encoding per set of signatures
    const sigs = [...c.signatures.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const value = RLP.encode([c.encoded, c.checkpointHash, sigs.map(([a, s]) => [addrBytes(a), s]), c.submittedTx ?? new Uint8Array()])
    await this.db.put(k(T.checkpoint, u64(cycle)), value)
  }
}
